package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// binary is the tongxin binary the process tests run, built once per
// package run.
var binary struct {
	once sync.Once
	path string
	err  error
	out  []byte
	dir  string
}

// TestMain removes the binary the process tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		_ = os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// testBinary builds `tongxin` (once for the whole package) and returns its
// path. Tests that start real processes (kill -9, a paused Redis, three
// instances) share it instead of building their own.
func testBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "tongxin-bin-")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "tongxin")
		binary.out, binary.err = exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput()
	})
	if binary.err != nil {
		t.Fatalf("build: %v\n%s", binary.err, binary.out)
	}
	return binary.path
}

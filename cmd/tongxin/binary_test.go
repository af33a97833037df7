package main

import (
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot/bottest"
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

// spawnAt runs the binary like spawn, on a free loopback port of its own,
// and returns its base URL once /healthz answers. The port is picked by
// listening on :0 and closing again, so another process could take it in
// between; on loopback in a test run that does not happen in practice.
func (e *testEnv) spawnAt(t *testing.T, bin string) (base string, cmd *exec.Cmd) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	vars := maps.Clone(e.vars)
	vars["TONGXIN_HTTP_ADDR"] = addr
	cmd = (&testEnv{vars: vars}).spawn(t, bin)
	base = "http://" + addr
	bottest.WaitFor(t, 60*time.Second, "the server at "+addr+" to answer /healthz", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return base, cmd
}

package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

const versionUsage = `usage: tongxin version

Prints the module version, the commit it was built from (when the build
recorded one) and the Go version. Reads no configuration.`

func versionCommand(_ context.Context, inv *invocation) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if done, err := flags(fs, inv, versionUsage, false); done {
		return err
	}
	fmt.Fprintln(inv.stdout, version())
	return nil
}

// version describes this binary: "tongxin (devel) commit 83e892e4c1d2
// (modified) 2026-11-30T18:00:00Z, go1.26.8". go build in a git checkout
// records the commit; go run and tests do not.
func version() string {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(bi, runtime.Version())
}

// versionOf describes the build bi (nil: unknown) made with goVersion.
func versionOf(bi *debug.BuildInfo, goVersion string) string {
	v, commit := "(unknown)", ""
	if bi != nil {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		var rev, at, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = " (modified)"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			commit = " commit " + rev + dirty
			if at != "" {
				commit += " " + at
			}
		}
	}
	return fmt.Sprintf("tongxin %s%s, %s", v, commit, goVersion)
}

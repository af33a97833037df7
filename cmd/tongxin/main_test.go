package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tongxin/tongxin/wechat/wechattest"
)

// TestHelpNeverActs runs every command's help, and a mistyped flag, in
// process: against a configuration that would work (a fake WeChat API
// behind a request counter, a database file that does not exist yet) and
// one that would not load. Help prints and exits 0; a flag the command
// does not know is refused with its usage on stderr. Neither may reach
// WeChat or create the database, whatever the environment.
func TestHelpNeverActs(t *testing.T) {
	fake := wechattest.NewFakeAPI(t)
	target, _ := url.Parse(fake.URL())
	var requests atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(target)
	counter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(counter.Close)
	db := filepath.Join(t.TempDir(), "tongxin.db")
	good := map[string]string{
		"TONGXIN_HTTP_ADDR":       "127.0.0.1:0",
		"TONGXIN_DATABASE_URL":    "sqlite://" + db,
		"TONGXIN_WECHAT_APPID":    wechattest.AppID,
		"TONGXIN_WECHAT_SECRET":   wechattest.Secret,
		"TONGXIN_WECHAT_TOKEN":    testToken,
		"TONGXIN_WECHAT_AES_KEY":  testAESKey,
		"TONGXIN_WECHAT_API_BASE": counter.URL,
		"TONGXIN_MEDIA_DIR":       filepath.Join(t.TempDir(), "media"),
		"TONGXIN_LOG_LEVEL":       "error",
	}
	bad := map[string]string{"TONGXIN_DATABASE_URL": "mysql://nowhere", "TONGXIN_LOG_FORMAT": "xml", "TONGXIN_QUIET_HOURS": "soon"}

	help := []struct {
		args []string
		want string // on stdout
	}{
		{[]string{"help"}, "menu push"},
		{[]string{"-h"}, "usage: tongxin <command>"},
		{[]string{"--help"}, "version"},
		{[]string{"serve", "-h"}, "usage: tongxin serve"},
		{[]string{"serve", "--help"}, "usage: tongxin serve"},
		{[]string{"help", "serve"}, "usage: tongxin serve"},
		{[]string{"migrate", "-h"}, "usage: tongxin migrate"},
		{[]string{"help", "migrate"}, "usage: tongxin migrate"},
		{[]string{"menu", "push", "-h"}, "usage: tongxin menu push"},
		{[]string{"menu", "push", "--help"}, "usage: tongxin menu push"},
		{[]string{"menu", "push", "help"}, "usage: tongxin menu push"},
		{[]string{"help", "menu", "push"}, "usage: tongxin menu push"},
		{[]string{"menu", "-h"}, "usage: tongxin menu push"},
		{[]string{"chat", "-h"}, "-openid"},
		{[]string{"help", "chat"}, "/follow"},
		{[]string{"erase", "-h"}, "usage: tongxin erase -openid OPENID"},
		{[]string{"erase", "-openid", "oX", "-h"}, "usage: tongxin erase"},
		{[]string{"version", "-h"}, "usage: tongxin version"},
		{[]string{"version"}, runtime.Version()},
	}
	refused := []struct {
		args []string
		want string // in the error
		head string // on stderr
	}{
		{[]string{"serve", "-bogus"}, "flag provided but not defined: -bogus", "usage: tongxin serve"},
		{[]string{"serve", "now"}, `unexpected argument "now"`, "usage: tongxin serve"},
		{[]string{"migrate", "-down"}, "not defined: -down", "usage: tongxin migrate"},
		{[]string{"menu", "push", "-force"}, "not defined: -force", "usage: tongxin menu push"},
		{[]string{"menu", "push", "now"}, `unexpected argument "now"`, "usage: tongxin menu push"},
		{[]string{"menu"}, "only menu command is push", "usage: tongxin menu push"},
		{[]string{"menu", "pull"}, "only menu command is push", "usage: tongxin menu push"},
		{[]string{"chat", "-user", "x"}, "not defined: -user", "usage: tongxin chat"},
		{[]string{"erase", "-bogus"}, "not defined: -bogus", "usage: tongxin erase"},
		{[]string{"version", "-v"}, "not defined: -v", "usage: tongxin version"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`, "usage: tongxin <command>"},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`, "usage: tongxin <command>"},
		{nil, "no command", "usage: tongxin <command>"},
	}
	// A command that did act would stop at once: its context is done.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, vars := range map[string]map[string]string{"good config": good, "bad config": bad} {
		getenv := func(k string) string { return vars[k] }
		for _, c := range help {
			var stdout, stderr bytes.Buffer
			if err := run(ctx, c.args, getenv, strings.NewReader(""), &stdout, &stderr); err != nil {
				t.Errorf("%s: %q: %v", name, c.args, err)
			}
			if !strings.Contains(stdout.String(), c.want) {
				t.Errorf("%s: %q printed %q, want %q", name, c.args, stdout.String(), c.want)
			}
			if stderr.Len() > 0 {
				t.Errorf("%s: %q wrote to stderr: %s", name, c.args, stderr.String())
			}
		}
		for _, c := range refused {
			var stdout, stderr bytes.Buffer
			err := run(ctx, c.args, getenv, strings.NewReader(""), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %q: %v, want an error containing %q", name, c.args, err, c.want)
			}
			if !strings.HasPrefix(stderr.String(), c.head) || stdout.Len() > 0 {
				t.Errorf("%s: %q: stdout %q, stderr %q; want the usage %q on stderr", name, c.args, stdout.String(), stderr.String(), c.head)
			}
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("help or a refused flag made %d requests to WeChat (menu/create %d)", n, len(fake.Requests(wechattest.PathMenuCreate)))
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("help or a refused flag opened the database: %v", err)
	}

	// The counter does count: the command itself reaches WeChat.
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"menu", "push"}, func(k string) string { return good[k] }, nil, &stdout, &stdout); err != nil {
		t.Fatal(err)
	}
	if requests.Load() == 0 || len(fake.Requests(wechattest.PathMenuCreate)) != 1 {
		t.Errorf("menu push: %d requests, %d to menu/create", requests.Load(), len(fake.Requests(wechattest.PathMenuCreate)))
	}
}

func TestVersion(t *testing.T) {
	if got := version(); !strings.HasPrefix(got, "tongxin ") || !strings.HasSuffix(got, ", "+runtime.Version()) {
		t.Errorf("version() = %q", got)
	}
	built := &debug.BuildInfo{Main: debug.Module{Path: "github.com/tongxin/tongxin", Version: "v1.2.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "d135a731091785e9a44bf2337681729395b0f985"},
		{Key: "vcs.time", Value: "2026-11-30T19:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	for _, c := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{built, "tongxin v1.2.0 commit d135a7310917 (modified) 2026-11-30T19:00:00Z, go1.26.8"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "tongxin (devel), go1.26.8"},
		{nil, "tongxin (unknown), go1.26.8"},
	} {
		if got := versionOf(c.bi, "go1.26.8"); got != c.want {
			t.Errorf("versionOf = %q, want %q", got, c.want)
		}
	}
}

func TestChatURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":           "http://127.0.0.1:8080/wechat",
		"0.0.0.0:8080":    "http://127.0.0.1:8080/wechat",
		"[::]:8080":       "http://127.0.0.1:8080/wechat",
		"127.0.0.1:18091": "http://127.0.0.1:18091/wechat",
		"10.0.0.5:80":     "http://10.0.0.5:80/wechat",
	} {
		if got := chatURL(addr); got != want {
			t.Errorf("chatURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/workcal"
)

// syncBuffer is a log destination serve's goroutines may write to while
// the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// firstScreen starts serve with vars, as a newcomer does (info level,
// text), and returns its address and what it logged until it listened.
func firstScreen(t *testing.T, vars map[string]string) (string, string) {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return vars[k] }, configRules...)
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	log := newLogger(cfg, out)
	ctx, cancel := context.WithCancel(context.Background())
	addr, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- serve(ctx, cfg, log, func(a string) { addr <- a }) }()
	var a string
	select {
	case a = <-addr:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	screen := out.String()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve did not stop cleanly: %v", err)
	}
	return a, screen
}

// TestServeSaysWhatToDoNext: the first screen of serve ends with where
// to try it in a browser (the simulator, on with development
// credentials), where WeChat posts, how to chat with it and whether the
// admin API answers.
func TestServeSaysWhatToDoNext(t *testing.T) {
	vars := map[string]string{
		"TONGXIN_HTTP_ADDR":    "127.0.0.1:0",
		"TONGXIN_DATABASE_URL": storagetest.SQLiteURL(t),
		"TONGXIN_MEDIA_DIR":    filepath.Join(t.TempDir(), "media"),
	}
	addr, screen := firstScreen(t, vars)
	hook := "http://" + addr + "/wechat"
	for _, want := range []string{
		"next: try it as a resident in your browser: http://" + addr + "/sim",
		"here: " + hook,
		"go run ./cmd/tongxin chat -url " + hook + " (notices it sends are logged here)",
		"the admin API http://" + addr + "/api/v1/ refuses every request: TONGXIN_ADMIN_TOKEN is empty",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("first screen lacks %q:\n%s", want, screen)
		}
	}
	if strings.Index(screen, "msg=\"next:") < strings.Index(screen, "msg=\"tongxin serving\"") {
		t.Errorf("the next steps do not end the start-up report:\n%s", screen)
	}
	if strings.Index(screen, "next: try it as a resident in your browser") > strings.Index(screen, "next: the official account's server URL") {
		t.Errorf("the simulator is not the first next step:\n%s", screen)
	}

	vars["TONGXIN_ADMIN_TOKEN"] = adminToken
	addr, screen = firstScreen(t, vars)
	if want := "the admin API is http://" + addr + "/api/v1/ with the header"; !strings.Contains(screen, want) || strings.Contains(screen, "refuses every request") {
		t.Errorf("first screen with an admin token lacks %q:\n%s", want, screen)
	}

	// Turned off, the simulator is not offered.
	vars["TONGXIN_SIMULATOR"] = "off"
	if _, screen = firstScreen(t, vars); strings.Contains(screen, "/sim") {
		t.Errorf("first screen with the simulator off offers it:\n%s", screen)
	}
}

// TestHolidayWarningNamesTheYear: the warning says which year the holiday
// file lacks, once, and nothing while the file covers what is near.
func TestHolidayWarningNamesTheYear(t *testing.T) {
	cal := workcal.Builtin() // 2026 only
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		now  string
		want []string // one warning each
	}{
		{"2026-06-01T10:00:00+08:00", nil},
		{"2026-11-30T10:00:00+08:00", []string{"no dates for 2027: from 1 January 2027 deadlines count weekends only"}},
		// New Year in Shanghai while it is still 2026 in UTC.
		{"2026-12-31T17:00:00Z", []string{"no dates for 2027: deadlines in 2027 count weekends only"}},
		{"2027-03-01T10:00:00+08:00", []string{"no dates for 2027: deadlines in 2027 count weekends only"}},
		{"2027-11-15T10:00:00+08:00", []string{"no dates for 2027:", "no dates for 2028: from 1 January 2028"}},
	} {
		var buf bytes.Buffer
		warnHolidays(slog.New(slog.NewTextHandler(&buf, nil)), cal, at(c.now))
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if buf.Len() == 0 {
			lines = nil
		}
		if len(lines) != len(c.want) {
			t.Errorf("at %s: %d warnings, want %d:\n%s", c.now, len(lines), len(c.want), buf.String())
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("at %s: warning %d is %q, want %q", c.now, i, lines[i], w)
			}
		}
	}
}

// TestServeWiresUnderstanding: serve counts what was understood on
// /metrics and answers /api/v1/unrecognised from the database.
func TestServeWiresUnderstanding(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	base := e.start(t)
	if got := say(t, e.sim(base, wechat.ModeSafe), wechat.SimMessage{OpenID: newOpenID("und"), Text: "qwzx plmk"}); !strings.Contains(got, "1 ") {
		t.Errorf("nonsense got %q, want the fallback with the menu", got)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `tongxin_understood_total{band="none",intent="none"} 1`) {
		t.Errorf("/metrics does not count the fallback:\n%s", raw)
	}
	code, body := admin(t, base, "GET", "/api/v1/unrecognised?from=2026-11-01&to=2026-11-07", nil)
	if _, ok := body["texts"].([]any); code != http.StatusOK || !ok || body["from"] != "2026-11-01" || body["to"] != "2026-11-07" {
		t.Errorf("/api/v1/unrecognised: %d %v", code, body)
	}
}

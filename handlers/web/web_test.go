package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/handlers/web"
)

func TestTold(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
		ok   bool
	}{
		{bot.Say("请填写名称。"), "请填写名称。", true},
		{fmt.Errorf("wrapped: %w", bot.ErrNotFound), "没有", true},
		{bot.ErrConflict, "变", true},
		{fmt.Errorf("db down"), "", false},
	} {
		got, ok := web.Told(c.err, "没有", "变")
		if got != c.want || ok != c.ok {
			t.Errorf("Told(%v) = %q, %v; want %q, %v", c.err, got, ok, c.want, c.ok)
		}
	}
}

func TestParseLocalIsShanghai(t *testing.T) {
	got, err := web.ParseLocal("2026-12-01T09:30")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 1, 1, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("ParseLocal = %v, want %v", got, want)
	}
	if _, err := web.ParseLocal("明天上午"); err == nil || !strings.Contains(err.Error(), "2026-12-01") {
		t.Errorf("a bad time: %v", err)
	}
}

// TestProtectRefusesCrossSite: a form another site submits is refused;
// the same site's, and the public URL's origin, pass.
func TestProtectRefusesCrossSite(t *testing.T) {
	h := web.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), "https://tongxin.example.org")
	for _, c := range []struct {
		site, origin string
		want         int
	}{
		{"cross-site", "https://evil.example", http.StatusForbidden},
		{"same-origin", "", http.StatusOK},
		{"", "https://tongxin.example.org", http.StatusOK},
	} {
		req := httptest.NewRequest(http.MethodPost, "http://10.0.0.5/console/logout", nil)
		if c.site != "" {
			req.Header.Set("Sec-Fetch-Site", c.site)
		}
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s %s: %d, want %d", c.site, c.origin, rec.Code, c.want)
		}
	}
}

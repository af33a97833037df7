package open311_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/handlers/open311"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// limited serves Open311 with a Redis rate limit of n a minute and
// returns a function sending one request from a given address, with an
// X-Forwarded-For header when xff is not empty.
func limited(t *testing.T, lim open311.Limiter, trusted ...netip.Prefix) func(method, remote, xff string) (int, []map[string]any) {
	t.Helper()
	store := storagetest.Open(t)
	svc := tickets.New(store, notifytest.Queue(t, store, notify.Config{LogOnly: true}), workcal.Builtin(), tickets.Config{})
	h := &open311.Handler{Tickets: svc, Community: cs.New(store, cs.Config{}), APIKey: open311Key,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Limiter: lim, TrustedProxies: trusted}
	mux := http.NewServeMux()
	h.Routes(mux)
	return func(method, remote, xff string) (int, []map[string]any) {
		t.Helper()
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader("api_key=" + open311Key + "&service_code=repair&address_string=3号楼&description=灯坏了")
		}
		req := httptest.NewRequest(method, "/open311/v2/requests.json", body)
		if method == "POST" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.RemoteAddr = remote
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		var out []map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s from %s: %d, not a JSON array: %s", method, remote, w.Code, w.Body)
		}
		return w.Code, out
	}
}

func redisLimiter(t *testing.T, n int) *redisstate.RateLimiter {
	rdb, prefix, _ := redistest.New(t)
	return &redisstate.RateLimiter{Client: rdb, Prefix: prefix, Limit: n, Window: time.Minute}
}

// TestOpen311RateLimitByAddress: each client address gets its own
// allowance, GET and POST alike; past it the answer is 429 in Open311's
// error shape; an X-Forwarded-For header from a client changes nothing
// without trusted proxies.
func TestOpen311RateLimitByAddress(t *testing.T) {
	send := limited(t, redisLimiter(t, 3))
	for i, method := range []string{"GET", "POST", "GET"} {
		if code, body := send(method, "192.0.2.1:40000", "198.51.100."+strconv.Itoa(i+1)); code/100 != 2 {
			t.Fatalf("request %d from 192.0.2.1: %d %v", i+1, code, body)
		}
	}
	for _, method := range []string{"GET", "POST"} {
		code, body := send(method, "192.0.2.1:40001", "203.0.113.50")
		isError(t, method+" past the limit", code, body, 429, "Too many requests")
	}
	if code, body := send("GET", "192.0.2.2:40000", ""); code != 200 {
		t.Errorf("another address: %d %v, want 200", code, body)
	}
	// One IPv6 subscriber holds a whole /64.
	for i := range 3 {
		send("GET", "[2001:db8:1:2::"+strconv.Itoa(i+1)+"]:443", "")
	}
	code, body := send("GET", "[2001:db8:1:2:ffff::9]:443", "")
	isError(t, "a fourth address of the same /64", code, body, 429, "Too many requests")
	if code, _ := send("GET", "[2001:db8:1:3::1]:443", ""); code != 200 {
		t.Errorf("another /64: %d, want 200", code)
	}
}

// failingLimiter is a limiter whose store is down.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string) (bool, error) {
	return false, errors.New("redis: connection refused")
}

// TestOpen311RateLimitDown: a limit whose count cannot be taken refuses
// rather than lapses.
func TestOpen311RateLimitDown(t *testing.T) {
	send := limited(t, failingLimiter{})
	code, body := send("GET", "192.0.2.1:40000", "")
	isError(t, "GET with the limiter down", code, body, 503, "The service is unavailable")
}

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tc := range []struct {
		remote, xff string
		trusted     []netip.Prefix
		want        string
	}{
		{"192.0.2.1:5000", "", nil, "192.0.2.1"},
		{"192.0.2.1:5000", "203.0.113.9", nil, "192.0.2.1"},                // no trusted proxies: never read
		{"192.0.2.1:5000", "203.0.113.9", trusted, "192.0.2.1"},            // not from a trusted proxy
		{"10.0.0.5:5000", "203.0.113.9", trusted, "203.0.113.9"},           // from the proxy
		{"10.0.0.5:5000", "1.2.3.4, 203.0.113.9", trusted, "203.0.113.9"},  // what the client wrote is left of it
		{"10.0.0.5:5000", "203.0.113.9, 10.0.0.7", trusted, "203.0.113.9"}, // two proxies
		{"10.0.0.5:5000", "", trusted, "10.0.0.5"},
		{"10.0.0.5:5000", "junk, 203.0.113.9", trusted, "203.0.113.9"},
		{"10.0.0.5:5000", "203.0.113.9, junk", trusted, "10.0.0.5"},
		{"[::1]:5000", "2001:db8:1:2::7", trusted, "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.1]:5000", "", nil, "192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:5000", "", nil, "2001:db8:1:2::/64"},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tc.remote
		if tc.xff != "" {
			req.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := open311.ClientAddr(req, tc.trusted); got != tc.want {
			t.Errorf("ClientAddr(%s, X-Forwarded-For %q, trusted %v) = %q, want %q", tc.remote, tc.xff, tc.trusted, got, tc.want)
		}
	}
}

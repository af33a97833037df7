package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/handlers"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

func TestUnrecognisedEndpoint(t *testing.T) {
	ctx := context.Background()
	store := storagetest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &handlers.Server{Webhook: &handlers.Webhook{}, Metrics: handlers.NewMetrics(), Logger: log,
		AdminToken: adminToken, Unrecognised: store, Started: time.Now()}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	u := storage.Unrecognised{Store: store}
	now := time.Now()
	record := func(text string, at time.Time, times int) {
		t.Helper()
		for range times {
			if err := u.Record(ctx, text, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	record("维修基金怎么查", now, 2)
	record("我叫王芳，电话13800138000", now, 3)
	record("垃圾分类", now.AddDate(0, 0, -3), 1)
	// Out of the default week.
	record("充电桩", now.AddDate(0, 0, -10), 5)

	call := func(path, token string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("GET %s: not JSON: %v", path, err)
		}
		return resp.StatusCode, body
	}
	texts := func(body map[string]any) []string {
		var out []string
		list, _ := body["texts"].([]any)
		for _, x := range list {
			row := x.(map[string]any)
			out = append(out, fmt.Sprintf("%s×%v", row["text"], row["count"]))
		}
		return out
	}

	code, body := call("/api/v1/unrecognised", "")
	if code != http.StatusUnauthorized {
		t.Errorf("without a token: %d %v", code, body)
	}
	code, body = call("/api/v1/unrecognised", "wrong-token-0123456789abcdef0123456789")
	if code != http.StatusUnauthorized {
		t.Errorf("with a wrong token: %d %v", code, body)
	}

	code, body = call("/api/v1/unrecognised", adminToken)
	today := now.In(bot.Shanghai).Format(time.DateOnly)
	if code != http.StatusOK || body["to"] != today || body["from"] != now.In(bot.Shanghai).AddDate(0, 0, -6).Format(time.DateOnly) {
		t.Errorf("default period: %d %v", code, body)
	}
	if diff := cmp.Diff([]string{"我叫*,电话#×3", "维修基金怎么查×2", "垃圾分类×1"}, texts(body)); diff != "" {
		t.Errorf("the last week mismatch (-want +got):\n%s", diff)
	}

	from := now.In(bot.Shanghai).AddDate(0, 0, -10).Format(time.DateOnly)
	code, body = call("/api/v1/unrecognised?from="+from+"&to="+today+"&limit=2", adminToken)
	if code != http.StatusOK {
		t.Fatalf("a range: %d %v", code, body)
	}
	if diff := cmp.Diff([]string{"充电桩×5", "我叫*,电话#×3"}, texts(body)); diff != "" {
		t.Errorf("ten days, limit 2, mismatch (-want +got):\n%s", diff)
	}

	for _, tc := range []struct{ query, inMessage string }{
		{"from=2026-13-01", "from"},
		{"to=yesterday", "to"},
		{"from=2026-11-05&to=2026-11-01", "to"},
		{"limit=0", "limit"},
		{"limit=501", "limit"},
	} {
		code, body := call("/api/v1/unrecognised?"+tc.query, adminToken)
		e, _ := body["error"].(map[string]any)
		if code != http.StatusBadRequest || e["code"] != "invalid" || !strings.HasPrefix(e["message"].(string), tc.inMessage+":") {
			t.Errorf("?%s: %d %v, want 400 invalid naming %s", tc.query, code, body, tc.inMessage)
		}
	}
}

func TestUnderstoodMetrics(t *testing.T) {
	m := handlers.NewMetrics()
	s := &handlers.Server{Webhook: &handlers.Webhook{}, Metrics: m, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	var o bot.UnderstandingObserver = m
	o.Understood("report:repair", "sure")
	o.Understood("report:repair", "sure")
	o.Understood("events", "unsure")
	o.Understood("", "none")
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		`tongxin_understood_total{band="sure",intent="report:repair"} 2`,
		`tongxin_understood_total{band="unsure",intent="events"} 1`,
		`tongxin_understood_total{band="none",intent="none"} 1`,
	} {
		if !strings.Contains(string(raw), line+"\n") {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}

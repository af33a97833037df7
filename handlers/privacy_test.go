package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
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
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/privacy"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
)

func TestEraseResidentEndpoint(t *testing.T) {
	ctx := context.Background()
	store := storagetest.Open(t)
	if err := jobs.Migrate(ctx, store); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	runner, err := jobs.New(store, jobs.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	sessions := &bot.MemorySessions{}
	priv, err := privacy.New(store, runner, privacy.Config{Sessions: sessions, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := priv.Register(privacy.ResidentsHook(), tickets.PrivacyHook(), notify.PrivacyHook()); err != nil {
		t.Fatal(err)
	}
	s := &handlers.Server{Webhook: &handlers.Webhook{}, Metrics: handlers.NewMetrics(), Logger: log,
		AdminToken: adminToken, Privacy: priv, Started: time.Now()}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	const openid = "oResident_erase_0123456789ab"
	if err := store.SaveProfile(ctx, bot.Resident{OpenID: openid, Name: "阿依古丽", Phone: "13800138000"}); err != nil {
		t.Fatal(err)
	}
	if err := sessions.Save(ctx, &bot.Session{OpenID: openid, Flow: "profile"}); err != nil {
		t.Fatal(err)
	}
	call := func(method, path, token string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
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
		raw, _ := io.ReadAll(resp.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, raw)
		}
		return resp.StatusCode, body
	}

	// The token is required, and nothing is erased without it.
	for _, token := range []string{"", "wrong-token"} {
		if code, body := call("DELETE", "/api/v1/residents/"+openid, token); code != 401 {
			t.Errorf("DELETE with token %q: %d %v, want 401", token, code, body)
		}
	}
	if _, err := store.Resident(ctx, openid); err != nil {
		t.Fatalf("erased without a token: %v", err)
	}
	// Input that is no openid is refused, naming the field.
	for _, bad := range []string{"o%20x", "a%2Fb", "o%27x", "%E5%BC%80", strings.Repeat("o", 65)} {
		code, body := call("DELETE", "/api/v1/residents/"+bad, adminToken)
		e, _ := body["error"].(map[string]any)
		if code != 400 || e["code"] != "invalid" || !strings.HasPrefix(e["message"].(string), "openid: ") {
			t.Errorf("DELETE %s: %d %v, want 400 invalid openid", bad, code, body)
		}
	}
	if code, body := call("DELETE", "/api/v1/residents/", adminToken); code != 404 {
		t.Errorf("DELETE without an openid: %d %v, want 404", code, body)
	}

	want := map[string]any{"residents": 1.0, "tickets": 0.0, "ticket_notes": 0.0, "notifications": 0.0}
	code, body := call("DELETE", "/api/v1/residents/"+openid, adminToken)
	if code != 200 || body["audit_id"] == nil || !cmp.Equal(body["erased"], want) {
		t.Errorf("DELETE: %d %v, want 200 with %v", code, body, want)
	}
	if _, err := store.Resident(ctx, openid); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("resident after DELETE: %v", err)
	}
	if _, _, err := sessions.Load(ctx, openid); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("session after DELETE: %v", err)
	}
	// Again, and for someone never seen: nothing to erase is no error.
	want["residents"] = 0.0
	for _, who := range []string{openid, "oNeverSeen"} {
		if code, body := call("DELETE", "/api/v1/residents/"+who, adminToken); code != 200 || !cmp.Equal(body["erased"], want) {
			t.Errorf("DELETE %s: %d %v, want 200 with %v", who, code, body, want)
		}
	}

	code, body = call("GET", "/api/v1/erasures?limit=2", adminToken)
	list, _ := body["erasures"].([]any)
	if code != 200 || len(list) != 2 {
		t.Fatalf("GET erasures: %d %v", code, body)
	}
	raw, _ := json.Marshal(body)
	if strings.Contains(string(raw), openid) || strings.Contains(string(raw), "oNeverSeen") {
		t.Errorf("the audit names whom it erased: %s", raw)
	}
	if e := list[0].(map[string]any); e["action"] != "erase" || e["actor"] != "admin_api" {
		t.Errorf("newest audit row: %v", e)
	}
	if code, _ := call("GET", "/api/v1/erasures?limit=0", adminToken); code != 400 {
		t.Errorf("GET erasures?limit=0: %d, want 400", code)
	}
	if code, _ := call("GET", "/api/v1/erasures", ""); code != 401 {
		t.Errorf("GET erasures without a token: %d, want 401", code)
	}
}

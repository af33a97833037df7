package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

func TestNotificationsAdmin(t *testing.T) {
	r := newRig(t, &counter{})
	in := r.start(4 * time.Second)
	call := func(method, path string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, in.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer admin-secret-0123456789abcdef012345")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
		return resp.StatusCode, body
	}
	// A resident who unfollowed: the send fails for good.
	r.fake.FailNext(wechattest.PathCustomSend, 43004, 1)
	if err := r.outbox.Notify(context.Background(), bot.Notice{Kind: "test", To: "o-gone", Text: "通知", Key: "k1", Urgent: true}); err != nil {
		t.Fatal(err)
	}
	var failed []any
	bottest.WaitFor(t, 10*time.Second, "the refused notification to be listed as failed", func() bool {
		_, body := call("GET", "/api/v1/notifications?status=failed")
		failed, _ = body["notifications"].([]any)
		return len(failed) == 1
	})
	row := failed[0].(map[string]any)
	if row["kind"] != "test" || row["recipient"] != "o-gone" || !strings.Contains(fmt.Sprint(row["last_error"]), "43004") {
		t.Errorf("failed row: %v", row)
	}
	if _, ok := row["payload"]; ok {
		t.Error("the payload (personal data) is listed")
	}
	id := int64(row["id"].(float64))

	for _, tc := range []struct {
		method, path string
		code         int
		errCode      string
	}{
		{"GET", "/api/v1/notifications?status=bogus", 400, "invalid"},
		{"GET", "/api/v1/notifications?limit=0", 400, "invalid"},
		{"GET", "/api/v1/notifications?offset=-1", 400, "invalid"},
		{"POST", "/api/v1/notifications/abc/retry", 400, "invalid"},
		{"POST", "/api/v1/notifications/424242/retry", 404, "not_found"},
	} {
		code, body := call(tc.method, tc.path)
		e, _ := body["error"].(map[string]any)
		if code != tc.code || e["code"] != tc.errCode || e["message"] == "" {
			t.Errorf("%s %s: %d %v, want %d %s", tc.method, tc.path, code, body, tc.code, tc.errCode)
		}
	}
	code, body := call("POST", fmt.Sprintf("/api/v1/notifications/%d/retry", id))
	if code != 202 || body["status"] != "pending" {
		t.Errorf("retry: %d %v", code, body)
	}
	r.fake.WaitCustomTexts(t, 1, 30*time.Second)
	bottest.WaitFor(t, 10*time.Second, "the retried notification to be marked sent", func() bool {
		n, err := r.store.Notification(context.Background(), id)
		return err == nil && n.Status == storage.NotificationSent
	})
	if code, body := call("POST", fmt.Sprintf("/api/v1/notifications/%d/retry", id)); code != 409 {
		t.Errorf("retry of a sent row: %d %v", code, body)
	}
	if code, body := call("GET", "/api/v1/notifications?status=sent&limit=10"); code != 200 || len(body["notifications"].([]any)) != 1 {
		t.Errorf("sent list: %d %v", code, body)
	}
}

// TestResidentAdmin: the full record behind a masked staff notice is one
// admin call away, and only with the token.
func TestResidentAdmin(t *testing.T) {
	r := newRig(t, &counter{})
	in := r.start(4 * time.Second)
	const openid = "oAbCdEfGhIjKlMnOpQrStUvWxYz1"
	if err := r.store.SaveProfile(t.Context(), bot.Resident{OpenID: openid, Name: "王芳", Phone: "13800138000", Address: "3号楼2单元201室", Note: "独居"}); err != nil {
		t.Fatal(err)
	}
	get := func(path string, auth bool) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, in.srv.URL+path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer admin-secret-0123456789abcdef012345")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("GET %s: %d, not JSON: %v", path, resp.StatusCode, err)
		}
		return resp.StatusCode, body
	}
	code, body := get("/api/v1/residents/"+openid, true)
	if code != 200 || body["openid"] != openid || body["name"] != "王芳" || body["phone"] != "13800138000" ||
		body["address"] != "3号楼2单元201室" || body["note"] != "独居" {
		t.Errorf("GET resident: %d %v", code, body)
	}
	if code, body := get("/api/v1/residents/"+openid, false); code != 401 || body["name"] != nil {
		t.Errorf("GET resident without the token: %d %v", code, body)
	}
	if code, body := get("/api/v1/residents/o-nobody", true); code != 404 || body["error"].(map[string]any)["code"] != "not_found" {
		t.Errorf("GET an unknown resident: %d %v", code, body)
	}
}

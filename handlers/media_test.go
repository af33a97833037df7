package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/blobs"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/handlers"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/media"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
	"github.com/tongxin/tongxin/workcal"
)

// TestMediaEndpoint files a request whose photos the media jobs copy from
// the fake WeChat API, then reads them back through the admin API.
func TestMediaEndpoint(t *testing.T) {
	ctx := context.Background()
	store := storagetest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rdb, prefix, _ := redistest.New(t)
	fake := wechattest.NewFakeAPI(t)
	wx, err := wechat.NewClient(wechat.ClientConfig{AppID: wechattest.AppID, Secret: wechattest.Secret, APIBase: fake.URL(), Redis: rdb, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := blobs.NewDir(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, store); err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.New(store, jobs.Config{PollInterval: 20 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := notify.New(runner, store, wx, notify.Config{LogOnly: true}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := media.New(runner, store, dir, wx, media.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	svc := tickets.New(store, outbox, workcal.Builtin(), tickets.Config{Media: ms})
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(ctx)
	})
	s := &handlers.Server{Webhook: &handlers.Webhook{}, Metrics: handlers.NewMetrics(), Logger: log,
		AdminToken: adminToken, Tickets: svc, Media: ms, Started: time.Now()}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	photo := wechattest.JPEG(5)
	fake.AddMedia("m1", "image/jpeg", photo)
	rc, err := svc.Submit(ctx, ticket.Draft{OpenID: "o-res", Phone: "13800138000", Category: "repair",
		Description: "楼道灯坏了", Photos: []string{"media:m1", "media:expired"}, Source: "wechat"})
	if err != nil {
		t.Fatal(err)
	}
	number := rc.Ticket.Number
	get := func(path, token string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}

	// The ticket lists its media, with a URL for each copy kept.
	var listed []map[string]any
	bottest.WaitFor(t, 30*time.Second, "both photos settled", func() bool {
		_, body := get("/api/v1/tickets/"+number, adminToken)
		var out struct {
			Media []map[string]any `json:"media"`
		}
		_ = json.Unmarshal(body, &out)
		listed = out.Media
		return len(listed) == 2 && listed[0]["status"] != "pending" && listed[1]["status"] != "pending"
	})
	if listed[0]["status"] != "stored" || listed[0]["url"] != "/api/v1/tickets/"+number+"/media/1" ||
		listed[0]["content_type"] != "image/jpeg" || listed[0]["kind"] != "photo" {
		t.Errorf("first photo listed as %v", listed[0])
	}
	if listed[1]["status"] != "failed" || listed[1]["url"] != nil || !strings.Contains(listed[1]["error"].(string), "40007") {
		t.Errorf("expired photo listed as %v", listed[1])
	}

	// The copy comes back byte for byte, as what it is.
	resp, body := get("/api/v1/tickets/"+number+"/media/1", adminToken)
	if resp.StatusCode != 200 || !bytes.Equal(body, photo) {
		t.Fatalf("media 1: %d, %d bytes; want 200 and the %d bytes sent", resp.StatusCode, len(body), len(photo))
	}
	for k, want := range map[string]string{
		"Content-Type": "image/jpeg", "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
		"Content-Disposition": `inline; filename=` + number + `-1.jpg`,
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}

	for _, tc := range []struct {
		path, token string
		code        int
		message     string
	}{
		{"/api/v1/tickets/" + number + "/media/1", "", 401, "token"},
		{"/api/v1/tickets/" + number + "/media/1", "wrong-token", 401, "token"},
		{"/api/v1/tickets/2601019999/media/1", adminToken, 404, "has no media 1"},
		{"/api/v1/tickets/" + number + "/media/3", adminToken, 404, "has no media 3"},
		{"/api/v1/tickets/" + number + "/media/2", adminToken, 404, "could not be copied: 40007 invalid media_id"},
		{"/api/v1/tickets/" + number + "/media/0", adminToken, 400, "n:"},
		{"/api/v1/tickets/" + number + "/media/one", adminToken, 400, "n:"},
		{"/api/v1/tickets/abc/media/1", adminToken, 400, "number:"},
	} {
		resp, body := get(tc.path, tc.token)
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != tc.code || !strings.Contains(e.Error.Message, tc.message) {
			t.Errorf("GET %s: %d %s, want %d with %q", tc.path, resp.StatusCode, body, tc.code, tc.message)
		}
	}

	// After an erasure the list says so and the copy is gone.
	if err := ms.EraseTicketMedia(ctx, []int64{rc.Ticket.ID}); err != nil {
		t.Fatal(err)
	}
	if resp, body := get("/api/v1/tickets/"+number+"/media/1", adminToken); resp.StatusCode != 404 || !strings.Contains(string(body), "erased") {
		t.Errorf("after erasure: %d %s", resp.StatusCode, body)
	}
}

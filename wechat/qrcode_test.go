package wechat_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

func TestPermanentQR(t *testing.T) {
	env := newClientEnv(t)
	c := env.client(t)
	ticket, codeURL, err := c.PermanentQR(context.Background(), "event:42")
	if err != nil {
		t.Fatalf("PermanentQR: %v", err)
	}
	if ticket != wechattest.QRTicket("event:42") || codeURL != wechattest.QRURL("event:42") {
		t.Errorf("got ticket %q url %q, want the fake's for event:42", ticket, codeURL)
	}
	reqs := env.fake.Requests(wechattest.PathQRCreate)
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	var body map[string]any
	if err := json.Unmarshal(reqs[0], &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"action_name": "QR_LIMIT_STR_SCENE",
		"action_info": map[string]any{"scene": map[string]any{"scene_str": "event:42"}},
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("request JSON mismatch (-want +got):\n%s", diff)
	}
	img := wechat.QRImageURL(ticket)
	if !strings.HasPrefix(img, "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=") || strings.ContainsAny(strings.TrimPrefix(img, "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket="), "+/=") {
		t.Errorf("QRImageURL(%q) = %q: want the showqrcode URL with the ticket escaped", ticket, img)
	}
}

func TestPermanentQRRefreshesRejectedToken(t *testing.T) {
	env := newClientEnv(t)
	c := env.client(t)
	if _, _, err := c.PermanentQR(context.Background(), "checkin:1"); err != nil {
		t.Fatal(err)
	}
	env.fake.ExpireTokens()
	if _, _, err := c.PermanentQR(context.Background(), "checkin:1"); err != nil {
		t.Fatalf("PermanentQR after the token expired: %v", err)
	}
	if got := env.fake.TokenFetches(); got != 2 {
		t.Errorf("token fetched %d times, want 2", got)
	}
}

func TestPermanentQRErrors(t *testing.T) {
	env := newClientEnv(t)
	c := env.client(t)
	for _, scene := range []string{"", strings.Repeat("x", wechat.MaxSceneLen+1)} {
		if _, _, err := c.PermanentQR(context.Background(), scene); !errors.Is(err, wechat.ErrInvalidRequest) {
			t.Errorf("PermanentQR(%d bytes) = %v, want ErrInvalidRequest", len(scene), err)
		}
	}
	env.fake.FailNext(wechattest.PathQRCreate, 45009, 1)
	_, _, err := c.PermanentQR(context.Background(), "event:1")
	var ae *wechat.APIError
	if !errors.As(err, &ae) || ae.Code != 45009 {
		t.Fatalf("PermanentQR with the quota used up = %v, want APIError 45009", err)
	}
	if strings.Contains(err.Error(), "access_token=") && !strings.Contains(err.Error(), "REDACTED") {
		t.Errorf("error leaks the token: %v", err)
	}
	if n := len(env.fake.QRCodes()); n != 0 {
		t.Errorf("fake made %d codes after a failure, want 0", n)
	}
}

func TestTempQR(t *testing.T) {
	env := newClientEnv(t)
	c := env.client(t)
	ticket, codeURL, err := c.TempQR(context.Background(), "login:abc", 2*time.Minute)
	if err != nil {
		t.Fatalf("TempQR: %v", err)
	}
	if ticket != wechattest.QRTicket("login:abc") || codeURL != wechattest.QRURL("login:abc") {
		t.Errorf("got ticket %q url %q, want the fake's for login:abc", ticket, codeURL)
	}
	reqs := env.fake.Requests(wechattest.PathQRCreate)
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	var body map[string]any
	if err := json.Unmarshal(reqs[0], &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"action_name":    "QR_STR_SCENE",
		"expire_seconds": float64(120),
		"action_info":    map[string]any{"scene": map[string]any{"scene_str": "login:abc"}},
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("request JSON mismatch (-want +got):\n%s", diff)
	}
	made := env.fake.QRCodes()
	if len(made) != 1 || !made[0].Temporary() || made[0].Scene != "login:abc" || made[0].ExpireSeconds != 120 {
		t.Errorf("fake recorded %+v, want one temporary code for login:abc living 120 s", made)
	}
}

func TestTempQRErrors(t *testing.T) {
	env := newClientEnv(t)
	c := env.client(t)
	for _, tc := range []struct {
		scene string
		ttl   time.Duration
	}{
		{"", time.Minute},
		{strings.Repeat("x", wechat.MaxSceneLen+1), time.Minute},
		{"login:1", 0},
		{"login:1", 500 * time.Millisecond},
		{"login:1", wechat.MaxTempQRTTL + time.Second},
	} {
		if _, _, err := c.TempQR(context.Background(), tc.scene, tc.ttl); !errors.Is(err, wechat.ErrInvalidRequest) {
			t.Errorf("TempQR(%d bytes, %v) = %v, want ErrInvalidRequest", len(tc.scene), tc.ttl, err)
		}
	}
	if n := env.fake.Hits(wechattest.PathQRCreate); n != 0 {
		t.Errorf("invalid requests reached WeChat %d times", n)
	}
	env.fake.FailNext(wechattest.PathQRCreate, 45009, 1)
	_, _, err := c.TempQR(context.Background(), "login:1", time.Minute)
	var ae *wechat.APIError
	if !errors.As(err, &ae) || ae.Code != 45009 {
		t.Fatalf("TempQR with the quota used up = %v, want APIError 45009", err)
	}
	// A rejected token is replaced and the call made once more.
	env.fake.ExpireTokens()
	if _, _, err := c.TempQR(context.Background(), "login:2", time.Minute); err != nil {
		t.Fatalf("TempQR after the token expired: %v", err)
	}
	if made := env.fake.QRCodes(); len(made) != 1 || made[0].Scene != "login:2" {
		t.Errorf("fake made %+v, want only login:2", made)
	}
}

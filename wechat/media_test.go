package wechat_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

func TestMediaDownloads(t *testing.T) {
	ctx := context.Background()
	env := newClientEnv(t)
	c := env.client(t)
	photo, voice := wechattest.JPEG(1), wechattest.AMR()
	env.fake.AddMedia("m-photo", "image/jpeg", photo)
	// WeChat labels files loosely; the bytes say what a voice message is.
	env.fake.AddMedia("m-voice", "application/octet-stream", voice)

	for _, tc := range []struct {
		id, ctype string
		body      []byte
	}{{"m-photo", "image/jpeg", photo}, {"m-voice", "audio/amr", voice}} {
		m, err := c.Media(ctx, tc.id)
		if err != nil {
			t.Fatalf("Media(%s): %v", tc.id, err)
		}
		if !bytes.Equal(m.Body, tc.body) || m.ContentType != tc.ctype {
			t.Errorf("Media(%s) = %d bytes of %s, want %d bytes of %s", tc.id, len(m.Body), m.ContentType, len(tc.body), tc.ctype)
		}
	}
	if n := env.fake.Count(wechattest.PathMediaGet); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}
}

func TestMediaErrors(t *testing.T) {
	ctx := context.Background()
	env := newClientEnv(t)
	c := env.client(t)
	env.fake.AddMedia("m1", "image/jpeg", wechattest.JPEG(1))

	// Expired: WeChat's errcode, given up on.
	_, err := c.Media(ctx, "expired")
	var ae *wechat.APIError
	if !errors.As(err, &ae) || ae.Code != 40007 {
		t.Fatalf("expired media = %v, want APIError 40007", err)
	}
	if a, r := wechat.Classify(err), wechat.Reason(err); a != wechat.ActionGiveUp || r != "40007 invalid media_id" {
		t.Errorf("expired media: %v %q, want give_up \"40007 invalid media_id\"", a, r)
	}

	// Busy: retried later.
	env.fake.FailNext(wechattest.PathMediaGet, -1, 1)
	if _, err := c.Media(ctx, "m1"); wechat.Classify(err) != wechat.ActionRetry {
		t.Errorf("busy: %v, want a retry", err)
	}

	// A rejected token is replaced and the download made once more.
	env.fake.ExpireTokens()
	if _, err := c.Media(ctx, "m1"); err != nil {
		t.Errorf("after the token expired: %v", err)
	}
	if n := env.fake.TokenFetches(); n != 2 {
		t.Errorf("TokenFetches = %d, want 2", n)
	}

	// Down: HTTP 503, retried; the token never shows in the error.
	env.fake.SetDown(true)
	_, err = c.Media(ctx, "m1")
	if a, r := wechat.Classify(err), wechat.Reason(err); a != wechat.ActionRetry || r != "HTTP 503" {
		t.Errorf("down: %v → %v %q", err, a, r)
	}
	if strings.Contains(err.Error(), "fake_") {
		t.Errorf("error leaks the token: %v", err)
	}
	env.fake.SetDown(false)

	// Nonsense ids never leave the process.
	before := env.fake.Hits(wechattest.PathMediaGet)
	for _, id := range []string{"", "a&b", "../x"} {
		if _, err := c.Media(ctx, id); !errors.Is(err, wechat.ErrInvalidRequest) {
			t.Errorf("Media(%q) = %v, want ErrInvalidRequest", id, err)
		}
	}
	if n := env.fake.Hits(wechattest.PathMediaGet); n != before {
		t.Errorf("%d requests for refused ids", n-before)
	}
}

func TestMediaRefusesVideoLinksAndHugeFiles(t *testing.T) {
	ctx := context.Background()
	env := newClientEnv(t)
	c := env.client(t)
	env.fake.AddMedia("video", "application/json", []byte(`{"video_url":"http://127.0.0.1/v.mp4"}`))
	env.fake.AddMedia("huge", "image/jpeg", make([]byte, wechat.MaxMediaSize+1))
	for _, id := range []string{"video", "huge"} {
		if _, err := c.Media(ctx, id); !errors.Is(err, wechat.ErrInvalidRequest) || wechat.Classify(err) != wechat.ActionGiveUp {
			t.Errorf("Media(%s) = %v, want a refusal to give up on", id, err)
		}
	}
}

func TestPicture(t *testing.T) {
	ctx := context.Background()
	env := newClientEnv(t)
	c := env.client(t)
	photo := wechattest.JPEG(2)
	u := env.fake.AddPicture("p1", "image/jpeg", photo)
	m, err := c.Picture(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Body, photo) || m.ContentType != "image/jpeg" {
		t.Errorf("Picture = %d bytes of %s", len(m.Body), m.ContentType)
	}

	// The CDN's statuses: 404 is gone for good, 502 worth another try.
	_, err = c.Picture(ctx, env.fake.URL()+wechattest.PathPicture+"gone")
	if a, r := wechat.Classify(err), wechat.Reason(err); a != wechat.ActionGiveUp || r != "HTTP 404" {
		t.Errorf("missing picture: %v → %v %q", err, a, r)
	}
	env.fake.FailNext(wechattest.PathPicture, http.StatusBadGateway, 1)
	if _, err := c.Picture(ctx, u); wechat.Classify(err) != wechat.ActionRetry {
		t.Errorf("502: %v, want a retry", err)
	}
}

func TestPictureFetchesOnlyFromWeChat(t *testing.T) {
	ctx := context.Background()
	env := newClientEnv(t)
	c := env.client(t)
	// Another server on loopback stands for anything on the server's own
	// network that a forged PicUrl could point at.
	var hit atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit.Store(true)
		_, _ = w.Write(wechattest.JPEG(3))
	}))
	t.Cleanup(other.Close)
	for _, u := range []string{other.URL + "/x.jpg", "file:///etc/passwd", "ftp://mmbiz.qpic.cn/x", "http://qpic.cn.example.com/x"} {
		if _, err := c.Picture(ctx, u); !errors.Is(err, wechat.ErrInvalidRequest) || wechat.Classify(err) != wechat.ActionGiveUp {
			t.Errorf("Picture(%s) = %v, want a refusal", u, err)
		}
	}

	// Nor through a redirect from the allowed host.
	redirect := httptest.NewServer(http.RedirectHandler(other.URL+"/x.jpg", http.StatusFound))
	t.Cleanup(redirect.Close)
	c2, err := wechat.NewClient(wechat.ClientConfig{AppID: wechattest.AppID, Secret: wechattest.Secret, APIBase: redirect.URL, Redis: env.rdb})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Picture(ctx, redirect.URL+"/mmbiz_jpg/p"); !errors.Is(err, wechat.ErrInvalidRequest) {
		t.Errorf("redirect elsewhere = %v, want a refusal", err)
	}
	if hit.Load() {
		t.Error("a server that is not WeChat was fetched from")
	}
}

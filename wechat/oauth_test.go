package wechat_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

// authorize follows the client's authorisation URL as WeChat's browser
// would, without following the redirect back, and returns the code and
// state the fake sent the browser back with.
func authorize(t *testing.T, c *wechat.Client, redirect, state string) (code, gotState string, back *url.URL) {
	t.Helper()
	u := c.AuthorizeURL(redirect, state)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(strings.TrimSuffix(u, "#wechat_redirect"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize %s: HTTP %d", u, resp.StatusCode)
	}
	back, err = url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return back.Query().Get("code"), back.Query().Get("state"), back
}

func TestOAuthOpenID(t *testing.T) {
	env := newClientEnv(t)
	c := env.client(t)
	env.fake.SetOAuthUser("o-resident-1")
	code, state, back := authorize(t, c, "http://tongxin.test/my/oauth?next=%2Fmy%2F", "s1&x")
	if state != "s1&x" || back.Host != "tongxin.test" || back.Path != "/my/oauth" || back.Query().Get("next") != "/my/" {
		t.Fatalf("sent back to %s (state %q)", back, state)
	}
	ctx := context.Background()
	openid, err := c.OAuthOpenID(ctx, code)
	if err != nil || openid != "o-resident-1" {
		t.Fatalf("OAuthOpenID = %q, %v; want o-resident-1", openid, err)
	}
	// A code is good once: WeChat answers 40163 the second time.
	var ae *wechat.APIError
	if _, err := c.OAuthOpenID(ctx, code); !errors.As(err, &ae) || ae.Code != wechat.CodeOAuthCodeUsed {
		t.Errorf("second exchange: %v, want errcode %d", err, wechat.CodeOAuthCodeUsed)
	}
	if _, err := c.OAuthOpenID(ctx, "made-up"); !errors.As(err, &ae) || ae.Code != wechat.CodeInvalidOAuthCode {
		t.Errorf("made-up code: %v, want errcode %d", err, wechat.CodeInvalidOAuthCode)
	}
	if _, err := c.OAuthOpenID(ctx, ""); !errors.Is(err, wechat.ErrInvalidRequest) {
		t.Errorf("no code: %v, want ErrInvalidRequest", err)
	}
	if got := env.fake.Count(wechattest.PathOAuthToken); got != 1 {
		t.Errorf("%d codes exchanged, want 1", got)
	}
	if got := env.fake.TokenFetches(); got != 0 {
		t.Errorf("the exchange fetched %d access_tokens; it needs none", got)
	}
}

// TestOAuthOpenIDErrors: the fake's refusals arrive as *APIError, and an
// unreachable API as an error that does not show the secret.
func TestOAuthOpenIDErrors(t *testing.T) {
	env := newClientEnv(t)
	c := env.client(t)
	env.fake.SetOAuthUser("o-resident-2")
	code, _, _ := authorize(t, c, "http://tongxin.test/my/oauth", "s")
	env.fake.FailNext(wechattest.PathOAuthToken, -1, 1)
	var ae *wechat.APIError
	if _, err := c.OAuthOpenID(context.Background(), code); !errors.As(err, &ae) || ae.Code != -1 {
		t.Errorf("busy: %v, want errcode -1", err)
	}
	env.fake.SetDown(true)
	_, err := c.OAuthOpenID(context.Background(), code)
	if err == nil || strings.Contains(err.Error(), wechattest.Secret) {
		t.Errorf("down: %v, want an error without the secret", err)
	}
	env.fake.SetDown(false)
	if openid, err := c.OAuthOpenID(context.Background(), code); err != nil || openid != "o-resident-2" {
		t.Errorf("after the outage: %q, %v", openid, err)
	}
}

// TestAuthorizeURL: WeChat's own page with the real API; the fake's with
// another base. Without a resident chosen the fake refuses, as WeChat
// does outside its browser.
func TestAuthorizeURL(t *testing.T) {
	env := newClientEnv(t)
	fakeClient := env.client(t)
	got := fakeClient.AuthorizeURL("https://tongxin.example.org/my/oauth?next=/my/tickets/1", "abc")
	want := env.fake.URL() + "/connect/oauth2/authorize?appid=" + wechattest.AppID +
		"&redirect_uri=https%3A%2F%2Ftongxin.example.org%2Fmy%2Foauth%3Fnext%3D%2Fmy%2Ftickets%2F1" +
		"&response_type=code&scope=snsapi_base&state=abc#wechat_redirect"
	if got != want {
		t.Errorf("with the fake:\n got %s\nwant %s", got, want)
	}
	resp, err := http.Get(strings.TrimSuffix(got, "#wechat_redirect"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("no resident chosen: HTTP %d, want 403", resp.StatusCode)
	}

	real, err := wechat.NewClient(wechat.ClientConfig{AppID: wechattest.AppID, Secret: wechattest.Secret, Redis: env.rdb})
	if err != nil {
		t.Fatal(err)
	}
	// NewClient points the whole process at its base: back to the fake.
	t.Cleanup(func() { env.client(t) })
	got = real.AuthorizeURL("https://tongxin.example.org/my/oauth", "abc")
	want = "https://open.weixin.qq.com/connect/oauth2/authorize?appid=" + wechattest.AppID +
		"&redirect_uri=https%3A%2F%2Ftongxin.example.org%2Fmy%2Foauth&response_type=code&scope=snsapi_base&state=abc#wechat_redirect"
	if got != want {
		t.Errorf("with WeChat:\n got %s\nwant %s", got, want)
	}
}

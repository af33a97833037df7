package wechat_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

// The API base is process-wide, so these tests must not run in parallel.

type clientEnv struct {
	fake *wechattest.FakeAPI
	mr   *miniredis.Miniredis
	rdb  *redis.Client
}

func newClientEnv(t *testing.T) *clientEnv {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return &clientEnv{fake: wechattest.NewFakeAPI(t), mr: mr, rdb: rdb}
}

func (e *clientEnv) client(t *testing.T) *wechat.Client {
	t.Helper()
	c, err := wechat.NewClient(wechat.ClientConfig{
		AppID:   wechattest.AppID,
		Secret:  wechattest.Secret,
		APIBase: e.fake.URL(),
		Redis:   e.rdb,
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func TestSendTextJSON(t *testing.T) {
	env := newClientEnv(t)
	c := env.client(t)
	if err := c.SendText(context.Background(), "oResident1", "您的报修已受理 <3号楼> & \"急\""); err != nil {
		t.Fatalf("SendText: %v", err)
	}
	reqs := env.fake.Requests(wechattest.PathCustomSend)
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	want := `{"touser":"oResident1","msgtype":"text","text":{"content":"您的报修已受理 <3号楼> & \"急\""}}`
	if diff := cmp.Diff(want, string(reqs[0])); diff != "" {
		t.Errorf("request JSON mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]wechattest.CustomText{{ToUser: "oResident1", Content: "您的报修已受理 <3号楼> & \"急\""}}, env.fake.CustomTexts()); diff != "" {
		t.Errorf("CustomTexts mismatch (-want +got):\n%s", diff)
	}
	if n := env.fake.TokenFetches(); n != 1 {
		t.Errorf("TokenFetches = %d, want 1", n)
	}
	// The token lives in Redis with WeChat's lifetime minus the margin.
	key := "tongxin:wechat:access_token:" + wechattest.AppID
	if ttl := env.mr.TTL(key); ttl.Seconds() != 7200-300 {
		t.Errorf("token TTL = %v, want 6900s", ttl)
	}
}

func TestSendTextRefreshesRejectedToken(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		reject func(f *wechattest.FakeAPI)
	}{
		{"tokens expired (40001)", func(f *wechattest.FakeAPI) { f.ExpireTokens() }},
		{"injected 40001", func(f *wechattest.FakeAPI) { f.FailNext(wechattest.PathCustomSend, 40001, 1) }},
		{"injected 42001", func(f *wechattest.FakeAPI) { f.FailNext(wechattest.PathCustomSend, 42001, 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newClientEnv(t)
			c := env.client(t)
			if err := c.SendText(ctx, "o1", "first"); err != nil {
				t.Fatal(err)
			}
			tc.reject(env.fake)
			if err := c.SendText(ctx, "o1", "second"); err != nil {
				t.Fatalf("SendText after rejection: %v", err)
			}
			if err := c.SendText(ctx, "o1", "third"); err != nil {
				t.Fatal(err)
			}
			if n := env.fake.TokenFetches(); n != 2 {
				t.Errorf("TokenFetches = %d, want 2 (one refresh)", n)
			}
			want := []wechattest.CustomText{{ToUser: "o1", Content: "first"}, {ToUser: "o1", Content: "second"}, {ToUser: "o1", Content: "third"}}
			if diff := cmp.Diff(want, env.fake.CustomTexts()); diff != "" {
				t.Errorf("CustomTexts mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSendTextRetriesOnlyOnce(t *testing.T) {
	env := newClientEnv(t)
	c := env.client(t)
	env.fake.FailNext(wechattest.PathCustomSend, 40001, 2)
	err := c.SendText(context.Background(), "o1", "x")
	var ae *wechat.APIError
	if !errors.As(err, &ae) || ae.Code != wechat.CodeInvalidToken || !ae.TokenInvalid() {
		t.Fatalf("SendText = %v, want APIError 40001", err)
	}
	if n := env.fake.TokenFetches(); n != 2 {
		t.Errorf("TokenFetches = %d, want 2", n)
	}
	if n := len(env.fake.CustomTexts()); n != 0 {
		t.Errorf("%d texts delivered, want 0", n)
	}
}

func TestAPIErrorClassification(t *testing.T) {
	ctx := context.Background()
	for _, code := range []int{wechat.CodeOutOfWindow, wechat.CodeQuotaExceeded, wechat.CodeSystemBusy} {
		env := newClientEnv(t)
		c := env.client(t)
		env.fake.FailNext(wechattest.PathCustomSend, code, 1)
		err := c.SendText(ctx, "o1", "x")
		var ae *wechat.APIError
		if !errors.As(err, &ae) || ae.Code != code || ae.TokenInvalid() {
			t.Errorf("errcode %d: SendText = %v", code, err)
		}
		if n := env.fake.TokenFetches(); n != 1 {
			t.Errorf("errcode %d: TokenFetches = %d, want 1 (no refresh)", code, n)
		}
		if err := c.SendText(ctx, "o1", "y"); err != nil {
			t.Errorf("errcode %d: next send: %v", code, err)
		}
	}

	// The menu endpoint reports errors another way inside the SDK.
	env := newClientEnv(t)
	c := env.client(t)
	env.fake.FailNext(wechattest.PathMenuCreate, 65303, 1)
	err := c.PushMenu(ctx, []wechat.MenuButton{{Type: "click", Name: "报修", Key: "REPAIR"}})
	var ae *wechat.APIError
	if !errors.As(err, &ae) || ae.Code != 65303 {
		t.Errorf("PushMenu = %v, want APIError 65303", err)
	}

	// So does the token endpoint.
	env.fake.SetCredentials(wechattest.AppID, "another-secret")
	if err := c.InvalidateToken(ctx); err != nil {
		t.Fatal(err)
	}
	err = c.SendText(ctx, "o1", "x")
	if !errors.As(err, &ae) || ae.Code != 40001 {
		t.Errorf("SendText with a wrong secret = %v, want APIError 40001", err)
	}
	if strings.Contains(err.Error(), wechattest.Secret) || strings.Contains(err.Error(), "secret=") {
		t.Errorf("error leaks the secret: %v", err)
	}
}

func TestTokenSharedByClients(t *testing.T) {
	ctx := context.Background()
	env := newClientEnv(t)
	a, b := env.client(t), env.client(t)
	if err := a.SendText(ctx, "o1", "from a"); err != nil {
		t.Fatal(err)
	}
	if err := b.SendText(ctx, "o2", "from b"); err != nil {
		t.Fatal(err)
	}
	if n := env.fake.TokenFetches(); n != 1 {
		t.Errorf("TokenFetches = %d, want 1", n)
	}
	ta, err := a.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.AccessToken(ctx)
	if err != nil || ta != tb {
		t.Errorf("tokens differ: %q vs %q (%v)", ta, tb, err)
	}

	// Invalidation by one is seen by the other.
	if err := a.InvalidateToken(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.SendText(ctx, "o2", "after invalidation"); err != nil {
		t.Fatal(err)
	}
	if n := env.fake.TokenFetches(); n != 2 {
		t.Errorf("TokenFetches after invalidation = %d, want 2", n)
	}
}

func TestTokenSharedByConcurrentClients(t *testing.T) {
	ctx := context.Background()
	env := newClientEnv(t)
	clients := []*wechat.Client{env.client(t), env.client(t)}
	const perClient = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, 2*perClient)
	for _, c := range clients {
		for range perClient {
			wg.Go(func() {
				<-start
				errs <- c.SendText(ctx, "o1", "concurrent")
			})
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("SendText: %v", err)
		}
	}
	if n := env.fake.TokenFetches(); n != 1 {
		t.Errorf("TokenFetches = %d, want 1", n)
	}
	if n := len(env.fake.CustomTexts()); n != 2*perClient {
		t.Errorf("%d texts delivered, want %d", n, 2*perClient)
	}
}

func TestPushMenuJSON(t *testing.T) {
	env := newClientEnv(t)
	c := env.client(t)
	err := c.PushMenu(context.Background(), []wechat.MenuButton{
		{Type: "click", Name: "我要报修", Key: "MENU_REPAIR"},
		{Name: "社区服务", Sub: []wechat.MenuButton{
			{Type: "click", Name: "活动报名", Key: "MENU_EVENTS"},
			{Type: "view", Name: "法律诊所", URL: "https://example.org/clinic?a=1&b=2"},
		}},
	})
	if err != nil {
		t.Fatalf("PushMenu: %v", err)
	}
	reqs := env.fake.Requests(wechattest.PathMenuCreate)
	if len(reqs) != 1 {
		t.Fatalf("got %d menu requests, want 1", len(reqs))
	}
	want := `{"button":[{"type":"click","name":"我要报修","key":"MENU_REPAIR"},` +
		`{"name":"社区服务","sub_button":[{"type":"click","name":"活动报名","key":"MENU_EVENTS"},` +
		`{"type":"view","name":"法律诊所","url":"https://example.org/clinic?a=1&b=2"}]}]}`
	if diff := cmp.Diff(want, string(reqs[0])); diff != "" {
		t.Errorf("menu JSON mismatch (-want +got):\n%s", diff)
	}
}

func TestClientRejectsBadInput(t *testing.T) {
	env := newClientEnv(t)
	for name, cfg := range map[string]wechat.ClientConfig{
		"no appid":  {Secret: "s", Redis: env.rdb},
		"no secret": {AppID: "a", Redis: env.rdb},
		"no redis":  {AppID: "a", Secret: "s"},
		"bad base":  {AppID: "a", Secret: "s", Redis: env.rdb, APIBase: "ftp://x"},
	} {
		if _, err := wechat.NewClient(cfg); err == nil {
			t.Errorf("%s: NewClient succeeded", name)
		}
	}
	c := env.client(t)
	ctx := context.Background()
	if err := c.SendText(ctx, "", "x"); err == nil {
		t.Error("SendText without openid succeeded")
	}
	if err := c.PushMenu(ctx, nil); err == nil {
		t.Error("PushMenu without buttons succeeded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.SendText(cancelled, "o1", "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("SendText with a cancelled context = %v", err)
	}
	if n := env.fake.TokenFetches(); n != 0 {
		t.Errorf("TokenFetches = %d, want 0", n)
	}
}

func TestRedisDown(t *testing.T) {
	env := newClientEnv(t)
	// No retries: go-redis would otherwise back off for seconds.
	env.rdb = redis.NewClient(&redis.Options{Addr: env.mr.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = env.rdb.Close() })
	c := env.client(t)
	env.mr.Close()
	if err := c.SendText(context.Background(), "o1", "x"); err == nil {
		t.Fatal("SendText with Redis down succeeded")
	}
	if n := env.fake.TokenFetches(); n != 0 {
		t.Errorf("TokenFetches = %d, want 0: without Redis no instance may refresh on its own", n)
	}
}

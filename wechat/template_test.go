package wechat_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

var repairDone = wechat.Template{
	ToUser:      "oResident1",
	TemplateID:  "TPL_REPAIR_DONE",
	URL:         "https://tongxin.example.org/r/42?a=1&b=2",
	Data:        map[string]string{"thing1": "3号楼2单元 水管漏水", "time2": "2025-03-01 09:30", "phrase3": "已完成"},
	ClientMsgID: "ntf-42-oResident1",
}

func TestSendTemplateJSON(t *testing.T) {
	env := newClientEnv(t)
	c := env.client(t)
	id, err := c.SendTemplate(context.Background(), repairDone)
	if err != nil {
		t.Fatalf("SendTemplate: %v", err)
	}
	if id != 1001 {
		t.Errorf("msgid = %d, want 1001", id)
	}
	reqs := env.fake.Requests(wechattest.PathTemplate)
	if len(reqs) != 1 {
		t.Fatalf("got %d template requests, want 1", len(reqs))
	}
	// The SDK's TemplateMessage has no omitempty on miniprogram, so an
	// empty one is always sent.
	want := `{"touser":"oResident1","template_id":"TPL_REPAIR_DONE","url":"https://tongxin.example.org/r/42?a=1&b=2",` +
		`"data":{"phrase3":{"value":"已完成"},"thing1":{"value":"3号楼2单元 水管漏水"},"time2":{"value":"2025-03-01 09:30"}},` +
		`"client_msg_id":"ntf-42-oResident1","miniprogram":{"appid":"","pagepath":""}}`
	if diff := cmp.Diff(want, string(reqs[0])); diff != "" {
		t.Errorf("template JSON mismatch (-want +got):\n%s", diff)
	}
	wantSends := []wechattest.TemplateSend{{
		ToUser: "oResident1", TemplateID: "TPL_REPAIR_DONE", URL: repairDone.URL,
		ClientMsgID: "ntf-42-oResident1", Data: repairDone.Data,
	}}
	if diff := cmp.Diff(wantSends, env.fake.TemplateSends()); diff != "" {
		t.Errorf("TemplateSends mismatch (-want +got):\n%s", diff)
	}

	// Without URL, client_msg_id or data those keys are omitted or empty,
	// never null.
	if _, err := c.SendTemplate(context.Background(), wechat.Template{ToUser: "o2", TemplateID: "T"}); err != nil {
		t.Fatal(err)
	}
	reqs = env.fake.Requests(wechattest.PathTemplate)
	if got := string(reqs[1]); got != `{"touser":"o2","template_id":"T","data":{},"miniprogram":{"appid":"","pagepath":""}}` {
		t.Errorf("minimal template JSON = %s", got)
	}
}

func TestSendTemplateRefreshesRejectedToken(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		reject func(f *wechattest.FakeAPI)
	}{
		{"tokens expired", func(f *wechattest.FakeAPI) { f.ExpireTokens() }},
		{"injected 40001", func(f *wechattest.FakeAPI) { f.FailNext(wechattest.PathTemplate, 40001, 1) }},
		{"injected 42001", func(f *wechattest.FakeAPI) { f.FailNext(wechattest.PathTemplate, 42001, 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newClientEnv(t)
			c := env.client(t)
			if _, err := c.SendTemplate(ctx, wechat.Template{ToUser: "o1", TemplateID: "T", ClientMsgID: "a"}); err != nil {
				t.Fatal(err)
			}
			tc.reject(env.fake)
			id, err := c.SendTemplate(ctx, wechat.Template{ToUser: "o1", TemplateID: "T", ClientMsgID: "b"})
			if err != nil {
				t.Fatalf("SendTemplate after rejection: %v", err)
			}
			if id != 1002 {
				t.Errorf("msgid = %d, want 1002", id)
			}
			if n := env.fake.TokenFetches(); n != 2 {
				t.Errorf("TokenFetches = %d, want 2 (one refresh)", n)
			}
			if n := env.fake.Count(wechattest.PathTemplate); n != 2 {
				t.Errorf("Count = %d, want 2", n)
			}
		})
	}
}

func TestSendTemplateDeduplicatedByWeChat(t *testing.T) {
	ctx := context.Background()
	env := newClientEnv(t)
	c := env.client(t)
	first, err := c.SendTemplate(ctx, repairDone)
	if err != nil {
		t.Fatal(err)
	}
	// A retry after a crash mid-send: WeChat answers like the first time.
	again, err := c.SendTemplate(ctx, repairDone)
	if err != nil || again != first {
		t.Fatalf("repeat = %d, %v; want %d, nil", again, err, first)
	}
	if n := env.fake.Count(wechattest.PathTemplate); n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
	if n := len(env.fake.TemplateSends()); n != 1 {
		t.Errorf("%d template messages delivered, want 1", n)
	}
}

func TestSendTemplateRejectsBadInput(t *testing.T) {
	env := newClientEnv(t)
	c := env.client(t)
	for _, tpl := range []wechat.Template{{TemplateID: "T"}, {ToUser: "o1"}} {
		_, err := c.SendTemplate(context.Background(), tpl)
		if !errors.Is(err, wechat.ErrInvalidRequest) || wechat.Classify(err) != wechat.ActionGiveUp {
			t.Errorf("SendTemplate(%+v) = %v, want ErrInvalidRequest", tpl, err)
		}
	}
	if n := env.fake.TokenFetches(); n != 0 {
		t.Errorf("TokenFetches = %d, want 0", n)
	}
}

// TestClassifyClientErrors runs Classify over errors the real client
// produces against the fake, so that a change in the SDK's error format
// shows up here.
func TestClassifyClientErrors(t *testing.T) {
	tpl := wechat.Template{ToUser: "o1", TemplateID: "T", Data: map[string]string{"thing1": "x"}}
	type result struct {
		Action wechat.Action
		Reason string
	}
	tests := []struct {
		name  string
		setup func(*wechattest.FakeAPI)
		send  func(context.Context, *wechat.Client) error
		want  result
	}{
		{"ok", nil, nil, result{wechat.ActionNone, ""}},
		{"-1 busy", failTemplate(-1), nil, result{wechat.ActionRetry, "-1 system error"}},
		{"45009 frequency", failTemplate(45009), nil, result{wechat.ActionRetry, "45009 reach max api daily quota limit"}},
		{"45015 window", failTemplate(45015), nil, result{wechat.ActionFallback, "45015 response out of time limit or subscription is canceled"}},
		{"45047 quota", failTemplate(45047), nil, result{wechat.ActionFallback, "45047 out of response count limit"}},
		{"43004 unsubscribed", failTemplate(43004), nil, result{wechat.ActionGiveUp, "43004 require subscribe"}},
		{"40003 openid", failTemplate(40003), nil, result{wechat.ActionGiveUp, "40003 invalid openid"}},
		{"40037 template", failTemplate(40037), nil, result{wechat.ActionGiveUp, "40037 invalid template_id"}},
		{"47003 argument", failTemplate(47003), nil, result{wechat.ActionGiveUp, "47003 argument invalid! data.thing1.value invalid"}},
		{"unknown code", failTemplate(61234), nil, result{wechat.ActionGiveUp, "61234 injected fault 61234"}},
		{"token rejected twice", func(f *wechattest.FakeAPI) { f.FailNext(wechattest.PathTemplate, 40001, 2) }, nil,
			result{wechat.ActionRefresh, "40001 invalid credential, access_token is invalid or not latest"}},
		{"wrong secret", func(f *wechattest.FakeAPI) { f.SetCredentials(wechattest.AppID, "rotated") }, nil,
			result{wechat.ActionRetry, "access_token: 40001 invalid credential, access_token is invalid or not latest"}},
		{"token endpoint busy", func(f *wechattest.FakeAPI) { f.FailNext(wechattest.PathToken, -1, 1) }, nil,
			result{wechat.ActionRetry, "access_token: -1 system error"}},
		{"customer service 45015", func(f *wechattest.FakeAPI) { f.FailNext(wechattest.PathCustomSend, 45015, 1) },
			func(ctx context.Context, c *wechat.Client) error { return c.SendText(ctx, "o1", "hi") },
			result{wechat.ActionFallback, "45015 response out of time limit or subscription is canceled"}},
		{"down", func(f *wechattest.FakeAPI) { f.SetDown(true) }, nil, result{wechat.ActionRetry, "access_token: HTTP 503"}},
		{"context deadline", nil, func(ctx context.Context, c *wechat.Client) error {
			ctx, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
			defer cancel()
			_, err := c.SendTemplate(ctx, tpl)
			return err
		}, result{wechat.ActionRetry, "timeout"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			env := newClientEnv(t)
			c := env.client(t)
			if tc.setup != nil {
				tc.setup(env.fake)
			}
			send := tc.send
			if send == nil {
				send = func(ctx context.Context, c *wechat.Client) error { _, err := c.SendTemplate(ctx, tpl); return err }
			}
			err := send(ctx, c)
			got := result{wechat.Classify(err), wechat.Reason(err)}
			if got != tc.want {
				t.Errorf("err %v: got %+v, want %+v", err, got, tc.want)
			}
			if err != nil && (strings.Contains(err.Error(), "fake_") || strings.Contains(err.Error(), wechattest.Secret)) {
				t.Errorf("error leaks a credential: %v", err)
			}
		})
	}
}

func failTemplate(code int) func(*wechattest.FakeAPI) {
	return func(f *wechattest.FakeAPI) { f.FailNext(wechattest.PathTemplate, code, 1) }
}

func TestClassifyWhileDownWithCachedToken(t *testing.T) {
	ctx := context.Background()
	env := newClientEnv(t)
	c := env.client(t)
	tpl := wechat.Template{ToUser: "o1", TemplateID: "T", ClientMsgID: "k1"}
	if _, err := c.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	env.fake.SetDown(true)
	for range 3 {
		_, err := c.SendTemplate(ctx, tpl)
		if a, r := wechat.Classify(err), wechat.Reason(err); a != wechat.ActionRetry || r != "HTTP 503" {
			t.Fatalf("while down: %v → %v %q", err, a, r)
		}
	}
	env.fake.SetDown(false)
	if _, err := c.SendTemplate(ctx, tpl); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if n := env.fake.Count(wechattest.PathTemplate); n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
}

func TestClassifyTimeoutAndRefused(t *testing.T) {
	ctx := context.Background()
	env := newClientEnv(t)
	c, err := wechat.NewClient(wechat.ClientConfig{
		AppID: wechattest.AppID, Secret: wechattest.Secret, APIBase: env.fake.URL(), Redis: env.rdb,
		Timeout: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	env.fake.SetDelay(time.Second)
	_, err = c.SendTemplate(ctx, wechat.Template{ToUser: "o1", TemplateID: "T"})
	if a, r := wechat.Classify(err), wechat.Reason(err); a != wechat.ActionRetry || r != "access_token: timeout" {
		t.Errorf("slow API: %v → %v %q", err, a, r)
	}
	env.fake.SetDelay(0)

	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	c, err = wechat.NewClient(wechat.ClientConfig{
		AppID: wechattest.AppID, Secret: wechattest.Secret, APIBase: "http://" + addr, Redis: env.rdb,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SendTemplate(ctx, wechat.Template{ToUser: "o1", TemplateID: "T"})
	if a, r := wechat.Classify(err), wechat.Reason(err); a != wechat.ActionRetry || r != "access_token: connection refused" {
		t.Errorf("refused: %v → %v %q", err, a, r)
	}
}

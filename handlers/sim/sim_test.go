package sim_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/handlers"
	"github.com/tongxin/tongxin/handlers/sim"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/wechat"
)

const (
	appID  = "wx0123456789simtest"
	token  = "tongxinsimtest"
	aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// clock is the simulator's and the inbox's time, moved by the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type rig struct {
	url   string
	sim   *sim.Simulator
	inbox *notify.Inbox
	clock *clock
	rdb   *redis.Client
	// signedIn are the openids SignIn was called for.
	mu       sync.Mutex
	signedIn []string
}

// newRig serves the simulator beside a real webhook in safe mode, whose
// bot echoes what it is sent, as serve mounts them: the simulator posts
// to the webhook over loopback HTTP.
func newRig(t *testing.T, simOnly bool) *rig {
	t.Helper()
	rdb, prefix, _ := redistest.New(t)
	codec, err := wechat.NewCodec(appID, token, aesKey, wechat.ModeSafe)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	metrics := handlers.NewMetrics()
	echo := bot.HandlerFunc(func(_ context.Context, m *bot.Message) (bot.Reply, error) {
		switch {
		case m.Kind == bot.KindEvent:
			return bot.Text("事件 " + string(m.Event) + " " + m.EventKey), nil
		case m.Text == "链接":
			return bot.Text(bot.LinkText("我的", "/my/") + "\n" + bot.LinkText("指南", "https://example.org/guide?a=1&b=2")), nil
		}
		return bot.Text("收到：" + m.Text), nil
	})
	wh := &handlers.Webhook{
		Codec: codec, Bot: echo, Metrics: metrics, Logger: log, Deadline: 4 * time.Second,
		Gate: &redisstate.Gate{Client: rdb, Sessions: &redisstate.Sessions{Client: rdb, Prefix: prefix}, Window: time.Minute},
	}
	c := &clock{now: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)}
	r := &rig{clock: c, rdb: rdb}
	r.inbox = &notify.Inbox{Redis: rdb, Prefix: prefix, Now: c.Now}
	r.sim = &sim.Simulator{
		Wire: &wechat.Simulator{AppID: appID, Token: token, AESKey: aesKey, Mode: wechat.ModeSafe},
		Menu: []wechat.MenuButton{
			{Type: "click", Name: "报修/诉求", Key: "REPORT"},
			{Type: "view", Name: "公告", URL: "https://example.org/notice"},
			{Name: "更多", Sub: []wechat.MenuButton{{Type: "click", Name: "我的信息", Key: "MY"}, {Type: "view", Name: "我的", URL: "https://tongxin.example.org/my/"}}},
		},
		Inbox: r.inbox, Redis: rdb, KeyPrefix: prefix, SimOnly: simOnly,
		PublicURL: "https://tongxin.example.org",
		SignIn: func(w http.ResponseWriter, _ *http.Request, openid string) error {
			r.mu.Lock()
			r.signedIn = append(r.signedIn, openid)
			r.mu.Unlock()
			return nil
		},
		Logger: log,
		Now:    c.Now,
	}
	h := r.sim.Handler()
	srv := httptest.NewServer((&handlers.Server{Webhook: wh, Metrics: metrics, Logger: log,
		Pages: map[string]http.Handler{sim.Path: h, sim.Path + "/": h}}).Handler())
	t.Cleanup(srv.Close)
	r.url = srv.URL
	r.sim.Wire.URL = srv.URL + "/wechat"
	return r
}

var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (r *rig) get(t *testing.T, path string) (int, string, string) {
	t.Helper()
	resp, err := client.Get(r.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func (r *rig) post(t *testing.T, form url.Values, fragment bool) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", r.url+"/sim/send", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if fragment {
		req.Header.Set("X-Sim-Fragment", "1")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// inOrder reports whether each of want appears in s after the one before.
func inOrder(s string, want ...string) bool {
	at := 0
	for _, w := range want {
		i := strings.Index(s[at:], w)
		if i < 0 {
			return false
		}
		at += i + len(w)
	}
	return true
}

// TestSendGoesThroughTheWebhook: what the resident types reaches the bot
// through the signed, encrypted webhook and its answer comes back; a
// simulator holding the wrong token is refused by the webhook's
// signature check, and the thread says so.
func TestSendGoesThroughTheWebhook(t *testing.T) {
	r := newRig(t, false)
	status, _, thread := r.post(t, url.Values{"openid": {"sim-a"}, "text": {"你好"}}, true)
	if status != http.StatusOK || !inOrder(thread, `sim-out">你好`, `sim-in">收到：你好`) {
		t.Fatalf("send: %d\n%s", status, thread)
	}
	status, loc, _ := r.post(t, url.Values{"openid": {"sim-a"}, "key": {"MY"}}, false)
	if status != http.StatusSeeOther || loc != "/sim?openid=sim-a" {
		t.Fatalf("plain form: %d → %q", status, loc)
	}
	_, _, page := r.get(t, loc)
	if !inOrder(page, "收到：你好", "点击菜单「我的信息」", "事件 CLICK MY") {
		t.Errorf("the page after a menu tap lacks the CLICK and its answer:\n%s", page)
	}
	if status, loc, _ := r.get(t, "/sim?openid=sim-a&scan=login:abc"); status != http.StatusSeeOther || loc != "/sim?openid=sim-a" {
		t.Fatalf("?scan=: %d → %q", status, loc)
	}
	if _, _, thread = r.get(t, "/sim/thread?openid=sim-a"); !inOrder(thread, "扫描了二维码（login:abc）", "事件 SCAN login:abc") {
		t.Errorf("?scan= did not send a SCAN with its EventKey:\n%s", thread)
	}

	r.sim.Wire.Token = "not-the-token"
	_, _, thread = r.post(t, url.Values{"openid": {"sim-a"}, "text": {"伪造"}}, true)
	if !strings.Contains(thread, "公众号拒绝了这条消息（HTTP 403）") || strings.Contains(thread, "收到：伪造") {
		t.Errorf("a message signed with the wrong token:\n%s", thread)
	}
}

// TestThreadShowsPushesAsWeChatDoes: the pushes a resident receives sit
// in the thread by time among the replies; a template message is a card
// with its fields and 详情 (opening the resident page as them), a text
// keeps its links and nothing of it is markup.
func TestThreadShowsPushesAsWeChatDoes(t *testing.T) {
	r := newRig(t, false)
	ctx := context.Background()
	const who = "sim-card"
	r.post(t, url.Values{"openid": {who}, "text": {"第一句"}}, true)
	r.clock.add(time.Minute)
	if err := r.inbox.Record(ctx, who, notify.Push{Kind: "ticket_accepted", As: notify.PushTemplate,
		URL:    "https://tongxin.example.org/my/tickets/2612010001",
		Fields: map[string]string{"title": "维修报修", "number": "2612010001", "status": "已受理", "zz": "其他"}}); err != nil {
		t.Fatal(err)
	}
	r.clock.add(time.Minute)
	if err := r.inbox.Record(ctx, who, notify.Push{Kind: "note", As: notify.PushText,
		Text: `<script>alert(1)</script>` + bot.LinkText("查看", "https://example.org/x?a=1&b=2")}); err != nil {
		t.Fatal(err)
	}
	r.clock.add(5 * time.Minute)
	_, _, thread := r.post(t, url.Values{"openid": {who}, "text": {"第二句"}}, true)
	open := "/sim/open?openid=" + who + "&amp;to=%2Fmy%2Ftickets%2F2612010001"
	if !inOrder(thread, "第一句", "收到：第一句", `<h3>维修报修</h3>`, "<dt>编号</dt><dd>2612010001</dd>", "<dt>状态</dt><dd>已受理</dd>",
		"<dt>zz</dt><dd>其他</dd>", `href="`+open+`"`, ">详情</a>",
		"&lt;script&gt;alert(1)&lt;/script&gt;", `<a href="https://example.org/x?a=1&amp;b=2" target="_blank" rel="noopener">点击打开</a>`,
		"2026-12-01 10:07", "第二句", "收到：第二句") {
		t.Errorf("thread out of order or not as WeChat shows it:\n%s", thread)
	}
	if strings.Contains(thread, "<script>") {
		t.Errorf("a push's markup reached the page:\n%s", thread)
	}
	// The bot's own links: a resident page opens as the resident.
	_, _, thread = r.post(t, url.Values{"openid": {who}, "text": {"链接"}}, true)
	if !strings.Contains(thread, `<a href="/sim/open?openid=sim-card&amp;to=%2Fmy%2F" target="_blank" rel="noopener">点击打开</a>`) ||
		!strings.Contains(thread, `<a href="https://example.org/guide?a=1&amp;b=2"`) {
		t.Errorf("links in a reply:\n%s", thread)
	}
}

// TestPageShowsTheMenu: the account's menu as published: click buttons
// post their key, a sub-menu opens, a page of tongxin opens as the
// resident and another site's as it is.
func TestPageShowsTheMenu(t *testing.T) {
	r := newRig(t, false)
	status, _, page := r.get(t, "/sim?openid=sim-menu")
	if status != http.StatusOK {
		t.Fatalf("GET /sim: %d", status)
	}
	for _, want := range []string{
		`<button type="submit" name="key" value="REPORT">报修/诉求</button>`,
		`<a class="button" href="https://example.org/notice"`,
		`<summary>更多</summary>`, `value="MY">我的信息</button>`,
		`href="/sim/open?openid=sim-menu&amp;to=%2Fmy%2F"`,
		`<label for="sim-text"`, `<label for="sim-openid"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if status, loc, _ := r.get(t, "/sim?openid=new"); status != http.StatusSeeOther || !strings.HasPrefix(loc, "/sim?openid=sim-") {
		t.Errorf("a new resident: %d → %q", status, loc)
	}
	if status, _, _ := r.get(t, "/sim?openid=bad%20id"); status != http.StatusBadRequest {
		t.Errorf("an openid with a space: %d, want 400", status)
	}
}

// TestOpenOnlyForSimulatorOpenIDs: with real credentials (SimOnly) a
// template card's page opens only as a simulator's openid, and only a
// resident page.
func TestOpenOnlyForSimulatorOpenIDs(t *testing.T) {
	r := newRig(t, true)
	if status, loc, _ := r.get(t, "/sim/open?openid=o-real&to=%2Fmy%2F"); status != http.StatusForbidden || loc != "" {
		t.Errorf("a real openid: %d → %q, want 403", status, loc)
	}
	if status, _, _ := r.post(t, url.Values{"openid": {"o-real"}, "text": {"你好"}}, true); status != http.StatusBadRequest {
		t.Errorf("speaking as a real openid: %d, want 400", status)
	}
	for _, to := range []string{"/console", "https://evil.example/my/", "//evil.example/my/",
		"/my/../\\evil.example", "/my/..//evil.example", "/my/%2e%2e/console", "/my/\tx", "/my//evil.example"} {
		if status, _, _ := r.get(t, "/sim/open?openid=sim-a&to="+url.QueryEscape(to)); status != http.StatusBadRequest {
			t.Errorf("to %s: %d, want 400", to, status)
		}
	}
	if len(r.signedIn) != 0 {
		t.Fatalf("signed in for a refused request: %v", r.signedIn)
	}
	if status, loc, _ := r.get(t, "/sim/open?openid=sim-a&to=%2Fmy%2Ftickets%2F1"); status != http.StatusSeeOther || loc != "/my/tickets/1" {
		t.Errorf("a simulator openid: %d → %q", status, loc)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.signedIn) != 1 || r.signedIn[0] != "sim-a" {
		t.Errorf("signed in as %v, want sim-a", r.signedIn)
	}
}

// TestScanAsTheResidentLastUsed: the console's scan login in development
// links to /sim?scan=login:<nonce> naming no one; the scan goes as the
// resident this browser last used.
func TestScanAsTheResidentLastUsed(t *testing.T) {
	r := newRig(t, false)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	get := func(path string) string {
		t.Helper()
		resp, err := browser.Get(r.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return string(b)
	}
	get("/sim?openid=sim-staff-9")
	page := get("/sim?scan=login:n0nce")
	if !strings.Contains(page, `value="sim-staff-9"`) || !inOrder(page, "扫描了二维码（login:n0nce）", "事件 SCAN login:n0nce") {
		t.Errorf("the scan did not go as the resident last used:\n%s", page)
	}
	if _, _, thread := r.get(t, "/sim/thread?openid="+url.QueryEscape(sim.DefaultOpenID)); strings.Contains(thread, "login:n0nce") {
		t.Errorf("the scan went as the default resident too:\n%s", thread)
	}
}

// TestPageSaysWhenQuietHoursHoldNews: at night a resident's news waits
// for the end of the quiet hours; the page says so then, and only then.
func TestPageSaysWhenQuietHoursHoldNews(t *testing.T) {
	r := newRig(t, false)
	r.sim.Quiet = notify.DefaultQuietHours
	if _, _, page := r.get(t, "/sim?openid=sim-q"); strings.Contains(page, "免打扰") {
		t.Errorf("at 10:00 the page speaks of quiet hours")
	}
	r.clock.add(13 * time.Hour) // 23:00 in Shanghai
	if _, _, page := r.get(t, "/sim?openid=sim-q"); !strings.Contains(page, "免打扰时段：给居民的非紧急推送 07:00 后送达") {
		t.Errorf("at 23:00 the page does not say the news waits until 07:00:\n%s", page)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

const (
	testToken = "tongxine2e"
	// testAESKey is the test account's own EncodingAESKey: the public
	// development one would be refused among real credentials.
	testAESKey = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	// adminToken is the test admin token, as long as it must be.
	adminToken = "e2e-admin-0123456789abcdef0123456789"
)

// robot is a fake WeCom group robot that records what staff were sent.
type robot struct {
	mu    sync.Mutex
	texts []string
	srv   *httptest.Server
}

func newRobot(t testing.TB) *robot {
	r := &robot{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body struct {
			Text struct{ Content string } `json:"text"`
		}
		_ = json.NewDecoder(req.Body).Decode(&body)
		r.mu.Lock()
		r.texts = append(r.texts, body.Text.Content)
		r.mu.Unlock()
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// wait returns the staff alerts once at least n arrived (they are
// delivered asynchronously; the timeout only bounds a broken run).
func (r *robot) wait(t *testing.T, n int) []string {
	t.Helper()
	bottest.WaitFor(t, 30*time.Second, fmt.Sprintf("%d staff alerts", n), func() bool { return len(r.got()) >= n })
	return r.got()
}

func (r *robot) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.texts...)
}

// testEnv is what a test server is configured with.
type testEnv struct {
	vars  map[string]string
	fake  *wechattest.FakeAPI
	robot *robot
}

// newEnv configures servers on dbURL sharing one Redis: the real one when
// TONGXIN_TEST_REDIS_URL is set, else a miniredis started here (the
// embedded default would give each instance its own).
func newEnv(t testing.TB, dbURL string) *testEnv {
	redisURL := os.Getenv("TONGXIN_TEST_REDIS_URL")
	if redisURL == "" {
		if os.Getenv("TONGXIN_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("TONGXIN_TEST_REDIS_URL is required")
		}
		mr := miniredis.RunT(t)
		redisURL = "redis://" + mr.Addr() + "/0"
	}
	e := &testEnv{fake: wechattest.NewFakeAPI(t), robot: newRobot(t)}
	e.vars = map[string]string{
		"TONGXIN_HTTP_ADDR":       "127.0.0.1:0",
		"TONGXIN_DATABASE_URL":    dbURL,
		"TONGXIN_REDIS_URL":       redisURL,
		"TONGXIN_WECHAT_APPID":    wechattest.AppID,
		"TONGXIN_WECHAT_SECRET":   wechattest.Secret,
		"TONGXIN_WECHAT_TOKEN":    testToken,
		"TONGXIN_WECHAT_AES_KEY":  testAESKey,
		"TONGXIN_WECHAT_API_BASE": e.fake.URL(),
		"TONGXIN_WECOM_ROBOT_KEY": "robot-key",
		"TONGXIN_WECOM_API_BASE":  e.robot.srv.URL,
		"TONGXIN_ADMIN_TOKEN":     adminToken,
		"TONGXIN_LOG_LEVEL":       "warn",
		"TONGXIN_MEDIA_DIR":       filepath.Join(t.TempDir(), "media"),
		// Every test's requests come from 127.0.0.1, and with
		// TONGXIN_TEST_REDIS_URL every run shares one Redis: a limit by
		// address would count them all together. TestOpen311RateLimit
		// turns it on for an address of its own.
		"TONGXIN_OPEN311_RATE_PER_MINUTE": "0",
	}
	return e
}

func (e *testEnv) getenv(k string) string { return e.vars[k] }

// start runs `tongxin serve` in-process on a free port until the test ends
// and returns its base URL.
func (e *testEnv) start(t testing.TB) string {
	t.Helper()
	cfg, err := config.Load(e.getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- serve(ctx, cfg, log, func(a string) { addr <- a }) }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve did not stop cleanly: %v", err)
		}
	})
	return base
}

func (e *testEnv) sim(base string, mode wechat.Mode) *wechat.Simulator {
	return &wechat.Simulator{URL: base + "/wechat", AppID: wechattest.AppID, Token: testToken, AESKey: testAESKey, Mode: mode}
}

func newOpenID(prefix string) string { return fmt.Sprintf("o-%s-%08x", prefix, rand.Uint32()) }

func say(t *testing.T, sim *wechat.Simulator, m wechat.SimMessage) string {
	t.Helper()
	reply, status, err := sim.Send(context.Background(), m)
	if err != nil || status != http.StatusOK {
		t.Fatalf("send %+v: status %d, err %v", m, status, err)
	}
	return reply
}

// TestEndToEnd drives the real server through signed webhook calls in every
// message mode (the account set to plain, which accepts all three):
// follow, register a profile, look it up, ask for a person.
func TestEndToEnd(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		e.vars["TONGXIN_WECHAT_MODE"] = "plain"
		base := e.start(t)
		for _, mode := range []wechat.Mode{wechat.ModePlain, wechat.ModeCompat, wechat.ModeSafe} {
			t.Run(mode.String(), func(t *testing.T) {
				sim := e.sim(base, mode)
				id := newOpenID(mode.String())
				msg := func(text string) wechat.SimMessage { return wechat.SimMessage{OpenID: id, Text: text} }
				if got := say(t, sim, wechat.SimMessage{OpenID: id, Kind: bot.KindEvent, Event: bot.EventSubscribe}); !strings.Contains(got, "欢迎") || !strings.Contains(got, "4 我的信息") {
					t.Errorf("welcome: %q", got)
				}
				steps := []struct{ in, want string }{
					{"登记", "请问您怎么称呼"},
					{"王芳", "手机号"},
					{"１３８００１３８０００", "住在哪里"},
					{"3号楼2单元201", "1 户主"},
					{"1", "特别关照"},
					{"跳过", "回复 1 确认 2 修改 0 取消"},
					{"1", "已保存"},
				}
				for _, s := range steps {
					if got := say(t, sim, msg(s.in)); !strings.Contains(got, s.want) {
						t.Fatalf("after %q got %q, want it to contain %q", s.in, got, s.want)
					}
				}
				got := say(t, sim, wechat.SimMessage{OpenID: id, Kind: bot.KindEvent, Event: bot.EventClick, EventKey: "MY"})
				if !strings.Contains(got, "王芳") || !strings.Contains(got, "138****8000") || !strings.Contains(got, "3号楼2单元201室") {
					t.Errorf("我的信息: %q", got)
				}
				if got := say(t, sim, wechat.SimMessage{OpenID: id, Kind: bot.KindVoice, Recognition: "帮助", MediaID: "m1"}); !strings.Contains(got, "请回复数字") {
					t.Errorf("voice help: %q", got)
				}
				if got := say(t, sim, wechat.SimMessage{OpenID: id, Kind: bot.KindImage, PicURL: "http://127.0.0.1/x.jpg", MediaID: "m2"}); !strings.Contains(got, "图片") {
					t.Errorf("image: %q", got)
				}
				if got := say(t, sim, wechat.SimMessage{OpenID: id, Kind: "miniprogrampage"}); got == "" {
					t.Error("an unknown message kind got silence")
				}
				if got := say(t, sim, msg("人工")); !strings.Contains(got, "已通知") {
					t.Errorf("人工: %q", got)
				}
			})
		}
		// 人工 reached the duty staff's robot through the outbox, naming
		// the resident masked: the group is read by many.
		got := e.robot.wait(t, 3)
		if len(got) != 3 || !strings.Contains(got[0], "王*") || !strings.Contains(got[0], "138****8000") || !strings.Contains(got[0], "/api/v1/residents/") {
			t.Errorf("staff robot got %q, want 3 requests naming the resident masked", got)
		}
		for _, alert := range got {
			if strings.Contains(alert, "王芳") || strings.Contains(alert, "13800138000") || strings.Contains(alert, "201") {
				t.Errorf("staff robot got the resident's full record: %q", alert)
			}
		}
		store, err := storage.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		if n, err := store.CountResidents(context.Background()); err != nil || n != 3 {
			t.Errorf("residents stored: %d, %v; want 3", n, err)
		}
		// Unfollowing is recorded.
		gone := newOpenID("gone")
		say(t, e.sim(base, wechat.ModePlain), wechat.SimMessage{OpenID: gone, Kind: bot.KindEvent, Event: bot.EventSubscribe})
		if got := say(t, e.sim(base, wechat.ModePlain), wechat.SimMessage{OpenID: gone, Kind: bot.KindEvent, Event: bot.EventUnsubscribe}); got != "" {
			t.Errorf("unfollow got a reply %q", got)
		}
		if r, err := store.Resident(context.Background(), gone); err != nil || r.Subscribed || r.UnsubscribedAt == nil {
			t.Errorf("after unfollow: %+v, %v", r, err)
		}
		// The admin API answers with the token only.
		for token, code := range map[string]int{"": 401, "wrong": 401, adminToken: 200} {
			req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/status", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != code {
				t.Errorf("admin with token %q: %d, want %d", token, resp.StatusCode, code)
			}
		}
		// The flows were counted.
		mresp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		mbody, _ := io.ReadAll(mresp.Body)
		mresp.Body.Close()
		for _, want := range []string{`tongxin_flows_started_total{flow="profile"} 3`, `tongxin_flows_ended_total{flow="profile",how="completed"} 3`} {
			if !strings.Contains(string(mbody), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		// WeChat being unreachable is absorbed by the queue: still ready.
		e.fake.SetDown(true)
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		e.fake.SetDown(false)
		if resp.StatusCode != 200 {
			t.Errorf("readyz %d with only WeChat down, want 200", resp.StatusCode)
		}
	})
}

// TestTwoInstancesShareState runs two servers on one database and one Redis:
// a conversation moves between them and a retry landing on the other
// instance is answered, not acted on.
func TestTwoInstancesShareState(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	a, b := e.sim(e.start(t), wechat.ModeSafe), e.sim(e.start(t), wechat.ModeSafe)
	id := newOpenID("two")
	say(t, a, wechat.SimMessage{OpenID: id, Text: "登记"})
	sr, err := a.Build(wechat.SimMessage{OpenID: id, Text: "王芳"})
	if err != nil {
		t.Fatal(err)
	}
	var replies []string
	for _, sim := range []*wechat.Simulator{a, b, b} {
		req, err := sim.NewHTTPRequest(context.Background(), sr)
		if err != nil {
			t.Fatal(err)
		}
		reply, status, err := sim.Do(req)
		if err != nil || status != 200 {
			t.Fatalf("status %d, %v", status, err)
		}
		replies = append(replies, reply)
	}
	if !strings.Contains(replies[0], "手机号") || replies[1] != replies[0] || replies[2] != replies[0] {
		t.Errorf("retries across instances got %q", replies)
	}
	// Had the retry acted, the phone step would have taken "王芳" as a bad
	// answer; instead the next step follows on the other instance.
	if got := say(t, b, wechat.SimMessage{OpenID: id, Text: "13800138000"}); !strings.Contains(got, "住在哪里") {
		t.Errorf("the conversation did not continue on the second instance: %q", got)
	}
}

// TestMenuPushAndChat publishes the menu to the fake API and talks to a
// running server through `tongxin chat`.
func TestMenuPushAndChat(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	var out bytes.Buffer
	if err := run(context.Background(), []string{"menu", "push"}, e.getenv, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests(wechattest.PathMenuCreate)
	if len(reqs) != 1 {
		t.Fatalf("menu/create called %d times", len(reqs))
	}
	var menu struct {
		Button []struct {
			Type, Name, Key string
			SubButton       []struct{ Type, Name, Key string } `json:"sub_button"`
		} `json:"button"`
	}
	if err := json.Unmarshal(reqs[0], &menu); err != nil {
		t.Fatal(err)
	}
	if len(menu.Button) != 3 || menu.Button[0].Key != "REPORT" || menu.Button[2].Name != "更多" ||
		len(menu.Button[2].SubButton) != 2 || menu.Button[2].SubButton[1].Key != "MY" {
		t.Errorf("menu pushed: %s", reqs[0])
	}

	base := e.start(t)
	e.vars["TONGXIN_HTTP_ADDR"] = strings.TrimPrefix(base, "http://")
	in := strings.NewReader("/follow\n登记\n王芳\n/as o-chat-other\n我的信息\n/quit\n")
	out.Reset()
	// No -mode: chat speaks the mode the server requires.
	if err := run(context.Background(), []string{"chat", "-openid", newOpenID("chat")}, e.getenv, in, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "(safe mode)") {
		t.Errorf("chat did not default to the server's safe mode:\n%s", out.String())
	}
	for _, want := range []string{"欢迎关注", "请问您怎么称呼", "手机号", "您还没有登记个人信息"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("chat output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestServeStopsCleanly cancels serve (as SIGTERM does) after it answered a
// message and expects a clean return and a closed port. Draining a reply
// still being worked on is tested at the webhook (Webhook.Wait in
// handlers' late-reply test).
func TestServeStopsCleanly(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	cfg, err := config.Load(e.getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), func(a string) { addr <- a })
	}()
	base := "http://" + <-addr
	if got := say(t, e.sim(base, wechat.ModeSafe), wechat.SimMessage{OpenID: newOpenID("stop"), Text: "你好"}); got == "" {
		t.Error("no reply before shutdown")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v, want nil after a clean drain", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after cancel")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("server still answering after shutdown")
	}
}

func TestUnknownCommand(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	if err := run(context.Background(), []string{"frobnicate"}, e.getenv, nil, io.Discard, io.Discard); err == nil {
		t.Error("unknown command accepted")
	}
	bad := map[string]string{"TONGXIN_DATABASE_URL": "mysql://x"}
	if err := run(context.Background(), []string{"serve"}, func(k string) string { return bad[k] }, nil, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "TONGXIN_DATABASE_URL") {
		t.Errorf("bad config: %v", err)
	}
}

// TestModeRefusesWeakerMessages: an account with an AES key is in safe
// mode unless TONGXIN_WECHAT_MODE says otherwise, and a message in a
// weaker mode is refused: a plain message carries no body signature, so
// accepting it would let anyone who saw one signed URL speak for any
// resident.
func TestModeRefusesWeakerMessages(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	safe := e.start(t)
	e.vars["TONGXIN_WECHAT_MODE"] = "compat"
	compat := e.start(t)
	for _, tc := range []struct {
		server string
		base   string
		mode   wechat.Mode
		want   int
	}{
		{"safe (the default with an AES key)", safe, wechat.ModePlain, http.StatusForbidden},
		{"safe (the default with an AES key)", safe, wechat.ModeCompat, http.StatusForbidden},
		{"safe (the default with an AES key)", safe, wechat.ModeSafe, http.StatusOK},
		{"compat", compat, wechat.ModePlain, http.StatusForbidden},
		{"compat", compat, wechat.ModeCompat, http.StatusOK},
		{"compat", compat, wechat.ModeSafe, http.StatusOK},
	} {
		_, status, err := e.sim(tc.base, tc.mode).Send(context.Background(), wechat.SimMessage{OpenID: newOpenID("mode"), Text: "你好"})
		if err != nil || status != tc.want {
			t.Errorf("%s server, %s message: %d, %v; want %d", tc.server, tc.mode, status, err, tc.want)
		}
	}
}

// TestDevelopmentDefaultsChat runs the README's commands on a fresh
// machine: `tongxin serve` with nothing set (development credentials, an
// AES key, so safe mode; embedded Redis) and `tongxin chat` with no flags
// against it. Both must work out of the box.
func TestDevelopmentDefaultsChat(t *testing.T) {
	e := &testEnv{vars: map[string]string{
		"TONGXIN_HTTP_ADDR":    "127.0.0.1:0",
		"TONGXIN_DATABASE_URL": storagetest.SQLiteURL(t),
		"TONGXIN_LOG_LEVEL":    "error",
	}}
	base := e.start(t)
	e.vars["TONGXIN_HTTP_ADDR"] = strings.TrimPrefix(base, "http://")
	var out bytes.Buffer
	in := strings.NewReader("/follow\n帮助\n/quit\n")
	if err := run(context.Background(), []string{"chat"}, e.getenv, in, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(safe mode)", "欢迎关注", "请回复数字"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("chat output lacks %q:\n%s", want, out.String())
		}
	}
}

package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/handlers"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

const (
	token  = "tongxintest"
	aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// instance is one tongxin webhook behind an httptest server.
type instance struct {
	srv     *httptest.Server
	webhook *handlers.Webhook
	server  *handlers.Server
}

// rig is a shared Redis, a fake WeChat API and the bot the instances run.
type rig struct {
	t      testing.TB
	rdb    *redis.Client
	prefix string
	fake   *wechattest.FakeAPI
	client *wechat.Client
	store  *storage.Store
	outbox *notify.Outbox
	bot    bot.Handler
	rate   int
	ready  map[string]handlers.Pinger
	// readyTimeout is the instances' /readyz wait (the default when 0).
	readyTimeout time.Duration
	// mode is the weakest message mode the instances accept; plain, the
	// zero value, lets tests send all three.
	mode wechat.Mode
}

func newRig(t testing.TB, h bot.Handler) *rig {
	rdb, prefix, _ := redistest.New(t)
	return newRigOn(t, h, rdb, prefix)
}

// newRigOn is newRig on a Redis of the test's choosing.
func newRigOn(t testing.TB, h bot.Handler, rdb *redis.Client, prefix string) *rig {
	fake := wechattest.NewFakeAPI(t)
	client, err := wechat.NewClient(wechat.ClientConfig{AppID: wechattest.AppID, Secret: wechattest.Secret, APIBase: fake.URL(), Redis: rdb, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	store := storagetest.Open(t)
	if err := jobs.Migrate(context.Background(), store); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	runner, err := jobs.New(store, jobs.Config{PollInterval: 50 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := notify.New(runner, store, client, notify.Config{RetryBase: 10 * time.Millisecond}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = runner.Stop(context.Background()) })
	return &rig{t: t, rdb: rdb, prefix: prefix, fake: fake, client: client, store: store, outbox: outbox, bot: h, rate: 0}
}

func (r *rig) start(deadline time.Duration) *instance {
	return r.startOn(r.rdb, deadline)
}

// startOn starts an instance that reaches the rig's Redis through rdb.
func (r *rig) startOn(rdb *redis.Client, deadline time.Duration) *instance {
	codec, err := wechat.NewCodec(wechattest.AppID, token, aesKey, r.mode)
	if err != nil {
		r.t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	metrics := handlers.NewMetrics()
	wh := &handlers.Webhook{
		Codec: codec,
		Bot:   r.bot,
		Gate: &redisstate.Gate{Client: rdb, Sessions: &redisstate.Sessions{Client: rdb, Prefix: r.prefix},
			Limit: r.rate, Window: time.Minute},
		Late:     r.outbox,
		Metrics:  metrics,
		Logger:   log,
		Deadline: deadline,
	}
	s := &handlers.Server{Webhook: wh, Metrics: metrics, Logger: log, Ready: r.ready, ReadyTimeout: r.readyTimeout, AdminToken: "admin-secret-0123456789abcdef012345",
		Residents: r.store, Notifications: r.store, Retrier: r.outbox, Started: time.Now()}
	srv := httptest.NewServer(s.Handler())
	r.t.Cleanup(func() {
		srv.Close()
		_ = wh.Wait(context.Background())
	})
	return &instance{srv: srv, webhook: wh, server: s}
}

func (i *instance) sim(mode wechat.Mode) *wechat.Simulator {
	return &wechat.Simulator{URL: i.srv.URL + "/wechat", AppID: wechattest.AppID, Token: token, AESKey: aesKey, Mode: mode}
}

// counter is a bot that counts calls and echoes the text it got.
type counter struct {
	calls atomic.Int64
	// gate, when set, holds each call until the test closes it: a slow
	// bot whose slowness the test controls instead of sleeping out.
	gate chan struct{}
	// entered, when set, receives a value as each call starts.
	entered chan struct{}
}

func (c *counter) Handle(ctx context.Context, m *bot.Message) (bot.Reply, error) {
	n := c.calls.Add(1)
	if c.entered != nil {
		c.entered <- struct{}{}
	}
	if c.gate != nil {
		<-c.gate
	}
	if m.Text == "panic" {
		panic("boom")
	}
	return bot.Text(fmt.Sprintf("第%d次：%s", n, m.Text)), nil
}

// keys counts the rig's Redis keys: "no state changed" means this did not move.
func (r *rig) keys() int {
	n := 0
	iter := r.rdb.Scan(context.Background(), 0, r.prefix+"*", 100).Iterator()
	for iter.Next(context.Background()) {
		if !strings.Contains(iter.Val(), "wechat") {
			n++
		}
	}
	if err := iter.Err(); err != nil {
		r.t.Fatal(err)
	}
	return n
}

func send(t *testing.T, sim *wechat.Simulator, sr *wechat.SimRequest) (string, int) {
	t.Helper()
	req, err := sim.NewHTTPRequest(context.Background(), sr)
	if err != nil {
		t.Fatal(err)
	}
	reply, status, err := sim.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return reply, status
}

func build(t *testing.T, sim *wechat.Simulator, m wechat.SimMessage) *wechat.SimRequest {
	t.Helper()
	sr, err := sim.Build(m)
	if err != nil {
		t.Fatal(err)
	}
	return sr
}

func TestEveryModeAnswers(t *testing.T) {
	c := &counter{}
	in := newRig(t, c).start(4 * time.Second)
	for _, mode := range []wechat.Mode{wechat.ModePlain, wechat.ModeCompat, wechat.ModeSafe} {
		reply, status, err := in.sim(mode).Send(context.Background(), wechat.SimMessage{OpenID: "o-mode", Text: "你好" + mode.String()})
		if err != nil || status != 200 {
			t.Fatalf("%s: status %d, err %v", mode, status, err)
		}
		if !strings.HasSuffix(reply, "你好"+mode.String()) {
			t.Errorf("%s: reply %q", mode, reply)
		}
	}
}

func TestRetryIsAnsweredFromTheFirstDelivery(t *testing.T) {
	c := &counter{}
	in := newRig(t, c).start(4 * time.Second)
	sim := in.sim(wechat.ModeSafe)
	sr := build(t, sim, wechat.SimMessage{OpenID: "o-retry", Text: "报修", MsgID: 4242})
	first, _ := send(t, sim, sr)
	second, status := send(t, sim, sr)
	if status != 200 || first != second || first != "第1次：报修" {
		t.Errorf("replies %q then %q (status %d), want the first twice", first, second, status)
	}
	if n := c.calls.Load(); n != 1 {
		t.Errorf("bot called %d times, want 1", n)
	}
}

func TestRetryWhileTheOriginalIsStillRunning(t *testing.T) {
	c := &counter{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	in := newRig(t, c).start(4 * time.Second)
	sim := in.sim(wechat.ModePlain)
	sr := build(t, sim, wechat.SimMessage{OpenID: "o-slow", Text: "慢", MsgID: 777})
	replies := make([]string, 2)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); replies[0], _ = send(t, sim, sr) }()
	<-c.entered // the original is inside the bot now
	wg.Add(1)
	go func() { defer wg.Done(); replies[1], _ = send(t, sim, sr) }()
	bottest.WaitFor(t, 10*time.Second, "the retry to be held as a duplicate", func() bool {
		return metricValue(t, in, "tongxin_duplicates_suppressed_total") == 1
	})
	close(c.gate)
	wg.Wait()
	if replies[0] != "第1次：慢" || replies[1] != replies[0] {
		t.Errorf("replies %q, want the original's twice", replies)
	}
	if n := c.calls.Load(); n != 1 {
		t.Errorf("bot called %d times, want 1", n)
	}
}

// dying is a bot whose first call never returns on its own: the message
// an instance was working on when it was killed.
type dying struct {
	calls   atomic.Int64
	entered chan struct{}
	release chan struct{}
}

func (d *dying) Handle(ctx context.Context, m *bot.Message) (bot.Reply, error) {
	n := d.calls.Add(1)
	if n == 1 {
		d.entered <- struct{}{}
		<-d.release
	}
	return bot.Text(fmt.Sprintf("第%d次：%s", n, m.Text)), nil
}

// TestRetryAfterACrashIsAnswered: an instance is killed while the bot
// works on a message, leaving its claim on the message ID and its lock on
// the resident in Redis. WeChat retries five seconds later; the retry
// must be worked on, not answered "success" with nothing ever following.
func TestRetryAfterACrashIsAnswered(t *testing.T) {
	// Redis's clock is the test's to move: miniredis even when a real
	// server is configured.
	mr, rdb := redistest.Miniredis(t)
	d := &dying{entered: make(chan struct{}, 1), release: make(chan struct{})}
	r := newRigOn(t, d, rdb, "tongxin-test:")
	// The instance that dies talks to Redis through a connection of its
	// own: once that is closed, Redis hears no more from it, as after a
	// kill -9.
	doomed := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	killed := r.startOn(doomed, 4*time.Second)
	survivor := r.start(4 * time.Second)
	sr := build(t, killed.sim(wechat.ModeSafe), wechat.SimMessage{OpenID: "o-crash", Text: "报修", MsgID: 31337})

	lost := make(chan string, 1)
	go func() { reply, _ := send(t, killed.sim(wechat.ModeSafe), sr); lost <- reply }()
	<-d.entered
	doomed.Close()
	t.Cleanup(func() { close(d.release); <-lost })

	mr.FastForward(5 * time.Second) // WeChat's first retry
	reply, status := send(t, survivor.sim(wechat.ModeSafe), sr)
	if status != 200 || reply != "第2次：报修" {
		t.Errorf("retry after the crash got %q (status %d), want the bot's answer", reply, status)
	}
	// A retry of the retry is answered from it, as any retry is.
	if again, _ := send(t, survivor.sim(wechat.ModeSafe), sr); again != "第2次：报修" {
		t.Errorf("next retry got %q, want the same answer", again)
	}
	if n := d.calls.Load(); n != 2 {
		t.Errorf("bot called %d times, want 2 (the killed run and the retry)", n)
	}
	if n := metricValue(t, survivor, "tongxin_deliveries_reclaimed_total"); n != 1 {
		t.Errorf("tongxin_deliveries_reclaimed_total = %v, want 1", n)
	}
}

func TestConcurrentDuplicatesOnTwoInstances(t *testing.T) {
	c := &counter{gate: make(chan struct{})}
	r := newRig(t, c)
	a, b := r.start(4*time.Second), r.start(4*time.Second)
	sims := []*wechat.Simulator{a.sim(wechat.ModeCompat), b.sim(wechat.ModeCompat)}
	sr := build(t, sims[0], wechat.SimMessage{OpenID: "o-dup", Text: "一次", MsgID: 99})
	const n = 8
	replies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i], _ = send(t, sims[i%2], sr)
		}()
	}
	// Every copy but one arrives while the one that got through is still
	// inside the bot, on either instance.
	bottest.WaitFor(t, 10*time.Second, "seven deliveries to be held as duplicates", func() bool {
		return metricValue(t, a, "tongxin_duplicates_suppressed_total")+metricValue(t, b, "tongxin_duplicates_suppressed_total") == n-1
	})
	close(c.gate)
	wg.Wait()
	for i, got := range replies {
		if got != "第1次：一次" {
			t.Errorf("delivery %d got %q", i, got)
		}
	}
	if calls := c.calls.Load(); calls != 1 {
		t.Errorf("bot called %d times across two instances, want 1", calls)
	}
	// An event retry is keyed by sender, time, event and key.
	ev := build(t, sims[1], wechat.SimMessage{OpenID: "o-dup", Kind: bot.KindEvent, Event: bot.EventClick, EventKey: "MY", CreateTime: time.Now()})
	send(t, sims[1], ev)
	send(t, sims[0], ev)
	if calls := c.calls.Load(); calls != 2 {
		t.Errorf("after an event and its retry the bot ran %d times, want 2", calls)
	}
}

func TestLateReplyGoesOutAsCustomerServiceMessage(t *testing.T) {
	c := &counter{gate: make(chan struct{})}
	r := newRig(t, c)
	in := r.start(50 * time.Millisecond)
	sim := in.sim(wechat.ModeSafe)
	sr := build(t, sim, wechat.SimMessage{OpenID: "o-late", Text: "慢慢来", MsgID: 5})
	// The bot is held until both deliveries have been answered.
	reply, status := send(t, sim, sr)
	if status != 200 || reply != "" {
		t.Fatalf("got %q (status %d), want success (an empty reply) before the bot finished", reply, status)
	}
	retry, _ := send(t, sim, sr)
	if retry != "" {
		t.Errorf("retry of a late message got %q, want success", retry)
	}
	close(c.gate)
	got := r.fake.WaitCustomTexts(t, 1, 10*time.Second)
	want := wechattest.CustomText{ToUser: "o-late", Content: "第1次：慢慢来"}
	if len(got) != 1 || got[0] != want {
		t.Errorf("customer-service messages %+v, want [%+v]", got, want)
	}
	// Once the webhook is idle every late reply it will ever queue is on
	// the ledger: exactly one, for the first delivery, not the retry.
	if err := in.webhook.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, err := r.store.ListNotifications(context.Background(), "", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Kind != "reply" || rows[0].Recipient != "o-late" {
		t.Fatalf("ledger %+v, want one reply to o-late", rows)
	}
	// It is marked sent a moment after the fake accepted it.
	bottest.WaitFor(t, 10*time.Second, "the late reply to be marked sent", func() bool {
		rows, _ := r.store.ListNotifications(context.Background(), storage.NotificationSent, 10, 0)
		return len(rows) == 1
	})
}

func TestRateLimitSlowsOneResidentOnly(t *testing.T) {
	c := &counter{}
	r := newRig(t, c)
	r.rate = 3
	in := r.start(4 * time.Second)
	sim := in.sim(wechat.ModePlain)
	var last string
	for i := range 5 {
		last, _, _ = sim.Send(context.Background(), wechat.SimMessage{OpenID: "o-flood", Text: "刷" + strconv.Itoa(i)})
	}
	if !strings.Contains(last, "太快") {
		t.Errorf("5th message in a minute got %q, want a slow-down reply", last)
	}
	if n := c.calls.Load(); n != 3 {
		t.Errorf("bot called %d times, want 3", n)
	}
	other, _, _ := sim.Send(context.Background(), wechat.SimMessage{OpenID: "o-calm", Text: "你好"})
	if other != "第4次：你好" {
		t.Errorf("another resident got %q", other)
	}
}

func TestBotPanicIsAnApology(t *testing.T) {
	in := newRig(t, &counter{}).start(4 * time.Second)
	reply, status, err := in.sim(wechat.ModePlain).Send(context.Background(), wechat.SimMessage{OpenID: "o-p", Text: "panic"})
	if err != nil || status != 200 || reply != bot.MsgInternal {
		t.Errorf("got %q, %d, %v; want the apology", reply, status, err)
	}
}

func TestBadRequestsAreRejectedWithoutState(t *testing.T) {
	c := &counter{}
	r := newRig(t, c)
	in := r.start(4 * time.Second)
	plain, safe := in.sim(wechat.ModePlain), in.sim(wechat.ModeSafe)
	good := func(sim *wechat.Simulator) *wechat.SimRequest {
		return build(t, sim, wechat.SimMessage{OpenID: "o-bad", Text: "你好"})
	}
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"wrong signature", func() *http.Request {
			sr := good(plain)
			sr.Query.Set("signature", strings.Repeat("0", 40))
			return post(t, in, sr.Query.Encode(), sr.Body)
		}, 403},
		{"no signature", func() *http.Request {
			sr := good(plain)
			sr.Query.Del("signature")
			return post(t, in, sr.Query.Encode(), sr.Body)
		}, 403},
		{"stale timestamp", func() *http.Request {
			old := &wechat.Simulator{URL: plain.URL, AppID: plain.AppID, Token: token, AESKey: aesKey, Now: func() time.Time { return time.Now().Add(-6 * time.Minute) }}
			sr := good(old)
			return post(t, in, sr.Query.Encode(), sr.Body)
		}, 403},
		{"future timestamp", func() *http.Request {
			fut := &wechat.Simulator{URL: plain.URL, AppID: plain.AppID, Token: token, AESKey: aesKey, Now: func() time.Time { return time.Now().Add(6 * time.Minute) }}
			sr := good(fut)
			return post(t, in, sr.Query.Encode(), sr.Body)
		}, 403},
		{"wrong msg_signature", func() *http.Request {
			sr := good(safe)
			sr.Query.Set("msg_signature", strings.Repeat("a", 40))
			return post(t, in, sr.Query.Encode(), sr.Body)
		}, 403},
		{"body over 64 KiB", func() *http.Request {
			sr := good(plain)
			body := bytes.Replace(sr.Body, []byte("你好"), bytes.Repeat([]byte("长"), 30000), 1)
			return post(t, in, sr.Query.Encode(), body)
		}, 413},
		{"malformed XML", func() *http.Request {
			sr := good(plain)
			return post(t, in, sr.Query.Encode(), []byte("<xml><ToUserName>"))
		}, 400},
		{"not XML at all", func() *http.Request {
			sr := good(plain)
			return post(t, in, sr.Query.Encode(), []byte("\x00\x01garbage"))
		}, 400},
		{"undecryptable payload", func() *http.Request {
			q := safe.SignQuery(strconv.FormatInt(time.Now().Unix(), 10), "nonce1", "bm90IGVuY3J5cHRlZA==")
			return post(t, in, q.Encode(), []byte("<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[bm90IGVuY3J5cHRlZA==]]></Encrypt></xml>"))
		}, 400},
		{"signed query reused with a forged body", func() *http.Request {
			sr := good(plain)
			// The genuine request goes first (and is answered)...
			resp, err := http.DefaultClient.Do(post(t, in, sr.Query.Encode(), sr.Body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			c.calls.Add(-1)
			forged := bytes.Replace(sr.Plain, []byte("o-bad"), []byte("o-victim"), 1)
			return post(t, in, sr.Query.Encode(), forged)
		}, 403},
		{"verification with a wrong signature", func() *http.Request {
			q := plain.VerifyQuery("echo-me")
			q.Set("signature", strings.Repeat("1", 40))
			req, _ := http.NewRequest(http.MethodGet, in.srv.URL+"/wechat?"+q.Encode(), nil)
			return req
		}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req()
			before := r.keys()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if strings.Contains(string(body), "echo-me") {
				t.Error("echostr written back despite the bad signature")
			}
			if c.calls.Load() != 0 {
				t.Error("the bot was called")
			}
			if after := r.keys(); after != before {
				t.Errorf("Redis keys went from %d to %d", before, after)
			}
		})
	}
	// And the verification itself works.
	q := plain.VerifyQuery("echo-me")
	resp, err := http.Get(in.srv.URL + "/wechat?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "echo-me" {
		t.Errorf("verification: %d %q", resp.StatusCode, body)
	}
}

func post(t *testing.T, in *instance, query string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, in.srv.URL+"/wechat?"+query, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml")
	return req
}

func TestHealthReadyMetricsAdmin(t *testing.T) {
	var down atomic.Bool
	r := newRig(t, &counter{})
	r.ready = map[string]handlers.Pinger{
		"database": handlers.PingFunc(func(context.Context) error { return nil }),
		"redis": handlers.PingFunc(func(ctx context.Context) error {
			if down.Load() {
				return fmt.Errorf("connection refused")
			}
			return nil
		}),
	}
	in := r.start(4 * time.Second)
	get := func(path, auth string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, in.srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz", ""); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code, body := get("/readyz", ""); code != 200 {
		t.Errorf("readyz %d %s", code, body)
	}
	down.Store(true)
	if code, body := get("/readyz", ""); code != 503 || !strings.Contains(body, `"redis":"down"`) {
		t.Errorf("readyz with Redis down: %d %s", code, body)
	}
	if code, _ := get("/healthz", ""); code != 200 {
		t.Errorf("healthz must stay up while Redis is down, got %d", code)
	}
	_, _, _ = in.sim(wechat.ModePlain).Send(context.Background(), wechat.SimMessage{OpenID: "o-m", Text: "hi"})
	_, metrics := get("/metrics", "")
	// The flow counters are checked end to end (cmd/tongxin), where real
	// flows run.
	for _, name := range []string{`tongxin_messages_total{kind="text"} 1`, "tongxin_reply_seconds_bucket", "tongxin_duplicates_suppressed_total 0", "go_goroutines"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("metrics lack %q", name)
		}
	}
	for _, auth := range []string{"", "Bearer wrong", "admin-secret-0123456789abcdef012345", "Basic YWRtaW4="} {
		code, body := get("/api/v1/status", auth)
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if code != 401 || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "unauthorized" {
			t.Errorf("auth %q: %d %s, want a 401 JSON error", auth, code, body)
		}
	}
	if code, body := get("/api/v1/status", "Bearer admin-secret-0123456789abcdef012345"); code != 200 || !strings.Contains(body, `"residents":0`) {
		t.Errorf("status: %d %s", code, body)
	}
	if code, body := get("/api/v1/nope", "Bearer admin-secret-0123456789abcdef012345"); code != 404 || !strings.Contains(body, `"not_found"`) {
		t.Errorf("unknown admin path: %d %s", code, body)
	}
}

func metricValue(t *testing.T, in *instance, name string) float64 {
	t.Helper()
	resp, err := http.Get(in.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// TestWeakerModeIsRefusedWithoutState: an instance in safe mode refuses
// plain and compat messages (403) before anything is claimed or counted.
func TestWeakerModeIsRefusedWithoutState(t *testing.T) {
	c := &counter{}
	r := newRig(t, c)
	r.mode = wechat.ModeSafe
	in := r.start(4 * time.Second)
	for _, mode := range []wechat.Mode{wechat.ModePlain, wechat.ModeCompat} {
		before := r.keys()
		reply, status, err := in.sim(mode).Send(context.Background(), wechat.SimMessage{OpenID: "o-weak", Text: "你好"})
		if err != nil || status != http.StatusForbidden || strings.Contains(reply, "你好") {
			t.Errorf("%s message to a safe-mode account: %d %q %v, want 403", mode, status, reply, err)
		}
		if after := r.keys(); after != before {
			t.Errorf("%s message: Redis keys went from %d to %d", mode, before, after)
		}
	}
	if n := c.calls.Load(); n != 0 {
		t.Errorf("the bot ran %d times", n)
	}
	if reply, _, _ := in.sim(wechat.ModeSafe).Send(context.Background(), wechat.SimMessage{OpenID: "o-weak", Text: "你好"}); reply != "第1次：你好" {
		t.Errorf("safe message: %q", reply)
	}
	if got := metricValue(t, in, `tongxin_webhook_rejected_total{reason="mode"}`); got != 2 {
		t.Errorf("rejections counted as mode: %v, want 2", got)
	}
}

// TestRedisDownIsAnApology: when Redis cannot be reached before the bot,
// nothing can be vouched for (the nonce binding is what ties a plain-mode
// signature to its body) or de-duplicated, so the bot does not run; but
// the resident is answered, 200 with the apology, rather than WeChat
// being sent into retries against the same outage with a 5xx.
func TestRedisDownIsAnApology(t *testing.T) {
	c := &counter{}
	r := newRig(t, c)
	in := r.start(4 * time.Second)
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = down.Close() })
	in.webhook.Gate = &redisstate.Gate{Client: down, Sessions: &redisstate.Sessions{Client: down}}
	sim := in.sim(wechat.ModePlain)
	forged := build(t, sim, wechat.SimMessage{OpenID: "o-victim", Text: "转账"})
	reply, status := send(t, sim, forged)
	if status != http.StatusOK || reply != bot.MsgInternal {
		t.Errorf("with Redis down: %d %q, want 200 and the apology", status, reply)
	}
	if n := c.calls.Load(); n != 0 {
		t.Errorf("the bot ran %d times unguarded", n)
	}
	if got := metricValue(t, in, "tongxin_state_unavailable_total"); got != 1 {
		t.Errorf("tongxin_state_unavailable_total = %v, want 1", got)
	}
}

// TestReadyzDoesNotWaitForAHungDependency: a paused database holds its
// connections without answering and without honouring the context;
// /readyz reports it down instead of hanging with it.
func TestReadyzDoesNotWaitForAHungDependency(t *testing.T) {
	hung := make(chan struct{})
	t.Cleanup(func() { close(hung) })
	r := newRig(t, &counter{})
	r.ready = map[string]handlers.Pinger{
		"database": handlers.PingFunc(func(context.Context) error { <-hung; return nil }),
		"redis":    handlers.PingFunc(func(context.Context) error { return nil }),
	}
	r.readyTimeout = 20 * time.Millisecond
	in := r.start(4 * time.Second)
	resp, err := http.Get(in.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var status map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&status); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || status["database"] != "down" || status["redis"] != "ok" {
		t.Errorf("readyz with a hung database: %d %v", resp.StatusCode, status)
	}
}

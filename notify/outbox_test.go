package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

// rig is one outbox on a real store, sending to a fake WeChat API.
type rig struct {
	store  *storage.Store
	fake   *wechattest.FakeAPI
	wx     *wechat.Client
	box    *notify.Outbox
	runner *jobs.Runner
	robot  *robot
}

type robot struct {
	mu    sync.Mutex
	texts []string
	code  int
	// failures is how many more requests answer code (0: all of them).
	failures int
	srv      *httptest.Server
}

func newRobot(t *testing.T) *robot {
	r := &robot{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body struct {
			MsgType string `json:"msgtype"`
			Text    struct{ Content string }
		}
		_ = json.NewDecoder(req.Body).Decode(&body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if body.MsgType != "text" || req.URL.Query().Get("key") != "robot-key" {
			t.Errorf("robot request %s %+v", req.URL.Path, body)
		}
		if r.code != 0 {
			fmt.Fprintf(w, `{"errcode":%d,"errmsg":"refused"}`, r.code)
			if r.failures > 0 {
				if r.failures--; r.failures == 0 {
					r.code = 0
				}
			}
			return
		}
		r.texts = append(r.texts, body.Text.Content)
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *robot) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.texts...)
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fastConfig retries quickly so tests do not wait on production backoff.
func fastConfig() notify.Config {
	return notify.Config{
		RetryBase: 10 * time.Millisecond, RetryCap: 50 * time.Millisecond,
		OrderWait: 20 * time.Millisecond,
		RobotKey:  "robot-key",
	}
}

func newRig(t *testing.T, store *storage.Store, cfg notify.Config) *rig {
	t.Helper()
	rdb, prefix, _ := redistest.New(t)
	fake := wechattest.NewFakeAPI(t)
	wx, err := wechat.NewClient(wechat.ClientConfig{AppID: wechattest.AppID, Secret: wechattest.Secret, APIBase: fake.URL(), Redis: rdb, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{store: store, fake: fake, wx: wx, robot: newRobot(t)}
	if cfg.RobotBase == "" {
		cfg.RobotBase = r.robot.srv.URL
	}
	if err := jobs.Migrate(context.Background(), store); err != nil {
		t.Fatal(err)
	}
	r.box, r.runner = start(t, store, wx, cfg, quietLog())
	return r
}

// start runs an outbox on a job runner of its own, as one instance does,
// until the test ends.
func start(t *testing.T, store *storage.Store, wx notify.WeChat, cfg notify.Config, log *slog.Logger) (*notify.Outbox, *jobs.Runner) {
	t.Helper()
	runner, err := jobs.New(store, jobs.Config{PollInterval: 50 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	box, err := notify.New(runner, store, wx, cfg, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(ctx)
	})
	return box, runner
}

func (r *rig) notify(t *testing.T, n bot.Notice) int64 {
	t.Helper()
	var id int64
	err := r.store.Transact(context.Background(), func(tx *storage.Tx) error {
		var err error
		id, err = r.box.Enqueue(context.Background(), tx, n)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// wait polls the ledger until row id is no longer pending.
// afterOutage waits until the first of ids was tried against the API that
// is down, brings the API back, waits for every row to be sent, and
// returns the customer-service texts each recipient got, in order.
func (r *rig) afterOutage(t *testing.T, store *storage.Store, ids []int64) map[string][]string {
	t.Helper()
	bottest.WaitFor(t, 60*time.Second, "no delivery attempt during the outage", func() bool {
		n, err := store.Notification(context.Background(), ids[0])
		if err != nil {
			t.Fatal(err)
		}
		return n.Attempts > 0
	})
	r.fake.SetDown(false)
	for _, id := range ids {
		if n := r.wait(t, id); n.Status != storage.NotificationSent {
			t.Errorf("row %d: %+v, want sent", id, n)
		}
	}
	per := map[string][]string{}
	for _, c := range r.fake.CustomTexts() {
		per[c.ToUser] = append(per[c.ToUser], c.Content)
	}
	return per
}

func (r *rig) wait(t *testing.T, id int64) storage.Notification {
	t.Helper()
	var n storage.Notification
	bottest.WaitFor(t, 60*time.Second, fmt.Sprintf("notification %d still pending", id), func() bool {
		var err error
		if n, err = r.store.Notification(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		return n.Status != storage.NotificationPending
	})
	return n
}

func sends0(r *rig) wechattest.TemplateSend {
	if s := r.fake.TemplateSends(); len(s) > 0 {
		return s[0]
	}
	return wechattest.TemplateSend{}
}

func text(to, key, s string) bot.Notice {
	return bot.Notice{Kind: "test", To: to, Text: s, Key: key, Urgent: true}
}

func TestChannelsSendTheExactJSON(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		cfg := fastConfig()
		cfg.Templates = map[string]notify.Template{
			"ticket_accepted": {ID: "TPL-ACCEPT", URL: "https://example.invalid/t", Fields: map[string]string{"thing1": "title", "character_string2": "number", "phrase3": "status"}},
		}
		r := newRig(t, store, cfg)
		// Customer-service text.
		cs := r.wait(t, r.notify(t, text("o-cs", "k-cs", "您的报修已受理。")))
		if cs.Status != storage.NotificationSent || cs.Channel != notify.ChannelCustomer {
			t.Errorf("customer service: %+v", cs)
		}
		reqs := r.fake.Requests(wechattest.PathCustomSend)
		if len(reqs) != 1 {
			t.Fatalf("%d customer-service requests", len(reqs))
		}
		var got, want any
		_ = json.Unmarshal(reqs[0], &got)
		_ = json.Unmarshal([]byte(`{"touser":"o-cs","msgtype":"text","text":{"content":"您的报修已受理。"}}`), &want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("customer-service JSON mismatch (-want +got):\n%s", diff)
		}
		// Template message, reached when the text is refused outside the
		// 48-hour window; fields cleaned to the 2023 rules.
		r.fake.FailNext(wechattest.PathCustomSend, wechat.CodeOutOfWindow, 1)
		id := r.notify(t, bot.Notice{Kind: "ticket_accepted", To: "o-tpl", Key: "k-tpl", Urgent: true, Text: "您的报修已受理",
			Fields: map[string]string{"title": "楼道灯坏了\n三楼🙂到五楼都不亮，晚上出门很不方便", "number": "2611260001", "status": "已受理"}})
		tpl := r.wait(t, id)
		if tpl.Status != storage.NotificationSent || tpl.Channel != notify.ChannelTemplate || !strings.Contains(tpl.LastError, "45015") {
			t.Errorf("template fallback: %+v", tpl)
		}
		sends := r.fake.TemplateSends()
		wantSend := wechattest.TemplateSend{ToUser: "o-tpl", TemplateID: "TPL-ACCEPT", URL: "https://example.invalid/t",
			ClientMsgID: sends0(r).ClientMsgID,
			Data:        map[string]string{"thing1": "楼道灯坏了 三楼到五楼都不亮，晚上出门…", "character_string2": "2611260001", "phrase3": "已受理"}}
		if len(sends) != 1 {
			t.Fatalf("template sends: %+v", sends)
		}
		if id := sends[0].ClientMsgID; len(id) < 16 || id == fmt.Sprint(tpl.ID) {
			t.Errorf("client_msg_id %q does not come from the idempotency key", id)
		}
		if diff := cmp.Diff(wantSend, sends[0]); diff != "" {
			t.Errorf("template mismatch (-want +got):\n%s", diff)
		}
		for k, v := range sends[0].Data {
			if n := len([]rune(v)); n > notify.MaxFieldRunes {
				t.Errorf("field %s has %d characters", k, n)
			}
		}
		// Staff alert to a role goes to the WeCom robot.
		robot := r.wait(t, r.notify(t, bot.Notice{Kind: "human_request", To: bot.DutyStaff, Text: "居民请求人工服务", Key: "k-robot", Staff: true}))
		if robot.Status != storage.NotificationSent || robot.Channel != notify.ChannelRobot {
			t.Errorf("robot: %+v", robot)
		}
		if got := r.robot.got(); len(got) != 1 || got[0] != "居民请求人工服务" {
			t.Errorf("robot got %q", got)
		}
		// The same key never queues twice. A later notice to the same
		// resident goes out after anything queued before it, so once it
		// is sent, a duplicate would have been too.
		again := r.notify(t, text("o-cs", "k-cs", "您的报修已受理。"))
		if again != cs.ID {
			t.Errorf("duplicate key made row %d, want %d", again, cs.ID)
		}
		r.wait(t, r.notify(t, text("o-cs", "k-cs-later", "后来的通知")))
		var texts []string
		for _, c := range r.fake.CustomTexts() {
			texts = append(texts, c.Content)
		}
		if diff := cmp.Diff([]string{"您的报修已受理。", "后来的通知"}, texts); diff != "" {
			t.Errorf("customer-service sends after a duplicate notice (-want +got):\n%s", diff)
		}
	})
}

func TestRetriesAndGivingUp(t *testing.T) {
	store := storagetest.Open(t)
	r := newRig(t, store, fastConfig())

	r.fake.FailNext(wechattest.PathCustomSend, wechat.CodeSystemBusy, 3)
	busy := r.wait(t, r.notify(t, text("o-busy", "k-busy", "第一条")))
	if busy.Status != storage.NotificationSent || busy.Attempts != 4 {
		t.Errorf("-1 three times then success: %+v", busy)
	}

	r.fake.FailNext(wechattest.PathCustomSend, 43004, 1)
	gone := r.wait(t, r.notify(t, text("o-gone", "k-gone", "已取关")))
	if gone.Status != storage.NotificationFailed || !strings.Contains(gone.LastError, "43004") || gone.Attempts != 1 {
		t.Errorf("43004: %+v", gone)
	}
	// Out of the 48-hour window with no template for the kind: failed, with
	// the reason, after one try.
	r.fake.FailNext(wechattest.PathCustomSend, wechat.CodeOutOfWindow, 1)
	late := r.wait(t, r.notify(t, text("o-window", "k-window", "超过48小时")))
	if late.Status != storage.NotificationFailed || !strings.Contains(late.LastError, "45015") {
		t.Errorf("45015 without template: %+v", late)
	}
	if n := r.fake.Count(wechattest.PathCustomSend); n != 1 {
		t.Errorf("%d accepted sends, want 1 (only the busy one)", n)
	}
	// An operator re-queues the failed one; this time it goes out.
	if err := r.box.Retry(context.Background(), gone.ID); err != nil {
		t.Fatal(err)
	}
	if again := r.wait(t, gone.ID); again.Status != storage.NotificationSent {
		t.Errorf("after retry: %+v", again)
	}
	if err := r.box.Retry(context.Background(), gone.ID); err == nil {
		t.Error("retrying a sent notification was accepted")
	}
	if err := r.box.Retry(context.Background(), 999999); err == nil {
		t.Error("retrying an unknown notification was accepted")
	}
}

func TestTokenExpiresMidStream(t *testing.T) {
	store := storagetest.Open(t)
	r := newRig(t, store, fastConfig())
	var ids []int64
	for i := range 10 {
		if i == 5 {
			r.fake.ExpireTokens()
		}
		ids = append(ids, r.notify(t, text(fmt.Sprintf("o-tok-%d", i), fmt.Sprintf("k-tok-%d", i), "通知")))
	}
	for _, id := range ids {
		if n := r.wait(t, id); n.Status != storage.NotificationSent {
			t.Errorf("row %d: %+v", id, n)
		}
	}
	if n := r.fake.Count(wechattest.PathCustomSend); n != 10 {
		t.Errorf("%d sends accepted, want 10", n)
	}
	if n := r.fake.TokenFetches(); n > 2 {
		t.Errorf("%d token fetches, want at most 2 (one refresh)", n)
	}
}

// syncBuffer collects log output from the workers' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestOutageDeliversEverythingInOrder(t *testing.T) {
	store := storagetest.Open(t)
	r := newRig(t, store, fastConfig())
	var logs syncBuffer
	// Replace the rig's outbox with one whose log we read.
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.runner.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	r.box, r.runner = start(t, store, r.wx, fastConfig(), slog.New(slog.NewTextHandler(&logs, nil)))
	r.fake.SetDown(true)
	var ids []int64
	for i := range 5 {
		for _, who := range []string{"o-a", "o-b"} {
			ids = append(ids, r.notify(t, text(who, fmt.Sprintf("%s-%d", who, i), fmt.Sprintf("%s 第%d条", who, i))))
		}
	}
	// Let the workers fail at least once before the API comes back.
	per := r.afterOutage(t, store, ids)
	for _, who := range []string{"o-a", "o-b"} {
		var want []string
		for i := range 5 {
			want = append(want, fmt.Sprintf("%s 第%d条", who, i))
		}
		if diff := cmp.Diff(want, per[who]); diff != "" {
			t.Errorf("order for %s (-want +got):\n%s", who, diff)
		}
	}
	out := logs.String()
	if n := strings.Count(out, "WeChat API failing"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "WeChat API answering again"); n != 1 {
		t.Errorf("the recovery was logged %d times, want once", n)
	}
}

func TestTwoWorkersOnPostgresNeverSendTwice(t *testing.T) {
	url := storagetest.PostgresURL(t)
	open := func() *storage.Store {
		s, err := storage.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a := open()
	if err := a.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, a, fastConfig())
	start(t, open(), r.wx, fastConfig(), quietLog()) // a second instance on the same database
	var ids []int64
	for i := range 60 {
		ids = append(ids, r.notify(t, text(fmt.Sprintf("o-%d", i%7), fmt.Sprintf("k-%d", i), fmt.Sprintf("消息%d", i))))
	}
	for _, id := range ids {
		r.wait(t, id)
	}
	seen := map[string]int{}
	for _, c := range r.fake.CustomTexts() {
		seen[c.Content]++
	}
	if len(seen) != 60 {
		t.Errorf("%d distinct messages delivered, want 60", len(seen))
	}
	for msg, n := range seen {
		if n != 1 {
			t.Errorf("%q sent %d times", msg, n)
		}
	}
}

func TestQuietHoursHoldResidentsNotStaff(t *testing.T) {
	store := storagetest.Open(t)
	cfg := fastConfig()
	cfg.Quiet = notify.DefaultQuietHours
	night := time.Date(2026, 11, 26, 23, 30, 0, 0, time.FixedZone("CST", 8*3600))
	cfg.Now = func() time.Time { return night }
	r := newRig(t, store, cfg)
	held := r.notify(t, bot.Notice{Kind: "event_reminder", To: "o-sleepy", Text: "明天的活动", Key: "k-held"})
	urgent := r.notify(t, bot.Notice{Kind: "reply", To: "o-sleepy", Text: "您的回复", Key: "k-urgent", Urgent: true})
	staff := r.notify(t, bot.Notice{Kind: "ticket_new", To: "o-staff", Text: "新工单", Key: "k-staff", Staff: true})
	for _, id := range []int64{urgent, staff} {
		if n := r.wait(t, id); n.Status != storage.NotificationSent {
			t.Errorf("row %d: %+v", id, n)
		}
	}
	n, err := store.Notification(context.Background(), held)
	if err != nil {
		t.Fatal(err)
	}
	morning := time.Date(2026, 11, 27, 7, 0, 0, 0, time.FixedZone("CST", 8*3600))
	if n.Status != storage.NotificationPending || !n.NotBefore.Equal(morning) {
		t.Errorf("held notification: %+v, want pending until %s", n, morning.UTC())
	}
	// A reminder set for tomorrow afternoon keeps its time; one due in the
	// night moves to the morning.
	afternoon := time.Date(2026, 11, 27, 15, 0, 0, 0, time.FixedZone("CST", 8*3600))
	remind := r.notify(t, bot.Notice{Kind: "event_reminder", To: "o-sleepy", Text: "下午的活动", Key: "k-remind", At: afternoon})
	nightly := r.notify(t, bot.Notice{Kind: "event_reminder", To: "o-sleepy", Text: "凌晨", Key: "k-night", At: night.Add(2 * time.Hour)})
	for id, want := range map[int64]time.Time{remind: afternoon, nightly: morning} {
		n, err := store.Notification(context.Background(), id)
		if err != nil || !n.NotBefore.Equal(want) {
			t.Errorf("row %d due %s, want %s (%v)", id, n.NotBefore, want.UTC(), err)
		}
	}
	for _, c := range r.fake.CustomTexts() {
		if c.Content == "明天的活动" || c.Content == "下午的活动" {
			t.Errorf("%q went out early", c.Content)
		}
	}
}

// TestNoRowIsStranded: rows waiting behind an older one to the same
// recipient do not spend their tries; when the older ones run out of
// tries and fail, the newer ones still go out.
func TestNoRowIsStranded(t *testing.T) {
	store := storagetest.Open(t)
	cfg := fastConfig()
	cfg.MaxAttempts = 3
	r := newRig(t, store, cfg)
	r.fake.SetDown(true)
	var older, newer []int64
	for i := range 4 {
		who := fmt.Sprintf("o-s%d", i)
		older = append(older, r.notify(t, text(who, who+"-1", "旧")))
		newer = append(newer, r.notify(t, text(who, who+"-2", "新")))
	}
	for _, id := range older {
		if n := r.wait(t, id); n.Status != storage.NotificationFailed {
			t.Errorf("older row %d: %+v, want failed after 3 tries", id, n)
		}
	}
	r.fake.SetDown(false)
	// Every newer row reaches a final state; one that spent its own tries
	// during the outage is failed (not stuck pending) and an operator's
	// retry sends it.
	for _, id := range newer {
		n := r.wait(t, id)
		if n.Status == storage.NotificationFailed {
			if err := r.box.Retry(context.Background(), id); err != nil {
				t.Fatalf("retry %d: %v", id, err)
			}
			n = r.wait(t, id)
		}
		if n.Status != storage.NotificationSent {
			t.Errorf("newer row %d: %+v, want sent", id, n)
		}
	}
}

func TestStaffAlertsNeedARobot(t *testing.T) {
	store := storagetest.Open(t)
	cfg := fastConfig()
	cfg.RobotKey = ""
	r := newRig(t, store, cfg)
	n := r.wait(t, r.notify(t, bot.Notice{Kind: "human_request", To: bot.DutyStaff, Text: "居民请求人工服务", Key: "k-norobot", Staff: true}))
	if n.Status != storage.NotificationFailed || !strings.Contains(n.LastError, "TONGXIN_WECOM_ROBOT_KEY") {
		t.Errorf("staff alert without a robot: %+v, want failed naming the setting", n)
	}
	// A rate-limited robot is retried, not given up.
	store2 := storagetest.Open(t)
	r2 := newRig(t, store2, fastConfig())
	r2.robot.mu.Lock()
	r2.robot.code, r2.robot.failures = 45009, 1
	r2.robot.mu.Unlock()
	id := r2.notify(t, bot.Notice{Kind: "human_request", To: bot.DutyStaff, Text: "限流", Key: "k-limited", Staff: true})
	if n := r2.wait(t, id); n.Status != storage.NotificationSent || n.Attempts != 2 {
		t.Errorf("rate-limited robot: %+v, want sent after a retry", n)
	}
}

// TestQueuedNoticesAboutOneThingGoOutAsOne: staff notices about one
// ticket that queue up (here: behind an outage) reach their recipient as
// one message with all their news, in order, and every row is marked
// sent; notices with another merge key, another recipient or none go out
// on their own.
func TestQueuedNoticesAboutOneThingGoOutAsOne(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		r := newRig(t, store, fastConfig())
		r.fake.SetDown(true)
		staff := func(to, key, merge, text string) int64 {
			return r.notify(t, bot.Notice{Kind: "ticket_supplement", To: to, Text: text, Key: key, Staff: true, Merge: merge})
		}
		ids := []int64{
			staff("o-staff", "k-1", "ticket:1:staff", "【新诉求】编号 1"),
			staff("o-staff", "k-2", "ticket:1:staff", "【补充】编号 1 第一次"),
			staff("o-staff", "k-3", "ticket:2:staff", "【新诉求】编号 2"),
			staff("o-staff", "k-4", "ticket:1:staff", "【补充】编号 1 第二次"),
			staff("o-other", "k-5", "ticket:1:staff", "【抄送】编号 1"),
			staff("o-staff", "k-6", "", "【通知】无合并键"),
		}
		per := r.afterOutage(t, store, ids)
		want := map[string][]string{
			"o-staff": {"【新诉求】编号 1\n\n【补充】编号 1 第一次\n\n【补充】编号 1 第二次", "【新诉求】编号 2", "【通知】无合并键"},
			"o-other": {"【抄送】编号 1"},
		}
		if diff := cmp.Diff(want, per); diff != "" {
			t.Errorf("messages per recipient (-want +got):\n%s", diff)
		}
	})
}

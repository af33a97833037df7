package signup_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/bottest"
	cm "github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/signup"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// t0 is when every test starts: Thursday 2026-11-26 09:00 in Shanghai.
var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai)

func at(month time.Month, day, hour, min int) time.Time {
	return time.Date(2026, month, day, hour, min, 0, 0, bot.Shanghai)
}

// rig is a router with the sign-up feature over a real service and
// community, and an outbox that delivers (to the log) what is due before
// each message, so that an offer's question reaches its resident.
type rig struct {
	t     *testing.T
	store *storage.Store
	clock *bottest.Clock
	box   *notify.Outbox
	svc   *activities.Service
	r     *bot.Router
	ids   map[string]int64
}

// The fixture's activities, by the name transcripts know them by.
//
//	邻里荟     Sat 11-28 14:00, 20 seats, one person each, no questions
//	百家宴     Sat 12-05 11:30, 6 seats, parties of up to 4, 民族 (choices) and
//	           饮食禁忌 (free text, optional); sign-up closes 12-04 18:00
//	讲座       today 15:00–16:30, 2 seats, parties of up to 2 (check-in today)
//	端午       Sun 11-29, cancelled
//	志愿者日   Mon 11-30, sign-up closed yesterday
func newRig(t *testing.T, store *storage.Store, empty bool) *rig {
	t.Helper()
	return newRigHold(t, store, empty, 0)
}

// newRigHold is newRig with offers held for hold (the default when 0).
func newRigHold(t *testing.T, store *storage.Store, empty bool, hold time.Duration) *rig {
	t.Helper()
	ctx := context.Background()
	clock := bottest.NewClock(t0)
	store.Now = clock.Now
	x := &rig{t: t, store: store, clock: clock, ids: map[string]int64{}}
	x.box = notifytest.Queue(t, store, notify.Config{Now: clock.Now, LogOnly: true})
	x.svc = activities.New(store, x.box, activities.Config{Now: clock.Now, Hold: hold})
	c := communitytest.Seed(t, store, clock.Now, communitytest.Spec{Staff: []communitytest.Member{
		{Name: "张网格", OpenID: "o-staff", Roles: []cm.Role{cm.RoleGridWorker}},
	}})
	if err := store.SaveProfile(ctx, bot.Resident{OpenID: "o-home", Name: "王奶奶", Phone: "13900001111", Address: "5号楼1单元101室"}); err != nil {
		t.Fatal(err)
	}
	add := func(name string, a activity.Activity) {
		t.Helper()
		made, err := x.svc.Create(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		x.ids[name] = made.ID
	}
	deadline := at(12, 4, 18, 0)
	closed := at(11, 25, 18, 0)
	if !empty {
		add("邻里荟", activity.Activity{Title: "邻里荟", Description: "邻居们一起喝茶聊天，欢迎带上拿手点心。", Location: "社区活动室",
			StartsAt: at(11, 28, 14, 0), EndsAt: at(11, 28, 16, 0), Capacity: 20, MaxParty: 1})
		add("百家宴", activity.Activity{Title: "情浓百家宴", Description: "八个民族的邻居各带一道家乡菜。", Location: "社区广场",
			StartsAt: at(12, 5, 11, 30), EndsAt: at(12, 5, 14, 0), Capacity: 6, MaxParty: 4, SignupDeadline: &deadline,
			Questions: []activity.Question{
				{Key: "ethnic", Label: "民族", Choices: []string{"汉族", "回族", "藏族", "其他"}},
				{Key: "diet", Label: "饮食禁忌", Optional: true},
			}})
		add("讲座", activity.Activity{Title: "冬季健康讲座", Location: "社区卫生站", StartsAt: at(11, 26, 15, 0), EndsAt: at(11, 26, 16, 30),
			Capacity: 2, MaxParty: 2})
		add("志愿者日", activity.Activity{Title: "志愿者日", Location: "小区东门", StartsAt: at(11, 30, 9, 0), EndsAt: at(11, 30, 11, 0),
			Capacity: 10, MaxParty: 1, SignupDeadline: &closed})
	}
	add("端午", activity.Activity{Title: "粽香庆端午", Location: "社区食堂", StartsAt: at(11, 29, 10, 0), EndsAt: at(11, 29, 12, 0), Capacity: 30, MaxParty: 2})
	// Cancelling is the admin API's; the fixture sets it as that would.
	if _, err := store.DB().ExecContext(ctx, store.DB().Rebind(`UPDATE activities SET status = 'cancelled' WHERE id = ?`), x.ids["端午"]); err != nil {
		t.Fatal(err)
	}
	d := flows.Deps{Residents: store, Community: c.Service, Activities: x.svc, Questions: x.box, Now: clock.Now}
	r := bot.NewRouter(&bot.MemorySessions{Now: clock.Now})
	r.Now = clock.Now
	r.Residents = store
	if err := signup.Register(r, d); err != nil {
		t.Fatal(err)
	}
	// As cmd's default menu lays it out.
	if err := r.Menu(bot.MenuItem{Key: "EVENTS", Keywords: []string{"活动", "报名"}}); err != nil {
		t.Fatal(err)
	}
	// The tests' wishes, as an operator's words too, so that they do not
	// hang on the built-in vocabulary as it is tuned.
	if err := r.Words("events", "怎么报名:3", "有什么活动:3"); err != nil {
		t.Fatal(err)
	}
	x.r = r
	return x
}

// digits finds numbers in replies; six-digit ones are check-in codes.
var digits = regexp.MustCompile(`\d+`)

// coded shows check-in codes (random) as code1, code2 … in the order
// they first appear, and reads those names back in what is typed; it
// delivers what the outbox has due before each message.
type coded struct {
	x     *rig
	mu    sync.Mutex
	names map[string]string // code → name
	codes map[string]string // name → code
}

func (c *coded) Handle(ctx context.Context, m *bot.Message) (bot.Reply, error) {
	if _, err := c.x.box.DeliverDue(ctx); err != nil {
		return bot.Reply{}, err
	}
	c.mu.Lock()
	for name, code := range c.codes {
		m.Text = strings.ReplaceAll(m.Text, name, code)
	}
	c.mu.Unlock()
	reply, err := c.x.r.Handle(ctx, m)
	c.mu.Lock()
	defer c.mu.Unlock()
	hide := func(s string) string {
		return digits.ReplaceAllStringFunc(s, func(d string) string {
			if len(d) != activity.CheckinCodeLen {
				return d
			}
			name, ok := c.names[d]
			if !ok {
				name = fmt.Sprintf("code%d", len(c.names)+1)
				c.names[d], c.codes[name] = name, d
			}
			return name
		})
	}
	reply.Text = hide(reply.Text)
	var ue *bot.UserError
	if errors.As(err, &ue) {
		err = &bot.UserError{Code: ue.Code, Message: hide(ue.Message)}
	}
	return reply, err
}

func (x *rig) handler() bot.Handler {
	return &coded{x: x, names: map[string]string{}, codes: map[string]string{}}
}

// TestTranscripts replays testdata/*.txt on a fresh database of each
// engine with the fixture above (none_*.txt: only the cancelled one).
// Activity ids follow the fixture's order: 邻里荟 1, 百家宴 2, 讲座 3,
// 志愿者日 4, 端午 5.
func TestTranscripts(t *testing.T) {
	bottest.Each(t, func(t *testing.T, f string) {
		storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
			x := newRig(t, store, strings.HasPrefix(filepath.Base(f), "none_"))
			bottest.Transcript(t, x.handler(), x.clock, f)
		})
	})
}

// TestCancelWords: 取消报名 outside a flow reaches the sign-ups (the
// global 取消 does not swallow it), and 取消 there keeps the sign-up; in
// the middle of signing up 取消报名 is taken for no name, and a bare 取消
// still ends the sign-up flow.
func TestCancelWords(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		x := newRig(t, store, false)
		say := bottest.Say(x.r, x.clock)
		for _, text := range []string{"活动", "2", "张三", "13800138000", "1"} {
			say("o-c", text)
		}
		if got := say("o-c", "取消报名"); !strings.Contains(got, "要取消这条报名吗") {
			t.Errorf("取消报名 outside a flow: %q", got)
		}
		if got := say("o-c", "取消"); !strings.Contains(got, "报名保留") {
			t.Errorf("取消 while asked to cancel a sign-up: %q", got)
		}
		if got := say("o-c", "活动"); !strings.Contains(got, "目前可以报名的活动") {
			t.Fatalf("活动: %q", got)
		}
		say("o-c", "1")
		say("o-c", "1")
		if got := say("o-c", "取消报名"); !strings.Contains(got, "这一步请填写报名人的姓名") {
			t.Errorf("取消报名 at the name step: %q", got)
		}
		if got := say("o-c", "取消"); !strings.Contains(got, "「活动报名」已结束") {
			t.Errorf("取消 in the sign-up flow: %q", got)
		}
		if _, _, err := x.r.Sessions.Load(context.Background(), "o-c"); err == nil {
			t.Error("a flow is still open after 取消")
		}
		bs, err := x.svc.Mine(context.Background(), "o-c")
		if err != nil || len(bs) != 1 || bs[0].Signup.Status != activity.Confirmed {
			t.Errorf("the sign-up after keeping it: %+v, %v", bs, err)
		}
	})
}

// TestStaffCodeInTwoActivities: two of today's activities have a sign-up
// with the same code (codes are unique per activity only). 签到 <code>
// checks nobody in and lists both with their ids; 签到 <code> <id>
// checks in the one named.
func TestStaffCodeInTwoActivities(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		x := newRig(t, store, false)
		other, err := x.svc.Create(ctx, activity.Activity{Title: "书法班", Location: "二楼教室", StartsAt: at(11, 26, 19, 0), EndsAt: at(11, 26, 20, 0), Capacity: 5, MaxParty: 1})
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, id := range []int64{x.ids["讲座"], other.ID} {
			rc, err := x.svc.SignUp(ctx, activity.Draft{ActivityID: id, OpenID: "o-twice", Name: "李爷爷", Phone: "13800138000", PartySize: 1})
			if err != nil {
				t.Fatal(err)
			}
			codes = append(codes, rc.Signup.CheckinCode)
		}
		if _, err := store.DB().ExecContext(ctx, store.DB().Rebind(`UPDATE activity_signups SET checkin_code = ? WHERE checkin_code = ? AND activity_id = ?`),
			codes[0], codes[1], other.ID); err != nil {
			t.Fatal(err)
		}
		say := bottest.Say(x.r, x.clock)
		got := say("o-staff", "签到 "+codes[0])
		if !strings.Contains(got, "今天有 2 个活动") || !strings.Contains(got, fmt.Sprintf("签到 %s %d", codes[0], other.ID)) {
			t.Errorf("ambiguous code: %q", got)
		}
		if got := say("o-staff", fmt.Sprintf("签到 %s %d", codes[0], other.ID)); !strings.Contains(got, "已签到：「书法班」") {
			t.Errorf("code with the activity: %q", got)
		}
		bs, err := x.svc.Mine(ctx, "o-twice")
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			want := activity.Confirmed
			if b.Activity.ID == other.ID {
				want = activity.Attended
			}
			if b.Signup.Status != want {
				t.Errorf("%s: %s, want %s", b.Activity.Title, b.Signup.Status, want)
			}
		}
	})
}

// TestOfferOfToday: with offers held an hour, seats freed at 09:00 for
// today's 15:00 talk are offered. Scanning the venue's code while the
// offer waits says to accept first; a bare 2 right after the offer
// arrived declines it.
func TestOfferOfToday(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		x := newRigHold(t, store, false, time.Hour)
		id := x.ids["讲座"]
		first, err := x.svc.SignUp(ctx, activity.Draft{ActivityID: id, OpenID: "o-a", Name: "阿依", Phone: "13800000001", PartySize: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.svc.SignUp(ctx, activity.Draft{ActivityID: id, OpenID: "o-b", Name: "白雪", Phone: "13800000002", PartySize: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := x.svc.Cancel(ctx, "o-a", first.Signup.ID); err != nil {
			t.Fatal(err)
		}
		h := x.handler()
		scan := func(openid, scene string) string {
			m := &bot.Message{ID: scene, OpenID: openid, Kind: bot.KindEvent, Event: bot.EventScan, EventKey: scene, Time: x.clock.Now()}
			reply, err := h.Handle(ctx, m)
			if err != nil {
				return bot.UserMessage(err)
			}
			return reply.Text
		}
		if got := scan("o-b", fmt.Sprintf("checkin:%d", id)); !strings.Contains(got, "请先回复「接受」") {
			t.Errorf("scan while offered: %q", got)
		}
		say := bottest.Say(h, x.clock)
		if got := say("o-b", "2"); !strings.Contains(got, "已放弃「冬季健康讲座」的名额") {
			t.Errorf("2 right after the offer: %q", got)
		}
		bs, err := x.svc.Mine(ctx, "o-b")
		if err != nil || len(bs) != 0 {
			t.Errorf("o-b's sign-ups after declining: %+v, %v", bs, err)
		}
	})
}

// TestEventCancelledWhileSigningUp: staff cancel the event while a
// resident fills the form; their 1 at the summary is told so and offered
// the other events, not a retry.
func TestEventCancelledWhileSigningUp(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		x := newRig(t, store, false)
		say := bottest.Say(x.r, x.clock)
		for _, text := range []string{"活动", "2", "张三", "13800138000"} {
			say("o-late", text)
		}
		if _, err := store.DB().ExecContext(ctx, store.DB().Rebind(`UPDATE activities SET status = 'cancelled' WHERE id = ?`), x.ids["邻里荟"]); err != nil {
			t.Fatal(err)
		}
		got := say("o-late", "1")
		if !strings.Contains(got, "「邻里荟」已取消。可以选其他活动") || strings.Contains(got, "重试") || strings.Contains(got, "2 邻里荟") {
			t.Errorf("confirming a cancelled event: %q", got)
		}
		if bs, err := x.svc.Mine(ctx, "o-late"); err != nil || len(bs) != 0 {
			t.Errorf("sign-ups: %+v, %v", bs, err)
		}
	})
}

// TestOwnWordsAtEveryStep: 取消报名 and 我的报名, which the sign-up form
// keeps for itself, are answered at each step that can receive them
// (what the step wants, and 取消 to leave) instead of counting as a
// wrong answer; 取消 then ends the form.
func TestOwnWordsAtEveryStep(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		x := newRig(t, store, false)
		say := bottest.Say(x.r, x.clock)
		say("o-own", "活动")
		say("o-own", "3")
		for _, tc := range []struct{ say, want, next string }{
			{"取消报名", "这一步请回复参加的人数（数字）；不想报了请回复 取消。", "2"},
			{"我的报名", "这一步请选一项；不想报了请回复 取消。\n民族：\n1 汉族", "1"},
			{"取消报名", "这一步请回答：饮食禁忌；不想报了请回复 取消。", "跳过"},
			{"我的报名", "这一步请填写报名人的姓名；不想报了请回复 取消。", "张三"},
			{"取消报名", "这一步请留下手机号；不想报了请回复 取消。", "13800138000"},
		} {
			if got := say("o-own", tc.say); !strings.Contains(got, tc.want) || strings.Contains(got, "回复 帮助") {
				t.Errorf("%s: %q, want %q and no strike", tc.say, got, tc.want)
			}
			say("o-own", tc.next)
		}
		if got := say("o-own", "取消"); !strings.Contains(got, "「活动报名」已结束") {
			t.Errorf("取消: %q", got)
		}
	})
}

// TestOwnWordsAtTheListAndSummary: at the list of events (a step whose
// numbered choices the engine reads) and at the summary, 取消报名 is
// neither a command nor a wrong answer: the resident is told how to leave
// and asked again, however often, without the two-miss help line.
func TestOwnWordsAtTheListAndSummary(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		x := newRig(t, store, false)
		say := bottest.Say(x.r, x.clock)
		const want = "请先回答下面的问题；不想继续请回复 取消。"
		say("o-own", "活动")
		for i := 0; i < 3; i++ {
			if got := say("o-own", "取消报名"); !strings.Contains(got, want) || strings.Contains(got, "回复 帮助") {
				t.Fatalf("at the list, time %d: %q, want %q and no strike", i+1, got, want)
			}
		}
		for _, text := range []string{"2", "张三", "13800138000"} {
			say("o-own", text)
		}
		for i := 0; i < 3; i++ {
			if got := say("o-own", "我的报名"); !strings.Contains(got, want) || !strings.Contains(got, "回复 1 确认") || strings.Contains(got, "回复 帮助") {
				t.Fatalf("at the summary, time %d: %q, want %q, the summary again and no strike", i+1, got, want)
			}
		}
		if got := say("o-own", "1"); !strings.Contains(got, "签到码") {
			t.Errorf("1 after: %q, want the sign-up made", got)
		}
	})
}

package bot

// An internal test: the router's tests replace the classifier
// (understanding.classify) to decide the band themselves, so that they
// test what the router does with each band, not how the scorer (another
// package, tuned on its own evaluation set) weighs words.

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot/intent"
)

// understandFixture is a router with two feature intents (a repair that
// starts a flow with what was said, a legal question that answers), a
// two-item menu, a contains keyword, and fakes for what the router tells
// others.
type understandFixture struct {
	t     *testing.T
	r     *Router
	store *MemorySessions
	now   time.Time
	// got are the intents handlers ran for, with what was said.
	got    []Understood
	obs    *understandObserver
	unrec  *fakeUnrecognised
	humans int
}

// fakeResults is what the fake classifier says of each normalised text;
// anything else is Band None.
var fakeResults = map[string]intent.Result{
	"楼道灯坏了":     {Intent: "report:repair", Score: 2, Band: intent.Sure},
	"想咨询律师":     {Intent: "clinic:consult", Score: 2, Band: intent.Sure},
	"房东不退押金还漏水": {Intent: "report:repair", Score: 1, Band: intent.Unsure, Second: "clinic:consult", SecondScore: 1},
	"谁管这个":      {Intent: "report:repair", Score: 0.5, Band: intent.Unsure},
	"谢谢,上次的修好了": {Intent: "thanks", Score: 1, Band: intent.Unsure, Second: "report:repair", SecondScore: 1},
	"谢谢啦辛苦":     {Intent: "thanks", Score: 1, Band: intent.Unsure, Second: "greeting", SecondScore: 1},
	"谢谢":        {Intent: "thanks", Score: 2, Band: intent.Sure},
	"你好":        {Intent: "greeting", Score: 2, Band: intent.Sure},
	"早上好":       {Intent: "greeting", Score: 2, Band: intent.Sure},
	"在吗":        {Intent: "greeting", Score: 2, Band: intent.Sure},
	"我要找工作人员":   {Intent: "human", Score: 2, Band: intent.Sure},
	// Claimed by keywords before understanding.
	"物业电话多少": {Intent: "report:repair", Score: 2, Band: intent.Sure},
	"报修":     {Intent: "clinic:consult", Score: 2, Band: intent.Sure},
	// A word of a vocabulary, too weak to act on.
	"灯": {Intent: "report:repair", Score: 0.2, Band: intent.None},
}

type understandObserver struct {
	mu     sync.Mutex
	events []string
}

func (o *understandObserver) FlowStarted(f string)    { o.add("start " + f) }
func (o *understandObserver) FlowEnded(f, how string) { o.add(how + " " + f) }
func (o *understandObserver) Understood(in, band string) {
	o.add("understood " + in + "/" + band)
}
func (o *understandObserver) add(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, s)
}

type recorded struct {
	Text string
	At   time.Time
}

type fakeUnrecognised struct {
	got  []recorded
	fail bool
}

func (u *fakeUnrecognised) Record(ctx context.Context, text string, at time.Time) error {
	if u.fail {
		return errors.New("postgres: connection refused")
	}
	u.got = append(u.got, recorded{text, at})
	return nil
}

func newUnderstandFixture(t *testing.T, fake bool) *understandFixture {
	t.Helper()
	f := &understandFixture{t: t, now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), obs: &understandObserver{}, unrec: &fakeUnrecognised{}}
	f.store = &MemorySessions{Now: f.clock}
	r := NewRouter(f.store)
	f.r = r
	r.Now = f.clock
	r.Logger = slog.New(slog.DiscardHandler)
	r.Observer = f.obs
	r.Unrecognised = f.unrec
	r.Human = HandlerFunc(func(ctx context.Context, m *Message) (Reply, error) {
		f.humans++
		return Text("已通知值班人员。"), nil
	})
	if fake {
		r.und.classify = func(norm string) intent.Result { return fakeResults[norm] }
	}
	reply := func(s string) Handler {
		return HandlerFunc(func(ctx context.Context, m *Message) (Reply, error) { return Text(s), nil })
	}
	mustOK(t, r.Flow(&Flow{
		Name: "fix", Title: "报修",
		Start: func(ctx context.Context, st *State) error {
			if u := st.Understood(); u != nil {
				st.Set("desc", Answer{Value: u.Said})
			}
			return nil
		},
		Steps: []*Step{
			{Key: "desc", Label: "问题", Prompt: "请描述问题。"},
			{Key: "where", Label: "地点", Prompt: "在哪里？"},
		},
		Submit: func(ctx context.Context, st *State) (Reply, error) { return Text("已提交。"), nil },
	}))
	mustOK(t, r.Intent(Intent{Name: "report:repair", Label: "报修/诉求（维修报修）", Words: []string{"灯", "漏水"},
		Handler: func(ctx context.Context, m *Message, u Understood) (Reply, error) {
			f.got = append(f.got, u)
			return r.StartWith(ctx, m, "fix", u)
		}}))
	mustOK(t, r.Intent(Intent{Name: "clinic:consult", Label: "法律咨询", Words: []string{"律师", "押金"},
		Handler: func(ctx context.Context, m *Message, u Understood) (Reply, error) {
			f.got = append(f.got, u)
			return Text("法律咨询：" + u.Said), nil
		}}))
	mustOK(t, r.Action(MenuEntry{Key: "A", Label: "测试登记", Handler: reply("menu 1")}))
	mustOK(t, r.Action(MenuEntry{Key: "B", Label: "关于", Handler: reply("menu 2")}))
	mustOK(t, r.Menu(MenuItem{Key: "A"}, MenuItem{Key: "B"}))
	mustOK(t, r.Contains("电话", reply("社区电话：0937-0000000")))
	mustOK(t, r.Exact("报修", reply("exact 报修")))
	return f
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *understandFixture) clock() time.Time { return f.now }

// send sends text from openid and returns the reply's text.
func (f *understandFixture) send(openid, text string) string {
	f.t.Helper()
	reply, err := f.r.Handle(context.Background(), &Message{OpenID: openid, Kind: KindText, Text: text, Time: f.now})
	if err != nil {
		f.t.Fatalf("%q: %v", text, err)
	}
	return reply.Text
}

// session returns openid's stored session, nil when there is none.
func (f *understandFixture) session(openid string) *Session {
	f.t.Helper()
	s, _, err := f.store.Load(context.Background(), openid)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	mustOK(f.t, err)
	return s
}

const (
	askTwo = "您是想办理哪一项？\n1 报修/诉求（维修报修）\n2 法律咨询\n回复数字；也可以直接描述问题。"
	askOne = "您是要办理「报修/诉求（维修报修）」吗？\n回复 1 是 2 不是"
	menu   = "请回复数字：\n1 测试登记\n2 关于"
)

func TestUnderstandSureStartsTheIntentWithWhatWasSaid(t *testing.T) {
	f := newUnderstandFixture(t, true)
	if got := f.send("o1", " 楼道灯坏了 "); got != "在哪里？" {
		t.Errorf("reply %q: want the flow's next question, the description kept", got)
	}
	if len(f.got) != 1 || f.got[0].Intent != "report:repair" || f.got[0].Said != "楼道灯坏了" {
		t.Errorf("handler got %+v", f.got)
	}
	if s := f.session("o1"); s == nil || s.Flow != "fix" || s.Answers["desc"].Value != "楼道灯坏了" {
		t.Errorf("session %+v: want the flow with the description", s)
	}
	if diff := cmp.Diff([]string{"understood report:repair/sure", "start fix"}, f.obs.events); diff != "" {
		t.Errorf("observer (-want +got):\n%s", diff)
	}
}

// TestUnderstandUnsureAsks: two close intents → a numbered question; the
// answer, as residents type it, runs the chosen intent with the original
// message as what was said.
func TestUnderstandUnsureAsks(t *testing.T) {
	for _, tc := range []struct {
		answer, intent, reply string
	}{
		{"1", "report:repair", "在哪里？"},
		{"一", "report:repair", "在哪里？"},
		{"１", "report:repair", "在哪里？"},
		{"第一个", "report:repair", "在哪里？"},
		{"2", "clinic:consult", "法律咨询：房东不退押金还漏水"},
		{"第二个", "clinic:consult", "法律咨询：房东不退押金还漏水"},
		{"二。", "clinic:consult", "法律咨询：房东不退押金还漏水"},
	} {
		t.Run(tc.answer, func(t *testing.T) {
			f := newUnderstandFixture(t, true)
			if got := f.send("o1", "房东不退押金还漏水"); got != askTwo {
				t.Fatalf("question %q, want %q", got, askTwo)
			}
			if s := f.session("o1"); s == nil || s.Pending == nil || s.Pending.Said != "房东不退押金还漏水" {
				t.Fatalf("session %+v: want the question kept", s)
			}
			f.now = f.now.Add(3 * time.Minute)
			if got := f.send("o1", tc.answer); got != tc.reply {
				t.Errorf("answer %q → %q, want %q", tc.answer, got, tc.reply)
			}
			if len(f.got) != 1 || f.got[0].Intent != tc.intent || f.got[0].Said != "房东不退押金还漏水" {
				t.Errorf("handler got %+v, want %s with the original text", f.got, tc.intent)
			}
			if s := f.session("o1"); s != nil && s.Pending != nil {
				t.Errorf("the question outlived its answer: %+v", s.Pending)
			}
			if got := f.obs.events[0]; got != "understood report:repair/unsure" {
				t.Errorf("observer saw %q first", got)
			}
		})
	}
}

// TestUnderstandYesToTwoChoicesAsksAgain: "是的" to "which of these?"
// does not say which; the router asks again instead of guessing.
func TestUnderstandYesToTwoChoicesAsksAgain(t *testing.T) {
	f := newUnderstandFixture(t, true)
	f.send("o1", "房东不退押金还漏水")
	if got := f.send("o1", "是的"); got != askTwo {
		t.Errorf("是的 → %q, want the question again", got)
	}
	if got := f.send("o1", "2"); got != "法律咨询：房东不退押金还漏水" {
		t.Errorf("2 → %q", got)
	}
}

func TestUnderstandYesNoQuestion(t *testing.T) {
	for _, tc := range []struct {
		said, answer, reply string
		ran                 bool
	}{
		{"谁管这个", "1", "在哪里？", true},
		{"谁管这个", "是的", "在哪里？", true},
		{"谁管这个", "对", "在哪里？", true},
		{"谁管这个", "2", "好的。请直接说说您遇到的问题，或者：\n\n" + menu, false},
		{"谁管这个", "不是", "好的。请直接说说您遇到的问题，或者：\n\n" + menu, false},
		{"谁管这个", "第二个", "好的。请直接说说您遇到的问题，或者：\n\n" + menu, false},
		// Thanks with a runner-up that is a request: ask about the
		// request rather than start it or ignore it.
		{"谢谢，上次的修好了", "不是", "好的。请直接说说您遇到的问题，或者：\n\n" + menu, false},
	} {
		t.Run(tc.said+"/"+tc.answer, func(t *testing.T) {
			f := newUnderstandFixture(t, true)
			if got := f.send("o1", tc.said); got != askOne {
				t.Fatalf("question %q, want %q", got, askOne)
			}
			if got := f.send("o1", tc.answer); got != tc.reply {
				t.Errorf("answer %q → %q, want %q", tc.answer, got, tc.reply)
			}
			if ran := len(f.got) == 1 && f.got[0].Said == strings.TrimSpace(tc.said); ran != tc.ran {
				t.Errorf("handler got %+v, want it run: %v", f.got, tc.ran)
			}
			if s := f.session("o1"); s != nil && s.Pending != nil {
				t.Errorf("the question outlived its answer: %+v", s.Pending)
			}
			if !tc.ran {
				// The question is gone: a number is the menu's again.
				if got := f.send("o1", "1"); got != "menu 1" {
					t.Errorf("then 1 → %q, want menu 1", got)
				}
			}
		})
	}
}

// TestUnderstandSomethingElseAfterAQuestion: a new description, a keyword
// or words nobody understood are taken as they come, and the question is
// forgotten.
func TestUnderstandSomethingElseAfterAQuestion(t *testing.T) {
	for _, tc := range []struct{ next, reply string }{
		{"楼道灯坏了", "在哪里？"},
		{"物业电话多少", "社区电话：0937-0000000"},
		{"报修", "exact 报修"},
		{"abc", "抱歉，没太明白您的意思。\n您可以直接说遇到的问题，比如：楼道灯坏了、想咨询律师。\n\n" + menu},
	} {
		t.Run(tc.next, func(t *testing.T) {
			f := newUnderstandFixture(t, true)
			f.send("o1", "房东不退押金还漏水")
			if got := f.send("o1", tc.next); got != tc.reply {
				t.Errorf("%q → %q, want %q", tc.next, got, tc.reply)
			}
			for _, u := range f.got {
				if u.Said == "房东不退押金还漏水" {
					t.Errorf("the question's intent ran: %+v", u)
				}
			}
			if s := f.session("o1"); s != nil && s.Pending != nil {
				t.Errorf("the question outlived %q: %+v", tc.next, s.Pending)
			}
		})
	}
}

// TestUnderstandQuestionWindow: after PendingWindow a number is a menu
// choice again; within it, the question's.
func TestUnderstandQuestionWindow(t *testing.T) {
	f := newUnderstandFixture(t, true)
	f.send("o1", "房东不退押金还漏水")
	f.now = f.now.Add(PendingWindow + time.Second)
	if got := f.send("o1", "1"); got != "menu 1" {
		t.Errorf("late 1 → %q, want menu 1", got)
	}
	if len(f.got) != 0 {
		t.Errorf("a late answer ran %+v", f.got)
	}
	if s := f.session("o1"); s != nil {
		t.Errorf("session kept after the late answer: %+v", s)
	}
}

// TestUnderstandQuestionAfterACompletedFlow: a question asked right after
// a flow completed takes the "1" that would otherwise be taken for a
// double-sent confirmation.
func TestUnderstandQuestionAfterACompletedFlow(t *testing.T) {
	f := newUnderstandFixture(t, true)
	for _, in := range []string{"楼道灯坏了", "3号楼", "1"} {
		f.send("o1", in)
	}
	if s := f.session("o1"); s == nil || s.Done == nil {
		t.Fatalf("session %+v: want the completed flow remembered", s)
	}
	f.send("o1", "房东不退押金还漏水")
	if got := f.send("o1", "2"); got != "法律咨询：房东不退押金还漏水" {
		t.Errorf("2 → %q", got)
	}
}

func TestUnderstandNothingRecognised(t *testing.T) {
	f := newUnderstandFixture(t, true)
	want := "抱歉，没太明白您的意思。\n您可以直接说遇到的问题，比如：楼道灯坏了、想咨询律师。\n\n" + menu
	for _, in := range []string{"我家的猫叫咪咪 13800138000", "灯"} {
		if got := f.send("o1", in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
	wantRec := []recorded{{"我家的猫叫咪咪 13800138000", f.now}, {"灯", f.now}}
	if diff := cmp.Diff(wantRec, f.unrec.got); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"understood /none", "understood /none"}, f.obs.events); diff != "" {
		t.Errorf("observer (-want +got):\n%s", diff)
	}
	if s := f.session("o1"); s != nil {
		t.Errorf("a fallback left a session: %+v", s)
	}
	// A recorder that fails loses the sample, not the answer.
	f.unrec.fail = true
	if got := f.send("o1", "abc"); got != want {
		t.Errorf("with a failing recorder → %q", got)
	}
	// Without a recorder the fallback is the same.
	f.r.Unrecognised = nil
	if got := f.send("o1", "abc"); got != want {
		t.Errorf("without a recorder → %q", got)
	}
}

// TestUnderstandSmallTalk: greetings by the time of day in Shanghai, or
// with the resident's own words; thanks without the menu; a person on
// request. None starts a flow or asks a question.
func TestUnderstandSmallTalk(t *testing.T) {
	describe := "\n您可以直接说遇到的问题，比如：楼道灯坏了、想咨询律师。\n\n" + menu
	for _, tc := range []struct {
		at         int // hour, UTC
		said, want string
	}{
		{13, "你好", "晚上好！我是同心社区小助手，有什么可以帮您？" + describe}, // 21:00 in Shanghai
		{13, "早上好", "早上好！我是同心社区小助手，有什么可以帮您？" + describe},
		{0, "在吗", "在的，早上好！我是同心社区小助手，有什么可以帮您？" + describe}, // 08:00
		{4, "你好", "中午好！我是同心社区小助手，有什么可以帮您？" + describe},    // 12:00
		{9, "你好", "下午好！我是同心社区小助手，有什么可以帮您？" + describe},    // 17:00
		{18, "你好", "晚上好！我是同心社区小助手，有什么可以帮您？" + describe},   // 02:00
		{13, "谢谢", msgThanks},
		{13, "谢谢啦辛苦", msgThanks},
		{13, "我要找工作人员", "已通知值班人员。"},
	} {
		t.Run(tc.said, func(t *testing.T) {
			f := newUnderstandFixture(t, true)
			f.now = time.Date(2026, 11, 26, tc.at, 0, 0, 0, time.UTC)
			if got := f.send("o1", tc.said); got != tc.want {
				t.Errorf("%q at %02d:00 UTC → %q, want %q", tc.said, tc.at, got, tc.want)
			}
			if s := f.session("o1"); s != nil {
				t.Errorf("small talk left a session: %+v", s)
			}
			for _, e := range f.obs.events {
				if strings.HasPrefix(e, "start ") {
					t.Errorf("small talk started a flow: %q", f.obs.events)
				}
			}
		})
	}
}

// TestUnderstandKeywordsFirst: keywords, menu numbers and menu keys are
// routed before understanding, which never sees them.
func TestUnderstandKeywordsFirst(t *testing.T) {
	f := newUnderstandFixture(t, true)
	for in, want := range map[string]string{"物业电话多少": "社区电话：0937-0000000", "报修": "exact 报修", "1": "menu 1", "b": "menu 2"} {
		if got := f.send("o1", in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
	if len(f.got) != 0 || len(f.obs.events) != 0 {
		t.Errorf("understanding saw a keyword: handlers %+v, observer %q", f.got, f.obs.events)
	}
}

// TestUnderstandWithTheClassifier goes through the real classifier:
// operator words count for their intent, and registration errors.
func TestUnderstandWithTheClassifier(t *testing.T) {
	f := newUnderstandFixture(t, false)
	r := f.r
	if err := r.Words("no:such", "水管"); err == nil {
		t.Error("words for an unregistered intent accepted")
	}
	mustOK(t, r.Words("report:repair", "水龙头"))
	res, err := r.Understand("厨房水龙头坏了")
	mustOK(t, err)
	found := false
	for _, h := range res.Hits {
		found = found || (h.Word == "水龙头" && h.Intent == "report:repair" && !h.Negated)
	}
	if res.Intent != "report:repair" || !found {
		t.Errorf("operator word did not count: %s", res.Explain())
	}
	noop := func(ctx context.Context, m *Message, u Understood) (Reply, error) { return Reply{}, nil }
	if err := r.Intent(Intent{Name: "greeting", Label: "again", Handler: noop}); err == nil {
		t.Error("duplicate intent accepted")
	}
	if err := r.Intent(Intent{Name: "late"}); err == nil {
		t.Error("intent without a handler accepted")
	}
	if err := r.Intent(Intent{Name: "late", Handler: noop}); err == nil {
		t.Error("intent registered after the first message accepted")
	}
}

func TestSalutationOwnWordsWin(t *testing.T) {
	night := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC) // 22:00 in Shanghai
	for in, want := range map[string]string{"早安": "早上好", "下午好呀": "下午好", "晚上好": "晚上好", "你好": "晚上好", "在吗": "晚上好"} {
		if got := salutation(in, night); got != want {
			t.Errorf("salutation(%q) at 22:00 = %q, want %q", in, got, want)
		}
	}
}

// TestUnderstandVoice: a voice message's recognised text is understood
// like typed text.
func TestUnderstandVoice(t *testing.T) {
	f := newUnderstandFixture(t, true)
	reply, err := f.r.Handle(context.Background(), &Message{OpenID: "o1", Kind: KindVoice, Text: "楼道灯坏了", MediaID: "v1", Time: f.now})
	if err != nil || reply.Text != "在哪里？" {
		t.Errorf("voice → %q, %v; want the repair started", reply.Text, err)
	}
}

// logRecords keeps every log record, as level and its text with attributes.
type logRecords struct {
	mu   sync.Mutex
	recs []string
	lvls []slog.Level
}

func (h *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecords) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, b.String())
	h.lvls = append(h.lvls, r.Level)
	return nil
}
func (h *logRecords) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecords) WithGroup(string) slog.Handler      { return h }

// TestUnderstandLogsNoText: each decision is explained at debug level;
// what residents typed (personal data) never reaches a log above it.
func TestUnderstandLogsNoText(t *testing.T) {
	f := newUnderstandFixture(t, true)
	logs := &logRecords{}
	f.r.Logger = slog.New(logs)
	f.unrec.fail = true
	said := []string{"我家的猫叫咪咪 13800138000", "房东不退押金还漏水", "1", "楼道灯坏了"}
	for _, in := range said[:3] {
		f.send("o1", in)
	}
	f.send("o2", said[3])
	var debug []string
	for i, rec := range logs.recs {
		if logs.lvls[i] < slog.LevelInfo {
			debug = append(debug, rec)
			continue
		}
		for _, in := range said[:2] {
			if strings.Contains(rec, in) || strings.Contains(rec, "13800138000") {
				t.Errorf("log at %v holds what was said: %q", logs.lvls[i], rec)
			}
		}
	}
	for _, want := range []string{"(none)", "report:repair 1.00 (unsure) over clinic:consult", "intent=report:repair choice=1", "report:repair 2.00 (sure)"} {
		if !slices.ContainsFunc(debug, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("no debug record explains %q: %q", want, debug)
		}
	}
}

// TestUnderstandCommandEndsTheQuestion: 取消 or 帮助 instead of an answer
// ends the router's question, so the "1" sent after the menu they show
// picks menu item 1, not the question's first intent.
func TestUnderstandCommandEndsTheQuestion(t *testing.T) {
	for _, cmd := range []string{"取消", "帮助"} {
		t.Run(cmd, func(t *testing.T) {
			f := newUnderstandFixture(t, true)
			f.send("o1", "房东不退押金还漏水")
			f.send("o1", cmd)
			if s := f.session("o1"); s != nil && s.Pending != nil {
				t.Fatalf("the question outlived %s: %+v", cmd, s.Pending)
			}
			if got := f.send("o1", "1"); got != "menu 1" {
				t.Errorf("1 after %s → %q, want menu 1", cmd, got)
			}
			if len(f.got) != 0 {
				t.Errorf("1 after %s ran %+v", cmd, f.got)
			}
		})
	}
}

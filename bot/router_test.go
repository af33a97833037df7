package bot_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
)

// demoFlow exercises every engine feature: validation, remembered values,
// choices computed when asked, media, optional and conditional steps, a
// QR-scene parameter, and a submit that can refuse.
func demoFlow(phones map[string]string, sizes *[]string, submitted *[]string) *bot.Flow {
	phoneRe := regexp.MustCompile(`^1[3-9]\d{9}$`)
	return &bot.Flow{
		Name:  "demo",
		Title: "测试登记",
		Intro: "开始测试登记。",
		Help:  "测试登记需要姓名、电话和人数。",
		Start: func(ctx context.Context, st *bot.State) error {
			if st.Param == "坏" {
				return bot.Say("二维码已失效。")
			}
			if st.Param != "" {
				st.Set("name", bot.Answer{Value: st.Param})
			}
			return nil
		},
		Steps: []*bot.Step{
			{Key: "name", Label: "姓名", Prompt: "请问您怎么称呼？", Help: "填写您的真实姓名，方便工作人员联系。",
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					if n := len([]rune(in.Text)); n < 2 || n > 10 || strings.ContainsAny(in.Text, "0123456789") {
						return bot.Answer{}, bot.Invalid("姓名需要 2 到 10 个字，不含数字。")
					}
					return bot.Answer{Value: in.Text}, nil
				}},
			{Key: "phone", Label: "手机", Prompt: "请输入您的手机号。",
				Suggest: func(ctx context.Context, st *bot.State) (bot.Answer, bool, error) {
					p, ok := phones[st.OpenID]
					return bot.Answer{Value: p, Display: bot.MaskPhone(p)}, ok, nil
				},
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					p := strings.ReplaceAll(in.Norm, " ", "")
					if !phoneRe.MatchString(p) {
						return bot.Answer{}, bot.Invalid("手机号应为 11 位数字，以 1 开头。")
					}
					return bot.Answer{Value: p, Display: bot.MaskPhone(p)}, nil
				}},
			{Key: "size", Label: "人数", Prompt: "几位参加？",
				Choices: func(ctx context.Context, st *bot.State) ([]bot.Choice, error) {
					var cs []bot.Choice
					for _, s := range *sizes {
						cs = append(cs, bot.Choice{Value: s, Label: s + " 人"})
					}
					return cs, nil
				}},
			{Key: "companion", Label: "同行人", Prompt: "同行人怎么称呼？",
				When: func(st *bot.State) bool { return st.Value("size") != "" && st.Value("size") != "1" }},
			{Key: "photo", Label: "照片", Prompt: "请发一张照片。", Optional: true, Media: []bot.Kind{bot.KindImage},
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					if in.Msg.Kind != bot.KindImage {
						return bot.Answer{}, bot.Invalid("请发送照片，或回复 跳过。")
					}
					return bot.Answer{Value: in.Msg.MediaID, Display: "1 张照片"}, nil
				}},
		},
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) {
			if st.Value("name") == "满员" {
				return bot.Reply{}, bot.Refuse("名额已满。")
			}
			*submitted = append(*submitted, st.Value("name")+"/"+st.Value("phone")+"/"+st.Value("size"))
			return bot.Text("登记成功！"), nil
		},
	}
}

type countingObserver struct {
	mu     sync.Mutex
	events []string
}

func (o *countingObserver) FlowStarted(f string) { o.add("start " + f) }
func (o *countingObserver) FlowEnded(f, how string) {
	o.add(how + " " + f)
}
func (o *countingObserver) add(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, s)
}

func newDemoRouter(t *testing.T, clock *bottest.Clock) (*bot.Router, *[]string, *countingObserver) {
	t.Helper()
	sizes := []string{"1", "2", "3"}
	var submitted []string
	r := bot.NewRouter(&bot.MemorySessions{Now: clock.Now})
	r.Now = clock.Now
	obs := &countingObserver{}
	r.Observer = obs
	r.Human = bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		return bot.Text("已通知值班人员。"), nil
	})
	f := demoFlow(map[string]string{"o-resident": "13800138000"}, &sizes, &submitted)
	must(t, r.Flow(f))
	must(t, r.Action(bot.MenuEntry{Key: "DEMO", Label: "测试登记", Handler: r.StartFlow("demo")}))
	must(t, r.Action(bot.MenuEntry{Key: "ABOUT", Label: "关于", Handler: bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		return bot.Text("同心社区小助手。"), nil
	})}))
	must(t, r.Menu(bot.MenuItem{Key: "DEMO"}, bot.MenuItem{Key: "ABOUT"}))
	must(t, r.Exact("登记", r.StartFlow("demo")))
	must(t, r.Contains("电话", bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		return bot.Text("社区电话：0937-0000000"), nil
	})))
	must(t, r.Contains("物业电话", bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		return bot.Text("物业电话：0937-1111111"), nil
	})))
	must(t, r.Scene("demo", r.SceneFlow("demo")))
	// Keywords that answer, and a second flow, for commands typed in the
	// middle of a form.
	must(t, r.Exact("我的诉求", bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		return bot.Text("您的诉求：2611260001 处理中。"), nil
	})))
	must(t, r.Prefix("查询", bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		return bot.Text("查询结果：处理中。"), nil
	})))
	must(t, r.Flow(&bot.Flow{Name: "feedback", Title: "意见反馈",
		Steps: []*bot.Step{{Key: "text", Label: "意见", Prompt: "请说说您的意见。"}},
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) {
			return bot.Text("谢谢您的意见！"), nil
		}}))
	must(t, r.Exact("反馈", r.StartFlow("feedback")))
	must(t, r.Flow(&bot.Flow{Name: "survey", Title: "满意度调查",
		Steps: []*bot.Step{{Key: "score", Label: "评分", Prompt: "请给社区服务打分（1-5）。"}},
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) {
			return bot.Text("谢谢！"), nil
		}}))
	must(t, r.Exact("问卷", r.StartFlow("survey")))
	return r, &submitted, obs
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestTranscripts(t *testing.T) {
	bottest.Each(t, func(t *testing.T, f string) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
		r, _, _ := newDemoRouter(t, clock)
		bottest.Transcript(t, r, clock, f)
	})
}

func TestSubmitAndObserver(t *testing.T) {
	clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	r, submitted, obs := newDemoRouter(t, clock)
	send := func(text string) string {
		t.Helper()
		reply, err := r.Handle(context.Background(), &bot.Message{OpenID: "o-resident", Kind: bot.KindText, Text: text, Time: clock.Now()})
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		return reply.Text
	}
	for _, in := range []string{"登记", "王芳", "1", "2", "李雷", "跳过", "1"} {
		send(in)
	}
	send("登记")
	send("取消")
	if diff := cmp.Diff([]string{"王芳/13800138000/2"}, *submitted); diff != "" {
		t.Errorf("submitted mismatch (-want +got):\n%s", diff)
	}
	want := []string{"start demo", "completed demo", "start demo", "cancelled demo"}
	if diff := cmp.Diff(want, obs.events); diff != "" {
		t.Errorf("observer mismatch (-want +got):\n%s", diff)
	}
}

// TestDraftObserver: a form put aside by another flow or a pause ends for
// the metrics ("replaced", "paused") and starts again when taken up, so
// that starts and ends stay balanced.
func TestDraftObserver(t *testing.T) {
	clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	r, _, obs := newDemoRouter(t, clock)
	say := bottest.Say(r, clock)
	for _, in := range []string{"登记", "王芳", "反馈", "电梯太慢", "1", "继续"} {
		say("o-resident", in)
	}
	clock.Advance(bot.SessionTTL + time.Minute)
	for _, in := range []string{"几位", "1", "取消"} {
		say("o-resident", in)
	}
	want := []string{"start demo", "replaced demo", "start feedback", "completed feedback", "start demo",
		"paused demo", "start demo", "cancelled demo"}
	if diff := cmp.Diff(want, obs.events); diff != "" {
		t.Errorf("observer mismatch (-want +got):\n%s", diff)
	}
}

// TestOwnWords: a flow that answers a keyword itself (Flow.OwnWords) gets
// it in its step's Parse; other keywords are still routed as commands.
func TestOwnWords(t *testing.T) {
	clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	r, _, _ := newDemoRouter(t, clock)
	must(t, r.Flow(&bot.Flow{Name: "own", Title: "自管",
		OwnWords: func(norm string) bool { return norm == "我的诉求" },
		Steps: []*bot.Step{{Key: "name", Label: "姓名", Prompt: "请问您的姓名？",
			Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
				if in.Norm == "我的诉求" {
					return bot.Answer{}, bot.Invalid("这一步请填写姓名。")
				}
				return bot.Answer{Value: in.Text}, nil
			}}},
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) { return bot.Text("好"), nil }}))
	must(t, r.Exact("自管", r.StartFlow("own")))
	say := bottest.Say(r, clock)
	say("o-own", "自管")
	if got := say("o-own", "我的诉求"); !strings.HasPrefix(got, "这一步请填写姓名。") {
		t.Errorf("own word: %q, want the step's hint", got)
	}
	if got := say("o-own", "查询 2611260001"); !strings.HasPrefix(got, "查询结果") {
		t.Errorf("other keyword: %q, want it answered", got)
	}
}

func TestDuplicateRegistrationFails(t *testing.T) {
	r := bot.NewRouter(&bot.MemorySessions{})
	noop := bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) { return bot.Reply{}, nil })
	must(t, r.Exact("报修", noop))
	must(t, r.Action(bot.MenuEntry{Key: "REPORT", Label: "报修", Handler: noop}))
	must(t, r.Menu(bot.MenuItem{Key: "REPORT"}))
	for name, err := range map[string]error{
		"same exact":          r.Exact("报修", noop),
		"exact after width":   r.Exact("报修。", noop),
		"contains same word":  r.Contains("报修", noop),
		"global command":      r.Exact("取消", noop),
		"full-width command":  r.Contains("？", noop),
		"action twice":        r.Action(bot.MenuEntry{Key: "REPORT", Label: "再报修", Handler: noop}),
		"menu key twice":      r.Menu(bot.MenuItem{Key: "REPORT"}),
		"menu key not known":  r.Menu(bot.MenuItem{Key: "EVENTS"}),
		"menu keyword taken":  r.Menu(bot.MenuItem{Key: "REPORT", Keywords: []string{"报修"}}),
		"empty keyword":       r.Exact("  ", noop),
		"flow without submit": r.Flow(&bot.Flow{Name: "x", Title: "x", Steps: []*bot.Step{{Key: "a", Label: "a", Prompt: "a"}}}),
	} {
		if err == nil {
			t.Errorf("%s: registration succeeded, want an error", name)
		}
	}
	must(t, r.Scene("report", func(ctx context.Context, m *bot.Message, p string) (bot.Reply, error) { return bot.Reply{}, nil }))
	if err := r.Scene("report", nil); err == nil {
		t.Error("scene twice: want an error")
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"  取消  ":         "取消",
		"取消。":            "取消",
		"ＲＥＰＯＲＴ":         "report",
		"？":              "?",
		"３号楼　２单元":        "3号楼 2单元",
		"Hello\t\nWorld": "hello world",
		"":               "",
		"確認":             "确认",
		"請問電梯壞了":         "请问电梯坏了",
		"好的😊":            "好的",
		"1️⃣":            "1",
		"👍":              "👍",
		"👍🏻":             "👍",
		"谢谢🙏 ":           "谢谢",
	} {
		if got := bot.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for in, want := range map[string]int{"1": 1, "12": 12, "三": 3, "十": 10, "十二": 12, "二十": 20, "第二个": 2, "第3项": 3,
		"第1个": 1, "1号": 1, "①": 1, "⑫": 12, "一": 1, "第一个": 1} {
		got, ok := bot.ParseNumber(in)
		if !ok || got != want {
			t.Errorf("ParseNumber(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "a", "-1", "一二", "三号楼", "十十"} {
		if n, ok := bot.ParseNumber(in); ok {
			t.Errorf("ParseNumber(%q) = %d, want not a number", in, n)
		}
	}
}

// TestAnswerWords: the shared word sets, as every engine reads them, and
// what they must never take (a plain 不 or 不对 must not cancel a form).
func TestAnswerWords(t *testing.T) {
	check := func(name string, f func(string) bool, yes, no []string) {
		t.Helper()
		for _, w := range yes {
			if !f(bot.Normalize(w)) {
				t.Errorf("%s(%q) = false, want true", name, w)
			}
		}
		for _, w := range no {
			if f(bot.Normalize(w)) {
				t.Errorf("%s(%q) = true, want false", name, w)
			}
		}
	}
	check("IsYes", bot.IsYes, []string{"1", "１", "是的", "对的", "對的", "好的😊", "没问题", "可以", "嗯", "👍", "👌", "OK", "确认。", "確認"},
		[]string{"2", "0", "不对", "不是", "不好", "王芳"})
	check("IsEdit", bot.IsEdit, []string{"2", "不对，改一下", "不对", "改一下", "要改", "修改一下", "修改"},
		[]string{"1", "0", "对", "取消"})
	check("IsDrop", bot.IsDrop, []string{"0", "不要了"}, []string{"不", "不对", "不是", "2", "1", "取消"})
}

// BenchmarkNormalize: Normalize runs on every message and choice label;
// simplified text must not pay for the traditional conversion.
func BenchmarkNormalize(b *testing.B) {
	for _, in := range []string{"我家厨房水管漏水了怎么办", "我家廚房水管漏水了怎麼辦", "1"} {
		b.Run(in, func(b *testing.B) {
			bot.Normalize(in)
			for b.Loop() {
				bot.Normalize(in)
			}
		})
	}
}

func TestPrefixAndFollowUpPrecedence(t *testing.T) {
	r := bot.NewRouter(&bot.MemorySessions{})
	reply := func(s string) bot.Handler {
		return bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) { return bot.Text(s), nil })
	}
	must(t, r.Prefix("查询", reply("prefix 查询")))
	must(t, r.Prefix("faq", reply("prefix faq")))
	must(t, r.Contains("诉求", reply("contains 诉求")))
	must(t, r.Exact("我的诉求", reply("exact 我的诉求")))
	must(t, r.Action(bot.MenuEntry{Key: "A", Label: "甲", Handler: reply("menu 1")}))
	must(t, r.Menu(bot.MenuItem{Key: "A"}))
	rating := false
	r.FollowUps(func(ctx context.Context, m *bot.Message, norm string) (bot.Reply, bool, error) {
		if rating && norm == "1" {
			return bot.Text("rated"), true, nil
		}
		return bot.Reply{}, false, nil
	})
	if err := r.Prefix("查询", reply("again")); err == nil {
		t.Error("duplicate prefix accepted")
	}
	for in, want := range map[string]string{
		"查询 2611260001": "prefix 查询",
		"查询2611260001":  "prefix 查询",
		"查询":            "prefix 查询",
		"查询：2611260001": "prefix 查询",
		"查询,2611260001": "prefix 查询",
		"查询abc":         "prefix 查询",
		"faq 3":         "prefix faq",
		"faqs":          "抱歉",
		"查询诉求进度":        "contains 诉求",
		"我的诉求":          "exact 我的诉求",
		"我想反映个诉求":       "contains 诉求",
		"1":             "menu 1",
	} {
		got, err := r.Handle(context.Background(), &bot.Message{OpenID: "o", Kind: bot.KindText, Text: in})
		if err != nil || !strings.HasPrefix(got.Text, want) {
			t.Errorf("%q → %q, %v; want %q", in, got.Text, err, want)
		}
	}
	rating = true
	if got, _ := r.Handle(context.Background(), &bot.Message{OpenID: "o", Kind: bot.KindText, Text: "1"}); got.Text != "rated" {
		t.Errorf("a pending question's answer went to %q", got.Text)
	}
}

// TestDraftKeyOutlivesAFailedEnd: Submit may run twice for one draft
// when ending the conversation fails after it succeeded; both runs must
// see the same key, so a service can answer the second with the record
// the first made. A new run of the flow gets a new key.
func TestDraftKeyOutlivesAFailedEnd(t *testing.T) {
	clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	sessions := &failingDelete{MemorySessions: &bot.MemorySessions{Now: clock.Now}}
	r := bot.NewRouter(sessions)
	r.Now = clock.Now
	var keys []string
	must(t, r.Flow(&bot.Flow{
		Name: "keyed", Title: "测试", Steps: []*bot.Step{{Key: "a", Label: "内容", Prompt: "请说。"}},
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) {
			keys = append(keys, st.DraftKey())
			return bot.Text("已提交。"), nil
		},
	}))
	must(t, r.Exact("开始", r.StartFlow("keyed")))
	send := func(text string) error {
		_, err := r.Handle(context.Background(), &bot.Message{OpenID: "o-key", Kind: bot.KindText, Text: text, Time: clock.Now()})
		return err
	}
	for _, in := range []string{"开始", "内容"} {
		must(t, send(in))
	}
	sessions.fail = true
	if err := send("1"); err == nil {
		t.Fatal("the failed delete went unnoticed")
	}
	sessions.fail = false
	must(t, send("1"))
	for _, in := range []string{"开始", "内容", "1"} {
		must(t, send(in))
	}
	if len(keys) != 3 || keys[0] == "" || keys[0] != keys[1] || keys[2] == keys[0] {
		t.Errorf("draft keys %q: want the first two equal and not empty, the third new", keys)
	}
}

// failingDelete is a session store whose Delete fails while fail is set.
type failingDelete struct {
	*bot.MemorySessions
	fail bool
}

func (s *failingDelete) Delete(ctx context.Context, openid string) error {
	if s.fail {
		return errors.New("redis: connection reset by peer")
	}
	return s.MemorySessions.Delete(ctx, openid)
}

// TestBeforeInterruptsAFlow: a check registered with Before answers a
// message even in the middle of a flow (an emergency while filling in a
// form), says the flow is still there, and leaves it as it was: the next
// answer goes on with the same question.
func TestBeforeInterruptsAFlow(t *testing.T) {
	clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	r, submitted, _ := newDemoRouter(t, clock)
	var seen []string
	r.Before(func(ctx context.Context, m *bot.Message, norm string) (bot.Reply, bool, error) {
		seen = append(seen, norm)
		if strings.Contains(norm, "着火") {
			return bot.Text("请立即拨打 119。"), true, nil
		}
		return bot.Reply{}, false, nil
	})
	send := func(text string) string {
		t.Helper()
		reply, err := r.Handle(context.Background(), &bot.Message{OpenID: "o-resident", Kind: bot.KindText, Text: text, Time: clock.Now()})
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		return reply.Text
	}
	send("登记")
	got := send("楼下着火了")
	if !strings.HasPrefix(got, "请立即拨打 119。") || !strings.Contains(got, "「测试登记」还在") {
		t.Errorf("interrupt answered %q", got)
	}
	// The flow still waits for the name.
	for _, in := range []string{"王芳", "1", "2", "李雷", "跳过", "1"} {
		send(in)
	}
	if diff := cmp.Diff([]string{"王芳/13800138000/2"}, *submitted); diff != "" {
		t.Errorf("the interrupted flow did not go on (-want +got):\n%s", diff)
	}
	// Outside a flow the interrupt answers alone; global commands come first.
	if got := send("着火了"); got != "请立即拨打 119。" {
		t.Errorf("outside a flow: %q", got)
	}
	send("人工")
	if slices.Contains(seen, "人工") {
		t.Errorf("the check saw the global command 人工: %q", seen)
	}
}

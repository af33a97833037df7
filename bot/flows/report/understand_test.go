package report_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cm "github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/flows/report"
	"github.com/tongxin/tongxin/bot/intent"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// drafts records what the flow submits, to read what a ticket keeps of
// its voice message.
type drafts struct {
	ticket.Service
	got []ticket.Draft
}

func (d *drafts) Submit(ctx context.Context, dr ticket.Draft) (ticket.Receipt, error) {
	d.got = append(d.got, dr)
	return d.Service.Submit(ctx, dr)
}

// TestStartWithKeepsWhatWasSaid starts the flow as understanding does
// (Router.StartWith), whatever the vocabulary: the words are the
// description through the typed description's check, a voice message
// keeps its recording, and an intent of no offered category asks from
// the list.
func TestStartWithKeepsWhatWasSaid(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
		d := community(t, store, clock)
		rec := &drafts{Service: d.Tickets}
		d.Tickets = rec
		r := router(t, d, clock)
		ctx := context.Background()
		start := func(openid string, kind bot.Kind, intent, said string) string {
			m := &bot.Message{ID: openid, OpenID: openid, Kind: kind, Text: said, MediaID: "v-" + openid, Time: clock.Now()}
			reply, err := r.StartWith(ctx, m, report.Name, bot.Understood{Intent: intent, Said: said})
			if err != nil {
				t.Fatalf("%s: StartWith: %v", said, err)
			}
			return reply.Text
		}
		say := bottest.Say(r, clock)

		got := start("o-voice", bot.KindVoice, "report:repair", "水管漏水了")
		if !strings.Contains(got, "已记下：水管漏水了\n这是 维修报修 吧？\n1 是 2 换一类") {
			t.Fatalf("voice: %q, want the words kept and the guess asked", got)
		}
		for _, text := range []string{"1", "跳过", "3号楼", "13800138000", "1"} {
			got = say("o-voice", text)
		}
		if !strings.Contains(got, "已提交") || len(rec.got) != 1 {
			t.Fatalf("voice: not filed: %q", got)
		}
		if dr := rec.got[0]; dr.Description != "水管漏水了" || dr.Voice != "media:v-o-voice" || dr.Category != "repair" {
			t.Errorf("voice: filed %+v, want the words, the recording and repair", dr)
		}

		// Too short to describe anything: the description step asks, after
		// the guess.
		if got := start("o-short", bot.KindText, "report:sanitation", "臭"); !strings.Contains(got, "这是 环境卫生 吧？") || strings.Contains(got, "已记下") {
			t.Errorf("short: %q, want the guess without a description", got)
		}
		if got := say("o-short", "1"); !strings.Contains(got, "请简单描述问题") {
			t.Errorf("short, after 1: %q, want the description asked", got)
		}

		// A lone object the resident was asked about and said yes to:
		// the guess is kept, the word is not a description.
		if got := start("o-lone", bot.KindText, "report:repair", "电梯"); !strings.Contains(got, "这是 维修报修 吧？") || strings.Contains(got, "已记下") {
			t.Errorf("lone word: %q, want the guess without a description", got)
		}

		// A long story is shown by its start; all of it is kept.
		long := strings.Repeat("楼上每天晚上漏水到我家卫生间", 5)
		got = start("o-long", bot.KindText, "report:repair", long)
		if !strings.Contains(got, "已记下："+string([]rune(long)[:40])+"…\n") {
			t.Errorf("long: %q, want its first 40 characters", got)
		}
		say("o-long", "1")
		if got := say("o-long", "修改"); !strings.Contains(got, "问题") {
			t.Errorf("long, 修改: %q, want the description among the answers", got)
		}
		if got := say("o-long", "2"); !strings.Contains(got, long) {
			t.Errorf("long, 修改 问题: %q, want all of it as it is now", got)
		}

		// An intent of no category offered: the list, the words kept.
		got = start("o-none", bot.KindText, "report:nosuch", "门口的路灯坏了")
		if !strings.Contains(got, "请选择问题类型") || strings.Contains(got, "吧？") {
			t.Errorf("no such category: %q, want the list", got)
		}
		if got := say("o-none", "1"); !strings.Contains(got, "可以发现场照片") {
			t.Errorf("no such category, after 1: %q, want photos next (the description kept)", got)
		}
	})
}

// events records, in order, what the router did with each message: a
// flow started, or the message reached understanding.
type events []string

func (e *events) FlowStarted(flow string)        { *e = append(*e, "started "+flow) }
func (e *events) FlowEnded(flow, how string)     {}
func (e *events) Understood(intent, band string) { *e = append(*e, "understanding") }

// TestKeywordsAreExactWordsNow: 报修 and the other words start a request
// only as the whole message; a message that mentions one in passing is
// no keyword's, and goes to understanding (which weighs the words around
// it), whatever the vocabulary says of it.
func TestKeywordsAreExactWordsNow(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
		r := router(t, community(t, store, clock), clock)
		var ev events
		r.Observer = &ev
		say := bottest.Say(r, clock)
		for _, text := range []string{"报修", "我要投诉", "反映问题", "求助。"} {
			ev = nil
			say("o-"+text, text)
			if !slices.Equal(ev, events{"started report"}) {
				t.Errorf("%s: %v, want the flow started by the keyword", text, ev)
			}
		}
		for _, text := range []string{"上次的诉求已经解决了，谢谢", "维修基金怎么查", "我不是要报修", "投诉邻居装修噪音"} {
			ev = nil
			say("o-"+text, text)
			if len(ev) == 0 || ev[0] != "understanding" {
				t.Errorf("%s: %v, want it left to understanding", text, ev)
			}
		}
	})
}

// TestCategoryWordsFromConfiguration: a category the operator adds is
// understood by the words its configuration brings.
func TestCategoryWordsFromConfiguration(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
		d := community(t, store, clock)
		d.Tickets = tickets.New(store, notifytest.Queue(t, store, notify.Config{}), workcal.Builtin(), tickets.Config{Now: clock.Now,
			Categories: []ticket.Category{
				{Key: "repair", Name: "维修报修", Role: cm.RoleGridWorker, ResponseHours: 4, ResolveHours: 18},
				{Key: "parking", Name: "停车管理", Role: cm.RoleGridWorker, ResponseHours: 4, ResolveHours: 18, Words: []string{"车位被占"}},
			}})
		r := router(t, d, clock)
		res, err := r.Understand("我的车位被占了好几天")
		if err != nil {
			t.Fatal(err)
		}
		if res.Intent != "report:parking" {
			t.Fatalf("Understand = %s, want report:parking", res.Explain())
		}
		got := bottest.Say(r, clock)("o-park", "我的车位被占了好几天")
		if res.Band == intent.Sure && !strings.Contains(got, "这是 停车管理 吧？") {
			t.Errorf("the operator's category: %q, want its guess", got)
		}
	})
}

// TestGuessTakesTheSharedAnswers: "这是 维修报修 吧？" is answered by the
// words that say yes or no at every other question (bot.IsYes, bot.IsNo,
// bot.ParseNumber), not by a shorter copy that refused "可以" or "👍".
func TestGuessTakesTheSharedAnswers(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
		r := router(t, community(t, store, clock), clock)
		ctx := context.Background()
		say := bottest.Say(r, clock)
		for i, tc := range []struct{ answer, want string }{
			{"可以", "可以发现场照片"}, {"嗯嗯", "可以发现场照片"}, {"ok", "可以发现场照片"},
			{"👍", "可以发现场照片"}, {"行", "可以发现场照片"}, {"确认", "可以发现场照片"},
			{"第一个", "可以发现场照片"}, {"对头", "可以发现场照片"},
			{"不是", "请选择问题类型"}, {"第二个", "请选择问题类型"}, {"换一类", "请选择问题类型"},
		} {
			openid := "o-guess-" + string(rune('a'+i))
			m := &bot.Message{ID: openid, OpenID: openid, Kind: bot.KindText, Text: "水管漏水了", Time: clock.Now()}
			if _, err := r.StartWith(ctx, m, report.Name, bot.Understood{Intent: "report:repair", Said: "水管漏水了"}); err != nil {
				t.Fatal(err)
			}
			if got := say(openid, tc.answer); !strings.Contains(got, tc.want) {
				t.Errorf("%q to the guess: %q, want %q", tc.answer, got, tc.want)
			}
		}
	})
}

// TestExampleConfigSaysKeywordsAreWhole: the example configuration tells
// operators what TestKeywordsAreExactWordsNow shows, that 报修 and the
// other menu keywords start a request only as the whole message.
func TestExampleConfigSaysKeywordsAreWhole(t *testing.T) {
	b, err := os.ReadFile("../../../config/tongxin.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Contains(s, "anywhere in a message already start") {
		t.Error("the example still says 报修 and its siblings start a request anywhere in a message")
	}
	if !strings.Contains(s, "when they are\n# the whole message") {
		t.Error("the example does not say that menu keywords are whole-message keywords")
	}
}

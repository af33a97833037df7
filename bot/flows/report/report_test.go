package report_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cm "github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/report"
	"github.com/tongxin/tongxin/bot/flows/staffdesk"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// community sets up the fixture every transcript runs on: staff bound to
// openids, a grid with three buildings, two buildings with no grid, and a
// resident (o-home) whose profile has an address in building 5.
//
//	o-grid     张网格  grid worker of 一网格 (buildings 1-3)
//	o-boss     李主任  supervisor
//	o-duty     王值班  duty
//	o-mediate  赵调解  mediator
func community(t *testing.T, store *storage.Store, clock *bottest.Clock) flows.Deps {
	t.Helper()
	d, _ := communityWith(t, store, clock, notify.Config{Now: clock.Now})
	return d
}

// communityWith is community with an outbox configured by cfg, returned
// too, that also tells the flows which questions it delivered.
func communityWith(t *testing.T, store *storage.Store, clock *bottest.Clock, cfg notify.Config) (flows.Deps, *notify.Outbox) {
	t.Helper()
	queue := notifytest.Queue(t, store, cfg)
	c := communitytest.Seed(t, store, clock.Now, communitytest.Spec{
		Staff: []communitytest.Member{
			{Name: "张网格", OpenID: "o-grid", Roles: []cm.Role{cm.RoleGridWorker}},
			{Name: "李主任", OpenID: "o-boss", Roles: []cm.Role{cm.RoleSupervisor}},
			{Name: "王值班", OpenID: "o-duty", Roles: []cm.Role{cm.RoleDuty}},
			{Name: "赵调解", OpenID: "o-mediate", Roles: []cm.Role{cm.RoleMediator}},
		},
		Buildings: []communitytest.Building{{Number: 1}, {Number: 2}, {Number: 3}, {Number: 4}, {Number: 5}},
		Grids:     []communitytest.Grid{{Name: "一网格", Worker: "张网格", Supervisor: "李主任", Buildings: []int{1, 2, 3}}},
	})
	// o-home registered their address (the place step offers it first).
	if err := store.SaveProfile(context.Background(), bot.Resident{OpenID: "o-home", Name: "王奶奶", Phone: "13900001111", Address: "5号楼1单元101室"}); err != nil {
		t.Fatal(err)
	}
	return flows.Deps{
		Residents: store,
		Community: c.Service,
		Tickets:   tickets.New(store, queue, workcal.Builtin(), tickets.Config{Now: clock.Now}),
		Questions: queue,
		Now:       clock.Now,
	}, queue
}

func router(t *testing.T, d flows.Deps, clock *bottest.Clock) *bot.Router {
	t.Helper()
	r := bot.NewRouter(&bot.MemorySessions{Now: clock.Now})
	r.Now = clock.Now
	r.Residents = d.Residents
	for _, register := range []flows.Register{report.Register, staffdesk.Register} {
		if err := register(r, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Menu(bot.MenuItem{Key: "REPORT"}); err != nil {
		t.Fatal(err)
	}
	// The transcripts' first messages, as an operator's words too, so
	// that they do not hang on the built-in vocabulary as it is tuned.
	for name, words := range map[string][]string{
		"report:repair":     {"楼道灯不亮:3"},
		"report:sanitation": {"垃圾没人清:3"},
		"status":            {"报的修怎么样了:3"},
	} {
		if key, ok := strings.CutPrefix(name, "report:"); ok && !slices.ContainsFunc(d.Tickets.Categories(), func(c ticket.Category) bool { return c.Key == key }) {
			continue // a test with categories of its own
		}
		if err := r.Words(name, words...); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// TestTranscripts replays testdata/*.txt, each on a fresh database of each
// engine. The clock starts on Thursday 2026-11-26 09:00 in Shanghai.
func TestTranscripts(t *testing.T) {
	bottest.Each(t, func(t *testing.T, f string) {
		storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
			clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
			bottest.Transcript(t, router(t, community(t, store, clock), clock), clock, f)
		})
	})
}

// lossySessions is a session store whose next Delete fails, as a Redis
// blip does; a kill -9 between the ticket's commit and the delete leaves
// the same state behind: the summary still awaiting 1.
type lossySessions struct {
	*bot.MemorySessions
	failDelete atomic.Bool
}

func (s *lossySessions) Delete(ctx context.Context, openid string) error {
	if s.failDelete.CompareAndSwap(true, false) {
		return errors.New("redis: connection reset by peer")
	}
	return s.MemorySessions.Delete(ctx, openid)
}

// TestRetryAfterALostSessionFilesOnce: the ticket commits, deleting the
// session fails, and the resident, told something went wrong, sends 1
// again. They must get the ticket they filed, not a second one.
func TestRetryAfterALostSessionFilesOnce(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
		d := community(t, store, clock)
		sessions := &lossySessions{MemorySessions: &bot.MemorySessions{Now: clock.Now}}
		r := router(t, d, clock)
		r.Sessions = sessions
		say := func(text string) (string, error) {
			reply, err := r.Handle(context.Background(), &bot.Message{ID: text, OpenID: "o-retry", Kind: bot.KindText, Text: text, Time: clock.Now()})
			return reply.Text, err
		}
		for _, text := range []string{"报修", "1", "楼道灯坏了", "跳过", "3号楼", "13800138000"} {
			if _, err := say(text); err != nil {
				t.Fatalf("%s: %v", text, err)
			}
		}
		sessions.failDelete.Store(true)
		if _, err := say("1"); err == nil {
			t.Fatal("the lost delete went unnoticed; the test proves nothing")
		}
		again, err := say("1")
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		mine, err := d.Tickets.Mine(context.Background(), "o-retry", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine) != 1 {
			t.Fatalf("the retry filed %d tickets, want 1", len(mine))
		}
		if !strings.Contains(again, "编号:"+mine[0].Number) {
			t.Errorf("retry answered %q, want the number %s of the ticket filed first", again, mine[0].Number)
		}
		// The conversation is over: the next 1 is no confirmation, and
		// files nothing (it is reminded of the number, see stray_one.txt).
		if next, _ := say("1"); strings.Contains(next, "已提交，编号") {
			t.Errorf("after the retry, 1 answered %q", next)
		}
		if mine, _ := d.Tickets.Mine(context.Background(), "o-retry", 10); len(mine) != 1 {
			t.Errorf("after the retry, 1 filed: %d tickets", len(mine))
		}
	})
}

// TestFilingPastTheDaysLastNumber: the daily counter is four digits
// (YYMMDD and 0001-9999). The 10,000th request of a day must still be
// filed, with a number a digit longer, and residents and staff must be
// able to use that number in every command.
func TestFilingPastTheDaysLastNumber(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
		r := router(t, community(t, store, clock), clock)
		if _, err := store.DB().ExecContext(context.Background(), `INSERT INTO ticket_counters (day, n) VALUES ('261126', 9999)`); err != nil {
			t.Fatal(err)
		}
		say := bottest.Say(r, clock)
		var last string
		for _, text := range []string{"报修", "1", "楼道灯坏了", "跳过", "3号楼", "13800138000", "1"} {
			last = say("o-late", text)
		}
		const number = "26112610000"
		if !strings.Contains(last, "编号:"+number) {
			t.Fatalf("the day's 10,000th request got %q, want number %s", last, number)
		}
		for _, tc := range []struct{ openid, text, want string }{
			{"o-late", "查询 " + number, "编号:" + number},
			{"o-late", "补充 " + number + " 五楼也不亮", "已补充到诉求 " + number},
			{"o-grid", "受理 " + number, number},
		} {
			if got := say(tc.openid, tc.text); !strings.Contains(got, tc.want) || strings.Contains(got, "没有找到") {
				t.Errorf("%s: %q, want %q", tc.text, got, tc.want)
			}
		}
	})
}

// TestDailyLimitIsSaidAtTheStart: a resident who filed the day's ten is
// told so when they start the eleventh, not after filling in the form.
func TestDailyLimitIsSaidAtTheStart(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
		d := community(t, store, clock)
		r := router(t, d, clock)
		for i := range 10 {
			if _, err := d.Tickets.Submit(context.Background(), ticket.Draft{OpenID: "o-busy", Phone: "13800138000",
				Category: "repair", Description: fmt.Sprintf("第%d个问题", i+1)}); err != nil {
				t.Fatal(err)
			}
		}
		reply, err := r.Handle(context.Background(), &bot.Message{ID: "m", OpenID: "o-busy", Kind: bot.KindText, Text: "报修", Time: clock.Now()})
		got := reply.Text
		if err != nil {
			got = bot.UserMessage(err)
		}
		if !strings.Contains(got, "今天已提交 10 件诉求") || strings.Contains(got, "请选择问题类型") {
			t.Errorf("the eleventh 报修 of the day got %q, want the daily limit said at once", got)
		}
		if _, _, err := r.Sessions.Load(context.Background(), "o-busy"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("a flow was left open: %v", err)
		}
	})
}

// TestPlaceStepWithSixtyBuildings: the community has 60 buildings. No
// answer to the place step may list them; an unknown building is named
// with the range, and words naming none are a public place.
func TestPlaceStepWithSixtyBuildings(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
		var bs []communitytest.Building
		for n := 1; n <= 60; n++ {
			bs = append(bs, communitytest.Building{Number: n})
		}
		c := communitytest.Seed(t, store, clock.Now, communitytest.Spec{Buildings: bs})
		d := flows.Deps{Residents: store, Community: c.Service, Now: clock.Now,
			Tickets: tickets.New(store, notifytest.Queue(t, store, notify.Config{}), workcal.Builtin(), tickets.Config{Now: clock.Now})}
		r := router(t, d, clock)
		say := func(text string) string {
			reply, err := r.Handle(context.Background(), &bot.Message{ID: text, OpenID: "o-sixty", Kind: bot.KindText, Text: text, Time: clock.Now()})
			if err != nil {
				return "(error: " + bot.UserMessage(err) + ")"
			}
			return reply.Text
		}
		for _, text := range []string{"报修", "1", "楼道灯不亮", "跳过"} {
			say(text)
		}
		for _, tc := range []struct{ in, want string }{
			{"99号楼", "没有找到 99号楼。本小区是 1–60 号楼"},
			{"100号楼2单元", "没有找到 100号楼"},
			{"小区东门", "请留下联系电话"},
		} {
			got := say(tc.in)
			if !strings.Contains(got, tc.want) {
				t.Errorf("%s: %q, want %q", tc.in, got, tc.want)
			}
			if lines := strings.Count(got, "\n") + 1; lines > 4 || strings.Contains(got, "17号楼") {
				t.Errorf("%s: %d lines, a list of buildings?\n%s", tc.in, lines, got)
			}
		}
		if got := say("13800138000"); !strings.Contains(got, "地点：公共区域：小区东门") {
			t.Errorf("summary %q, want the public place", got)
		}
		say("2")
		say("4") // 地点
		if got := say("47栋"); !strings.Contains(got, "请核对") || !strings.Contains(got, "地点：47号楼") {
			t.Errorf("47栋: %q", got)
		}
	})
}

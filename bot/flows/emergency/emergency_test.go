package emergency_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/tongxin/tongxin/bot/ticket"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cm "github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/emergency"
	"github.com/tongxin/tongxin/bot/flows/report"
	"github.com/tongxin/tongxin/bot/intent"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// rig is a community with a grid worker, a duty staff member bound to
// WeChat and one not bound, residents' quiet hours 22:00-07:00, and the
// 报修 flow, on the clock given.
func rig(t *testing.T, store *storage.Store, clock *bottest.Clock, robot bool) (*bot.Router, flows.Deps) {
	t.Helper()
	quiet, err := notify.ParseQuietHours("22:00-07:00")
	if err != nil {
		t.Fatal(err)
	}
	queue := notifytest.Queue(t, store, notify.Config{Now: clock.Now, Quiet: quiet})
	c := communitytest.Seed(t, store, clock.Now, communitytest.Spec{
		Staff: []communitytest.Member{
			{Name: "张网格", OpenID: "o-grid", Roles: []cm.Role{cm.RoleGridWorker}},
			{Name: "王值班", OpenID: "o-duty", Roles: []cm.Role{cm.RoleDuty}},
			{Name: "李值班", Roles: []cm.Role{cm.RoleDuty}},
		},
		Buildings: []communitytest.Building{{Number: 5}},
		Grids:     []communitytest.Grid{{Name: "一网格", Worker: "张网格", Buildings: []int{5}}},
	})
	if err := store.SaveProfile(context.Background(), bot.Resident{OpenID: "o-resident", Name: "王芳", Phone: "13800138000", Address: "5号楼1单元101", Note: "独居老人"}); err != nil {
		t.Fatal(err)
	}
	d := flows.Deps{
		Residents: store, Notifier: queue, Community: c.Service,
		Tickets: tickets.New(store, queue, workcal.Builtin(), tickets.Config{Now: clock.Now}),
		Duty:    bot.Duty{Notifier: queue, Roster: c.Service.OnDuty, Robot: robot},
		Lines:   bot.Lines{CommunityPhone: "0937-6220000", PropertyHotline: "0937-6888888"},
		Now:     clock.Now,
	}
	r := bot.NewRouter(&bot.MemorySessions{Now: clock.Now})
	r.Now = clock.Now
	r.Residents = store
	for _, register := range []flows.Register{emergency.Register, report.Register} {
		if err := register(r, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Menu(bot.MenuItem{Key: "REPORT"}); err != nil {
		t.Fatal(err)
	}
	// The tests' words for the emergency intent, as an operator's too,
	// so that they do not hang on the built-in vocabulary.
	if err := r.Words("emergency", "说不出话:3", "不太对劲:2", "999:3"); err != nil {
		t.Fatal(err)
	}
	return r, d
}

// TestTranscripts replays testdata/*.txt; the clock starts on Thursday
// 2026-11-26 at 23:23 in Shanghai, inside residents' quiet hours.
func TestTranscripts(t *testing.T) {
	bottest.Each(t, func(t *testing.T, f string) {
		storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
			clock := bottest.NewClock(time.Date(2026, 11, 26, 23, 23, 0, 0, bot.Shanghai))
			r, _ := rig(t, store, clock, true)
			bottest.Transcript(t, r, clock, f)
		})
	})
}

// TestBurstPipeAtNight: a burst pipe typed at 23:23 at the description
// step of 报修 files an urgent ticket due in minutes, and alerts the bound
// duty staff member in WeChat and the group robot at once: urgent, not
// held until 07:00 by residents' quiet hours, the group's copy masked.
func TestBurstPipeAtNight(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 23, 23, 0, 0, bot.Shanghai))
		r, d := rig(t, store, clock, true)
		ctx := context.Background()
		var reply string
		for _, text := range []string{"报修", "1", "水管爆了，在喷水"} {
			got, err := r.Handle(ctx, &bot.Message{ID: text, OpenID: "o-resident", Kind: bot.KindText, Text: text, Time: clock.Now()})
			if err != nil {
				t.Fatalf("%s: %v", text, err)
			}
			reply = got.Text
		}
		for _, want := range []string{"关闭入户水阀", "0937-6888888", "119", "已通知值班人员 王值班", "紧急诉求编号"} {
			if !strings.Contains(reply, want) {
				t.Errorf("reply lacks %q:\n%s", want, reply)
			}
		}
		mine, err := d.Tickets.Mine(ctx, "o-resident", 10)
		if err != nil || len(mine) != 1 || !mine[0].Urgent {
			t.Fatalf("tickets %+v, %v; want one urgent", mine, err)
		}
		if due := mine[0].ResponseDue; due.After(clock.Now().Add(tickets.UrgentResponse)) {
			t.Errorf("urgent ticket due %s", bot.When(due))
		}
		rows, err := store.ListNotifications(ctx, "", 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		alerted := map[string]bool{}
		for _, n := range rows {
			if n.Kind != emergency.NoticeKind {
				continue
			}
			alerted[n.Recipient] = true
			if !n.Urgent || !n.Staff || n.NotBefore.After(clock.Now()) {
				t.Errorf("alert to %s: urgent %v, staff %v, due %s: held", n.Recipient, n.Urgent, n.Staff, bot.When(n.NotBefore))
			}
			switch n.Recipient {
			case "o-duty":
				for _, want := range []string{"13800138000", "5号楼1单元101", "独居老人", "水管爆了"} {
					if !strings.Contains(n.Payload, want) {
						t.Errorf("the duty staff's alert lacks %q: %s", want, n.Payload)
					}
				}
			case bot.DutyStaff:
				if strings.Contains(n.Payload, "13800138000") || strings.Contains(n.Payload, "王芳") {
					t.Errorf("the group sees personal data: %s", n.Payload)
				}
			}
		}
		if !alerted["o-duty"] || !alerted[bot.DutyStaff] || len(alerted) != 2 {
			t.Errorf("alerted %v, want 王值班's WeChat and the group robot", alerted)
		}
	})
}

// failingTickets files nothing: the database is down.
type failingTickets struct{ ticket.Service }

func (failingTickets) Submit(context.Context, ticket.Draft) (ticket.Receipt, error) {
	return ticket.Receipt{}, errors.New("database is down")
}

// TestFilingFails: when the urgent request cannot be filed, the resident
// still reads the safety steps, the numbers and who was told, the duty
// staff are told to phone, and the failure is logged.
func TestFilingFails(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 23, 23, 0, 0, bot.Shanghai))
		_, d := rig(t, store, clock, false)
		d.Tickets = failingTickets{d.Tickets}
		var logged bytes.Buffer
		r := bot.NewRouter(&bot.MemorySessions{Now: clock.Now})
		r.Now = clock.Now
		r.Logger = slog.New(slog.NewTextHandler(&logged, nil))
		if err := emergency.Register(r, d); err != nil {
			t.Fatal(err)
		}
		got, err := r.Handle(context.Background(), &bot.Message{ID: "m1", OpenID: "o-resident", Kind: bot.KindText, Text: "闻到煤气味", Time: clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"关闭燃气总阀", "119", "已通知值班人员 王值班"} {
			if !strings.Contains(got.Text, want) {
				t.Errorf("reply lacks %q:\n%s", want, got.Text)
			}
		}
		if !strings.Contains(logged.String(), "database is down") {
			t.Errorf("the failure to file was not logged: %q", logged.String())
		}
	})
}

// TestUnregisteredResident: an emergency from someone with no profile
// tells the duty staff how to reach them (the 公众号 conversation, their
// WeChat id's tail), not to phone a number they do not have, and asks
// the resident to give the address when they call.
func TestUnregisteredResident(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 23, 23, 0, 0, bot.Shanghai))
		r, _ := rig(t, store, clock, true)
		ctx := context.Background()
		got, err := r.Handle(ctx, &bot.Message{ID: "m1", OpenID: "o-stranger-7f3a", Kind: bot.KindText, Text: "楼道着火了", Time: clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got.Text, "楼号") {
			t.Errorf("the resident is not asked for the address:\n%s", got.Text)
		}
		rows, err := store.ListNotifications(ctx, "", 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		seen := false
		for _, n := range rows {
			if n.Kind != emergency.NoticeKind || n.Recipient != "o-duty" {
				continue
			}
			seen = true
			if !strings.Contains(n.Payload, "7f3a") || !strings.Contains(n.Payload, "公众号") || strings.Contains(n.Payload, "电话联系") {
				t.Errorf("the duty staff cannot reach an unregistered resident from: %s", n.Payload)
			}
		}
		if !seen {
			t.Error("no alert to the duty staff")
		}
	})
}

// TestRepeatAcrossTheTenMinuteMark: "着火了" at 23:29:50 and again at
// 23:30:10 is one emergency: one urgent request, one alert; a new one
// comes only ten minutes after the first.
func TestRepeatAcrossTheTenMinuteMark(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 23, 29, 50, 0, bot.Shanghai))
		r, d := rig(t, store, clock, false)
		ctx := context.Background()
		say := func(id string) {
			t.Helper()
			if _, err := r.Handle(ctx, &bot.Message{ID: id, OpenID: "o-resident", Kind: bot.KindText, Text: "着火了", Time: clock.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		count := func() (tickets, alerts int) {
			t.Helper()
			mine, err := d.Tickets.Mine(ctx, "o-resident", 10)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := store.ListNotifications(ctx, "", 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range rows {
				if n.Kind == emergency.NoticeKind && n.Recipient == "o-duty" {
					alerts++
				}
			}
			return len(mine), alerts
		}
		say("m1")
		clock.Advance(20 * time.Second)
		say("m2")
		if tk, al := count(); tk != 1 || al != 1 {
			t.Errorf("after a repeat 20s later across 23:30: %d tickets, %d alerts; want 1, 1", tk, al)
		}
		clock.Advance(10 * time.Minute)
		say("m3")
		if tk, al := count(); tk != 2 || al != 2 {
			t.Errorf("ten minutes later: %d tickets, %d alerts; want 2, 2", tk, al)
		}
	})
}

// TestUnderstoodEmergency: an emergency the detector's words miss, which
// understanding took for one, goes the detector's way: an urgent request
// filed, the duty staff alerted with the resident's words, and the
// resident told what to do first, the numbers and who was told.
func TestUnderstoodEmergency(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 23, 23, 0, 0, bot.Shanghai))
		r, d := rig(t, store, clock, true)
		ctx := context.Background()
		const said = "我爸突然说不出话了"
		if res, err := r.Understand(said); err != nil || res.Intent != "emergency" {
			t.Fatalf("Understand(%s) = %s, %v; the test proves nothing", said, res.Explain(), err)
		}
		got, err := r.Handle(ctx, &bot.Message{ID: "m1", OpenID: "o-resident", Kind: bot.KindText, Text: said, Time: clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"【紧急】紧急求助", "119", "0937-6888888", "已通知值班人员 王值班", "紧急诉求编号"} {
			if !strings.Contains(got.Text, want) {
				t.Errorf("reply lacks %q:\n%s", want, got.Text)
			}
		}
		mine, err := d.Tickets.Mine(ctx, "o-resident", 10)
		if err != nil || len(mine) != 1 || !mine[0].Urgent || mine[0].Description != said {
			t.Fatalf("tickets %+v, %v; want one urgent with the words", mine, err)
		}
		rows, err := store.ListNotifications(ctx, "", 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		alerted := false
		for _, n := range rows {
			if n.Kind == emergency.NoticeKind && n.Recipient == "o-duty" {
				alerted = strings.Contains(n.Payload, said) && n.Urgent
			}
		}
		if !alerted {
			t.Errorf("王值班 was not alerted with the words: %+v", rows)
		}
	})
}

// TestUnsureEmergencyOnlyAdvises: understanding sure of an emergency whose
// words do not clearly say one (they weigh less than AlertScore, or are
// a number such as the 120 of "120平米") answers with what to do, the
// numbers and 人工, and files nothing and alerts nobody.
func TestUnsureEmergencyOnlyAdvises(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 23, 23, 0, 0, bot.Shanghai))
		r, d := rig(t, store, clock, true)
		ctx := context.Background()
		for i, said := range []string{"楼上好像不太对劲", "我家门牌 999"} {
			if res, err := r.Understand(said); err != nil || res.Intent != "emergency" || res.Band != intent.Sure {
				t.Fatalf("Understand(%s) = %s, %v; the test proves nothing", said, res.Explain(), err)
			}
			got, err := r.Handle(ctx, &bot.Message{ID: fmt.Sprint("m", i), OpenID: "o-resident", Kind: bot.KindText, Text: said, Time: clock.Now()})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"请先保证安全", "119", "120", "110", "0937-6888888", "回复 人工"} {
				if !strings.Contains(got.Text, want) {
					t.Errorf("reply lacks %q:\n%s", want, got.Text)
				}
			}
			if strings.Contains(got.Text, "已通知") || strings.Contains(got.Text, "编号") {
				t.Errorf("reply says someone was told:\n%s", got.Text)
			}
		}
		if mine, err := d.Tickets.Mine(ctx, "o-resident", 10); err != nil || len(mine) != 0 {
			t.Errorf("tickets %+v, %v; want none", mine, err)
		}
		rows, err := store.ListNotifications(ctx, "", 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range rows {
			if n.Kind == emergency.NoticeKind {
				t.Errorf("duty staff alerted: %+v", n)
			}
		}
	})
}

package emergency_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cm "github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/emergency"
	"github.com/tongxin/tongxin/bot/flows/report"
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
	return r, d
}

// TestTranscripts replays testdata/*.txt; the clock starts on Thursday
// 2026-11-26 at 23:23 in Shanghai, inside residents' quiet hours.
func TestTranscripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
				clock := bottest.NewClock(time.Date(2026, 11, 26, 23, 23, 0, 0, bot.Shanghai))
				r, _ := rig(t, store, clock, true)
				bottest.Transcript(t, r, clock, f)
			})
		})
	}
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

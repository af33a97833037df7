package staffdesk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cm "github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/report"
	"github.com/tongxin/tongxin/bot/flows/staffdesk"
	"github.com/tongxin/tongxin/bot/ticket"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// community seeds the staff every transcript works with, through the real
// community and ticket services. Residents file requests with the report
// flow (报修), which routes building 1-3 to 张网格, building 4 to 刘网格
// and building 5 (in no grid) to the duty staff.
//
//	o-grid     张网格  grid worker of 一网格 (buildings 1-3)
//	o-grid2    刘网格  grid worker of 二网格 (building 4)
//	o-boss     李主任  supervisor of both grids
//	o-duty     王值班  duty
//	o-mediate  赵调解  mediator
//	o-liming   李明    grid worker; a second 李明 has not bound WeChat
//	(unbound)  陈新    grid worker whose bind code is K7M2Q9XHPR
//	o-head     孙楼长  楼栋长 of building 2, copied on its requests
func community(t *testing.T, store *storage.Store, clock *bottest.Clock) flows.Deps {
	t.Helper()
	// The outbox only queues: what staff and residents are told is the
	// tickets service's to test, what staff read in WeChat is this one's.
	queue := notifytest.Queue(t, store, notify.Config{Now: clock.Now})
	worker := []cm.Role{cm.RoleGridWorker}
	c := communitytest.Seed(t, store, clock.Now, communitytest.Spec{
		Staff: []communitytest.Member{
			{Name: "张网格", OpenID: "o-grid", Roles: worker},
			{Name: "刘网格", OpenID: "o-grid2", Roles: worker},
			{Name: "李主任", OpenID: "o-boss", Roles: []cm.Role{cm.RoleSupervisor}},
			{Name: "王值班", OpenID: "o-duty", Roles: []cm.Role{cm.RoleDuty}},
			{Name: "赵调解", OpenID: "o-mediate", Roles: []cm.Role{cm.RoleMediator}},
			{Name: "李明", OpenID: "o-liming", Roles: worker},
			{Name: "李明", Roles: worker},
			{Name: "陈新", Roles: worker, BindCode: "K7M2Q9XHPR"},
			{Name: "孙楼长", OpenID: "o-head", Roles: []cm.Role{cm.RoleBuildingHead}},
		},
		Buildings: []communitytest.Building{{Number: 1}, {Number: 2, Head: "孙楼长"}, {Number: 3}, {Number: 4}, {Number: 5}},
		Grids: []communitytest.Grid{
			{Name: "一网格", Worker: "张网格", Supervisor: "李主任", Buildings: []int{1, 2, 3}},
			{Name: "二网格", Worker: "刘网格", Supervisor: "李主任", Buildings: []int{4}},
		},
	})
	return flows.Deps{
		Residents: store,
		Community: c.Service,
		Tickets:   tickets.New(store, queue, workcal.Builtin(), tickets.Config{Now: clock.Now}),
		Now:       clock.Now,
	}
}

// router has the staff desk and, to file the requests staff work, the
// report flow.
func router(t *testing.T, d flows.Deps, clock *bottest.Clock) *bot.Router {
	t.Helper()
	r := bot.NewRouter(&bot.MemorySessions{Now: clock.Now})
	r.Now = clock.Now
	r.Residents = d.Residents
	for _, register := range []flows.Register{staffdesk.Register, report.Register} {
		if err := register(r, d); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// TestTranscripts replays testdata/*.txt, each on a fresh database of each
// engine. The clock starts on Thursday 2026-11-26 09:00 in Shanghai, a
// working day, so a request filed then is due an answer by 15:30.
func TestTranscripts(t *testing.T) {
	bottest.Each(t, func(t *testing.T, f string) {
		storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
			clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
			bottest.Transcript(t, router(t, community(t, store, clock), clock), clock, f)
		})
	})
}

// TestInactiveStaffAreRefused: a staff member deactivated by the operator
// is told so at their next command, whatever it is.
func TestInactiveStaffAreRefused(t *testing.T) {
	store := storagetest.Open(t)
	clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
	d := community(t, store, clock)
	r := router(t, d, clock)
	ctx := context.Background()
	st, err := d.Community.StaffByOpenID(ctx, "o-grid")
	if err != nil {
		t.Fatal(err)
	}
	off := false
	if _, err := d.Community.(*cs.Service).PatchStaff(ctx, st.ID, cs.StaffPatch{Active: &off}); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"待办", "受理 2611260001", "办结 2611260001 已修好"} {
		got, err := r.Handle(ctx, &bot.Message{OpenID: "o-grid", Kind: bot.KindText, Text: text})
		if err != nil || !strings.Contains(got.Text, "账号已停用") {
			t.Errorf("%s from a deactivated worker: %q, %v", text, got.Text, err)
		}
	}
}

// TestUrgentFirstInTodo: an emergency filed after ordinary requests heads
// the handler's 待办, marked 【紧急】, and "受理 1" takes it.
func TestUrgentFirstInTodo(t *testing.T) {
	store := storagetest.Open(t)
	clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
	d := community(t, store, clock)
	r := router(t, d, clock)
	ctx := context.Background()
	b, err := d.Community.FindBuilding(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	file := func(desc string, urgent bool) string {
		t.Helper()
		rc, err := d.Tickets.Submit(ctx, ticket.Draft{
			OpenID: "o-wang", Phone: "13800138000", Category: "repair", Description: desc,
			BuildingID: b.ID, Place: b.Name, Source: "wechat", Urgent: urgent,
		})
		if err != nil {
			t.Fatal(err)
		}
		return rc.Ticket.Number
	}
	file("楼道灯不亮", false)
	fire := file("楼下冒烟了", true)
	say := bottest.Say(r, clock)
	if got := say("o-grid", "待办"); !strings.Contains(got, "1. 【紧急】"+fire) {
		t.Errorf("待办 does not put the emergency first:\n%s", got)
	}
	if got := say("o-grid", "受理 1"); !strings.Contains(got, "已受理 "+fire) {
		t.Errorf("受理 1 after 待办: %q", got)
	}
}

// deskFixture files requests from resident o-wang at building number
// and answers what staff openid types.
type deskFixture struct {
	t   *testing.T
	d   flows.Deps
	r   *bot.Router
	ctx context.Context
}

func newDesk(t *testing.T) *deskFixture {
	store := storagetest.Open(t)
	clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
	d := community(t, store, clock)
	return &deskFixture{t: t, d: d, r: router(t, d, clock), ctx: context.Background()}
}

func (f *deskFixture) file(building int, desc string) string {
	f.t.Helper()
	b, err := f.d.Community.FindBuilding(f.ctx, building)
	if err != nil {
		f.t.Fatal(err)
	}
	rc, err := f.d.Tickets.Submit(f.ctx, ticket.Draft{
		OpenID: "o-wang", Phone: "13800138000", Category: "repair", Description: desc,
		BuildingID: b.ID, Place: b.Name, Source: "wechat",
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return rc.Ticket.Number
}

func (f *deskFixture) say(openid, text string) string {
	f.t.Helper()
	reply, err := f.r.Handle(f.ctx, &bot.Message{OpenID: openid, Kind: bot.KindText, Text: text})
	if err != nil {
		f.t.Fatal(err)
	}
	return reply.Text
}

// TestStaleIndexDoesNotActOnAnotherHandlersTicket: the duty staff's
// "受理 1" after the request their 待办 listed first was transferred to a
// grid worker must not accept it over the grid worker's head (duty staff
// may act on any request, so the service would let it through).
func TestStaleIndexDoesNotActOnAnotherHandlersTicket(t *testing.T) {
	f := newDesk(t)
	n := f.file(5, "楼道灯不亮")
	if got := f.say("o-duty", "待办"); !strings.Contains(got, "1. "+n) {
		t.Fatalf("duty 待办 does not list %s:\n%s", n, got)
	}
	if got := f.say("o-boss", "转派 "+n+" 张网格"); !strings.Contains(got, "已转派") {
		t.Fatalf("转派: %q", got)
	}
	got := f.say("o-duty", "受理 1")
	if strings.Contains(got, "已受理") || !strings.Contains(got, "待办") {
		t.Errorf("受理 1 on a list gone stale: %q", got)
	}
	tk, _, err := f.d.Tickets.View(f.ctx, "o-boss", n)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != ticket.Submitted {
		t.Errorf("status after a stale 受理 1 = %v, want still submitted", tk.Status)
	}
}

// TestDigitsOfAPlaceAreNoIndex: "办结 3楼灯已换好" is a result naming a
// floor, not the third request of 待办.
func TestDigitsOfAPlaceAreNoIndex(t *testing.T) {
	f := newDesk(t)
	var ns []string
	for _, d := range []string{"楼道灯不亮", "水管漏水", "门禁坏了"} {
		ns = append(ns, f.file(1, d))
	}
	f.say("o-grid", "待办")
	for _, n := range ns {
		f.say("o-grid", "受理 "+n)
	}
	f.say("o-grid", "待办")
	got := f.say("o-grid", "办结 3楼灯已换好")
	if strings.Contains(got, "已办结") {
		t.Errorf("办结 3楼灯已换好 resolved a request by index: %q", got)
	}
}

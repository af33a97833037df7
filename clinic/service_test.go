package clinic

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// t0 is Tuesday 1 December 2026, 08:00 in Shanghai.
var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, bot.Shanghai)

// wed is Wednesday 2 December 2026 at hh:mm in Shanghai.
func wed(hh, mm int) time.Time { return time.Date(2026, 12, 2, hh, mm, 0, 0, bot.Shanghai) }

type rig struct {
	t     *testing.T
	store *storage.Store
	svc   *Service
	clock *bottest.Clock
	// lawyer is a provider linked to staff 王律师; appt his Wednesday
	// 09:00-11:00 appointments (30 minutes, one resident each).
	lawyer cl.Provider
	appt   cl.Schedule
	staff  map[string]community.Staff
}

func newRig(t *testing.T, s *storage.Store) *rig {
	t.Helper()
	ctx := context.Background()
	r := &rig{t: t, store: s, clock: bottest.NewClock(t0)}
	s.Now = r.clock.Now
	box := notifytest.Queue(t, s, notify.Config{Now: r.clock.Now})
	r.svc = New(s, box, Config{Now: r.clock.Now, Place: "社区服务中心二楼", Phone: "0991-1234567"})
	seeded := communitytest.Seed(t, s, r.clock.Now, communitytest.Spec{Staff: []communitytest.Member{
		{Name: "张专干", OpenID: "o-clinic", Roles: []community.Role{community.RoleClinic}},
		{Name: "王律师", OpenID: "o-lawyer", Roles: []community.Role{community.RoleMediator}},
		{Name: "李网格", OpenID: "o-grid", Roles: []community.Role{community.RoleGridWorker}},
	}})
	r.staff = seeded.Staff
	now := r.clock.Now()
	r.lawyer = cl.Provider{Name: "王律师", Kind: cl.Lawyer, StaffID: r.staff["王律师"].ID, Languages: []string{"维吾尔语"},
		Active: true, CreatedAt: now, UpdatedAt: now}
	if err := s.InsertClinicProvider(ctx, &r.lawyer); err != nil {
		t.Fatal(err)
	}
	r.appt = r.schedule(cl.Schedule{Mode: cl.Appointment, ProviderIDs: []int64{r.lawyer.ID}, Weekdays: []int{3},
		Start: "09:00", End: "11:00", SlotMinutes: 30, Capacity: 1, Location: "二楼调解室",
		Matters: []cl.Matter{cl.Consult, cl.Mediation, cl.Aid}})
	return r
}

func (r *rig) schedule(sc cl.Schedule) cl.Schedule {
	r.t.Helper()
	sc.Active, sc.CreatedAt, sc.UpdatedAt = true, r.clock.Now(), r.clock.Now()
	if err := r.store.InsertClinicSchedule(context.Background(), &sc); err != nil {
		r.t.Fatal(err)
	}
	return sc
}

func (r *rig) draft(openid string, start time.Time, m cl.Matter) cl.Draft {
	return cl.Draft{Slot: cl.SlotRef{ScheduleID: r.appt.ID, Start: start.UTC()}, Matter: m, OpenID: openid,
		Name: "居民" + openid, Phone: "13800000000", Description: "房屋漏水，邻居不修"}
}

func (r *rig) book(d cl.Draft) cl.Booking {
	r.t.Helper()
	rec, err := r.svc.Book(context.Background(), d)
	if err != nil || rec.Taken || rec.Booking.ID == 0 {
		r.t.Fatalf("Book: %+v, %v", rec, err)
	}
	return rec.Booking
}

// taken is the seats counted for the appointment slot at start.
func (r *rig) taken(start time.Time) int {
	r.t.Helper()
	seats, err := r.store.ClinicSeats(context.Background(), start, start.Add(time.Minute))
	if err != nil {
		r.t.Fatal(err)
	}
	return seats[cl.SlotRef{ScheduleID: r.appt.ID, Start: start.UTC()}]
}

// userError fails unless err is a UserError whose message has want.
func userError(t *testing.T, err error, want string) {
	t.Helper()
	var ue *bot.UserError
	if !errors.As(err, &ue) || !strings.Contains(ue.Message, want) {
		t.Fatalf("error %v; want a UserError saying %q", err, want)
	}
}

func hasSlot(slots []cl.Slot, start time.Time) bool {
	for _, s := range slots {
		if s.Start.Equal(start) && !s.WalkIn {
			return true
		}
	}
	return false
}

func TestBook(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		slots, err := r.svc.Slots(ctx, cl.Consult)
		if err != nil || !hasSlot(slots, wed(9, 0)) || !hasSlot(slots, wed(10, 30)) {
			t.Fatalf("Slots = %+v, %v", slots, err)
		}
		if slots, _ := r.svc.Slots(ctx, cl.Matter("x")); len(slots) != 0 {
			t.Errorf("slots of an unknown matter: %+v", slots)
		}
		b := r.book(r.draft("o-a", wed(9, 0), cl.Consult))
		if len(b.Code) != 6 || b.Status != cl.Booked || !b.Start.Equal(wed(9, 0)) || !b.End.Equal(wed(9, 30)) ||
			b.Location != "二楼调解室" || b.Mode != cl.Appointment {
			t.Errorf("booking = %+v", b)
		}
		if n := r.taken(wed(9, 0)); n != 1 {
			t.Errorf("taken = %d, want 1", n)
		}
		slots, _ = r.svc.Slots(ctx, cl.Consult)
		if hasSlot(slots, wed(9, 0)) {
			t.Error("a full slot is still offered")
		}
		all, _ := r.svc.SlotsBetween(ctx, wed(0, 0), wed(23, 0), "")
		for _, sl := range all {
			if sl.Start.Equal(wed(9, 0)) && sl.Left != 0 {
				t.Errorf("SlotsBetween: 09:00 has %d left", sl.Left)
			}
		}
		ev, _ := s.ClinicEvents(ctx, b.ID, 0, 0)
		if len(ev) != 1 || ev[0].Action != timelineBooked {
			t.Errorf("timeline = %+v", ev)
		}
		mine, err := r.svc.Mine(ctx, "o-a")
		if err != nil || len(mine.Bookings) != 1 || mine.Bookings[0].ID != b.ID {
			t.Errorf("Mine = %+v, %v", mine, err)
		}
		if l, err := r.svc.Latest(ctx, "o-a"); err != nil || l.ID != b.ID {
			t.Errorf("Latest = %+v, %v", l, err)
		}
		if _, err := r.svc.Latest(ctx, "o-nobody"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Latest of nobody: %v", err)
		}

		// Bad input.
		d := r.draft("o-b", wed(9, 30), "")
		_, err = r.svc.Book(ctx, d)
		userError(t, err, "请选择")
		d = r.draft("o-b", wed(9, 30), cl.Consult)
		d.Name = " "
		_, err = r.svc.Book(ctx, d)
		userError(t, err, "姓名")
		d = r.draft("o-b", wed(9, 30), cl.Consult)
		d.Phone = "1380000"
		_, err = r.svc.Book(ctx, d)
		userError(t, err, "手机号")
		d = r.draft("o-b", wed(9, 30), cl.Consult)
		d.Description = strings.Repeat("字", MaxDescription+1)
		_, err = r.svc.Book(ctx, d)
		userError(t, err, "不超过")
		if r.taken(wed(9, 30)) != 0 {
			t.Error("a refused booking took a seat")
		}
		d = r.draft("o-b", wed(9, 15), cl.Consult) // no such slot
		if rec, err := r.svc.Book(ctx, d); err != nil || !rec.Taken {
			t.Errorf("a slot that does not exist: %+v, %v", rec, err)
		}
		walk := r.schedule(cl.Schedule{Mode: cl.Daily, Weekdays: []int{1, 2, 3, 4, 5}, Start: "14:00", End: "17:00"})
		d = r.draft("o-b", wed(14, 0), cl.Consult)
		d.Slot.ScheduleID = walk.ID
		_, err = r.svc.Book(ctx, d)
		userError(t, err, "不用预约")
		consultOnly := r.schedule(cl.Schedule{Mode: cl.Appointment, Weekdays: []int{3}, Start: "15:00", End: "16:00",
			SlotMinutes: 60, Capacity: 1, Matters: []cl.Matter{cl.Consult}})
		d = r.draft("o-b", wed(15, 0), cl.Mediation)
		d.Slot.ScheduleID = consultOnly.ID
		_, err = r.svc.Book(ctx, d)
		userError(t, err, "不办理")
	})
}

func TestBookTakenAtConfirm(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		r.book(r.draft("o-a", wed(9, 0), cl.Consult))
		rec, err := r.svc.Book(ctx, r.draft("o-b", wed(9, 0), cl.Consult))
		if err != nil || !rec.Taken || rec.Booking.ID != 0 {
			t.Fatalf("second booking of a full slot: %+v, %v", rec, err)
		}
		if len(rec.Next) != 3 || !rec.Next[0].Start.Equal(wed(9, 30)) {
			t.Errorf("Next = %+v", rec.Next)
		}
		if _, err := r.svc.Latest(ctx, "o-b"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("something was recorded for o-b: %v", err)
		}
		if n := r.taken(wed(9, 0)); n != 1 {
			t.Errorf("taken = %d", n)
		}
	})
}

func TestBookOneADayAndMinNotice(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		r.book(r.draft("o-a", wed(9, 0), cl.Consult))
		_, err := r.svc.Book(ctx, r.draft("o-a", wed(10, 0), cl.Mediation))
		userError(t, err, "您当天已有一个预约（12月2日 09:00）")
		if n := r.taken(wed(10, 0)); n != 0 {
			t.Errorf("a refused booking took a seat: %d", n)
		}

		r.clock.Set(wed(8, 45)) // 09:30 is 45 minutes away, inside the hour's notice
		_, err = r.svc.Book(ctx, r.draft("o-b", wed(9, 30), cl.Consult))
		userError(t, err, "需提前 1 小时预约")
		slots, _ := r.svc.Slots(ctx, cl.Consult)
		if hasSlot(slots, wed(9, 30)) || !hasSlot(slots, wed(10, 0)) {
			t.Errorf("slots inside the notice offered, or others not: %+v", slots)
		}
		r.book(r.draft("o-b", wed(10, 0), cl.Consult))
	})
}

func TestCancelAndMoveCutoff(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		early := r.book(r.draft("o-a", wed(9, 0), cl.Consult))
		late := r.book(r.draft("o-b", wed(10, 30), cl.Consult))

		if _, err := r.svc.Cancel(ctx, "o-b", early.ID); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("cancelling another resident's booking: %v", err)
		}
		if _, err := r.svc.CanChange(ctx, "o-b", early.ID); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("CanChange of another resident's booking: %v", err)
		}

		// 08:15: 09:00 is inside the two hours' cut-off, 10:30 is not.
		r.clock.Set(wed(8, 15))
		_, err := r.svc.CanChange(ctx, "o-a", early.ID)
		userError(t, err, "0991-1234567")
		_, err = r.svc.Cancel(ctx, "o-a", early.ID)
		userError(t, err, "请致电 0991-1234567 说明")
		d := r.draft("o-a", wed(10, 0), cl.Consult)
		d.Replaces = early.ID
		_, err = r.svc.Book(ctx, d)
		userError(t, err, "不能在线取消或改约")
		if n := r.taken(wed(10, 0)); n != 0 {
			t.Errorf("a refused move took a seat: %d", n)
		}
		if b, _ := s.ClinicBooking(ctx, early.ID); b.Status != cl.Booked {
			t.Errorf("a refused move changed the old booking: %s", b.Status)
		}

		if _, err := r.svc.CanChange(ctx, "o-b", late.ID); err != nil {
			t.Errorf("CanChange before the cut-off: %v", err)
		}
		got, err := r.svc.Cancel(ctx, "o-b", late.ID)
		if err != nil || got.Status != cl.Cancelled {
			t.Fatalf("Cancel = %+v, %v", got, err)
		}
		if n := r.taken(wed(10, 30)); n != 0 {
			t.Errorf("the cancelled seat is still taken: %d", n)
		}
		_, err = r.svc.Cancel(ctx, "o-b", late.ID)
		userError(t, err, "已取消")
		if slots, _ := r.svc.Slots(ctx, cl.Consult); !hasSlot(slots, wed(10, 30)) {
			t.Error("the freed slot is not offered again")
		}
		ev, _ := s.ClinicEvents(ctx, late.ID, 0, 0)
		if len(ev) != 2 || ev[1].Action != timelineCancel {
			t.Errorf("timeline = %+v", ev)
		}
		// A new booking that day after cancelling is allowed.
		r.book(r.draft("o-b", wed(10, 30), cl.Consult))
	})
}

func TestReschedule(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		old := r.book(r.draft("o-a", wed(9, 0), cl.Consult))
		d := r.draft("o-a", wed(10, 30), cl.Consult)
		d.Replaces = old.ID
		moved := r.book(d)
		if b, _ := s.ClinicBooking(ctx, old.ID); b.Status != cl.Cancelled {
			t.Errorf("old booking is %s", b.Status)
		}
		if r.taken(wed(9, 0)) != 0 || r.taken(wed(10, 30)) != 1 {
			t.Errorf("seats: 09:00 %d, 10:30 %d", r.taken(wed(9, 0)), r.taken(wed(10, 30)))
		}
		ev, _ := s.ClinicEvents(ctx, old.ID, 0, 0)
		if len(ev) != 2 || ev[1].Action != timelineMoved {
			t.Errorf("old timeline = %+v", ev)
		}
		if mine, _ := r.svc.Mine(ctx, "o-a"); len(mine.Bookings) != 1 || mine.Bookings[0].ID != moved.ID {
			t.Errorf("Mine = %+v", mine.Bookings)
		}
		// Moving onto a full slot changes nothing.
		r.book(r.draft("o-b", wed(9, 30), cl.Consult))
		d = r.draft("o-a", wed(9, 30), cl.Consult)
		d.Replaces = moved.ID
		rec, err := r.svc.Book(ctx, d)
		if err != nil || !rec.Taken {
			t.Fatalf("move onto a full slot: %+v, %v", rec, err)
		}
		if b, _ := s.ClinicBooking(ctx, moved.ID); b.Status != cl.Booked || r.taken(wed(10, 30)) != 1 {
			t.Errorf("a failed move cancelled the booking: %s", b.Status)
		}
		// Someone else's booking cannot be replaced.
		d = r.draft("o-c", wed(10, 0), cl.Consult)
		d.Replaces = moved.ID
		if _, err := r.svc.Book(ctx, d); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("replacing another resident's booking: %v", err)
		}
	})
}

// A booking whose slot the clinic closed may be moved or cancelled after
// the cut-off.
func TestMoveAfterClosure(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		a := r.book(r.draft("o-a", wed(9, 0), cl.Consult))
		b := r.book(r.draft("o-b", wed(9, 30), cl.Consult))
		c := cl.Closure{Date: "2026-12-02", ProviderID: r.lawyer.ID, Reason: "开庭", CreatedAt: r.clock.Now()}
		if err := s.InsertClinicClosure(ctx, &c); err != nil {
			t.Fatal(err)
		}
		r.clock.Set(wed(8, 0))
		if _, err := r.svc.CanChange(ctx, "o-a", a.ID); err != nil {
			t.Errorf("CanChange of a closed slot's booking: %v", err)
		}
		d := r.draft("o-a", wed(9, 0).AddDate(0, 0, 7), cl.Consult)
		d.Replaces = a.ID
		r.book(d)
		if got, err := r.svc.Cancel(ctx, "o-b", b.ID); err != nil || got.Status != cl.Cancelled {
			t.Errorf("Cancel of a closed slot's booking: %+v, %v", got, err)
		}
		if r.taken(wed(9, 0)) != 0 || r.taken(wed(9, 30)) != 0 {
			t.Error("seats of the closed slots still taken")
		}
	})
}

func TestBookDraftKeyRepeat(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		d := r.draft("o-a", wed(9, 0), cl.Aid)
		d.Key = "draft-1"
		d.Aid = &cl.AidAnswers{CaseKind: "讨薪", Hardship: true}
		first, err := r.svc.Book(ctx, d)
		if err != nil || first.Repeat || first.Aid == nil {
			t.Fatalf("first: %+v, %v", first, err)
		}
		again, err := r.svc.Book(ctx, d)
		if err != nil || !again.Repeat || again.Booking.ID != first.Booking.ID || again.Aid == nil || again.Aid.ID != first.Aid.ID {
			t.Fatalf("repeat: %+v, %v", again, err)
		}
		if r.taken(wed(9, 0)) != 1 {
			t.Errorf("a repeat took a second seat")
		}
	})
}

func TestBookAid(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		d := r.draft("o-a", wed(9, 0), cl.Aid)
		d.Aid = &cl.AidAnswers{CaseKind: "工伤", InCourt: true}
		rec, err := r.svc.Book(ctx, d)
		if err != nil || rec.Aid == nil || rec.Booking.AidID != rec.Aid.ID || rec.Aid.BookingID != rec.Booking.ID {
			t.Fatalf("aid booking: %+v, %v", rec, err)
		}
		a, err := s.ClinicAid(ctx, rec.Aid.ID)
		if err != nil || a.Status != cl.AidReceived || a.Answers == nil || a.Answers.CaseKind != "工伤" || a.OpenID != "o-a" {
			t.Errorf("stored aid = %+v, %v", a, err)
		}
		if b, _ := s.ClinicBooking(ctx, rec.Booking.ID); b.AidID != a.ID {
			t.Errorf("booking not linked to its aid: %+v", b)
		}
		if mine, _ := r.svc.Mine(ctx, "o-a"); len(mine.Aid) != 1 {
			t.Errorf("Mine.Aid = %+v", mine.Aid)
		}
		// Without a booking, and idempotent by key.
		a1, err := r.svc.ApplyAid(ctx, cl.AidApplication{OpenID: "o-b", Name: "赵", Phone: "13900000001", Answers: &cl.AidAnswers{CaseKind: "婚姻家庭"}}, "k")
		if err != nil || a1.ID == 0 || a1.Status != cl.AidReceived || a1.BookingID != 0 {
			t.Fatalf("ApplyAid = %+v, %v", a1, err)
		}
		if a2, err := r.svc.ApplyAid(ctx, cl.AidApplication{OpenID: "o-b", Name: "赵", Phone: "13900000001"}, "k"); err != nil || a2.ID != a1.ID {
			t.Errorf("ApplyAid again = %+v, %v", a2, err)
		}
		if ev, _ := s.ClinicEvents(ctx, 0, a1.ID, 0); len(ev) != 1 || ev[0].Action != timelineAidFiled {
			t.Errorf("aid timeline = %+v", ev)
		}
	})
}

func TestRequestExpert(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		_, err := r.svc.RequestExpert(ctx, cl.ExpertRequest{OpenID: "o-a", Name: "甲", Phone: "13800000000"}, "")
		userError(t, err, "请选择")
		_, err = r.svc.RequestExpert(ctx, cl.ExpertRequest{OpenID: "o-a", Matter: cl.Consult, Name: "甲", Phone: "123"}, "")
		userError(t, err, "手机号")
		_, err = r.svc.ApplyAid(ctx, cl.AidApplication{OpenID: "o-a", Phone: "13800000000"}, "")
		userError(t, err, "姓名")
		e, err := r.svc.RequestExpert(ctx, cl.ExpertRequest{OpenID: "o-a", Name: "甲", Phone: "13800000000",
			Matter: cl.Mediation, Description: "宅基地"}, "k")
		if err != nil || e.ID == 0 || e.Status != cl.ExpertRequested {
			t.Fatalf("RequestExpert = %+v, %v", e, err)
		}
		if e2, _ := r.svc.RequestExpert(ctx, cl.ExpertRequest{OpenID: "o-a", Name: "甲", Phone: "13800000000", Matter: cl.Consult}, "k"); e2.ID != e.ID {
			t.Errorf("repeat made a new request %d", e2.ID)
		}
		if mine, _ := r.svc.Mine(ctx, "o-a"); len(mine.Expert) != 1 {
			t.Errorf("Mine.Expert = %+v", mine.Expert)
		}
	})
}

func TestBookMediationTicket(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		now := r.clock.Now()
		tk := func(number, openid string) ticket.Ticket {
			tt := ticket.Ticket{Number: number, OpenID: openid, Category: "dispute", Description: "噪音", Status: ticket.Submitted,
				Source: "wechat", ResponseDue: now, ResolveDue: now, CreatedAt: now, UpdatedAt: now}
			if err := s.InsertTicket(ctx, &tt, ""); err != nil {
				t.Fatal(err)
			}
			return tt
		}
		theirs, mine := tk("20261201-001", "o-b"), tk("20261201-002", "o-a")
		d := r.draft("o-a", wed(9, 0), cl.Mediation)
		d.TicketID = theirs.ID
		_, err := r.svc.Book(ctx, d)
		userError(t, err, "没有找到您的这件诉求")
		if r.taken(wed(9, 0)) != 0 {
			t.Error("a refused mediation took a seat")
		}
		d.TicketID = mine.ID
		b := r.book(d)
		if b.TicketID != mine.ID {
			t.Errorf("booking ticket = %d", b.TicketID)
		}
		tl, err := s.Timeline(ctx, mine.ID)
		if err != nil || len(tl) != 1 || tl[0].Action != timelineTicket || !strings.Contains(tl[0].Note, b.Code) ||
			strings.Contains(tl[0].Note, "房屋漏水") {
			t.Errorf("ticket timeline = %+v, %v", tl, err)
		}
		if _, err := r.svc.Cancel(ctx, "o-a", b.ID); err != nil {
			t.Fatal(err)
		}
		if tl, _ := s.Timeline(ctx, mine.ID); len(tl) != 2 || tl[1].Action != timelineTicketCancel {
			t.Errorf("ticket timeline after cancelling = %+v", tl)
		}
	})
}

// TestBookRace: 30 residents confirm the one seat of a slot at once;
// exactly one gets it, the others are told it was taken.
func TestBookRace(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		// SQLite keeps its bounded pool (storage.DefaultSQLiteConns): with
		// 8 connections its writers poll the lock, and on a loaded machine
		// one waited out busy_timeout (SQLITE_BUSY at BEGIN).
		if s.Engine() == storage.EnginePostgres {
			s.DB().SetMaxOpenConns(8)
		}
		r := newRig(t, s)
		ctx := context.Background()
		const n = 30
		var wg sync.WaitGroup
		type result struct {
			rec cl.Receipt
			err error
		}
		results := make(chan result, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rec, err := r.svc.Book(ctx, r.draft(fmt.Sprintf("o-%02d", i), wed(9, 0), cl.Consult))
				results <- result{rec, err}
			}()
		}
		wg.Wait()
		close(results)
		booked, taken := 0, 0
		for res := range results {
			switch {
			case res.err != nil:
				t.Errorf("Book: %v", res.err)
			case res.rec.Taken:
				taken++
			case res.rec.Booking.ID != 0:
				booked++
			}
		}
		if booked != 1 || taken != n-1 {
			t.Errorf("booked %d, taken %d; want 1 and %d", booked, taken, n-1)
		}
		if got := r.taken(wed(9, 0)); got != 1 {
			t.Errorf("seats taken = %d", got)
		}
		list, _ := s.ClinicBookingsOn(ctx, "2026-12-02", cl.Booked)
		if len(list) != 1 {
			t.Errorf("%d bookings recorded", len(list))
		}
	})
}

// TestBookTwiceAtOnce: the same confirmation delivered four times at
// once (WeChat retrying a slow reply, a double tap) books once, and every
// copy reads that booking.
func TestBookTwiceAtOnce(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		d := r.draft("o-a", wed(9, 0), cl.Consult)
		d.Key = "tap"
		var wg sync.WaitGroup
		recs := make([]cl.Receipt, 4)
		errs := make([]error, 4)
		for i := range recs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				recs[i], errs[i] = r.svc.Book(ctx, d)
			}()
		}
		wg.Wait()
		for i := range recs {
			if errs[i] != nil || recs[i].Taken || recs[i].Booking.ID == 0 {
				t.Fatalf("copy %d: %+v, %v", i, recs[i], errs[i])
			}
		}
		fresh := 0
		for _, rec := range recs {
			if rec.Booking.ID != recs[0].Booking.ID {
				t.Errorf("copies read bookings %d and %d", recs[0].Booking.ID, rec.Booking.ID)
			}
			if !rec.Repeat {
				fresh++
			}
		}
		if fresh != 1 {
			t.Errorf("%d copies booked afresh, want 1", fresh)
		}
		if r.taken(wed(9, 0)) != 1 {
			t.Errorf("taken = %d", r.taken(wed(9, 0)))
		}
	})
}

// Walk-in hours under way are listed until they end; bookable slots only
// outside the notice.
func TestSlotsWalkInUnderWay(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		r.schedule(cl.Schedule{Mode: cl.Daily, Weekdays: []int{3}, Start: "08:30", End: "11:30"})
		r.clock.Set(wed(9, 10))
		slots, err := r.svc.Slots(ctx, cl.Consult)
		if err != nil || len(slots) == 0 || !slots[0].WalkIn || !slots[0].Start.Equal(wed(8, 30)) {
			t.Fatalf("Slots = %+v, %v", slots, err)
		}
		if hasSlot(slots, wed(10, 0)) || !hasSlot(slots, wed(10, 30)) {
			t.Errorf("bookable slots at 09:10: %+v", slots)
		}
		r.clock.Set(wed(11, 30))
		if slots, _ := r.svc.Slots(ctx, cl.Consult); len(slots) > 0 && slots[0].Start.Equal(wed(8, 30)) {
			t.Error("walk-in hours that ended are still listed")
		}
	})
}

func TestOrphaned(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		kept := r.book(r.draft("o-a", wed(9, 0), cl.Consult))
		gone := r.book(r.draft("o-b", wed(10, 30), cl.Consult))
		sc := r.appt
		sc.End = "10:00"
		if err := s.UpdateClinicSchedule(ctx, sc); err != nil {
			t.Fatal(err)
		}
		var got []cl.Booking
		if err := s.Transact(ctx, func(tx *storage.Tx) error {
			var err error
			got, err = r.svc.orphaned(ctx, tx, sc.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != gone.ID {
			t.Errorf("orphaned = %+v; want only %d (not %d)", got, gone.ID, kept.ID)
		}
		// A whole-day closure orphans the rest.
		c := cl.Closure{Date: "2026-12-02", Reason: "停电", CreatedAt: r.clock.Now()}
		if err := s.InsertClinicClosure(ctx, &c); err != nil {
			t.Fatal(err)
		}
		if err := s.Transact(ctx, func(tx *storage.Tx) error {
			var err error
			got, err = r.svc.orphaned(ctx, tx, 0)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Errorf("orphaned after a closure = %d bookings, want 2", len(got))
		}
		var next []cl.Slot
		_ = s.Transact(ctx, func(tx *storage.Tx) error {
			var err error
			next, err = r.svc.nextFree(ctx, tx, cl.Consult, 2)
			return err
		})
		if len(next) != 2 || next[0].Start.In(bot.Shanghai).Format(cl.DateLayout) != "2026-12-09" {
			t.Errorf("nextFree after closing Wednesday = %+v", next)
		}
	})
}

func TestDay(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		other := r.schedule(cl.Schedule{Mode: cl.Appointment, Weekdays: []int{3}, Start: "14:00", End: "15:00",
			SlotMinutes: 60, Capacity: 1, Matters: []cl.Matter{cl.Consult}})
		r.book(r.draft("o-a", wed(9, 0), cl.Consult))
		d := r.draft("o-b", wed(14, 0), cl.Consult)
		d.Slot.ScheduleID = other.ID
		r.book(d)

		all, err := r.svc.Day(ctx, "o-clinic", wed(0, 0))
		if err != nil || len(all) != 2 || all[0].Description == "" {
			t.Errorf("clinic staff Day = %+v, %v", all, err)
		}
		his, err := r.svc.Day(ctx, "o-lawyer", wed(12, 0))
		if err != nil || len(his) != 1 || his[0].ScheduleID != r.appt.ID {
			t.Errorf("provider Day = %+v, %v", his, err)
		}
		for _, who := range []string{"o-grid", "o-a"} {
			_, err := r.svc.Day(ctx, who, wed(0, 0))
			var ue *bot.UserError
			if !errors.As(err, &ue) || ue.Code != bot.CodeForbidden {
				t.Errorf("Day(%s): %v, want forbidden", who, err)
			}
		}
	})
}

func TestInfoLanguagesSubscribe(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		r.schedule(cl.Schedule{Mode: cl.Daily, Weekdays: []int{1, 2, 3, 4, 5}, Start: "09:00", End: "11:30"})
		r.schedule(cl.Schedule{Mode: cl.Daily, Weekdays: []int{1, 2, 3, 4, 5}, Start: "14:30", End: "17:00"})
		r.schedule(cl.Schedule{Mode: cl.Daily, Weekdays: []int{6}, Start: "09:00", End: "11:00"})
		r.schedule(cl.Schedule{Mode: cl.Daily, Weekdays: []int{1, 3}, Start: "19:00", End: "20:00", ValidTo: "2026-11-30"})
		info, err := r.svc.Info(ctx)
		want := cl.Info{Place: "社区服务中心二楼", Phone: "0991-1234567", Hotline: "12348",
			WalkIn: "周一至周五 09:00-11:30、14:30-17:00；周六 09:00-11:00"}
		if err != nil || info != want {
			t.Errorf("Info = %+v, %v; want %+v", info, err, want)
		}
		if got := weekdaysLabel([]int{1, 3, 5}); got != "周一、周三、周五" {
			t.Errorf("weekdaysLabel = %q", got)
		}

		p := cl.Provider{Name: "阿依", Kind: cl.MinorityRep, Languages: []string{"维吾尔语", "哈萨克语"}, Active: true}
		_ = s.InsertClinicProvider(ctx, &p)
		q := cl.Provider{Name: "停用", Kind: cl.Lawyer, Languages: []string{"手语"}}
		_ = s.InsertClinicProvider(ctx, &q)
		langs, err := r.svc.Languages(ctx)
		if err != nil || strings.Join(langs, ",") != "维吾尔语,哈萨克语" {
			t.Errorf("Languages = %v, %v", langs, err)
		}

		userError(t, r.svc.Subscribe(ctx, "o-a", true), "填写您的住址")
		if err := s.SaveProfile(ctx, bot.Resident{OpenID: "o-a", Name: "甲", Address: "3号楼2单元201"}); err != nil {
			t.Fatal(err)
		}
		if err := r.svc.Subscribe(ctx, "o-a", true); err != nil {
			t.Fatal(err)
		}
		if subs, _ := s.ClinicSubscribed(ctx, []string{"o-a"}); len(subs) != 1 {
			t.Error("not subscribed")
		}
		if err := r.svc.Subscribe(ctx, "o-a", false); err != nil {
			t.Fatal(err)
		}
		if subs, _ := s.ClinicSubscribed(ctx, []string{"o-a"}); len(subs) != 0 {
			t.Error("still subscribed")
		}
	})
}

// TestStaffCancel: staff cancelling a booking through the admin API go the
// resident's one cancel path (seat freed, the mediation ticket's timeline
// told) and the resident is told, with the clinic's phone and nothing
// confidential.
func TestStaffCancel(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		now := r.clock.Now()
		tk := ticket.Ticket{Number: "20261201-001", OpenID: "o-a", Category: "dispute", Description: "噪音", Status: ticket.Submitted,
			Source: "wechat", ResponseDue: now, ResolveDue: now, CreatedAt: now, UpdatedAt: now}
		if err := s.InsertTicket(ctx, &tk, ""); err != nil {
			t.Fatal(err)
		}
		d := r.draft("o-a", wed(9, 0), cl.Mediation)
		d.TicketID = tk.ID
		b := r.book(d)
		cancelled := cl.Cancelled
		got, err := r.svc.UpdateBooking(ctx, b.ID, BookingPatch{Status: &cancelled})
		if err != nil || got.Status != cl.Cancelled {
			t.Fatalf("UpdateBooking(cancelled) = %+v, %v", got, err)
		}
		if n := r.taken(wed(9, 0)); n != 0 {
			t.Errorf("seats taken after staff cancel = %d, want 0", n)
		}
		tl, err := s.Timeline(ctx, tk.ID)
		if err != nil || len(tl) != 2 || tl[1].Action != timelineTicketCancel || !strings.Contains(tl[1].Note, b.Code) {
			t.Errorf("ticket timeline after staff cancel = %+v, %v", tl, err)
		}
		ev, err := s.ClinicEvents(ctx, b.ID, 0, 0)
		if err != nil || len(ev) != 2 || ev[1].Actor != actorStaff || ev[1].Action != actionStatus || ev[1].Note != string(cl.Cancelled) {
			t.Errorf("booking timeline = %+v, %v", ev, err)
		}
		ns, err := s.ListNotifications(ctx, "", 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		told := 0
		for _, n := range ns {
			if strings.Contains(n.Payload, "房屋漏水") && n.Recipient != "o-lawyer" {
				t.Errorf("notice %s to %s carries the description", n.Kind, n.Recipient)
			}
			if n.Kind == kindResidentCancelled && n.Recipient == "o-a" {
				told++
				for _, want := range []string{"已取消", "0991-1234567", "法律"} {
					if !strings.Contains(n.Payload, want) {
						t.Errorf("resident's notice %s lacks %q", n.Payload, want)
					}
				}
			}
		}
		if told != 1 {
			t.Errorf("resident told %d times of the staff cancel, want 1", told)
		}
		// The seat is free for another resident, and the cancelled
		// booking cannot be cancelled again by its resident.
		r.book(r.draft("o-b", wed(9, 0), cl.Consult))
		if _, err := r.svc.Cancel(ctx, "o-a", b.ID); err == nil {
			t.Error("resident cancelled a booking staff had cancelled")
		}
	})
}

// TestScheduleMovedPlace: staff moving a schedule to another room move
// its coming bookings there (what 我的预约 and the reminders read) and
// tell their residents; a booking whose slot went is told that instead.
func TestScheduleMovedPlace(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		b := r.book(r.draft("o-a", wed(9, 0), cl.Consult))
		room := "三楼会议室"
		ch, err := r.svc.UpdateSchedule(ctx, r.appt.ID, SchedulePatch{Location: &room})
		if err != nil || ch.Schedule.Location != room {
			t.Fatalf("UpdateSchedule(location) = %+v, %v", ch, err)
		}
		got, err := s.ClinicBooking(ctx, b.ID)
		if err != nil || got.Location != room {
			t.Errorf("booking after the move: %q, %v; want %q", got.Location, err, room)
		}
		ns, err := s.ListNotifications(ctx, "", 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		told := 0
		for _, n := range ns {
			if n.Recipient == "o-a" && n.Kind == kindMoved {
				told++
				if !strings.Contains(n.Payload, room) || strings.Contains(n.Payload, "房屋漏水") {
					t.Errorf("resident's notice: %s", n.Payload)
				}
			}
		}
		if told != 1 {
			t.Errorf("resident told %d times of the new place, want 1", told)
		}
		// The same place again tells nobody again.
		if _, err := r.svc.UpdateSchedule(ctx, r.appt.ID, SchedulePatch{Location: &room}); err != nil {
			t.Fatal(err)
		}
		if ns2, _ := s.ListNotifications(ctx, "", 100, 0); len(ns2) != len(ns) {
			t.Errorf("notices after an unchanged place: %d, want %d", len(ns2), len(ns))
		}
	})
}

// TestRescheduleKeepsTheAid: 改约 of a 法律援助 booking moves its
// application to the new booking; it stayed linked to the cancelled one,
// so staff working the application saw a booking that no longer held.
func TestRescheduleKeepsTheAid(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		d := r.draft("o-a", wed(9, 0), cl.Aid)
		d.Aid = &cl.AidAnswers{CaseKind: "讨薪"}
		rec, err := r.svc.Book(ctx, d)
		if err != nil || rec.Aid == nil {
			t.Fatalf("aid booking: %+v, %v", rec, err)
		}
		m := r.draft("o-a", wed(10, 30), cl.Aid)
		m.Replaces = rec.Booking.ID
		moved := r.book(m)
		if moved.AidID != rec.Aid.ID {
			t.Errorf("the new booking's aid = %d, want %d", moved.AidID, rec.Aid.ID)
		}
		if b, _ := s.ClinicBooking(ctx, moved.ID); b.AidID != rec.Aid.ID {
			t.Errorf("stored new booking's aid = %d, want %d", b.AidID, rec.Aid.ID)
		}
		if a, _ := s.ClinicAid(ctx, rec.Aid.ID); a.BookingID != moved.ID {
			t.Errorf("the application's booking = %d, want %d", a.BookingID, moved.ID)
		}
		if mine, _ := r.svc.Mine(ctx, "o-a"); len(mine.Aid) != 1 {
			t.Errorf("Mine.Aid = %+v (one application, not two)", mine.Aid)
		}
	})
}

package clinic_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/bottest"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/clinic"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// adminNow is the clock of these tests: Tuesday 1 December 2026, 08:00 in
// Shanghai, no holiday near.
var adminNow = time.Date(2026, 12, 1, 8, 0, 0, 0, bot.Shanghai)

// failingPlanner refuses every activity.
type failingPlanner struct{ cancelled []int64 }

var errPlan = errors.New("activities down")

func (f *failingPlanner) Plan(context.Context, activity.Activity) (activity.Activity, error) {
	return activity.Activity{}, errPlan
}

func (f *failingPlanner) CancelActivity(_ context.Context, id int64, _ string) (activity.Activity, error) {
	f.cancelled = append(f.cancelled, id)
	return activity.Activity{}, nil
}

func newAdmin(t *testing.T, store *storage.Store, planner clinic.ActivityPlanner) *clinic.Service {
	t.Helper()
	clk := bottest.NewClock(adminNow)
	return clinic.New(store, nil, clinic.Config{Now: clk.Now, Activities: planner})
}

func field(err error) string {
	var ue *bot.UserError
	if errors.As(err, &ue) {
		return ue.Field
	}
	return ""
}

func mustProvider(t *testing.T, s *clinic.Service, name string) int64 {
	t.Helper()
	p, err := s.CreateProvider(context.Background(), cl.Provider{Name: name, Kind: cl.Lawyer, Phone: "13800000000", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func appointment(providers []int64, date string) cl.Schedule {
	return cl.Schedule{Mode: cl.Appointment, ProviderIDs: providers, Date: date, Start: "09:00", End: "10:00",
		SlotMinutes: 30, Capacity: 1, Location: "二楼", Matters: []cl.Matter{cl.Consult}, Active: true}
}

// bookAt books the slot of sc starting at hh:mm on its date.
func bookAt(t *testing.T, s *clinic.Service, sc cl.Schedule, hhmm, openid string) cl.Booking {
	t.Helper()
	d, _ := time.ParseInLocation(cl.DateLayout+" 15:04", sc.Date+" "+hhmm, bot.Shanghai)
	rec, err := s.Book(context.Background(), cl.Draft{Slot: cl.SlotRef{ScheduleID: sc.ID, Start: d.UTC()}, Matter: cl.Consult,
		OpenID: openid, Name: "王阿姨", Phone: "13900000000", Description: "事由"})
	if err != nil || rec.Taken {
		t.Fatalf("Book(%s %s): %+v %v", sc.Date, hhmm, rec, err)
	}
	return rec.Booking
}

func TestFreeClinicNeedsSignups(t *testing.T) {
	ctx := context.Background()
	store := storagetest.Open(t)
	s := newAdmin(t, store, nil)
	pid := mustProvider(t, s, "李律师")
	fc := cl.Schedule{Mode: cl.FreeClinic, ProviderIDs: []int64{pid}, Date: "2026-12-12", Start: "09:00", End: "11:00",
		Capacity: 50, Location: "广场", Matters: []cl.Matter{cl.Consult}, Active: true}
	if _, err := s.CreateSchedule(ctx, fc); field(err) != "mode" {
		t.Errorf("free clinic without event sign-ups: %v, want an error naming mode", err)
	}
	planner := &failingPlanner{}
	s = newAdmin(t, store, planner)
	if _, err := s.CreateSchedule(ctx, fc); !errors.Is(err, errPlan) {
		t.Errorf("free clinic whose activity failed: %v, want the planner's error", err)
	}
	if list, err := s.Schedules(ctx); err != nil || len(list) != 0 {
		t.Errorf("schedules after a failed free clinic: %v %v, want none", list, err)
	}
	// A bad free clinic is refused before any activity is planned.
	fc.Capacity = 0
	if _, err := s.CreateSchedule(ctx, fc); field(err) != "capacity" {
		t.Errorf("free clinic without capacity: %v", err)
	}
}

func TestScheduleValidation(t *testing.T) {
	ctx := context.Background()
	s := newAdmin(t, storagetest.Open(t), nil)
	pid := mustProvider(t, s, "李律师")
	for _, tc := range []struct {
		name  string
		edit  func(*cl.Schedule)
		field string
	}{
		{"valid range with one date", func(sc *cl.Schedule) { sc.ValidFrom = "2026-12-01" }, "valid_from"},
		{"daily walk-in without slots", func(sc *cl.Schedule) { sc.Mode, sc.SlotMinutes, sc.Capacity = cl.Daily, 0, 0 }, ""},
		{"expert without matters", func(sc *cl.Schedule) { sc.Mode, sc.SlotMinutes, sc.Matters = cl.Expert, 0, nil }, ""},
		{"appointment without slots", func(sc *cl.Schedule) { sc.SlotMinutes = 0 }, "slot_minutes"},
		{"date in the past", func(sc *cl.Schedule) { sc.Date = "2026-11-30" }, "date"},
		{"today", func(sc *cl.Schedule) { sc.Date = "2026-12-01" }, ""},
		{"weekly in range", func(sc *cl.Schedule) {
			sc.Date, sc.Weekdays, sc.ValidFrom, sc.ValidTo = "", []int{5, 1, 3}, "2026-12-01", "2026-12-31"
		}, ""},
	} {
		sc := appointment([]int64{pid}, "2026-12-03")
		tc.edit(&sc)
		ch, err := s.CreateSchedule(ctx, sc)
		if field(err) != tc.field || (tc.field == "" && err != nil) {
			t.Errorf("%s: %v, want field %q", tc.name, err, tc.field)
		}
		if tc.name == "weekly in range" && err == nil && (len(ch.Schedule.Weekdays) != 3 || ch.Schedule.Weekdays[0] != 1) {
			t.Errorf("weekdays not sorted: %v", ch.Schedule.Weekdays)
		}
	}
}

func TestClosureTellsOnlyItsDay(t *testing.T) {
	ctx := context.Background()
	s := newAdmin(t, storagetest.Open(t), nil)
	a, b := mustProvider(t, s, "甲律师"), mustProvider(t, s, "乙法官")
	ch, err := s.CreateSchedule(ctx, appointment([]int64{a}, "2026-12-03"))
	if err != nil {
		t.Fatal(err)
	}
	panel, err := s.CreateSchedule(ctx, appointment([]int64{a, b}, "2026-12-04"))
	if err != nil {
		t.Fatal(err)
	}
	bookAt(t, s, ch.Schedule, "09:00", "o-1")
	bookAt(t, s, panel.Schedule, "09:30", "o-2")

	// One provider of a panel away: the panel still sits.
	cd, err := s.CreateClosure(ctx, cl.Closure{Date: "2026-12-04", ProviderID: b, Reason: "出庭"})
	if err != nil || cd.Told != 0 {
		t.Errorf("closure of one of a panel: %+v %v, want nobody told", cd, err)
	}
	// The other day's sole provider away: that day's resident is told.
	cd, err = s.CreateClosure(ctx, cl.Closure{Date: "2026-12-03", ProviderID: a, Reason: "培训"})
	if err != nil || cd.Told != 1 {
		t.Errorf("closure of the sole provider: %+v %v, want one told", cd, err)
	}
	// The whole clinic closed on the 4th: its resident is told, the 3rd's
	// is not told again.
	cd, err = s.CreateClosure(ctx, cl.Closure{Date: "2026-12-04", Reason: "停电"})
	if err != nil || cd.Told != 1 {
		t.Errorf("closure of the 4th: %+v %v, want one told", cd, err)
	}
	if _, err := s.CreateClosure(ctx, cl.Closure{Date: "2026-12-05", ProviderID: 999, Reason: "x"}); field(err) != "provider_id" {
		t.Errorf("closure of an unknown provider: %v", err)
	}
	if list, err := s.Closures(ctx, "2026-12-04", "2026-12-04"); err != nil || len(list) != 2 {
		t.Errorf("closures of the 4th: %v %v", list, err)
	}
}

func TestProviderStaffLink(t *testing.T) {
	ctx := context.Background()
	s := newAdmin(t, storagetest.Open(t), nil)
	if _, err := s.CreateProvider(ctx, cl.Provider{Name: "甲", Kind: cl.Mediator, Phone: "1", StaffID: 42}); field(err) != "staff_id" {
		t.Errorf("unknown staff: %v", err)
	}
	pid := mustProvider(t, s, "乙")
	bad := int64(42)
	if _, err := s.UpdateProvider(ctx, pid, clinic.ProviderPatch{StaffID: &bad}); field(err) != "staff_id" {
		t.Errorf("patch to unknown staff: %v", err)
	}
	if _, err := s.UpdateProvider(ctx, 999, clinic.ProviderPatch{StaffID: &bad}); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("unknown provider: %v", err)
	}
	langs := []string{" 哈萨克语 ", "手语"}
	p, err := s.UpdateProvider(ctx, pid, clinic.ProviderPatch{Languages: &langs})
	if err != nil || len(p.Languages) != 2 || p.Languages[0] != "哈萨克语" {
		t.Errorf("languages: %+v %v", p, err)
	}
	if got, err := s.Provider(ctx, pid); err != nil || len(got.Languages) != 2 {
		t.Errorf("stored languages: %+v %v", got, err)
	}
}

func TestExpertReschedule(t *testing.T) {
	ctx := context.Background()
	s := newAdmin(t, storagetest.Open(t), nil)
	pid := mustProvider(t, s, "甲律师")
	r, err := s.RequestExpert(ctx, cl.ExpertRequest{OpenID: "o-1", Name: "古丽", Phone: "13900000002", Matter: cl.Consult, Description: "事由"}, "")
	if err != nil {
		t.Fatal(err)
	}
	scheduled := cl.ExpertScheduled
	at := adminNow.Add(48 * time.Hour)
	place, panel := "调解室", []int64{pid}
	if _, err := s.UpdateExpert(ctx, r.ID, clinic.ExpertPatch{Status: &scheduled, At: &at, Location: &place, ProviderIDs: &panel}); err != nil {
		t.Fatal(err)
	}
	later := at.Add(24 * time.Hour)
	// A scheduled request moves without restating its status.
	got, err := s.UpdateExpert(ctx, r.ID, clinic.ExpertPatch{At: &later})
	if err != nil || got.At == nil || !got.At.Equal(later) || got.Location != place || len(got.ProviderIDs) != 1 {
		t.Errorf("moved: %+v %v", got, err)
	}
	requested := cl.ExpertRequested
	if _, err := s.UpdateExpert(ctx, r.ID, clinic.ExpertPatch{Status: &requested}); bot.ErrorCode(err) != bot.CodeConflict {
		t.Errorf("back to requested: %v", err)
	}
}

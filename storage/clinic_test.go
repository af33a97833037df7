package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

func TestClinicStorage(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)

		p := cl.Provider{Name: "王律师", Kind: cl.Lawyer, Phone: "13800000000", Languages: []string{"维吾尔语", "手语"},
			Active: true, CreatedAt: now, UpdatedAt: now}
		if err := s.InsertClinicProvider(ctx, &p); err != nil {
			t.Fatal(err)
		}
		got, err := s.ClinicProvider(ctx, p.ID)
		if err != nil || !cmp.Equal(got, p) {
			t.Fatalf("provider round trip: %v\n%s", err, cmp.Diff(p, got))
		}
		p.Active, p.Languages = false, []string{}
		if err := s.UpdateClinicProvider(ctx, p); err != nil {
			t.Fatal(err)
		}
		if ps, _ := s.ClinicProviders(ctx); len(ps) != 1 || ps[0].Active || len(ps[0].Languages) != 0 {
			t.Errorf("providers after update: %+v", ps)
		}
		if err := s.UpdateClinicProvider(ctx, cl.Provider{ID: 999, Kind: cl.Lawyer}); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("update unknown provider: %v", err)
		}

		sc := cl.Schedule{Mode: cl.Appointment, ProviderIDs: []int64{p.ID}, Weekdays: []int{1, 3, 5}, Start: "09:00",
			End: "11:00", SlotMinutes: 30, Capacity: 1, Location: "二楼", Matters: []cl.Matter{cl.Consult, cl.Aid},
			ValidFrom: "2026-11-01", Active: true, CreatedAt: now, UpdatedAt: now}
		if err := s.InsertClinicSchedule(ctx, &sc); err != nil {
			t.Fatal(err)
		}
		gs, err := s.ClinicSchedule(ctx, sc.ID)
		if err != nil || !cmp.Equal(gs, sc) {
			t.Fatalf("schedule round trip: %v\n%s", err, cmp.Diff(sc, gs))
		}
		sc.Active = false
		if err := s.UpdateClinicSchedule(ctx, sc); err != nil {
			t.Fatal(err)
		}
		if act, _ := s.ActiveClinicSchedules(ctx); len(act) != 0 {
			t.Errorf("inactive schedule listed as active: %+v", act)
		}

		c := cl.Closure{Date: "2026-12-01", ProviderID: p.ID, Reason: "出差", CreatedAt: now}
		if err := s.InsertClinicClosure(ctx, &c); err != nil {
			t.Fatal(err)
		}
		if cs, _ := s.ClinicClosures(ctx, "2026-12-01", "2026-12-01"); len(cs) != 1 || cs[0] != c {
			t.Errorf("closures in range: %+v", cs)
		}
		if cs, _ := s.ClinicClosures(ctx, "2026-12-02", ""); len(cs) != 0 {
			t.Errorf("closures after: %+v", cs)
		}

		// Seats: the upsert never counts past the capacity.
		start := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
		for i, want := range []bool{true, false} {
			if ok, err := s.TakeClinicSeat(ctx, sc.ID, start, 1); err != nil || ok != want {
				t.Fatalf("take %d: %v %v, want %v", i, ok, err, want)
			}
		}
		if ok, _ := s.TakeClinicSeat(ctx, sc.ID, start, 2); !ok {
			t.Error("a raised capacity did not apply")
		}
		seats, err := s.ClinicSeats(ctx, start, start.Add(time.Minute))
		if err != nil || seats[cl.SlotRef{ScheduleID: sc.ID, Start: start}] != 2 {
			t.Errorf("seats = %v, %v", seats, err)
		}
		for range 2 {
			if err := s.ReleaseClinicSeat(ctx, sc.ID, start); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.ReleaseClinicSeat(ctx, sc.ID, start); err == nil {
			t.Error("released a seat none held")
		}

		b := cl.Booking{Code: "123456", ScheduleID: sc.ID, Start: start, End: start.Add(30 * time.Minute), Mode: cl.Appointment,
			Location: "二楼", Matter: cl.Consult, OpenID: "o-1", Name: "李", Phone: "139", Description: "房屋纠纷",
			Status: cl.Booked, CreatedAt: now, UpdatedAt: now}
		if err := s.InsertClinicBooking(ctx, &b, "k1"); err != nil {
			t.Fatal(err)
		}
		if gb, err := s.ClinicBookingByDraftKey(ctx, "k1"); err != nil || !cmp.Equal(gb, b) {
			t.Fatalf("booking round trip: %v\n%s", err, cmp.Diff(b, gb))
		}
		b2 := b
		b2.Code, b2.Start = "654321", start.Add(time.Hour)
		if err := s.InsertClinicBooking(ctx, &b2, ""); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("second booking on the day: %v, want ErrConflict", err)
		}
		if list, _ := s.ClinicBookingsOn(ctx, b.Day(), cl.Booked); len(list) != 1 || list[0].Description != "" {
			t.Errorf("staff list: %+v (must not carry descriptions)", list)
		}
		if day, _ := s.ClinicDayBookings(ctx, b.Day()); len(day) != 1 || day[0].Description != "房屋纠纷" {
			t.Errorf("day list: %+v", day)
		}
		if ok, err := s.SetClinicBookingStatus(ctx, b.ID, cl.Booked, cl.Cancelled, now); !ok || err != nil {
			t.Fatalf("cancel: %v %v", ok, err)
		}
		if ok, _ := s.SetClinicBookingStatus(ctx, b.ID, cl.Booked, cl.Cancelled, now); ok {
			t.Error("cancelled twice")
		}
		if err := s.InsertClinicBooking(ctx, &b2, ""); err != nil {
			t.Errorf("booking again after cancelling: %v", err)
		}
		if l, err := s.LatestClinicBooking(ctx, "o-1"); err != nil || l.ID != b2.ID {
			t.Errorf("latest = %d, %v", l.ID, err)
		}

		a := cl.AidApplication{OpenID: "o-1", Name: "李", Answers: &cl.AidAnswers{CaseKind: "讨薪", Hardship: true},
			Description: "欠薪", BookingID: b2.ID, Status: cl.AidReceived, CreatedAt: now, UpdatedAt: now}
		if err := s.InsertClinicAid(ctx, &a, "ka"); err != nil {
			t.Fatal(err)
		}
		if ga, err := s.ClinicAidByDraftKey(ctx, "ka"); err != nil || !cmp.Equal(ga, a) {
			t.Fatalf("aid round trip: %v\n%s", err, cmp.Diff(a, ga))
		}
		if list, _ := s.ClinicAidByStatus(ctx, cl.AidReceived); len(list) != 1 || list[0].Answers != nil || list[0].Description != "" {
			t.Errorf("aid staff list: %+v", list)
		}
		if ok, _ := s.SetClinicAidStatus(ctx, a.ID, cl.AidReceived, cl.AidReviewing, "", now); !ok {
			t.Error("aid status not moved")
		}

		e := cl.ExpertRequest{OpenID: "o-1", Matter: cl.Mediation, Description: "邻里", Status: cl.ExpertRequested,
			ProviderIDs: []int64{}, CreatedAt: now, UpdatedAt: now}
		if err := s.InsertClinicExpert(ctx, &e, "ke"); err != nil {
			t.Fatal(err)
		}
		at := start
		e.Status, e.At, e.ProviderIDs = cl.ExpertScheduled, &at, []int64{p.ID}
		if ok, err := s.UpdateClinicExpert(ctx, e, cl.ExpertRequested); !ok || err != nil {
			t.Fatalf("schedule expert: %v %v", ok, err)
		}
		if ge, err := s.ClinicExpert(ctx, e.ID); err != nil || !cmp.Equal(ge, e) {
			t.Fatalf("expert round trip: %v\n%s", err, cmp.Diff(e, ge))
		}
		if list, _ := s.ClinicExpertByStatus(ctx, ""); len(list) != 1 || list[0].Description != "" {
			t.Errorf("expert staff list: %+v", list)
		}

		if _, err := s.AddClinicEvent(ctx, b.ID, 0, 0, now, "居民", "booked", ""); err != nil {
			t.Fatal(err)
		}
		if ev, _ := s.ClinicEvents(ctx, b.ID, 0, 0); len(ev) != 1 || ev[0].Action != "booked" || !ev[0].At.Equal(now) {
			t.Errorf("events: %+v", ev)
		}

		for _, on := range []bool{true, true} {
			if err := s.SetClinicSubscription(ctx, "o-1", on, now); err != nil {
				t.Fatal(err)
			}
		}
		if subs, _ := s.ClinicSubscribed(ctx, []string{"o-1", "o-2"}); !cmp.Equal(subs, []string{"o-1"}) {
			t.Errorf("subscribed = %v", subs)
		}
		_ = s.SetClinicSubscription(ctx, "o-1", false, now)
		if subs, _ := s.ClinicSubscribed(ctx, []string{"o-1"}); len(subs) != 0 {
			t.Errorf("unsubscribed still listed: %v", subs)
		}
	})
}

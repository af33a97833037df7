package clinictest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/clinic/clinictest"
)

// TestFakeKeepsThePortsRules: the fake refuses what the port says the
// service refuses, so transcripts over it show real behaviour.
func TestFakeKeepsThePortsRules(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, bot.Shanghai)
	f := &clinictest.Fake{Now: func() time.Time { return now }}
	all := []cl.Matter{cl.Consult}
	slot := func(h int) cl.Slot {
		s := time.Date(2026, 12, 1, h, 0, 0, 0, bot.Shanghai)
		return cl.Slot{ScheduleID: 1, Start: s, End: s.Add(time.Hour), Mode: cl.Appointment, Matters: all, Capacity: 1}
	}
	for _, h := range []int{8, 11, 14} {
		f.AddSlot(slot(h))
	}
	f.AddSlot(cl.Slot{ScheduleID: 2, Start: slot(9).Start, End: slot(11).Start, Mode: cl.Daily, Matters: all, WalkIn: true})
	ss, _ := f.Slots(ctx, cl.Consult)
	if len(ss) != 3 || !ss[0].WalkIn {
		t.Fatalf("slots (08:00 is inside the minimum notice): %+v", ss)
	}
	if ss, _ := f.Slots(ctx, cl.Aid); len(ss) != 0 {
		t.Errorf("slots for a matter not taken: %+v", ss)
	}
	d := cl.Draft{Slot: slot(11).Ref(), Matter: cl.Consult, OpenID: "o-a", Key: "k1"}
	rc, err := f.Book(ctx, d)
	if err != nil || rc.Booking.ID != 1 {
		t.Fatalf("book: %+v, %v", rc, err)
	}
	if rc, err := f.Book(ctx, d); err != nil || !rc.Repeat || rc.Booking.ID != 1 {
		t.Errorf("repeat of the key: %+v, %v", rc, err)
	}
	rc, err = f.Book(ctx, cl.Draft{Slot: slot(11).Ref(), Matter: cl.Consult, OpenID: "o-b"})
	if err != nil || !rc.Taken || len(rc.Next) != 1 || !rc.Next[0].Start.Equal(slot(14).Start) {
		t.Errorf("full slot: %+v, %v", rc, err)
	}
	if _, err := f.Book(ctx, cl.Draft{Slot: slot(14).Ref(), Matter: cl.Consult, OpenID: "o-a"}); bot.ErrorCode(err) != bot.CodeConflict {
		t.Errorf("second booking that day: %v", err)
	}
	moved, err := f.Book(ctx, cl.Draft{Slot: slot(14).Ref(), Matter: cl.Consult, OpenID: "o-a", Replaces: 1})
	if err != nil || moved.Booking.ID != 2 {
		t.Fatalf("move: %+v, %v", moved, err)
	}
	if b := f.Bookings()[0]; b.Status != cl.Cancelled {
		t.Errorf("the old booking after the move: %s", b.Status)
	}
	if ss, _ := f.Slots(ctx, cl.Consult); len(ss) != 2 || !ss[1].Start.Equal(slot(11).Start) {
		t.Errorf("the old seat is not free again: %+v", ss)
	}
	if _, err := f.Cancel(ctx, "o-b", 2); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("another's booking: %v", err)
	}
	now = now.Add(4*time.Hour + time.Minute) // 12:01: the 14:00 booking is inside the cut-off
	if _, err := f.Cancel(ctx, "o-a", 2); bot.ErrorCode(err) != bot.CodeConflict {
		t.Errorf("cancel after the cut-off: %v", err)
	}
	if _, err := f.Day(ctx, "o-a", now); bot.ErrorCode(err) != bot.CodeForbidden {
		t.Errorf("Day for a resident: %v", err)
	}
}

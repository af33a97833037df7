package activity

import (
	"testing"
	"time"
)

func TestStatusesAndSeats(t *testing.T) {
	for s, want := range map[SignupStatus]string{Confirmed: "报名成功", Waitlisted: "候补中", Offered: "有名额待确认", Cancelled: "已取消", Attended: "已签到"} {
		if s.Label() != want {
			t.Errorf("%s.Label() = %q, want %q", s, s.Label(), want)
		}
		if s.HoldsSeats() != (s == Confirmed || s == Offered || s == Attended) || s.Active() != (s != Cancelled) {
			t.Errorf("%s: holds %v, active %v", s, s.HoldsSeats(), s.Active())
		}
	}
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a := Activity{Status: ActivityOpen, StartsAt: start, Capacity: 5, SeatsTaken: 5}
	if a.SeatsLeft() != 0 || a.Closes() != start || !a.OpenAt(start.Add(-time.Second)) || a.OpenAt(start) {
		t.Errorf("no deadline: left %d, closes %v", a.SeatsLeft(), a.Closes())
	}
	deadline := start.Add(-24 * time.Hour)
	a.SignupDeadline = &deadline
	if a.Closes() != deadline || a.OpenAt(deadline) {
		t.Errorf("deadline: closes %v", a.Closes())
	}
	a.Status = ActivityCancelled
	if a.OpenAt(deadline.Add(-time.Hour)) || a.Status.Label() != "已取消" {
		t.Error("a cancelled activity is open")
	}
}

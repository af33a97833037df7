package notify

import (
	"testing"
	"time"
)

func TestQuietHoursRelease(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	q := DefaultQuietHours
	for _, tc := range []struct{ due, want string }{
		{"2026-11-26 21:59", "2026-11-26 21:59"},
		{"2026-11-26 22:00", "2026-11-27 07:00"},
		{"2026-11-26 23:30", "2026-11-27 07:00"},
		{"2026-11-27 00:10", "2026-11-27 07:00"},
		{"2026-11-27 06:59", "2026-11-27 07:00"},
		{"2026-11-27 07:00", "2026-11-27 07:00"},
		{"2026-12-31 23:00", "2027-01-01 07:00"},
	} {
		if got := q.Release(at(tc.due)); !got.Equal(at(tc.want)) {
			t.Errorf("Release(%s) = %s, want %s", tc.due, got.In(shanghai).Format("2006-01-02 15:04"), tc.want)
		}
	}
	noon, err := ParseQuietHours("12:00-14:00")
	if err != nil {
		t.Fatal(err)
	}
	if got := noon.Release(at("2026-11-26 13:00")); !got.Equal(at("2026-11-26 14:00")) {
		t.Errorf("midday window: %s", got)
	}
	if got := noon.Release(at("2026-11-26 23:00")); !got.Equal(at("2026-11-26 23:00")) {
		t.Errorf("outside midday window: %s", got)
	}
	off, _ := ParseQuietHours("off")
	if got := off.Release(at("2026-11-26 23:00")); !got.Equal(at("2026-11-26 23:00")) {
		t.Errorf("off: %s", got)
	}
	for _, bad := range []string{"22-07", "25:00-07:00", "22:00", "x"} {
		if _, err := ParseQuietHours(bad); err == nil {
			t.Errorf("ParseQuietHours(%q) accepted", bad)
		}
	}
}

package notify

import (
	"strings"
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
}

func TestParseQuietHours(t *testing.T) {
	hm := func(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }
	for s, want := range map[string]QuietHours{
		"22:00-07:00": DefaultQuietHours, // across midnight
		"07:00-22:00": {Start: hm(7, 0), End: hm(22, 0)},
		"00:00-23:59": {Start: 0, End: hm(23, 59)},
		"23:59-00:00": {Start: hm(23, 59), End: 0},
		"12:30-12:31": {Start: hm(12, 30), End: hm(12, 31)},
		"off":         {},
		"Off":         {},
	} {
		got, err := ParseQuietHours(s)
		if err != nil {
			t.Errorf("ParseQuietHours(%q): %v", s, err)
			continue
		}
		if got != want {
			t.Errorf("ParseQuietHours(%q) = %+v, want %+v", s, got, want)
		}
	}

	for _, bad := range []string{
		"", "on", "x", "22:00", "22-07", "22:00-7:00", "22:00 - 07:00",
		"22:00–07:00", // en dash
		"24:00-07:00", "25:00-07:00", "22:00-07:60", "22:00-07:00-08:00",
		"+2:00-07:00", "10pm-7am", "22:00-22:00",
	} {
		if _, err := ParseQuietHours(bad); err == nil {
			t.Errorf("ParseQuietHours(%q) accepted", bad)
		}
	}

	// An empty window is most likely a mistake for "off"; say so.
	if _, err := ParseQuietHours("06:00-06:00"); err == nil || !strings.Contains(err.Error(), "use off") {
		t.Errorf("ParseQuietHours(06:00-06:00) = %v, want an error suggesting off", err)
	}
}

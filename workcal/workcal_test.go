package workcal

import (
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
)

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, bot.Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestBuiltinCalendar(t *testing.T) {
	c := Builtin()
	for day, want := range map[string]bool{
		"2026-10-01 10:00": false, // 国庆节
		"2026-10-07 10:00": false,
		"2026-10-08 10:00": true,  // Thursday after the holiday
		"2026-10-10 10:00": true,  // Saturday, 国庆节调休
		"2026-10-11 10:00": false, // ordinary Sunday
		"2026-09-20 10:00": true,  // Sunday, 国庆节调休
		"2026-02-14 10:00": true,  // Saturday, 春节调休
		"2026-02-16 10:00": false, // 春节 Monday
		"2026-11-26 10:00": true,  // an ordinary Thursday
		"2026-11-28 10:00": false, // an ordinary Saturday
	} {
		if got := c.IsWorkday(at(t, day)); got != want {
			t.Errorf("IsWorkday(%s) = %v, want %v", day, got, want)
		}
	}
	if name, ok := c.Holiday(at(t, "2026-10-03 08:00")); !ok || name != "国庆节" {
		t.Errorf("Holiday(2026-10-03) = %q, %v", name, ok)
	}
	if !c.Covers(2026) || c.Covers(2027) {
		t.Error("the built-in file covers 2026 only")
	}
}

func TestAddAcrossHolidaysAndMakeUpDays(t *testing.T) {
	c := Builtin() // office hours 9:00-12:00, 14:30-17:30: 6 h a day
	for _, tc := range []struct {
		start string
		d     time.Duration
		want  string
	}{
		// Within one morning.
		{"2026-11-26 09:30", 2 * time.Hour, "2026-11-26 11:30"},
		// Over lunch.
		{"2026-11-26 11:00", 2 * time.Hour, "2026-11-26 15:30"},
		// Filed in the evening: the clock starts next morning.
		{"2026-11-26 20:00", time.Hour, "2026-11-27 10:00"},
		// Ends exactly at closing time, not at the next opening.
		{"2026-11-26 14:30", 3 * time.Hour, "2026-11-26 17:30"},
		// Friday afternoon over an ordinary weekend.
		{"2026-11-27 17:00", time.Hour, "2026-11-30 09:30"},
		// Before 国庆节: Wednesday 30 Sep 17:00 + 1 h skips 1-7 Oct.
		{"2026-09-30 17:00", time.Hour, "2026-10-08 09:30"},
		// The Saturday 调休 (10 Oct) is worked: Friday 9 Oct 17:00 + 1 h.
		{"2026-10-09 17:00", time.Hour, "2026-10-10 09:30"},
		// Friday 18 Sep, 3 working days (18 h): Sun 20 Sep is a 调休
		// working day, 25-27 Sep 中秋 are off.
		{"2026-09-18 09:00", 18 * time.Hour, "2026-09-21 17:30"},
		{"2026-09-24 09:00", 12 * time.Hour, "2026-09-28 17:30"},
		// Filed during 春节: starts after the holiday.
		{"2026-02-18 10:00", 2 * time.Hour, "2026-02-24 11:00"},
	} {
		got := c.Add(at(t, tc.start), tc.d)
		if !got.Equal(at(t, tc.want)) {
			t.Errorf("Add(%s, %s) = %s, want %s", tc.start, tc.d, got.In(bot.Shanghai).Format("2006-01-02 15:04"), tc.want)
		}
		// Between is Add's inverse.
		if back := c.Between(at(t, tc.start), got); back != tc.d {
			t.Errorf("Between(%s, %s) = %s, want %s", tc.start, tc.want, back, tc.d)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for name, text := range map[string]string{
		"unknown word":      "holiday 2026-01-01 2026-01-02 x",
		"reversed range":    "off 2026-01-03 2026-01-01 元旦",
		"bad date":          "off 2026-13-01 2026-13-02 x",
		"weekday make-up":   "work 2026-01-05 x",
		"holiday and work":  "off 2026-01-03 2026-01-04 x\nwork 2026-01-04 y",
		"missing last date": "off 2026-01-03",
	} {
		if _, err := Parse(strings.NewReader(text)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	c, err := Parse(strings.NewReader("# only comments\n\n"))
	if err != nil || !c.IsWorkday(time.Date(2027, 1, 4, 3, 0, 0, 0, time.UTC)) {
		t.Errorf("empty file: %v", err)
	}
	if _, err := Builtin().WithHours([]Span{{10 * time.Hour, 9 * time.Hour}}); err == nil {
		t.Error("reversed office hours accepted")
	}
	eight, err := Builtin().WithHours([]Span{{8 * time.Hour, 12 * time.Hour}, {13 * time.Hour, 17 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	if got := eight.Add(at(t, "2026-11-26 08:00"), 8*time.Hour); !got.Equal(at(t, "2026-11-26 17:00")) {
		t.Errorf("custom hours: %s", got)
	}
}

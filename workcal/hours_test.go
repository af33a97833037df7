package workcal_test

import (
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/workcal"
)

func TestParseHoursAndOpen(t *testing.T) {
	spans, err := workcal.ParseHours("08:30-12:00, 14:30-18:00")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := workcal.Builtin().WithHours(spans)
	if err != nil {
		t.Fatal(err)
	}
	if got := cal.Describe(); got != "工作日 8:30–12:00，14:30–18:00" {
		t.Errorf("Describe = %q", got)
	}
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, bot.Shanghai) }
	for _, tc := range []struct {
		t    time.Time
		open bool
		next time.Time
	}{
		{at(11, 26, 10, 0), true, at(11, 26, 10, 0)},    // Thursday morning
		{at(11, 26, 12, 30), false, at(11, 26, 14, 30)}, // lunch
		{at(11, 26, 23, 23), false, at(11, 27, 8, 30)},  // Thursday night
		{at(11, 27, 18, 0), false, at(11, 30, 8, 30)},   // Friday's close: Monday
		{at(10, 1, 10, 0), false, at(10, 8, 8, 30)},     // National Day: open again on the 8th
	} {
		open, next := cal.Open(tc.t)
		if open != tc.open || (!open && !next.Equal(tc.next)) {
			t.Errorf("Open(%s) = %v, %s; want %v, %s", bot.Stamp(tc.t), open, bot.Stamp(next), tc.open, bot.Stamp(tc.next))
		}
	}
	for _, bad := range []string{"", "9-17", "09:00-08:00", "14:00-18:00,09:00-12:00", "09:00"} {
		if _, err := workcal.ParseHours(bad); err == nil {
			t.Errorf("ParseHours(%q) accepted", bad)
		}
	}
}

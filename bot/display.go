package bot

import "time"

// Shanghai is the community's time zone, in which every time is shown
// (times are stored in UTC). China keeps one offset all year, so a fixed
// zone needs no tzdata on the machine.
var Shanghai = time.FixedZone("Asia/Shanghai", 8*60*60)

// When shows a time to residents and staff: 11月26日 15:30.
func When(t time.Time) string { return t.In(Shanghai).Format("1月2日 15:04") }

// Day shows a date to residents and staff: 11月26日.
func Day(t time.Time) string { return t.In(Shanghai).Format("1月2日") }

// Stamp shows a time where space is short and the year matters (template
// fields, exports): 2026-11-26 15:30.
func Stamp(t time.Time) string { return t.In(Shanghai).Format("2006-01-02 15:04") }

// Weekday names t's day of the week in Shanghai: 周二.
func Weekday(t time.Time) string {
	return "周" + string([]rune("日一二三四五六")[t.In(Shanghai).Weekday()])
}

// DayWeek shows a date with its weekday: 12月1日 周二.
func DayWeek(t time.Time) string { return t.In(Shanghai).Format("1月2日 ") + Weekday(t) }

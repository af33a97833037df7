// Package workcal knows when the community office works: weekends, public
// holidays and make-up working days (调休) from a holiday file, and the
// office hours of a working day. It turns "respond within 4 working hours"
// into a moment in time.
//
// It does not know what a deadline is for; callers (service requests,
// escalations) decide that.
package workcal

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
)

//go:embed cn-holidays.txt
var builtin string

// Span is a stretch of office hours within a day, as offsets from midnight.
type Span struct{ From, To time.Duration }

// DefaultHours are the office hours: 9:00–12:00 and 14:30–17:30.
var DefaultHours = []Span{
	{9 * time.Hour, 12 * time.Hour},
	{14*time.Hour + 30*time.Minute, 17*time.Hour + 30*time.Minute},
}

// Calendar answers working-time questions. Build it with Parse, Load or
// Builtin; it is safe for concurrent use once built.
type Calendar struct {
	// off are public holidays; work are weekend days that are working
	// days (调休). Keys are dates in Shanghai as "2006-01-02".
	off, work map[string]string
	years     map[int]bool
	hours     []Span
}

// Builtin returns the calendar from the holiday file shipped with tongxin
// (the State Council notice for 2026).
func Builtin() *Calendar {
	c, err := Parse(strings.NewReader(builtin))
	if err != nil {
		panic("workcal: built-in holiday file: " + err.Error())
	}
	return c
}

// Load reads a holiday file an operator keeps up to date (for a new year's
// notice); an empty path means the built-in file.
func Load(path string) (*Calendar, error) {
	if path == "" {
		return Builtin(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("workcal: %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("workcal: %s: %w", path, err)
	}
	return c, nil
}

// Parse reads the holiday file format:
//
//	# comment
//	off  2026-10-01 2026-10-07  国庆节   (holidays, inclusive)
//	work 2026-10-10             国庆节调休 (a weekend day that is worked)
func Parse(r io.Reader) (*Calendar, error) {
	c := &Calendar{off: map[string]string{}, work: map[string]string{}, years: map[int]bool{}, hours: DefaultHours}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		bad := func(why string) error { return fmt.Errorf("line %d: %s: %q", n, why, line) }
		switch f[0] {
		case "off":
			if len(f) < 3 {
				return nil, bad("want: off FIRST LAST NAME")
			}
			first, err1 := time.ParseInLocation(time.DateOnly, f[1], bot.Shanghai)
			last, err2 := time.ParseInLocation(time.DateOnly, f[2], bot.Shanghai)
			if err1 != nil || err2 != nil || last.Before(first) || last.Sub(first) > 31*24*time.Hour {
				return nil, bad("bad date range")
			}
			name := strings.Join(f[3:], " ")
			for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
				c.off[d.Format(time.DateOnly)] = name
				c.years[d.Year()] = true
			}
		case "work":
			if len(f) < 2 {
				return nil, bad("want: work DATE NAME")
			}
			d, err := time.ParseInLocation(time.DateOnly, f[1], bot.Shanghai)
			if err != nil {
				return nil, bad("bad date")
			}
			if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
				return nil, bad("a make-up working day must be a Saturday or Sunday")
			}
			c.work[d.Format(time.DateOnly)] = strings.Join(f[2:], " ")
			c.years[d.Year()] = true
		default:
			return nil, bad("lines start with off or work")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for d := range c.work {
		if _, clash := c.off[d]; clash {
			return nil, fmt.Errorf("%s is both a holiday and a working day", d)
		}
	}
	return c, nil
}

// WithHours returns a copy of c with other office hours (sorted, not
// overlapping, within a day).
func (c *Calendar) WithHours(spans []Span) (*Calendar, error) {
	var prev time.Duration
	for _, s := range spans {
		if s.From < prev || s.To <= s.From || s.To > 24*time.Hour {
			return nil, fmt.Errorf("workcal: office hours must be ordered, non-empty and within a day")
		}
		prev = s.To
	}
	if len(spans) == 0 {
		return nil, fmt.Errorf("workcal: no office hours")
	}
	cp := *c
	cp.hours = append([]Span(nil), spans...)
	return &cp, nil
}

// Covers reports whether the holiday file has the year's notice; outside
// it only weekends count as days off.
func (c *Calendar) Covers(year int) bool { return c.years[year] }

// IsWorkday reports whether the day of t (in bot.Shanghai) is a working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	key := t.In(bot.Shanghai).Format(time.DateOnly)
	if _, ok := c.work[key]; ok {
		return true
	}
	if _, ok := c.off[key]; ok {
		return false
	}
	wd := t.In(bot.Shanghai).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Holiday returns the holiday's name when t falls on one.
func (c *Calendar) Holiday(t time.Time) (string, bool) {
	name, ok := c.off[t.In(bot.Shanghai).Format(time.DateOnly)]
	return name, ok
}

// Add returns the moment when d of working time has passed after start.
// Time outside office hours does not count; a deadline ends inside office
// hours (at the close of a span rather than the opening of the next).
func (c *Calendar) Add(start time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return start
	}
	local := start.In(bot.Shanghai)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, bot.Shanghai)
	for i := 0; i < 3660; i++ { // ten years of days: a bound, never reached in practice
		if c.IsWorkday(day) {
			for _, s := range c.hours {
				from, to := day.Add(s.From), day.Add(s.To)
				if local.After(from) {
					from = local
				}
				if !to.After(from) {
					continue
				}
				if avail := to.Sub(from); d <= avail {
					return from.Add(d).UTC()
				} else {
					d -= avail
				}
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return start.Add(d)
}

// Between returns the working time from a to b (zero if b is not after a).
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	var total time.Duration
	la := a.In(bot.Shanghai)
	day := time.Date(la.Year(), la.Month(), la.Day(), 0, 0, 0, 0, bot.Shanghai)
	for !day.After(b) {
		if c.IsWorkday(day) {
			for _, s := range c.hours {
				from, to := day.Add(s.From), day.Add(s.To)
				if a.After(from) {
					from = a
				}
				if b.Before(to) {
					to = b
				}
				if to.After(from) {
					total += to.Sub(from)
				}
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return total
}

// ParseHours reads office hours as "HH:MM-HH:MM,HH:MM-HH:MM" (ordered,
// not overlapping, within a day), as TONGXIN_OFFICE_HOURS gives them.
func ParseHours(s string) ([]Span, error) {
	const want = "want office hours such as 09:00-12:00,14:30-17:30, got %q"
	var spans []Span
	for part := range strings.SplitSeq(s, ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			return nil, fmt.Errorf(want, s)
		}
		f, err1 := clock(from)
		t, err2 := clock(to)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf(want, s)
		}
		spans = append(spans, Span{f, t})
	}
	if _, err := Builtin().WithHours(spans); err != nil {
		return nil, fmt.Errorf(want+": %v", s, err)
	}
	return spans, nil
}

func clock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		if strings.TrimSpace(s) == "24:00" {
			return 24 * time.Hour, nil
		}
		return 0, err
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Open reports whether t falls within office hours on a working day and,
// when it does not, when they next begin.
func (c *Calendar) Open(t time.Time) (bool, time.Time) {
	// The first moment of working time after t: t itself when open.
	next := c.Add(t, time.Nanosecond).Add(-time.Nanosecond)
	if !next.After(t) {
		return true, t
	}
	return false, next
}

// Describe shows the office hours as residents read them:
// "工作日 9:00–12:00，14:30–17:30".
func (c *Calendar) Describe() string {
	var parts []string
	for _, s := range c.hours {
		parts = append(parts, showClock(s.From)+"–"+showClock(s.To))
	}
	return "工作日 " + strings.Join(parts, "，")
}

func showClock(d time.Duration) string {
	return fmt.Sprintf("%d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

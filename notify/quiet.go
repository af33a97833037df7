package notify

import (
	"fmt"
	"strings"
	"time"
)

// China keeps one offset all year, so a fixed zone is exact and needs no
// zoneinfo files on the machine.
var shanghai = time.FixedZone("Asia/Shanghai", 8*60*60)

// QuietHours is the nightly window in which non-urgent resident
// notifications wait, in Asia/Shanghai time. Start == End means none.
type QuietHours struct {
	Start, End time.Duration // since local midnight
}

// DefaultQuietHours is 22:00 to 07:00.
var DefaultQuietHours = QuietHours{Start: 22 * time.Hour, End: 7 * time.Hour}

// ParseQuietHours reads TONGXIN_QUIET_HOURS: "off" (in any case) for no
// quiet hours, or "HH:MM-HH:MM" with two-digit 24-hour times, a start after
// the end spanning midnight. Start and end must differ: an empty window is
// most likely meant as "off", and the error says so.
//
// It is the one parser of quiet hours: the start-up configuration check
// calls it as the outbox's wiring does, so what is accepted there works
// here. Errors say what is wanted, not where the value came from; callers
// name that.
func ParseQuietHours(s string) (QuietHours, error) {
	if strings.EqualFold(s, "off") {
		return QuietHours{}, nil
	}
	start, end, ok := strings.Cut(s, "-")
	if !ok {
		return QuietHours{}, fmt.Errorf("want off or HH:MM-HH:MM such as 22:00-07:00, got %q", s)
	}
	a, okA := clock(start)
	b, okB := clock(end)
	if !okA || !okB {
		return QuietHours{}, fmt.Errorf("want off or HH:MM-HH:MM such as 22:00-07:00 (24-hour, 00:00 to 23:59), got %q", s)
	}
	if a == b {
		return QuietHours{}, fmt.Errorf("start and end are both %s, which leaves no window; use off for no quiet hours", start)
	}
	return QuietHours{Start: a, End: b}, nil
}

// clock reads a 24-hour "HH:MM", two digits each, as the time since
// midnight. Sscanf would also take "7:00", "+7:00" or " 7:00", which an
// operator is more likely to have mistyped than meant.
func clock(s string) (time.Duration, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for i, r := range s {
		if i != 2 && (r < '0' || r > '9') {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

// Release returns when a notification due at t may go out: t itself, or
// the end of the quiet window t falls in.
func (q QuietHours) Release(t time.Time) time.Time {
	if q.Start == q.End {
		return t
	}
	local := t.In(shanghai)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, shanghai)
	since := local.Sub(midnight)
	var inside bool
	var end time.Time
	if q.Start < q.End { // e.g. 13:00-14:00
		inside = since >= q.Start && since < q.End
		end = midnight.Add(q.End)
	} else { // wraps midnight, e.g. 22:00-07:00
		switch {
		case since >= q.Start:
			inside, end = true, midnight.AddDate(0, 0, 1).Add(q.End)
		case since < q.End:
			inside, end = true, midnight.Add(q.End)
		}
	}
	if !inside {
		return t
	}
	return end.UTC()
}

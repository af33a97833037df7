package notify

import (
	"fmt"
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

// ParseQuietHours reads "22:00-07:00"; "" or "off" means no quiet hours.
func ParseQuietHours(s string) (QuietHours, error) {
	if s == "" || s == "off" {
		return QuietHours{}, nil
	}
	var h1, m1, h2, m2 int
	if _, err := fmt.Sscanf(s, "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil || h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59 || h1 < 0 || h2 < 0 || m1 < 0 || m2 < 0 {
		return QuietHours{}, fmt.Errorf("quiet hours %q: want HH:MM-HH:MM", s)
	}
	return QuietHours{Start: time.Duration(h1)*time.Hour + time.Duration(m1)*time.Minute, End: time.Duration(h2)*time.Hour + time.Duration(m2)*time.Minute}, nil
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

package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Activities tunes event sign-ups (TONGXIN_ACTIVITY_*).
type Activities struct {
	// Reminders are how long before an activity starts each confirmed
	// resident is reminded, largest first (TONGXIN_ACTIVITY_REMINDERS,
	// "24h,2h"; "off": none, an empty non-nil slice).
	Reminders []time.Duration
	// Hold is how long freed seats offered from the waiting list wait for
	// the resident's answer (TONGXIN_ACTIVITY_HOLD).
	Hold time.Duration
}

// activitySettings are the TONGXIN_ACTIVITY_* variables.
var activitySettings = []setting{
	{name: "TONGXIN_ACTIVITY_REMINDERS",
		set: func(c *Config, v string) error { return parseReminders(&c.Activities.Reminders, v) },
		get: func(c Config) string { return formatReminders(c.Activities.Reminders) }},
	{name: "TONGXIN_ACTIVITY_HOLD",
		set:   func(c *Config, v string) error { return parseDuration(&c.Activities.Hold, v) },
		get:   func(c Config) string { return c.Activities.Hold.String() },
		check: func(c Config) error { return positive(c.Activities.Hold) }},
}

// maxReminder bounds a reminder offset: a month ahead is no reminder.
const maxReminder = 31 * day

// parseReminders reads "off" or comma-separated positive durations up to
// 31 days ("24h,2h", "48h, 3h30m"), distinct, and keeps them largest
// first. Each is whole minutes: a reminder's notice key and group name
// its offset in minutes, so "90s,60s" would be one reminder, not two.
func parseReminders(dst *[]time.Duration, v string) error {
	const want = "want off or durations such as 24h,2h (each whole minutes, above 0 and at most 744h, distinct), got %q"
	if strings.EqualFold(strings.TrimSpace(v), "off") {
		*dst = []time.Duration{}
		return nil
	}
	var out []time.Duration
	for part := range strings.SplitSeq(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 || d > maxReminder || d%time.Minute != 0 || slices.Contains(out, d) {
			return fmt.Errorf(want, v)
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b time.Duration) int { return int(b - a) })
	*dst = out
	return nil
}

// formatReminders shows offsets as parseReminders reads them.
func formatReminders(ds []time.Duration) string {
	if len(ds) == 0 {
		return "off"
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

package jobs_test

import (
	"testing"
	"time"

	"github.com/tongxin/tongxin/jobs"
)

// TestSuperseded: a reminder that comes after a nearer one fell due is
// moot; on time, or with no nearer one, it is not.
func TestSuperseded(t *testing.T) {
	start := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	offsets := []time.Duration{24 * time.Hour, time.Hour}
	for _, c := range []struct {
		offset time.Duration
		now    time.Time
		want   bool
	}{
		{24 * time.Hour, start.Add(-24 * time.Hour), false},  // on time
		{24 * time.Hour, start.Add(-2 * time.Hour), false},   // late, the 1 h one not yet due
		{24 * time.Hour, start.Add(-time.Hour), true},        // the 1 h one is due: it says it
		{time.Hour, start.Add(-30 * time.Minute), false},     // nothing nearer
		{24 * time.Hour, start.Add(-59 * time.Minute), true}, // later still
	} {
		if got := jobs.Superseded(offsets, c.offset, start, c.now); got != c.want {
			t.Errorf("Superseded(%v at %v before) = %v, want %v", c.offset, start.Sub(c.now), got, c.want)
		}
	}
}

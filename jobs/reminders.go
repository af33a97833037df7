package jobs

import (
	"context"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/tongxin/tongxin/storage"
)

// Reminders are what every domain that reminds people of a start (an
// event, a clinic booking) shares: the offsets before the start at which
// a reminder falls due, one River job each, unique by its arguments
// (record, offset, start), so planning twice queues each once and a
// moved start plans new ones.

// PlanReminders queues in tx, on r, the job args(offset) for each offset
// whose due time (start - offset) is still after now; a booking made five
// hours ahead gets the one-hour reminder only.
func PlanReminders(ctx context.Context, r *Runner, tx *storage.Tx, offsets []time.Duration, start, now time.Time, args func(offset time.Duration) river.JobArgs) error {
	for _, off := range offsets {
		due := start.Add(-off)
		if !due.After(now) {
			continue
		}
		opts := &river.InsertOpts{ScheduledAt: due, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
		if err := r.InsertTx(ctx, tx, args(off), opts); err != nil {
			return err
		}
	}
	return nil
}

// Superseded reports whether the reminder at offset before start comes
// so late at now (the instances were down) that one of offsets nearer the
// start is due already: that one says it, and this one is moot.
func Superseded(offsets []time.Duration, offset time.Duration, start, now time.Time) bool {
	return slices.ContainsFunc(offsets, func(o time.Duration) bool {
		return o < offset && !now.Before(start.Add(-o))
	})
}

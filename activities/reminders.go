package activities

import (
	"context"

	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/storage"
)

// planReminders schedules, in tx, the reminders of signups (those holding
// seats) for a's current start. Callers call it whenever sign-ups come to
// hold seats and whenever the activity's start moves.
//
// Placeholder seam for the reminder work of issue 10 (branch i10-remind),
// which replaces this file; it must not land empty.
func (s *Service) planReminders(ctx context.Context, tx *storage.Tx, a activity.Activity, signups []activity.Signup) error {
	_, _, _, _ = ctx, tx, a, signups
	return nil
}

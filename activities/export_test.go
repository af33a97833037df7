package activities

import (
	"context"
	"time"

	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/storage"
)

// ReminderArgs is a reminder job's arguments, for tests that read the
// queue and run a job's work by hand (as a rescued job runs it again).
type ReminderArgs = reminderArgs

// Remind runs the work of a reminder job.
func (s *Service) Remind(ctx context.Context, args ReminderArgs) (bool, error) {
	return s.remind(ctx, args)
}

// PlanReminders plans the reminders of signups for a, as a change that
// moves a or confirms them does.
func (s *Service) PlanReminders(ctx context.Context, a activity.Activity, signups []activity.Signup) error {
	return s.store.Transact(ctx, func(tx *storage.Tx) error { return s.planReminders(ctx, tx, a, signups) })
}

// NewReminderArgs builds the arguments of the reminder offset before
// start of sign-up id.
func NewReminderArgs(id int64, offset time.Duration, start time.Time) ReminderArgs {
	return reminderArgs{SignupID: id, Offset: offset, Start: start.Unix()}
}

package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/storage"
)

// Reminders. Each confirmed sign-up gets one River job per offset
// (Config.Reminders), queued in the transaction that confirmed it and due
// at the start minus the offset. The job carries the start it was planned
// for: when it runs it reminds only if the activity still starts then, is
// not cancelled, and the sign-up is still confirmed; otherwise it does
// nothing (a move queues new jobs for the new start). Sending once is
// structural, not a matter of luck: the jobs are unique by their
// arguments, so planning twice queues one, and the notice's key names the
// sign-up, the offset and the start, so a job that runs twice (its
// instance died after queueing the notice and River rescued it) queues
// nothing the second time.

// kindReminder is the notice kind of reminders (map a template to it).
const kindReminder = "activity_reminder"

// DefaultReminders are the reminder offsets before the start: the day
// before and two hours before.
var DefaultReminders = []time.Duration{24 * time.Hour, 2 * time.Hour}

// reminderArgs is the job of one reminder.
type reminderArgs struct {
	SignupID int64 `json:"signup_id"`
	// Offset is how long before the start the reminder is due.
	Offset time.Duration `json:"offset"`
	// Start is the start (Unix seconds) the reminder was planned for.
	Start int64 `json:"start"`
}

// Kind names the job for River.
func (reminderArgs) Kind() string { return "activities.reminder" }

// reminderWorker works reminder jobs.
type reminderWorker struct {
	river.WorkerDefaults[reminderArgs]
	s *Service
}

// Work reminds, or finds the reminder moot.
func (w *reminderWorker) Work(ctx context.Context, job *river.Job[reminderArgs]) error {
	_, err := w.s.remind(ctx, job.Args)
	return err
}

// AddWorkers registers the reminder worker on Config.Jobs, before it
// starts. Every instance that runs jobs registers it.
func (s *Service) AddWorkers() error {
	if s.cfg.Jobs == nil {
		return errors.New("activities.AddWorkers: no job runner configured")
	}
	return jobs.AddWorker(s.cfg.Jobs, &reminderWorker{s: s})
}

// reminderGroup is the group (bot.Notice.Replaces) of sign-up id's
// reminder offset before start: one reminder each, which a move or a
// cancellation drops while quiet hours still hold it (startGroup). Each
// offset has a group of its own, so that reminders due together (after
// an outage) do not drop each other; a late one that a nearer one makes
// stale is not queued at all (jobs.Superseded).
func reminderGroup(id int64, start time.Time, offset time.Duration) string {
	return fmt.Sprintf("%s:%dm", startGroup(id, start), int64(offset/time.Minute))
}

// startGroup is the prefix of the groups of sign-up id's reminders for
// start.
func startGroup(id int64, start time.Time) string {
	return fmt.Sprintf("%s:%d:%d", kindReminder, id, start.Unix())
}

// planReminders schedules, in tx, the reminders of signups (those holding
// seats) for a's current start. Callers call it whenever sign-ups come to
// hold seats and whenever the activity's start moves or it is cancelled:
// reminders for another start, or of a sign-up that is no longer
// confirmed, still held by quiet hours are dropped, and new ones are
// planned for each offset not already past.
func (s *Service) planReminders(ctx context.Context, tx *storage.Tx, a activity.Activity, signups []activity.Signup) error {
	now := s.now()
	for _, su := range signups {
		live := a.Status == activity.ActivityOpen && su.Status == activity.Confirmed
		keep := ""
		if live {
			keep = startGroup(su.ID, a.StartsAt) + ":%"
		}
		if _, err := tx.DropStaleReminders(ctx, su.OpenID, su.ID, keep, "withdrawn: replanned"); err != nil {
			return err
		}
		if !live || su.OpenID == "" || s.cfg.Jobs == nil {
			continue
		}
		err := jobs.PlanReminders(ctx, s.cfg.Jobs, tx, s.cfg.Reminders, a.StartsAt, now, func(off time.Duration) river.JobArgs {
			return reminderArgs{SignupID: su.ID, Offset: off, Start: a.StartsAt.Unix()}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// remind queues the reminder of args if it still holds, and reports
// whether it queued one (a repeat queues nothing new, but reports true).
func (s *Service) remind(ctx context.Context, args reminderArgs) (bool, error) {
	sent := false
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		now := s.now()
		su, err := tx.Signup(ctx, args.SignupID)
		if errors.Is(err, bot.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		a, err := tx.Activity(ctx, su.ActivityID)
		if err != nil {
			return err
		}
		start := a.StartsAt
		switch {
		case su.Status != activity.Confirmed, su.OpenID == "", a.Status != activity.ActivityOpen,
			start.Unix() != args.Start, !now.Before(start):
			return nil // cancelled, moved, erased, or over: nothing to remind of
		case jobs.Superseded(s.cfg.Reminders, args.Offset, start, now):
			return nil // late (instances were down): the nearer reminder says it
		case !s.cfg.Quiet.Release(now).Before(start):
			return nil // quiet hours would hold it until the start
		}
		if s.outbox == nil {
			return nil
		}
		n := bot.Notice{
			Kind: kindReminder, To: su.OpenID, About: su.OpenID, URL: signupsPage,
			Text:     reminderText(a, su),
			Fields:   reminderFields(a, su),
			Key:      fmt.Sprintf("%s:%d:%dm:%d", kindReminder, su.ID, int64(args.Offset/time.Minute), args.Start),
			Replaces: reminderGroup(su.ID, start, args.Offset),
		}
		if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
			return fmt.Errorf("queueing %s: %w", kindReminder, err)
		}
		sent = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("activities.remind(%d, %v): %w", args.SignupID, args.Offset, err)
	}
	return sent, nil
}

// reminderText is the reminder as the resident reads it.
func reminderText(a activity.Activity, su activity.Signup) string {
	text := fmt.Sprintf("活动提醒：「%s」\n时间：%s", a.Title, when(a.StartsAt))
	if a.Location != "" {
		text += "\n地点：" + a.Location
	}
	return text + fmt.Sprintf("\n人数：%d 人\n签到码:%s\n不能来请回复「取消报名」", su.PartySize, su.CheckinCode)
}

// reminderFields are the reminder's template fields: each one line of at
// most 20 characters (the outbox cuts longer titles with "…").
func reminderFields(a activity.Activity, su activity.Signup) map[string]string {
	return map[string]string{
		"title": a.Title,
		"time":  a.StartsAt.In(bot.Shanghai).Format("2006-01-02 15:04"),
		"place": a.Location,
		"party": fmt.Sprintf("%d 人", su.PartySize),
		"code":  su.CheckinCode,
		"note":  "不能来请回复 取消报名",
	}
}

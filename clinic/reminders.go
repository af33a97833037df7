package clinic

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/storage"
)

// Reminders, as the sign-ups' (activities/reminders.go): each booking
// gets one River job per offset (Config.Reminders: the day before and one
// hour before), queued in the transaction that booked it and due at the
// start minus the offset. The job carries the start it was planned for:
// when it runs it reminds only if the booking is still booked for that
// start; otherwise it does nothing (a move is a new booking, with its own
// jobs). The jobs are unique by their arguments and the notice's key
// names the booking, the offset and the start, so planning twice queues
// one job and a job run twice queues one notice. The 48-hour window is
// the outbox's: the reminder goes as text while the resident wrote in
// the last 48 hours, else as the template mapped to clinic_reminder, else
// not at all.

// reminderArgs is the job of one reminder.
type reminderArgs struct {
	BookingID int64 `json:"booking_id"`
	// Offset is how long before the start the reminder is due.
	Offset time.Duration `json:"offset"`
	// Start is the start (Unix seconds) the reminder was planned for.
	Start int64 `json:"start"`
}

// Kind names the job for River.
func (reminderArgs) Kind() string { return "clinic.reminder" }

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
		return errors.New("clinic.AddWorkers: no job runner configured")
	}
	return jobs.AddWorker(s.cfg.Jobs, &reminderWorker{s: s})
}

// reminderGroup is the group (bot.Notice.Replaces) of booking id's
// reminder offset before its start: onCancelled withdraws it while quiet
// hours still hold it. Each offset has a group of its own, so reminders
// due together (after an outage) do not drop each other.
func reminderGroup(id int64, offset time.Duration) string {
	return fmt.Sprintf("%s:%d:%dm", kindReminder, id, int64(offset/time.Minute))
}

// planReminders queues, in tx, a reminder job per offset not already past
// for booking b.
func (s *Service) planReminders(ctx context.Context, tx *storage.Tx, b cl.Booking) error {
	if s.cfg.Jobs == nil || b.OpenID == "" || b.Status != cl.Booked {
		return nil
	}
	return jobs.PlanReminders(ctx, s.cfg.Jobs, tx, s.cfg.Reminders, b.Start, s.now(), func(off time.Duration) river.JobArgs {
		return reminderArgs{BookingID: b.ID, Offset: off, Start: b.Start.Unix()}
	})
}

// remind queues the reminder of args if it still holds, and reports
// whether it did (a repeat queues nothing new, but reports true).
func (s *Service) remind(ctx context.Context, args reminderArgs) (bool, error) {
	sent := false
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		now := s.now()
		b, err := tx.ClinicBooking(ctx, args.BookingID)
		if errors.Is(err, bot.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		release := s.cfg.Quiet.Release(now)
		switch {
		case b.Status != cl.Booked, b.OpenID == "", b.Start.Unix() != args.Start, !now.Before(b.Start):
			return nil // cancelled, moved, erased, or over
		case jobs.Superseded(s.cfg.Reminders, args.Offset, b.Start, now):
			return nil // late (instances were down): the nearer reminder says it
		case !release.Before(b.Start):
			return nil // quiet hours would hold it until the start
		}
		if s.outbox == nil {
			return nil
		}
		n := bot.Notice{
			Kind: kindReminder, To: b.OpenID, About: b.OpenID, URL: bookingsPage,
			Text:     reminderText(b, release),
			Fields:   reminderFields(b),
			Key:      fmt.Sprintf("%s:%d:%dm:%d", kindReminder, b.ID, int64(args.Offset/time.Minute), args.Start),
			Replaces: reminderGroup(b.ID, args.Offset),
		}
		if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
			return fmt.Errorf("queueing %s: %w", kindReminder, err)
		}
		sent = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("clinic.remind(%d, %v): %w", args.BookingID, args.Offset, err)
	}
	return sent, nil
}

// dayWord names start's day as seen at sent: 今天, 明天, 后天, or the
// date with its weekday.
func dayWord(start, sent time.Time) string {
	s, t := start.In(bot.Shanghai), sent.In(bot.Shanghai)
	ds := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, time.UTC)
	dt := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch int(ds.Sub(dt).Hours() / 24) {
	case 0:
		return "今天"
	case 1:
		return "明天"
	case 2:
		return "后天"
	}
	return dayLabel(s)
}

// reminderText is the reminder as the resident reads it when it goes
// out at sent: "明天 09:00 法律诊所预约…预约码…". No description: a
// reminder may be read over a shoulder.
func reminderText(b cl.Booking, sent time.Time) string {
	text := fmt.Sprintf("%s %s 法律诊所预约（%s）", dayWord(b.Start, sent), b.Start.In(bot.Shanghai).Format("15:04"), b.Matter.Label())
	if b.Location != "" {
		text += "\n地点：" + b.Location
	}
	return text + fmt.Sprintf("\n预约码:%s\n请按时到场；不能来请回复「取消预约」", b.Code)
}

// reminderFields are the reminder's template fields, one line of at most
// 20 characters each.
func reminderFields(b cl.Booking) map[string]string {
	return map[string]string{
		"title": "法律诊所预约 " + b.Matter.Label(),
		"time":  fieldTime(b.Start),
		"place": b.Location,
		"code":  b.Code,
		"note":  "不能来请回复 取消预约",
	}
}

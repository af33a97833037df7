package activities_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newReminderRig is newRig with reminders: a job runner that only
// queues (the test runs a job's work with Remind) and quiet hours in
// both the outbox and the service.
func newReminderRig(t *testing.T, s *storage.Store, quiet notify.QuietHours) *rig {
	t.Helper()
	r := &rig{t: t, store: s, clock: bottest.NewClock(t0)}
	box := notifytest.Queue(t, s, notify.Config{Now: r.clock.Now, Quiet: quiet})
	runner, err := jobs.New(s, jobs.Config{}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	r.svc = activities.New(s, box, activities.Config{Now: r.clock.Now, Jobs: runner, Quiet: quiet})
	if err := r.svc.AddWorkers(); err != nil {
		t.Fatal(err)
	}
	return r
}

// planned returns the reminder jobs waiting in the queue.
func (r *rig) planned() []activities.ReminderArgs {
	r.t.Helper()
	var raw []string
	query := `SELECT json(args) FROM river_job WHERE kind = 'activities.reminder' AND state IN ('scheduled', 'available') ORDER BY id`
	if r.store.Engine() == storage.EnginePostgres {
		query = strings.Replace(query, "json(args)", "args::text", 1)
	}
	if err := r.store.DB().Select(&raw, query); err != nil {
		r.t.Fatal(err)
	}
	out := make([]activities.ReminderArgs, len(raw))
	for i, s := range raw {
		if err := json.Unmarshal([]byte(s), &out[i]); err != nil {
			r.t.Fatal(err)
		}
	}
	return out
}

func (r *rig) remind(args activities.ReminderArgs) bool {
	r.t.Helper()
	sent, err := r.svc.Remind(context.Background(), args)
	if err != nil {
		r.t.Fatal(err)
	}
	return sent
}

// TestRemindersPlanned checks what signing up, the waiting list and an
// accepted offer plan: one job per offset not yet past, for confirmed
// sign-ups only, and planning again queues nothing more.
func TestRemindersPlanned(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newReminderRig(t, s, notify.QuietHours{})
		later := r.create(1, 1, 48*time.Hour)
		soon := r.create(5, 1, 5*time.Hour)
		first := r.signUp(draft(later, "o-a", 1)).Signup
		if w := r.signUp(draft(later, "o-b", 1)).Signup; w.Status != activity.Waitlisted {
			t.Fatalf("second: %+v", w)
		}
		near := r.signUp(draft(soon, "o-c", 1)).Signup
		want := []activities.ReminderArgs{
			activities.NewReminderArgs(first.ID, 24*time.Hour, later.StartsAt),
			activities.NewReminderArgs(first.ID, 2*time.Hour, later.StartsAt),
			// Five hours before: the day-before reminder is past.
			activities.NewReminderArgs(near.ID, 2*time.Hour, soon.StartsAt),
		}
		if got := r.planned(); !slices.Equal(got, want) {
			t.Fatalf("planned %+v, want %+v", got, want)
		}
		if err := r.svc.PlanReminders(ctx, later, []activity.Signup{first}); err != nil {
			t.Fatal(err)
		}
		if got := r.planned(); len(got) != len(want) {
			t.Errorf("planning again: %d jobs, want %d (unique by arguments)", len(got), len(want))
		}

		// The first cancels: the waiting list is offered the seat, and
		// only accepting it plans the reminders.
		if _, err := r.svc.Cancel(ctx, "o-a", first.ID); err != nil {
			t.Fatal(err)
		}
		offered, err := r.svc.Mine(ctx, "o-b")
		if err != nil || len(offered) != 1 || offered[0].Signup.Status != activity.Offered {
			t.Fatalf("o-b after the cancellation: %+v, %v", offered, err)
		}
		if got := r.planned(); len(got) != len(want) {
			t.Errorf("an offer planned reminders: %+v", got)
		}
		r.clock.Advance(time.Hour)
		su, err := r.svc.Accept(ctx, "o-b", offered[0].Signup.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := r.planned()
		if !slices.Contains(got, activities.NewReminderArgs(su.ID, 24*time.Hour, later.StartsAt)) ||
			!slices.Contains(got, activities.NewReminderArgs(su.ID, 2*time.Hour, later.StartsAt)) {
			t.Errorf("accepting planned %+v", got)
		}
	})
}

// TestReminderOnce runs a reminder's work twice (a job rescued after its
// instance died) and checks the one notice: its text, its template
// fields within WeChat's rules; then the cases where it has nothing to
// say.
func TestReminderOnce(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newReminderRig(t, s, notify.QuietHours{})
		a := r.create(10, 3, 48*time.Hour)
		su := r.signUp(draft(a, "o-a", 2)).Signup
		gone := r.signUp(draft(a, "o-b", 1)).Signup
		r.clock.Set(a.StartsAt.Add(-24 * time.Hour))
		args := activities.NewReminderArgs(su.ID, 24*time.Hour, a.StartsAt)
		first := r.remind(args)
		second := r.remind(args) // as a rescued job runs it again
		if !first || !second {
			t.Fatal("the reminder was not sent")
		}
		got := r.notices("o-a")
		if len(got) != 1 || got[0].Kind != "activity_reminder" {
			t.Fatalf("notices %+v, want one reminder", got)
		}
		for _, want := range []string{"「邻里荟」", "11-28 周六 10:00", "社区活动室", "2 人", "签到码:" + su.CheckinCode, "回复「取消报名」"} {
			if !strings.Contains(got[0].Text, want) {
				t.Errorf("reminder %q lacks %q", got[0].Text, want)
			}
		}
		fields := r.fields("o-a")
		if len(fields) < 5 {
			t.Errorf("fields %v", fields)
		}
		for k, v := range fields {
			if utf8.RuneCountInString(v) > notify.MaxFieldRunes || strings.ContainsAny(v, "\r\n") || v != notify.FieldValue(v) {
				t.Errorf("field %s = %q breaks WeChat's template rules", k, v)
			}
		}

		// Cancelled, planned for another start, erased, or started: nothing.
		if _, err := r.svc.Cancel(ctx, "o-b", gone.ID); err != nil {
			t.Fatal(err)
		}
		if r.remind(activities.NewReminderArgs(gone.ID, 24*time.Hour, a.StartsAt)) {
			t.Error("a cancelled sign-up was reminded")
		}
		if r.remind(activities.NewReminderArgs(su.ID, 2*time.Hour, a.StartsAt.Add(time.Hour))) {
			t.Error("a reminder planned for another start was sent")
		}
		r.clock.Set(a.StartsAt)
		if r.remind(activities.NewReminderArgs(su.ID, 2*time.Hour, a.StartsAt)) {
			t.Error("a reminder went once the activity started")
		}
		if n := len(r.notices("o-a")); n != 1 {
			t.Errorf("%d notices to o-a, want the one reminder", n)
		}
	})
}

// TestReminderLate: a day-before reminder whose job runs when the
// two-hour one is due too (instances were down) leaves it to that one.
func TestReminderLate(t *testing.T) {
	r := newReminderRig(t, storagetest.Open(t), notify.QuietHours{})
	a := r.create(10, 1, 48*time.Hour)
	su := r.signUp(draft(a, "o-a", 1)).Signup
	r.clock.Set(a.StartsAt.Add(-90 * time.Minute))
	if r.remind(activities.NewReminderArgs(su.ID, 24*time.Hour, a.StartsAt)) {
		t.Error("the stale day-before reminder went")
	}
	if !r.remind(activities.NewReminderArgs(su.ID, 2*time.Hour, a.StartsAt)) {
		t.Error("the two-hour reminder did not go")
	}
}

// TestReminderQuietHours: the two-hour reminder of an 08:00 activity is
// due at 06:00, inside the default quiet hours: it waits until 07:00, an
// hour before the start. Where quiet hours last until 08:00 it would
// come after the start, so it is not sent (the day-before one was).
func TestReminderQuietHours(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for _, c := range []struct {
			quiet string
			sent  bool
		}{{"22:00-07:00", true}, {"22:00-08:00", false}} {
			quiet, err := notify.ParseQuietHours(c.quiet)
			if err != nil {
				t.Fatal(err)
			}
			r := newReminderRig(t, s, quiet)
			// Friday 08:00, the day after t0.
			eight := time.Date(2026, 11, 27, 8, 0, 0, 0, bot.Shanghai)
			a := r.create(10, 1, eight.Sub(t0))
			openid := "o-" + c.quiet
			su := r.signUp(draft(a, openid, 1)).Signup
			r.clock.Set(eight.Add(-2 * time.Hour))
			if got := r.remind(activities.NewReminderArgs(su.ID, 2*time.Hour, a.StartsAt)); got != c.sent {
				t.Fatalf("quiet %s: sent %v, want %v", c.quiet, got, c.sent)
			}
			if !c.sent {
				continue
			}
			all, err := s.ListNotifications(ctx, "", 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(all, func(n storage.Notification) bool { return n.Recipient == openid })
			if i < 0 || !all[i].NotBefore.Equal(eight.Add(-time.Hour)) {
				t.Errorf("quiet %s: reminder %+v, want it due at 07:00", c.quiet, all[i])
			}
		}
	})
}

// fields returns the template fields of the last notice to openid.
func (r *rig) fields(openid string) map[string]string {
	r.t.Helper()
	all, err := r.store.ListNotifications(context.Background(), "", 10000, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, n := range all {
		if n.Recipient == openid {
			var p struct{ Fields map[string]string }
			if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
				r.t.Fatal(err)
			}
			return p.Fields
		}
	}
	return nil
}

// TestRemindersReplanned: a reminder held by quiet hours is dropped when
// the sign-up is cancelled or the activity moves (the move plans the new
// start's), and one of a cancelled activity goes nowhere.
func TestRemindersReplanned(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newReminderRig(t, s, notify.DefaultQuietHours)
		// Saturday 07:30: the two-hour reminder is due at 05:30 and held
		// until 07:00.
		early := time.Date(2026, 11, 28, 7, 30, 0, 0, bot.Shanghai)
		a := r.create(10, 1, early.Sub(t0))
		stays := r.signUp(draft(a, "o-a", 1)).Signup
		leaves := r.signUp(draft(a, "o-b", 1)).Signup
		r.clock.Set(early.Add(-2 * time.Hour))
		for _, su := range []activity.Signup{stays, leaves} {
			if !r.remind(activities.NewReminderArgs(su.ID, 2*time.Hour, a.StartsAt)) {
				t.Fatalf("sign-up %d was not reminded", su.ID)
			}
		}
		if _, err := r.svc.Cancel(ctx, "o-b", leaves.ID); err != nil {
			t.Fatal(err)
		}
		if got := r.notices("o-b"); len(got) != 1 || got[0].Status != storage.NotificationDropped {
			t.Errorf("the held reminder of a cancelled sign-up: %+v, want dropped", got)
		}

		// Staff move it to 10:00 (the admin API's change, then its call).
		moved := early.Add(150 * time.Minute)
		if _, err := s.DB().Exec(s.DB().Rebind(`UPDATE activities SET starts_at = ?, ends_at = ? WHERE id = ?`),
			moved.UTC(), moved.Add(2*time.Hour).UTC(), a.ID); err != nil {
			t.Fatal(err)
		}
		a, err := r.svc.Activity(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		stays.Status = activity.Confirmed
		if err := r.svc.PlanReminders(ctx, a, []activity.Signup{stays}); err != nil {
			t.Fatal(err)
		}
		if got := r.notices("o-a"); len(got) != 1 || got[0].Status != storage.NotificationDropped {
			t.Errorf("the held reminder of the old start: %+v, want dropped", got)
		}
		if got := r.planned(); !slices.Contains(got, activities.NewReminderArgs(stays.ID, 2*time.Hour, moved)) {
			t.Errorf("moving planned %+v, want the two-hour reminder of the new start", got)
		}
		if r.remind(activities.NewReminderArgs(stays.ID, 2*time.Hour, early)) {
			t.Error("the job of the old start reminded")
		}

		// Cancelled: the reminder of the new start finds nothing to say.
		if _, err := s.DB().Exec(s.DB().Rebind(`UPDATE activities SET status = 'cancelled' WHERE id = ?`), a.ID); err != nil {
			t.Fatal(err)
		}
		r.clock.Set(moved.Add(-2 * time.Hour))
		if r.remind(activities.NewReminderArgs(stays.ID, 2*time.Hour, moved)) {
			t.Error("a cancelled activity's reminder went")
		}
	})
}

// TestCancelActivityDropsHeldReminders: staff cancelling an event drop
// the reminders quiet hours still hold, so nobody is reminded at 07:00
// of an event they were told at once is off.
func TestCancelActivityDropsHeldReminders(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newReminderRig(t, s, notify.DefaultQuietHours)
		early := time.Date(2026, 11, 28, 7, 30, 0, 0, bot.Shanghai)
		a := r.create(10, 1, early.Sub(t0))
		su := r.signUp(draft(a, "o-a", 1)).Signup
		r.clock.Set(early.Add(-2 * time.Hour))
		if !r.remind(activities.NewReminderArgs(su.ID, 2*time.Hour, a.StartsAt)) {
			t.Fatal("not reminded")
		}
		if _, err := r.svc.CancelActivity(ctx, a.ID, "暴雨预警"); err != nil {
			t.Fatal(err)
		}
		var reminders []notice
		for _, n := range r.notices("o-a") {
			if n.Kind == "activity_reminder" {
				reminders = append(reminders, n)
			}
		}
		if len(reminders) != 1 || reminders[0].Status != storage.NotificationDropped {
			t.Errorf("the held reminder after the event was cancelled: %+v, want dropped", reminders)
		}
	})
}

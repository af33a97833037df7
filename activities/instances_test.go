package activities_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

// instance is one server's share of sign-ups: its own database handle,
// job runner, outbox and service, as serve builds them.
type instance struct {
	svc    *activities.Service
	runner *jobs.Runner
}

// TestRemindersOnceAcrossInstances proves a reminder reaches each
// resident once per sign-up and offset through the real job queue and
// outbox to a fake WeChat: two instances work the queue together, one
// of them restarts in between, sign-ups come before, during and after,
// every reminder is planned again, and some reminders' work is run a
// second time by hand (a job rescued after its instance died).
func TestRemindersOnceAcrossInstances(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		rdb, prefix, _ := redistest.New(t)
		fake := wechattest.NewFakeAPI(t)
		// The service's clock runs two days behind, so that every reminder
		// it plans is due already for the queue, which keeps real time.
		clock := bottest.NewClock(time.Now().Add(-48 * time.Hour).Truncate(time.Second))
		var first *storage.Store
		start := func() instance {
			t.Helper()
			s, err := storage.Open(ctx, dbURL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if first == nil {
				first = s
				if err := s.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				if err := jobs.Migrate(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			wx, err := wechat.NewClient(wechat.ClientConfig{AppID: wechattest.AppID, Secret: wechattest.Secret,
				APIBase: fake.URL(), Redis: rdb, KeyPrefix: prefix})
			if err != nil {
				t.Fatal(err)
			}
			runner, err := jobs.New(s, jobs.Config{PollInterval: 20 * time.Millisecond}, quietLog())
			if err != nil {
				t.Fatal(err)
			}
			box, err := notify.New(runner, s, wx, notify.Config{}, quietLog(), nil)
			if err != nil {
				t.Fatal(err)
			}
			svc := activities.New(s, box, activities.Config{Now: clock.Now, Jobs: runner,
				Reminders: []time.Duration{2 * time.Hour, time.Hour}})
			if err := svc.AddWorkers(); err != nil {
				t.Fatal(err)
			}
			return instance{svc: svc, runner: runner}
		}
		run := func(in instance) {
			t.Helper()
			if err := in.runner.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { stop(t, in) })
		}
		reminders := func() map[string]int {
			per := map[string]int{}
			for _, c := range fake.CustomTexts() {
				if strings.HasPrefix(c.Content, "活动提醒") {
					per[c.ToUser]++
				}
			}
			return per
		}
		total := func() int {
			n := 0
			for _, c := range reminders() {
				n += c
			}
			return n
		}

		a1, b := start(), start()
		a, err := a1.svc.Create(ctx, activity.Activity{Title: "邻里荟", Location: "社区活动室",
			StartsAt: clock.Now().Add(3 * time.Hour), EndsAt: clock.Now().Add(5 * time.Hour), Capacity: 100})
		if err != nil {
			t.Fatal(err)
		}
		var signups []activity.Signup
		signUp := func(in instance, from, to int) {
			t.Helper()
			for i := from; i < to; i++ {
				rec, err := in.svc.SignUp(ctx, draft(a, fmt.Sprintf("o-%02d", i), 1))
				if err != nil || rec.Signup.Status != activity.Confirmed {
					t.Fatalf("sign-up %d: %+v, %v", i, rec, err)
				}
				signups = append(signups, rec.Signup)
			}
		}

		// Queued before either instance runs, then both take them up.
		signUp(a1, 0, 10)
		run(a1)
		run(b)
		t.Cleanup(func() {
			if t.Failed() {
				var rows []struct {
					Kind, State string
					N           int
				}
				_ = first.DB().Select(&rows, `SELECT kind, state, COUNT(*) AS n FROM river_job GROUP BY kind, state`)
				var ns []struct {
					Kind, Status string
					N            int
				}
				_ = first.DB().Select(&ns, `SELECT kind, status, COUNT(*) AS n FROM notifications GROUP BY kind, status`)
				t.Logf("jobs %+v notifications %+v texts %d", rows, ns, len(fake.CustomTexts()))
			}
		})
		bottest.WaitFor(t, 20*time.Second, "the first reminders", func() bool { return total() >= 20 })

		// a1 restarts as a2 while b runs on and more residents sign up.
		stop(t, a1)
		signUp(b, 10, 20)
		a2 := start()
		run(a2)
		signUp(a2, 20, 30)
		if err := a2.svc.PlanReminders(ctx, a, signups); err != nil {
			t.Fatal(err)
		}
		for _, su := range signups[:10] {
			if _, err := a2.svc.Remind(ctx, activities.NewReminderArgs(su.ID, time.Hour, a.StartsAt)); err != nil {
				t.Fatal(err)
			}
		}
		bottest.WaitFor(t, 60*time.Second, "every reminder", func() bool { return total() >= 60 })
		bottest.WaitFor(t, 60*time.Second, "the queue to empty", func() bool { return idle(t, first) })

		per := reminders()
		for i := range 30 {
			if got := per[fmt.Sprintf("o-%02d", i)]; got != 2 {
				t.Errorf("o-%02d got %d reminders, want 2 (one per offset)", i, got)
			}
		}
		if n := total(); n != 60 {
			t.Errorf("%d reminders in all, want 60", n)
		}
	})
}

func stop(t *testing.T, in instance) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = in.runner.Stop(ctx)
}

// idle reports whether no reminder job and no notification is waiting:
// nothing is left that could send another message.
func idle(t *testing.T, s *storage.Store) bool {
	t.Helper()
	var jobs, pending int
	const q = `SELECT COUNT(*) FROM river_job WHERE kind IN ('activities.reminder', 'notify.deliver') AND state NOT IN ('completed', 'cancelled', 'discarded')`
	if err := s.DB().Get(&jobs, q); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().Get(&pending, `SELECT COUNT(*) FROM notifications WHERE status = 'pending'`); err != nil {
		t.Fatal(err)
	}
	return jobs == 0 && pending == 0
}

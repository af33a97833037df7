package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newRunner returns a migrated, unstarted runner that polls often.
func newRunner(t *testing.T, store *storage.Store) *jobs.Runner {
	t.Helper()
	if err := jobs.Migrate(context.Background(), store); err != nil {
		t.Fatal(err)
	}
	r, err := jobs.New(store, jobs.Config{PollInterval: 50 * time.Millisecond}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func start(t *testing.T, r *jobs.Runner) {
	t.Helper()
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
}

// receive waits for a value on c; the timeout is generous, not a speed
// check.
func receive[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: nothing within 30 s", what)
		var zero T
		return zero
	}
}

func TestPeriodicTaskRunsAtStart(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		r := newRunner(t, store)
		runs := make(chan string, 10)
		for _, name := range []string{"a.sweep", "b.sweep"} {
			err := r.Every(name, time.Hour, func(ctx context.Context) error {
				runs <- name
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		start(t, r)
		got := map[string]bool{}
		for range 2 {
			got[receive(t, runs, "a periodic task at start")] = true
		}
		if !got["a.sweep"] || !got["b.sweep"] {
			t.Errorf("ran %v at start, want both tasks", got)
		}
	})
}

// echoArgs is a job the tests queue.
type echoArgs struct {
	Text string `json:"text"`
}

func (echoArgs) Kind() string { return "jobs_test.echo" }

type echoWorker struct {
	river.WorkerDefaults[echoArgs]
	done chan string
}

func (w *echoWorker) Work(ctx context.Context, job *river.Job[echoArgs]) error {
	w.done <- job.Args.Text
	return nil
}

// queued counts the jobs of kind in River's table, whatever their state.
func queued(t *testing.T, store *storage.Store, kind string) int {
	t.Helper()
	var n int
	if err := store.DB().Get(&n, `SELECT count(*) FROM river_job WHERE kind = '`+kind+`'`); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInsertTxCommitsWithTheChange(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		r := newRunner(t, store)
		w := &echoWorker{done: make(chan string, 10)}
		if err := jobs.AddWorker(r, w); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		rollback := errors.New("the change failed")
		err := store.Transact(ctx, func(tx *storage.Tx) error {
			if err := r.InsertTx(ctx, tx, echoArgs{Text: "rolled back"}, nil); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("Transact = %v, want the change's error", err)
		}
		if n := queued(t, store, echoArgs{}.Kind()); n != 0 {
			t.Fatalf("%d jobs queued by a rolled-back transaction, want 0", n)
		}
		err = store.Transact(ctx, func(tx *storage.Tx) error {
			return r.InsertTx(ctx, tx, echoArgs{Text: "committed"}, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		start(t, r)
		if got := receive(t, w.done, "the committed job"); got != "committed" {
			t.Errorf("worked %q, want committed", got)
		}
	})
}

func TestRegistrationRules(t *testing.T) {
	store := storagetest.Open(t)
	r := newRunner(t, store)
	nop := func(context.Context) error { return nil }
	if err := r.Every("tickets.sweep", time.Minute, nop); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		interval time.Duration
		fn       func(context.Context) error
		want     string
	}{
		{"tickets.sweep", time.Minute, nop, "already registered"},
		{"", time.Minute, nop, "needs a name"},
		{"zero", 0, nop, "not positive"},
		{"nil", time.Minute, nil, "no function"},
	} {
		if err := r.Every(c.name, c.interval, c.fn); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Every(%q, %v) = %v, want an error saying %q", c.name, c.interval, err, c.want)
		}
	}
	if err := jobs.AddWorker(r, &echoWorker{}); err != nil {
		t.Fatal(err)
	}
	if err := jobs.AddWorker(r, &echoWorker{}); err == nil {
		t.Error("a second worker for the same kind was accepted")
	}
	start(t, r)
	if err := r.Every("late", time.Minute, nop); err == nil || !strings.Contains(err.Error(), "before Start") {
		t.Errorf("Every after Start = %v, want an error saying to register before Start", err)
	}
	if err := jobs.AddWorker(r, &echoWorker{}); err == nil || !strings.Contains(err.Error(), "before Start") {
		t.Errorf("AddWorker after Start = %v, want an error saying to register before Start", err)
	}
}

func TestNewRefusesRescueWithinTheTimeout(t *testing.T) {
	store := storagetest.Open(t)
	for _, c := range []jobs.Config{
		{JobTimeout: 2 * time.Second, RescueAfter: 2 * time.Second},
		{RescueAfter: 30 * time.Second}, // under the default job timeout
	} {
		if _, err := jobs.New(store, c, quietLog()); err == nil || !strings.Contains(err.Error(), "RescueAfter") {
			t.Errorf("New(%+v) = %v, want an error naming RescueAfter", c, err)
		}
	}
	r, err := jobs.New(store, jobs.Config{JobTimeout: 2 * time.Second, RescueAfter: 3 * time.Second}, quietLog())
	if err != nil {
		t.Fatalf("New with a 2 s timeout and a 3 s rescue: %v", err)
	}
	if got := r.JobTimeout(); got != 2*time.Second {
		t.Errorf("JobTimeout() = %v, want 2s", got)
	}
	if r, err = jobs.New(store, jobs.Config{}, quietLog()); err != nil || r.JobTimeout() != jobs.DefaultJobTimeout {
		t.Errorf("New with defaults: %v, JobTimeout %v, want %v", err, r.JobTimeout(), jobs.DefaultJobTimeout)
	}
}

// legacyPeriodicArgs is a periodic job as versions before this package
// queued it.
type legacyPeriodicArgs struct {
	Name string `json:"name"`
}

func (legacyPeriodicArgs) Kind() string { return "notify.periodic" }

// TestRunsPeriodicJobsOfEarlierVersions: during a rolling deploy a leader
// of the previous version still queues its periodic jobs under notify's
// name; this version runs them.
func TestRunsPeriodicJobsOfEarlierVersions(t *testing.T) {
	store := storagetest.Open(t)
	r := newRunner(t, store)
	runs := make(chan string, 10)
	err := r.Every("tickets.sweep", time.Hour, func(ctx context.Context) error {
		runs <- "run"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	start(t, r)
	receive(t, runs, "the run at start")
	err = store.Transact(context.Background(), func(tx *storage.Tx) error {
		return r.InsertTx(context.Background(), tx, legacyPeriodicArgs{Name: "tickets.sweep"}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	receive(t, runs, "the run queued as notify.periodic")
}

func TestBackoff(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		attempt int
		lo, hi  time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{30, 5 * time.Minute, 10 * time.Minute}, // capped
		{0, 500 * time.Millisecond, time.Second},
	} {
		for range 50 {
			d := jobs.Backoff(now, tc.attempt, time.Second, 10*time.Minute).Sub(now)
			if d < tc.lo || d > tc.hi {
				t.Fatalf("Backoff(attempt %d) = %v, want within [%v, %v]", tc.attempt, d, tc.lo, tc.hi)
			}
		}
	}
}

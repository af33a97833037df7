package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/tongxin/tongxin/storage"
)

// DefaultJobTimeout bounds a job when Config.JobTimeout is zero: room for
// a notification delivery, one row through up to three API calls of 10 s.
const DefaultJobTimeout = 40 * time.Second

// Config tunes the runner. Zero values take the defaults noted.
type Config struct {
	// Workers is how many jobs run at once on this instance (4).
	Workers int
	// PollInterval is how often idle workers look for due jobs (500 ms).
	PollInterval time.Duration
	// JobTimeout bounds every job: its context is cancelled after this
	// (DefaultJobTimeout).
	JobTimeout time.Duration
	// RescueAfter is how long a job that never finished (its process died)
	// is left before another instance takes it up (1 min). It must be
	// longer than JobTimeout, so a job still running is not taken up twice.
	RescueAfter time.Duration
}

func (c *Config) defaults() {
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 500 * time.Millisecond
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.RescueAfter <= 0 {
		c.RescueAfter = time.Minute
	}
}

// Runner owns the River client: workers and periodic tasks register on it
// before Start, and anyone may queue jobs on it in their own transaction.
type Runner struct {
	store   *storage.Store
	cfg     Config
	client  *river.Client[*sql.Tx]
	workers *river.Workers

	mu      sync.Mutex
	started bool
	tasks   map[string]func(ctx context.Context) error // periodic, by name
}

func driver(store *storage.Store) riverdriver.Driver[*sql.Tx] {
	if store.Engine() == storage.EngineSQLite {
		return riversqlite.New(store.DB().DB)
	}
	return riverdatabasesql.New(store.DB().DB)
}

// Migrate applies River's own schema migrations to the store's database.
// On PostgreSQL it holds an advisory lock, so instances can start together.
func Migrate(ctx context.Context, store *storage.Store) error {
	m, err := rivermigrate.New(driver(store), nil)
	if err != nil {
		return fmt.Errorf("jobs.Migrate: %w", err)
	}
	if store.Engine() == storage.EnginePostgres {
		conn, err := store.DB().Conn(ctx)
		if err != nil {
			return fmt.Errorf("jobs.Migrate: %w", err)
		}
		defer conn.Close()
		// Any constant shared by all instances; kept from when notify ran
		// the migrations, so old and new instances still exclude each other.
		const lockID = 7_316_244_012 // "tongxin river"
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
			return fmt.Errorf("jobs.Migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockID) //nolint:errcheck // the lock also ends with the session
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs.Migrate: %w", err)
	}
	return nil
}

// New returns a runner on store's database (migrated with Migrate). It
// works no job until Start; a runner that is never started only queues.
func New(store *storage.Store, cfg Config, log *slog.Logger) (*Runner, error) {
	cfg.defaults()
	if cfg.RescueAfter <= cfg.JobTimeout {
		return nil, fmt.Errorf("jobs.New: RescueAfter (%v) must be longer than JobTimeout (%v)", cfg.RescueAfter, cfg.JobTimeout)
	}
	r := &Runner{store: store, cfg: cfg, workers: river.NewWorkers(), tasks: map[string]func(ctx context.Context) error{}}
	river.AddWorker(r.workers, &periodicWorker{r: r})
	client, err := river.NewClient(driver(store), &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              r.workers,
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        min(cfg.PollInterval, 100*time.Millisecond),
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		Logger:               slog.New(routineAtDebug{log.With("component", "river").Handler()}),
	})
	if err != nil {
		return nil, fmt.Errorf("jobs.New: %w", err)
	}
	r.client = client
	return r, nil
}

// JobTimeout is the bound every job runs under (Config.JobTimeout).
func (r *Runner) JobTimeout() time.Duration { return r.cfg.JobTimeout }

// errStarted refuses a registration that would come too late to be seen.
var errStarted = errors.New("the runner has started: register workers and tasks before Start")

// AddWorker registers w for the jobs of kind T. It fails after Start and
// for a kind already registered.
func AddWorker[T river.JobArgs](r *Runner, w river.Worker[T]) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var args T
	if r.started {
		return fmt.Errorf("jobs.AddWorker(%s): %w", args.Kind(), errStarted)
	}
	if err := river.AddWorkerSafely(r.workers, w); err != nil {
		return fmt.Errorf("jobs.AddWorker(%s): %w", args.Kind(), err)
	}
	return nil
}

// InsertTx queues a job inside tx, the transaction of the change that
// causes it: both commit or neither does. opts may be nil.
func (r *Runner) InsertTx(ctx context.Context, tx *storage.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if _, err := r.client.InsertTx(ctx, tx.SQLTx().Tx, args, opts); err != nil {
		return fmt.Errorf("jobs.InsertTx(%s): %w", args.Kind(), err)
	}
	return nil
}

// Start begins working jobs on this instance (and, when it leads, queueing
// the periodic tasks). Registrations are closed from then on.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	r.started = true
	r.mu.Unlock()
	if err := r.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs.Start: %w", err)
	}
	return nil
}

// Stop lets running jobs finish (until ctx is done) and stops.
func (r *Runner) Stop(ctx context.Context) error {
	if err := r.client.Stop(ctx); err != nil {
		return fmt.Errorf("jobs.Stop: %w", err)
	}
	return nil
}

// Backoff is when the try after attempt (1 for the first) of a failing
// job should run: base doubling each attempt up to limit, then
// jittered over its upper half, so that work failing together against an
// outage does not come back all at once.
func Backoff(now time.Time, attempt int, base, limit time.Duration) time.Time {
	d := base << min(max(attempt-1, 0), 20)
	if d <= 0 || d > limit {
		d = limit
	}
	return now.Add(d/2 + rand.N(d/2+1))
}

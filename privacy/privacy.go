// Package privacy erases a resident's personal data on request and purges
// what outlived its retention period, as China's Personal Information
// Protection Law (PIPL) asks.
//
// It knows no domain's tables. Each domain that keeps personal data plugs
// in one Hook (Service.Register): residents (ResidentsHook), tickets,
// notifications, and later sign-ups and clinic bookings. An erasure runs
// every hook's Erase in one transaction with the audit row, then deletes
// the resident's conversation state (Config.Sessions); a retention pass
// runs every hook's Expire in batches. Hooks remove or anonymise what
// names a person and keep what the statistics count; they must be
// idempotent, so an erasure asked twice, or cut short and asked again,
// finishes the work and reports nothing the second time.
//
// Files kept outside the database (photos and voice in a blob store) are
// the one thing a transaction cannot remove: a hook hands their keys to
// Run.DeleteBlobs, and a job queued in the same transaction deletes them
// through Config.Blobs once the erasure has committed, retrying until the
// store answers.
//
// It does not touch staff records (the community service deactivates and
// unbinds staff), nor what lives outside tongxin's database and Redis:
// WeChat's own message history, logs, and exports an operator saved. Redis
// keys other than the session (retry guards, rate counters, locks) expire
// by themselves within the hour.
package privacy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/storage"
)

// Hook is one domain's part in erasure and retention. Hooks run in the
// order they were registered: one that reads what another blanks (the
// blob keys of a ticket's photos, say) registers before it.
type Hook struct {
	// Name labels the hook in errors and logs ("tickets").
	Name string
	// Erase removes or anonymises everything of the domain about the
	// resident with openid, inside tx, and counts what it did with
	// run.Count, a zero count included, so the report lists every kind of
	// record looked at. A second call finds nothing left. Nil: the domain
	// holds nothing a resident can ask to erase.
	Erase func(ctx context.Context, tx *storage.Tx, openid string, run *Run) error
	// Expire removes or anonymises up to limit records whose retention ran
	// out by run's cut-offs, inside tx, and returns how many it handled;
	// fewer than limit means none is left. Nil: the domain keeps nothing
	// past its use.
	Expire func(ctx context.Context, tx *storage.Tx, run *Run, limit int) (int, error)
}

// Run is one erasure or retention pass as a hook sees it.
type Run struct {
	// At is when the pass started (UTC, microseconds), for timeline
	// entries and stamps.
	At time.Time
	// NotificationsBefore and RecordsBefore are the retention cut-offs
	// (Policy before At); zero in an erasure.
	NotificationsBefore, RecordsBefore time.Time

	counts map[string]int
	blobs  []string
}

// Count adds n records of kind ("tickets") to what the pass erased.
func (r *Run) Count(kind string, n int) {
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	r.counts[kind] += n
}

// DeleteBlobs asks for files in the blob store to be deleted once the
// transaction of the hook commits (see Config.Blobs).
func (r *Run) DeleteBlobs(keys ...string) {
	r.blobs = append(r.blobs, keys...)
}

// Report says what an erasure or a retention pass did. It holds no
// personal data: it may be logged and shown.
type Report struct {
	// AuditID is the pass's row in the erasure audit; 0 for a retention
	// pass that found nothing to do.
	AuditID int64 `json:"audit_id"`
	// Counts are the records erased or anonymised, by kind.
	Counts map[string]int `json:"erased"`
}

// Total is how many records the pass erased or anonymised in all.
func (r Report) Total() int {
	n := 0
	for _, c := range r.Counts {
		n += c
	}
	return n
}

// Policy is how long personal data is kept after it served its purpose.
type Policy struct {
	// Notifications is how long the content of a delivered notification
	// (sent, failed or dropped) is kept: long enough to answer "was I
	// told?".
	Notifications time.Duration
	// Records is how long a closed record (a closed ticket, the profile of
	// a resident who unfollowed) stays identifiable.
	Records time.Duration
}

// DefaultPolicy keeps notification content 30 days and closed records
// three years.
var DefaultPolicy = Policy{Notifications: 30 * 24 * time.Hour, Records: 3 * 365 * 24 * time.Hour}

// BlobDeleter deletes files from the blob store. Deleting a key that is
// not there is not an error.
type BlobDeleter interface {
	DeleteBlobs(ctx context.Context, keys []string) error
}

// Config tunes the service. Zero values take the defaults noted.
type Config struct {
	// Policy is the retention (DefaultPolicy, field by field).
	Policy Policy
	// Sessions holds the residents' conversation state; an erasure deletes
	// the resident's. Nil: nothing to delete (a tool without Redis).
	Sessions bot.SessionStore
	// Blobs deletes the files hooks hand to Run.DeleteBlobs. Nil: no blob
	// store is wired, and a deletion asked for is logged and dropped.
	Blobs BlobDeleter
	// Batch is how many records one Expire call handles in one
	// transaction (200).
	Batch int
	// Now is the clock (time.Now).
	Now func() time.Time
	// Log receives one line per erasure and per retention pass that did
	// something, without personal data (slog.Default).
	Log *slog.Logger
}

// Service erases and expires personal data through the registered hooks.
type Service struct {
	store  *storage.Store
	runner *jobs.Runner
	cfg    Config
	hooks  []Hook
}

// New returns the service on store and registers its blob-deletion worker
// on runner, before runner starts. Register the hooks before use.
func New(store *storage.Store, runner *jobs.Runner, cfg Config) (*Service, error) {
	if cfg.Policy.Notifications <= 0 {
		cfg.Policy.Notifications = DefaultPolicy.Notifications
	}
	if cfg.Policy.Records <= 0 {
		cfg.Policy.Records = DefaultPolicy.Records
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 200
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Service{store: store, runner: runner, cfg: cfg}
	if err := jobs.AddWorker(runner, &blobWorker{s: s}); err != nil {
		return nil, fmt.Errorf("privacy.New: %w", err)
	}
	return s, nil
}

// Register adds hooks, to run after those registered before. It refuses a
// hook without a name or with one already registered, so a domain wired
// twice fails at start-up rather than counting twice.
func (s *Service) Register(hooks ...Hook) error {
	for _, h := range hooks {
		if h.Name == "" {
			return errors.New("privacy.Register: a hook needs a name")
		}
		if slices.ContainsFunc(s.hooks, func(o Hook) bool { return o.Name == h.Name }) {
			return fmt.Errorf("privacy.Register(%q): a hook of that name is already registered", h.Name)
		}
		s.hooks = append(s.hooks, h)
	}
	return nil
}

// now is the clock as stored: UTC, to the microsecond.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// maxOpenID bounds an openid: WeChat's are 28 characters.
const maxOpenID = 64

// CheckOpenID reports a *bot.UserError (invalid) unless openid could be a
// WeChat openid: 1 to 64 ASCII letters, digits, '-' or '_'.
func CheckOpenID(openid string) error {
	const msg = "must be a WeChat openid: 1 to 64 letters, digits, - or _"
	if openid == "" || len(openid) > maxOpenID {
		return bot.FieldError("openid", msg)
	}
	for _, c := range []byte(openid) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return bot.FieldError("openid", msg)
		}
	}
	return nil
}

// Erase removes or anonymises everything tongxin holds about the resident
// with openid, for actor (who asked: "admin_api", "cli"), and deletes
// their conversation state. An unknown resident is no error: the report
// counts zero. Returns a *bot.UserError (invalid) for a malformed openid
// or an empty actor.
//
// The records and the audit row commit together; the session is deleted
// after the commit, so an error then leaves the records erased and the
// report filled, and asking again finishes the work.
func (s *Service) Erase(ctx context.Context, openid, actor string) (Report, error) {
	if err := CheckOpenID(openid); err != nil {
		return Report{}, err
	}
	if actor == "" {
		return Report{}, bot.FieldError("actor", "who asks for the erasure must be named")
	}
	run := &Run{At: s.now()}
	var rep Report
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		for _, h := range s.hooks {
			if h.Erase == nil {
				continue
			}
			if err := h.Erase(ctx, tx, openid, run); err != nil {
				return fmt.Errorf("%s: %w", h.Name, err)
			}
		}
		if err := s.queueBlobs(ctx, tx, run); err != nil {
			return err
		}
		var err error
		rep, err = s.audit(ctx, tx, storage.ErasureErase, actor, run)
		return err
	})
	if err != nil {
		return Report{}, fmt.Errorf("privacy.Erase(%s): %w", bot.ShortID(openid), err)
	}
	// No openid in the log: the line would keep what was just erased.
	s.cfg.Log.InfoContext(ctx, "resident data erased", "audit_id", rep.AuditID, "actor", actor, "erased", rep.Counts)
	if s.cfg.Sessions != nil {
		if err := s.cfg.Sessions.Delete(ctx, openid); err != nil {
			return rep, fmt.Errorf("privacy.Erase: audit %d: the records are erased but the conversation state is not, ask again: %w", rep.AuditID, err)
		}
	}
	return rep, nil
}

// audit writes the pass's row in the erasure audit inside tx.
func (s *Service) audit(ctx context.Context, tx *storage.Tx, action, actor string, run *Run) (Report, error) {
	counts := maps.Clone(run.counts)
	if counts == nil {
		counts = map[string]int{}
	}
	e := &storage.Erasure{Action: action, Actor: actor, Counts: counts}
	if err := tx.InsertErasure(ctx, e); err != nil {
		return Report{}, err
	}
	return Report{AuditID: e.ID, Counts: counts}, nil
}

// Audit returns the erasure audit, newest first.
func (s *Service) Audit(ctx context.Context, limit, offset int) ([]storage.Erasure, error) {
	out, err := s.store.ListErasures(ctx, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("privacy.Audit: %w", err)
	}
	return out, nil
}

// ResidentsHook erases the resident's profile and subscription (their
// record in residents), and expires the record of a resident who
// unfollowed the account longer ago than Policy.Records.
func ResidentsHook() Hook {
	return Hook{
		Name: "residents",
		Erase: func(ctx context.Context, tx *storage.Tx, openid string, run *Run) error {
			deleted, err := tx.DeleteResident(ctx, openid)
			if err != nil {
				return err
			}
			n := 0
			if deleted {
				n = 1
			}
			run.Count("residents", n)
			return nil
		},
		Expire: func(ctx context.Context, tx *storage.Tx, run *Run, limit int) (int, error) {
			n, err := tx.DeleteUnfollowed(ctx, run.RecordsBefore, limit)
			run.Count("residents", n)
			return n, err
		},
	}
}

package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/wechat"
)

// WeChat is the official-account API the outbox sends through
// (wechat.Client).
type WeChat interface {
	SendText(ctx context.Context, openid, text string) error
	SendTemplate(ctx context.Context, t wechat.Template) (int64, error)
}

// Template maps a notification kind to a template message.
type Template struct {
	// ID is the template_id from the official account's console.
	ID string
	// URL, when set, is the detail page the message opens; a notice's own
	// URL wins.
	URL string
	// Fields maps the template's keywords (thing1, time2, ...) to the
	// notice's fields (title, number, status, time, note). Empty means the
	// notice's field names are the template's keywords.
	Fields map[string]string
}

// Config tunes the outbox. Zero values take the defaults noted. How many
// deliveries run at once, how long one may take and when a dead worker's
// is taken up again are the job runner's (jobs.Config).
type Config struct {
	// Templates are the template messages by notification kind; a kind
	// without one goes as customer-service text.
	Templates map[string]Template
	// Quiet is when non-urgent resident notifications wait.
	Quiet QuietHours
	// LogOnly delivers to the log instead of WeChat: development mode.
	LogOnly bool
	// RobotKey and RobotBase address the WeCom staff group robot.
	RobotKey, RobotBase string
	// MaxAttempts bounds the tries of one notification (30: with the
	// default backoff, about three hours of outage are ridden out).
	MaxAttempts int
	// RetryBase and RetryCap shape the exponential backoff with jitter
	// (1 s doubling up to 10 min).
	RetryBase, RetryCap time.Duration
	// OrderWait is how long a notification waits for an older one to the
	// same recipient before checking again (1 s).
	OrderWait time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 30
	}
	def(&c.RetryBase, time.Second)
	def(&c.RetryCap, 10*time.Minute)
	def(&c.OrderWait, time.Second)
	if c.Now == nil {
		c.Now = time.Now
	}
}

// payload is what the ledger row keeps for the channels to render.
type payload struct {
	Text      string            `json:"text"`
	GroupText string            `json:"group_text,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
	URL       string            `json:"url,omitempty"`
}

// Outbox queues and delivers notifications. It implements bot.Notifier.
type Outbox struct {
	store   *storage.Store
	wx      WeChat
	cfg     Config
	log     *slog.Logger
	jobs    *jobs.Runner
	metrics *Metrics
	// lease is how long a worker owns a row it is sending (leaseFor).
	lease time.Duration
	// apiDown remembers that WeChat is unreachable, so the log says so once.
	apiDown atomic.Bool
}

var _ bot.Notifier = (*Outbox)(nil)

// New returns an outbox on store sending through wx, and registers its
// delivery worker on runner, before runner starts. Notifications are
// delivered on the instances whose runner runs; one that never starts only
// queues.
func New(runner *jobs.Runner, store *storage.Store, wx WeChat, cfg Config, log *slog.Logger, metrics *Metrics) (*Outbox, error) {
	cfg.defaults()
	if metrics == nil {
		metrics = NewMetrics(nil, nil)
	}
	o := &Outbox{store: store, wx: wx, cfg: cfg, log: log, jobs: runner, metrics: metrics,
		lease: leaseFor(runner.JobTimeout())}
	if err := jobs.AddWorker(runner, &deliverer{o: o}); err != nil {
		return nil, fmt.Errorf("notify.New: %w", err)
	}
	metrics.depth = func(ctx context.Context) (int, error) {
		return store.CountNotifications(ctx, storage.NotificationPending)
	}
	return o, nil
}

// Enqueue records n and queues its delivery inside tx, the transaction of
// the change that caused it. A notice whose Key was queued before is
// ignored. It returns the ledger id.
func (o *Outbox) Enqueue(ctx context.Context, tx *storage.Tx, n bot.Notice) (int64, error) {
	if n.Key == "" || n.To == "" || n.Kind == "" {
		return 0, fmt.Errorf("notify.Enqueue: kind, recipient and key are required")
	}
	raw, err := json.Marshal(payload{Text: n.Text, GroupText: n.GroupText, Fields: n.Fields, URL: n.URL})
	if err != nil {
		return 0, fmt.Errorf("notify.Enqueue(%s): %w", n.Kind, err)
	}
	due := o.cfg.Now().UTC()
	if n.At.After(due) {
		due = n.At.UTC()
	}
	if !n.Urgent && !n.Staff && !isRole(n.To) {
		due = o.cfg.Quiet.Release(due)
	}
	row := &storage.Notification{
		IdemKey: n.Key, Kind: n.Kind, Recipient: n.To, Staff: n.Staff || isRole(n.To),
		Urgent: n.Urgent, Payload: string(raw), NotBefore: due,
	}
	created, err := tx.InsertNotification(ctx, row)
	if err != nil {
		return 0, fmt.Errorf("notify.Enqueue: %w", err)
	}
	if !created {
		return row.ID, nil
	}
	if err := o.queue(ctx, tx, row.ID, 0, row.NotBefore); err != nil {
		return 0, err
	}
	return row.ID, nil
}

// queue inserts the delivery job of row id in tx, due at at.
func (o *Outbox) queue(ctx context.Context, tx *storage.Tx, id int64, try int, at time.Time) error {
	opts := &river.InsertOpts{MaxAttempts: o.cfg.MaxAttempts}
	if at.After(o.cfg.Now()) {
		opts.ScheduledAt = at
	}
	if err := o.jobs.InsertTx(ctx, tx, deliverArgs{ID: id, Try: try}, opts); err != nil {
		return fmt.Errorf("notify: queue %d: %w", id, err)
	}
	return nil
}

// Notify queues a notice that stands alone (no other change to commit
// with it). It implements bot.Notifier.
func (o *Outbox) Notify(ctx context.Context, n bot.Notice) error {
	return o.store.Transact(ctx, func(tx *storage.Tx) error {
		_, err := o.Enqueue(ctx, tx, n)
		return err
	})
}

// Retry puts a failed or dropped notification back in the queue. Returns
// bot.ErrNotFound or bot.ErrConflict (not failed) as storage does.
func (o *Outbox) Retry(ctx context.Context, id int64) error {
	return o.store.Transact(ctx, func(tx *storage.Tx) error {
		n, err := tx.Notification(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.RequeueNotification(ctx, id); err != nil {
			return err
		}
		return o.queue(ctx, tx, id, n.Attempts+1, time.Time{})
	})
}

func isRole(to string) bool { return strings.HasPrefix(to, "role:") }

// deliverArgs is the delivery job: just the ledger row. Try separates an
// operator's retry from the original job for River's uniqueness check.
type deliverArgs struct {
	ID  int64 `json:"id"`
	Try int   `json:"try,omitempty"`
}

// Kind names the job for River.
func (deliverArgs) Kind() string { return "notify.deliver" }

// InsertOpts makes a row's job unique, so the same notification never
// queues twice.
func (deliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// deliverer is the worker of delivery jobs, registered on the job runner.
type deliverer struct {
	river.WorkerDefaults[deliverArgs]
	o *Outbox
}

// Work delivers one notification.
func (w *deliverer) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	return w.o.deliver(ctx, job.Args.ID, job.Attempt, job.MaxAttempts)
}

// NextRetry spaces out a failed delivery's next try: exponential with full
// jitter, capped, so retries spread out instead of hammering an API that
// is already failing.
func (w *deliverer) NextRetry(job *river.Job[deliverArgs]) time.Time {
	return w.o.nextRetry(job.Attempt)
}

func (o *Outbox) nextRetry(attempt int) time.Time {
	d := o.cfg.RetryBase << min(max(attempt-1, 0), 20)
	if d <= 0 || d > o.cfg.RetryCap {
		d = o.cfg.RetryCap
	}
	d = d/2 + rand.N(d/2+1)
	return o.cfg.Now().Add(d)
}

// leaseFor is how long a worker owns a row it is sending, given the job
// timeout: longer than a job may run, since the SDK ignores contexts and a
// call can outlive its job (half a timeout again: at the default 40 s,
// the 20 s of two of the HTTP client's 10 s timeouts), yet short enough
// that a dead worker's row is soon taken up.
func leaseFor(jobTimeout time.Duration) time.Duration {
	return jobTimeout + jobTimeout/2
}

// deliver sends notification id, or first the oldest due notification to
// the same recipient, so that a recipient gets their news in order even
// after an outage. One row per run keeps a job's time bounded; waiting
// behind another row is a snooze, which costs this row no attempt.
func (o *Outbox) deliver(ctx context.Context, id int64, attempt, maxAttempts int) error {
	n, err := o.store.Notification(ctx, id)
	if errors.Is(err, bot.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	now := o.cfg.Now()
	if n.Status == storage.NotificationPending && !n.Urgent && !n.Staff {
		// Quiet hours hold at every attempt, not only when queued: a
		// retry or an operator's re-queue must not wake a resident.
		if release := o.cfg.Quiet.Release(now); release.After(now) {
			return river.JobSnooze(release.Sub(now))
		}
	}
	next, err := o.store.NextDue(ctx, n.Recipient, n.ID, now)
	if errors.Is(err, bot.ErrNotFound) {
		return nil // delivered or given up already (an operator's retry makes a new job)
	}
	if err != nil {
		return err
	}
	claimed, err := o.store.ClaimNotification(ctx, next.ID, now, o.lease)
	if err != nil {
		return err
	}
	if !claimed {
		// Another worker is sending it right now.
		return river.JobSnooze(o.cfg.OrderWait)
	}
	if next.ID == n.ID {
		return o.attempt(ctx, n, attempt, attempt >= maxAttempts)
	}
	// An older row goes first, on this row's turn. Whatever becomes of it,
	// this row's own attempt comes later; the older row's job keeps its
	// own count of tries.
	if err := o.attempt(ctx, next, 0, false); err != nil && !isFinished(err) {
		o.log.DebugContext(ctx, "waiting behind an older notification", "id", n.ID, "older", next.ID)
		return river.JobSnooze(o.cfg.RetryBase + rand.N(o.cfg.RetryBase+1))
	}
	return river.JobSnooze(0)
}

// isFinished reports whether attempt's error means the row reached a final
// state (failed or dropped) rather than waiting for a retry.
func isFinished(err error) bool {
	var cancel *rivertype.JobCancelError
	return errors.As(err, &cancel)
}

// attempt sends n (which the caller has claimed) through its channels and
// records the outcome. It returns nil when sent, a river.JobCancel error
// when n failed for good, and another error when it should be retried.
func (o *Outbox) attempt(ctx context.Context, n storage.Notification, attempt int, final bool) error {
	var p payload
	if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
		return o.finish(ctx, n, storage.NotificationDropped, "", "unreadable payload: "+err.Error())
	}
	var fellBack []string
	for _, ch := range o.plan(n) {
		err := ch.send(ctx, n, p)
		if errors.Is(err, errNoTemplate) {
			continue
		}
		switch classify(err) {
		case wechat.ActionNone:
			o.reachable()
			return o.finish(ctx, n, storage.NotificationSent, ch.name, strings.Join(fellBack, "; "))
		case wechat.ActionFallback:
			o.metrics.result(ch.name, n.Kind, "fallback")
			fellBack = append(fellBack, ch.name+": "+wechat.Reason(err))
			continue
		case wechat.ActionGiveUp:
			o.metrics.result(ch.name, n.Kind, "failed")
			return o.finish(ctx, n, storage.NotificationFailed, ch.name, wechat.Reason(err))
		default: // retry, refresh
			o.unreachable(err)
			o.metrics.result(ch.name, n.Kind, "retry")
			reason := wechat.Reason(err)
			if final {
				return o.finish(ctx, n, storage.NotificationFailed, ch.name, fmt.Sprintf("gave up after %d attempts: %s", attempt, reason))
			}
			if nerr := o.store.NoteAttempt(ctx, n.ID, reason); nerr != nil {
				o.log.WarnContext(ctx, "record attempt", "id", n.ID, "err", nerr)
			}
			return fmt.Errorf("notify: deliver %d via %s: %s", n.ID, ch.name, reason)
		}
	}
	reason := "no channel could deliver"
	if len(fellBack) > 0 {
		reason += ": " + strings.Join(fellBack, "; ")
	}
	return o.finish(ctx, n, storage.NotificationFailed, "", reason)
}

// classify extends wechat.Classify to the robot's errors, which are not
// official-account API errors: busy (-1) and rate limited (45009, about
// 20 messages a minute) are transient; anything else (a bad key) is not.
func classify(err error) wechat.Action {
	var re *robotError
	if errors.As(err, &re) {
		if re.code == -1 || re.code == 45009 {
			return wechat.ActionRetry
		}
		return wechat.ActionGiveUp
	}
	return wechat.Classify(err)
}

// finish records the outcome; a failure stops River retrying the job.
func (o *Outbox) finish(ctx context.Context, n storage.Notification, status, channel, reason string) error {
	err := o.store.FinishNotification(ctx, n.ID, status, channel, reason)
	if errors.Is(err, bot.ErrConflict) {
		return nil // another worker recorded it first
	}
	if err != nil {
		return err
	}
	switch status {
	case storage.NotificationSent:
		o.metrics.result(channel, n.Kind, "sent")
		o.metrics.latency.Observe(o.cfg.Now().Sub(n.NotBefore).Seconds())
		return nil
	default:
		o.log.WarnContext(ctx, "notification not delivered", "id", n.ID, "kind", n.Kind, "status", status, "reason", reason)
		return river.JobCancel(fmt.Errorf("notification %d %s: %s", n.ID, status, reason))
	}
}

func (o *Outbox) unreachable(err error) {
	if o.apiDown.CompareAndSwap(false, true) {
		o.log.Warn("WeChat API failing; notifications stay queued and are retried", "reason", wechat.Reason(err))
	}
}

func (o *Outbox) reachable() {
	if o.apiDown.CompareAndSwap(true, false) {
		o.log.Info("WeChat API answering again; queued notifications are going out")
	}
}

// channelFunc sends one notification one way.
type channelFunc func(ctx context.Context, n storage.Notification, p payload) error

type channel struct {
	name string
	send channelFunc
}

// errNoTemplate makes the template channel step aside for a kind without
// a template.
var errNoTemplate = errors.New("no template configured")

package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
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
	// PublicURL is where residents open tongxin's pages
	// (TONGXIN_PUBLIC_URL): a notice's relative URL ("/my/…") is sent
	// under it (links.go). Empty: relative URLs are left out.
	PublicURL string
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
	// inbox, when set, keeps notices for the simulator (SetInbox).
	inbox *Inbox
}

var (
	_ bot.Notifier  = (*Outbox)(nil)
	_ bot.Questions = (*Outbox)(nil)
)

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
		IdemKey: n.Key, Kind: n.Kind, Recipient: n.To, Subject: n.About, Staff: n.Staff || isRole(n.To),
		Urgent: n.Urgent, Payload: string(raw), MergeKey: n.Merge, Replaces: n.Replaces, Asks: n.Asks, NotBefore: due,
	}
	created, err := tx.InsertNotification(ctx, row)
	if err != nil {
		return 0, fmt.Errorf("notify.Enqueue: %w", err)
	}
	if !created {
		return row.ID, nil
	}
	// Older news of the same group that has not gone out yet would only
	// arrive stale after this one (at 07:00, "已受理" after "已办结").
	if _, err := tx.DropReplaced(ctx, row.Recipient, row.Replaces, row.ID); err != nil {
		return 0, fmt.Errorf("notify.Enqueue: %w", err)
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

// Withdrawn is the reason recorded on a notification withdrawn by the
// change that made it moot: "withdrawn: " and the change.
const Withdrawn = "withdrawn: "

// Withdraw drops, inside tx, the notifications to openid of group
// replaces (bot.Notice.Replaces) that have not gone out yet, because what
// they say no longer holds (the resident rated the ticket the held "请评价"
// asks about); why is recorded on them after Withdrawn. It returns how
// many it dropped.
func (o *Outbox) Withdraw(ctx context.Context, tx *storage.Tx, openid, replaces, why string) (int, error) {
	n, err := tx.WithdrawGroup(ctx, openid, replaces, Withdrawn+why)
	if err != nil {
		return 0, fmt.Errorf("notify.Withdraw: %w", err)
	}
	return n, nil
}

// Due returns, inside tx, when the latest news to openid of group
// replaces will go out: the due time of the newest pending notification
// of the group (after quiet hours), or zero when none is waiting.
func (o *Outbox) Due(ctx context.Context, tx *storage.Tx, openid, replaces string) (time.Time, error) {
	if openid == "" || replaces == "" {
		return time.Time{}, nil
	}
	n, err := tx.PendingInGroup(ctx, openid, replaces)
	if errors.Is(err, bot.ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("notify.Due: %w", err)
	}
	return n.NotBefore, nil
}

// LastAsked returns the question (bot.Notice.Asks) most recently
// delivered to openid, with when: the ledger's record of its sending. It
// implements bot.Questions.
func (o *Outbox) LastAsked(ctx context.Context, openid string) (bot.Delivered, error) {
	n, err := o.store.LastAsked(ctx, openid)
	if err != nil {
		return bot.Delivered{}, fmt.Errorf("notify.LastAsked: %w", err)
	}
	q, ref := bot.ParseAsk(n.Asks)
	d := bot.Delivered{Question: q, Ref: ref}
	if n.SentAt != nil {
		d.At = *n.SentAt
	}
	return d, nil
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

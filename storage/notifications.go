package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/tongxin/tongxin/bot"
)

// Notification statuses.
const (
	NotificationPending = "pending"
	NotificationSent    = "sent"
	NotificationFailed  = "failed"
	NotificationDropped = "dropped"
)

// Notification is one row of the notifications ledger.
type Notification struct {
	ID      int64  `db:"id" json:"id"`
	IdemKey string `db:"idem_key" json:"idem_key"`
	Kind    string `db:"kind" json:"kind"`
	// Recipient is an openid or a role ("role:duty"); empty once the
	// resident it went to was erased, or its retention ran out.
	Recipient string `db:"recipient" json:"recipient"`
	// Subject is the openid of the resident the notification is about,
	// whoever receives it; empty when it is about nobody in particular.
	// Not listed: it names a resident, as the payload does.
	Subject string `db:"subject" json:"-"`
	Staff   bool   `db:"staff" json:"staff"`
	Urgent  bool   `db:"urgent" json:"urgent"`
	// Payload is the JSON the channels render (text, template fields,
	// link), or ErasedPayload.
	Payload   string `db:"payload" json:"-"`
	Status    string `db:"status" json:"status"`
	Channel   string `db:"channel" json:"channel,omitempty"`
	Attempts  int    `db:"attempts" json:"attempts"`
	LastError string `db:"last_error" json:"last_error,omitempty"`
	// MergeKey groups rows that may go out as one message when they wait
	// together (bot.Notice.Merge); empty for none.
	MergeKey string `db:"merge_key" json:"merge_key,omitempty"`
	// Replaces groups a recipient's rows about one thing: a newer one
	// drops older ones still pending (bot.Notice.Replaces); empty for none.
	Replaces string `db:"replaces" json:"replaces,omitempty"`
	// Asks names the question the row puts to its recipient
	// (bot.Notice.Asks); empty for none.
	Asks string `db:"asks" json:"asks,omitempty"`
	// NotBefore is when delivery may start (after residents' quiet hours).
	NotBefore time.Time  `db:"not_before" json:"not_before"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt time.Time  `db:"updated_at" json:"updated_at"`
	SentAt    *time.Time `db:"sent_at" json:"sent_at,omitempty"`
}

func (n *Notification) normalise() {
	utc(&n.NotBefore)
	utc(&n.CreatedAt)
	utc(&n.UpdatedAt)
	utc(n.SentAt)
}

const notificationColumns = `id, idem_key, kind, recipient, subject, staff, urgent, payload, status, channel,
	attempts, last_error, merge_key, replaces, asks, not_before, created_at, updated_at, sent_at`

// InsertNotification adds n as pending, unless a notification with the same
// idempotency key exists: then it returns that one's id and created=false.
// It fills n.ID, n.Status and the timestamps.
func (q *queries) InsertNotification(ctx context.Context, n *Notification) (created bool, err error) {
	const insert = `
		INSERT INTO notifications (idem_key, kind, recipient, subject, staff, urgent, payload, merge_key, replaces, asks, status, not_before, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
		ON CONFLICT (idem_key) DO NOTHING
		RETURNING id`
	if n.IdemKey == "" || n.Kind == "" || n.Recipient == "" {
		return false, fmt.Errorf("storage.InsertNotification: idem_key, kind and recipient are required")
	}
	now := q.now()
	if n.NotBefore.IsZero() {
		n.NotBefore = now
	}
	n.NotBefore = dbTime(n.NotBefore)
	err = sqlx.GetContext(ctx, q.ext, &n.ID, q.q(insert),
		n.IdemKey, n.Kind, n.Recipient, n.Subject, n.Staff, n.Urgent, n.Payload, n.MergeKey, n.Replaces, n.Asks, n.NotBefore, now, now)
	if errors.Is(err, sql.ErrNoRows) {
		const existing = `SELECT id FROM notifications WHERE idem_key = ?`
		if err := sqlx.GetContext(ctx, q.ext, &n.ID, q.q(existing), n.IdemKey); err != nil {
			return false, fmt.Errorf("storage.InsertNotification(%s): %w", n.Kind, mapError(err))
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("storage.InsertNotification(%s): %w", n.Kind, mapError(err))
	}
	n.Status, n.CreatedAt, n.UpdatedAt = NotificationPending, now, now
	return true, nil
}

// Notification returns the ledger row id, or bot.ErrNotFound.
func (q *queries) Notification(ctx context.Context, id int64) (Notification, error) {
	query := `SELECT ` + notificationColumns + ` FROM notifications WHERE id = ?`
	var n Notification
	if err := sqlx.GetContext(ctx, q.ext, &n, q.q(query), id); err != nil {
		return Notification{}, fmt.Errorf("storage.Notification(%d): %w", id, mapError(err))
	}
	n.normalise()
	return n, nil
}

// ListNotifications returns notifications newest first, those with status
// only when status is not empty.
func (q *queries) ListNotifications(ctx context.Context, status string, limit, offset int) ([]Notification, error) {
	query := `SELECT ` + notificationColumns + ` FROM notifications
		WHERE (? = '' OR status = ?) ORDER BY id DESC LIMIT ? OFFSET ?`
	out := []Notification{}
	if err := sqlx.SelectContext(ctx, q.ext, &out, q.q(query), status, status, limit, offset); err != nil {
		return nil, fmt.Errorf("storage.ListNotifications(%s): %w", status, mapError(err))
	}
	for i := range out {
		out[i].normalise()
	}
	return out, nil
}

// CountNotifications counts the notifications with status.
func (q *queries) CountNotifications(ctx context.Context, status string) (int, error) {
	var n int
	if err := sqlx.GetContext(ctx, q.ext, &n, q.q(`SELECT COUNT(*) FROM notifications WHERE status = ?`), status); err != nil {
		return 0, fmt.Errorf("storage.CountNotifications(%s): %w", status, mapError(err))
	}
	return n, nil
}

// NextDue returns the notification to send before (or as) notification id:
// the oldest pending one to the same recipient that is due at now, which
// is id itself when nothing older waits. An older one held back by quiet
// hours does not hold up id. Returns bot.ErrNotFound when id itself is no
// longer pending.
func (q *queries) NextDue(ctx context.Context, recipient string, id int64, now time.Time) (Notification, error) {
	query := `SELECT ` + notificationColumns + ` FROM notifications
		WHERE recipient = ? AND status = 'pending' AND id <= ? AND (id = ? OR not_before <= ?)
		ORDER BY id LIMIT 1`
	var n Notification
	if err := sqlx.GetContext(ctx, q.ext, &n, q.q(query), recipient, id, id, dbTime(now)); err != nil {
		return Notification{}, fmt.Errorf("storage.NextDue(%d): %w", id, mapError(err))
	}
	n.normalise()
	return n, nil
}

// Mergeable returns up to limit other pending notifications that may go
// out with lead as one message: to the same recipient, with its
// (non-empty) merge key, due at now and leased to no worker; oldest
// first. Claim each before sending it.
func (q *queries) Mergeable(ctx context.Context, lead Notification, now time.Time, limit int) ([]Notification, error) {
	query := `SELECT ` + notificationColumns + ` FROM notifications
		WHERE recipient = ? AND status = 'pending' AND merge_key = ? AND merge_key <> '' AND id <> ?
			AND not_before <= ? AND (lease_until IS NULL OR lease_until < ?)
		ORDER BY id LIMIT ?`
	now = dbTime(now)
	out := []Notification{}
	if err := sqlx.SelectContext(ctx, q.ext, &out, q.q(query), lead.Recipient, lead.MergeKey, lead.ID, now, now, limit); err != nil {
		return nil, fmt.Errorf("storage.Mergeable(%d): %w", lead.ID, mapError(err))
	}
	for i := range out {
		out[i].normalise()
	}
	return out, nil
}

// Superseded is the reason recorded on a notification dropped because a
// newer one of its group (Replaces) was queued: "superseded by
// notification 42".
func Superseded(by int64) string { return fmt.Sprintf("superseded by notification %d", by) }

// DropReplaced drops the notifications to recipient of group replaces
// still pending and older than id (newer news about the same thing was
// queued as id), recording Superseded(id). One a worker is sending right
// now is left to it: the worker checks again (NewerInGroup) before it
// sends. Returns how many it dropped.
func (q *queries) DropReplaced(ctx context.Context, recipient, replaces string, id int64) (int, error) {
	if replaces == "" {
		return 0, nil
	}
	return q.dropGroup(ctx, recipient, replaces, id, Superseded(id))
}

// WithdrawGroup drops every pending notification to recipient of group
// replaces, recording reason ("withdrawn: rated"): what they said no
// longer holds and nothing replaces it. Returns how many it dropped.
func (q *queries) WithdrawGroup(ctx context.Context, recipient, replaces, reason string) (int, error) {
	if replaces == "" || recipient == "" {
		return 0, nil
	}
	return q.dropGroup(ctx, recipient, replaces, 0, reason)
}

// dropGroup drops recipient's pending, unleased rows of group replaces
// with an id below before (0: all), recording reason.
func (q *queries) dropGroup(ctx context.Context, recipient, replaces string, before int64, reason string) (int, error) {
	const query = `UPDATE notifications SET status = 'dropped', last_error = ?, updated_at = ?, lease_until = NULL
		WHERE recipient = ? AND replaces = ? AND status = 'pending' AND (? = 0 OR id < ?)
			AND (lease_until IS NULL OR lease_until < ?)`
	now := q.now()
	n, err := q.execAffected(ctx, fmt.Sprintf("storage: drop notifications of %s", replaces), query, reason, now, recipient, replaces, before, before, now)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// NewerInGroup returns the id of the newest notification to n's
// recipient in n's group (Replaces) queued after n and not dropped, or 0
// when there is none (or n has no group): a worker about to send n
// drops it as superseded instead.
func (q *queries) NewerInGroup(ctx context.Context, n Notification) (int64, error) {
	if n.Replaces == "" {
		return 0, nil
	}
	const query = `SELECT COALESCE(MAX(id), 0) FROM notifications
		WHERE recipient = ? AND replaces = ? AND id > ? AND status <> 'dropped'`
	var id int64
	if err := sqlx.GetContext(ctx, q.ext, &id, q.q(query), n.Recipient, n.Replaces, n.ID); err != nil {
		return 0, fmt.Errorf("storage.NewerInGroup(%d): %w", n.ID, mapError(err))
	}
	return id, nil
}

// PendingInGroup returns the newest pending notification to recipient of
// group replaces, or bot.ErrNotFound: when what it says will reach them
// (NotBefore).
func (q *queries) PendingInGroup(ctx context.Context, recipient, replaces string) (Notification, error) {
	query := `SELECT ` + notificationColumns + ` FROM notifications
		WHERE recipient = ? AND replaces = ? AND status = 'pending' ORDER BY id DESC LIMIT 1`
	var n Notification
	if err := sqlx.GetContext(ctx, q.ext, &n, q.q(query), recipient, replaces); err != nil {
		return Notification{}, fmt.Errorf("storage.PendingInGroup(%s): %w", replaces, mapError(err))
	}
	n.normalise()
	return n, nil
}

// LastAsked returns the notification asking a question (Asks) most
// recently sent to recipient, or bot.ErrNotFound.
func (q *queries) LastAsked(ctx context.Context, recipient string) (Notification, error) {
	query := `SELECT ` + notificationColumns + ` FROM notifications
		WHERE recipient = ? AND asks <> '' AND status = 'sent' ORDER BY sent_at DESC, id DESC LIMIT 1`
	var n Notification
	if err := sqlx.GetContext(ctx, q.ext, &n, q.q(query), recipient); err != nil {
		return Notification{}, fmt.Errorf("storage.LastAsked: %w", mapError(err))
	}
	n.normalise()
	return n, nil
}

// DueNotifications returns the ids of up to limit pending notifications
// due at now, oldest first.
func (q *queries) DueNotifications(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	const query = `SELECT id FROM notifications WHERE status = 'pending' AND not_before <= ? ORDER BY id LIMIT ?`
	out := []int64{}
	if err := sqlx.SelectContext(ctx, q.ext, &out, q.q(query), dbTime(now), limit); err != nil {
		return nil, fmt.Errorf("storage.DueNotifications: %w", mapError(err))
	}
	return out, nil
}

// ReleaseNotification gives up a worker's lease on a pending
// notification without counting an attempt (it was claimed to go out
// with another that failed), so that its own job may send it.
func (q *queries) ReleaseNotification(ctx context.Context, id int64) error {
	const query = `UPDATE notifications SET lease_until = NULL WHERE id = ? AND status = 'pending'`
	if _, err := q.ext.ExecContext(ctx, q.q(query), id); err != nil {
		return fmt.Errorf("storage.ReleaseNotification(%d): %w", id, mapError(err))
	}
	return nil
}

// ClaimNotification leases a pending notification to the caller until
// now+lease, unless another worker holds an unexpired lease on it. It
// reports whether the caller got it.
func (q *queries) ClaimNotification(ctx context.Context, id int64, now time.Time, lease time.Duration) (bool, error) {
	const query = `UPDATE notifications SET lease_until = ?
		WHERE id = ? AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?)`
	n, err := q.execAffected(ctx, fmt.Sprintf("storage.ClaimNotification(%d)", id), query, dbTime(now.Add(lease)), id, dbTime(now))
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// FinishNotification records the end of delivery of a pending
// notification: sent (through channel) or failed/dropped (with reason).
// Returns bot.ErrConflict if it is no longer pending, so that two workers
// can never both record a delivery.
func (q *queries) FinishNotification(ctx context.Context, id int64, status, channel, reason string) error {
	const query = `
		UPDATE notifications SET status = ?, channel = ?, last_error = ?, attempts = attempts + 1,
			updated_at = ?, sent_at = ?, lease_until = NULL
		WHERE id = ? AND status = 'pending'`
	now := q.now()
	var sentAt *time.Time
	if status == NotificationSent {
		sentAt = &now
	}
	res, err := q.ext.ExecContext(ctx, q.q(query), status, channel, reason, now, sentAt, id)
	if err != nil {
		return fmt.Errorf("storage.FinishNotification(%d): %w", id, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage.FinishNotification(%d): not pending: %w", id, bot.ErrConflict)
	}
	return nil
}

// NoteAttempt records a failed attempt that will be retried, and releases
// the lease.
func (q *queries) NoteAttempt(ctx context.Context, id int64, reason string) error {
	const query = `UPDATE notifications SET attempts = attempts + 1, last_error = ?, updated_at = ?, lease_until = NULL
		WHERE id = ?`
	if _, err := q.ext.ExecContext(ctx, q.q(query), reason, q.now(), id); err != nil {
		return fmt.Errorf("storage.NoteAttempt(%d): %w", id, mapError(err))
	}
	return nil
}

// RequeueNotification puts a failed or dropped notification back to
// pending for an operator's retry. Returns bot.ErrNotFound for an unknown
// id and bot.ErrConflict if it is pending or sent, or its content was
// erased (there is nothing left to send).
func (q *queries) RequeueNotification(ctx context.Context, id int64) error {
	const query = `UPDATE notifications SET status = 'pending', updated_at = ?, not_before = ?
		WHERE id = ? AND status IN ('failed', 'dropped') AND payload <> ?`
	now := q.now()
	res, err := q.ext.ExecContext(ctx, q.q(query), now, now, id, ErasedPayload)
	if err != nil {
		return fmt.Errorf("storage.RequeueNotification(%d): %w", id, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := q.Notification(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("storage.RequeueNotification(%d): only failed or dropped notifications whose content is kept can be retried: %w", id, bot.ErrConflict)
	}
	return nil
}

// ErasedPayload replaces the payload of a notification whose resident was
// erased or whose retention ran out: what it said is gone, that it was
// sent (its kind, status and times) is kept for the statistics.
const ErasedPayload = `{"erased":true}`

// tombstone is the SET list that erases a notification's personal data:
// the payload, the error text (an API's answer may quote it), the subject
// and the idempotency key (some hold an openid, as human:<openid>:...).
const tombstone = `payload = '` + ErasedPayload + `', last_error = '', subject = '',
	idem_key = 'erased:' || CAST(id AS TEXT), lease_until = NULL`

// EraseNotifications erases every notification to or about the resident
// with openid (see ErasedPayload), blanking the recipient where it is
// theirs; one still pending is dropped, since nothing is left to send. It
// returns how many it erased: none the second time.
func (q *queries) EraseNotifications(ctx context.Context, openid string) (int, error) {
	const query = `UPDATE notifications SET ` + tombstone + `,
		recipient = CASE WHEN recipient = ? THEN '' ELSE recipient END,
		status = CASE WHEN status = 'pending' THEN 'dropped' ELSE status END
		WHERE recipient = ? OR subject = ?`
	if openid == "" {
		return 0, fmt.Errorf("storage.EraseNotifications: empty openid")
	}
	n, err := q.execAffected(ctx, fmt.Sprintf("storage.EraseNotifications(%s)", bot.ShortID(openid)), query, openid, openid, openid)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// toPurge selects the notifications whose delivery ended and whose content
// is still there; it is the predicate of the partial index
// notifications_to_purge, word for word, so that the planner uses it.
const toPurge = `status <> 'pending' AND payload <> '` + ErasedPayload + `'`

// PurgeNotifications erases up to limit notifications whose delivery
// ended (sent, failed or dropped) before before and that are not erased
// yet, oldest first, blanking the recipient of those to residents (staff
// openids and roles stay). It returns how many it erased.
func (q *queries) PurgeNotifications(ctx context.Context, before time.Time, limit int) (int, error) {
	const query = `UPDATE notifications SET ` + tombstone + `,
		recipient = CASE WHEN staff THEN recipient ELSE '' END
		WHERE id IN (SELECT id FROM notifications
			WHERE ` + toPurge + ` AND updated_at < ?
			ORDER BY updated_at, id LIMIT ?)`
	n, err := q.execAffected(ctx, "storage.PurgeNotifications", query, dbTime(before), limit)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

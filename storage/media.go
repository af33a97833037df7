package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Statuses of a ticket's media copy.
const (
	// MediaPending: not downloaded yet; a job is on it.
	MediaPending = "pending"
	// MediaStored: the copy is in the blob store under BlobKey.
	MediaStored = "stored"
	// MediaFailed: no copy will be made; Error says why.
	MediaFailed = "failed"
	// MediaErased: the copy and the reference are gone with the resident.
	MediaErased = "erased"
)

// TicketMedia is one photo or voice message of a ticket and the state of
// its copy.
type TicketMedia struct {
	ID       int64 `db:"id"`
	TicketID int64 `db:"ticket_id"`
	// N numbers the ticket's media from 1.
	N int `db:"n"`
	// Kind is photo or voice.
	Kind string `db:"kind"`
	// Ref is what WeChat gave: a PicUrl or media:<MediaId>.
	Ref         string    `db:"ref"`
	Status      string    `db:"status"`
	BlobKey     string    `db:"blob_key"`
	ContentType string    `db:"content_type"`
	Size        int64     `db:"size"`
	Attempts    int       `db:"attempts"`
	Error       string    `db:"error"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
}

func (m *TicketMedia) normalise() {
	utc(&m.CreatedAt)
	utc(&m.UpdatedAt)
}

const ticketMediaColumns = `m.id, m.ticket_id, m.n, m.kind, m.ref, m.status, m.blob_key, m.content_type,
	m.size, m.attempts, m.error, m.created_at, m.updated_at`

// InsertTicketMedia adds m as pending and fills its ID, status and
// timestamps. A second row with the same ticket and N is bot.ErrConflict.
func (q *queries) InsertTicketMedia(ctx context.Context, m *TicketMedia) error {
	const query = `INSERT INTO ticket_media (ticket_id, n, kind, ref, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'pending', ?, ?) RETURNING id`
	now := q.now()
	if err := sqlx.GetContext(ctx, q.ext, &m.ID, q.q(query), m.TicketID, m.N, m.Kind, m.Ref, now, now); err != nil {
		return fmt.Errorf("storage.InsertTicketMedia(%d, %d): %w", m.TicketID, m.N, mapError(err))
	}
	m.Status, m.CreatedAt, m.UpdatedAt = MediaPending, now, now
	return nil
}

func (q *queries) getTicketMedia(ctx context.Context, op, query string, args ...any) (TicketMedia, error) {
	var m TicketMedia
	if err := sqlx.GetContext(ctx, q.ext, &m, q.q(query), args...); err != nil {
		return TicketMedia{}, fmt.Errorf("%s: %w", op, mapError(err))
	}
	m.normalise()
	return m, nil
}

// TicketMediaByID returns media row id, or bot.ErrNotFound.
func (q *queries) TicketMediaByID(ctx context.Context, id int64) (TicketMedia, error) {
	const query = `SELECT ` + ticketMediaColumns + ` FROM ticket_media m WHERE m.id = ?`
	return q.getTicketMedia(ctx, fmt.Sprintf("storage.TicketMediaByID(%d)", id), query, id)
}

// TicketMediaAt returns media n of the ticket with number, or
// bot.ErrNotFound when there is no such ticket or no such media.
func (q *queries) TicketMediaAt(ctx context.Context, number string, n int) (TicketMedia, error) {
	const query = `SELECT ` + ticketMediaColumns + ` FROM ticket_media m
		JOIN tickets t ON t.id = m.ticket_id WHERE t.number = ? AND m.n = ?`
	return q.getTicketMedia(ctx, fmt.Sprintf("storage.TicketMediaAt(%s, %d)", number, n), query, number, n)
}

// TicketMediaOf returns the media of the tickets with ids, by ticket and
// then N.
func (q *queries) TicketMediaOf(ctx context.Context, ticketIDs ...int64) ([]TicketMedia, error) {
	out := []TicketMedia{}
	if len(ticketIDs) == 0 {
		return out, nil
	}
	query, args, err := sqlx.In(`SELECT `+ticketMediaColumns+` FROM ticket_media m
		WHERE m.ticket_id IN (?) ORDER BY m.ticket_id, m.n`, ticketIDs)
	if err != nil {
		return nil, fmt.Errorf("storage.TicketMediaOf: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q.ext, &out, q.q(query), args...); err != nil {
		return nil, fmt.Errorf("storage.TicketMediaOf: %w", mapError(err))
	}
	for i := range out {
		out[i].normalise()
	}
	return out, nil
}

// StoreTicketMedia records that the copy of pending media id is in the
// blob store under key. It reports false, changing nothing, when the row
// is no longer pending (erased meanwhile, or recorded by another worker).
func (q *queries) StoreTicketMedia(ctx context.Context, id int64, key, contentType string, size int64) (bool, error) {
	const query = `UPDATE ticket_media SET status = 'stored', blob_key = ?, content_type = ?, size = ?,
		attempts = attempts + 1, error = '', updated_at = ? WHERE id = ? AND status = 'pending'`
	return q.affectedOne(ctx, fmt.Sprintf("storage.StoreTicketMedia(%d)", id), query, key, contentType, size, q.now(), id)
}

// FailTicketMedia records that no copy of pending media id will be made,
// and why. It reports false, changing nothing, when the row is no longer
// pending.
func (q *queries) FailTicketMedia(ctx context.Context, id int64, reason string) (bool, error) {
	const query = `UPDATE ticket_media SET status = 'failed', attempts = attempts + 1, error = ?, updated_at = ?
		WHERE id = ? AND status = 'pending'`
	return q.affectedOne(ctx, fmt.Sprintf("storage.FailTicketMedia(%d)", id), query, reason, q.now(), id)
}

// NoteTicketMediaAttempt counts a failed try at pending media id that
// will be tried again, and why it failed.
func (q *queries) NoteTicketMediaAttempt(ctx context.Context, id int64, reason string) error {
	const query = `UPDATE ticket_media SET attempts = attempts + 1, error = ?, updated_at = ?
		WHERE id = ? AND status = 'pending'`
	_, err := q.affectedOne(ctx, fmt.Sprintf("storage.NoteTicketMediaAttempt(%d)", id), query, reason, q.now(), id)
	return err
}

// EraseTicketMedia marks every media row of the tickets with ids erased,
// forgetting its reference, type, size and error, and empties the
// tickets' photos (the same references). It returns the rows as they were,
// blob keys included: the caller deletes those blobs, then calls
// ForgetBlobKeys. Rows erased before are returned again, so an erasure
// that failed half-way can simply be repeated.
func (q *queries) EraseTicketMedia(ctx context.Context, ticketIDs []int64) ([]TicketMedia, error) {
	rows, err := q.TicketMediaOf(ctx, ticketIDs...)
	if err != nil || len(ticketIDs) == 0 {
		return rows, err
	}
	erase, args, err := sqlx.In(`UPDATE ticket_media SET status = 'erased', ref = '', content_type = '', size = 0,
		error = '', updated_at = ? WHERE ticket_id IN (?) AND status <> 'erased'`, q.now(), ticketIDs)
	if err != nil {
		return nil, fmt.Errorf("storage.EraseTicketMedia: %w", err)
	}
	if _, err := q.ext.ExecContext(ctx, q.q(erase), args...); err != nil {
		return nil, fmt.Errorf("storage.EraseTicketMedia: %w", mapError(err))
	}
	photos, args, err := sqlx.In(`UPDATE tickets SET photos = '[]' WHERE id IN (?) AND photos <> '[]'`, ticketIDs)
	if err != nil {
		return nil, fmt.Errorf("storage.EraseTicketMedia: %w", err)
	}
	if _, err := q.ext.ExecContext(ctx, q.q(photos), args...); err != nil {
		return nil, fmt.Errorf("storage.EraseTicketMedia: photos: %w", mapError(err))
	}
	return rows, nil
}

// ForgetBlobKeys clears the blob keys of erased media rows ids once their
// blobs are deleted.
func (q *queries) ForgetBlobKeys(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	query, args, err := sqlx.In(`UPDATE ticket_media SET blob_key = '' WHERE id IN (?) AND status = 'erased'`, ids)
	if err != nil {
		return fmt.Errorf("storage.ForgetBlobKeys: %w", err)
	}
	if _, err := q.ext.ExecContext(ctx, q.q(query), args...); err != nil {
		return fmt.Errorf("storage.ForgetBlobKeys: %w", mapError(err))
	}
	return nil
}

// ExpiredMediaTickets returns up to limit ids of tickets closed before
// before that still have media not erased, oldest first.
func (q *queries) ExpiredMediaTickets(ctx context.Context, before time.Time, limit int) ([]int64, error) {
	const query = `SELECT t.id FROM tickets t
		WHERE t.status = 'closed' AND t.closed_at < ?
		AND EXISTS (SELECT 1 FROM ticket_media m WHERE m.ticket_id = t.id AND m.status <> 'erased')
		ORDER BY t.closed_at, t.id LIMIT ?`
	var ids []int64
	if err := sqlx.SelectContext(ctx, q.ext, &ids, q.q(query), dbTime(before), limit); err != nil {
		return nil, fmt.Errorf("storage.ExpiredMediaTickets: %w", mapError(err))
	}
	return ids, nil
}

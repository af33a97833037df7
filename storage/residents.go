package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/tongxin/tongxin/bot"
)

var (
	_ bot.Residents = (*Store)(nil)
	_ bot.Residents = (*Tx)(nil)
)

// Resident returns the resident with openid, or bot.ErrNotFound.
func (q *queries) Resident(ctx context.Context, openid string) (bot.Resident, error) {
	const query = `
		SELECT openid, name, phone, address, role, note,
		       subscribed, subscribed_at, unsubscribed_at, created_at, updated_at
		FROM residents
		WHERE openid = ?`
	var r bot.Resident
	if err := sqlx.GetContext(ctx, q.ext, &r, q.q(query), openid); err != nil {
		return bot.Resident{}, fmt.Errorf("storage.Resident(%s): %w", bot.ShortID(openid), mapError(err))
	}
	utc(r.SubscribedAt)
	utc(r.UnsubscribedAt)
	utc(&r.CreatedAt)
	utc(&r.UpdatedAt)
	return r, nil
}

// SaveProfile creates or updates the resident's name, phone, address, role
// and note, leaving the subscription fields as they are. The timestamps and
// subscription fields of r are ignored.
func (q *queries) SaveProfile(ctx context.Context, r bot.Resident) error {
	const query = `
		INSERT INTO residents (openid, name, phone, address, role, note, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (openid) DO UPDATE SET
			name = excluded.name,
			phone = excluded.phone,
			address = excluded.address,
			role = excluded.role,
			note = excluded.note,
			updated_at = excluded.updated_at`
	if r.OpenID == "" {
		return fmt.Errorf("storage.SaveProfile: empty openid")
	}
	now := q.now()
	if _, err := q.ext.ExecContext(ctx, q.q(query),
		r.OpenID, r.Name, r.Phone, r.Address, r.Role, r.Note, now, now); err != nil {
		return fmt.Errorf("storage.SaveProfile(%s): %w", bot.ShortID(r.OpenID), mapError(err))
	}
	return nil
}

// SetSubscribed records a follow (true) or unfollow (false) at the given
// time, creating the resident when unknown and leaving the profile alone.
//
// An event older than the latest one recorded (WeChat delivering a late
// retry after a newer follow or unfollow) keeps its timestamp history but
// does not flip the subscription back.
func (q *queries) SetSubscribed(ctx context.Context, openid string, subscribed bool, at time.Time) error {
	// excluded.x_at is NULL for the event that did not happen, so the
	// COALESCE below is the event time whichever it was; comparisons with a
	// NULL column are NULL, which CASE treats as false.
	const query = `
		INSERT INTO residents (openid, subscribed, subscribed_at, unsubscribed_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (openid) DO UPDATE SET
			subscribed = CASE
				WHEN residents.subscribed_at > COALESCE(excluded.subscribed_at, excluded.unsubscribed_at)
				  OR residents.unsubscribed_at > COALESCE(excluded.subscribed_at, excluded.unsubscribed_at)
				THEN residents.subscribed
				ELSE excluded.subscribed
			END,
			subscribed_at = CASE
				WHEN excluded.subscribed_at IS NULL OR residents.subscribed_at > excluded.subscribed_at
				THEN residents.subscribed_at
				ELSE excluded.subscribed_at
			END,
			unsubscribed_at = CASE
				WHEN excluded.unsubscribed_at IS NULL OR residents.unsubscribed_at > excluded.unsubscribed_at
				THEN residents.unsubscribed_at
				ELSE excluded.unsubscribed_at
			END,
			updated_at = excluded.updated_at`
	if openid == "" {
		return fmt.Errorf("storage.SetSubscribed: empty openid")
	}
	at = dbTime(at)
	var subAt, unsubAt *time.Time
	if subscribed {
		subAt = &at
	} else {
		unsubAt = &at
	}
	now := q.now()
	if _, err := q.ext.ExecContext(ctx, q.q(query),
		openid, subscribed, subAt, unsubAt, now, now); err != nil {
		return fmt.Errorf("storage.SetSubscribed(%s, %t): %w", bot.ShortID(openid), subscribed, mapError(err))
	}
	return nil
}

// CountResidents returns how many residents the community has a record of,
// subscribed or not.
func (q *queries) CountResidents(ctx context.Context) (int, error) {
	const query = `SELECT COUNT(*) FROM residents`
	var n int
	if err := sqlx.GetContext(ctx, q.ext, &n, query); err != nil {
		return 0, fmt.Errorf("storage.CountResidents: %w", mapError(err))
	}
	return n, nil
}

// DeleteResident removes the resident's record, profile and subscription
// alike, and reports whether there was one.
func (q *queries) DeleteResident(ctx context.Context, openid string) (bool, error) {
	const query = `DELETE FROM residents WHERE openid = ?`
	n, err := q.execAffected(ctx, fmt.Sprintf("storage.DeleteResident(%s)", bot.ShortID(openid)), query, openid)
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// DeleteUnfollowed removes up to limit residents who unfollowed the
// account before before and have not followed again, oldest first, and
// returns how many.
func (q *queries) DeleteUnfollowed(ctx context.Context, before time.Time, limit int) (int, error) {
	const query = `DELETE FROM residents WHERE openid IN (
		SELECT openid FROM residents WHERE NOT subscribed AND unsubscribed_at < ?
		ORDER BY unsubscribed_at LIMIT ?)`
	n, err := q.execAffected(ctx, "storage.DeleteUnfollowed", query, dbTime(before), limit)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

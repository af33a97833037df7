package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/intent"
)

// UnrecognisedKeep is how long the texts nothing understood are kept: a
// season of questions is enough to grow the vocabulary, and nothing older
// is worth keeping even masked.
const UnrecognisedKeep = 90 * 24 * time.Hour

// UnrecognisedText is one masked text nothing understood and how often
// residents sent it in a period.
type UnrecognisedText struct {
	Text string `json:"text" db:"text"`
	// Count is how many times it came.
	Count int64 `json:"count" db:"n"`
	// Days is on how many days of the period it came.
	Days int64 `json:"days" db:"days"`
}

// Unrecognised is the store seen as bot.Unrecognised (the router's port
// for texts nothing understood).
type Unrecognised struct{ Store *Store }

var _ bot.Unrecognised = Unrecognised{}

// Record implements bot.Unrecognised with RecordUnrecognised.
func (u Unrecognised) Record(ctx context.Context, text string, at time.Time) error {
	return u.Store.RecordUnrecognised(ctx, text, at)
}

// RecordUnrecognised counts text as not understood on at's day in
// Asia/Shanghai. The text is normalised and masked here, before anything
// is written (intent.Mask: no digit runs, no names), so that the same
// question groups however it was typed and no personal data is kept; a
// text with nothing left is not kept. Rows older than UnrecognisedKeep go
// at the same time, so the table needs no retention job.
func (q *queries) RecordUnrecognised(ctx context.Context, text string, at time.Time) error {
	const (
		upsert = `
			INSERT INTO unrecognised_texts (day, text, count, last_at)
			VALUES (?, ?, 1, ?)
			ON CONFLICT (day, text) DO UPDATE SET
				count = unrecognised_texts.count + 1,
				last_at = excluded.last_at`
		expire = `DELETE FROM unrecognised_texts WHERE day < ?`
	)
	// "怎么办?" and "怎么办" are one question.
	masked := intent.Mask(strings.TrimRight(bot.Normalize(text), "?!~. "))
	if masked == "" {
		return nil
	}
	if _, err := q.ext.ExecContext(ctx, q.q(upsert), shanghaiDay(at), masked, dbTime(at)); err != nil {
		return fmt.Errorf("storage.RecordUnrecognised: %w", mapError(err))
	}
	if _, err := q.ext.ExecContext(ctx, q.q(expire), shanghaiDay(at.Add(-UnrecognisedKeep))); err != nil {
		return fmt.Errorf("storage.RecordUnrecognised: expire: %w", mapError(err))
	}
	return nil
}

// UnrecognisedTexts returns the texts nothing understood on the days from
// from (included) to to (excluded), most frequent first (then by text),
// at most limit of them.
func (q *queries) UnrecognisedTexts(ctx context.Context, from, to time.Time, limit int) ([]UnrecognisedText, error) {
	const query = `
		SELECT text, CAST(SUM(count) AS BIGINT) AS n, COUNT(*) AS days
		FROM unrecognised_texts
		WHERE day >= ? AND day < ?
		GROUP BY text
		ORDER BY n DESC, text
		LIMIT ?`
	return selectRows(ctx, q, "storage.UnrecognisedTexts",
		func(r UnrecognisedText) (UnrecognisedText, error) { return r, nil },
		query, shanghaiDay(from), shanghaiDay(to), limit)
}

// shanghaiDay is t's day in Asia/Shanghai, as the table keys it: YYYY-MM-DD, which
// sorts and compares as text on both engines.
func shanghaiDay(t time.Time) string { return t.In(bot.Shanghai).Format(time.DateOnly) }

package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Erasure actions.
const (
	ErasureErase     = "erase"     // one resident's data, on request
	ErasureRetention = "retention" // what outlived its retention period
)

// Erasure is one row of the erasure audit: when personal data was erased,
// by what, and how many records of each kind. It never says whose: an
// audit that kept the openid would keep what was erased.
type Erasure struct {
	ID     int64     `db:"id" json:"id"`
	At     time.Time `db:"at" json:"at"`
	Action string    `db:"action" json:"action"`
	// Actor is what asked: the admin API, the command line, the retention
	// job.
	Actor string `db:"actor" json:"actor"`
	// Counts are the records erased or anonymised, by kind ("tickets").
	Counts map[string]int `db:"-" json:"counts"`
}

// InsertErasure adds e to the audit at the store's clock, and sets e.ID
// and e.At.
func (q *queries) InsertErasure(ctx context.Context, e *Erasure) error {
	const query = `INSERT INTO erasures (at, action, actor, counts) VALUES (?, ?, ?, ?) RETURNING id`
	counts, err := json.Marshal(e.Counts)
	if err != nil {
		return fmt.Errorf("storage.InsertErasure: %w", err)
	}
	if e.Counts == nil {
		counts = []byte("{}")
	}
	e.At = q.now()
	if err := sqlx.GetContext(ctx, q.ext, &e.ID, q.q(query), e.At, e.Action, e.Actor, string(counts)); err != nil {
		return fmt.Errorf("storage.InsertErasure(%s): %w", e.Action, mapError(err))
	}
	return nil
}

// ListErasures returns the audit, newest first.
func (q *queries) ListErasures(ctx context.Context, limit, offset int) ([]Erasure, error) {
	const query = `SELECT id, at, action, actor, counts FROM erasures ORDER BY id DESC LIMIT ? OFFSET ?`
	var rows []struct {
		Erasure
		Counts string `db:"counts"`
	}
	if err := sqlx.SelectContext(ctx, q.ext, &rows, q.q(query), limit, offset); err != nil {
		return nil, fmt.Errorf("storage.ListErasures: %w", mapError(err))
	}
	out := make([]Erasure, 0, len(rows))
	for _, r := range rows {
		e := r.Erasure
		e.At = e.At.UTC()
		if err := json.Unmarshal([]byte(r.Counts), &e.Counts); err != nil {
			return nil, fmt.Errorf("storage.ListErasures: erasure %d: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, nil
}

package storage

import (
	"context"
	"fmt"
	"github.com/tongxin/tongxin/bot"

	"github.com/jmoiron/sqlx"
)

// getRow reads one row of query as R and converts it with conv; op names
// the call in errors, and a missing row is bot.ErrNotFound (mapError).
func getRow[R, T any](ctx context.Context, q *queries, op string, conv func(R) (T, error), query string, args ...any) (T, error) {
	var r R
	var zero T
	if err := sqlx.GetContext(ctx, q.ext, &r, q.q(query), args...); err != nil {
		return zero, fmt.Errorf("%s: %w", op, mapError(err))
	}
	t, err := conv(r)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", op, err)
	}
	return t, nil
}

// selectRows reads the rows of query as R and converts each with conv.
func selectRows[R, T any](ctx context.Context, q *queries, op string, conv func(R) (T, error), query string, args ...any) ([]T, error) {
	var rows []R
	if err := sqlx.SelectContext(ctx, q.ext, &rows, q.q(query), args...); err != nil {
		return nil, fmt.Errorf("%s: %w", op, mapError(err))
	}
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		t, err := conv(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// execAffected runs a statement and returns how many rows it changed; op
// names the call in errors.
func (q *queries) execAffected(ctx context.Context, op, query string, args ...any) (int64, error) {
	res, err := q.ext.ExecContext(ctx, q.q(query), args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, mapError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return n, nil
}

// affectedOne runs a statement meant to change one row and reports
// whether it did: a conditional update another instance may have won.
func (q *queries) affectedOne(ctx context.Context, op, query string, args ...any) (bool, error) {
	n, err := q.execAffected(ctx, op, query, args...)
	return n == 1, err
}

// updateOne runs a statement that changes the one row it names, and
// returns bot.ErrNotFound (wrapped with op) when there is no such row.
func (q *queries) updateOne(ctx context.Context, op, query string, args ...any) error {
	ok, err := q.affectedOne(ctx, op, query, args...)
	if err == nil && !ok {
		err = fmt.Errorf("%s: %w", op, bot.ErrNotFound)
	}
	return err
}

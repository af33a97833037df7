package storage

import (
	"context"
	"fmt"

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

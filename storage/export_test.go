package storage

import "context"

// ExecForTest runs a statement through the same rebinding and error mapping
// as the aggregate methods, so tests can provoke driver errors directly.
func (q *queries) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := q.ext.ExecContext(ctx, q.q(query), args...)
	return mapError(err)
}

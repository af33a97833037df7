package storage

import "context"

// ExecForTest runs a statement through the same rebinding and error mapping
// as the aggregate methods, so tests can provoke driver errors directly.
func (q *queries) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := q.ext.ExecContext(ctx, q.q(query), args...)
	return mapError(err)
}

// MigrateToForTest brings the schema up to version and no further, so a
// test can write rows as an older release did before the next migration.
func (s *Store) MigrateToForTest(ctx context.Context, version int64) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// IsBusyForTest is isBusy, the test of a begin worth trying again.
var IsBusyForTest = isBusy

package storage

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds one directory of goose SQL files per engine. The two sets
// are kept in step by hand: every change gets the same version number in
// both.
//
//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrations embed.FS

// Migrate brings the schema up to date. It is idempotent, and on PostgreSQL
// an advisory lock makes instances that start together take turns, so serve
// can call it on every start.
//
// SQLite has no such lock: it is meant for one process, whose concurrent
// Migrate calls the Provider already serialises.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return fmt.Errorf("storage.Migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("storage.Migrate: %w", err)
	}
	return nil
}

// provider builds a goose Provider for the store's engine. It touches no
// goose globals, so tests migrating many databases at once do not interfere.
func (s *Store) provider() (*goose.Provider, error) {
	var (
		dialect goose.Dialect
		opts    = []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	)
	switch s.engine {
	case EnginePostgres:
		dialect = goose.DialectPostgres
		// Poll every second rather than goose's default five: a second
		// instance waits for the first only as long as its migrations take.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	case EngineSQLite:
		dialect = goose.DialectSQLite3
	default:
		return nil, fmt.Errorf("no migrations for engine %q", s.engine)
	}
	dir, err := fs.Sub(migrations, "migrations/"+s.engine)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, s.db.DB, dir, opts...)
}

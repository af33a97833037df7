package storage

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"  // registers the "postgres" driver
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Engine names, as returned by Store.Engine and used as sqlx driver names.
const (
	EnginePostgres = "postgres"
	EngineSQLite   = "sqlite"
)

func init() {
	// sqlx knows "sqlite3" (mattn) but not modernc's "sqlite"; without this
	// Rebind would leave ? alone only by accident of the UNKNOWN default.
	sqlx.BindDriver(EngineSQLite, sqlx.QUESTION)
}

// sqlitePragmas are set on every SQLite connection. WAL lets readers run
// beside the one writer; busy_timeout makes a second writer wait instead of
// failing; _txlock=immediate takes the write lock at BEGIN, because a
// deferred transaction that upgrades from read to write gets SQLITE_BUSY at
// once, without waiting, when another writer got there first.
var sqlitePragmas = url.Values{
	"_pragma": {
		"busy_timeout(5000)",
		"journal_mode(WAL)",
		"synchronous(NORMAL)",
		"foreign_keys(ON)",
	},
	"_txlock": {"immediate"},
	// Times are written as "2006-01-02 15:04:05.999999999+00:00", which
	// modernc parses back and which compares correctly as text.
	"_time_format": {"sqlite"},
	"_timezone":    {"UTC"},
}

// Store is the database of tongxin. Its aggregate methods (Resident,
// SaveProfile, ...) run each statement on their own; use Transact to run
// several atomically.
type Store struct {
	queries
	db     *sqlx.DB
	engine string

	// Now is the clock; tests replace it. Whatever it returns is stored in
	// UTC.
	Now func() time.Time
}

// DefaultMaxConns is how many connections a Store opens at most on
// PostgreSQL when Pool.MaxConns is 0. A server allows max_connections
// (100 by default) for every instance, the admin tools and replication
// together; 20 leaves room for a few instances, while requests beyond
// 20 at once wait for a connection in the pool instead of being
// refused by the server ("too many clients").
const DefaultMaxConns = 20

// DefaultSQLiteConns is DefaultMaxConns for SQLite. Its one writer at a
// time waits for the others by polling the lock with ever longer sleeps
// (busy_timeout), so under load newcomers overtake those that waited
// longest, and one that waited 5 s fails with SQLITE_BUSY: with an
// unbounded pool, hundreds of residents confirming at once on a busy
// machine saw "system error" replies. A few connections keep WAL's
// readers concurrent while the rest queue in the pool, in Go, under their
// request's deadline. Two are the least that work: migrations hold one
// for their lock while they run on another.
const DefaultSQLiteConns = 4

// Connections older than maxConnLifetime are closed and replaced, so that
// a server failover or a connection pooler's rebalancing reaches every
// instance; idle ones are closed after maxConnIdleTime, so a quiet
// instance gives its share back to the server.
const (
	maxConnLifetime = 30 * time.Minute
	maxConnIdleTime = 5 * time.Minute
)

// Pool bounds a Store's connections.
type Pool struct {
	// MaxConns is the most connections open at once; 0 means
	// DefaultMaxConns on PostgreSQL and DefaultSQLiteConns on SQLite.
	// Idle connections are kept up to the same number: below it a busy
	// instance would open and close a connection per request.
	MaxConns int
}

// Open connects to the database at rawURL, a postgres:// (or postgresql://)
// URL or sqlite://PATH, with the engine's default Pool, and checks that it
// answers. It does not migrate: call Migrate.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	return OpenPool(ctx, rawURL, Pool{})
}

// OpenPool is Open with the connections bounded by pool.
func OpenPool(ctx context.Context, rawURL string, pool Pool) (*Store, error) {
	driver, dsn, err := parseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("storage.Open: %w", err)
	}
	if pool.MaxConns < 0 {
		return nil, fmt.Errorf("storage.Open(%s): MaxConns %d is negative", driver, pool.MaxConns)
	}
	db, err := sqlx.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("storage.Open(%s): %w", driver, err)
	}
	n := pool.MaxConns
	if n == 0 {
		n = DefaultMaxConns
		if driver == EngineSQLite {
			n = DefaultSQLiteConns
		}
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(maxConnLifetime)
	db.SetConnMaxIdleTime(maxConnIdleTime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage.Open(%s): ping: %w", driver, err)
	}
	s := &Store{db: db, engine: driver, Now: time.Now}
	s.queries = queries{ext: db, store: s}
	return s, nil
}

// parseURL turns a TONGXIN_DATABASE_URL into a driver name and its DSN. The
// SQLite DSN carries the pragmas; a query on the sqlite:// URL is passed on
// after them, so a caller can add to or override them.
func parseURL(rawURL string) (driver, dsn string, err error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return "", "", fmt.Errorf("database URL has no scheme: want postgres://... or sqlite://PATH")
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		return EnginePostgres, rawURL, nil
	case "sqlite":
		path, query, _ := strings.Cut(rest, "?")
		if path == "" {
			return "", "", fmt.Errorf("sqlite URL has no path: want sqlite://PATH")
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return "", "", fmt.Errorf("creating directory for sqlite database: %w", err)
			}
		}
		params := url.Values{}
		for k, v := range sqlitePragmas {
			params[k] = append([]string(nil), v...)
		}
		extra, err := url.ParseQuery(query)
		if err != nil {
			return "", "", fmt.Errorf("sqlite URL query: %w", err)
		}
		for k, v := range extra {
			if k == "_pragma" {
				params[k] = append(params[k], v...)
			} else {
				params[k] = v
			}
		}
		return EngineSQLite, path + "?" + params.Encode(), nil
	default:
		return "", "", fmt.Errorf("unsupported database URL scheme %q: want postgres://... or sqlite://PATH", scheme)
	}
}

// Engine returns EnginePostgres or EngineSQLite, for the rare statement that
// cannot be written once for both.
func (s *Store) Engine() string { return s.engine }

// DB returns the connection pool, so that other components (a job queue)
// share it instead of opening their own.
func (s *Store) DB() *sqlx.DB { return s.db }

// Ping checks that the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("storage.Ping: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("storage.Close: %w", err)
	}
	return nil
}

// Tx is a transaction begun by Store.Transact. It has the same aggregate
// methods as Store; they run inside the transaction.
type Tx struct {
	queries
	tx *sqlx.Tx
}

// SQLTx returns the underlying transaction, so that code outside storage
// (a job queue) can write in the same transaction.
func (tx *Tx) SQLTx() *sqlx.Tx { return tx.tx }

// Transact runs fn in a transaction and commits it if fn returns nil. It
// rolls back if fn returns an error, which Transact returns unchanged, or
// panics, in which case it panics again after the rollback.
func (s *Store) Transact(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("storage.Transact: begin: %w", mapError(err))
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		// The rollback error is dropped: the error or panic of fn is the
		// one worth reporting, and the database discards an unfinished
		// transaction anyway when the connection goes.
		_ = sqlTx.Rollback()
	}()
	tx := &Tx{tx: sqlTx}
	tx.queries = queries{ext: sqlTx, store: s}
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("storage.Transact: commit: %w", mapError(err))
	}
	return nil
}

// beginAttempts is how many times begin tries to start a transaction
// that SQLite refused as busy.
const beginAttempts = 3

// begin starts a transaction. On SQLite a writer waits for the lock by
// polling it (busy_timeout, 5 s), which is not fair: on a starved
// machine a transaction that waited longest can still be overtaken until
// the timeout and fail with SQLITE_BUSY at BEGIN IMMEDIATE, before it did
// anything. Such a begin is tried again, up to beginAttempts times, while
// ctx lasts; any other error, and every error on PostgreSQL, is returned
// at once.
func (s *Store) begin(ctx context.Context) (*sqlx.Tx, error) {
	for attempt := 1; ; attempt++ {
		tx, err := s.db.BeginTxx(ctx, nil)
		if err == nil || attempt == beginAttempts || !isBusy(err) || ctx.Err() != nil {
			return tx, err
		}
	}
}

// queries holds what every aggregate method needs, whether it runs on the
// pool or in a transaction, so that each method is written once.
type queries struct {
	ext   sqlx.ExtContext
	store *Store
}

// q rebinds a query written with ? for the engine.
func (q *queries) q(query string) string { return q.ext.Rebind(query) }

// now returns the store's clock in the form every engine stores exactly.
func (q *queries) now() time.Time { return dbTime(q.store.Now()) }

// dbTime normalises a time for storage: UTC, and no finer than PostgreSQL
// keeps, so that what is read back equals what was written on both engines.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// utc puts a scanned time in UTC: lib/pq returns the session's zone.
func utc(t *time.Time) {
	if t != nil {
		*t = t.UTC()
	}
}

// Package storagetest gives tests a real, migrated, private database: SQLite
// in the test's temporary directory, or a fresh PostgreSQL database on the
// server of TONGXIN_TEST_POSTGRES_URL, dropped when the test ends.
//
// It is for tests only; it never touches a database it did not create.
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/tongxin/tongxin/storage"
)

// Environment variables that choose the services tests run against.
const (
	// EnvPostgresURL names a PostgreSQL server (any database on it) where
	// tests may create and drop databases.
	EnvPostgresURL = "TONGXIN_TEST_POSTGRES_URL"
	// EnvRequireServices, set to 1, turns a missing service into a failure,
	// so that CI cannot pass by skipping.
	EnvRequireServices = "TONGXIN_TEST_REQUIRE_SERVICES"
)

// SQLiteURL returns a sqlite:// URL for a database file in t's temporary
// directory, for tests that start the whole server.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "tongxin.db")
}

// Open returns a migrated Store on a fresh SQLite database in t's temporary
// directory, closed when the test ends.
func Open(t testing.TB) *storage.Store {
	t.Helper()
	return openMigrated(t, SQLiteURL(t))
}

// OpenPostgres returns a migrated Store on a fresh PostgreSQL database,
// closed and dropped when the test ends. It skips the test when
// TONGXIN_TEST_POSTGRES_URL is unset, or fails it if
// TONGXIN_TEST_REQUIRE_SERVICES=1.
func OpenPostgres(t testing.TB) *storage.Store {
	t.Helper()
	return openMigrated(t, PostgresURL(t))
}

// PostgresURL creates an empty PostgreSQL database, dropped when the test
// ends, and returns its URL, for tests that start the whole server with
// TONGXIN_DATABASE_URL. It skips or fails like OpenPostgres.
func PostgresURL(t testing.TB) string {
	t.Helper()
	server := os.Getenv(EnvPostgresURL)
	if server == "" {
		if os.Getenv(EnvRequireServices) == "1" {
			t.Fatalf("%s is not set and %s=1", EnvPostgresURL, EnvRequireServices)
		}
		t.Skipf("%s is not set", EnvPostgresURL)
	}
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("parsing %s: %v", EnvPostgresURL, err)
	}

	admin, err := sqlx.Open(storage.EnginePostgres, server)
	if err != nil {
		t.Fatalf("connecting to %s: %v", EnvPostgresURL, err)
	}
	defer admin.Close()

	name := "tongxin_test_" + randomHex(8)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sqlx.Open(storage.EnginePostgres, server)
		if err != nil {
			t.Errorf("connecting to drop test database %s: %v", name, err)
			return
		}
		defer admin.Close()
		// FORCE ends connections a test left open (a server still shutting
		// down), which would otherwise make the drop fail.
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
		}
	})

	u.Path = "/" + name
	return u.String()
}

// Engines runs fn as a subtest on each engine: "sqlite" always, "postgres"
// when TONGXIN_TEST_POSTGRES_URL is set (see OpenPostgres).
func Engines(t *testing.T, fn func(t *testing.T, s *storage.Store)) {
	t.Helper()
	EngineURLs(t, func(t *testing.T, dbURL string) {
		t.Helper()
		fn(t, openMigrated(t, dbURL))
	})
}

// EngineURLs is Engines for tests that start the whole server: fn gets the
// URL of an empty database (SQLiteURL, PostgresURL) rather than a Store.
func EngineURLs(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Helper()
	t.Run(storage.EngineSQLite, func(t *testing.T) {
		t.Helper()
		fn(t, SQLiteURL(t))
	})
	t.Run(storage.EnginePostgres, func(t *testing.T) {
		t.Helper()
		fn(t, PostgresURL(t))
	})
}

func openMigrated(t testing.TB, dbURL string) *storage.Store {
	t.Helper()
	ctx := context.Background()
	s, err := storage.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("opening test database: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing test database: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrating test database: %v", err)
	}
	return s
}

// randomHex returns n random bytes in lower-case hex: a valid unquoted
// PostgreSQL identifier suffix.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}

// Dump is every value of every row of every table, River's included, one
// line per row: a test of erasure looks for what must be gone.
func Dump(t *testing.T, s *storage.Store) string {
	t.Helper()
	ctx := context.Background()
	var tables []string
	query := `SELECT name FROM sqlite_schema WHERE type = 'table'`
	if s.Engine() == storage.EnginePostgres {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	if err := s.DB().SelectContext(ctx, &tables, query); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, table := range tables {
		rows, err := s.DB().QueryxContext(ctx, `SELECT * FROM `+table)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatalf("dump %s: %v", table, err)
			}
			b.WriteString(table)
			for _, v := range vals {
				if raw, ok := v.([]byte); ok {
					v = string(raw)
				}
				fmt.Fprintf(&b, "\t%v", v)
			}
			b.WriteByte('\n')
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

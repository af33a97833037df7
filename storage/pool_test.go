package storage_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// TestPoolLimits checks what each engine's pool is set to: its default
// unless told otherwise.
func TestPoolLimits(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		engine string
		pool   storage.Pool
		want   int
	}{
		{storage.EngineSQLite, storage.Pool{}, storage.DefaultSQLiteConns},
		{storage.EngineSQLite, storage.Pool{MaxConns: 7}, 7},
		{storage.EnginePostgres, storage.Pool{}, storage.DefaultMaxConns},
		{storage.EnginePostgres, storage.Pool{MaxConns: 7}, 7},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/MaxConns=%d", tt.engine, tt.pool.MaxConns), func(t *testing.T) {
			var dbURL string
			if tt.engine == storage.EngineSQLite {
				dbURL = storagetest.SQLiteURL(t)
			} else {
				dbURL = storagetest.PostgresURL(t)
			}
			s, err := storage.OpenPool(ctx, dbURL, tt.pool)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := s.DB().Stats().MaxOpenConnections; got != tt.want {
				t.Errorf("MaxOpenConnections = %d, want %d", got, tt.want)
			}
		})
	}
	// Open is OpenPool with the engine's defaults.
	s, err := storage.Open(ctx, storagetest.SQLiteURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.DB().Stats().MaxOpenConnections; got != storage.DefaultSQLiteConns {
		t.Errorf("Open(sqlite): MaxOpenConnections = %d, want %d", got, storage.DefaultSQLiteConns)
	}
}

// TestPoolStaysWithinServerLimit reproduces "too many clients": a role
// allowed only a few connections (as a server with max_connections = 100
// is, shared by every instance) and many more concurrent queries than
// that. Without a bound the pool opens a connection per query and the
// server refuses the extra ones; with MaxConns the queries queue in the
// pool and all succeed. The role is dropped when the test ends.
func TestPoolStaysWithinServerLimit(t *testing.T) {
	const limit, queries = 3, 12
	roleURL := limitedRole(t, limit)
	ctx := context.Background()
	run := func(db *sqlx.DB) (failed int, first error) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for range queries {
			wg.Go(func() {
				// Long enough that many queries overlap.
				if _, err := db.ExecContext(ctx, `SELECT pg_sleep(0.05)`); err != nil {
					mu.Lock()
					failed++
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return failed, first
	}

	// The premise: an unbounded pool runs out of the role's connections.
	// Holding them (rather than hoping queries overlap) makes it certain.
	raw, err := sqlx.Open(storage.EnginePostgres, roleURL)
	if err != nil {
		t.Fatal(err)
	}
	var held []*sql.Conn
	for range limit {
		c, err := raw.Conn(ctx)
		if err == nil {
			err = c.PingContext(ctx)
		}
		if err != nil {
			t.Fatalf("connection %d of the role's %d: %v", len(held)+1, limit, err)
		}
		held = append(held, c)
	}
	if c, err := raw.Conn(ctx); err == nil {
		err = c.PingContext(ctx)
		c.Close()
		if err == nil || !strings.Contains(err.Error(), "too many connections") {
			t.Fatalf("an unbounded pool past the role's limit: %v, want too many connections", err)
		}
	} else if !strings.Contains(err.Error(), "too many connections") {
		t.Fatalf("an unbounded pool past the role's limit: %v, want too many connections", err)
	}
	for _, c := range held {
		c.Close()
	}

	// The server ends a closed connection's session a moment later; the
	// bounded pool starts once the role has none left.
	raw.Close()
	bottest.WaitFor(t, 10*time.Second, "the unbounded pool's sessions to end", func() bool {
		return sessions(t, roleURL) == 0
	})

	s, err := storage.OpenPool(ctx, roleURL, storage.Pool{MaxConns: limit})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if failed, err := run(s.DB()); failed > 0 {
		t.Errorf("a pool of %d: %d of %d queries failed, first: %v", limit, failed, queries, err)
	}
	if st := s.DB().Stats(); st.OpenConnections > limit || st.MaxOpenConnections != limit {
		t.Errorf("stats %+v, want at most %d open", st, limit)
	}
}

// limitedRole creates a login role with CONNECTION LIMIT n on the test
// PostgreSQL server (superusers ignore the limit, so the test cannot use
// the server's own user) and returns a URL of a fresh database as that
// role. Database and role are dropped when the test ends.
func limitedRole(t *testing.T, n int) string {
	t.Helper()
	dbURL := storagetest.PostgresURL(t) // skips without a server
	admin, err := sqlx.Open(storage.EnginePostgres, os.Getenv(storagetest.EnvPostgresURL))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 8)
	rand.Read(b)
	role := "tongxin_test_role_" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, fmt.Sprintf(`CREATE ROLE %s LOGIN CONNECTION LIMIT %d`, role, n)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// After the pools closed (cleanups run last first); a session the
		// server has not ended yet would not stop DROP ROLE.
		if _, err := admin.ExecContext(ctx, `DROP ROLE IF EXISTS `+role); err != nil {
			t.Errorf("dropping role %s: %v", role, err)
		}
	})
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return u.String()
}

// sessions counts the server's sessions of the role in roleURL.
func sessions(t *testing.T, roleURL string) int {
	t.Helper()
	u, err := url.Parse(roleURL)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sqlx.Open(storage.EnginePostgres, os.Getenv(storagetest.EnvPostgresURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.GetContext(context.Background(), &n, `SELECT COUNT(*) FROM pg_stat_activity WHERE usename = $1`, u.User.Username()); err != nil {
		t.Fatal(err)
	}
	return n
}

package storage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

func TestOpenRejectsBadURLs(t *testing.T) {
	for _, u := range []string{
		"",
		"tongxin.db",
		"mysql://root@localhost/tongxin",
		"sqlite://",
		"sqlite://?_txlock=immediate",
	} {
		t.Run(u, func(t *testing.T) {
			s, err := storage.Open(context.Background(), u)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", u)
			}
		})
	}
}

func TestOpenSQLiteCreatesDirectory(t *testing.T) {
	t.Run("absolute", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a", "b", "tongxin.db")
		openAndMigrate(t, "sqlite://"+path)
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("database file: %v", err)
		}
	})
	t.Run("relative", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		openAndMigrate(t, "sqlite://data/tongxin.db")
		if _, err := os.Stat(filepath.Join(dir, "data", "tongxin.db")); err != nil {
			t.Fatalf("database file: %v", err)
		}
	})
}

func openAndMigrate(t *testing.T, u string) *storage.Store {
	t.Helper()
	ctx := context.Background()
	s, err := storage.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if got := s.Engine(); got != storage.EngineSQLite {
		t.Errorf("Engine() = %q, want %q", got, storage.EngineSQLite)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSQLitePragmas(t *testing.T) {
	s := storagetest.Open(t)
	ctx := context.Background()
	// Ask several connections: the pragmas must hold on every one of the
	// pool, not only the first.
	conns := make([]interface{ Close() error }, 0, 3)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 3 {
		c, err := s.DB().Connx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		got := map[string]string{}
		for _, p := range []string{"journal_mode", "busy_timeout", "foreign_keys", "synchronous"} {
			var v string
			if err := c.GetContext(ctx, &v, "PRAGMA "+p); err != nil {
				t.Fatalf("PRAGMA %s: %v", p, err)
			}
			got[p] = v
		}
		want := map[string]string{"journal_mode": "wal", "busy_timeout": "5000", "foreign_keys": "1", "synchronous": "1"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("pragmas mismatch (-want +got):\n%s", diff)
		}
	}
}

func TestPingAndEngine(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got, want := s.Engine(), s.DB().DriverName(); got != want {
			t.Errorf("Engine() = %q, driver %q", got, want)
		}
	})
}

func gooseVersions(t *testing.T, s *storage.Store) []int64 {
	t.Helper()
	var v []int64
	if err := s.DB().SelectContext(context.Background(), &v,
		"SELECT version_id FROM goose_db_version ORDER BY id"); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrateTwiceIsNoOp(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		before := gooseVersions(t, s)
		if len(before) < 2 { // version 0 plus at least one migration
			t.Fatalf("goose_db_version = %v, want migrations applied", before)
		}
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, gooseVersions(t, s)); diff != "" {
			t.Errorf("versions mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestMigrateConcurrentlyOnPostgres(t *testing.T) {
	u := storagetest.PostgresURL(t)
	ctx := context.Background()
	var stores []*storage.Store
	for range 2 {
		s, err := storage.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}
	// Each version recorded once: the second instance waited for the
	// first and then found nothing to do.
	got := gooseVersions(t, stores[0])
	seen := map[int64]bool{}
	for _, v := range got {
		if seen[v] {
			t.Errorf("version %d applied twice: %v", v, got)
		}
		seen[v] = true
	}
	if _, err := stores[1].CountResidents(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestErrorMapping(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if _, err := s.Resident(ctx, "o-missing-resident"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Resident(missing) error = %v, want ErrNotFound", err)
		}
		const insert = `INSERT INTO residents (openid, created_at, updated_at) VALUES (?, ?, ?)`
		now := time.Now().UTC()
		err := s.Transact(ctx, func(tx *storage.Tx) error {
			if err := tx.ExecForTest(ctx, insert, "o-dup", now, now); err != nil {
				t.Fatalf("first insert: %v", err)
			}
			return tx.ExecForTest(ctx, insert, "o-dup", now, now)
		})
		if !errors.Is(err, bot.ErrConflict) {
			t.Fatalf("duplicate insert error = %v, want ErrConflict", err)
		}
		if _, err := s.Resident(ctx, "o-dup"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("after rolled back conflict, Resident error = %v, want ErrNotFound", err)
		}
	})
}

func TestTransact(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		save := func(tx *storage.Tx, openid string) {
			t.Helper()
			if err := tx.SaveProfile(ctx, bot.Resident{OpenID: openid, Name: "张三"}); err != nil {
				t.Fatal(err)
			}
			// The transaction sees its own write.
			if _, err := tx.Resident(ctx, openid); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("commit", func(t *testing.T) {
			if err := s.Transact(ctx, func(tx *storage.Tx) error {
				save(tx, "o-commit")
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Resident(ctx, "o-commit"); err != nil {
				t.Errorf("after commit: %v", err)
			}
		})

		t.Run("error", func(t *testing.T) {
			errBoom := errors.New("boom")
			err := s.Transact(ctx, func(tx *storage.Tx) error {
				save(tx, "o-error")
				return errBoom
			})
			if !errors.Is(err, errBoom) {
				t.Fatalf("Transact error = %v, want %v", err, errBoom)
			}
			if _, err := s.Resident(ctx, "o-error"); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("after rollback, Resident error = %v, want ErrNotFound", err)
			}
		})

		t.Run("panic", func(t *testing.T) {
			got := func() (p any) {
				defer func() { p = recover() }()
				s.Transact(ctx, func(tx *storage.Tx) error {
					save(tx, "o-panic")
					panic("boom")
				})
				return nil
			}()
			if got != "boom" {
				t.Fatalf("recovered %v, want the panic of fn re-raised", got)
			}
			if _, err := s.Resident(ctx, "o-panic"); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("after panic, Resident error = %v, want ErrNotFound", err)
			}
			// The rollback released the write lock: writing works again.
			if err := s.SaveProfile(ctx, bot.Resident{OpenID: "o-after-panic"}); err != nil {
				t.Errorf("write after panic: %v", err)
			}
		})
	})
}

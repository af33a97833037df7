package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/tongxin/tongxin/storage"
	_ "modernc.org/sqlite"
)

// TestBusyIsRecognised: the error SQLite gives a BEGIN IMMEDIATE while
// another connection holds the write lock is the one Transact tries
// again; other errors are not. With busy_timeout 0 the refusal is
// immediate, so nothing waits.
func TestBusyIsRecognised(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	open := func() *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)&_pragma=journal_mode(WAL)&_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db
	}
	ctx := context.Background()
	a, b := open(), open()
	if _, err := a.ExecContext(ctx, "CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	held, err := a.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback()
	_, err = b.BeginTx(ctx, nil)
	if err == nil {
		t.Fatal("a second writer began while the first held the lock")
	}
	if !storage.IsBusyForTest(err) {
		t.Errorf("isBusy(%v) = false", err)
	}
	if storage.IsBusyForTest(errors.New("database is locked")) || storage.IsBusyForTest(sql.ErrNoRows) {
		t.Error("isBusy took another error for SQLITE_BUSY")
	}
}

package storage

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"github.com/tongxin/tongxin/bot"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// mapError turns the driver errors callers act on into bot's sentinels, so
// that no code outside storage needs to know which engine it runs on. The
// driver error stays in the chain for the logs; its text names the
// constraint, never the values.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return bot.ErrNotFound
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == pqerror.UniqueViolation {
		return fmt.Errorf("%w: %w", bot.ErrConflict, err)
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", bot.ErrConflict, err)
		}
	}
	return err
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (the write lock
// was not had within busy_timeout).
func isBusy(err error) bool {
	var liteErr *sqlite.Error
	return errors.As(err, &liteErr) && liteErr.Code()&0xff == sqlite3.SQLITE_BUSY
}

// isForeignKey reports whether err is a foreign-key violation: a row
// still referred to, or a reference to a row that is gone.
func isForeignKey(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == pqerror.ForeignKeyViolation {
		return true
	}
	var liteErr *sqlite.Error
	return errors.As(err, &liteErr) && liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

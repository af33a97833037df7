// Package notifytest gives service tests an outbox that records notices
// in the real ledger, in the caller's transaction, without delivering
// them: nothing starts its job runner, so tests read what was queued
// from the notifications table.
package notifytest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
)

// Queue returns an outbox on store that only queues, with the job
// tables migrated; cfg tunes it as in production (LogOnly, templates).
func Queue(t testing.TB, store *storage.Store, cfg notify.Config) *notify.Outbox {
	t.Helper()
	if err := jobs.Migrate(context.Background(), store); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	runner, err := jobs.New(store, jobs.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	box, err := notify.New(runner, store, nil, cfg, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

func TestNotificationLedger(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		insert := func(key, to string, due time.Time) int64 {
			t.Helper()
			n := &storage.Notification{IdemKey: key, Kind: "test", Recipient: to, Payload: `{"text":"x"}`, NotBefore: due}
			created, err := s.InsertNotification(ctx, n)
			if err != nil || !created {
				t.Fatalf("insert %s: %v, created %v", key, err, created)
			}
			return n.ID
		}
		a1 := insert("a1", "o-a", now)
		later := insert("a2-quiet", "o-a", now.Add(9*time.Hour))
		a3 := insert("a3", "o-a", now)
		b1 := insert("b1", "o-b", now)

		// The same key never makes a second row.
		dup := &storage.Notification{IdemKey: "a1", Kind: "test", Recipient: "o-a", Payload: "{}"}
		if created, err := s.InsertNotification(ctx, dup); err != nil || created || dup.ID != a1 {
			t.Errorf("duplicate key: created %v, id %d (want %d), %v", created, dup.ID, a1, err)
		}
		// Oldest due first; the row held for quiet hours does not block a3.
		next, err := s.NextDue(ctx, "o-a", a3, now)
		if err != nil || next.ID != a1 {
			t.Errorf("NextDue(a3) = %d, %v; want a1 = %d", next.ID, err, a1)
		}
		// Only one worker gets a lease until it expires.
		if ok, err := s.ClaimNotification(ctx, a1, now, 30*time.Second); err != nil || !ok {
			t.Fatalf("first claim: %v %v", ok, err)
		}
		if ok, _ := s.ClaimNotification(ctx, a1, now.Add(10*time.Second), 30*time.Second); ok {
			t.Error("a second worker claimed a leased row")
		}
		if ok, _ := s.ClaimNotification(ctx, a1, now.Add(31*time.Second), 30*time.Second); !ok {
			t.Error("an expired lease was not taken over")
		}
		if err := s.FinishNotification(ctx, a1, storage.NotificationSent, "customer_service", ""); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishNotification(ctx, a1, storage.NotificationSent, "customer_service", ""); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("finishing twice: %v, want ErrConflict", err)
		}
		if next, _ := s.NextDue(ctx, "o-a", a3, now); next.ID != a3 {
			t.Errorf("after a1 was sent NextDue(a3) = %d, want %d", next.ID, a3)
		}
		if _, err := s.NextDue(ctx, "o-a", a1, now); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("NextDue of a sent row: %v, want ErrNotFound", err)
		}
		got, err := s.Notification(ctx, a1)
		if err != nil || got.Status != storage.NotificationSent || got.Attempts != 1 || got.SentAt == nil || !got.SentAt.Equal(now) {
			t.Errorf("sent row: %+v, %v", got, err)
		}
		// A failed row can be re-queued once; a sent one cannot.
		if err := s.NoteAttempt(ctx, b1, "HTTP 503"); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishNotification(ctx, b1, storage.NotificationFailed, "customer_service", "43004 require subscribe"); err != nil {
			t.Fatal(err)
		}
		if err := s.RequeueNotification(ctx, b1); err != nil {
			t.Errorf("requeue failed row: %v", err)
		}
		if err := s.RequeueNotification(ctx, a1); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("requeue sent row: %v, want ErrConflict", err)
		}
		if err := s.RequeueNotification(ctx, 99999); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("requeue unknown row: %v, want ErrNotFound", err)
		}
		pending, err := s.ListNotifications(ctx, storage.NotificationPending, 10, 0)
		if err != nil || len(pending) != 3 || pending[0].ID != b1 || pending[2].ID != later {
			t.Errorf("pending list: %+v, %v", pending, err)
		}
		if n, err := s.CountNotifications(ctx, storage.NotificationPending); err != nil || n != 3 {
			t.Errorf("pending count %d, %v", n, err)
		}
		if all, _ := s.ListNotifications(ctx, "", 2, 1); len(all) != 2 {
			t.Errorf("paged list: %d rows", len(all))
		}
	})
}

// TestMergeable: what may go out with a notification is what waits for
// the same recipient under the same merge key, is due and is not being
// sent by another worker; a released row is free again.
func TestMergeable(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		insert := func(key, to, merge string, due time.Time) storage.Notification {
			t.Helper()
			n := &storage.Notification{IdemKey: key, Kind: "test", Recipient: to, Payload: `{"text":"x"}`, MergeKey: merge, NotBefore: due}
			if _, err := s.InsertNotification(ctx, n); err != nil {
				t.Fatal(err)
			}
			return *n
		}
		lead := insert("lead", "o-a", "ticket:1:staff", now)
		want := insert("same", "o-a", "ticket:1:staff", now)
		leased := insert("leased", "o-a", "ticket:1:staff", now)
		insert("other-key", "o-a", "ticket:2:staff", now)
		insert("other-recipient", "o-b", "ticket:1:staff", now)
		insert("later", "o-a", "ticket:1:staff", now.Add(time.Hour))
		insert("no-key", "o-a", "", now)
		sent := insert("sent", "o-a", "ticket:1:staff", now)
		if err := s.FinishNotification(ctx, sent.ID, storage.NotificationSent, "log", ""); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.ClaimNotification(ctx, leased.ID, now, time.Minute); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		ids := func() []int64 {
			t.Helper()
			got, err := s.Mergeable(ctx, lead, now, 10)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, n := range got {
				if n.MergeKey != lead.MergeKey {
					t.Errorf("row %d merge key %q", n.ID, n.MergeKey)
				}
				out = append(out, n.ID)
			}
			return out
		}
		if diff := cmp.Diff([]int64{want.ID}, ids()); diff != "" {
			t.Errorf("mergeable (-want +got):\n%s", diff)
		}
		if err := s.ReleaseNotification(ctx, leased.ID); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{want.ID, leased.ID}, ids()); diff != "" {
			t.Errorf("mergeable after release (-want +got):\n%s", diff)
		}
		if got, err := s.Mergeable(ctx, storage.Notification{ID: 999, Recipient: "o-a"}, now, 10); err != nil || len(got) != 0 {
			t.Errorf("a row without a merge key merges with %v (%v)", got, err)
		}
	})
}

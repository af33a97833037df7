package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// TestNewerNewsReplacesHeldNews: notices of one group (Replaces) to one
// resident queued during quiet hours leave only the newest pending; one a
// worker held while the newer was queued is dropped when it comes to be
// sent; Withdraw drops what is left; other groups and recipients are
// untouched; the ledger says why each was dropped.
func TestNewerNewsReplacesHeldNews(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		clock := bottest.NewClock(time.Date(2026, 11, 26, 23, 20, 0, 0, bot.Shanghai))
		store.Now = clock.Now
		box := notifytest.Queue(t, store, notify.Config{Now: clock.Now, Quiet: notify.DefaultQuietHours, LogOnly: true})
		enqueue := func(to, key, group string) int64 {
			t.Helper()
			var id int64
			err := store.Transact(ctx, func(tx *storage.Tx) error {
				var err error
				id, err = box.Enqueue(ctx, tx, bot.Notice{Kind: "k", To: to, Text: key, Key: key, Replaces: group})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		row := func(id int64) storage.Notification {
			t.Helper()
			n, err := store.Notification(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		accepted := enqueue("o-res", "accepted", "ticket:1:resident")
		other := enqueue("o-res", "other ticket", "ticket:2:resident")
		neighbour := enqueue("o-nb", "neighbour", "ticket:1:resident")
		loose := enqueue("o-res", "no group", "")
		resolved := enqueue("o-res", "resolved", "ticket:1:resident")
		if n := row(accepted); n.Status != storage.NotificationDropped || n.LastError != storage.Superseded(resolved) {
			t.Errorf("the held 已受理 is %s (%q), want dropped as superseded by %d", n.Status, n.LastError, resolved)
		}
		for _, id := range []int64{other, neighbour, loose, resolved} {
			if n := row(id); n.Status != storage.NotificationPending {
				t.Errorf("notification %d (%s) is %s, want pending", id, n.IdemKey, n.Status)
			}
		}

		// A worker holds resolved (its lease) while newer news is queued:
		// it survives the enqueue, and is dropped when it comes to be sent.
		if ok, err := store.ClaimNotification(ctx, resolved, clock.Now(), time.Minute); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		transferred := enqueue("o-res", "transferred", "ticket:1:resident")
		if n := row(resolved); n.Status != storage.NotificationPending {
			t.Fatalf("a notification being sent was dropped under its worker: %s", n.Status)
		}
		if err := store.ReleaseNotification(ctx, resolved); err != nil {
			t.Fatal(err)
		}
		clock.Set(time.Date(2026, 11, 27, 7, 0, 0, 0, bot.Shanghai))
		if _, err := box.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if n := row(resolved); n.Status != storage.NotificationDropped || n.LastError != storage.Superseded(transferred) {
			t.Errorf("the stale notice is %s (%q), want dropped as superseded by %d", n.Status, n.LastError, transferred)
		}
		for _, id := range []int64{transferred, other, neighbour, loose} {
			if n := row(id); n.Status != storage.NotificationSent {
				t.Errorf("notification %d (%s) is %s, want sent", id, n.IdemKey, n.Status)
			}
		}

		// Withdraw drops what waits of the group, and only that.
		clock.Set(time.Date(2026, 11, 27, 23, 0, 0, 0, bot.Shanghai))
		ask := enqueue("o-res", "please rate", "ticket:2:resident")
		keep := enqueue("o-res", "please rate 3", "ticket:3:resident")
		var n int
		err := store.Transact(ctx, func(tx *storage.Tx) error {
			var err error
			n, err = box.Withdraw(ctx, tx, "o-res", "ticket:2:resident", "rated")
			return err
		})
		if err != nil || n != 1 {
			t.Fatalf("Withdraw dropped %d, %v; want 1", n, err)
		}
		if r := row(ask); r.Status != storage.NotificationDropped || r.LastError != notify.Withdrawn+"rated" {
			t.Errorf("withdrawn notice is %s (%q)", r.Status, r.LastError)
		}
		if r := row(keep); r.Status != storage.NotificationPending {
			t.Errorf("another group's notice is %s", r.Status)
		}
		if r := row(other); r.Status != storage.NotificationSent {
			t.Errorf("withdrawing touched a sent notice: %s", r.Status)
		}
	})
}

// TestLastAskedIsTheLastDelivered: a question counts from its delivery,
// not its queueing; the newest delivered question wins whatever it is.
func TestLastAskedIsTheLastDelivered(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		clock := bottest.NewClock(time.Date(2026, 11, 26, 23, 20, 0, 0, bot.Shanghai))
		store.Now = clock.Now
		box := notifytest.Queue(t, store, notify.Config{Now: clock.Now, Quiet: notify.DefaultQuietHours, LogOnly: true})
		notice := func(key, asks string) {
			t.Helper()
			if err := box.Notify(ctx, bot.Notice{Kind: "k", To: "o-res", Text: key, Key: key, Asks: asks}); err != nil {
				t.Fatal(err)
			}
		}
		notice("rate", bot.Ask("ticket.rating", "2611260001"))
		if _, err := box.LastAsked(ctx, "o-res"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("a question held by quiet hours counts as asked: %v", err)
		}
		if ref, ok, err := bot.Asked(ctx, box, "o-res", "ticket.rating", clock.Now()); ok || err != nil {
			t.Errorf("Asked before delivery: %q %v %v", ref, ok, err)
		}
		clock.Set(time.Date(2026, 11, 27, 7, 0, 0, 0, bot.Shanghai))
		if _, err := box.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := box.LastAsked(ctx, "o-res")
		if err != nil || got.Question != "ticket.rating" || got.Ref != "2611260001" || !got.At.Equal(clock.Now()) {
			t.Fatalf("LastAsked = %+v, %v; want the rating of 2611260001 at 07:00", got, err)
		}
		clock.Advance(time.Minute)
		notice("plain", "") // news that asks nothing changes nothing
		notice("signup", bot.Ask("activity.confirm", "42"))
		if _, err := box.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if ref, ok, _ := bot.Asked(ctx, box, "o-res", "ticket.rating", clock.Now()); ok {
			t.Errorf("a newer question of another feature left bare replies to the rating (%s)", ref)
		}
		if ref, ok, _ := bot.Asked(ctx, box, "o-res", "activity.confirm", clock.Now()); !ok || !strings.EqualFold(ref, "42") {
			t.Errorf("the newest question does not take bare replies: %q %v", ref, ok)
		}
	})
}

package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// newTicket inserts a ticket of resident openid with every personal field
// filled, created at created.
func newTicket(t *testing.T, q interface {
	InsertTicket(context.Context, *ticket.Ticket, string) error
}, number, openid string, created time.Time) ticket.Ticket {
	t.Helper()
	tk := ticket.Ticket{
		Number: number, OpenID: openid, Name: "阿依古丽", Phone: "13800138000", Category: "repair",
		Description: "楼道灯坏了", Photos: []string{"media-1"}, Unit: 2, Place: "3号楼2单元201室",
		Lat: 39.8, Lng: 98.3, Status: ticket.Submitted, Source: "wechat",
		ResponseDue: created.Add(4 * time.Hour), ResolveDue: created.Add(18 * time.Hour),
		CreatedAt: created, UpdatedAt: created,
	}
	if err := q.InsertTicket(context.Background(), &tk, ""); err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestSubjectsOfEarlierNotifications(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		s, err := storage.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.MigrateToForTest(ctx, 5); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
		newTicket(t, s, "2611260001", "o-filer", now)
		newTicket(t, s, "2611260002", "", now) // filed by staff: nobody to link
		rows := map[string]string{             // idempotency key → subject expected
			"human:o-asker:2950123":        "o-asker",
			"ticket:2611260001:new:3":      "o-filer",
			"ticket:2611260001:accepted:9": "o-filer",
			"ticket:2611260002:new:duty":   "",
			"ticket:2611269999:new:duty":   "",
			"reply:123456":                 "",
			"staff:3:bound:1234:5":         "",
		}
		for key := range rows {
			// Inserted as the release before 00006 did: no subject column.
			if err := s.ExecForTest(ctx, `INSERT INTO notifications (idem_key, kind, recipient, payload, not_before, created_at, updated_at)
				VALUES (?, 'test', 'role:duty', '{}', ?, ?, ?)`, key, now, now, now); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListNotifications(ctx, "", 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, n := range list {
			got[n.IdemKey] = n.Subject
		}
		if diff := cmp.Diff(rows, got); diff != "" {
			t.Errorf("subjects mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestEraseNotifications(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		insert := func(key, to, about string, staff bool) int64 {
			t.Helper()
			n := &storage.Notification{IdemKey: key, Kind: "test", Recipient: to, Subject: about, Staff: staff,
				Payload: `{"text":"阿依古丽 13800138000"}`}
			if _, err := s.InsertNotification(ctx, n); err != nil {
				t.Fatal(err)
			}
			return n.ID
		}
		toHer := insert("reply:1", "o-her", "", false)
		aboutHer := insert("human:o-her:1", "role:duty", "o-her", true)
		toStaffAboutHer := insert("ticket:1:new:3", "o-worker", "o-her", true)
		other := insert("reply:2", "o-other", "", false)
		if err := s.FinishNotification(ctx, toHer, storage.NotificationSent, "customer_service", ""); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishNotification(ctx, aboutHer, storage.NotificationFailed, "robot", "45015 o-her"); err != nil {
			t.Fatal(err)
		}

		n, err := s.EraseNotifications(ctx, "o-her")
		if err != nil || n != 3 {
			t.Fatalf("EraseNotifications = %d, %v; want 3", n, err)
		}
		type row struct{ Key, To, Subject, Status, Payload, Error string }
		get := func(id int64) row {
			t.Helper()
			n, err := s.Notification(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return row{n.IdemKey, n.Recipient, n.Subject, n.Status, n.Payload, n.LastError}
		}
		key := func(id int64) string { return "erased:" + itoa(id) }
		want := []row{
			{key(toHer), "", "", storage.NotificationSent, storage.ErasedPayload, ""},
			{key(aboutHer), "role:duty", "", storage.NotificationFailed, storage.ErasedPayload, ""},
			// Nothing is left to send: a pending one is dropped.
			{key(toStaffAboutHer), "o-worker", "", storage.NotificationDropped, storage.ErasedPayload, ""},
			{"reply:2", "o-other", "", storage.NotificationPending, `{"text":"阿依古丽 13800138000"}`, ""},
		}
		for i, id := range []int64{toHer, aboutHer, toStaffAboutHer, other} {
			if diff := cmp.Diff(want[i], get(id)); diff != "" {
				t.Errorf("row %d mismatch (-want +got):\n%s", i, diff)
			}
		}
		if n, err := s.EraseNotifications(ctx, "o-her"); err != nil || n != 0 {
			t.Errorf("second EraseNotifications = %d, %v; want 0", n, err)
		}
		if _, err := s.EraseNotifications(ctx, ""); err == nil {
			t.Error("an empty openid would erase every row about nobody")
		}
		// An erased row has nothing left to retry.
		if err := s.RequeueNotification(ctx, aboutHer); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("requeue of an erased row: %v, want ErrConflict", err)
		}
	})
}

func TestPurgeNotifications(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		insert := func(key, to string, staff bool, status string) int64 {
			t.Helper()
			n := &storage.Notification{IdemKey: key, Kind: "test", Recipient: to, Staff: staff, Payload: `{"text":"x"}`}
			if _, err := s.InsertNotification(ctx, n); err != nil {
				t.Fatal(err)
			}
			if status != storage.NotificationPending {
				if err := s.FinishNotification(ctx, n.ID, status, "customer_service", "why"); err != nil {
					t.Fatal(err)
				}
			}
			return n.ID
		}
		sent := insert("a", "o-a", false, storage.NotificationSent)
		failed := insert("b", "o-worker", true, storage.NotificationFailed)
		dropped := insert("c", "o-c", false, storage.NotificationDropped)
		pending := insert("d", "o-d", false, storage.NotificationPending)
		now = now.Add(24 * time.Hour)
		recent := insert("e", "o-e", false, storage.NotificationSent)

		// Delivered before the cut-off, two per batch.
		cut := now.Add(-time.Hour)
		if n, err := s.PurgeNotifications(ctx, cut, 2); err != nil || n != 2 {
			t.Fatalf("first batch = %d, %v; want 2", n, err)
		}
		if n, err := s.PurgeNotifications(ctx, cut, 2); err != nil || n != 1 {
			t.Fatalf("second batch = %d, %v; want 1", n, err)
		}
		if n, err := s.PurgeNotifications(ctx, cut, 2); err != nil || n != 0 {
			t.Fatalf("third batch = %d, %v; want 0", n, err)
		}
		for id, want := range map[int64][2]string{
			sent:    {"", storage.ErasedPayload},
			failed:  {"o-worker", storage.ErasedPayload}, // staff keep their address
			dropped: {"", storage.ErasedPayload},
			pending: {"o-d", `{"text":"x"}`},
			recent:  {"o-e", `{"text":"x"}`},
		} {
			n, err := s.Notification(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if got := [2]string{n.Recipient, n.Payload}; got != want {
				t.Errorf("row %d: %q, want %q", id, got, want)
			}
		}
	})
}

func TestDeleteResidents(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.SaveProfile(ctx, profile); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.DeleteResident(ctx, profile.OpenID); err != nil || !ok {
			t.Fatalf("DeleteResident = %v, %v", ok, err)
		}
		if _, err := s.Resident(ctx, profile.OpenID); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("after delete: %v, want ErrNotFound", err)
		}
		if ok, err := s.DeleteResident(ctx, profile.OpenID); err != nil || ok {
			t.Errorf("second DeleteResident = %v, %v; want false", ok, err)
		}

		day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
		for _, f := range []struct {
			openid string
			events []bool // follow (true) or unfollow, one a day
		}{
			{"o-left-early", []bool{true, false}},
			{"o-left-late", []bool{true, true, true, false}},
			{"o-came-back", []bool{true, false, true}},
			{"o-stays", []bool{true}},
		} {
			for i, sub := range f.events {
				if err := s.SetSubscribed(ctx, f.openid, sub, day(i+1)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := s.SaveProfile(ctx, bot.Resident{OpenID: "o-never-followed", Name: "x"}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.DeleteUnfollowed(ctx, day(4), 10); err != nil || n != 1 {
			t.Fatalf("DeleteUnfollowed(day 4) = %d, %v; want 1", n, err)
		}
		if n, err := s.DeleteUnfollowed(ctx, day(30), 10); err != nil || n != 1 {
			t.Fatalf("DeleteUnfollowed(day 30) = %d, %v; want 1", n, err)
		}
		for openid, kept := range map[string]bool{"o-left-early": false, "o-left-late": false, "o-came-back": true, "o-stays": true, "o-never-followed": true} {
			_, err := s.Resident(ctx, openid)
			if got := err == nil; got != kept {
				t.Errorf("%s kept = %v, want %v (%v)", openid, got, kept, err)
			}
		}
	})
}

func TestAnonymiseTicket(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		created := time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC)
		closed := created.Add(48 * time.Hour)
		old := newTicket(t, s, "2601050001", "o-her", created)
		young := newTicket(t, s, "2601050002", "o-her", created)
		newTicket(t, s, "2601050003", "o-her", created) // still open: never expired
		for _, tk := range []ticket.Ticket{old, young} {
			tk.Status, tk.Rating, tk.RatingNote = ticket.Closed, 1, "默认满意"
			tk.ClosedAt = &closed
			if tk.ID == young.ID {
				later := closed.Add(24 * time.Hour)
				tk.ClosedAt = &later
			}
			if err := s.UpdateTicket(ctx, tk); err != nil {
				t.Fatal(err)
			}
		}
		for _, e := range []ticket.Entry{
			{At: created, Actor: "居民", Action: "提交诉求"},
			{At: created, Actor: "居民", Action: "补充", Note: "我家电话 13800138000"},
			{At: created, Actor: "张三", Action: "受理", Note: "马上去"},
		} {
			if _, err := s.AddTimelineEntry(ctx, old.ID, e); err != nil {
				t.Fatal(err)
			}
		}

		due, err := s.ExpiredTickets(ctx, closed.Add(time.Hour), 10)
		if err != nil || len(due) != 1 || due[0].ID != old.ID {
			t.Fatalf("ExpiredTickets = %v, %v; want only %s", due, err, old.Number)
		}
		notes, err := s.AnonymiseTicket(ctx, old.ID, "3号楼", "居民", closed.Add(time.Hour))
		if err != nil || notes != 1 {
			t.Fatalf("AnonymiseTicket = %d, %v; want 1 note", notes, err)
		}
		got, err := s.TicketByID(ctx, old.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := old
		want.OpenID, want.Name, want.Phone, want.Description, want.Photos = "", "", "", "", nil
		want.Lat, want.Lng, want.Unit, want.Place = 0, 0, 0, "3号楼"
		want.Status, want.Rating, want.RatingNote, want.ClosedAt = ticket.Closed, 1, "默认满意", &closed
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("anonymised ticket mismatch (-want +got):\n%s", diff)
		}
		timeline, err := s.Timeline(ctx, old.ID)
		if err != nil {
			t.Fatal(err)
		}
		var gotNotes []string
		for _, e := range timeline {
			gotNotes = append(gotNotes, e.Actor+":"+e.Note)
		}
		if diff := cmp.Diff([]string{"居民:", "居民:", "张三:马上去"}, gotNotes); diff != "" {
			t.Errorf("timeline notes mismatch (-want +got):\n%s", diff)
		}
		// Anonymised once: retention passes over it from now on.
		if due, err := s.ExpiredTickets(ctx, closed.Add(48*time.Hour), 10); err != nil || len(due) != 1 || due[0].ID != young.ID {
			t.Errorf("ExpiredTickets later = %v, %v; want only %s", due, err, young.Number)
		}
		if _, err := s.AnonymiseTicket(ctx, 424242, "", "居民", closed); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("unknown ticket: %v, want ErrNotFound", err)
		}
	})
}

func TestErasureAudit(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 2, 0, 0, 123456789, time.UTC)
		s.Now = func() time.Time { return now }
		first := &storage.Erasure{Action: storage.ErasureErase, Actor: "cli", Counts: map[string]int{"tickets": 2, "residents": 1}}
		if err := s.InsertErasure(ctx, first); err != nil {
			t.Fatal(err)
		}
		second := &storage.Erasure{Action: storage.ErasureRetention, Actor: "retention"}
		if err := s.InsertErasure(ctx, second); err != nil {
			t.Fatal(err)
		}
		got, err := s.ListErasures(ctx, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		at := now.Truncate(time.Microsecond)
		want := []storage.Erasure{
			{ID: second.ID, At: at, Action: "retention", Actor: "retention", Counts: map[string]int{}},
			{ID: first.ID, At: at, Action: "erase", Actor: "cli", Counts: map[string]int{"tickets": 2, "residents": 1}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("audit mismatch (-want +got):\n%s", diff)
		}
		if err := s.InsertErasure(ctx, &storage.Erasure{Action: "forget", Actor: "x"}); err == nil {
			t.Error("an unknown action was accepted")
		}
	})
}

func itoa(n int64) string { return fmt.Sprint(n) }

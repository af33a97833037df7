package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// insertTicket adds a bare ticket with photos and returns its id.
func insertTicket(t *testing.T, s *storage.Store, number string, photos ...string) int64 {
	t.Helper()
	now := s.Now()
	tk := ticket.Ticket{Number: number, OpenID: "o-res", Phone: "13800138000", Category: "repair",
		Description: "灯坏了", Photos: photos, Status: ticket.Submitted, Source: "wechat",
		ResponseDue: now, ResolveDue: now, CreatedAt: now, UpdatedAt: now}
	if err := s.InsertTicket(context.Background(), &tk, ""); err != nil {
		t.Fatal(err)
	}
	return tk.ID
}

func TestTicketMedia(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		a := insertTicket(t, s, "2611260001", "http://mmbiz.qpic.cn/a/0", "media:m2")
		b := insertTicket(t, s, "2611260002")
		add := func(ticketID int64, n int, kind, ref string) storage.TicketMedia {
			t.Helper()
			m := storage.TicketMedia{TicketID: ticketID, N: n, Kind: kind, Ref: ref}
			if err := s.InsertTicketMedia(ctx, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		a1 := add(a, 1, "photo", "http://mmbiz.qpic.cn/a/0")
		a2 := add(a, 2, "photo", "media:m2")
		a3 := add(a, 3, "voice", "media:v3")
		b1 := add(b, 1, "photo", "media:b1")
		if err := s.InsertTicketMedia(ctx, &storage.TicketMedia{TicketID: a, N: 1, Kind: "photo", Ref: "x"}); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("a second media 1: %v, want bot.ErrConflict", err)
		}

		got, err := s.TicketMediaAt(ctx, "2611260001", 2)
		want := storage.TicketMedia{ID: a2.ID, TicketID: a, N: 2, Kind: "photo", Ref: "media:m2", Status: storage.MediaPending, CreatedAt: now, UpdatedAt: now}
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("TicketMediaAt mismatch (-want +got):\n%s", diff)
		}
		for _, at := range []struct {
			number string
			n      int
		}{{"2611260001", 4}, {"2611260009", 1}, {"2611260002", 2}} {
			if _, err := s.TicketMediaAt(ctx, at.number, at.n); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("TicketMediaAt(%s, %d) = %v, want bot.ErrNotFound", at.number, at.n, err)
			}
		}

		// A try that fails is counted; the outcome is recorded once.
		now = now.Add(time.Minute)
		if err := s.NoteTicketMediaAttempt(ctx, a1.ID, "HTTP 503"); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.StoreTicketMedia(ctx, a1.ID, "tickets/1/1", "image/jpeg", 1234); err != nil || !ok {
			t.Fatalf("StoreTicketMedia: %v %v", ok, err)
		}
		if ok, err := s.FailTicketMedia(ctx, a1.ID, "late"); err != nil || ok {
			t.Errorf("failing a stored row: %v %v, want false", ok, err)
		}
		if ok, err := s.FailTicketMedia(ctx, a2.ID, "40007 invalid media_id"); err != nil || !ok {
			t.Errorf("FailTicketMedia: %v %v", ok, err)
		}
		got, _ = s.TicketMediaByID(ctx, a1.ID)
		if got.Status != storage.MediaStored || got.BlobKey != "tickets/1/1" || got.ContentType != "image/jpeg" ||
			got.Size != 1234 || got.Attempts != 2 || got.Error != "" || !got.UpdatedAt.Equal(now) {
			t.Errorf("stored row: %+v", got)
		}
		got, _ = s.TicketMediaByID(ctx, a2.ID)
		if got.Status != storage.MediaFailed || got.Error != "40007 invalid media_id" || got.Attempts != 1 {
			t.Errorf("failed row: %+v", got)
		}

		// Erasure empties the rows and the ticket's photos, returns what
		// they held, and leaves other tickets alone.
		rows, err := s.EraseTicketMedia(ctx, []int64{a})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0].BlobKey != "tickets/1/1" || rows[2].ID != a3.ID {
			t.Fatalf("EraseTicketMedia returned %+v", rows)
		}
		after, _ := s.TicketMediaOf(ctx, a, b)
		for _, m := range after {
			erased := m.TicketID == a
			if erased != (m.Status == storage.MediaErased) || erased && (m.Ref != "" || m.ContentType != "" || m.Size != 0 || m.Error != "") {
				t.Errorf("after erasure: %+v", m)
			}
		}
		if after[len(after)-1].ID != b1.ID || after[len(after)-1].Ref != "media:b1" {
			t.Errorf("the other ticket's media changed: %+v", after[len(after)-1])
		}
		if tk, _ := s.Ticket(ctx, "2611260001"); len(tk.Photos) != 0 {
			t.Errorf("photos after erasure: %v", tk.Photos)
		}
		if ok, _ := s.StoreTicketMedia(ctx, a3.ID, "tickets/1/3", "audio/amr", 9); ok {
			t.Error("a worker recorded a copy of erased media")
		}
		// Repeating it finds the rows again, keys and all, until forgotten.
		if again, err := s.EraseTicketMedia(ctx, []int64{a}); err != nil || len(again) != 3 || again[0].BlobKey != "tickets/1/1" {
			t.Errorf("repeated erasure: %+v %v", again, err)
		}
		if err := s.ForgetBlobKeys(ctx, []int64{a1.ID, b1.ID}); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.TicketMediaByID(ctx, a1.ID); m.BlobKey != "" {
			t.Errorf("key kept after ForgetBlobKeys: %+v", m)
		}
		if none, err := s.EraseTicketMedia(ctx, nil); err != nil || len(none) != 0 {
			t.Errorf("erasing no tickets: %v %v", none, err)
		}
	})
}

package tickets_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// TestRepeatedDraftReturnsItsTicket: a conversation that could not end
// after filing submits the same draft again; it must get the ticket it
// filed, with nothing filed or notified twice, even when the repeats
// race each other.
func TestRepeatedDraftReturnsItsTicket(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		d := draft("o-res", "repair", &r.b3)
		d.Key = "draft-1"
		first := r.submit(d)
		if first.Repeat {
			t.Error("the first filing is marked a repeat")
		}
		// The resident changed an answer before retrying: the ticket
		// stands as filed.
		d.Description = "改过的描述"
		again := r.submit(d)
		if !again.Repeat || again.Ticket.Number != first.Ticket.Number || again.Ticket.Description != first.Ticket.Description {
			t.Errorf("repeat = %+v, want ticket %s as filed, marked a repeat", again, first.Ticket.Number)
		}

		race := draft("o-res", "repair", &r.b3)
		race.Key = "draft-2"
		const n = 8
		numbers := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				rc, err := r.svc.Submit(ctx, race)
				if err != nil {
					t.Errorf("concurrent repeat %d: %v", i, err)
				}
				numbers[i] = rc.Ticket.Number
			})
		}
		wg.Wait()
		for _, num := range numbers[1:] {
			if num != numbers[0] {
				t.Errorf("concurrent filings of one draft got numbers %v, want one", numbers)
				break
			}
		}
		mine, err := r.svc.Mine(ctx, "o-res", 100)
		if err != nil || len(mine) != 2 {
			t.Errorf("Mine: %d tickets, %v; want 2", len(mine), err)
		}
		for _, num := range []string{first.Ticket.Number, numbers[0]} {
			if got := r.notices(num); len(got) != 3 {
				t.Errorf("ticket %s has %d notifications, want 3 (no repeats)", num, len(got))
			}
		}

		// A key is no way into someone else's ticket.
		other := draft("o-other", "repair", &r.b3)
		other.Key = "draft-1"
		if rc, err := r.svc.Submit(ctx, other); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("another resident's key: %+v, %v; want bot.ErrConflict", rc, err)
		}
		// Drafts without a key are filed each time.
		plain := draft("o-res", "repair", nil)
		if a, b := r.submit(plain), r.submit(plain); a.Ticket.Number == b.Ticket.Number {
			t.Error("two drafts without a key filed one ticket")
		}
	})
}

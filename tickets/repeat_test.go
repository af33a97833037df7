package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
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

// TestDailyLimitPerResident: a resident files at most ten requests a day
// through WeChat, even all at once on several instances, and is told so
// in words; others, staff filing for them and the next day are not held
// back, and a repeat of a draft filed before still gets its ticket.
func TestDailyLimitPerResident(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		const tries = 15
		var wg sync.WaitGroup
		errs := make([]error, tries)
		var keyed ticket.Draft
		for i := range tries {
			d := draft("o-busy", "repair", &r.b3)
			d.Key = fmt.Sprintf("busy-%d", i)
			if i == 0 {
				keyed = d
			}
			wg.Go(func() { _, errs[i] = r.svc.Submit(ctx, d) })
		}
		wg.Wait()
		filed := 0
		for _, err := range errs {
			switch {
			case err == nil:
				filed++
			case !strings.Contains(userError(t, err), "今天已提交 10 件"):
				t.Errorf("refusal %q does not say why", userError(t, err))
			}
		}
		if filed != tickets.DefaultDailyLimit {
			t.Errorf("%d of %d concurrent filings went through, want %d", filed, tries, tickets.DefaultDailyLimit)
		}
		if err := r.svc.MayFile(ctx, "o-busy"); err == nil || !strings.Contains(userError(t, err), "明天") {
			t.Errorf("MayFile at the limit = %v, want a refusal saying when", err)
		}
		if errs[0] == nil {
			if rc, err := r.svc.Submit(ctx, keyed); err != nil || !rc.Repeat {
				t.Errorf("repeat of a filed draft at the limit: %+v, %v; want its ticket", rc, err)
			}
		}
		if err := r.svc.MayFile(ctx, "o-calm"); err != nil {
			t.Errorf("MayFile for another resident: %v", err)
		}
		r.submit(draft("o-calm", "repair", &r.b3))
		byStaff := draft("o-busy", "repair", &r.b3)
		byStaff.FiledBy, byStaff.Source = r.duty.ID, ""
		r.submit(byStaff)

		r.clock.Set(time.Date(2026, 11, 27, 0, 0, 0, 0, bot.Shanghai)) // midnight in Shanghai
		if err := r.svc.MayFile(ctx, "o-busy"); err != nil {
			t.Errorf("MayFile the next day: %v", err)
		}
		r.submit(draft("o-busy", "repair", &r.b3))
	})
}

package tickets_test

import (
	"context"
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

// TestSupplementsPerDay: a resident adds to one request at most three
// times a day, each one a message to its handler; the fourth is refused
// in words, nothing reaches the staff, and the next day they may again.
func TestSupplementsPerDay(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		other := r.submit(draft("o-res", "sanitation", &r.b3)).Ticket.Number
		for i := range tickets.SupplementsPerDay {
			if _, err := r.svc.Supplement(ctx, "o-res", n, fmt.Sprintf("补充第%d次", i+1)); err != nil {
				t.Fatalf("supplement %d: %v", i+1, err)
			}
		}
		_, err := r.svc.Supplement(ctx, "o-res", n, "又一次")
		if err == nil || !strings.Contains(userError(t, err), "今天已补充 3 次") {
			t.Fatalf("fourth supplement of the day: %v, want a refusal saying why", err)
		}
		count := func(number string) int {
			got := 0
			for _, nt := range r.notices(number) {
				if nt.Kind == tickets.NoticeSupplement {
					got++
				}
			}
			return got
		}
		if got := count(n); got != tickets.SupplementsPerDay {
			t.Errorf("%d supplement notices, want %d", got, tickets.SupplementsPerDay)
		}
		// Another request of the same resident is counted on its own.
		if _, err := r.svc.Supplement(ctx, "o-res", other, "另一件事"); err != nil {
			t.Errorf("supplement to another request: %v", err)
		}
		r.clock.Set(time.Date(2026, 11, 27, 0, 0, 0, 0, bot.Shanghai))
		if _, err := r.svc.Supplement(ctx, "o-res", n, "第二天"); err != nil {
			t.Errorf("supplement the next day: %v", err)
		}
	})
}

// TestStaffNoticesAboutATicketMayMerge: every staff notice about a
// ticket carries the ticket's merge key, so that those queued together
// go out as one message (notify); residents' notices do not.
func TestStaffNoticesAboutATicketMayMerge(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		if _, err := r.svc.Supplement(ctx, "o-res", n, "楼上也漏水"); err != nil {
			t.Fatal(err)
		}
		r.act(ticket.Action{Number: n, Kind: ticket.ActAccept, By: r.worker.ID})
		staff, residents := 0, 0
		for _, row := range r.ledger(n) {
			want := ""
			if row.Staff {
				want, staff = "ticket:"+n+":staff", staff+1
			} else {
				residents++
			}
			if row.MergeKey != want {
				t.Errorf("%s to %s: merge key %q, want %q", row.Kind, row.Recipient, row.MergeKey, want)
			}
		}
		if staff < 3 || residents == 0 {
			t.Errorf("%d staff and %d resident notices; the test proves little", staff, residents)
		}
	})
}

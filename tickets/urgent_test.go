package tickets_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
)

// TestUrgentTicket: a burst pipe at 23:23 filed through the emergency
// path must be answered within minutes, not "by 15:30 the next working
// day"; its notices are urgent (no quiet hours), its handler reads
// 【紧急诉求】, it is stored as urgent, and the daily limit never refuses
// an emergency.
func TestUrgentTicket(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s).community()
		r.clock.Set(time.Date(2026, 11, 26, 23, 23, 0, 0, bot.Shanghai))
		for range tickets.DefaultDailyLimit {
			r.submit(draft("o-flood", "repair", &r.b3))
		}
		d := draft("o-flood", "repair", &r.b3)
		d.Description, d.Urgent = "水管爆了，在喷水", true
		tk := r.submit(d).Ticket
		if !tk.Urgent {
			t.Error("the ticket is not marked urgent")
		}
		if want := r.clock.Now().Add(tickets.UrgentResponse); !tk.ResponseDue.Equal(want) {
			t.Errorf("ResponseDue = %s, want %s", bot.When(tk.ResponseDue), bot.When(want))
		}
		got, _, err := r.svc.Get(context.Background(), tk.Number)
		if err != nil || !got.Urgent {
			t.Errorf("stored ticket urgent = %v, %v", got.Urgent, err)
		}
		ledger := r.ledger(tk.Number)
		if len(ledger) == 0 {
			t.Fatal("no notices")
		}
		for _, n := range ledger {
			if !n.Urgent {
				t.Errorf("notice %s to %s is not urgent", n.Kind, n.Recipient)
			}
			if n.Kind == tickets.NoticeNew && !strings.Contains(n.Payload, "紧急诉求") {
				t.Errorf("the handler's notice does not say it is urgent: %s", n.Payload)
			}
		}
	})
}

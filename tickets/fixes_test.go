package tickets_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
)

// TestAwaitingRatingIsLatest: a plain 1/2/3 answers the last rating
// request the resident received, the most recently resolved ticket.
func TestAwaitingRatingIsLatest(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		older := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		newer := r.submit(draft("o-res", "sanitation", &r.b3)).Ticket.Number
		for i, n := range []string{older, newer} {
			r.clock.Set(t0.Add(time.Duration(i+1) * time.Hour))
			r.act(ticket.Action{Number: n, Kind: ticket.ActAccept, By: r.worker.ID})
			r.act(ticket.Action{Number: n, Kind: ticket.ActResolve, By: r.worker.ID, Note: "已处理"})
		}
		aw, err := r.svc.AwaitingRating(ctx, "o-res")
		if err != nil || aw.Number != newer {
			t.Fatalf("AwaitingRating = %s, %v; want %s (resolved last)", aw.Number, err, newer)
		}
		if _, err := r.svc.Rate(ctx, "o-res", newer, ticket.RatingSatisfied); err != nil {
			t.Fatal(err)
		}
		if aw, err := r.svc.AwaitingRating(ctx, "o-res"); err != nil || aw.Number != older {
			t.Errorf("AwaitingRating after rating %s = %s, %v; want %s", newer, aw.Number, err, older)
		}
	})
}

// TestReturnClearsAcceptance: a ticket sent back to the dispatcher is
// unanswered again, for escalation, lists and statistics.
func TestReturnClearsAcceptance(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		tk := r.submit(draft("o-res", "repair", &r.b3)).Ticket
		r.clock.Set(t0.Add(10 * time.Minute))
		r.act(ticket.Action{Number: tk.Number, Kind: ticket.ActAccept, By: r.worker.ID})
		r.clock.Set(t0.Add(20 * time.Minute))
		got := r.act(ticket.Action{Number: tk.Number, Kind: ticket.ActReturn, By: r.worker.ID, Note: "不属于本网格"})
		stored, _, err := r.svc.Get(ctx, tk.Number)
		if err != nil {
			t.Fatal(err)
		}
		if got.AcceptedAt != nil || stored.AcceptedAt != nil || stored.Status != ticket.Returned {
			t.Fatalf("after return: returned AcceptedAt %v, stored %v (status %s); want none", got.AcceptedAt, stored.AcceptedAt, stored.Status)
		}
		r.clock.Set(tk.ResponseDue.Add(time.Minute))
		if esc, _, err := r.svc.Sweep(ctx); err != nil || esc != 1 {
			t.Errorf("Sweep after the response deadline = %d escalated, %v; want 1", esc, err)
		}
		if ts, _, err := r.svc.List(ctx, tickets.Filter{Overdue: true}); err != nil || len(ts) != 1 {
			t.Errorf("overdue list = %d tickets, %v; want 1", len(ts), err)
		}
		st, err := r.svc.Stats(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
		if err != nil || st.Total.ResponseRate != 0 || st.Total.Overdue != 1 {
			t.Errorf("Stats total = %+v, %v; want response rate 0, 1 overdue", st.Total, err)
		}
		// Accepted again, it is answered from then on.
		got = r.act(ticket.Action{Number: tk.Number, Kind: ticket.ActAccept, By: r.duty.ID})
		if got.AcceptedAt == nil || !got.AcceptedAt.Equal(tk.ResponseDue.Add(time.Minute)) {
			t.Errorf("accepted again at %v, want %v", got.AcceptedAt, tk.ResponseDue.Add(time.Minute))
		}
	})
}

// failEvents makes adding a timeline event to any of the tickets fail, as
// a broken row or a lost connection would, until the test ends.
func failEvents(t *testing.T, s *storage.Store, ids ...int64) {
	t.Helper()
	var list []string
	for _, id := range ids {
		list = append(list, fmt.Sprint(id))
	}
	in := strings.Join(list, ", ")
	var stmts []string
	if s.Engine() == storage.EnginePostgres {
		stmts = []string{
			`CREATE FUNCTION fail_events() RETURNS trigger AS $$ BEGIN
				IF NEW.ticket_id IN (` + in + `) THEN RAISE EXCEPTION 'injected failure'; END IF;
				RETURN NEW; END $$ LANGUAGE plpgsql`,
			`CREATE TRIGGER fail_events BEFORE INSERT ON ticket_events FOR EACH ROW EXECUTE FUNCTION fail_events()`,
		}
	} else {
		stmts = []string{`CREATE TRIGGER fail_events BEFORE INSERT ON ticket_events
			WHEN NEW.ticket_id IN (` + in + `) BEGIN SELECT RAISE(ABORT, 'injected failure'); END`}
	}
	for _, q := range stmts {
		if _, err := s.DB().ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
}

func dropFailEvents(t *testing.T, s *storage.Store) {
	t.Helper()
	q := `DROP TRIGGER fail_events`
	if s.Engine() == storage.EnginePostgres {
		q += ` ON ticket_events`
	}
	if _, err := s.DB().ExecContext(context.Background(), q); err != nil {
		t.Fatal(err)
	}
}

// TestSweepCarriesOn: tickets that fail do not keep Sweep from the others,
// even when they fill whole batches; the failures come back joined.
func TestSweepCarriesOn(t *testing.T) {
	defer tickets.SetSweepBatch(2)()
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		var resolved []ticket.Ticket
		for _, who := range []string{"o-c1", "o-c2"} {
			tk := r.submit(draft(who, "repair", &r.b3)).Ticket
			r.act(ticket.Action{Number: tk.Number, Kind: ticket.ActAccept, By: r.worker.ID})
			resolved = append(resolved, r.act(ticket.Action{Number: tk.Number, Kind: ticket.ActResolve, By: r.worker.ID, Note: "已修"}))
		}
		// Same response deadline: escalated in id order, the failing first.
		var late []ticket.Ticket
		for _, who := range []string{"o-f1", "o-f2", "o-ok"} {
			late = append(late, r.submit(draft(who, "repair", &r.b3)).Ticket)
		}
		failEvents(t, s, late[0].ID, late[1].ID, resolved[0].ID)
		r.clock.Set(t0.Add(tickets.RatingWindow))

		esc, closed, err := r.svc.Sweep(ctx)
		if esc != 1 || closed != 1 || err == nil {
			t.Fatalf("Sweep = %d escalated, %d closed, %v; want 1, 1 and the failures", esc, closed, err)
		}
		for _, want := range []string{"escalating " + late[0].Number, "escalating " + late[1].Number, "closing " + resolved[0].Number} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Sweep error %q does not mention %q", err, want)
			}
		}
		if j, ok := err.(interface{ Unwrap() []error }); !ok || len(j.Unwrap()) != 3 {
			t.Errorf("Sweep error %v: want the 3 failures joined", err)
		}
		for _, tk := range []ticket.Ticket{late[2], resolved[1]} {
			got, _, _ := r.svc.Get(ctx, tk.Number)
			if got.EscalatedAt == nil && got.Status != ticket.Closed {
				t.Errorf("%s neither escalated nor closed: %+v", tk.Number, got)
			}
		}
		// The failed ones are tried again by the next sweep, and done once
		// they can be.
		if esc, closed, err := r.svc.Sweep(ctx); esc != 0 || closed != 0 || err == nil {
			t.Errorf("second Sweep = %d, %d, %v; want 0, 0 and the failures", esc, closed, err)
		}
		dropFailEvents(t, s)
		if esc, closed, err := r.svc.Sweep(ctx); esc != 2 || closed != 1 || err != nil {
			t.Errorf("Sweep once fixed = %d, %d, %v; want 2, 1, nil", esc, closed, err)
		}
	})
}

// TestNoticeSummary: every notice about a ticket says in its template
// fields where and what the problem is, within the 20-character rule.
func TestNoticeSummary(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s).community()
		n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		r.act(ticket.Action{Number: n, Kind: ticket.ActAccept, By: r.worker.ID})
		ps := r.payloads(n)
		if len(ps) != 4 {
			t.Fatalf("%d notices, want 4", len(ps))
		}
		for i, p := range ps {
			if got, want := p.Fields["summary"], "3号楼2单元201室：楼道灯坏了，晚上…"; got != want {
				t.Errorf("notice %d summary %q, want %q", i, got, want)
			}
		}
		d := draft("o-res2", "medical", nil)
		d.Description = "老人  发烧\n需要陪诊"
		n = r.submit(d).Ticket.Number
		if got, want := r.payload(n, tickets.NoticeNew, "o-duty").Fields["summary"], "老人 发烧 需要陪诊"; got != want {
			t.Errorf("summary without a place %q, want %q", got, want)
		}
		d = draft("o-res3", "sanitation", &r.b5)
		d.Place, d.Description = "公共区域：东门广场北侧垃圾桶旁边的绿化带", "垃圾堆了三天"
		n = r.submit(d).Ticket.Number
		if got := r.payload(n, tickets.NoticeNew, "o-duty").Fields["summary"]; utf8.RuneCountInString(got) != 20 || strings.ContainsAny(got, "\n") {
			t.Errorf("long summary %q: want one line of 20 characters", got)
		}
	})
}

// TestStaffGroupText: a staff notice with the resident's full phone
// number carries a masked text for the staff group, saying whom to tell.
func TestStaffGroupText(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		masked := bot.MaskPhone("13800138000")

		p := r.payload(n, tickets.NoticeNew, "o-worker")
		if !strings.Contains(p.Text, "13800138000") {
			t.Errorf("assignee text %q: want the full phone", p.Text)
		}
		want := strings.Replace(p.Text, "阿依古丽 13800138000", "居民 "+masked, 1) + "（请转告 张三）"
		if p.GroupText != want {
			t.Errorf("group text\n%q\nwant\n%q", p.GroupText, want)
		}
		// Copies and notices to the duty group name nobody in full: no
		// group text needed.
		for _, p := range []payload{r.payload(n, tickets.NoticeCopy, "o-head")} {
			if strings.Contains(p.Text, "13800138000") || p.GroupText != "" {
				t.Errorf("copy %+v", p)
			}
		}
		unbound := r.submit(draft("o-res7", "repair", &r.b7)).Ticket.Number
		if p := r.payload(unbound, tickets.NoticeNew, bot.DutyStaff); strings.Contains(p.Text, "13800138000") || p.GroupText != "" {
			t.Errorf("duty group notice %+v", p)
		}

		// A transfer to a bound staff member.
		if _, err := r.svc.Act(ctx, ticket.Action{Number: unbound, Kind: ticket.ActTransfer, By: r.duty.ID, To: "马调解"}); err != nil {
			t.Fatal(err)
		}
		p = r.payload(unbound, tickets.NoticeAssigned, "o-mediator")
		if !strings.Contains(p.Text, "13800138000") || strings.Contains(p.GroupText, "13800138000") ||
			!strings.Contains(p.GroupText, masked) || !strings.HasSuffix(p.GroupText, "（请转告 马调解）") {
			t.Errorf("transfer notice text %q, group text %q", p.Text, p.GroupText)
		}
	})
}

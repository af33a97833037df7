package tickets_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/ticket"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// TestViewShowsThePhoneToThoseWhoAct: the handler and those who dispatch
// get the resident's phone to call them; the resident reads their ticket
// without it, and a 楼栋长 not at all.
func TestViewShowsThePhoneToThoseWhoAct(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		for _, who := range []string{"o-worker", "o-duty", "o-sup"} {
			got, _, err := r.svc.View(ctx, who, n)
			if err != nil || got.Phone != "13800138000" {
				t.Errorf("View by %s: phone %q, %v; want it in full", who, got.Phone, err)
			}
		}
		got, _, err := r.svc.View(ctx, "o-res", n)
		if err != nil || got.Phone != "" {
			t.Errorf("View by the resident: phone %q, %v; want none", got.Phone, err)
		}
		for _, who := range []string{"o-head", "o-mediator"} {
			if _, _, err := r.svc.View(ctx, who, n); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("View by %s: %v, want ErrNotFound", who, err)
			}
		}
	})
}

// TestAsk: 回复 puts the handler's question to the resident, on the
// timeline and as a notice naming who asks and how to answer (补充).
func TestAsk(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		r.act(ticket.Action{Number: n, Kind: ticket.ActAsk, By: r.worker.ID, Note: "请问您几点在家？"})
		want := "网格员 张三 就诉求 " + n + " 问您：请问您几点在家？\n请回复：补充 " + n + " 您的回答"
		if got := r.text(n, tickets.NoticeAsked, "o-res"); got != want {
			t.Errorf("question to the resident: %q, want %q", got, want)
		}
		if tl := r.timeline(n); tl[len(tl)-1] != "询问居民" {
			t.Errorf("timeline %v, want it to end with 询问居民", tl)
		}
		_, err := r.svc.Act(ctx, ticket.Action{Number: n, Kind: ticket.ActAsk, By: r.mediator.ID, Note: "你好"})
		if msg := userError(t, err); !strings.Contains(msg, "不是派给您的") {
			t.Errorf("a question by someone else: %q", msg)
		}
		_, err = r.svc.Act(ctx, ticket.Action{Number: n, Kind: ticket.ActAsk, By: r.worker.ID})
		if f := fieldError(t, err); f != "note" {
			t.Errorf("a question without words names %q", f)
		}
		// Filed by staff for someone without WeChat: call them.
		d := draft("", "repair", &r.b3)
		d.Source, d.FiledBy = "staff", r.worker.ID
		other := r.submit(d).Ticket.Number
		_, err = r.svc.Act(ctx, ticket.Action{Number: other, Kind: ticket.ActAsk, By: r.worker.ID, Note: "几点在家？"})
		if msg := userError(t, err); !strings.Contains(msg, "请直接打电话 13800138000") {
			t.Errorf("a question to a resident without WeChat: %q", msg)
		}
	})
}

// TestReturnTellsTheResident: a 退回 reason meant for the resident (Tell)
// reaches them with the notice; an internal one does not.
func TestReturnTellsTheResident(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s).community()
		n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		r.act(ticket.Action{Number: n, Kind: ticket.ActReturn, By: r.worker.ID, Note: "不属于本网格"})
		if got := r.text(n, tickets.NoticeReturned, "o-res"); strings.Contains(got, "不属于本网格") {
			t.Errorf("an internal reason reached the resident: %q", got)
		}
		m := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		r.act(ticket.Action{Number: m, Kind: ticket.ActReturn, By: r.worker.ID, Note: "请补充照片", Tell: true})
		want := "您的诉求（编号 " + m + "）正在重新安排处理人，我们会尽快处理。\n工作人员说明：请补充照片"
		if got := r.text(m, tickets.NoticeReturned, "o-res"); got != want {
			t.Errorf("relayed reason: %q, want %q", got, want)
		}
		if got := r.text(m, tickets.NoticeAssigned, "o-duty"); !strings.Contains(got, "请补充照片") {
			t.Errorf("the duty staff's notice lost the reason: %q", got)
		}
	})
}

// TestCopies: a 楼栋长 lists the open requests of their building, a 单元长
// those of their unit, without the resident's name, phone or room.
func TestCopies(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		unit2 := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		d := draft("o-res2", "sanitation", &r.b3)
		d.Unit, d.Place = 1, r.b3.Name+"1单元101室"
		unit1 := r.submit(d).Ticket.Number
		r.submit(draft("o-res3", "repair", &r.b5))
		done := r.submit(draft("o-res4", "repair", &r.b3)).Ticket.Number
		r.act(ticket.Action{Number: done, Kind: ticket.ActAccept, By: r.worker.ID})
		r.act(ticket.Action{Number: done, Kind: ticket.ActResolve, By: r.worker.ID, Note: "好了"})

		numbers := func(staffID int64) []string {
			ts, err := r.svc.Copies(ctx, staffID)
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, c := range ts {
				if c.Phone != "" || c.Name != "" || strings.Contains(c.Place, "室") {
					t.Errorf("copy %s shows %q %q %q", c.Number, c.Name, c.Phone, c.Place)
				}
				out = append(out, c.Number)
			}
			return out
		}
		if diff := cmp.Diff([]string{unit1, unit2}, numbers(r.head.ID)); diff != "" {
			t.Errorf("楼栋长's copies (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{unit2}, numbers(r.unitHead.ID)); diff != "" {
			t.Errorf("单元长's copies (-want +got):\n%s", diff)
		}
		if got := numbers(r.worker.ID); len(got) != 0 {
			t.Errorf("a grid worker has copies %v", got)
		}
	})
}

// digests returns the queued morning digests by recipient.
func (r *rig) digests() map[string][]string {
	r.t.Helper()
	all, err := r.store.ListNotifications(context.Background(), "", 10000, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string][]string{}
	for _, n := range all {
		if n.Kind != tickets.NoticeDigest {
			continue
		}
		var p payload
		if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
			r.t.Fatal(err)
		}
		out[n.Recipient] = append(out[n.Recipient], p.Text)
	}
	return out
}

// TestDigest: on a working day's morning each bound handler gets one
// notice of what is overdue and due that day, once however often the job
// runs; nothing before 08:00, late in the day or on a day off, nothing
// for someone with nothing due, nothing for someone unbound.
func TestDigest(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		// Thursday 10:00: one left unaccepted (overdue by Friday), one
		// accepted (due next week), one for the unbound 李四.
		late := r.submit(draft("o-res", "repair", &r.b3)).Ticket
		later := r.submit(draft("o-res2", "repair", &r.b3)).Ticket.Number
		r.act(ticket.Action{Number: later, Kind: ticket.ActAccept, By: r.worker.ID})
		r.submit(draft("o-res3", "repair", &r.b7))
		digest := func() int {
			t.Helper()
			n, err := r.svc.Digest(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		friday := time.Date(2026, 11, 27, 0, 0, 0, 0, bot.Shanghai)
		r.clock.Set(friday.Add(7*time.Hour + 59*time.Minute))
		if n := digest(); n != 0 {
			t.Errorf("digest before 08:00 queued %d", n)
		}
		r.clock.Set(friday.Add(8*time.Hour + time.Minute))
		today := r.submit(draft("o-res4", "repair", &r.b3)).Ticket
		r.clock.Set(friday.Add(8*time.Hour + 5*time.Minute))
		if n := digest(); n != 1 {
			t.Errorf("digest at 08:05 queued %d, want 1 (张三)", n)
		}
		r.clock.Set(friday.Add(8*time.Hour + 10*time.Minute))
		digest()
		got := r.digests()
		want := "张三早上好，今天要办的诉求：\n" +
			"已超时 1 件：\n" + late.Number + " 维修报修，3号楼2单元201室，待受理，应于 11月26日 16:30 前受理 ⚠已超时\n" +
			"今天到期 1 件：\n" + today.Number + " 维修报修，3号楼2单元201室，待受理，" + today.ResponseDue.In(bot.Shanghai).Format("15:04") + " 前受理\n" +
			"回复 待办 查看居民电话，按序号办理，例如：受理 1"
		if diff := cmp.Diff(map[string][]string{"o-worker": {want}}, got); diff != "" {
			t.Errorf("digests (-want +got):\n%s", diff)
		}

		// Late in the morning, a day off: nothing.
		r.clock.Set(friday.Add(11 * time.Hour))
		if n := digest(); n != 0 {
			t.Errorf("digest at 11:00 queued %d", n)
		}
		r.clock.Set(friday.AddDate(0, 0, 1).Add(8*time.Hour + 5*time.Minute))
		if n := digest(); n != 0 {
			t.Errorf("digest on Saturday queued %d", n)
		}
		// Monday: a new day's digest.
		r.clock.Set(friday.AddDate(0, 0, 3).Add(8*time.Hour + 5*time.Minute))
		digest()
		if got := r.digests()["o-worker"]; len(got) != 2 {
			t.Errorf("digests to 张三 by Monday: %d, want 2", len(got))
		}
	})
}

// TestStaffWordsOutliveLaterNews: news of where a ticket stands replaces
// older news still held by quiet hours, but what a handler wrote to the
// resident (a 回复 question, a 退回 reason meant for them) is not news of
// the state: it still reaches them at 07:00 after the ticket moved on.
func TestStaffWordsOutliveLaterNews(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := nightRig(t, s)

		n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		r.act(ticket.Action{Number: n, Kind: ticket.ActAsk, By: r.worker.ID, Note: "请问您几点在家？"})
		r.act(ticket.Action{Number: n, Kind: ticket.ActAccept, By: r.worker.ID})
		m := r.submit(draft("o-res2", "repair", &r.b5)).Ticket.Number
		r.act(ticket.Action{Number: m, Kind: ticket.ActReturn, By: r.duty.ID, Note: "请补充照片", Tell: true})
		r.act(ticket.Action{Number: m, Kind: ticket.ActAccept, By: r.duty.ID})

		for _, c := range []struct{ number, kind string }{{n, tickets.NoticeAsked}, {m, tickets.NoticeReturned}} {
			found := false
			for _, row := range r.ledger(c.number) {
				if row.Kind != c.kind {
					continue
				}
				found = true
				if row.Status != storage.NotificationPending {
					t.Errorf("%s of %s is %s (%s), want pending until 07:00", c.kind, c.number, row.Status, row.LastError)
				}
			}
			if !found {
				t.Errorf("no %s queued for %s", c.kind, c.number)
			}
		}
	})
}

// nightRig is the standard community at 23:00, with quiet hours holding
// residents' notices until 07:00.
func nightRig(t *testing.T, s *storage.Store) *rig {
	t.Helper()
	night := time.Date(2026, 11, 26, 23, 0, 0, 0, bot.Shanghai)
	r := &rig{t: t, store: s, cal: workcal.Builtin(), clock: bottest.NewClock(night)}
	s.Now = r.clock.Now
	box := notifytest.Queue(t, s, notify.Config{Now: r.clock.Now, Quiet: notify.DefaultQuietHours})
	r.svc = tickets.New(s, box, r.cal, tickets.Config{Now: r.clock.Now})
	r.dir = cs.New(s, cs.Config{Now: r.clock.Now})
	return r.community()
}

// TestEmergencyNewsIsNotHeld: the resident who reported a fire at 23:00
// hears at once that it was taken up, not at 07:00.
func TestEmergencyNewsIsNotHeld(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := nightRig(t, s)
		d := draft("o-res", "repair", &r.b3)
		d.Urgent, d.Description = true, "楼道里冒烟了"
		n := r.submit(d).Ticket.Number
		r.act(ticket.Action{Number: n, Kind: ticket.ActAccept, By: r.worker.ID})
		for _, row := range r.ledger(n) {
			if row.Kind == tickets.NoticeAccepted && (!row.Urgent || row.NotBefore.After(r.clock.Now())) {
				t.Errorf("the 已受理 of an emergency waits until %s (urgent %v)", row.NotBefore.In(bot.Shanghai).Format("15:04"), row.Urgent)
			}
		}
	})
}

// TestDigestOfABadWeek: a digest lists ten tickets at most; what it leaves
// out is counted, and a part with none shown says where to find them
// instead of a heading over nothing.
func TestDigestOfABadWeek(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s).community()
		for i := range 11 {
			r.submit(draft(fmt.Sprintf("o-res-%d", i), "repair", &r.b3))
		}
		friday := time.Date(2026, 11, 27, 0, 0, 0, 0, bot.Shanghai)
		r.clock.Set(friday.Add(8*time.Hour + time.Minute))
		r.submit(draft("o-today", "repair", &r.b3))
		r.clock.Set(friday.Add(8*time.Hour + 5*time.Minute))
		if _, err := r.svc.Digest(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := r.digests()["o-worker"]
		if len(got) != 1 {
			t.Fatalf("digests to 张三: %d, want 1", len(got))
		}
		text := got[0]
		if !strings.Contains(text, "已超时 11 件：") || !strings.Contains(text, "还有 1 件") {
			t.Errorf("the overdue part does not count what it leaves out:\n%s", text)
		}
		if !strings.Contains(text, "今天到期 1 件（回复 待办 查看）") {
			t.Errorf("the part left out should point to 待办:\n%s", text)
		}
		if strings.Contains(text, "……") {
			t.Errorf("a bare ellipsis:\n%s", text)
		}
	})
}

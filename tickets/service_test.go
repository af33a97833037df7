package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
)

func TestRouting(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s).community()
		for _, tc := range []struct {
			name     string
			category string
			building *community.Building
			unit     int
			assignee int64
			want     []notice
		}{
			{
				name: "building to its grid worker, heads copied", category: "repair", building: &r.b3, unit: 2,
				assignee: r.worker.ID,
				want: []notice{
					{tickets.NoticeNew, "o-worker", true},
					{tickets.NoticeCopy, "o-head", true},
					{tickets.NoticeCopy, "o-unit", true},
				},
			},
			{
				name: "unit without a head", category: "sanitation", building: &r.b3, unit: 1,
				assignee: r.worker.ID,
				want:     []notice{{tickets.NoticeNew, "o-worker", true}, {tickets.NoticeCopy, "o-head", true}},
			},
			{
				name: "category to its role", category: "dispute", building: &r.b3,
				assignee: r.mediator.ID,
				want:     []notice{{tickets.NoticeNew, "o-mediator", true}, {tickets.NoticeCopy, "o-head", true}},
			},
			{
				name: "suggestion to the supervisor", category: "suggestion",
				assignee: r.sup.ID,
				want:     []notice{{tickets.NoticeNew, "o-sup", true}},
			},
			{
				name: "building in no grid to duty", category: "repair", building: &r.b5,
				assignee: r.duty.ID,
				want:     []notice{{tickets.NoticeNew, "o-duty", true}},
			},
			{
				name: "no building to duty", category: "medical",
				assignee: r.duty.ID,
				want:     []notice{{tickets.NoticeNew, "o-duty", true}},
			},
			{
				name: "role nobody has to duty", category: "employment", building: &r.b5,
				assignee: r.duty.ID,
				want:     []notice{{tickets.NoticeNew, "o-duty", true}},
			},
			{
				name: "unbound grid worker through the duty group", category: "repair", building: &r.b7,
				assignee: r.worker2.ID,
				want:     []notice{{tickets.NoticeNew, bot.DutyStaff, true}},
			},
		} {
			t.Run(tc.name, func(t *testing.T) {
				d := draft("o-res-"+tc.name, tc.category, tc.building)
				d.Unit = tc.unit
				rc := r.submit(d)
				if rc.Ticket.AssigneeID != tc.assignee {
					t.Errorf("assignee = %d, want %d", rc.Ticket.AssigneeID, tc.assignee)
				}
				if diff := cmp.Diff(tc.want, r.notices(rc.Ticket.Number)); diff != "" {
					t.Errorf("notifications mismatch (-want +got):\n%s", diff)
				}
			})
		}
		// The unbound worker's notice names them for the duty staff.
		rc := r.submit(draft("o-res-b7", "repair", &r.b7))
		if text := r.text(rc.Ticket.Number, tickets.NoticeNew, bot.DutyStaff); !strings.Contains(text, "李四") || strings.Contains(text, "13800138000") {
			t.Errorf("duty group text %q: want the assignee's name and no full phone number", text)
		}
		if text := r.text(r.submit(draft("o-res-x", "repair", &r.b3)).Ticket.Number, tickets.NoticeNew, "o-worker"); !strings.Contains(text, "13800138000") {
			t.Errorf("assignee text %q: want the resident's phone", text)
		}
	})
}

func TestRoutingWithoutStaff(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		rc := r.submit(draft("o-res", "repair", nil))
		if rc.Ticket.AssigneeID != 0 || rc.Ticket.Place != "未说明地点" {
			t.Errorf("ticket = %+v, want no assignee", rc.Ticket)
		}
		want := []notice{{tickets.NoticeNew, bot.DutyStaff, true}}
		if diff := cmp.Diff(want, r.notices(rc.Ticket.Number)); diff != "" {
			t.Errorf("notifications mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestNumbersAndDeadlines(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s).community()
		first := r.submit(draft("o-a", "repair", &r.b3)).Ticket
		second := r.submit(draft("o-b", "dispute", nil)).Ticket
		// 00:30 in Shanghai is still the previous day in UTC.
		r.clock.Set(time.Date(2026, 11, 27, 0, 30, 0, 0, time.FixedZone("CST", 8*3600)))
		next := r.submit(draft("o-c", "repair", &r.b5)).Ticket
		for _, tc := range []struct{ got, want string }{
			{first.Number, "2611260001"}, {second.Number, "2611260002"}, {next.Number, "2611270001"},
		} {
			if tc.got != tc.want || !regexp.MustCompile(`^\d{1,10}$`).MatchString(tc.got) {
				t.Errorf("number %q, want %q", tc.got, tc.want)
			}
		}
		// 4 working hours from Thursday 10:00: 12:00, then 14:30–16:30.
		if want := time.Date(2026, 11, 26, 16, 30, 0, 0, time.FixedZone("CST", 8*3600)); !first.ResponseDue.Equal(want) {
			t.Errorf("ResponseDue = %v, want %v", first.ResponseDue, want)
		}
		// 18 working hours from Thursday 10:00: 5 on Thursday, 6 on Friday,
		// none at the weekend, 6 on Monday, 1 on Tuesday.
		if want := time.Date(2026, 12, 1, 10, 0, 0, 0, cst); !first.ResolveDue.Equal(want) {
			t.Errorf("ResolveDue = %v, want %v", first.ResolveDue, want)
		}
		got, events, err := r.svc.Get(context.Background(), first.Number)
		if err != nil {
			t.Fatal(err)
		}
		first.AssigneeName = "张三"
		if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("Get mismatch (-want +got):\n%s", diff)
		}
		if got.CategoryName != "维修报修" || got.Place != "3号楼2单元201室" || len(got.Photos) != 1 {
			t.Errorf("ticket = %+v", got)
		}
		want := []ticket.Entry{
			{At: t0.UTC(), Actor: "居民", Action: "提交诉求"},
			{At: t0.UTC(), Actor: "系统", Action: "派单", Note: "派给 网格员 张三"},
		}
		if diff := cmp.Diff(want, events); diff != "" {
			t.Errorf("timeline mismatch (-want +got):\n%s", diff)
		}
		if _, _, err := r.svc.Get(context.Background(), "2611269999"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestLifecycle(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number

		got := r.act(ticket.Action{Number: n, Kind: ticket.ActAccept, By: r.worker.ID})
		if got.Status != ticket.Accepted || got.AcceptedAt == nil {
			t.Fatalf("after accept: %+v", got)
		}
		if want := "您的诉求（编号 " + n + "）已受理，处理人：张三。"; r.text(n, tickets.NoticeAccepted, "o-res") != want {
			t.Errorf("accepted text %q, want %q", r.text(n, tickets.NoticeAccepted, "o-res"), want)
		}
		if _, err := r.svc.AwaitingRating(ctx, "o-res"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("AwaitingRating before resolve: %v, want ErrNotFound", err)
		}

		_, err := r.svc.Act(ctx, ticket.Action{Number: n, Kind: ticket.ActResolve, By: r.worker.ID})
		if fieldError(t, err) != "note" {
			t.Errorf("resolve without a note: %v", err)
		}
		got = r.act(ticket.Action{Number: n, Kind: ticket.ActResolve, By: r.worker.ID, Note: "已更换灯泡"})
		if got.Status != ticket.Resolved || got.Resolution != "已更换灯泡" || got.ResolvedAt == nil {
			t.Fatalf("after resolve: %+v", got)
		}
		// A template message (outside the 48-hour window) says how to rate too.
		if p := r.payload(n, tickets.NoticeResolved, "o-res"); p.Fields["action"] != tickets.RatingAction || len([]rune(tickets.RatingAction)) > 20 {
			t.Errorf("resolved notice fields %v, want the rating action within 20 characters", p.Fields)
		}
		if p := r.payload(n, tickets.NoticeAccepted, "o-res"); p.Fields["action"] != "" {
			t.Errorf("accepted notice asks for a rating: %v", p.Fields)
		}
		if text := r.text(n, tickets.NoticeResolved, "o-res"); !strings.HasSuffix(text, tickets.RatingPrompt) || !strings.Contains(text, "评价 1") || !strings.Contains(text, n) {
			t.Errorf("resolved text %q", text)
		}
		if aw, err := r.svc.AwaitingRating(ctx, "o-res"); err != nil || aw.Number != n {
			t.Fatalf("AwaitingRating = %s, %v", aw.Number, err)
		}
		if _, err := r.svc.Rate(ctx, "o-other", n, 1); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("rating someone else's ticket: %v, want ErrNotFound", err)
		}
		got, err = r.svc.Rate(ctx, "o-res", n, ticket.RatingSatisfied)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != ticket.Closed || got.Rating != 1 || got.ClosedAt == nil {
			t.Errorf("after rating: %+v", got)
		}
		if _, err := r.svc.Rate(ctx, "o-res", n, 2); userError(t, err) == "" {
			t.Error("rated twice")
		}
		want := []string{"提交诉求", "派单", "受理", "办结", "评价"}
		if diff := cmp.Diff(want, r.timeline(n)); diff != "" {
			t.Errorf("timeline mismatch (-want +got):\n%s", diff)
		}
		wantNotices := []notice{
			{tickets.NoticeNew, "o-worker", true}, {tickets.NoticeCopy, "o-head", true}, {tickets.NoticeCopy, "o-unit", true},
			{tickets.NoticeAccepted, "o-res", false}, {tickets.NoticeResolved, "o-res", false},
		}
		if diff := cmp.Diff(wantNotices, r.notices(n)); diff != "" {
			t.Errorf("notifications mismatch (-want +got):\n%s", diff)
		}
		mine, err := r.svc.Mine(ctx, "o-res", 10)
		if err != nil || len(mine) != 1 || mine[0].Status != ticket.Closed {
			t.Errorf("Mine = %+v, %v", mine, err)
		}
	})
}

func TestDissatisfiedReopens(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		r.act(ticket.Action{Number: n, Kind: ticket.ActAccept, By: r.worker.ID})
		r.act(ticket.Action{Number: n, Kind: ticket.ActResolve, By: r.worker.ID, Note: "已修"})
		if _, err := r.svc.Rate(ctx, "o-res", n, 4); userError(t, err) == "" {
			t.Error("rating 4 accepted")
		}
		r.clock.Set(t0.Add(26 * time.Hour))
		got, err := r.svc.Rate(ctx, "o-res", n, ticket.RatingDissatisfied)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != ticket.Reopened || got.ResolvedAt != nil || got.Rating != 3 {
			t.Errorf("after 不满意: %+v", got)
		}
		// 18 working hours again from Friday 12:00 (the lunch break): 3 on
		// Friday, 6 on Monday and Tuesday, 3 on Wednesday morning. Stored,
		// not just returned; the response deadline stays.
		wantDue := time.Date(2026, 12, 2, 12, 0, 0, 0, cst)
		stored, _, err := r.svc.Get(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		for what, due := range map[string]time.Time{"returned": got.ResolveDue, "stored": stored.ResolveDue} {
			if !due.Equal(wantDue) {
				t.Errorf("%s ResolveDue after 不满意 = %v, want %v", what, due, wantDue)
			}
		}
		if want := time.Date(2026, 11, 26, 16, 30, 0, 0, cst); !stored.ResponseDue.Equal(want) {
			t.Errorf("stored ResponseDue = %v, want %v", stored.ResponseDue, want)
		}
		if text := r.text(n, tickets.NoticeReopened, "o-worker"); !strings.Contains(text, "12月2日 12:00 前重新办结") {
			t.Errorf("reopened text %q, want the new deadline", text)
		}
		tail := r.notices(n)[5:]
		want := []notice{{tickets.NoticeReopened, "o-worker", true}, {tickets.NoticeReopened, "o-sup", true}}
		if diff := cmp.Diff(want, tail); diff != "" {
			t.Errorf("notifications mismatch (-want +got):\n%s", diff)
		}
		if _, err := r.svc.AwaitingRating(ctx, "o-res"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("a reopened ticket awaits rating: %v", err)
		}
		// Reopened work is resolved again and rated anew.
		r.act(ticket.Action{Number: n, Kind: ticket.ActResolve, By: r.worker.ID, Note: "重新修好"})
		if got, err = r.svc.Rate(ctx, "o-res", n, ticket.RatingBasically); err != nil || got.Status != ticket.Closed || got.Rating != 2 {
			t.Errorf("second rating: %+v, %v", got, err)
		}
	})
}

func TestReturnAndTransfer(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number

		_, err := r.svc.Act(ctx, ticket.Action{Number: n, Kind: ticket.ActReturn, By: r.worker.ID})
		if fieldError(t, err) != "note" {
			t.Errorf("return without a reason: %v", err)
		}
		got := r.act(ticket.Action{Number: n, Kind: ticket.ActReturn, By: r.worker.ID, Note: "不属于本网格"})
		if got.Status != ticket.Returned || got.AssigneeID != r.duty.ID {
			t.Fatalf("after return: %+v", got)
		}
		// The former assignee no longer may act; the duty staff may.
		if _, err := r.svc.Act(ctx, ticket.Action{Number: n, Kind: ticket.ActAccept, By: r.worker.ID}); userError(t, err) == "" {
			t.Error("former assignee accepted")
		}
		for _, to := range []string{"", "钱七"} {
			if _, err := r.svc.Act(ctx, ticket.Action{Number: n, Kind: ticket.ActTransfer, By: r.duty.ID, To: to}); fieldError(t, err) != "assignee_id" {
				t.Errorf("transfer to %q: %v", to, err)
			}
		}
		got = r.act(ticket.Action{Number: n, Kind: ticket.ActTransfer, By: r.duty.ID, To: "李四", Note: "请李四处理"})
		if got.Status != ticket.Submitted || got.AssigneeID != r.worker2.ID || got.AssigneeName != "李四" {
			t.Fatalf("after transfer: %+v", got)
		}
		if _, err := r.svc.Act(ctx, ticket.Action{Number: n, Kind: ticket.ActTransfer, By: r.duty.ID, ToID: r.worker2.ID}); userError(t, err) == "" {
			t.Error("transfer to the current assignee")
		}
		// The admin API (By 0) accepts through Patch.
		got, err = r.svc.Patch(ctx, n, tickets.Patch{Status: ticket.Accepted, Note: "电话已联系"})
		if err != nil || got.Status != ticket.Accepted || got.AssigneeID != r.worker2.ID {
			t.Fatalf("Patch accept: %+v, %v", got, err)
		}
		// A transfer and a status change patch together or not at all.
		if _, err := r.svc.Patch(ctx, n, tickets.Patch{AssigneeID: r.worker.ID, Status: ticket.Resolved}); fieldError(t, err) != "note" {
			t.Errorf("patch without a resolution: %v", err)
		}
		if cur, _, _ := r.svc.Get(ctx, n); cur.AssigneeID != r.worker2.ID {
			t.Errorf("a failed patch left the assignee %d", cur.AssigneeID)
		}
		if _, err := r.svc.Patch(ctx, n, tickets.Patch{Status: ticket.Closed}); fieldError(t, err) != "status" {
			t.Errorf("patch to closed: %v", err)
		}
		if _, err := r.svc.Patch(ctx, "0000000000", tickets.Patch{Note: "x"}); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("patch unknown: %v", err)
		}

		want := []notice{
			{tickets.NoticeNew, "o-worker", true}, {tickets.NoticeCopy, "o-head", true}, {tickets.NoticeCopy, "o-unit", true},
			{tickets.NoticeAssigned, "o-duty", true}, {tickets.NoticeReturned, "o-res", false},
			{tickets.NoticeAssigned, bot.DutyStaff, true}, {tickets.NoticeTransferred, "o-res", false},
			{tickets.NoticeAccepted, "o-res", false},
		}
		if diff := cmp.Diff(want, r.notices(n)); diff != "" {
			t.Errorf("notifications mismatch (-want +got):\n%s", diff)
		}
		if text := r.text(n, tickets.NoticeTransferred, "o-res"); text != "您的诉求（编号 "+n+"）已转交 李四 办理。" {
			t.Errorf("transferred text %q", text)
		}
		_, events, _ := r.svc.Get(ctx, n)
		var lines []string
		for _, e := range events {
			lines = append(lines, e.Actor+"|"+e.Action+"|"+e.Note)
		}
		wantLines := []string{
			"居民|提交诉求|", "系统|派单|派给 网格员 张三",
			"网格员 张三|退回|不属于本网格",
			"值班员 赵值班|转派|转给 网格员 李四：请李四处理",
			"管理员|受理|电话已联系",
		}
		if diff := cmp.Diff(wantLines, lines); diff != "" {
			t.Errorf("timeline mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestPermissions(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		for _, tc := range []struct {
			name string
			a    ticket.Action
			want string // in the refusal
		}{
			{"another grid worker accepts", ticket.Action{Kind: ticket.ActAccept, By: r.worker2.ID}, "不是派给您的"},
			{"a mediator notes", ticket.Action{Kind: ticket.ActNote, By: r.mediator.ID, Note: "x"}, "不是派给您的"},
			{"resolve before accept", ticket.Action{Kind: ticket.ActResolve, By: r.worker.ID, Note: "x"}, "还未受理"},
			{"unknown staff", ticket.Action{Kind: ticket.ActAccept, By: 9999}, "工作人员记录"},
		} {
			tc.a.Number = n
			_, err := r.svc.Act(ctx, tc.a)
			if msg := userError(t, err); !strings.Contains(msg, tc.want) {
				t.Errorf("%s: %q, want it to say %q", tc.name, msg, tc.want)
			}
		}
		r.act(ticket.Action{Number: n, Kind: ticket.ActAccept, By: r.worker.ID})
		if _, err := r.svc.Act(ctx, ticket.Action{Number: n, Kind: ticket.ActAccept, By: r.worker.ID}); !strings.Contains(userError(t, err), "已在办理中") {
			t.Errorf("accept twice: %v", err)
		}
		// A supervisor may act on anyone's ticket.
		r.act(ticket.Action{Number: n, Kind: ticket.ActNote, By: r.sup.ID, Note: "请今天办结"})
		r.act(ticket.Action{Number: n, Kind: ticket.ActResolve, By: r.worker.ID, Note: "已修"})
		if _, err := r.svc.Act(ctx, ticket.Action{Number: n, Kind: ticket.ActTransfer, By: r.sup.ID, To: "李四"}); !strings.Contains(userError(t, err), "已办结") {
			t.Errorf("transfer after resolve: %v", err)
		}
		if _, err := r.svc.Act(ctx, ticket.Action{Number: "2611269999", Kind: ticket.ActAccept, By: r.worker.ID}); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("unknown ticket: %v", err)
		}
		// After all the refusals, the timeline holds only what happened.
		want := []string{"提交诉求", "派单", "受理", "备注", "办结"}
		if diff := cmp.Diff(want, r.timeline(n)); diff != "" {
			t.Errorf("timeline mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestUrge(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		rc := r.submit(draft("o-res", "repair", &r.b3))
		n := rc.Ticket.Number

		// Filing told the resident "我们会在 11月26日 16:30 前联系您".
		_, err := r.svc.Urge(ctx, "o-res", n)
		if msg, want := userError(t, err), "编号 "+n+" 的诉求还在受理时限内，11月26日 16:30 前仍未受理可以催办。"; msg != want {
			t.Errorf("early urge: %q, want %q", msg, want)
		}
		if _, err := r.svc.Urge(ctx, "o-other", n); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("urging someone else's ticket: %v, want ErrNotFound", err)
		}
		r.clock.Set(rc.Ticket.ResponseDue.Add(time.Minute))
		got, err := r.svc.Urge(ctx, "o-res", n)
		if err != nil || got.UrgedAt == nil {
			t.Fatalf("Urge = %+v, %v", got, err)
		}
		_, err = r.svc.Urge(ctx, "o-res", n)
		if msg := userError(t, err); !strings.Contains(msg, "已催办") || !strings.Contains(msg, "11月27日 16:31") {
			t.Errorf("second urge: %q", msg)
		}
		r.clock.Set(rc.Ticket.ResponseDue.Add(25 * time.Hour))
		if _, err := r.svc.Urge(ctx, "o-res", n); err != nil {
			t.Errorf("urge a day later: %v", err)
		}
		var urged []notice
		for _, nt := range r.notices(n) {
			if nt.Kind == tickets.NoticeUrged {
				urged = append(urged, nt)
			}
		}
		// Each urge reaches the supervisor and the handler.
		want := []notice{
			{tickets.NoticeUrged, "o-sup", true}, {tickets.NoticeUrged, "o-worker", true},
			{tickets.NoticeUrged, "o-sup", true}, {tickets.NoticeUrged, "o-worker", true},
		}
		if diff := cmp.Diff(want, urged); diff != "" {
			t.Errorf("urge notifications mismatch (-want +got):\n%s", diff)
		}
		if text := r.text(n, tickets.NoticeUrged, "o-worker"); !strings.Contains(text, "居民催办") || !strings.Contains(text, "回复 受理 "+n) {
			t.Errorf("the handler's urge notice: %q", text)
		}
		// Without a grid supervisor, any supervisor; on a resolved ticket,
		// no urging.
		other := r.submit(draft("o-res", "repair", &r.b7)).Ticket
		r.clock.Set(other.ResponseDue.Add(time.Second))
		if _, err := r.svc.Urge(ctx, "o-res", other.Number); err != nil {
			t.Fatal(err)
		}
		// 李四 has not bound WeChat: his copy goes to the duty group.
		sent := r.notices(other.Number)
		if want := []notice{{tickets.NoticeUrged, "o-sup", true}, {tickets.NoticeUrged, bot.DutyStaff, true}}; !cmp.Equal(sent[len(sent)-2:], want) {
			t.Errorf("urge without a grid supervisor went to %+v, want %+v", sent[len(sent)-2:], want)
		}
		r.act(ticket.Action{Number: other.Number, Kind: ticket.ActAccept, By: r.worker2.ID})
		r.act(ticket.Action{Number: other.Number, Kind: ticket.ActResolve, By: r.worker2.ID, Note: "好了"})
		r.clock.Set(r.clock.Now().Add(48 * time.Hour))
		if _, err := r.svc.Urge(ctx, "o-res", other.Number); !strings.Contains(userError(t, err), "已办结") {
			t.Errorf("urging a resolved ticket: %v", err)
		}
	})
}

func TestSupplement(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		for _, who := range []string{"o-other", ""} {
			if _, err := r.svc.Supplement(ctx, who, n, "楼上也漏水"); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("supplement by %q: %v, want ErrNotFound", who, err)
			}
		}
		if _, err := r.svc.Supplement(ctx, "o-res", "2611269999", "x"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("supplement unknown: %v, want ErrNotFound", err)
		}
		if _, err := r.svc.Supplement(ctx, "o-res", n, "  "); userError(t, err) == "" {
			t.Error("empty supplement accepted")
		}
		if _, err := r.svc.Supplement(ctx, "o-res", n, "楼上也漏水"); err != nil {
			t.Fatal(err)
		}
		if text := r.text(n, tickets.NoticeSupplement, "o-worker"); !strings.Contains(text, "楼上也漏水") {
			t.Errorf("supplement text %q", text)
		}
		want := []string{"提交诉求", "派单", "补充"}
		if diff := cmp.Diff(want, r.timeline(n)); diff != "" {
			t.Errorf("timeline mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestSameIssue(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		first := r.submit(draft("o-1", "repair", &r.b3))
		r.clock.Set(t0.Add(time.Hour))
		second := r.submit(draft("o-2", "repair", &r.b3))
		third := r.submit(draft("o-3", "repair", &r.b3))
		// The same resident again: their own tickets are not other
		// households, and count once for the next filer.
		again := r.submit(draft("o-2", "repair", &r.b3))
		// Staff file for a resident without WeChat: a household by phone.
		d := draft("", "repair", &r.b3)
		d.Phone, d.FiledBy, d.Source = "13900000001", r.duty.ID, ""
		byPhone := r.submit(d)
		// The same problem in other words links; other words about
		// nothing in particular do not (TestSimilarIssue).
		d.Description = "楼道的灯还是坏的"
		byPhoneAgain := r.submit(d)
		d.Description = "还是没人来修"
		vague := r.submit(d)
		otherKind := r.submit(draft("o-4", "sanitation", &r.b3))
		otherBuilding := r.submit(draft("o-5", "repair", &r.b5))
		for _, tc := range []struct {
			name   string
			rc     ticket.Receipt
			same   int
			parent int64
		}{
			{"first", first, 0, 0},
			{"second", second, 1, first.Ticket.ID},
			{"third", third, 2, first.Ticket.ID},
			{"o-2 again", again, 2, first.Ticket.ID},
			{"by phone", byPhone, 3, first.Ticket.ID},
			{"by phone again", byPhoneAgain, 3, first.Ticket.ID},
			{"vague", vague, 0, 0},
			{"other category", otherKind, 0, 0},
			{"other building", otherBuilding, 0, 0},
		} {
			if tc.rc.SameIssue != tc.same || tc.rc.Ticket.ParentID != tc.parent {
				t.Errorf("%s: SameIssue %d, parent %d; want %d, %d", tc.name, tc.rc.SameIssue, tc.rc.Ticket.ParentID, tc.same, tc.parent)
			}
		}
		want := []string{"提交诉求", "派单", "同类反映", "同类反映", "同类反映", "同类反映", "同类反映"}
		if diff := cmp.Diff(want, r.timeline(first.Ticket.Number)); diff != "" {
			t.Errorf("first timeline mismatch (-want +got):\n%s", diff)
		}
		_, events, err := r.svc.Get(ctx, again.Ticket.Number)
		if err != nil {
			t.Fatal(err)
		}
		if note, want := events[len(events)-1].Note, "本楼已有 2 户反映同类问题，并入编号 "+first.Ticket.Number+" 一并处理"; note != want {
			t.Errorf("link note %q, want %q", note, want)
		}
		if text := r.text(again.Ticket.Number, tickets.NoticeNew, "o-worker"); !strings.Contains(text, "本楼已有 2 户反映同类问题。") {
			t.Errorf("assignee text %q, want the households", text)
		}
		// Resolved tickets and those older than a day do not count.
		// Resolving the root resolves what is linked to it
		// (TestResolvingAParentResolvesItsChildren), so nothing is left
		// to link to.
		r.act(ticket.Action{Number: first.Ticket.Number, Kind: ticket.ActAccept, By: r.worker.ID})
		r.act(ticket.Action{Number: first.Ticket.Number, Kind: ticket.ActResolve, By: r.worker.ID, Note: "已修"})
		if rc := r.submit(draft("o-6", "repair", &r.b3)); rc.SameIssue != 0 || rc.Ticket.ParentID != 0 {
			t.Errorf("after resolving the root: SameIssue %d, parent %d; want 0, 0", rc.SameIssue, rc.Ticket.ParentID)
		}
		r.clock.Set(t0.Add(49 * time.Hour))
		if rc := r.submit(draft("o-7", "repair", &r.b3)); rc.SameIssue != 0 || rc.Ticket.ParentID != 0 {
			t.Errorf("two days later: SameIssue %d, parent %d", rc.SameIssue, rc.Ticket.ParentID)
		}
	})
}

func TestConcurrentSubmissions(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		const n = 20
		var wg sync.WaitGroup
		numbers := make([]string, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Two residents, each at the daily limit.
				rc, err := r.svc.Submit(ctx, draft(fmt.Sprintf("o-res-%d", i%2), "repair", &r.b3))
				numbers[i], errs[i] = rc.Ticket.Number, err
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("submission %d: %v", i, errs[i])
			}
			seen[numbers[i]] = true
		}
		for i := 1; i <= n; i++ {
			if want := fmt.Sprintf("261126%04d", i); !seen[want] {
				t.Errorf("number %s missing from %v", want, numbers)
			}
		}
		for _, who := range []string{"o-res-0", "o-res-1"} {
			mine, err := r.svc.Mine(ctx, who, 100)
			if err != nil || len(mine) != n/2 {
				t.Errorf("Mine(%s): %d tickets, %v; want %d", who, len(mine), err, n/2)
			}
		}
		for _, num := range numbers {
			if got := r.notices(num); len(got) != 3 {
				t.Errorf("ticket %s has %d notifications, want 3", num, len(got))
			}
		}
	})
}

// TestSubmitIsAtomic breaks the outbox mid-filing: the ticket, its
// timeline, its number and its notices must all be gone.
func TestSubmitIsAtomic(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		if _, err := s.DB().ExecContext(ctx, `DROP TABLE river_job`); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.Submit(ctx, draft("o-res", "repair", &r.b3)); err == nil {
			t.Fatal("Submit succeeded without a job table")
		}
		for _, table := range []string{"tickets", "ticket_events", "ticket_counters", "notifications"} {
			var n int
			if err := s.DB().GetContext(ctx, &n, `SELECT COUNT(*) FROM `+table); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%s has %d rows after a failed filing", table, n)
			}
		}
	})
}

func TestSubmitValidation(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		for _, tc := range []struct {
			field string
			edit  func(*ticket.Draft)
		}{
			{"category", func(d *ticket.Draft) { d.Category = "noise" }},
			{"description", func(d *ticket.Draft) { d.Description, d.Photos = " ", nil }},
			{"photos", func(d *ticket.Draft) { d.Photos = make([]string, 7) }},
			{"voice", func(d *ticket.Draft) { d.Voice = "http://127.0.0.1/voice.amr" }},
			{"phone", func(d *ticket.Draft) { d.Phone = "12345" }},
			{"phone", func(d *ticket.Draft) { d.OpenID, d.Phone = "", "" }},
			{"building_id", func(d *ticket.Draft) { d.BuildingID = 999 }},
			{"filed_by", func(d *ticket.Draft) { d.FiledBy = 999 }},
			{"source", func(d *ticket.Draft) { d.Source = "fax" }},
		} {
			d := draft("o-res", "repair", &r.b3)
			tc.edit(&d)
			_, err := r.svc.Submit(ctx, d)
			if got := fieldError(t, err); got != tc.field {
				t.Errorf("field %q, want %q (%v)", got, tc.field, err)
			}
			userError(t, err)
		}
		// Staff file for a resident without WeChat.
		d := draft("", "repair", &r.b3)
		d.FiledBy, d.Source = r.duty.ID, ""
		rc := r.submit(d)
		if rc.Ticket.Source != "staff" || rc.Ticket.OpenID != "" {
			t.Errorf("staff filing: %+v", rc.Ticket)
		}
		if got := r.timeline(rc.Ticket.Number)[0]; got != "代居民登记诉求" {
			t.Errorf("first event %q", got)
		}
		r.act(ticket.Action{Number: rc.Ticket.Number, Kind: ticket.ActAccept, By: r.worker.ID})
		for _, nt := range r.notices(rc.Ticket.Number) {
			if !nt.Staff {
				t.Errorf("a resident notice without a resident: %+v", nt)
			}
		}
	})
}

func TestSweep(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		late := r.submit(draft("o-1", "repair", &r.b3)).Ticket
		answered := r.submit(draft("o-2", "dispute", &r.b3)).Ticket
		r.act(ticket.Action{Number: answered.Number, Kind: ticket.ActAccept, By: r.mediator.ID})

		sweep := func(wantEsc, wantClosed int) {
			t.Helper()
			esc, closed, err := r.svc.Sweep(ctx)
			if err != nil || esc != wantEsc || closed != wantClosed {
				t.Errorf("Sweep at %v = %d escalated, %d closed, %v; want %d, %d", r.clock.Now(), esc, closed, err, wantEsc, wantClosed)
			}
		}
		sweep(0, 0)
		r.clock.Set(late.ResponseDue)
		sweep(1, 0)
		sweep(0, 0)
		got, _, _ := r.svc.Get(ctx, late.Number)
		if got.EscalatedAt == nil {
			t.Error("EscalatedAt not set")
		}
		want := []notice{
			{tickets.NoticeNew, "o-worker", true}, {tickets.NoticeCopy, "o-head", true}, {tickets.NoticeCopy, "o-unit", true},
			{tickets.NoticeEscalated, "o-sup", true},
		}
		if diff := cmp.Diff(want, r.notices(late.Number)); diff != "" {
			t.Errorf("notifications mismatch (-want +got):\n%s", diff)
		}

		// Several instances sweeping at once escalate a ticket once.
		r.clock.Set(t0)
		third := r.submit(draft("o-3", "medical", nil)).Ticket
		r.clock.Set(third.ResponseDue.Add(time.Second))
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				esc, _, err := r.svc.Sweep(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += esc
				mu.Unlock()
			}()
		}
		wg.Wait()
		if total != 1 {
			t.Errorf("concurrent sweeps escalated %d times, want 1", total)
		}

		// Resolved and unrated for three days: closed as 默认满意.
		r.act(ticket.Action{Number: answered.Number, Kind: ticket.ActResolve, By: r.mediator.ID, Note: "已调解"})
		resolvedAt := r.clock.Now()
		r.clock.Set(resolvedAt.Add(tickets.RatingWindow - time.Second))
		sweep(0, 0)
		r.clock.Set(resolvedAt.Add(tickets.RatingWindow))
		sweep(0, 1)
		sweep(0, 0)
		got, _, _ = r.svc.Get(ctx, answered.Number)
		if got.Status != ticket.Closed || got.Rating != 1 || got.RatingNote != "默认满意" || got.ClosedAt == nil {
			t.Errorf("auto-closed ticket: %+v", got)
		}
		if tl := r.timeline(answered.Number); tl[len(tl)-1] != "自动关闭" {
			t.Errorf("timeline %v", tl)
		}
	})
}

func TestTodoAndList(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		old := r.submit(draft("o-1", "sanitation", &r.b3)).Ticket
		r.clock.Set(t0.Add(20 * time.Minute))
		newer := r.submit(draft("o-2", "repair", &r.b3)).Ticket
		r.clock.Set(t0.Add(time.Hour))
		accepted := r.submit(draft("o-3", "repair", &r.b3)).Ticket
		r.act(ticket.Action{Number: accepted.Number, Kind: ticket.ActAccept, By: r.worker.ID})
		done := r.submit(draft("o-4", "repair", &r.b3)).Ticket
		r.act(ticket.Action{Number: done.Number, Kind: ticket.ActAccept, By: r.worker.ID})
		r.act(ticket.Action{Number: done.Number, Kind: ticket.ActResolve, By: r.worker.ID, Note: "好"})
		r.submit(draft("o-5", "repair", &r.b7))
		// At 17:00 the unaccepted ones are past their response deadlines
		// (16:30 and 16:50); the accepted one is not overdue.
		r.clock.Set(time.Date(2026, 11, 26, 17, 0, 0, 0, time.FixedZone("CST", 8*3600)))
		todo, err := r.svc.Todo(ctx, r.worker.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tk := range todo {
			got = append(got, tk.Number)
		}
		if diff := cmp.Diff([]string{old.Number, newer.Number, accepted.Number}, got); diff != "" {
			t.Errorf("Todo mismatch (-want +got):\n%s", diff)
		}

		for _, tc := range []struct {
			name  string
			f     tickets.Filter
			want  []string
			total int
		}{
			{"all, newest first, paged", tickets.Filter{Limit: 2}, []string{"2611260005", done.Number}, 5},
			{"status", tickets.Filter{Status: ticket.Resolved}, []string{done.Number}, 1},
			{"category", tickets.Filter{Category: "sanitation"}, []string{old.Number}, 1},
			{"grid", tickets.Filter{GridID: r.gridA.ID, Offset: 3}, []string{old.Number}, 4},
			{"overdue", tickets.Filter{Overdue: true, GridID: r.gridA.ID}, []string{newer.Number, old.Number}, 2},
			{"created range", tickets.Filter{From: t0.Add(time.Minute), To: t0.Add(time.Hour)}, []string{newer.Number}, 1},
		} {
			ts, total, err := r.svc.List(ctx, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var got []string
			for _, tk := range ts {
				got = append(got, tk.Number)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || total != tc.total {
				t.Errorf("%s: total %d (want %d), mismatch (-want +got):\n%s", tc.name, total, tc.total, diff)
			}
		}
		if _, _, err := r.svc.List(ctx, tickets.Filter{Status: "lost"}); fieldError(t, err) != "status" {
			t.Errorf("bad status: %v", err)
		}
	})
}

func TestStats(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		// Grid A: t1 answered in time and rated 满意; t2 answered late and
		// rated 不满意 (reopened); t3 never answered. No grid: t4 answered
		// in time, resolved, unrated.
		t1 := r.submit(draft("o-1", "repair", &r.b3)).Ticket
		d2 := draft("o-2", "repair", &r.b3)
		d2.Description = "电梯坏了" // not t1's problem: resolving t1 leaves it open
		t2 := r.submit(d2).Ticket
		r.submit(draft("o-3", "dispute", &r.b3)) // t3
		t4 := r.submit(draft("o-4", "repair", &r.b5)).Ticket
		r.clock.Set(t0.Add(time.Hour))
		for _, tk := range []ticket.Ticket{t1, t4} {
			r.act(ticket.Action{Number: tk.Number, Kind: ticket.ActAccept, By: tk.AssigneeID})
			r.act(ticket.Action{Number: tk.Number, Kind: ticket.ActResolve, By: tk.AssigneeID, Note: "好"})
		}
		if _, err := r.svc.Rate(ctx, "o-1", t1.Number, 1); err != nil {
			t.Fatal(err)
		}
		r.clock.Set(t2.ResponseDue.Add(time.Hour))
		r.act(ticket.Action{Number: t2.Number, Kind: ticket.ActAccept, By: r.worker.ID})
		r.act(ticket.Action{Number: t2.Number, Kind: ticket.ActResolve, By: r.worker.ID, Note: "好"})
		if _, err := r.svc.Rate(ctx, "o-2", t2.Number, 3); err != nil {
			t.Fatal(err)
		}
		// Outside the period.
		r.clock.Set(t0.Add(24 * time.Hour))
		r.submit(draft("o-5", "repair", &r.b3))

		r.clock.Set(t2.ResponseDue.Add(2 * time.Hour))
		got, err := r.svc.Stats(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := tickets.Stats{
			From: t0.Add(-time.Hour).UTC(), To: t0.Add(time.Hour).UTC(),
			Total: tickets.StatRow{Key: "total", Name: "合计", Tickets: 4, Open: 2, Overdue: 1,
				ResponseRate: 2.0 / 4, ResolutionRate: 2.0 / 4, SatisfactionRate: 1.0 / 2},
			ByGrid: []tickets.StatRow{
				{Key: "0", Name: "未划网格", Tickets: 1, ResponseRate: 1, ResolutionRate: 1},
				{Key: fmt.Sprint(r.gridA.ID), Name: "一网格", Tickets: 3, Open: 2, Overdue: 1,
					ResponseRate: 1.0 / 3, ResolutionRate: 1.0 / 3, SatisfactionRate: 1.0 / 2},
			},
			ByCategory: []tickets.StatRow{
				{Key: "repair", Name: "维修报修", Tickets: 3, Open: 1,
					ResponseRate: 2.0 / 3, ResolutionRate: 2.0 / 3, SatisfactionRate: 1.0 / 2},
				{Key: "dispute", Name: "矛盾纠纷", Tickets: 1, Open: 1, Overdue: 1},
			},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Stats mismatch (-want +got):\n%s", diff)
		}
		if _, err := r.svc.Stats(ctx, t0, t0); fieldError(t, err) != "to" {
			t.Errorf("empty period: %v", err)
		}
	})
}

func TestAdmin(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		for _, tc := range []struct {
			field string
			in    cs.StaffInput
		}{
			{"name", cs.StaffInput{Name: " ", Roles: []string{"duty"}}},
			{"phone", cs.StaffInput{Name: "甲", Phone: "02112345678"}},
			{"roles", cs.StaffInput{Name: "甲", Roles: []string{"janitor"}}},
			{"openid", cs.StaffInput{Name: "甲", OpenID: "o-worker"}},
		} {
			if _, _, err := r.dir.CreateStaff(ctx, tc.in); fieldError(t, err) != tc.field {
				t.Errorf("CreateStaff(%+v): %v, want field %s", tc.in, err, tc.field)
			}
		}
		st, code, err := r.dir.CreateStaff(ctx, cs.StaffInput{Name: "钱七", Phone: "13700000000", Roles: []string{"duty", "duty", "admin"}})
		if err != nil || !regexp.MustCompile(`^[2-9A-HJ-NP-Z]{10}$`).MatchString(code) || st.ID == 0 {
			t.Fatalf("CreateStaff = %+v, %q, %v", st, code, err)
		}
		if diff := cmp.Diff([]community.Role{"duty", "admin"}, st.Roles); diff != "" {
			t.Errorf("roles mismatch (-want +got):\n%s", diff)
		}
		for _, bad := range []string{"12345", "000000", code + "1"} {
			if _, err := r.dir.Bind(ctx, "o-qian", bad); !strings.Contains(userError(t, err), "绑定码无效、已使用或已过期") {
				t.Errorf("Bind(%q): %v", bad, err)
			}
		}
		if _, err := r.dir.Bind(ctx, "o-worker", code); userError(t, err) == "" {
			t.Error("an openid bound twice")
		}
		if bound, err := r.dir.Bind(ctx, "o-qian", code); err != nil || bound.OpenID != "o-qian" || bound.ID != st.ID {
			t.Fatalf("Bind = %+v, %v", bound, err)
		}
		if _, err := r.dir.Bind(ctx, "o-qian2", code); !strings.Contains(userError(t, err), "绑定码无效、已使用或已过期") {
			t.Errorf("code used twice: %v", err)
		}
		if got, err := r.dir.StaffByOpenID(ctx, "o-qian"); err != nil || got.Name != "钱七" {
			t.Errorf("StaffByOpenID = %+v, %v", got, err)
		}
		if _, err := r.dir.StaffByOpenID(ctx, "o-res"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("StaffByOpenID(resident) = %v", err)
		}
		all, err := r.dir.ListStaff(ctx)
		if err != nil || len(all) != 8 {
			t.Errorf("ListStaff: %d, %v", len(all), err)
		}

		// Buildings upsert by number.
		b, err := r.dir.SaveBuilding(ctx, cs.BuildingInput{Number: 3, Name: "三号楼"})
		if err != nil || b.ID != r.b3.ID || b.Name != "三号楼" || b.GridID != r.gridA.ID || b.UnitHeads[2] != r.unitHead.ID {
			t.Errorf("SaveBuilding(3 again) = %+v, %v", b, err)
		}
		for _, tc := range []struct {
			field string
			in    cs.BuildingInput
		}{
			{"number", cs.BuildingInput{Number: 0}},
			{"head_id", cs.BuildingInput{Number: 9, HeadID: 999}},
			{"unit_heads", cs.BuildingInput{Number: 9, UnitHeads: map[string]int64{"一": r.head.ID}}},
			{"unit_heads", cs.BuildingInput{Number: 9, UnitHeads: map[string]int64{"1": 999}}},
		} {
			if _, err := r.dir.SaveBuilding(ctx, tc.in); fieldError(t, err) != tc.field {
				t.Errorf("SaveBuilding(%+v): %v, want field %s", tc.in, err, tc.field)
			}
		}
		if _, err := r.dir.FindBuilding(ctx, 9); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("a refused building was saved: %v", err)
		}
		bs, err := r.dir.Buildings(ctx)
		if err != nil || len(bs) != 3 || bs[0].Number != 3 || bs[2].Number != 7 {
			t.Errorf("Buildings = %+v, %v", bs, err)
		}

		for _, tc := range []struct {
			field string
			in    cs.GridInput
		}{
			{"name", cs.GridInput{WorkerID: r.worker.ID}},
			{"worker_id", cs.GridInput{Name: "三网格", WorkerID: 999}},
			{"supervisor_id", cs.GridInput{Name: "三网格", WorkerID: r.worker.ID, SupervisorID: 999}},
			{"buildings", cs.GridInput{Name: "三网格", WorkerID: r.worker.ID, Buildings: []int{5, 42}}},
			{"name", cs.GridInput{Name: "一网格", WorkerID: r.worker.ID}},
		} {
			if _, err := r.dir.CreateGrid(ctx, tc.in); fieldError(t, err) != tc.field {
				t.Errorf("CreateGrid(%+v): %v, want field %s", tc.in, err, tc.field)
			}
		}
		if b5, _ := r.dir.FindBuilding(ctx, 5); b5.GridID != 0 {
			t.Errorf("a refused grid took building 5")
		}
		grids, err := r.dir.ListGrids(ctx)
		if err != nil || len(grids) != 2 {
			t.Fatalf("ListGrids = %+v, %v", grids, err)
		}
		if diff := cmp.Diff(community.Grid{ID: r.gridA.ID, Name: "一网格", WorkerID: r.worker.ID, SupervisorID: r.sup.ID, Buildings: []int{r.b3.Number}}, grids[0]); diff != "" {
			t.Errorf("grid mismatch (-want +got):\n%s", diff)
		}
	})
}

package tickets_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/bot/ticket"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// TestTransfersGoOnlyToHandlers reproduces the review's finding: a grid
// worker handed a ticket to a volunteer 楼栋长, who then had the
// resident's phone and could 办结 it. Only handler roles may receive one.
func TestTransfersGoOnlyToHandlers(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s).community()
		ctx := context.Background()
		n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		for _, a := range []ticket.Action{
			{Number: n, Kind: ticket.ActTransfer, By: r.worker.ID, To: "孙楼长"},
			{Number: n, Kind: ticket.ActTransfer, By: r.worker.ID, ToID: r.unitHead.ID},
		} {
			_, err := r.svc.Act(ctx, a)
			if fieldError(t, err) != "assignee_id" || !strings.Contains(userError(t, err), "只能转给") {
				t.Errorf("transfer to a volunteer (%+v): %v", a, err)
			}
		}
		if got := r.act(ticket.Action{Number: n, Kind: ticket.ActTransfer, By: r.worker.ID, To: "马调解"}); got.AssigneeID != r.mediator.ID {
			t.Errorf("transfer to a mediator went to %d", got.AssigneeID)
		}
	})
}

// TestDeactivatedStaffLoseAccess: deactivating a grid worker who left
// refuses their actions at once, hands their open tickets back to
// dispatch, and routes their grid's new tickets to the duty staff.
func TestDeactivatedStaffLoseAccess(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s).community()
		ctx := context.Background()
		r.dir.OnDeactivate(r.svc.ReturnAssigned)
		open := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
		accepted := r.submit(draft("o-res2", "repair", &r.b3)).Ticket.Number
		r.act(ticket.Action{Number: accepted, Kind: ticket.ActAccept, By: r.worker.ID})

		off := false
		if _, err := r.dir.PatchStaff(ctx, r.worker.ID, cs.StaffPatch{Active: &off}); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{open, accepted} {
			got, entries, err := r.svc.Get(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != ticket.Returned || got.AssigneeID != r.duty.ID {
				t.Errorf("%s after deactivation: %s assigned to %d, want returned to duty %d", n, got.Status, got.AssigneeID, r.duty.ID)
			}
			if last := entries[len(entries)-1]; last.Action != "退回" || !strings.Contains(last.Note, "张三 已停用") {
				t.Errorf("%s timeline ends %+v", n, last)
			}
		}
		if ns := r.notices(open); ns[len(ns)-1].To != "o-res" || ns[len(ns)-2].To != "o-duty" {
			t.Errorf("notices of %s: %+v, want the duty staff then the resident", open, ns)
		}
		// Their WeChat identity acts for nobody now.
		if _, err := r.svc.Act(ctx, ticket.Action{Number: open, Kind: ticket.ActAccept, By: r.worker.ID}); userError(t, err) == "" {
			t.Error("an inactive staff member accepted a ticket")
		}
		if _, _, err := r.svc.View(ctx, "o-worker", open); err == nil {
			t.Error("an inactive staff member read someone's ticket")
		}
		if _, err := r.svc.Act(ctx, ticket.Action{Number: open, Kind: ticket.ActTransfer, By: r.duty.ID, To: "张三"}); fieldError(t, err) != "assignee_id" {
			t.Errorf("transfer to an inactive staff member: %v", err)
		}
		// A new ticket in their grid goes to the duty staff.
		if got := r.submit(draft("o-res3", "repair", &r.b3)).Ticket; got.AssigneeID != r.duty.ID {
			t.Errorf("new ticket in the grid of an inactive worker went to %d, want duty %d", got.AssigneeID, r.duty.ID)
		}
	})
}

// TestDeactivatingTheDutyDispatcher: tickets waiting at dispatch with the
// only duty staff member go to the duty group (nobody), not nowhere.
func TestDeactivatingTheDutyDispatcher(t *testing.T) {
	r := newRig(t, storagetest.Open(t)).community()
	ctx := context.Background()
	r.dir.OnDeactivate(r.svc.ReturnAssigned)
	n := r.submit(draft("o-res", "repair", &r.b3)).Ticket.Number
	r.act(ticket.Action{Number: n, Kind: ticket.ActReturn, By: r.worker.ID, Note: "不属于本网格"})
	off := false
	if _, err := r.dir.PatchStaff(ctx, r.duty.ID, cs.StaffPatch{Active: &off}); err != nil {
		t.Fatal(err)
	}
	got, _, err := r.svc.Get(ctx, n)
	if err != nil || got.Status != ticket.Returned || got.AssigneeID != 0 {
		t.Fatalf("returned ticket of an inactive dispatcher: %+v, %v", got, err)
	}
	if r.notices(n)[len(r.notices(n))-1].To != "role:duty" {
		t.Errorf("the duty group was not told: %+v", r.notices(n))
	}
}

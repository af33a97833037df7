package tickets_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
)

// TestSameIssueNeedsTheSameProblem: the issue's building where an
// elevator, a burst heating pipe and a fire hazard were "merged" with a
// corridor light because they shared the building and the category.
// Only the same problem at the same place links.
func TestSameIssueNeedsTheSameProblem(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s).community()
		file := func(openid, desc string, unit int) ticket.Receipt {
			d := draft(openid, "repair", &r.b3)
			d.Description, d.Unit, d.Place = desc, unit, ""
			return r.submit(d)
		}
		public := func(openid, desc, place string) ticket.Receipt {
			d := draft(openid, "repair", nil)
			d.Description, d.Place = desc, place
			return r.submit(d)
		}
		light := file("o-1", "3单元楼道灯不亮", 3)
		got := map[string]ticket.Receipt{
			"elevator":           file("o-2", "电梯困人", 3),
			"heating pipe":       file("o-3", "暖气管爆了", 3),
			"fire hazard":        file("o-4", "楼道有杂物堆放", 3),
			"same light":         file("o-5", "三单元楼道灯坏了", 3),
			"light, other unit":  file("o-6", "楼道灯坏了", 1),
			"light, no unit":     file("o-7", "楼道灯都不亮了", 0),
			"gate":               public("o-8", "东门路灯不亮", "公共区域：东门"),
			"gate again":         public("o-9", "东门那边路灯坏了", "公共区域：东门"),
			"other public place": public("o-10", "路灯不亮", "公共区域：西门"),
		}
		for _, tc := range []struct {
			name   string
			same   int
			parent int64
		}{
			{"elevator", 0, 0},
			{"heating pipe", 0, 0},
			{"fire hazard", 0, 0},
			{"same light", 1, light.Ticket.ID},
			{"light, other unit", 0, 0},
			{"light, no unit", 3, light.Ticket.ID}, // a unit unknown matches any
			{"gate", 0, 0},
			{"gate again", 1, got["gate"].Ticket.ID},
			{"other public place", 0, 0},
		} {
			if rc := got[tc.name]; rc.SameIssue != tc.same || rc.Ticket.ParentID != tc.parent {
				t.Errorf("%s: SameIssue %d, parent %d; want %d, %d", tc.name, rc.SameIssue, rc.Ticket.ParentID, tc.same, tc.parent)
			}
		}
		if text := r.text(got["gate again"].Ticket.Number, tickets.NoticeNew, "o-duty"); !strings.Contains(text, "此处已有 1 户反映同类问题。") {
			t.Errorf("new notice of a public place: %q", text)
		}
	})
}

// TestResolvingAParentResolvesItsChildren: the residents told "会一并处理"
// hear when it was, and are asked to rate; a child resolved on its own
// before is left alone.
func TestResolvingAParentResolvesItsChildren(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		root := r.submit(draft("o-1", "repair", &r.b3)).Ticket
		child := r.submit(draft("o-2", "repair", &r.b3)).Ticket
		early := r.submit(draft("o-3", "repair", &r.b3)).Ticket
		other := r.submit(ticket.Draft{OpenID: "o-4", Phone: "13800138004", Category: "repair",
			Description: "电梯困人", BuildingID: r.b3.ID, Unit: 2, Source: "wechat"}).Ticket
		if child.ParentID != root.ID || early.ParentID != root.ID || other.ParentID != 0 {
			t.Fatalf("links: %d, %d, %d; want %d, %d, 0", child.ParentID, early.ParentID, other.ParentID, root.ID, root.ID)
		}
		r.act(ticket.Action{Number: early.Number, Kind: ticket.ActAccept, By: r.worker.ID})
		r.act(ticket.Action{Number: early.Number, Kind: ticket.ActResolve, By: r.worker.ID, Note: "先修了三楼"})

		r.act(ticket.Action{Number: root.Number, Kind: ticket.ActAccept, By: r.worker.ID})
		r.act(ticket.Action{Number: root.Number, Kind: ticket.ActResolve, By: r.worker.ID, Note: "已更换楼道灯"})

		got, events, err := r.svc.Get(ctx, child.Number)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != ticket.Resolved || got.Resolution != "随 "+root.Number+" 一并办结：已更换楼道灯" {
			t.Errorf("child: %s %q, want resolved with the parent's resolution", got.Status, got.Resolution)
		}
		if last := events[len(events)-1]; last.Action != "办结" || last.Actor != "系统" {
			t.Errorf("child's last event %+v", last)
		}
		text := r.text(child.Number, tickets.NoticeResolved, "o-2")
		if !strings.Contains(text, "已随同类问题（编号 "+root.Number+"）一并办结：已更换楼道灯") || !strings.Contains(text, tickets.RatingPrompt) {
			t.Errorf("child's resident told %q", text)
		}
		if e, _, _ := r.svc.Get(ctx, early.Number); e.Resolution != "先修了三楼" {
			t.Errorf("the child resolved before got %q", e.Resolution)
		}
		if o, _, _ := r.svc.Get(ctx, other.Number); o.Status != ticket.Submitted {
			t.Errorf("an unlinked ticket became %s", o.Status)
		}
		want := []string{"提交诉求", "派单", "同类反映", "同类反映", "受理", "办结", "一并办结"}
		if diff := cmp.Diff(want, r.timeline(root.Number)); diff != "" {
			t.Errorf("root timeline mismatch (-want +got):\n%s", diff)
		}
		// The linked child may be rated like any resolved ticket.
		if _, err := r.svc.Rate(ctx, "o-2", child.Number, ticket.RatingSatisfied); err != nil {
			t.Errorf("rating the child: %v", err)
		}
	})
}

// TestEmergenciesAreNeverLinked: a lift with people in it is not "the
// same problem" as the lift reported stuck this morning, however alike the
// words: linked, it would be settled ("一并办结") when the old ticket is,
// with nobody confirming the rescue. Nor does an ordinary report join an
// emergency: the rescue done, the lift may still be broken.
func TestEmergenciesAreNeverLinked(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s).community()
		file := func(openid, desc string, urgent bool) ticket.Receipt {
			d := draft(openid, "repair", &r.b3)
			d.Description, d.Urgent = desc, urgent
			return r.submit(d)
		}
		file("o-1", "2单元电梯不动了", false)
		if rc := file("o-2", "2单元电梯不动了，有人困在里面", true); rc.SameIssue != 0 || rc.Ticket.ParentID != 0 {
			t.Errorf("the emergency was linked: %d households, parent %d", rc.SameIssue, rc.Ticket.ParentID)
		}
		smoke := file("o-3", "2单元电梯冒烟了", true)
		if rc := file("o-4", "2单元电梯冒烟", false); rc.Ticket.ParentID == smoke.Ticket.ID {
			t.Errorf("an ordinary report was linked under the emergency %d", smoke.Ticket.ID)
		}
	})
}

package tickets_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
)

// TestConsoleViewers: what the console lists, shows and lets a person do
// is community's policy, applied by the service: a grid worker has their
// grid's tickets and those assigned to them, a mediator only theirs,
// duty, supervisors and the operator everything.
func TestConsoleViewers(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s).community()
		gridA := r.submit(draft("o-r1", "repair", &r.b3)).Ticket.Number    // 张三's grid, his
		dispute := r.submit(draft("o-r2", "dispute", &r.b3)).Ticket.Number // 张三's grid, the mediator's
		gridB := r.submit(draft("o-r3", "repair", &r.b7)).Ticket.Number    // 李四's grid, his
		lent := r.submit(draft("o-r4", "sanitation", &r.b7)).Ticket.Number // 李四's grid, handed to 张三
		nowhere := r.submit(draft("o-r5", "repair", &r.b5)).Ticket.Number  // no grid: duty's
		r.act(ticket.Action{Number: lent, Kind: ticket.ActTransfer, By: r.duty.ID, ToID: r.worker.ID})

		list := func(v community.Viewer, f tickets.Filter) []string {
			t.Helper()
			ts, total, err := r.svc.ListFor(ctx, v, f)
			if err != nil {
				t.Fatalf("ListFor: %v", err)
			}
			if total != len(ts) {
				t.Errorf("total %d for %d listed", total, len(ts))
			}
			var ns []string
			for _, tk := range ts {
				ns = append(ns, tk.Number)
			}
			slices.Sort(ns)
			return ns
		}
		sorted := func(ns ...string) []string { slices.Sort(ns); return ns }
		all := sorted(gridA, dispute, gridB, lent, nowhere)
		for _, tc := range []struct {
			name string
			v    community.Viewer
			want []string
		}{
			{"grid worker 张三", community.Member(r.worker), sorted(gridA, dispute, lent)},
			{"grid worker 李四", community.Member(r.worker2), sorted(gridB, lent)},
			{"the mediator", community.Member(r.mediator), sorted(dispute)},
			{"a building head", community.Member(r.head), nil},
			{"duty", community.Member(r.duty), all},
			{"the supervisor", community.Member(r.sup), all},
			{"the operator", community.Operator, all},
		} {
			if diff := cmp.Diff(tc.want, list(tc.v, tickets.Filter{})); diff != "" {
				t.Errorf("%s lists (-want +got):\n%s", tc.name, diff)
			}
		}
		gB := strconv.FormatInt(r.b7.GridID, 10)
		if got := list(community.Member(r.worker), tickets.Filter{GridID: r.b7.GridID}); !slices.Equal(got, []string{lent}) {
			t.Errorf("张三 filtering grid %s: %v, want only the ticket handed to him", gB, got)
		}
		r.act(ticket.Action{Number: gridA, Kind: ticket.ActAccept, By: r.worker.ID})
		r.act(ticket.Action{Number: gridA, Kind: ticket.ActResolve, By: r.worker.ID, Note: "已修好"})
		if got := list(community.Member(r.worker), tickets.Filter{Open: true}); !slices.Equal(got, sorted(dispute, lent)) {
			t.Errorf("张三's open tickets: %v", got)
		}
		if _, _, err := r.svc.ListFor(ctx, community.Resident("o-r1"), tickets.Filter{}); bot.ErrorCode(err) != bot.CodeForbidden {
			t.Errorf("a resident listing: %v, want forbidden", err)
		}

		// Reading and acting: another grid's ticket does not exist for him.
		w := community.Member(r.worker)
		if _, _, err := r.svc.GetFor(ctx, w, gridB); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("张三 reads 李四's ticket: %v", err)
		}
		if _, err := r.svc.ActFor(ctx, w, ticket.Action{Number: gridB, Kind: ticket.ActAccept}); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("张三 accepts 李四's ticket: %v", err)
		}
		// The dispute in his grid he reads, without the phone, but it is
		// the mediator's to work; what is handed to him he works.
		got, _, err := r.svc.GetFor(ctx, w, dispute)
		if err != nil || got.Phone != "" {
			t.Errorf("张三 reads the dispute in his grid: phone %q, %v", got.Phone, err)
		}
		if _, err := r.svc.ActFor(ctx, w, ticket.Action{Number: dispute, Kind: ticket.ActNote, Note: "已上门了解", By: r.sup.ID}); bot.ErrorCode(err) != bot.CodeConflict {
			t.Errorf("张三 notes the dispute in his grid, claiming to be the supervisor: %v", err)
		}
		if got, _, err := r.svc.GetFor(ctx, w, lent); err != nil || got.Phone == "" {
			t.Errorf("张三 reads the ticket handed to him: phone %q, %v", got.Phone, err)
		}
		if _, err := r.svc.ActFor(ctx, w, ticket.Action{Number: lent, Kind: ticket.ActNote, Note: "已上门了解"}); err != nil {
			t.Errorf("张三 notes the ticket handed to him: %v", err)
		}
		_, entries, _ := r.svc.Get(ctx, lent)
		if last := entries[len(entries)-1]; last.Action != "备注" || last.Actor != "网格员 张三" {
			t.Errorf("the timeline ends %+v", last)
		}
		// Its resident reads the progress, not staff's own notes.
		_, mine, err := r.svc.View(ctx, "o-r4", lent)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range mine {
			if e.Action == "备注" || strings.Contains(e.Note, "已上门了解") {
				t.Errorf("the resident reads a staff note: %+v", e)
			}
		}
		if len(mine) == 0 || mine[0].Action != entries[0].Action {
			t.Errorf("the resident's timeline: %+v", mine)
		}
		if _, err := r.svc.ActFor(ctx, community.Operator, ticket.Action{Number: gridB, Kind: ticket.ActAccept, Note: "电话已联系"}); err != nil {
			t.Errorf("the operator accepts: %v", err)
		}
	})
}

// TestFileFor: staff file for a resident who phoned; a volunteer may not.
func TestFileFor(t *testing.T) {
	r := newRig(t, storagetest.Open(t)).community()
	ctx := context.Background()
	d := ticket.Draft{Name: "王大爷", Phone: "13900001111", Category: "repair", Description: "家里水管漏水", BuildingID: r.b3.ID, Unit: 1,
		OpenID: "o-someone", Urgent: true}
	if _, err := r.svc.FileFor(ctx, community.Member(r.head), d); bot.ErrorCode(err) != bot.CodeForbidden {
		t.Errorf("a building head filing: %v, want forbidden", err)
	}
	rc, err := r.svc.FileFor(ctx, community.Member(r.duty), d)
	if err != nil {
		t.Fatal(err)
	}
	tk := rc.Ticket
	if tk.Source != "staff" || tk.OpenID != "" || tk.Urgent || tk.AssigneeID != r.worker.ID || tk.Place != "3号楼1单元" {
		t.Errorf("filed %+v", tk)
	}
	if _, entries, _ := r.svc.Get(ctx, tk.Number); entries[0].Actor != "值班员 赵值班" || entries[0].Action != "代居民登记诉求" {
		t.Errorf("timeline starts %+v", entries[0])
	}
	// The operator files as 管理员, never as the resident.
	d.Description = "小区东门路灯不亮"
	rc, err = r.svc.FileFor(ctx, community.Operator, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, entries, _ := r.svc.Get(ctx, rc.Ticket.Number); entries[0].Actor != "管理员" || entries[0].Action != "代居民登记诉求" {
		t.Errorf("the operator's filing starts %+v", entries[0])
	}
}

// TestStatsFor: a grid worker's statistics are their grid's only.
func TestStatsFor(t *testing.T) {
	r := newRig(t, storagetest.Open(t)).community()
	ctx := context.Background()
	r.submit(draft("o-r1", "repair", &r.b3))
	r.submit(draft("o-r2", "repair", &r.b7))
	r.submit(draft("o-r3", "repair", &r.b7))
	from, to := t0.Add(-time.Hour), t0.Add(time.Hour)
	st, err := r.svc.StatsFor(ctx, community.Member(r.worker), from, to)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total.Tickets != 1 || len(st.ByGrid) != 1 || st.ByGrid[0].Name != "一网格" || st.ByCategory[0].Tickets != 1 {
		t.Errorf("张三's stats: %+v", st)
	}
	if st, err := r.svc.StatsFor(ctx, community.Member(r.sup), from, to); err != nil || st.Total.Tickets != 3 || len(st.ByGrid) != 2 {
		t.Errorf("the supervisor's stats: %+v, %v", st, err)
	}
	if _, err := r.svc.StatsFor(ctx, community.Member(r.mediator), from, to); bot.ErrorCode(err) != bot.CodeForbidden {
		t.Errorf("the mediator's stats: %v, want forbidden", err)
	}
}

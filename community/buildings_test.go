package community_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// places is a community of buildings and two grids for these tests:
// buildings are created 12, 3, 5, 7 so that no row id equals its number.
type places struct {
	*rig
	worker, other, sup int64
	a, b               int64 // 东区 with 3 and 12, 西区 with 5
	seq                int   // tickets filed
}

func newPlaces(t *testing.T, s *storage.Store) *places {
	t.Helper()
	ctx := context.Background()
	p := &places{rig: newRig(t, s)}
	w, _ := p.create(t, "张网格", "grid_worker")
	o, _ := p.create(t, "李网格", "grid_worker")
	sup, _ := p.create(t, "王主任", "supervisor")
	p.worker, p.other, p.sup = w.ID, o.ID, sup.ID
	for _, n := range []int{12, 3, 5, 7} {
		if _, err := p.svc.SaveBuilding(ctx, community.BuildingInput{Number: n}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := p.svc.CreateGrid(ctx, community.GridInput{Name: "东区", WorkerID: w.ID, SupervisorID: sup.ID, Buildings: []int{12, 3}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.svc.CreateGrid(ctx, community.GridInput{Name: "西区", WorkerID: o.ID, Buildings: []int{5}})
	if err != nil {
		t.Fatal(err)
	}
	p.a, p.b = a.ID, b.ID
	return p
}

// building returns building n, failing the test if it is gone.
func (p *places) building(t *testing.T, n int) (b struct {
	ID, Grid int64
	GridName string
	Head     int64
	Units    map[int]int64
	Name     string
}) {
	t.Helper()
	got, err := p.svc.Building(context.Background(), n)
	if err != nil {
		t.Fatalf("Building(%d): %v", n, err)
	}
	b.ID, b.Grid, b.GridName, b.Head, b.Units, b.Name = got.ID, got.GridID, got.GridName, got.HeadID, got.UnitHeads, got.Name
	return b
}

func (p *places) gridBuildings(t *testing.T, id int64) []int {
	t.Helper()
	g, err := p.svc.Grid(context.Background(), id)
	if err != nil {
		t.Fatalf("Grid(%d): %v", id, err)
	}
	return g.Buildings
}

// file inserts a ticket in building n routed through grid, with status.
func (p *places) file(t *testing.T, n int, grid int64, st ticket.Status) ticket.Ticket {
	t.Helper()
	now := p.clock.Now().UTC()
	p.seq++
	tk := ticket.Ticket{Number: fmt.Sprintf("26112600%02d", p.seq), OpenID: "o-res", Phone: "13800138000", Category: "repair",
		Description: "灯坏了", BuildingID: p.building(t, n).ID, GridID: grid, AssigneeID: p.worker, Status: st, Source: "wechat",
		ResponseDue: now, ResolveDue: now, CreatedAt: now, UpdatedAt: now}
	if err := p.store.InsertTicket(context.Background(), &tk, ""); err != nil {
		t.Fatal(err)
	}
	return tk
}

// refusal returns err's code, field and message, failing unless it is a
// *bot.UserError.
func refusal(t *testing.T, err error) (bot.Code, string, string) {
	t.Helper()
	var ue *bot.UserError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v is not a *bot.UserError", err)
	}
	return bot.ErrorCode(err), ue.Field, ue.Message
}

// TestGridsAnswerBuildingNumbers: a grid is answered with the numbers it
// was given, not the buildings' row ids.
func TestGridsAnswerBuildingNumbers(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		p := newPlaces(t, s)
		if got := p.gridBuildings(t, p.a); !slices.Equal(got, []int{3, 12}) {
			t.Errorf("Grid(东区).Buildings = %v, want [3 12]", got)
		}
		grids, err := p.svc.ListGrids(context.Background())
		if err != nil || len(grids) != 2 || !slices.Equal(grids[0].Buildings, []int{3, 12}) || !slices.Equal(grids[1].Buildings, []int{5}) {
			t.Errorf("ListGrids = %+v, %v", grids, err)
		}
		bs, err := p.svc.Buildings(context.Background())
		if err != nil || len(bs) != 4 || bs[0].Number != 3 || bs[0].GridName != "东区" || bs[3].Number != 12 || bs[3].GridID != p.a {
			t.Errorf("Buildings = %+v, %v", bs, err)
		}
		if _, err := p.svc.Grid(context.Background(), 424242); bot.ErrorCode(err) != bot.CodeNotFound {
			t.Errorf("Grid(unknown) = %v, want not_found", err)
		}
		if _, err := p.svc.Building(context.Background(), 99); bot.ErrorCode(err) != bot.CodeNotFound || !strings.Contains(err.Error(), "99 号楼") {
			t.Errorf("Building(99) = %v, want not_found naming it", err)
		}
	})
}

// TestNoSilentMove: a building changes grid only with move, and the
// refusal names the grid it is in and the open tickets that stay there.
func TestNoSilentMove(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := newPlaces(t, s)
		p.file(t, 3, p.a, ticket.Accepted)
		p.file(t, 3, p.a, ticket.Closed)

		_, err := p.svc.CreateGrid(ctx, community.GridInput{Name: "北区", WorkerID: p.other, Buildings: []int{7, 3}})
		code, field, msg := refusal(t, err)
		if code != bot.CodeConflict || field != "buildings" || !strings.Contains(msg, "3 号楼") || !strings.Contains(msg, "东区") ||
			!strings.Contains(msg, "1 件未办结") || !strings.Contains(msg, `"move": true`) {
			t.Errorf("CreateGrid with 东区's building 3: %s %s %q", code, field, msg)
		}
		if grids, _ := p.svc.ListGrids(ctx); len(grids) != 2 {
			t.Errorf("the refused grid was created: %+v", grids)
		}
		if b := p.building(t, 7); b.Grid != 0 {
			t.Errorf("the refused grid took building 7: %+v", b)
		}

		_, err = p.svc.PatchGrid(ctx, p.b, community.GridPatch{Buildings: &[]int{5, 12}})
		if code, field, msg := refusal(t, err); code != bot.CodeConflict || field != "buildings" || !strings.Contains(msg, "东区") {
			t.Errorf("PatchGrid(西区, +12): %s %s %q", code, field, msg)
		}
		_, err = p.svc.PatchBuilding(ctx, 12, community.BuildingPatch{GridID: &p.b})
		if code, field, msg := refusal(t, err); code != bot.CodeConflict || field != "grid_id" || !strings.Contains(msg, "东区") {
			t.Errorf("PatchBuilding(12 → 西区): %s %s %q", code, field, msg)
		}
		if got := p.gridBuildings(t, p.a); !slices.Equal(got, []int{3, 12}) {
			t.Errorf("东区 after refused moves: %v", got)
		}

		// Asked twice: it moves.
		g, err := p.svc.PatchGrid(ctx, p.b, community.GridPatch{Buildings: &[]int{5, 12}, Move: true})
		if err != nil || !slices.Equal(g.Buildings, []int{5, 12}) {
			t.Fatalf("PatchGrid(西区, +12, move) = %+v, %v", g, err)
		}
		b, err := p.svc.PatchBuilding(ctx, 3, community.BuildingPatch{GridID: &p.b, Move: true})
		if err != nil || b.GridID != p.b || b.GridName != "西区" {
			t.Fatalf("PatchBuilding(3 → 西区, move) = %+v, %v", b, err)
		}
		if got := p.gridBuildings(t, p.a); len(got) != 0 {
			t.Errorf("东区 kept %v after both moved", got)
		}
		g, err = p.svc.CreateGrid(ctx, community.GridInput{Name: "北区", WorkerID: p.worker, Buildings: []int{7, 3}, Move: true})
		if err != nil || !slices.Equal(g.Buildings, []int{3, 7}) {
			t.Fatalf("CreateGrid(北区, move) = %+v, %v", g, err)
		}

		// Joining from no grid and leaving one need no move.
		if _, err := p.svc.PatchBuilding(ctx, 3, community.BuildingPatch{GridID: new(int64)}); err != nil {
			t.Errorf("PatchBuilding(3 → none): %v", err)
		}
		if b, err := p.svc.PatchBuilding(ctx, 3, community.BuildingPatch{GridID: &p.a}); err != nil || b.GridID != p.a {
			t.Errorf("PatchBuilding(3 → 东区 from none) = %+v, %v", b, err)
		}
	})
}

// TestMoveKeepsFiledTickets: moving a building leaves the tickets filed
// in it with their handler and grid.
func TestMoveKeepsFiledTickets(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := newPlaces(t, s)
		tk := p.file(t, 3, p.a, ticket.Submitted)
		if _, err := p.svc.PatchBuilding(ctx, 3, community.BuildingPatch{GridID: &p.b, Move: true}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Ticket(ctx, tk.Number)
		if err != nil || got.GridID != p.a || got.AssigneeID != p.worker {
			t.Errorf("ticket after the move: grid %d assignee %d (%v), want %d %d", got.GridID, got.AssigneeID, err, p.a, p.worker)
		}
	})
}

// TestPatchBuilding changes only what is given.
func TestPatchBuilding(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := newPlaces(t, s)
		if _, err := p.svc.SaveBuilding(ctx, community.BuildingInput{Number: 3, HeadID: p.sup, UnitHeads: map[string]int64{"1": p.other}}); err != nil {
			t.Fatal(err)
		}
		name := " 三号楼 "
		b, err := p.svc.PatchBuilding(ctx, 3, community.BuildingPatch{Name: &name})
		if err != nil || b.Name != "三号楼" || b.HeadID != p.sup || b.UnitHeads[1] != p.other || b.GridID != p.a || b.Number != 3 {
			t.Errorf("PatchBuilding(name) = %+v, %v", b, err)
		}
		units := map[string]int64{"2": p.sup}
		b, err = p.svc.PatchBuilding(ctx, 3, community.BuildingPatch{HeadID: new(int64), UnitHeads: &units})
		if err != nil || b.Name != "三号楼" || b.HeadID != 0 || len(b.UnitHeads) != 1 || b.UnitHeads[2] != p.sup {
			t.Errorf("PatchBuilding(head 0, units) = %+v, %v", b, err)
		}
		empty := ""
		if b, err := p.svc.PatchBuilding(ctx, 3, community.BuildingPatch{Name: &empty}); err != nil || b.Name != "3号楼" {
			t.Errorf("PatchBuilding(name \"\") = %+v, %v, want the default name", b, err)
		}

		nobody, noGrid, badUnits := int64(424242), int64(424242), map[string]int64{"x": p.sup}
		for _, tc := range []struct {
			number int
			patch  community.BuildingPatch
			code   bot.Code
			field  string
		}{
			{3, community.BuildingPatch{}, bot.CodeInvalid, "body"},
			{3, community.BuildingPatch{HeadID: &nobody}, bot.CodeInvalid, "head_id"},
			{3, community.BuildingPatch{UnitHeads: &badUnits}, bot.CodeInvalid, "unit_heads"},
			{3, community.BuildingPatch{Name: &name, GridID: &noGrid}, bot.CodeInvalid, "grid_id"},
			{99, community.BuildingPatch{Name: &name}, bot.CodeNotFound, ""},
		} {
			_, err := p.svc.PatchBuilding(ctx, tc.number, tc.patch)
			if code, field, _ := refusal(t, err); code != tc.code || field != tc.field {
				t.Errorf("PatchBuilding(%d, %+v) = %v, want %s naming %q", tc.number, tc.patch, err, tc.code, tc.field)
			}
		}
		if b := p.building(t, 3); b.Name != "3号楼" || b.Grid != p.a {
			t.Errorf("a refused patch changed building 3: %+v", b)
		}
	})
}

// TestPatchGrid changes only what is given, all or nothing.
func TestPatchGrid(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := newPlaces(t, s)
		name := "东区一网格"
		g, err := p.svc.PatchGrid(ctx, p.a, community.GridPatch{Name: &name})
		if err != nil || g.Name != name || g.WorkerID != p.worker || g.SupervisorID != p.sup || !slices.Equal(g.Buildings, []int{3, 12}) {
			t.Errorf("PatchGrid(name) = %+v, %v", g, err)
		}
		g, err = p.svc.PatchGrid(ctx, p.a, community.GridPatch{WorkerID: &p.other, SupervisorID: new(int64), Buildings: &[]int{12}})
		if err != nil || g.Name != name || g.WorkerID != p.other || g.SupervisorID != 0 || !slices.Equal(g.Buildings, []int{12}) {
			t.Errorf("PatchGrid(worker, supervisor 0, buildings) = %+v, %v", g, err)
		}
		if b := p.building(t, 3); b.Grid != 0 {
			t.Errorf("building 3, left out of the grid, is still in %d", b.Grid)
		}

		gone, _ := p.create(t, "赵离职", "grid_worker")
		if _, err := p.svc.PatchStaff(ctx, gone.ID, community.StaffPatch{Active: new(bool)}); err != nil {
			t.Fatal(err)
		}
		taken, blank, nobody := "西区", " ", int64(424242)
		for _, tc := range []struct {
			id    int64
			patch community.GridPatch
			code  bot.Code
			field string
		}{
			{p.a, community.GridPatch{}, bot.CodeInvalid, "body"},
			{p.a, community.GridPatch{Name: &taken}, bot.CodeInvalid, "name"},
			{p.a, community.GridPatch{Name: &blank}, bot.CodeInvalid, "name"},
			{p.a, community.GridPatch{WorkerID: &nobody}, bot.CodeInvalid, "worker_id"},
			{p.a, community.GridPatch{WorkerID: &gone.ID}, bot.CodeInvalid, "worker_id"},
			{p.a, community.GridPatch{SupervisorID: &nobody}, bot.CodeInvalid, "supervisor_id"},
			{p.a, community.GridPatch{Name: &taken, Buildings: &[]int{12, 99}}, bot.CodeInvalid, "name"},
			{p.a, community.GridPatch{WorkerID: &p.worker, Buildings: &[]int{3, 99}}, bot.CodeInvalid, "buildings"},
			{424242, community.GridPatch{Name: &name}, bot.CodeNotFound, ""},
		} {
			_, err := p.svc.PatchGrid(ctx, tc.id, tc.patch)
			if code, field, _ := refusal(t, err); code != tc.code || field != tc.field {
				t.Errorf("PatchGrid(%d, %+v) = %v, want %s naming %q", tc.id, tc.patch, err, tc.code, tc.field)
			}
		}
		if g, _ := p.svc.Grid(ctx, p.a); g.WorkerID != p.other || !slices.Equal(g.Buildings, []int{12}) {
			t.Errorf("a refused patch changed the grid: %+v", g)
		}
	})
}

// TestDeleteBuilding deletes a building nothing was filed in and refuses
// one with tickets, open or closed.
func TestDeleteBuilding(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := newPlaces(t, s)
		if _, err := p.svc.SaveBuilding(ctx, community.BuildingInput{Number: 7, UnitHeads: map[string]int64{"1": p.other}}); err != nil {
			t.Fatal(err)
		}
		if err := p.svc.DeleteBuilding(ctx, 7); err != nil {
			t.Fatalf("DeleteBuilding(7): %v", err)
		}
		if _, err := p.svc.Building(ctx, 7); bot.ErrorCode(err) != bot.CodeNotFound {
			t.Errorf("building 7 after its deletion: %v", err)
		}
		if err := p.svc.DeleteBuilding(ctx, 7); bot.ErrorCode(err) != bot.CodeNotFound {
			t.Errorf("DeleteBuilding(7) again: %v", err)
		}

		p.file(t, 3, p.a, ticket.Closed)
		err := p.svc.DeleteBuilding(ctx, 3)
		if code, _, msg := refusal(t, err); code != bot.CodeConflict || !strings.Contains(msg, "1 件诉求") {
			t.Errorf("DeleteBuilding(3) with a closed ticket: %s %q", code, msg)
		}
		p.building(t, 3)
	})
}

// TestDeleteGrid refuses a grid with buildings or tickets and deletes an
// unused one.
func TestDeleteGrid(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := newPlaces(t, s)
		err := p.svc.DeleteGrid(ctx, p.a)
		if code, _, msg := refusal(t, err); code != bot.CodeConflict || !strings.Contains(msg, "3、12 号楼") {
			t.Errorf("DeleteGrid(东区) with buildings: %s %q", code, msg)
		}
		if b := p.building(t, 12); b.Grid != p.a {
			t.Errorf("building 12 left 东区: %+v", b)
		}

		// 西区 without buildings but with a ticket routed through it.
		p.file(t, 5, p.b, ticket.Submitted)
		if _, err := p.svc.PatchGrid(ctx, p.b, community.GridPatch{Buildings: &[]int{}}); err != nil {
			t.Fatal(err)
		}
		err = p.svc.DeleteGrid(ctx, p.b)
		if code, _, msg := refusal(t, err); code != bot.CodeConflict || !strings.Contains(msg, "1 件诉求记录（1 件未办结）") {
			t.Errorf("DeleteGrid(西区) with a ticket: %s %q", code, msg)
		}

		g, err := p.svc.CreateGrid(ctx, community.GridInput{Name: "空网格", WorkerID: p.worker})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.svc.DeleteGrid(ctx, g.ID); err != nil {
			t.Fatalf("DeleteGrid(空网格): %v", err)
		}
		if _, err := p.svc.Grid(ctx, g.ID); bot.ErrorCode(err) != bot.CodeNotFound {
			t.Errorf("the deleted grid: %v", err)
		}
		if err := p.svc.DeleteGrid(ctx, g.ID); bot.ErrorCode(err) != bot.CodeNotFound {
			t.Errorf("DeleteGrid again: %v", err)
		}
	})
}

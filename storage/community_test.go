package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// TestBuildingsAndGridsBackstops: what the community service checks
// first, the database holds under concurrency: a move from a grid the
// building has left meanwhile is refused, and a building or grid a
// ticket refers to cannot be deleted.
func TestBuildingsAndGridsBackstops(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := s.Now()
		w, err := s.InsertStaff(ctx, community.Staff{Name: "张网格", Active: true}, "", now, now)
		if err != nil {
			t.Fatal(err)
		}
		gA, err := s.InsertGrid(ctx, community.Grid{Name: "东区", WorkerID: w})
		if err != nil {
			t.Fatal(err)
		}
		gB, err := s.InsertGrid(ctx, community.Grid{Name: "西区", WorkerID: w})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.SaveBuilding(ctx, community.Building{Number: 3, Name: "3号楼"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.MoveBuilding(ctx, b.ID, 0, gA); err != nil {
			t.Fatalf("MoveBuilding(none → 东区): %v", err)
		}
		// A second admin who read the building before that move.
		if err := s.MoveBuilding(ctx, b.ID, 0, gB); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("MoveBuilding from a stale grid: %v, want conflict", err)
		}
		if got, _ := s.BuildingByNumber(ctx, 3); got.GridID != gA || got.GridName != "东区" {
			t.Errorf("building 3: %+v, want in 东区", got)
		}
		if err := s.DeleteGrid(ctx, gA); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("DeleteGrid with a building: %v, want conflict", err)
		}

		tk := ticket.Ticket{Number: "2611260001", Phone: "13800138000", Category: "repair", Description: "灯坏了",
			BuildingID: b.ID, GridID: gB, Status: ticket.Accepted, Source: "staff",
			ResponseDue: now, ResolveDue: now, CreatedAt: now, UpdatedAt: now}
		if err := s.InsertTicket(ctx, &tk, ""); err != nil {
			t.Fatal(err)
		}
		if c, err := s.CountTickets(ctx, b.ID, 0); err != nil || c != (storage.TicketCounts{All: 1, Open: 1}) {
			t.Errorf("CountTickets(building) = %+v, %v", c, err)
		}
		if c, err := s.CountTickets(ctx, b.ID, gA); err != nil || c != (storage.TicketCounts{}) {
			t.Errorf("CountTickets(building, 东区) = %+v, %v", c, err)
		}
		if err := s.DeleteBuilding(ctx, b.ID); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("DeleteBuilding with a ticket: %v, want conflict", err)
		}
		if err := s.DeleteGrid(ctx, gB); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("DeleteGrid with a ticket: %v, want conflict", err)
		}
		if err := s.DeleteGrid(ctx, 424242); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("DeleteGrid(unknown): %v, want not found", err)
		}
		if err := s.UpdateGrid(ctx, community.Grid{ID: gB, Name: "东区", WorkerID: w}); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("UpdateGrid to a taken name: %v, want conflict", err)
		}
		if g, _ := s.Grid(ctx, gA); len(g.Buildings) != 1 || g.Buildings[0] != 3 {
			t.Errorf("东区 buildings = %v, want [3]", g.Buildings)
		}
	})
}

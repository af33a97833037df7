package community

// This file is the admin side of buildings and grids after they are
// created: reading one, changing it field by field, deleting it, and the
// one rule for moving a building between grids.
//
// Decisions the admin API relies on:
//
//   - Buildings are named by their number everywhere (paths, grid bodies,
//     grid answers), never by row id; grids, which have no number, by id.
//   - A building changes grid only when asked twice: a grid created or
//     patched with a building of another grid, or a building patched into
//     another grid, is a conflict naming that grid unless the body says
//     "move": true. Leaving a grid (a grid's list without it, a building's
//     grid_id 0) needs no move: it names the building it changes.
//   - A move changes where new tickets go. Tickets already filed keep their
//     handler and their grid (whose supervisor they escalate to): the
//     handler may have been to the flat already, and an admin re-assigns a
//     ticket explicitly (PATCH /api/v1/tickets/{number}). The conflict says
//     how many open tickets stay with the old grid.
//   - Changing a grid's worker likewise routes new tickets only.
//   - Deleting refuses (conflict) while anything would lose its meaning:
//     a building any ticket was filed in (the ticket would lose its
//     place; the foreign key forbids it anyway), a grid that still has
//     buildings (they would silently fall to the duty staff) or that any
//     ticket was routed through (the ticket would lose its supervisor and
//     the statistics their grid). Deleting is for records entered by
//     mistake; a grid in use is renamed or given another worker instead.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/storage"
)

// BuildingPatch changes a building (PATCH /api/v1/buildings/{number}); nil
// fields stay as they are. The number is the building's identity and
// does not change.
type BuildingPatch struct {
	// Name "" is the default name, "<number>号楼".
	Name *string `json:"name,omitempty"`
	// HeadID 0 removes the 楼栋长.
	HeadID *int64 `json:"head_id,omitempty"`
	// UnitHeads replaces every unit head; {} removes them all.
	UnitHeads *map[string]int64 `json:"unit_heads,omitempty"`
	// GridID puts the building in that grid, 0 in none. From another
	// grid only with Move.
	GridID *int64 `json:"grid_id,omitempty"`
	Move   bool   `json:"move,omitempty"`
}

// GridPatch changes a grid (PATCH /api/v1/grids/{id}); nil fields stay as
// they are.
type GridPatch struct {
	Name     *string `json:"name,omitempty"`
	WorkerID *int64  `json:"worker_id,omitempty"`
	// SupervisorID 0 removes the grid's own supervisor (escalations go to
	// the first staff member with the supervisor role).
	SupervisorID *int64 `json:"supervisor_id,omitempty"`
	// Buildings, by number, replaces the grid's buildings: those left out
	// leave the grid, those of another grid need Move.
	Buildings *[]int `json:"buildings,omitempty"`
	Move      bool   `json:"move,omitempty"`
}

// noBuilding is the not_found answer for a building number.
func noBuilding(number int, err error) error {
	return &bot.UserError{Code: bot.CodeNotFound, Message: fmt.Sprintf("没有 %d 号楼", number), Err: err}
}

// noGrid is the not_found answer for a grid id.
func noGrid(id int64, err error) error {
	return &bot.UserError{Code: bot.CodeNotFound, Message: fmt.Sprintf("没有编号为 %d 的网格", id), Err: err}
}

// buildingNumber reads building number in tx, not_found when unknown.
func buildingNumber(ctx context.Context, tx *storage.Tx, number int) (community.Building, error) {
	b, err := tx.BuildingByNumber(ctx, number)
	if errors.Is(err, bot.ErrNotFound) {
		return b, noBuilding(number, err)
	}
	return b, err
}

// gridID reads grid id in tx, not_found when unknown.
func gridID(ctx context.Context, tx *storage.Tx, id int64) (community.Grid, error) {
	g, err := tx.Grid(ctx, id)
	if errors.Is(err, bot.ErrNotFound) {
		return g, noGrid(id, err)
	}
	return g, err
}

// parseUnitHeads reads unit numbers ("1", "2") to staff ids; nil stays
// nil (unchanged).
func parseUnitHeads(in map[string]int64) (map[int]int64, error) {
	if in == nil {
		return nil, nil
	}
	heads := map[int]int64{}
	for k, id := range in {
		unit, err := strconv.Atoi(strings.TrimSpace(k))
		if err != nil || unit <= 0 || unit > 99 {
			return nil, bot.FieldError("unit_heads", fmt.Sprintf("单元号 %q 应为 1 到 99", k))
		}
		heads[unit] = id
	}
	return heads, nil
}

// checkHeads checks that the 楼栋长 (0: none) and the unit heads exist.
func checkHeads(ctx context.Context, tx *storage.Tx, head int64, units map[int]int64) error {
	if head != 0 {
		if err := mustStaff(ctx, tx, "head_id", head); err != nil {
			return err
		}
	}
	for _, id := range units {
		if err := mustStaff(ctx, tx, "unit_heads", id); err != nil {
			return err
		}
	}
	return nil
}

// checkGridName trims and checks g's name and that it names a worker.
func checkGridName(g *community.Grid) error {
	g.Name = strings.TrimSpace(g.Name)
	switch {
	case g.Name == "":
		return bot.FieldError("name", "网格名称不能为空")
	case len([]rune(g.Name)) > 40:
		return bot.FieldError("name", "网格名称太长")
	case g.WorkerID == 0:
		return bot.FieldError("worker_id", "请指定网格员")
	}
	return nil
}

// checkGridStaff checks that g's worker exists and is active (a grid
// whose worker left routes everything to the duty staff) and that its
// supervisor, if any, exists.
func checkGridStaff(ctx context.Context, tx *storage.Tx, g community.Grid) error {
	w, err := tx.Staff(ctx, g.WorkerID)
	switch {
	case errors.Is(err, bot.ErrNotFound):
		return bot.FieldError("worker_id", fmt.Sprintf("没有编号为 %d 的工作人员", g.WorkerID))
	case err != nil:
		return err
	case !w.Active:
		return bot.FieldError("worker_id", fmt.Sprintf("%s 已停用，不能做网格员", w.Name))
	}
	if g.SupervisorID != 0 {
		return mustStaff(ctx, tx, "supervisor_id", g.SupervisorID)
	}
	return nil
}

// buildingsByNumber reads the buildings numbered numbers (a repeated
// number once), naming the field for one that does not exist.
func buildingsByNumber(ctx context.Context, tx *storage.Tx, numbers []int) ([]community.Building, error) {
	var out []community.Building
	seen := map[int]bool{}
	for _, n := range numbers {
		if seen[n] {
			continue
		}
		seen[n] = true
		b, err := tx.BuildingByNumber(ctx, n)
		if errors.Is(err, bot.ErrNotFound) {
			return nil, bot.FieldError("buildings", fmt.Sprintf("没有 %d 号楼，请先添加", n))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// claimBuilding puts building b in grid to (0: in none). Joining a grid
// while in another is refused, naming that grid and the open tickets that
// stay with it, unless move; field is the input the refusal names. Of two
// concurrent moves of b, the second is refused rather than overwriting.
func claimBuilding(ctx context.Context, tx *storage.Tx, b community.Building, to int64, move bool, field string) error {
	if b.GridID == to {
		return nil
	}
	if b.GridID != 0 && to != 0 && !move {
		c, err := tx.CountTickets(ctx, b.ID, b.GridID)
		if err != nil {
			return err
		}
		stay := ""
		if c.Open > 0 {
			stay = fmt.Sprintf("（其 %d 件未办结诉求仍由原处理人办理）", c.Open)
		}
		return &bot.UserError{Code: bot.CodeConflict, Field: field,
			Message: fmt.Sprintf("%d 号楼已属于网格「%s」%s；确要移动请加 \"move\": true", b.Number, b.GridName, stay)}
	}
	err := tx.MoveBuilding(ctx, b.ID, b.GridID, to)
	if errors.Is(err, bot.ErrConflict) {
		return &bot.UserError{Code: bot.CodeConflict, Field: field,
			Message: fmt.Sprintf("%d 号楼的网格刚被改动，请查看后重试", b.Number), Err: err}
	}
	return err
}

// Building returns the building numbered number with its unit heads and
// grid; an unknown number is not_found.
func (s *Service) Building(ctx context.Context, number int) (community.Building, error) {
	var out community.Building
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		var err error
		out, err = buildingNumber(ctx, tx, number)
		return err
	})
	if err != nil {
		return community.Building{}, fmt.Errorf("community.Building(%d): %w", number, err)
	}
	return out, nil
}

// PatchBuilding changes the fields p gives of building number. Moving it
// from another grid needs p.Move (see claimBuilding); its tickets already
// filed keep their handler and grid.
func (s *Service) PatchBuilding(ctx context.Context, number int, p BuildingPatch) (community.Building, error) {
	if p.Name == nil && p.HeadID == nil && p.UnitHeads == nil && p.GridID == nil {
		return community.Building{}, bot.FieldError("body", "请给出 name、head_id、unit_heads 或 grid_id")
	}
	var heads map[int]int64
	if p.UnitHeads != nil {
		if *p.UnitHeads == nil {
			*p.UnitHeads = map[string]int64{}
		}
		var err error
		if heads, err = parseUnitHeads(*p.UnitHeads); err != nil {
			return community.Building{}, err
		}
	}
	var out community.Building
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		b, err := buildingNumber(ctx, tx, number)
		if err != nil {
			return err
		}
		if p.Name != nil {
			b.Name = strings.TrimSpace(*p.Name)
			if b.Name == "" {
				b.Name = strconv.Itoa(b.Number) + "号楼"
			}
			if len([]rune(b.Name)) > 40 {
				return bot.FieldError("name", "楼名太长")
			}
		}
		if p.HeadID != nil {
			b.HeadID = *p.HeadID
		}
		if err := checkHeads(ctx, tx, b.HeadID, heads); err != nil {
			return err
		}
		if p.GridID != nil && *p.GridID != 0 {
			if _, err := tx.Grid(ctx, *p.GridID); errors.Is(err, bot.ErrNotFound) {
				return bot.FieldError("grid_id", fmt.Sprintf("没有编号为 %d 的网格", *p.GridID))
			} else if err != nil {
				return err
			}
		}
		if _, err := tx.SaveBuilding(ctx, b); err != nil {
			return err
		}
		if heads != nil {
			if err := tx.SetUnitHeads(ctx, b.ID, heads); err != nil {
				return err
			}
		}
		if p.GridID != nil {
			if err := claimBuilding(ctx, tx, b, *p.GridID, p.Move, "grid_id"); err != nil {
				return err
			}
		}
		out, err = tx.Building(ctx, b.ID)
		return err
	})
	if err != nil {
		return community.Building{}, fmt.Errorf("community.PatchBuilding(%d): %w", number, err)
	}
	return out, nil
}

// DeleteBuilding deletes building number and its unit heads. It refuses
// (conflict) while any ticket, open or closed, was filed in it: the
// ticket would lose where it happened.
func (s *Service) DeleteBuilding(ctx context.Context, number int) error {
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		b, err := buildingNumber(ctx, tx, number)
		if err != nil {
			return err
		}
		c, err := tx.CountTickets(ctx, b.ID, 0)
		if err != nil {
			return err
		}
		if c.All > 0 {
			return &bot.UserError{Code: bot.CodeConflict, Message: fmt.Sprintf(
				"%d 号楼有 %d 件诉求记录（%d 件未办结），删除会使它们失去地点；如名称有误请修改名称", number, c.All, c.Open)}
		}
		err = tx.DeleteBuilding(ctx, b.ID)
		if errors.Is(err, bot.ErrConflict) {
			// A ticket filed since the count: the foreign key held.
			return &bot.UserError{Code: bot.CodeConflict, Message: fmt.Sprintf("%d 号楼刚有新的诉求，不能删除", number), Err: err}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("community.DeleteBuilding(%d): %w", number, err)
	}
	return nil
}

// Grid returns grid id with the numbers of its buildings; an unknown id
// is not_found.
func (s *Service) Grid(ctx context.Context, id int64) (community.Grid, error) {
	var out community.Grid
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		var err error
		out, err = gridID(ctx, tx, id)
		return err
	})
	if err != nil {
		return community.Grid{}, fmt.Errorf("community.Grid(%d): %w", id, err)
	}
	return out, nil
}

// PatchGrid changes the fields p gives of grid id. p.Buildings replaces
// its buildings: those left out leave it (their new tickets go to the
// duty staff until they join a grid), those of another grid need p.Move.
// A new worker or supervisor takes the grid's new tickets; tickets
// already filed keep their handler.
func (s *Service) PatchGrid(ctx context.Context, id int64, p GridPatch) (community.Grid, error) {
	if p.Name == nil && p.WorkerID == nil && p.SupervisorID == nil && p.Buildings == nil {
		return community.Grid{}, bot.FieldError("body", "请给出 name、worker_id、supervisor_id 或 buildings")
	}
	var out community.Grid
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		g, err := gridID(ctx, tx, id)
		if err != nil {
			return err
		}
		if p.Name != nil {
			g.Name = *p.Name
		}
		if p.WorkerID != nil {
			g.WorkerID = *p.WorkerID
		}
		if p.SupervisorID != nil {
			g.SupervisorID = *p.SupervisorID
		}
		if err := checkGridName(&g); err != nil {
			return err
		}
		if p.WorkerID != nil || p.SupervisorID != nil {
			if err := checkGridStaff(ctx, tx, g); err != nil {
				return err
			}
		}
		err = tx.UpdateGrid(ctx, g)
		if errors.Is(err, bot.ErrConflict) {
			return bot.FieldError("name", "已有同名网格")
		}
		if err != nil {
			return err
		}
		if p.Buildings != nil {
			want, err := buildingsByNumber(ctx, tx, *p.Buildings)
			if err != nil {
				return err
			}
			for _, b := range want {
				if err := claimBuilding(ctx, tx, b, g.ID, p.Move, "buildings"); err != nil {
					return err
				}
			}
			for _, n := range g.Buildings {
				if slices.Contains(*p.Buildings, n) {
					continue
				}
				b, err := tx.BuildingByNumber(ctx, n)
				if err != nil {
					return err
				}
				if err := claimBuilding(ctx, tx, b, 0, false, "buildings"); err != nil {
					return err
				}
			}
		}
		out, err = tx.Grid(ctx, g.ID)
		return err
	})
	if err != nil {
		return community.Grid{}, fmt.Errorf("community.PatchGrid(%d): %w", id, err)
	}
	return out, nil
}

// DeleteGrid deletes grid id. It refuses (conflict) while the grid has
// buildings (their new tickets would silently go to the duty staff: move
// them first) or any ticket was routed through it (it would lose its
// supervisor, the statistics their grid).
func (s *Service) DeleteGrid(ctx context.Context, id int64) error {
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		g, err := gridID(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(g.Buildings) > 0 {
			ns := make([]string, len(g.Buildings))
			for i, n := range g.Buildings {
				ns[i] = strconv.Itoa(n)
			}
			return &bot.UserError{Code: bot.CodeConflict, Message: fmt.Sprintf(
				"网格「%s」还有 %s 号楼；请先把它们移到其他网格或移出本网格", g.Name, strings.Join(ns, "、"))}
		}
		c, err := tx.CountTickets(ctx, 0, g.ID)
		if err != nil {
			return err
		}
		if c.All > 0 {
			return &bot.UserError{Code: bot.CodeConflict, Message: fmt.Sprintf(
				"网格「%s」有 %d 件诉求记录（%d 件未办结），删除会使它们失去督办和统计归属；可改名或更换网格员", g.Name, c.All, c.Open)}
		}
		err = tx.DeleteGrid(ctx, g.ID)
		if errors.Is(err, bot.ErrConflict) {
			// A building or ticket added since the checks: the foreign keys held.
			return &bot.UserError{Code: bot.CodeConflict, Message: fmt.Sprintf("网格「%s」刚有新的楼栋或诉求，不能删除", g.Name), Err: err}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("community.DeleteGrid(%d): %w", id, err)
	}
	return nil
}

package tickets

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
)

// Roles are the staff roles the admin API accepts.
var Roles = []string{
	ticket.RoleGridWorker, ticket.RoleBuildingHead, ticket.RoleUnitHead, ticket.RoleSupervisor,
	ticket.RoleDuty, ticket.RoleMediator, ticket.RoleEmployment, ticket.RoleAdmin,
}

// newBindCode returns a random 6-digit code.
func newBindCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens since Go 1.24
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// CreateStaff adds a staff member and returns them with a one-time 6-digit
// code they bind their WeChat with (绑定 <code>). Bad input is a
// *FieldError.
func (s *Service) CreateStaff(ctx context.Context, in StaffInput) (ticket.Staff, string, error) {
	st := ticket.Staff{Name: strings.TrimSpace(in.Name), Phone: strings.TrimSpace(in.Phone), OpenID: strings.TrimSpace(in.OpenID), Roles: []string{}}
	switch {
	case st.Name == "":
		return ticket.Staff{}, "", invalid("name", "姓名不能为空")
	case len([]rune(st.Name)) > 40:
		return ticket.Staff{}, "", invalid("name", "姓名太长")
	case st.Phone != "" && !phoneRe.MatchString(st.Phone):
		return ticket.Staff{}, "", invalid("phone", "手机号应为 11 位大陆手机号")
	}
	for _, r := range in.Roles {
		r = strings.TrimSpace(r)
		if !slices.Contains(Roles, r) {
			return ticket.Staff{}, "", invalid("roles", fmt.Sprintf("未知角色 %q，可选：%s", r, strings.Join(Roles, ", ")))
		}
		if !slices.Contains(st.Roles, r) {
			st.Roles = append(st.Roles, r)
		}
	}
	if st.OpenID != "" {
		_, err := s.store.StaffByOpenID(ctx, st.OpenID)
		if err == nil {
			return ticket.Staff{}, "", invalid("openid", "这个 openid 已绑定其他工作人员")
		}
		if !errors.Is(err, bot.ErrNotFound) {
			return ticket.Staff{}, "", fmt.Errorf("tickets.CreateStaff: %w", err)
		}
	}
	// A code colliding with an unused one is retried; five collisions in a
	// row mean something else conflicts (an openid bound meanwhile).
	var err error
	for range 5 {
		code := newBindCode()
		st.ID, err = s.store.InsertStaff(ctx, st, code, s.now(), s.now().Add(BindCodeTTL))
		if err == nil {
			return st, code, nil
		}
		if !errors.Is(err, bot.ErrConflict) {
			break
		}
	}
	if errors.Is(err, bot.ErrConflict) && st.OpenID != "" {
		return ticket.Staff{}, "", invalid("openid", "这个 openid 已绑定其他工作人员")
	}
	return ticket.Staff{}, "", fmt.Errorf("tickets.CreateStaff: %w", err)
}

// BindCodeTTL is how long a one-time bind code works: long enough to pass
// it on, short enough that a leaked or guessed one soon stops working.
const BindCodeTTL = 7 * 24 * time.Hour

// ReissueBindCode gives staff member id a fresh one-time bind code (the old
// one stops working), e.g. when the first expired or the person changed
// phones. Returns bot.ErrNotFound for an unknown id.
func (s *Service) ReissueBindCode(ctx context.Context, id int64) (string, time.Time, error) {
	expires := s.now().Add(BindCodeTTL)
	var err error
	for range 5 {
		code := newBindCode()
		if err = s.store.SetBindCode(ctx, id, code, expires); err == nil {
			return code, expires, nil
		}
		if !errors.Is(err, bot.ErrConflict) {
			break
		}
	}
	return "", time.Time{}, fmt.Errorf("tickets.ReissueBindCode(%d): %w", id, err)
}

// ListStaff returns every staff member by id.
func (s *Service) ListStaff(ctx context.Context) ([]ticket.Staff, error) {
	out, err := s.store.ListStaff(ctx)
	if err != nil {
		return nil, fmt.Errorf("tickets.ListStaff: %w", err)
	}
	return out, nil
}

// mustStaff checks that staff member id exists, naming field if not.
func mustStaff(ctx context.Context, tx *storage.Tx, field string, id int64) error {
	_, err := tx.Staff(ctx, id)
	if errors.Is(err, bot.ErrNotFound) {
		return invalid(field, fmt.Sprintf("没有编号为 %d 的工作人员", id))
	}
	return err
}

// SaveBuilding creates the building with in.Number or updates its name and
// 楼栋长; UnitHeads, when given, replace the unit heads. Its grid stays as
// it is (CreateGrid sets it). Bad input is a *FieldError.
func (s *Service) SaveBuilding(ctx context.Context, in BuildingInput) (ticket.Building, error) {
	if in.Number <= 0 || in.Number > 9999 {
		return ticket.Building{}, invalid("number", "楼号应为 1 到 9999")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = strconv.Itoa(in.Number) + "号楼"
	}
	var heads map[int]int64
	if in.UnitHeads != nil {
		heads = map[int]int64{}
		for k, id := range in.UnitHeads {
			unit, err := strconv.Atoi(strings.TrimSpace(k))
			if err != nil || unit <= 0 || unit > 99 {
				return ticket.Building{}, invalid("unit_heads", fmt.Sprintf("单元号 %q 应为 1 到 99", k))
			}
			heads[unit] = id
		}
	}
	var out ticket.Building
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		if in.HeadID != 0 {
			if err := mustStaff(ctx, tx, "head_id", in.HeadID); err != nil {
				return err
			}
		}
		for _, id := range heads {
			if err := mustStaff(ctx, tx, "unit_heads", id); err != nil {
				return err
			}
		}
		b, err := tx.SaveBuilding(ctx, ticket.Building{Number: in.Number, Name: name, HeadID: in.HeadID})
		if err != nil {
			return err
		}
		if heads != nil {
			if err := tx.SetUnitHeads(ctx, b.ID, heads); err != nil {
				return err
			}
		}
		out, err = tx.Building(ctx, b.ID)
		return err
	})
	if err != nil {
		return ticket.Building{}, fmt.Errorf("tickets.SaveBuilding(%d): %w", in.Number, err)
	}
	return out, nil
}

// CreateGrid creates a grid and moves the buildings (by number) into it.
// The worker, the supervisor and the buildings must exist and the name
// must be new; otherwise it is a *FieldError.
func (s *Service) CreateGrid(ctx context.Context, in GridInput) (ticket.Grid, error) {
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		return ticket.Grid{}, invalid("name", "网格名称不能为空")
	case in.WorkerID == 0:
		return ticket.Grid{}, invalid("worker_id", "请指定网格员")
	}
	var out ticket.Grid
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		if err := mustStaff(ctx, tx, "worker_id", in.WorkerID); err != nil {
			return err
		}
		if in.SupervisorID != 0 {
			if err := mustStaff(ctx, tx, "supervisor_id", in.SupervisorID); err != nil {
				return err
			}
		}
		var ids []int64
		for _, n := range in.Buildings {
			b, err := tx.BuildingByNumber(ctx, n)
			if errors.Is(err, bot.ErrNotFound) {
				return invalid("buildings", fmt.Sprintf("没有 %d 号楼，请先添加", n))
			}
			if err != nil {
				return err
			}
			ids = append(ids, b.ID)
		}
		id, err := tx.InsertGrid(ctx, ticket.Grid{Name: name, WorkerID: in.WorkerID, SupervisorID: in.SupervisorID})
		if errors.Is(err, bot.ErrConflict) {
			return invalid("name", "已有同名网格")
		}
		if err != nil {
			return err
		}
		for _, b := range ids {
			if err := tx.SetBuildingGrid(ctx, b, id); err != nil {
				return err
			}
		}
		out, err = tx.Grid(ctx, id)
		return err
	})
	if err != nil {
		return ticket.Grid{}, fmt.Errorf("tickets.CreateGrid: %w", err)
	}
	return out, nil
}

// ListGrids returns every grid with the ids of its buildings.
func (s *Service) ListGrids(ctx context.Context) ([]ticket.Grid, error) {
	out, err := s.store.ListGrids(ctx)
	if err != nil {
		return nil, fmt.Errorf("tickets.ListGrids: %w", err)
	}
	return out, nil
}

// List returns the tickets f selects, newest first, and how many match in
// all. Limit is 50 by default and at most 500.
func (s *Service) List(ctx context.Context, f Filter) ([]ticket.Ticket, int, error) {
	switch f.Status {
	case "", ticket.Submitted, ticket.Accepted, ticket.Resolved, ticket.Closed, ticket.Returned, ticket.Reopened:
	default:
		return nil, 0, invalid("status", "未知状态 "+string(f.Status))
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, 0, invalid("to", "结束时间应晚于开始时间")
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	f.Offset = max(f.Offset, 0)
	ts, total, err := s.store.ListTickets(ctx, storage.TicketFilter{
		Status: f.Status, Category: f.Category, GridID: f.GridID, Overdue: f.Overdue, Now: s.now(),
		From: f.From, To: f.To, Limit: f.Limit, Offset: f.Offset,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("tickets.List: %w", err)
	}
	return s.namedAll(ts), total, nil
}

// Patch changes a ticket from the admin API with the rules of the WeChat
// commands (By 0): a new assignee_id is a transfer; status accepted,
// resolved or returned is that action (with note as resolution or
// reason); a note alone goes on the timeline. Both a transfer and a status
// change apply together or not at all.
func (s *Service) Patch(ctx context.Context, number string, p Patch) (ticket.Ticket, error) {
	var acts []ticket.Action
	if p.AssigneeID != 0 {
		acts = append(acts, ticket.Action{Number: number, Kind: ticket.ActTransfer, ToID: p.AssigneeID, Note: p.Note})
	}
	switch p.Status {
	case "":
	case ticket.Accepted:
		acts = append(acts, ticket.Action{Number: number, Kind: ticket.ActAccept, Note: p.Note})
	case ticket.Resolved:
		acts = append(acts, ticket.Action{Number: number, Kind: ticket.ActResolve, Note: p.Note})
	case ticket.Returned:
		acts = append(acts, ticket.Action{Number: number, Kind: ticket.ActReturn, Note: p.Note})
	default:
		return ticket.Ticket{}, invalid("status", "状态只能改为 accepted、resolved 或 returned")
	}
	if len(acts) == 0 {
		if strings.TrimSpace(p.Note) == "" {
			return ticket.Ticket{}, invalid("status", "请给出 status、assignee_id 或 note")
		}
		acts = append(acts, ticket.Action{Number: number, Kind: ticket.ActNote, Note: p.Note})
	}
	var out ticket.Ticket
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		for _, a := range acts {
			var err error
			if out, err = s.act(ctx, tx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("tickets.Patch(%s): %w", number, err)
	}
	return out, nil
}

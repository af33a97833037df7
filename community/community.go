// Package community keeps the community every domain shares: staff and
// their roles, the one-time codes staff bind their WeChat with, buildings
// with their 楼栋长 and 单元长, and grids with their grid workers. It
// implements community.Directory (bot/community) for conversations and
// AdminService for the admin API.
//
// It does not route or work records (tickets, sign-ups, bookings do, with
// the access policy of bot/community) and sends no notifications.
package community

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/input"
	"github.com/tongxin/tongxin/storage"
)

var (
	_ community.Directory = (*Service)(nil)
	_ AdminService        = (*Service)(nil)
)

// StaffInput creates a staff member (POST /api/v1/staff).
type StaffInput struct {
	OpenID string   `json:"openid,omitempty"`
	Name   string   `json:"name"`
	Phone  string   `json:"phone"`
	Roles  []string `json:"roles"`
}

// BuildingInput creates or updates a building (POST /api/v1/buildings).
type BuildingInput struct {
	Number int    `json:"number"`
	Name   string `json:"name,omitempty"` // default "<number>号楼"
	HeadID int64  `json:"head_id,omitempty"`
	// UnitHeads maps unit numbers ("1", "2") to staff ids.
	UnitHeads map[string]int64 `json:"unit_heads,omitempty"`
}

// GridInput creates a grid (POST /api/v1/grids): buildings by number.
type GridInput struct {
	Name         string `json:"name"`
	WorkerID     int64  `json:"worker_id"`
	SupervisorID int64  `json:"supervisor_id,omitempty"`
	Buildings    []int  `json:"buildings"`
}

// AdminService is what the admin API needs of the community. Bad input is
// a *bot.UserError naming the field.
type AdminService interface {
	community.Directory
	// CreateStaff returns the new staff member and their one-time bind code.
	CreateStaff(ctx context.Context, in StaffInput) (community.Staff, string, error)
	ListStaff(ctx context.Context) ([]community.Staff, error)
	ReissueBindCode(ctx context.Context, id int64) (code string, expires time.Time, err error)
	SaveBuilding(ctx context.Context, in BuildingInput) (community.Building, error)
	CreateGrid(ctx context.Context, in GridInput) (community.Grid, error)
	ListGrids(ctx context.Context) ([]community.Grid, error)
}

// Service implements community.Directory and AdminService on a Store.
type Service struct {
	store *storage.Store
	now   func() time.Time
}

// New returns the service on store; now is the clock (time.Now when nil).
func New(store *storage.Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Buildings returns the community's buildings by number.
func (s *Service) Buildings(ctx context.Context) ([]community.Building, error) {
	bs, err := s.store.ListBuildings(ctx)
	if err != nil {
		return nil, fmt.Errorf("community.Buildings: %w", err)
	}
	return bs, nil
}

// FindBuilding returns the building with that number, or bot.ErrNotFound.
func (s *Service) FindBuilding(ctx context.Context, number int) (community.Building, error) {
	b, err := s.store.BuildingByNumber(ctx, number)
	if err != nil {
		return community.Building{}, fmt.Errorf("community.FindBuilding(%d): %w", number, err)
	}
	return b, nil
}

// StaffByOpenID returns the staff member bound to openid, or
// bot.ErrNotFound.
func (s *Service) StaffByOpenID(ctx context.Context, openid string) (community.Staff, error) {
	if openid == "" {
		return community.Staff{}, fmt.Errorf("community.StaffByOpenID: %w", bot.ErrNotFound)
	}
	st, err := s.store.StaffByOpenID(ctx, openid)
	if err != nil {
		return community.Staff{}, fmt.Errorf("community.StaffByOpenID: %w", err)
	}
	return st, nil
}

// bindCodeRe is what CreateStaff hands out.
var bindCodeRe = regexp.MustCompile(`^\d{6}$`)

// msgBadBindCode refuses a code that does not bind.
const msgBadBindCode = "绑定码无效、已使用或已过期，请向社区管理员重新索取。"

// Bind binds openid to the staff member holding the one-time code and
// uses the code up. An unknown or used code, or an openid bound to someone
// else, is a *bot.UserError.
func (s *Service) Bind(ctx context.Context, openid, code string) (community.Staff, error) {
	if !bindCodeRe.MatchString(code) {
		return community.Staff{}, bot.Say(msgBadBindCode)
	}
	st, err := s.store.BindStaff(ctx, code, openid, s.clock())
	switch {
	case errors.Is(err, bot.ErrNotFound):
		return community.Staff{}, &bot.UserError{Code: bot.CodeConflict, Message: msgBadBindCode, Err: err}
	case errors.Is(err, bot.ErrConflict):
		return community.Staff{}, &bot.UserError{Code: bot.CodeConflict, Message: "这个微信号已经绑定了另一位工作人员，如需更换请联系社区管理员。", Err: err}
	case err != nil:
		return community.Staff{}, fmt.Errorf("community.Bind: %w", err)
	}
	return st, nil
}

// newBindCode returns a random 6-digit code.
func newBindCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens since Go 1.24
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// BindCodeTTL is how long a one-time bind code works: long enough to pass
// it on, short enough that a leaked or guessed one soon stops working.
const BindCodeTTL = 7 * 24 * time.Hour

// CreateStaff adds a staff member and returns them with a one-time 6-digit
// code they bind their WeChat with (绑定 <code>).
func (s *Service) CreateStaff(ctx context.Context, in StaffInput) (community.Staff, string, error) {
	st := community.Staff{Name: strings.TrimSpace(in.Name), Phone: strings.TrimSpace(in.Phone), OpenID: strings.TrimSpace(in.OpenID), Roles: []community.Role{}}
	switch {
	case st.Name == "":
		return community.Staff{}, "", bot.FieldError("name", "姓名不能为空")
	case len([]rune(st.Name)) > 40:
		return community.Staff{}, "", bot.FieldError("name", "姓名太长")
	case st.Phone != "" && !input.IsMobile(st.Phone):
		return community.Staff{}, "", bot.FieldError("phone", "手机号应为 11 位大陆手机号")
	}
	for _, name := range in.Roles {
		r, err := community.ParseRole(name)
		if err != nil {
			return community.Staff{}, "", bot.FieldError("roles", err.Error())
		}
		if !st.Has(r) {
			st.Roles = append(st.Roles, r)
		}
	}
	if st.OpenID != "" {
		_, err := s.store.StaffByOpenID(ctx, st.OpenID)
		if err == nil {
			return community.Staff{}, "", bot.FieldError("openid", "这个 openid 已绑定其他工作人员")
		}
		if !errors.Is(err, bot.ErrNotFound) {
			return community.Staff{}, "", fmt.Errorf("community.CreateStaff: %w", err)
		}
	}
	// A code colliding with an unused one is retried; five collisions in a
	// row mean something else conflicts (an openid bound meanwhile).
	var err error
	for range 5 {
		code := newBindCode()
		st.ID, err = s.store.InsertStaff(ctx, st, code, s.clock(), s.clock().Add(BindCodeTTL))
		if err == nil {
			return st, code, nil
		}
		if !errors.Is(err, bot.ErrConflict) {
			break
		}
	}
	if errors.Is(err, bot.ErrConflict) && st.OpenID != "" {
		return community.Staff{}, "", bot.FieldError("openid", "这个 openid 已绑定其他工作人员")
	}
	return community.Staff{}, "", fmt.Errorf("community.CreateStaff: %w", err)
}

// ReissueBindCode gives staff member id a fresh one-time bind code (the old
// one stops working), e.g. when the first expired or the person changed
// phones. Returns bot.ErrNotFound for an unknown id.
func (s *Service) ReissueBindCode(ctx context.Context, id int64) (string, time.Time, error) {
	expires := s.clock().Add(BindCodeTTL)
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
	return "", time.Time{}, fmt.Errorf("community.ReissueBindCode(%d): %w", id, err)
}

// ListStaff returns every staff member by id.
func (s *Service) ListStaff(ctx context.Context) ([]community.Staff, error) {
	out, err := s.store.ListStaff(ctx)
	if err != nil {
		return nil, fmt.Errorf("community.ListStaff: %w", err)
	}
	return out, nil
}

// mustStaff checks that staff member id exists, naming field if not.
func mustStaff(ctx context.Context, tx *storage.Tx, field string, id int64) error {
	_, err := tx.Staff(ctx, id)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.FieldError(field, fmt.Sprintf("没有编号为 %d 的工作人员", id))
	}
	return err
}

// SaveBuilding creates the building with in.Number or updates its name and
// 楼栋长; UnitHeads, when given, replace the unit heads. Its grid stays as
// it is (CreateGrid sets it).
func (s *Service) SaveBuilding(ctx context.Context, in BuildingInput) (community.Building, error) {
	if in.Number <= 0 || in.Number > 9999 {
		return community.Building{}, bot.FieldError("number", "楼号应为 1 到 9999")
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
				return community.Building{}, bot.FieldError("unit_heads", fmt.Sprintf("单元号 %q 应为 1 到 99", k))
			}
			heads[unit] = id
		}
	}
	var out community.Building
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
		b, err := tx.SaveBuilding(ctx, community.Building{Number: in.Number, Name: name, HeadID: in.HeadID})
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
		return community.Building{}, fmt.Errorf("community.SaveBuilding(%d): %w", in.Number, err)
	}
	return out, nil
}

// CreateGrid creates a grid and moves the buildings (by number) into it.
// The worker, the supervisor and the buildings must exist and the name
// must be new.
func (s *Service) CreateGrid(ctx context.Context, in GridInput) (community.Grid, error) {
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		return community.Grid{}, bot.FieldError("name", "网格名称不能为空")
	case in.WorkerID == 0:
		return community.Grid{}, bot.FieldError("worker_id", "请指定网格员")
	}
	var out community.Grid
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
				return bot.FieldError("buildings", fmt.Sprintf("没有 %d 号楼，请先添加", n))
			}
			if err != nil {
				return err
			}
			ids = append(ids, b.ID)
		}
		id, err := tx.InsertGrid(ctx, community.Grid{Name: name, WorkerID: in.WorkerID, SupervisorID: in.SupervisorID})
		if errors.Is(err, bot.ErrConflict) {
			return bot.FieldError("name", "已有同名网格")
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
		return community.Grid{}, fmt.Errorf("community.CreateGrid: %w", err)
	}
	return out, nil
}

// ListGrids returns every grid with the ids of its buildings.
func (s *Service) ListGrids(ctx context.Context) ([]community.Grid, error) {
	out, err := s.store.ListGrids(ctx)
	if err != nil {
		return nil, fmt.Errorf("community.ListGrids: %w", err)
	}
	return out, nil
}

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
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
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
	OpenID string `json:"openid,omitempty"`
	Name   string `json:"name"`
	Phone  string `json:"phone"`
	// WorkPhone is the number residents are given (网格员电话), a mobile
	// or a landline such as 0937-6221234; Phone stays private.
	WorkPhone string   `json:"work_phone,omitempty"`
	Roles     []string `json:"roles"`
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
// A building already in another grid is refused unless Move is set.
type GridInput struct {
	Name         string `json:"name"`
	WorkerID     int64  `json:"worker_id"`
	SupervisorID int64  `json:"supervisor_id,omitempty"`
	Buildings    []int  `json:"buildings"`
	Move         bool   `json:"move,omitempty"`
}

// StaffPatch changes a staff member (PATCH /api/v1/staff/{id}); nil
// fields stay as they are.
type StaffPatch struct {
	Name  *string `json:"name,omitempty"`
	Phone *string `json:"phone,omitempty"`
	// WorkPhone "" removes the number residents are given.
	WorkPhone *string   `json:"work_phone,omitempty"`
	Roles     *[]string `json:"roles,omitempty"`
	Active    *bool     `json:"active,omitempty"`
}

// AdminService is what the admin API needs of the community. Bad input is
// a *bot.UserError naming the field.
type AdminService interface {
	community.Directory
	// CreateStaff returns the new staff member and their one-time bind code.
	CreateStaff(ctx context.Context, in StaffInput) (community.Staff, string, error)
	ListStaff(ctx context.Context) ([]community.Staff, error)
	ReissueBindCode(ctx context.Context, id int64) (code string, expires time.Time, err error)
	// PatchStaff changes a staff member; deactivating one runs the
	// domains' deactivation hooks (their open records go back to dispatch).
	PatchStaff(ctx context.Context, id int64, p StaffPatch) (community.Staff, error)
	// Unbind forgets the WeChat account bound to staff member id.
	Unbind(ctx context.Context, id int64) (community.Staff, error)
	SaveBuilding(ctx context.Context, in BuildingInput) (community.Building, error)
	// Building returns the building numbered number; unknown is not_found.
	Building(ctx context.Context, number int) (community.Building, error)
	PatchBuilding(ctx context.Context, number int, p BuildingPatch) (community.Building, error)
	DeleteBuilding(ctx context.Context, number int) error
	CreateGrid(ctx context.Context, in GridInput) (community.Grid, error)
	ListGrids(ctx context.Context) ([]community.Grid, error)
	// Grid returns grid id; unknown is not_found.
	Grid(ctx context.Context, id int64) (community.Grid, error)
	PatchGrid(ctx context.Context, id int64, p GridPatch) (community.Grid, error)
	DeleteGrid(ctx context.Context, id int64) error
}

// Counter counts events per key over a window shared by every instance
// (redisstate.Counter): failed binds, to lock an openid out.
type Counter interface {
	Count(ctx context.Context, key string) (int, error)
	Add(ctx context.Context, key string) (int, error)
}

// Enqueuer queues a notice in the transaction of the change that causes
// it (notify.Outbox).
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *storage.Tx, n bot.Notice) (int64, error)
}

// DeactivateHook is run, in the same transaction, when a staff member is
// deactivated: a domain hands their open records back to dispatch.
type DeactivateHook func(ctx context.Context, tx *storage.Tx, st community.Staff) error

// Config tunes the service. Zero values take the defaults noted.
type Config struct {
	// Now is the clock (time.Now).
	Now func() time.Time
	// Failures counts failed binds per openid and across all of them; nil
	// counts nothing.
	Failures Counter
	// MaxFailures is how many failed binds lock an openid out for the
	// counter's window (5); MaxFailuresAll locks binding for everyone
	// (50), against guesses spread over many openids.
	MaxFailures, MaxFailuresAll int
	// Notices, when set, tells the admins of each successful bind.
	Notices Enqueuer
	// OnBindFailure is called with the reason of each refused bind
	// (bad_code, locked, locked_all), for a metric an operator alerts on.
	OnBindFailure func(reason string)
	// Log records binds and refused binds (openids shortened); nil logs
	// nothing.
	Log *slog.Logger
	// Unbindable, when set, names openids that may never be bound to a
	// staff member: the simulator's, which anyone may speak as once it is
	// on beside a real account (TONGXIN_SIMULATOR=on).
	Unbindable func(openid string) bool
}

// Service implements community.Directory and AdminService on a Store.
type Service struct {
	store        *storage.Store
	cfg          Config
	onDeactivate []DeactivateHook
}

// New returns the service on store.
func New(store *storage.Store, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.MaxFailuresAll <= 0 {
		cfg.MaxFailuresAll = 50
	}
	if cfg.OnBindFailure == nil {
		cfg.OnBindFailure = func(string) {}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, cfg: cfg}
}

func (s *Service) clock() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// OnDeactivate registers a hook run when a staff member is deactivated.
// Register before serving.
func (s *Service) OnDeactivate(h DeactivateHook) { s.onDeactivate = append(s.onDeactivate, h) }

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

// OnDuty returns the active staff with the duty role, by id.
func (s *Service) OnDuty(ctx context.Context) ([]community.Staff, error) {
	all, err := s.store.ListStaff(ctx)
	if err != nil {
		return nil, fmt.Errorf("community.OnDuty: %w", err)
	}
	var out []community.Staff
	for _, st := range all {
		if st.Active && st.Has(community.RoleDuty) {
			out = append(out, st)
		}
	}
	return out, nil
}

// GridWorker returns the active grid worker of the building's grid, or
// bot.ErrNotFound.
func (s *Service) GridWorker(ctx context.Context, building int) (community.Staff, error) {
	b, err := s.store.BuildingByNumber(ctx, building)
	if err == nil && b.GridID == 0 {
		err = bot.ErrNotFound
	}
	var g community.Grid
	if err == nil {
		g, err = s.store.Grid(ctx, b.GridID)
	}
	if err == nil && g.WorkerID == 0 {
		err = bot.ErrNotFound
	}
	var st community.Staff
	if err == nil {
		st, err = s.store.Staff(ctx, g.WorkerID)
	}
	if err == nil && !st.Active {
		err = bot.ErrNotFound
	}
	if err != nil {
		return community.Staff{}, fmt.Errorf("community.GridWorker(%d): %w", building, err)
	}
	return st, nil
}

// Bind codes are long enough that guessing is hopeless within their day,
// from an alphabet without look-alikes (no 0/O, 1/I/L), and stored only
// as hashes.
const (
	bindAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	bindLength   = 10
)

// BindCodeTTL is how long a one-time bind code works: a day to pass it on
// in person, short enough that a leaked one soon stops working.
const BindCodeTTL = 24 * time.Hour

// newBindCode returns a random code of bindLength characters.
func newBindCode() string {
	b := make([]byte, bindLength)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(bindAlphabet))))
		if err != nil {
			panic("crypto/rand failed: " + err.Error()) // never happens since Go 1.24
		}
		b[i] = bindAlphabet[n.Int64()]
	}
	return string(b)
}

// normalCode is a typed code as handed out: upper case, without the
// spaces and dashes people add.
func normalCode(code string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "－", "").Replace(strings.TrimSpace(code)))
}

// HashBindCode is how a bind code is stored and looked up: the database
// never holds a code itself. Tests that seed a known code store this.
func HashBindCode(code string) string { return hashCode(code) }

// hashCode is how a bind code is stored and looked up.
func hashCode(code string) string {
	sum := sha256.Sum256([]byte(normalCode(code)))
	return hex.EncodeToString(sum[:])
}

// validCode reports whether code could be one CreateStaff handed out.
func validCode(code string) bool {
	c := normalCode(code)
	if len(c) != bindLength {
		return false
	}
	for _, r := range c {
		if !strings.ContainsRune(bindAlphabet, r) {
			return false
		}
	}
	return true
}

// Refusals of a bind.
const (
	msgBadBindCode = "绑定码无效、已使用或已过期，请向社区管理员重新索取。"
	msgBindLocked  = "绑定失败次数过多，请 1 小时后再试，或联系社区管理员。"
	msgBindBusy    = "绑定暂时不可用，请稍后再试，或联系社区管理员。"
)

// failureKeyAll counts failed binds across every openid.
const failureKeyAll = "bind:*"

// Bind binds openid to the staff member holding the one-time code and
// uses the code up, telling the admins. After MaxFailures failed binds
// from one openid (or MaxFailuresAll from all) within the counter's
// window, every bind is refused until the window ends. A refusal is a
// *bot.UserError.
func (s *Service) Bind(ctx context.Context, openid, code string) (community.Staff, error) {
	if s.cfg.Unbindable != nil && s.cfg.Unbindable(openid) {
		return community.Staff{}, &bot.UserError{Code: bot.CodeForbidden, Message: "模拟器里的身份不能绑定为工作人员。"}
	}
	if err := s.bindAllowed(ctx, openid); err != nil {
		return community.Staff{}, err
	}
	if !validCode(code) {
		return community.Staff{}, s.bindFailed(ctx, openid, nil)
	}
	var st community.Staff
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		var err error
		if st, err = tx.BindStaff(ctx, hashCode(code), openid, s.clock()); err != nil {
			return err
		}
		return s.tellAdmins(ctx, tx, st)
	})
	switch {
	case errors.Is(err, bot.ErrNotFound):
		return community.Staff{}, s.bindFailed(ctx, openid, err)
	case errors.Is(err, bot.ErrConflict):
		return community.Staff{}, &bot.UserError{Code: bot.CodeConflict, Message: "这个微信号已经绑定了另一位工作人员，如需更换请联系社区管理员。", Err: err}
	case err != nil:
		return community.Staff{}, fmt.Errorf("community.Bind: %w", err)
	}
	s.cfg.Log.InfoContext(ctx, "staff bound their WeChat", "staff_id", st.ID, "openid", bot.ShortID(openid))
	return st, nil
}

// bindAllowed refuses a bind from an openid, or from anyone, locked out
// by failed attempts.
func (s *Service) bindAllowed(ctx context.Context, openid string) error {
	if s.cfg.Failures == nil {
		return nil
	}
	n, err := s.cfg.Failures.Count(ctx, "bind:"+openid)
	if err != nil {
		return fmt.Errorf("community.Bind: %w", err)
	}
	if n >= s.cfg.MaxFailures {
		s.refused(ctx, "locked", openid)
		return &bot.UserError{Code: bot.CodeForbidden, Message: msgBindLocked}
	}
	if n, err = s.cfg.Failures.Count(ctx, failureKeyAll); err != nil {
		return fmt.Errorf("community.Bind: %w", err)
	}
	if n >= s.cfg.MaxFailuresAll {
		s.refused(ctx, "locked_all", openid)
		return &bot.UserError{Code: bot.CodeForbidden, Message: msgBindBusy}
	}
	return nil
}

// bindFailed counts a failed bind and returns its refusal.
func (s *Service) bindFailed(ctx context.Context, openid string, cause error) error {
	s.refused(ctx, "bad_code", openid)
	if s.cfg.Failures != nil {
		for _, key := range []string{"bind:" + openid, failureKeyAll} {
			if _, err := s.cfg.Failures.Add(ctx, key); err != nil {
				return fmt.Errorf("community.Bind: %w", err)
			}
		}
	}
	return &bot.UserError{Code: bot.CodeConflict, Message: msgBadBindCode, Err: cause}
}

func (s *Service) refused(ctx context.Context, reason, openid string) {
	s.cfg.OnBindFailure(reason)
	s.cfg.Log.WarnContext(ctx, "staff bind refused", "reason", reason, "openid", bot.ShortID(openid))
}

// NoticeStaffBound is the notice kind telling admins of a bind.
const NoticeStaffBound = "staff_bound"

// tellAdmins queues, in the bind's transaction, a notice to every other
// active admin bound to WeChat, or to the duty group when there is none:
// a bind nobody expected is someone else's phone.
func (s *Service) tellAdmins(ctx context.Context, tx *storage.Tx, st community.Staff) error {
	if s.cfg.Notices == nil {
		return nil
	}
	all, err := tx.ListStaff(ctx)
	if err != nil {
		return err
	}
	n := bot.Notice{
		Kind:   NoticeStaffBound,
		Text:   fmt.Sprintf("【绑定】%s 已绑定微信（尾号 %s）。如非本人操作，请立即在管理后台停用该账号。", st.Title(), tail(st.OpenID)),
		Staff:  true,
		Urgent: true,
		Fields: map[string]string{"title": "工作人员绑定微信", "name": st.Name},
	}
	key := fmt.Sprintf("staff:%d:bound:%s", st.ID, tail(st.OpenID))
	sent := false
	for _, a := range all {
		if !a.Active || a.OpenID == "" || a.ID == st.ID || !a.Has(community.RoleAdmin) {
			continue
		}
		n.To, n.Key = a.OpenID, fmt.Sprintf("%s:%d", key, a.ID)
		if _, err := s.cfg.Notices.Enqueue(ctx, tx, n); err != nil {
			return err
		}
		sent = true
	}
	if sent {
		return nil
	}
	n.To, n.Key = bot.DutyStaff, key
	_, err = s.cfg.Notices.Enqueue(ctx, tx, n)
	return err
}

func tail(openid string) string {
	if len(openid) <= 4 {
		return openid
	}
	return openid[len(openid)-4:]
}

// CreateStaff adds an active staff member and returns them with a
// one-time code they bind their WeChat with (绑定 <code>), valid for
// BindCodeTTL.
func (s *Service) CreateStaff(ctx context.Context, in StaffInput) (community.Staff, string, error) {
	st := community.Staff{Name: in.Name, Phone: in.Phone, WorkPhone: in.WorkPhone, OpenID: strings.TrimSpace(in.OpenID), Active: true}
	if err := checkStaff(&st, in.Roles); err != nil {
		return community.Staff{}, "", err
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
		st.ID, err = s.store.InsertStaff(ctx, st, hashCode(code), s.clock(), s.clock().Add(BindCodeTTL))
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
		if err = s.store.SetBindCode(ctx, id, hashCode(code), expires); err == nil {
			return code, expires, nil
		}
		if !errors.Is(err, bot.ErrConflict) {
			break
		}
	}
	return "", time.Time{}, fmt.Errorf("community.ReissueBindCode(%d): %w", id, err)
}

// workPhone is a number residents can dial: a mobile, a landline with or
// without its area code (0937-6221234), or a service number (12345).
var workPhone = regexp.MustCompile(`^[0-9][0-9 -]{3,18}[0-9]$`)

// checkStaff trims and checks st's name and phone and sets its roles from
// names, naming the field at fault.
func checkStaff(st *community.Staff, roles []string) error {
	st.Name, st.Phone, st.WorkPhone = strings.TrimSpace(st.Name), strings.TrimSpace(st.Phone), strings.TrimSpace(st.WorkPhone)
	switch {
	case st.Name == "":
		return bot.FieldError("name", "姓名不能为空")
	case len([]rune(st.Name)) > 40:
		return bot.FieldError("name", "姓名太长")
	case st.Phone != "" && !input.IsMobile(st.Phone):
		return bot.FieldError("phone", "手机号应为 11 位大陆手机号")
	case st.WorkPhone != "" && !workPhone.MatchString(st.WorkPhone):
		return bot.FieldError("work_phone", "工作电话应为手机号或座机号，如 0937-6221234")
	}
	st.Roles = []community.Role{}
	for _, name := range roles {
		r, err := community.ParseRole(name)
		if err != nil {
			return bot.FieldError("roles", err.Error())
		}
		if !st.Has(r) {
			st.Roles = append(st.Roles, r)
		}
	}
	return nil
}

// PatchStaff changes staff member id. Deactivating someone (active false)
// refuses their WeChat commands at once and, in the same transaction,
// runs the deactivation hooks: the domains hand their open records back
// to dispatch. Returns bot.ErrNotFound for an unknown id.
func (s *Service) PatchStaff(ctx context.Context, id int64, p StaffPatch) (community.Staff, error) {
	var out community.Staff
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		st, err := tx.Staff(ctx, id)
		if err != nil {
			return err
		}
		wasActive := st.Active
		roles := make([]string, len(st.Roles))
		for i, r := range st.Roles {
			roles[i] = string(r)
		}
		if p.Name != nil {
			st.Name = *p.Name
		}
		if p.Phone != nil {
			st.Phone = *p.Phone
		}
		if p.WorkPhone != nil {
			st.WorkPhone = *p.WorkPhone
		}
		if p.Roles != nil {
			roles = *p.Roles
		}
		if p.Active != nil {
			st.Active = *p.Active
		}
		if err := checkStaff(&st, roles); err != nil {
			return err
		}
		if err := tx.UpdateStaff(ctx, st); err != nil {
			return err
		}
		if wasActive && !st.Active {
			for _, h := range s.onDeactivate {
				if err := h(ctx, tx, st); err != nil {
					return err
				}
			}
		}
		out = st
		return nil
	})
	if err != nil {
		return community.Staff{}, fmt.Errorf("community.PatchStaff(%d): %w", id, err)
	}
	return out, nil
}

// Unbind forgets the WeChat account bound to staff member id (a lost or
// handed-on phone) and any unused code; their records stay theirs, and a
// new code (ReissueBindCode) binds the new phone. Returns bot.ErrNotFound
// for an unknown id.
func (s *Service) Unbind(ctx context.Context, id int64) (community.Staff, error) {
	var out community.Staff
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		if err := tx.Unbind(ctx, id); err != nil {
			return err
		}
		var err error
		out, err = tx.Staff(ctx, id)
		return err
	})
	if err != nil {
		return community.Staff{}, fmt.Errorf("community.Unbind(%d): %w", id, err)
	}
	return out, nil
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
	heads, err := parseUnitHeads(in.UnitHeads)
	if err != nil {
		return community.Building{}, err
	}
	var out community.Building
	err = s.store.Transact(ctx, func(tx *storage.Tx) error {
		if err := checkHeads(ctx, tx, in.HeadID, heads); err != nil {
			return err
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

// CreateGrid creates a grid with the buildings given by number. The
// worker, the supervisor and the buildings must exist and the name must
// be new. A building already in another grid is refused (conflict,
// naming that grid) unless in.Move is set: see claimBuilding.
func (s *Service) CreateGrid(ctx context.Context, in GridInput) (community.Grid, error) {
	g := community.Grid{Name: in.Name, WorkerID: in.WorkerID, SupervisorID: in.SupervisorID}
	if err := checkGridName(&g); err != nil {
		return community.Grid{}, err
	}
	var out community.Grid
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		if err := checkGridStaff(ctx, tx, g); err != nil {
			return err
		}
		bs, err := buildingsByNumber(ctx, tx, in.Buildings)
		if err != nil {
			return err
		}
		id, err := tx.InsertGrid(ctx, g)
		if errors.Is(err, bot.ErrConflict) {
			return bot.FieldError("name", "已有同名网格")
		}
		if err != nil {
			return err
		}
		for _, b := range bs {
			if err := claimBuilding(ctx, tx, b, id, in.Move, "buildings"); err != nil {
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

// ListGrids returns every grid with the numbers of its buildings.
func (s *Service) ListGrids(ctx context.Context) ([]community.Grid, error) {
	out, err := s.store.ListGrids(ctx)
	if err != nil {
		return nil, fmt.Errorf("community.ListGrids: %w", err)
	}
	return out, nil
}

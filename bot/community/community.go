// Package community holds what every domain shares about the community
// itself: staff and their roles, buildings, grids, the Directory port
// conversations look people and places up through, and the one access
// policy that decides who may read or act on a record handled by staff.
//
// It has no storage, HTTP or WeChat code; package community (top level)
// implements Directory. Domains (tickets, activities, clinic) import it
// for these types instead of defining their own.
package community

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Role is what a staff member does in the community. One person may have
// several.
type Role string

// Roles staff can have.
const (
	RoleGridWorker   Role = "grid_worker"   // 网格员: handles the requests of their grid
	RoleBuildingHead Role = "building_head" // 楼栋长: a volunteer, copied on their building
	RoleUnitHead     Role = "unit_head"     // 单元长: a volunteer, copied on their unit
	RoleSupervisor   Role = "supervisor"    // 督办: supervises grids, receives escalations
	RoleDuty         Role = "duty"          // 值班员: dispatches what has no owner
	RoleMediator     Role = "mediator"      // 调解员: disputes
	RoleEmployment   Role = "employment"    // 就业专干: jobs
	RoleClinic       Role = "clinic"        // 法律诊所专干: the clinic, matters included
	RoleAdmin        Role = "admin"         // 管理员
)

// Roles lists every role, in the order a person's label is chosen: the
// first role a staff member has names them ("网格员 张三").
var Roles = []Role{
	RoleGridWorker, RoleMediator, RoleEmployment, RoleClinic, RoleSupervisor,
	RoleDuty, RoleAdmin, RoleBuildingHead, RoleUnitHead,
}

var roleLabels = map[Role]string{
	RoleGridWorker:   "网格员",
	RoleBuildingHead: "楼栋长",
	RoleUnitHead:     "单元长",
	RoleSupervisor:   "督办",
	RoleDuty:         "值班员",
	RoleMediator:     "调解员",
	RoleEmployment:   "就业专干",
	RoleClinic:       "法律诊所专干",
	RoleAdmin:        "管理员",
}

// Label is the role as residents and staff read it ("网格员").
func (r Role) Label() string {
	if l, ok := roleLabels[r]; ok {
		return l
	}
	return string(r)
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { _, ok := roleLabels[r]; return ok }

// ParseRole reads a role name as the admin API and the configuration file
// give it; an unknown name is an error listing the known ones.
func ParseRole(s string) (Role, error) {
	r := Role(strings.TrimSpace(s))
	if !r.Valid() {
		names := make([]string, len(Roles))
		for i, k := range Roles {
			names[i] = string(k)
		}
		return "", fmt.Errorf("未知角色 %q，可选：%s", s, strings.Join(names, ", "))
	}
	return r, nil
}

// Staff is a community worker.
type Staff struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
	// WorkPhone is the number residents are given for them (a grid
	// worker's work phone, possibly a landline); Phone stays private.
	WorkPhone string `json:"work_phone,omitempty"`
	OpenID    string `json:"openid,omitempty"`
	Roles     []Role `json:"roles"`
	// Active is false for someone who left: they keep their history but
	// may no longer read, act or receive anything.
	Active bool `json:"active"`
}

// Has reports whether s has role.
func (s Staff) Has(role Role) bool { return slices.Contains(s.Roles, role) }

// Title names a staff member as a timeline shows them: "网格员 张三".
func (s Staff) Title() string {
	for _, r := range Roles {
		if s.Has(r) {
			return r.Label() + " " + s.Name
		}
	}
	return "工作人员 " + s.Name
}

// Building is one of the community's buildings.
type Building struct {
	ID     int64  `json:"id"`
	Number int    `json:"number"`
	Name   string `json:"name"`
	GridID int64  `json:"grid_id,omitempty"`
	// GridName is the name of its grid, for people reading a list.
	GridName string `json:"grid_name,omitempty"`
	// HeadID is the 楼栋长 (staff id), 0 when none.
	HeadID int64 `json:"head_id,omitempty"`
	// UnitHeads maps a unit number to its 单元长 (staff id).
	UnitHeads map[int]int64 `json:"unit_heads,omitempty"`
}

// Grid is a group of buildings with its grid worker (网格员).
type Grid struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	WorkerID     int64  `json:"worker_id"`
	SupervisorID int64  `json:"supervisor_id,omitempty"`
	// Buildings are the numbers of its buildings (as residents and the
	// admin API name them, never their row ids), in order.
	Buildings []int `json:"buildings"`
}

// Directory is what conversations need from the community: its buildings
// and who is staff. Errors meant for the person are *bot.UserError.
type Directory interface {
	// Buildings returns the community's buildings by number.
	Buildings(ctx context.Context) ([]Building, error)
	// FindBuilding returns the building with that number, or
	// bot.ErrNotFound.
	FindBuilding(ctx context.Context, number int) (Building, error)
	// StaffByOpenID returns the staff member bound to openid, or
	// bot.ErrNotFound.
	StaffByOpenID(ctx context.Context, openid string) (Staff, error)
	// Bind binds openid to the staff member holding the one-time code.
	Bind(ctx context.Context, openid, code string) (Staff, error)
	// OnDuty returns the active staff with the duty role (值班员), by id,
	// bound to WeChat or not.
	OnDuty(ctx context.Context) ([]Staff, error)
	// GridWorker returns the active grid worker of the grid the building
	// with that number belongs to, or bot.ErrNotFound when there is no
	// such building, grid or worker.
	GridWorker(ctx context.Context, building int) (Staff, error)
}

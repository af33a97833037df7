package community_test

import (
	"testing"

	"github.com/tongxin/tongxin/bot/community"
)

func TestAccessPolicy(t *testing.T) {
	staff := func(id int64, roles ...community.Role) community.Viewer {
		return community.Member(community.Staff{ID: id, OpenID: "o-staff", Roles: roles, Active: true})
	}
	mine := community.Record{Owner: "o-res", AssigneeID: 7}
	unassigned := community.Record{Owner: "o-res"}
	byStaff := community.Record{AssigneeID: 7} // filed by staff for someone without WeChat
	for _, tc := range []struct {
		name      string
		v         community.Viewer
		r         community.Record
		read, act bool
		owner     bool
	}{
		{"the resident who filed it", community.Resident("o-res"), mine, true, false, true},
		{"another resident", community.Resident("o-other"), mine, false, false, false},
		{"no openid", community.Resident(""), byStaff, false, false, false},
		{"its handler", staff(7, community.RoleGridWorker), mine, true, true, false},
		{"another grid worker", staff(8, community.RoleGridWorker), mine, false, false, false},
		{"a building head", staff(9, community.RoleBuildingHead), mine, false, false, false},
		{"a unit head", staff(9, community.RoleUnitHead), mine, false, false, false},
		{"a mediator, not assigned", staff(10, community.RoleMediator), mine, false, false, false},
		{"duty", staff(11, community.RoleDuty), unassigned, true, true, false},
		{"supervisor", staff(12, community.RoleSupervisor), mine, true, true, false},
		{"admin", staff(13, community.RoleAdmin), byStaff, true, true, false},
		{"a handler of nothing sees no unassigned record", staff(0, community.RoleGridWorker), unassigned, false, false, false},
		{"the operator", community.Operator, byStaff, true, true, false},
		{"a supervisor who left", community.Member(community.Staff{ID: 12, OpenID: "o-gone", Roles: []community.Role{community.RoleSupervisor}}), mine, false, false, false},
		{"a handler who left", community.Member(community.Staff{ID: 7, OpenID: "o-gone", Roles: []community.Role{community.RoleGridWorker}}), mine, false, false, false},
	} {
		if got := tc.v.MayRead(tc.r); got != tc.read {
			t.Errorf("%s: MayRead = %v, want %v", tc.name, got, tc.read)
		}
		if got := tc.v.MayAct(tc.r); got != tc.act {
			t.Errorf("%s: MayAct = %v, want %v", tc.name, got, tc.act)
		}
		if got := tc.v.IsOwner(tc.r); got != tc.owner {
			t.Errorf("%s: IsOwner = %v, want %v", tc.name, got, tc.owner)
		}
	}
}

func TestRoles(t *testing.T) {
	for _, r := range community.Roles {
		if got, err := community.ParseRole(" " + string(r) + " "); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
		if r.Label() == string(r) {
			t.Errorf("role %q has no label", r)
		}
	}
	if _, err := community.ParseRole("janitor"); err == nil {
		t.Error("ParseRole(janitor) accepted an unknown role")
	}
	st := community.Staff{Name: "张三", Roles: []community.Role{community.RoleBuildingHead, community.RoleGridWorker}}
	if got := st.Title(); got != "网格员 张三" {
		t.Errorf("Title = %q: the grid worker role names a person before the volunteer one", got)
	}
	if got := (community.Staff{Name: "李四"}).Title(); got != "工作人员 李四" {
		t.Errorf("Title without roles = %q", got)
	}
}

func TestMayReceive(t *testing.T) {
	for _, tc := range []struct {
		roles  []community.Role
		active bool
		want   bool
	}{
		{[]community.Role{community.RoleGridWorker}, true, true},
		{[]community.Role{community.RoleMediator}, true, true},
		{[]community.Role{community.RoleDuty}, true, true},
		{[]community.Role{community.RoleBuildingHead}, true, false},
		{[]community.Role{community.RoleUnitHead}, true, false},
		{[]community.Role{community.RoleBuildingHead, community.RoleGridWorker}, true, true},
		{nil, true, false},
		{[]community.Role{community.RoleGridWorker}, false, false},
	} {
		st := community.Staff{Name: "甲", Roles: tc.roles, Active: tc.active}
		if got := community.MayReceive(st); got != tc.want {
			t.Errorf("MayReceive(%v, active %v) = %v, want %v", tc.roles, tc.active, got, tc.want)
		}
	}
}

// TestGridWorkersReadTheirGrid: a grid worker reads the records of the
// grids they are the worker of, whoever handles them now, and works only
// those handed to them; not another grid's, and the grids give nobody
// else anything.
func TestGridWorkersReadTheirGrid(t *testing.T) {
	worker := func(id int64, active bool, roles ...community.Role) community.Viewer {
		return community.Member(community.Staff{ID: id, OpenID: "o-staff", Roles: roles, Active: active})
	}
	inGrid3 := community.Record{Owner: "o-res", AssigneeID: 11, GridID: 3} // returned to duty 11
	inGrid4 := community.Record{Owner: "o-res", AssigneeID: 11, GridID: 4}
	noGrid := community.Record{Owner: "o-res", AssigneeID: 11}
	for _, tc := range []struct {
		name string
		v    community.Viewer
		r    community.Record
		want bool
	}{
		{"the worker of grid 3, its record", worker(7, true, community.RoleGridWorker).InGrids(3), inGrid3, true},
		{"the worker of grids 2 and 3", worker(7, true, community.RoleGridWorker).InGrids(2, 3), inGrid3, true},
		{"the worker of grid 3, grid 4's record", worker(7, true, community.RoleGridWorker).InGrids(3), inGrid4, false},
		{"the worker of grid 3, a record in no grid", worker(7, true, community.RoleGridWorker).InGrids(3), noGrid, false},
		{"a grid worker whose grids are not known", worker(7, true, community.RoleGridWorker), inGrid3, false},
		{"a mediator named worker of grid 3", worker(7, true, community.RoleMediator).InGrids(3), inGrid3, false},
		{"a building head named worker of grid 3", worker(7, true, community.RoleBuildingHead).InGrids(3), inGrid3, false},
		{"a grid worker who left", worker(7, false, community.RoleGridWorker).InGrids(3), inGrid3, false},
		{"a resident with grids", community.Resident("o-other").InGrids(3), inGrid3, false},
	} {
		if got := tc.v.MayRead(tc.r); got != tc.want {
			t.Errorf("%s: MayRead = %v, want %v", tc.name, got, tc.want)
		}
		if tc.v.MayAct(tc.r) {
			t.Errorf("%s: MayAct on a record handed to someone else", tc.name)
		}
	}
	mine := community.Record{Owner: "o-res", AssigneeID: 7, GridID: 4}
	if v := worker(7, true, community.RoleGridWorker).InGrids(3); !v.MayRead(mine) || !v.MayAct(mine) {
		t.Error("the worker of grid 3 may not work another grid's record handed to them")
	}
	if got := worker(7, true, community.RoleMediator).InGrids(3).WorksGrids(); got != nil {
		t.Errorf("a mediator works grids %v", got)
	}
	if community.Operator.WorksGrids() != nil || !community.Operator.SeesAll() || !community.Operator.IsOperator() {
		t.Error("the operator should see all, as nobody's grid worker")
	}
	if worker(7, true, community.RoleDuty).IsOperator() || !worker(7, true, community.RoleDuty).SeesAll() {
		t.Error("duty staff see all, and are not the operator")
	}
	if worker(7, true, community.RoleGridWorker).InGrids(3).SeesAll() {
		t.Error("a grid worker sees all")
	}
}

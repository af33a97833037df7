package community

import (
	"slices"
	"strings"
)

// This file is the one access policy: who may read or act on a record a
// resident filed and staff handle (a ticket today; sign-ups and bookings
// next). Services ask it before they answer or change anything; flows
// never decide access themselves.

// Record is what the policy needs to know about a record.
type Record struct {
	// Owner is the openid of the resident it belongs to; "" for a record
	// staff filed for someone without WeChat.
	Owner string
	// AssigneeID is the staff member handling it, 0 when nobody is.
	AssigneeID int64
	// GridID is the grid of the place it concerns, 0 when none: the grid
	// worker of that grid reads and works it whoever handles it now.
	GridID int64
}

// Viewer is who asks: a resident or staff member in WeChat, or the
// operator through the admin API.
type Viewer struct {
	// OpenID is the person's WeChat openid; "" for the admin API.
	OpenID string
	// Staff is the staff record bound to OpenID, nil for residents.
	Staff *Staff
	// Grids are the grids whose worker (Grid.WorkerID) Staff is: as a
	// grid worker they read the records of their grids, not only those
	// assigned to them (see InGrids).
	Grids []int64
	admin bool
}

// Operator is the admin API's bearer token: it may read and act on
// everything.
var Operator = Viewer{admin: true}

// Resident is a viewer who is not staff.
func Resident(openid string) Viewer { return Viewer{OpenID: openid} }

// Member is a viewer who is the staff member st. A staff member who is no
// longer active is seen as a resident: they keep no staff access at all.
func Member(st Staff) Viewer {
	if !st.Active {
		return Viewer{OpenID: st.OpenID}
	}
	return Viewer{OpenID: st.OpenID, Staff: &st}
}

// InGrids returns v knowing the grids ids whose worker they are. Only a
// staff member with the grid worker role gains anything by it: a
// resident or a volunteer keeps exactly the access they had.
func (v Viewer) InGrids(ids ...int64) Viewer {
	v.Grids = slices.Clone(ids)
	return v
}

// IsOperator reports whether v is the operator (the admin token).
func (v Viewer) IsOperator() bool { return v.admin }

// SeesAll reports whether v reads and works every record staff handle:
// the operator and the staff who dispatch (duty), supervise and
// administer. Anyone else sees a part: what policy's MayRead accepts.
func (v Viewer) SeesAll() bool { return v.dispatches() }

// WorksGrids returns the grids whose records v reads as their grid
// worker (nil for anyone who is not an active grid worker): with the
// records assigned to them, what a list for them holds.
func (v Viewer) WorksGrids() []int64 {
	if v.Staff == nil || !v.Staff.Has(RoleGridWorker) {
		return nil
	}
	return slices.Clone(v.Grids)
}

// handlerRoles are the roles that work records; building and unit heads
// are volunteers who are copied, never handed a record.
var handlerRoles = []Role{RoleGridWorker, RoleMediator, RoleEmployment, RoleSupervisor, RoleDuty, RoleAdmin}

// MayReceive reports whether st may be handed a record to work (a
// transfer, a return to dispatch): an active staff member with a handler
// role. Handing a record over shows its resident's name and phone, so a
// volunteer 楼栋长 or 单元长 never receives one.
func MayReceive(st Staff) bool {
	if !st.Active {
		return false
	}
	for _, r := range handlerRoles {
		if st.Has(r) {
			return true
		}
	}
	return false
}

// HandlerRoleLabels names the roles MayReceive accepts, for refusals.
func HandlerRoleLabels() string {
	labels := make([]string, len(handlerRoles))
	for i, r := range handlerRoles {
		labels[i] = r.Label()
	}
	return strings.Join(labels, "、")
}

// dispatches reports whether v sees and works everyone's records: the
// roles that dispatch (duty), supervise and administer. Building and unit
// heads are volunteers and see only the copies sent to them.
func (v Viewer) dispatches() bool {
	if v.admin {
		return true
	}
	s := v.Staff
	return s != nil && (s.Has(RoleAdmin) || s.Has(RoleSupervisor) || s.Has(RoleDuty))
}

// handles reports whether v is the staff member handling r.
func (v Viewer) handles(r Record) bool {
	return v.Staff != nil && r.AssigneeID != 0 && v.Staff.ID == r.AssigneeID
}

// worksGrid reports whether v is the grid worker of r's grid.
func (v Viewer) worksGrid(r Record) bool {
	return r.GridID != 0 && slices.Contains(v.WorksGrids(), r.GridID)
}

// MayRead reports whether v may see r in full: the resident it belongs
// to, its handler, the grid worker of its grid (who looks after their
// grid, whoever it was routed to), and those who dispatch and supervise.
func (v Viewer) MayRead(r Record) bool {
	if v.OpenID != "" && r.Owner != "" && v.OpenID == r.Owner {
		return true
	}
	return v.worksGrid(r) || v.MayAct(r)
}

// MayAct reports whether v may work r as staff (accept, resolve, return,
// transfer): its handler and those who dispatch and supervise. The grid
// worker of its grid reads it but works it only once it is handed to
// them: a record passed on is the new handler's, and two people working
// one record at once confuse the resident. The resident's own actions
// (rate, urge, supplement) are theirs by MayRead's first rule, checked
// with IsOwner.
func (v Viewer) MayAct(r Record) bool { return v.handles(r) || v.dispatches() }

// IsOwner reports whether v is the resident r belongs to.
func (v Viewer) IsOwner(r Record) bool {
	return v.OpenID != "" && r.Owner != "" && v.OpenID == r.Owner
}

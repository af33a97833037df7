package console

import (
	"context"
	"slices"

	"github.com/tongxin/tongxin/bot/community"
)

// Who is the person signed in: a staff member, or the operator who signed
// in with TONGXIN_ADMIN_TOKEN.
type Who struct {
	// Operator is true for the admin token's session: everything, like
	// the admin API.
	Operator bool
	// Staff is the staff member (zero for the operator).
	Staff community.Staff
	// ProviderID is the clinic provider linked to Staff (0: none); set by
	// clinic.go's enrich.
	ProviderID int64
}

// Viewer is Who as the services' access policy knows them.
func (w Who) Viewer() community.Viewer {
	if w.Operator {
		return community.Operator
	}
	return community.Member(w.Staff)
}

// Name is how the page header names them.
func (w Who) Name() string {
	if w.Operator {
		return "管理员（令牌）"
	}
	return w.Staff.Title()
}

// Has reports whether they have one of roles (the operator has them all).
func (w Who) Has(roles ...community.Role) bool {
	if w.Operator {
		return true
	}
	return slices.ContainsFunc(roles, w.Staff.Has)
}

// Manages reports whether they see everything (except matter
// descriptions): the operator, admins and supervisors.
func (w Who) Manages() bool {
	return w.Has(community.RoleAdmin, community.RoleSupervisor)
}

type whoKey struct{}

// WhoFrom returns the person signed in for a request that passed auth.
func WhoFrom(ctx context.Context) Who {
	w, _ := ctx.Value(whoKey{}).(Who)
	return w
}

func withWho(ctx context.Context, w Who) context.Context {
	return context.WithValue(ctx, whoKey{}, w)
}

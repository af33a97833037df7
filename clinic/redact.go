package clinic

import (
	"slices"

	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
)

// Who reads a resident's confidential matter (a booking's description, an
// aid application's answers and description, an expert request's
// description) is decided here, for the admin API and the console alike:
// clinic staff (community.RoleClinic) and the providers of the booking's
// session; nobody else, the operator and admins included.

// RedactBooking is b without its confidential matter.
func RedactBooking(b cl.Booking) cl.Booking {
	b.Description = ""
	return b
}

// RedactAid is a without its answers and description.
func RedactAid(a cl.AidApplication) cl.AidApplication {
	a.Answers, a.Description = nil, ""
	return a
}

// RedactExpert is e without its description.
func RedactExpert(e cl.ExpertRequest) cl.ExpertRequest {
	e.Description = ""
	return e
}

// IsClinicStaff reports whether v is an active staff member with the
// clinic role. The operator (community.Operator) is not: the admin
// token never reads a matter.
func IsClinicStaff(v community.Viewer) bool {
	return v.Staff != nil && v.Staff.Active && v.Staff.Has(community.RoleClinic)
}

// ReadsMatter reports whether v reads the matter of a booking on a
// session of sc: clinic staff, and a provider on sc's panel (mine are
// the providers linked to v's staff record). A provider does not read
// the matters of other providers' sessions.
func ReadsMatter(v community.Viewer, mine []int64, sc cl.Schedule) bool {
	if IsClinicStaff(v) {
		return true
	}
	if v.Staff == nil || !v.Staff.Active {
		return false
	}
	return slices.ContainsFunc(mine, func(id int64) bool { return id != 0 && slices.Contains(sc.ProviderIDs, id) })
}

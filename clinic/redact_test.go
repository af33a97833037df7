package clinic_test

import (
	"testing"

	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/clinic"
)

// TestRedact: what the admin API and the console redact, and who reads
// a matter: clinic staff and the session's providers, never the
// operator, an admin or another provider.
func TestRedact(t *testing.T) {
	b := clinic.RedactBooking(cl.Booking{ID: 1, Name: "赵一", Description: "secret"})
	if b.Description != "" || b.Name != "赵一" {
		t.Errorf("RedactBooking: %+v", b)
	}
	a := clinic.RedactAid(cl.AidApplication{Name: "钱二", Answers: &cl.AidAnswers{CaseKind: "讨薪"}, Description: "secret"})
	if a.Answers != nil || a.Description != "" || a.Name != "钱二" {
		t.Errorf("RedactAid: %+v", a)
	}
	if e := clinic.RedactExpert(cl.ExpertRequest{Description: "secret"}); e.Description != "" {
		t.Errorf("RedactExpert: %+v", e)
	}
	sc := cl.Schedule{ProviderIDs: []int64{7, 8}}
	member := func(active bool, roles ...community.Role) community.Viewer {
		return community.Member(community.Staff{ID: 1, OpenID: "o-1", Active: active, Roles: roles})
	}
	for _, c := range []struct {
		name string
		v    community.Viewer
		mine []int64
		want bool
	}{
		{"operator", community.Operator, []int64{7}, false},
		{"admin", member(true, community.RoleAdmin, community.RoleSupervisor), nil, false},
		{"clinic staff", member(true, community.RoleClinic), nil, true},
		{"clinic staff who left", member(false, community.RoleClinic), nil, false},
		{"the session's provider", member(true), []int64{8}, true},
		{"another provider", member(true), []int64{9}, false},
		{"a provider who left the staff", member(false), []int64{8}, false},
		{"a resident", community.Resident("o-2"), []int64{8}, false},
	} {
		if got := clinic.ReadsMatter(c.v, c.mine, sc); got != c.want {
			t.Errorf("%s: ReadsMatter %v, want %v", c.name, got, c.want)
		}
	}
}

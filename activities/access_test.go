package activities_test

import (
	"testing"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/community"
)

func TestAccessTo(t *testing.T) {
	staff := func(id int64, roles ...community.Role) community.Viewer {
		return community.Member(community.Staff{ID: id, OpenID: "o-staff", Active: true, Roles: roles})
	}
	a := activity.Activity{ID: 1, OrganizerID: 7}
	for _, c := range []struct {
		name   string
		v      community.Viewer
		want   activities.Access
		plan   bool
		choose bool
	}{
		{"operator", community.Operator, activities.Access{Read: true, Act: true, People: true}, true, true},
		{"admin", staff(1, community.RoleAdmin), activities.Access{Read: true, Act: true, People: true}, true, true},
		{"supervisor", staff(2, community.RoleSupervisor), activities.Access{Read: true, Act: true, People: true}, true, true},
		{"duty", staff(3, community.RoleDuty), activities.Access{Read: true, Act: true, People: true}, true, true},
		{"organising grid worker", staff(7, community.RoleGridWorker), activities.Access{Read: true, Act: true, People: true}, true, false},
		{"another grid worker", staff(8, community.RoleGridWorker), activities.Access{}, true, false},
		{"organising volunteer", staff(7, community.RoleBuildingHead), activities.Access{Read: true, Act: true}, false, false},
		{"clinic staff", staff(9, community.RoleClinic), activities.Access{}, false, false},
		{"organiser who left", community.Member(community.Staff{ID: 7, Roles: []community.Role{community.RoleAdmin}}), activities.Access{}, false, false},
		{"resident", community.Resident("o-res"), activities.Access{}, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := activities.AccessTo(c.v, a); got != c.want {
				t.Errorf("AccessTo = %+v, want %+v", got, c.want)
			}
			if got := activities.MayPlanAny(c.v); got != c.plan {
				t.Errorf("MayPlanAny = %v, want %v", got, c.plan)
			}
			if got := activities.MayChooseOrganizer(c.v); got != c.choose {
				t.Errorf("MayChooseOrganizer = %v, want %v", got, c.choose)
			}
			var self int64
			if c.v.Staff != nil {
				self = c.v.Staff.ID
			}
			if err := activities.MayPlan(c.v, self); (err == nil) != c.plan {
				t.Errorf("MayPlan(self) = %v, want allowed %v", err, c.plan)
			}
			if err := activities.MayPlan(c.v, 99); (err == nil) != c.choose || (err != nil && bot.ErrorCode(err) != bot.CodeForbidden) {
				t.Errorf("MayPlan(another) = %v, want allowed %v", err, c.choose)
			}
		})
	}
	list := activities.Readable(staff(7, community.RoleGridWorker), []activity.Activity{a, {ID: 2, OrganizerID: 8}, {ID: 3}})
	if len(list) != 1 || list[0].ID != 1 {
		t.Errorf("Readable = %+v", list)
	}
}

func TestMasked(t *testing.T) {
	su := activity.Signup{ID: 1, OpenID: "o-res", Name: "王芳", Phone: "13800001234", PartySize: 2,
		CheckinCode: "123456", Answers: map[string]string{"diet": "清真"}}
	got := activities.ForViewer(activities.Access{Read: true}, []activity.Signup{su})[0]
	if got.Name != "王*" || got.Phone != "138****1234" || got.CheckinCode != "" || got.Answers != nil || got.OpenID != "" || got.PartySize != 2 {
		t.Errorf("masked %+v", got)
	}
	if got := activities.ForViewer(activities.Access{Read: true, People: true}, []activity.Signup{su})[0]; got.Name != "王芳" || got.CheckinCode != "123456" {
		t.Errorf("unmasked %+v", got)
	}
}

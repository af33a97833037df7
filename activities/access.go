package activities

// This file is who may do what with an activity outside the admin API,
// which is the operator's and may do everything: the staff console asks
// here, with the person signed in as a community.Viewer, so that the
// console never decides access by itself. Everything goes through
// bot/community's policy (Viewer.MayRead and MayAct on
// Activity.Record(), whose organiser acts on it like an assignee).

import (
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/community"
)

// Access is what one viewer may do with one activity.
type Access struct {
	// Read: see it, with its numbers (seats, waiting list) and timeline.
	Read bool
	// Act: edit, cancel, check people in, message them, print its poster.
	Act bool
	// People: see who signed up (names, phones, check-in codes, answers)
	// rather than their masked forms. Those who dispatch see everyone's;
	// an organiser sees their activity's when they may be handed
	// residents' records at all (community.MayReceive): a volunteer
	// 楼栋长 or 单元长 organising one counts heads without names.
	People bool
}

// dispatches reports whether v sees and works every record (the
// operator, admins, supervisors, duty staff): only they may act on a
// record nobody handles.
func dispatches(v community.Viewer) bool { return v.MayAct(community.Record{}) }

// AccessTo returns what v may do with a.
func AccessTo(v community.Viewer, a activity.Activity) Access {
	r := a.Record()
	acc := Access{Read: v.MayRead(r), Act: v.MayAct(r)}
	acc.People = acc.Read && (dispatches(v) || (v.Staff != nil && community.MayReceive(*v.Staff)))
	return acc
}

// ErrNotYours is what a staff member asking for an activity they may not
// read or act on gets (forbidden).
var ErrNotYours = &bot.UserError{Code: bot.CodeForbidden, Message: "这不是您组织的活动"}

// Readable returns those of list v may read, in order.
func Readable(v community.Viewer, list []activity.Activity) []activity.Activity {
	out := make([]activity.Activity, 0, len(list))
	for _, a := range list {
		if AccessTo(v, a).Read {
			out = append(out, a)
		}
	}
	return out
}

// MayPlanAny reports whether v may create activities at all: those who
// dispatch, for anyone; staff who may be handed residents' records
// (grid workers, mediators, employment staff), for themselves. Volunteers
// (building and unit heads) may organise one they are given, not create
// one: the sign-ups show residents' names and phones.
func MayPlanAny(v community.Viewer) bool {
	return dispatches(v) || (v.Staff != nil && community.MayReceive(*v.Staff))
}

// MayChooseOrganizer reports whether v may name anyone as an activity's
// organiser; everyone else who plans one organises it themselves.
func MayChooseOrganizer(v community.Viewer) bool { return dispatches(v) }

// MayPlan checks that v may create, or hand to, an activity organised by
// staff member organizerID (0: none): those who dispatch, anyone; other
// staff who may plan, only themselves.
func MayPlan(v community.Viewer, organizerID int64) error {
	if dispatches(v) {
		return nil
	}
	if MayPlanAny(v) && organizerID == v.Staff.ID {
		return nil
	}
	return &bot.UserError{Code: bot.CodeForbidden, Field: "organizer_id", Message: "您只能创建由自己组织的活动"}
}

// Masked is su as shown to a viewer who may read its activity but not
// its people (Access.People false): the name's first character, the
// phone's ends, no check-in code (it checks the resident in), no answers
// (they may say what the resident eats or believes), no openid.
func Masked(su activity.Signup) activity.Signup {
	su.Name = bot.MaskName(su.Name)
	su.Phone = bot.MaskPhone(su.Phone)
	su.CheckinCode = ""
	su.Answers = nil
	su.OpenID = ""
	return su
}

// ForViewer returns sus as acc lets them be seen: as they are, or
// Masked.
func ForViewer(acc Access, sus []activity.Signup) []activity.Signup {
	if acc.People {
		return sus
	}
	out := make([]activity.Signup, len(sus))
	for i, su := range sus {
		out[i] = Masked(su)
	}
	return out
}

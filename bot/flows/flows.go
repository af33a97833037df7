// Package flows is what every feature's conversation package shares: the
// Deps a feature registers with, and the Register signature each one has.
// A feature (bot/flows/<verb>) registers its flow, keywords, QR scenes,
// follow-up answers and menu actions on the router in one call, and cmd
// wires features as a table of these calls over one Deps.
//
// It holds no conversation of its own.
package flows

import (
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
)

// Deps are the ports features talk to. A feature uses those it needs;
// each new domain adds its port here.
type Deps struct {
	// Residents keeps resident profiles.
	Residents bot.Residents
	// Notifier tells staff and residents outside the conversation.
	Notifier bot.Notifier
	// Community looks up buildings and staff.
	Community community.Directory
	// Tickets files and works service requests.
	Tickets ticket.Service
	// Activities signs residents up for events (活动报名).
	Activities activity.Service
	// Clinic books the legal clinic (法律诊所).
	Clinic clinic.Service
	// Lists remembers the numbered list each person was last shown (a
	// staff member's 待办), so that "受理 1" means the item they saw; in
	// process memory when nil.
	Lists bot.Lists
	// Questions tells which question a notice last put to a person, so
	// a bare "1" answers it only shortly after it arrived (bot.Asked);
	// nil: bare digits answer no notice.
	Questions bot.Questions
	// Duty reaches the staff on duty now (emergencies, 人工).
	Duty bot.Duty
	// Lines are the numbers and office hours residents are given.
	Lines bot.Lines
	// Recent keeps residents' last few messages; nil keeps none.
	Recent bot.Recent
	// Console is the staff console staff sign in to by scanning its QR
	// code or asking for a link (登录后台); nil when there is none.
	Console community.Console
	// UrgentWords and UrgentIgnore extend the emergency path's words:
	// "kind:word,..." and "word,..." (TONGXIN_URGENT_WORDS, _IGNORE).
	UrgentWords, UrgentIgnore string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Clock returns d.Now, or time.Now when unset.
func (d Deps) Clock() func() time.Time {
	if d.Now != nil {
		return d.Now
	}
	return time.Now
}

// Register is what every feature package exports as Register: it adds the
// feature's flow, keywords, scenes, follow-ups and menu actions to r.
type Register func(r *bot.Router, d Deps) error

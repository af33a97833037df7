// Package activity holds the domain of event sign-ups (活动报名): the types
// conversations, the admin API and storage share, and the Service port the
// conversations call. It is named activity because Event already means a
// WeChat event. It has no storage, HTTP or WeChat code; package activities
// implements Service.
//
// Seats: an activity has Capacity seats; a sign-up holds PartySize of them
// while it is confirmed, offered or attended. An offer holds its seats for
// the resident until it is accepted, declined or lapses, so that the seats
// offered cannot be taken by someone else in the meantime. The store keeps
// SeatsTaken equal to the seats held and never above Capacity.
package activity

import (
	"context"
	"time"

	"github.com/tongxin/tongxin/bot/community"
)

// Status is whether an activity takes sign-ups.
type Status string

// Activity statuses.
const (
	ActivityOpen      Status = "open"
	ActivityCancelled Status = "cancelled"
)

// Label is the status as residents and staff read it.
func (s Status) Label() string {
	switch s {
	case ActivityOpen:
		return "报名中"
	case ActivityCancelled:
		return "已取消"
	}
	return string(s)
}

// SignupStatus is where a sign-up stands.
type SignupStatus string

// Sign-up statuses. Confirmed, Offered and Attended hold seats;
// Waitlisted waits in arrival order; Cancelled holds nothing (cancelled by
// the resident, an offer declined or lapsed).
const (
	Confirmed  SignupStatus = "confirmed"
	Waitlisted SignupStatus = "waitlisted"
	Offered    SignupStatus = "offered"
	Cancelled  SignupStatus = "cancelled"
	Attended   SignupStatus = "attended"
)

// Label is the status as residents and staff read it.
func (s SignupStatus) Label() string {
	switch s {
	case Confirmed:
		return "报名成功"
	case Waitlisted:
		return "候补中"
	case Offered:
		return "有名额待确认"
	case Cancelled:
		return "已取消"
	case Attended:
		return "已签到"
	}
	return string(s)
}

// Active reports whether the sign-up still counts: a resident has at most
// one active sign-up per activity.
func (s SignupStatus) Active() bool { return s != Cancelled }

// HoldsSeats reports whether the sign-up's party occupies seats.
func (s SignupStatus) HoldsSeats() bool { return s == Confirmed || s == Offered || s == Attended }

// QuestionOffer names the question an offer's push asks
// (bot.Ask(QuestionOffer, signup id), bot.Asked): 1 接受 / 2 放弃.
const QuestionOffer = "activity.offer"

// DefaultHold is how long an offer of freed seats waits for an answer.
const DefaultHold = 12 * time.Hour

// CheckinCodeLen is the length of a check-in code (digits).
const CheckinCodeLen = 6

// Question is one of an activity's own questions, asked as a flow step.
type Question struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	// Choices, when set, are the only answers (numbered in the flow).
	Choices  []string `json:"choices,omitempty"`
	Optional bool     `json:"optional,omitempty"`
}

// Activity is one event residents sign up for.
type Activity struct {
	ID          int64     `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Location    string    `json:"location"`
	StartsAt    time.Time `json:"starts_at"`
	EndsAt      time.Time `json:"ends_at"`
	Capacity    int       `json:"capacity"`
	// MaxParty is how many people one sign-up may bring, the resident
	// included (1: only themselves).
	MaxParty int `json:"max_party"`
	// SignupDeadline is when sign-up closes; nil: when the activity starts.
	SignupDeadline *time.Time `json:"signup_deadline,omitempty"`
	Questions      []Question `json:"questions"`
	// OrganizerID is the staff member organising it (0: none).
	OrganizerID int64  `json:"organizer_id,omitempty"`
	Status      Status `json:"status"`
	// SeatsTaken counts the seats held by confirmed, offered and attended
	// sign-ups; kept by the database, never above Capacity.
	SeatsTaken int       `json:"seats_taken"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// SeatsLeft is how many seats nobody holds.
func (a Activity) SeatsLeft() int {
	if n := a.Capacity - a.SeatsTaken; n > 0 {
		return n
	}
	return 0
}

// Closes is when sign-up closes: the deadline, or the start when it comes
// first or there is none.
func (a Activity) Closes() time.Time {
	if a.SignupDeadline != nil && a.SignupDeadline.Before(a.StartsAt) {
		return *a.SignupDeadline
	}
	return a.StartsAt
}

// OpenAt reports whether residents may sign up at now.
func (a Activity) OpenAt(now time.Time) bool {
	return a.Status == ActivityOpen && now.Before(a.Closes())
}

// Record is what the access policy needs to know of a: its organiser
// acts on it like an assignee.
func (a Activity) Record() community.Record {
	return community.Record{AssigneeID: a.OrganizerID}
}

// Signup is one resident's sign-up (with their party) for an activity.
type Signup struct {
	ID         int64        `json:"id"`
	ActivityID int64        `json:"activity_id"`
	OpenID     string       `json:"openid,omitempty"`
	Name       string       `json:"name"`
	Phone      string       `json:"phone"`
	PartySize  int          `json:"party_size"`
	Status     SignupStatus `json:"status"`
	// Position is the place on the waiting list, from 1, while Waitlisted;
	// 0 otherwise. Computed on reading, in arrival order.
	Position int `json:"position,omitempty"`
	// CheckinCode is six digits, unique within the activity; shown to the
	// resident once they hold confirmed seats.
	CheckinCode string            `json:"checkin_code"`
	Answers     map[string]string `json:"answers"`
	// OfferedUntil is when an offer lapses, while Offered.
	OfferedUntil *time.Time `json:"offered_until,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Record is what the access policy needs to know of s.
func (s Signup) Record() community.Record { return community.Record{Owner: s.OpenID} }

// Booking is a sign-up with its activity, as a resident's list shows it.
type Booking struct {
	Activity Activity
	Signup   Signup
}

// Entry is one line of an activity's timeline.
type Entry struct {
	At time.Time `json:"at"`
	// SignupID is the sign-up the line is about (0: the activity).
	SignupID int64 `json:"signup_id,omitempty"`
	// Actor is who did it, as shown: "居民", "系统", "工作人员 张三".
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Note   string `json:"note,omitempty"`
}

// Timeline actions.
const (
	ActionSignedUp   = "signed_up"  // confirmed at once
	ActionWaitlisted = "waitlisted" // joined the waiting list
	ActionOffered    = "offered"    // freed seats offered from the waiting list
	ActionPromoted   = "promoted"   // freed seats confirmed at once from the waiting list
	ActionAccepted   = "accepted"   // an offer accepted
	ActionDeclined   = "declined"   // an offer declined (放弃)
	ActionLapsed     = "lapsed"     // an offer not answered in time
	ActionCancelled  = "cancelled"  // the resident cancelled
	ActionCapacity   = "capacity"   // staff changed the capacity
	ActionCheckedIn  = "checked_in" // attended
)

// Draft is a sign-up being made.
type Draft struct {
	ActivityID int64
	OpenID     string
	Name       string
	Phone      string
	// PartySize counts the resident too: 1..MaxParty.
	PartySize int
	Answers   map[string]string
	// Waitlist joins the waiting list with the whole party even when some
	// (too few) seats are left, instead of being told Receipt.Fewer.
	Waitlist bool
	// Key, when set, makes signing up idempotent: a Draft with the Key of
	// an earlier sign-up gets that sign-up back (bot.State.DraftKey).
	Key string
}

// Receipt is what signing up returns. Exactly one of these holds:
//   - Fewer > 0: seats are left but fewer than the party; nothing was
//     recorded, and the caller may sign up again with at most Fewer (or
//     with Draft.Waitlist).
//   - Signup is set (ID != 0): Confirmed (with its code) or Waitlisted
//     (with its Position), new, or an earlier one (Existing, Repeat).
type Receipt struct {
	Signup Signup
	// SeatsLeft is how many seats are left after this sign-up.
	SeatsLeft int
	Fewer     int
	// Existing is set when the resident already had an active sign-up
	// for the activity: Signup is that one, and nothing changed.
	Existing bool
	// Repeat is set when the Draft.Key had signed up before.
	Repeat bool
}

// Service is what conversations need from sign-ups. Errors meant for the
// person are *bot.UserError; unknown activities and sign-ups are
// bot.ErrNotFound, and so are another resident's sign-ups.
type Service interface {
	// Upcoming lists the activities open for sign-up at now, soonest
	// first, with their seats.
	Upcoming(ctx context.Context) ([]Activity, error)
	// Activity returns one activity (any status).
	Activity(ctx context.Context, id int64) (Activity, error)
	// SignUp signs d up, in one transaction (see Receipt). Refused once
	// sign-up closed (deadline or start) or the activity was cancelled.
	SignUp(ctx context.Context, d Draft) (Receipt, error)
	// Mine lists the resident's active sign-ups for activities that have
	// not ended, soonest first.
	Mine(ctx context.Context, openid string) ([]Booking, error)
	// Cancel cancels the resident's sign-up; freed seats go to the
	// waiting list.
	Cancel(ctx context.Context, openid string, signupID int64) (Signup, error)
	// Accept takes the seats offered to the resident (Offered →
	// Confirmed); refused once the offer lapsed.
	Accept(ctx context.Context, openid string, signupID int64) (Signup, error)
	// Decline gives an offer up (放弃): the sign-up is cancelled and the
	// seats pass to the next on the waiting list.
	Decline(ctx context.Context, openid string, signupID int64) (Signup, error)
	// CheckinResident marks the resident's confirmed sign-up for the
	// activity attended (the venue's QR scanned).
	CheckinResident(ctx context.Context, activityID int64, openid string) (Signup, error)
	// Changed returns when an activity was last created or changed (the
	// list residents see is that fresh); zero when there is none.
	Changed(ctx context.Context) (time.Time, error)
	// Latest returns the resident's most recent sign-up, whatever its
	// status (its name and phone are offered next time), or
	// bot.ErrNotFound.
	Latest(ctx context.Context, openid string) (Signup, error)
	// CheckinCode marks attended the confirmed sign-up with the check-in
	// code (staff at the door: 签到 <code>) among the activities taking
	// place today (Asia/Shanghai), or of activity activityID when it is
	// not 0. Codes are unique within one activity only: when several of
	// today's activities have the code, nothing changes and the
	// *bot.UserError (conflict) lists them by id, to be named. Anyone but
	// an active staff member gets bot.CodeForbidden; an unknown code
	// bot.ErrNotFound.
	CheckinCode(ctx context.Context, staffOpenID, code string, activityID int64) (Booking, error)
}

// Package clinic holds the domain of the legal clinic (法律诊所): providers
// (三官一律, the 司法所, 综治专干, 人民调解员, minority representatives),
// the schedules that generate its sessions, closures (停诊), residents'
// bookings, 专家会诊 requests and 法律援助 applications, and the Service
// port the conversations call. It has no storage, HTTP or WeChat code;
// package clinic (top level, clinic/) implements Service.
//
// Slots are computed when asked, from the schedules, the working calendar
// (holidays and 调休 from workcal) and the closures; nothing is stored for
// a slot until someone books it. A booked slot's seats are counted in the
// database (clinic_slots.taken, never above capacity), so two residents
// cannot take the last seat of a slot on any engine.
//
// Privacy: a booking's Description and an aid application's answers are
// the resident's confidential matter. They are never logged, never in
// metrics, list endpoints, exports or group messages; only clinic staff
// (community.RoleClinic) and the session's providers read them.
package clinic

import (
	"context"
	"fmt"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
)

// Kind is what a provider is.
type Kind string

// Provider kinds.
const (
	Judge         Kind = "judge"          // 法官
	Prosecutor    Kind = "prosecutor"     // 检察官
	Police        Kind = "police"         // 民警
	Lawyer        Kind = "lawyer"         // 律师
	JusticeOffice Kind = "justice_office" // 司法所
	Governance    Kind = "governance"     // 综治专干
	Mediator      Kind = "mediator"       // 人民调解员
	MinorityRep   Kind = "minority_rep"   // 少数民族代表
)

// Kinds lists every kind.
var Kinds = []Kind{Judge, Prosecutor, Police, Lawyer, JusticeOffice, Governance, Mediator, MinorityRep}

var kindLabels = map[Kind]string{
	Judge: "法官", Prosecutor: "检察官", Police: "民警", Lawyer: "律师",
	JusticeOffice: "司法所", Governance: "综治专干", Mediator: "人民调解员", MinorityRep: "少数民族代表",
}

// Label is the kind as residents read it.
func (k Kind) Label() string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return string(k)
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { _, ok := kindLabels[k]; return ok }

// Mode is how the clinic works in a schedule's sessions.
type Mode string

// Modes.
const (
	// Daily (日常坐诊) is walk-in hours, shown and not booked, plus the
	// bookable slots a schedule with SlotMinutes > 0 cuts from them.
	Daily Mode = "daily"
	// Appointment (预约问诊) is 1:1 slots.
	Appointment Mode = "appointment"
	// Expert (专家会诊) is not a schedule residents book: they request it,
	// and staff approve it with a time and a panel (ExpertRequest). A
	// schedule of this mode only tells when panels usually sit.
	Expert Mode = "expert"
	// Patrol (定期巡诊) is sessions at a building on a date, bookable,
	// announced to the residents of that building who opted in.
	Patrol Mode = "patrol"
	// FreeClinic (集中义诊) is one large session with a capacity and a
	// waiting list: an activity of the event sign-ups (ActivityID).
	FreeClinic Mode = "free_clinic"
)

// Modes lists every mode.
var Modes = []Mode{Daily, Appointment, Expert, Patrol, FreeClinic}

var modeLabels = map[Mode]string{
	Daily: "日常坐诊", Appointment: "预约问诊", Expert: "专家会诊", Patrol: "定期巡诊", FreeClinic: "集中义诊",
}

// Label is the mode as residents read it.
func (m Mode) Label() string {
	if l, ok := modeLabels[m]; ok {
		return l
	}
	return string(m)
}

// Valid reports whether m is one of Modes.
func (m Mode) Valid() bool { _, ok := modeLabels[m]; return ok }

// Matter is what a resident comes about.
type Matter string

// Matters a schedule takes.
const (
	Consult   Matter = "consult"   // 法律咨询
	Mediation Matter = "mediation" // 矛盾调解
	Aid       Matter = "aid"       // 法律援助
)

// Matters lists every matter, in the order residents are offered them.
var Matters = []Matter{Consult, Mediation, Aid}

var matterLabels = map[Matter]string{Consult: "法律咨询", Mediation: "矛盾调解", Aid: "法律援助"}

// Label is the matter as residents read it.
func (m Matter) Label() string {
	if l, ok := matterLabels[m]; ok {
		return l
	}
	return string(m)
}

// Valid reports whether m is one of Matters.
func (m Matter) Valid() bool { _, ok := matterLabels[m]; return ok }

// Hotline is the national public legal-service hotline every intro gives.
const Hotline = "12348"

// DateLayout is how a Date is written ("2026-12-05").
const DateLayout = "2006-01-02"

// Provider is one person (or office) who receives residents.
type Provider struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Kind  Kind   `json:"kind"`
	Phone string `json:"phone"`
	// StaffID links the provider to a staff record (0: none), so they get
	// a push for each booking on their sessions and may send 今日预约.
	StaffID int64 `json:"staff_id,omitempty"`
	// Languages are the languages spoken besides Mandarin (维吾尔语,
	// 哈萨克语, 手语 …).
	Languages []string  `json:"languages"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Schedule generates sessions: on its Weekdays (1 = Monday … 7 = Sunday)
// between ValidFrom and ValidTo, or on its one Date; from Start to End
// ("09:00"), cut into slots of SlotMinutes for Capacity residents each
// (SlotMinutes 0: the whole session is one walk-in block, Daily only).
// Public holidays close weekday sessions and 调休 working Saturdays and
// Sundays open them, as the working calendar says; a one-Date schedule is
// held on its date whatever the calendar says.
type Schedule struct {
	ID          int64   `json:"id"`
	Mode        Mode    `json:"mode"`
	ProviderIDs []int64 `json:"provider_ids"`
	Weekdays    []int   `json:"weekdays,omitempty"`
	// Date is "YYYY-MM-DD" for a one-day schedule; "" with Weekdays.
	Date        string   `json:"date,omitempty"`
	Start       string   `json:"start"`
	End         string   `json:"end"`
	SlotMinutes int      `json:"slot_minutes"`
	Capacity    int      `json:"capacity"`
	Location    string   `json:"location"`
	Building    string   `json:"building,omitempty"`
	Matters     []Matter `json:"matters"`
	ValidFrom   string   `json:"valid_from,omitempty"`
	ValidTo     string   `json:"valid_to,omitempty"`
	// ActivityID is the event sign-up a FreeClinic schedule runs as.
	ActivityID int64     `json:"activity_id,omitempty"`
	Active     bool      `json:"active"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Takes reports whether the schedule's sessions take matter m.
func (s Schedule) Takes(m Matter) bool {
	for _, x := range s.Matters {
		if x == m {
			return true
		}
	}
	return false
}

// Closure closes the clinic (停诊) on Date, or only ProviderID's sessions
// when it is not 0: a session closes when its every provider is closed.
type Closure struct {
	ID         int64     `json:"id"`
	Date       string    `json:"date"`
	ProviderID int64     `json:"provider_id,omitempty"`
	Reason     string    `json:"reason"`
	CreatedAt  time.Time `json:"created_at"`
}

// Slot is one bookable time of one schedule (or, with WalkIn, a block of
// walk-in hours that is shown and not booked).
type Slot struct {
	ScheduleID  int64     `json:"schedule_id"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Mode        Mode      `json:"mode"`
	Location    string    `json:"location"`
	Building    string    `json:"building,omitempty"`
	Matters     []Matter  `json:"matters,omitempty"`
	ProviderIDs []int64   `json:"provider_ids,omitempty"`
	Capacity    int       `json:"capacity"`
	Left        int       `json:"left"`
	WalkIn      bool      `json:"walk_in,omitempty"`
	// ActivityID is set for a FreeClinic session: it is booked through
	// the event sign-up (scene event:<id>), with its waiting list.
	ActivityID int64 `json:"activity_id,omitempty"`
}

// Ref names the slot: schedule and start, as a booking stores them.
func (s Slot) Ref() SlotRef { return SlotRef{ScheduleID: s.ScheduleID, Start: s.Start} }

// SlotRef names one slot.
type SlotRef struct {
	ScheduleID int64
	Start      time.Time
}

// String is "<schedule>@<unix start>".
func (r SlotRef) String() string { return fmt.Sprintf("%d@%d", r.ScheduleID, r.Start.Unix()) }

// Status is where a booking stands.
type Status string

// Booking statuses. Booked and Attended hold their slot's seat.
const (
	Booked    Status = "booked"
	Cancelled Status = "cancelled"
	Attended  Status = "attended"
	NoShow    Status = "no_show"
)

// Label is the status as residents and staff read it.
func (s Status) Label() string {
	switch s {
	case Booked:
		return "已预约"
	case Cancelled:
		return "已取消"
	case Attended:
		return "已到场"
	case NoShow:
		return "未到场"
	}
	return string(s)
}

// Valid reports whether s is a status.
func (s Status) Valid() bool { return s == Booked || s == Cancelled || s == Attended || s == NoShow }

// Booking is one resident's booked slot.
type Booking struct {
	ID int64 `json:"id"`
	// Code is the 预约码: six digits, shown to the resident.
	Code       string    `json:"code"`
	ScheduleID int64     `json:"schedule_id"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Mode       Mode      `json:"mode"`
	Location   string    `json:"location"`
	Matter     Matter    `json:"matter"`
	OpenID     string    `json:"openid,omitempty"`
	Name       string    `json:"name"`
	Phone      string    `json:"phone"`
	// Description is the confidential matter: only clinic staff and the
	// session's providers read it.
	Description string `json:"description,omitempty"`
	// Language is an interpreter or language the resident needs ("" none).
	Language string `json:"language,omitempty"`
	// NeedRep is set when the resident asked for a minority representative.
	NeedRep bool `json:"need_rep,omitempty"`
	// TicketID is the service request (矛盾纠纷) a mediation is about.
	TicketID int64 `json:"ticket_id,omitempty"`
	// AidID is the 法律援助 application filed with the booking.
	AidID     int64     `json:"aid_id,omitempty"`
	Status    Status    `json:"status"`
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Record is what the access policy needs to know of b.
func (b Booking) Record() community.Record { return community.Record{Owner: b.OpenID} }

// Day is the booking's date in the clinic's zone.
func (b Booking) Day() string { return b.Start.In(bot.Shanghai).Format(DateLayout) }

// AidAnswers are the eligibility questions the 司法所 asks.
type AidAnswers struct {
	// CaseKind is the kind of case (讨薪, 婚姻家庭, 工伤, 人身损害, 其他 …).
	CaseKind string `json:"case_kind"`
	// Hardship: the household has financial hardship (低保、特困 …).
	Hardship bool `json:"hardship"`
	// InCourt: the case is already in court.
	InCourt bool `json:"in_court"`
}

// AidStatus is where a 法律援助 application stands.
type AidStatus string

// Aid statuses: received → reviewing → approved | declined.
const (
	AidReceived  AidStatus = "received"
	AidReviewing AidStatus = "reviewing"
	AidApproved  AidStatus = "approved"
	AidDeclined  AidStatus = "declined"
)

// Label is the status as residents read it.
func (s AidStatus) Label() string {
	switch s {
	case AidReceived:
		return "已受理"
	case AidReviewing:
		return "审查中"
	case AidApproved:
		return "已批准"
	case AidDeclined:
		return "不予援助"
	}
	return string(s)
}

// AidApplication is a resident's 法律援助 application.
type AidApplication struct {
	ID     int64  `json:"id"`
	OpenID string `json:"openid,omitempty"`
	Name   string `json:"name"`
	Phone  string `json:"phone"`
	// Answers and Description are confidential, as a booking's.
	Answers     *AidAnswers `json:"answers,omitempty"`
	Description string      `json:"description,omitempty"`
	BookingID   int64       `json:"booking_id,omitempty"`
	Status      AidStatus   `json:"status"`
	Note        string      `json:"note,omitempty"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// ExpertStatus is where a 专家会诊 request stands.
type ExpertStatus string

// Expert request statuses: requested → scheduled | declined.
const (
	ExpertRequested ExpertStatus = "requested"
	ExpertScheduled ExpertStatus = "scheduled"
	ExpertDeclined  ExpertStatus = "declined"
)

// Label is the status as residents read it.
func (s ExpertStatus) Label() string {
	switch s {
	case ExpertRequested:
		return "待安排"
	case ExpertScheduled:
		return "已安排"
	case ExpertDeclined:
		return "未安排"
	}
	return string(s)
}

// ExpertRequest is a resident's request for a 专家会诊: staff approve it
// with a time, a place and a panel of providers.
type ExpertRequest struct {
	ID          int64        `json:"id"`
	OpenID      string       `json:"openid,omitempty"`
	Name        string       `json:"name"`
	Phone       string       `json:"phone"`
	Matter      Matter       `json:"matter"`
	Description string       `json:"description,omitempty"`
	Status      ExpertStatus `json:"status"`
	At          *time.Time   `json:"at,omitempty"`
	Location    string       `json:"location,omitempty"`
	ProviderIDs []int64      `json:"provider_ids,omitempty"`
	Note        string       `json:"note,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

// Draft is a booking being made.
type Draft struct {
	Slot        SlotRef
	Matter      Matter
	OpenID      string
	Name        string
	Phone       string
	Description string
	Language    string
	NeedRep     bool
	TicketID    int64
	// Aid, for Matter Aid, files an application with the booking.
	Aid *AidAnswers
	// Key, when set, makes booking idempotent: a Draft with the Key of an
	// earlier booking gets that booking back (bot.State.DraftKey).
	Key string
	// Replaces, when not 0, is the resident's booking this one replaces
	// (改约): in the same transaction the old one is cancelled and its
	// seat freed, or nothing changes.
	Replaces int64
}

// Receipt is what booking returns. Exactly one of these holds:
//   - Taken: the slot was full (or gone) at confirm; nothing was recorded
//     and Next lists the next free slots for the same matter.
//   - Booking is set (ID != 0): new, or an earlier one (Repeat).
type Receipt struct {
	Booking Booking
	Aid     *AidApplication
	Taken   bool
	Next    []Slot
	Repeat  bool
}

// Topic is one 法律知识 topic: a title and a short answer the operator
// edits in the configuration file.
type Topic struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Info is what the clinic's intro tells every resident.
type Info struct {
	// Place is where the clinic sits (社区服务中心二楼法律诊所).
	Place string
	// WalkIn are the walk-in hours of the coming days, as read
	// ("周一至周五 9:00-11:30"), from the Daily schedules.
	WalkIn string
	// Phone is the clinic's or the community's phone ("" none).
	Phone string
	// Hotline is 12348.
	Hotline string
}

// Questions numbered pushes of the clinic ask (bot.Ask(q, ref)).
const (
	// QuestionClosed follows a closure or a vanished slot: 回复 1/2/3
	// picks one of the next free slots offered (ref: booking id).
	QuestionClosed = "clinic.rebook"
)

// Service is what conversations need of the clinic. Errors meant for the
// person are *bot.UserError; unknown bookings are bot.ErrNotFound, and so
// are another resident's.
type Service interface {
	// Info is the intro's place, walk-in hours, phone and hotline.
	Info(ctx context.Context) (Info, error)
	// Topics are the 法律知识 topics, in the operator's order.
	Topics(ctx context.Context) []Topic
	// Slots lists the slots for matter from now to the horizon (14 days
	// by default), soonest first: the bookable ones with seats left that
	// respect the minimum notice, and the walk-in blocks (WalkIn) and
	// free-clinic sessions (ActivityID) beside them.
	Slots(ctx context.Context, matter Matter) ([]Slot, error)
	// Book books d in one transaction (see Receipt). Refused (UserError)
	// inside the minimum notice, when the resident already has an active
	// booking that day, or for a matter the slot does not take.
	Book(ctx context.Context, d Draft) (Receipt, error)
	// Mine lists the resident's active bookings not yet past, soonest
	// first, and their open aid applications and expert requests.
	Mine(ctx context.Context, openid string) (Mine, error)
	// Cancel cancels the resident's booking; refused after the cut-off
	// (default 2 h before), with the clinic's phone to call instead.
	Cancel(ctx context.Context, openid string, id int64) (Booking, error)
	// CanChange reports whether the booking may still be cancelled or
	// moved (before the cut-off); the error is the UserError to show.
	CanChange(ctx context.Context, openid string, id int64) (Booking, error)
	// Latest is the resident's most recent booking, any status (its name
	// and phone are offered next time), or bot.ErrNotFound.
	Latest(ctx context.Context, openid string) (Booking, error)
	// RequestExpert files a 专家会诊 request for staff to schedule.
	RequestExpert(ctx context.Context, r ExpertRequest, key string) (ExpertRequest, error)
	// ApplyAid files a 法律援助 application without a booking (when no
	// slot suits the resident).
	ApplyAid(ctx context.Context, a AidApplication, key string) (AidApplication, error)
	// Languages lists the languages the active providers speak besides
	// Mandarin, for the interpreter question.
	Languages(ctx context.Context) ([]string, error)
	// Day lists the bookings of the sessions of the provider linked to
	// staffOpenID (or, for clinic staff, every session) on day, with
	// descriptions; anyone else gets bot.CodeForbidden.
	Day(ctx context.Context, staffOpenID string, day time.Time) ([]Booking, error)
	// Subscribe opts the resident in (on) or out of the 巡诊
	// announcements for the building of their registered address.
	Subscribe(ctx context.Context, openid string, on bool) error
}

// Mine is what 我的预约 shows.
type Mine struct {
	Bookings []Booking
	Aid      []AidApplication
	Expert   []ExpertRequest
}

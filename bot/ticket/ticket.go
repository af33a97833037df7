// Package ticket holds the domain of service requests (诉求/报修): the types
// conversations, the admin API and storage share, and the Service port the
// conversations call. It has no storage, HTTP or WeChat code; package
// tickets implements Service.
package ticket

import (
	"context"
	"fmt"
	"time"

	"github.com/tongxin/tongxin/bot/community"
)

// Status is where a ticket is in its lifecycle:
// submitted → accepted → resolved → closed, plus returned (sent back to
// the dispatcher by the assignee) and reopened (rated 不满意).
type Status string

// Statuses.
const (
	Submitted Status = "submitted"
	Accepted  Status = "accepted"
	Resolved  Status = "resolved"
	Closed    Status = "closed"
	Returned  Status = "returned"
	Reopened  Status = "reopened"
)

// Label is the status as residents and staff read it.
func (s Status) Label() string {
	switch s {
	case Submitted:
		return "待受理"
	case Accepted:
		return "处理中"
	case Resolved:
		return "已办结待评价"
	case Closed:
		return "已关闭"
	case Returned:
		return "重新分派中"
	case Reopened:
		return "重新处理中"
	}
	return string(s)
}

// Open reports whether the ticket still needs work.
func (s Status) Open() bool { return s != Resolved && s != Closed }

// A ticket number is the Shanghai date as YYMMDD and the ticket's count
// in the day, four digits ("2611260001"), or five once a day passes 9,999
// ("26112610000"): abuse or a flood of reports must not stop filing.
const (
	// MaxDailyCount is the highest count a day's numbers can carry.
	MaxDailyCount = 99999
	// MaxNumberLen is the longest ticket number (a day's overflow).
	MaxNumberLen = 11
)

// FormatNumber returns the number of the seq-th ticket of day (YYMMDD).
func FormatNumber(day string, seq int) string { return fmt.Sprintf("%s%04d", day, seq) }

// WellFormedNumber reports whether s could be a ticket number: 1 to 10
// ASCII digits, or 11 that are a date (YYMMDD) and a count past 9,999
// (FormatNumber), so that an 11-digit phone number or typo is still
// refused. The HTTP edges check it so that a typo never reaches the
// service.
func WellFormedNumber(s string) bool {
	if len(s) == 0 || len(s) > MaxNumberLen {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	if len(s) == MaxNumberLen {
		// A mobile (1[3-9]…) reads as a day in 2013–2019, before any
		// ticket: refused too.
		if _, err := time.Parse("060102", s[:6]); err != nil || s[6] == '0' || s[0] == '1' {
			return false
		}
	}
	return true
}

// MaxPhotos is how many photos one request may carry.
const MaxPhotos = 6

// QuestionRating names the question the notice of a resolved ticket
// asks (bot.Ask(QuestionRating, number), bot.Asked).
const QuestionRating = "ticket.rating"

// Ratings residents give after 办结.
const (
	RatingNone         = 0
	RatingSatisfied    = 1 // 满意
	RatingBasically    = 2 // 基本满意
	RatingDissatisfied = 3 // 不满意
)

// Category is a kind of request with its deadlines (in working hours) and
// who handles it.
type Category struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	// Role routes the ticket: grid_worker (the building's grid worker) or
	// a role such as mediator or employment.
	Role          community.Role `json:"role"`
	ResponseHours float64        `json:"response_hours"`
	ResolveHours  float64        `json:"resolve_hours"`
	// Public marks a category whose requests are about things, not
	// people (a broken lamp, rubbish): what is published of them (Open311)
	// adds the masked description, the unit and rounded coordinates to
	// the category, status, building and dates every request shows.
	// Residents write names, phones and rooms into descriptions, so no
	// category is public unless the operator says so.
	Public bool `json:"public"`
	// Words are the operator's words for this kind of request (the
	// configuration's words = [...]), which the conversation adds to the
	// built-in vocabulary of its key to understand a resident's first
	// message.
	Words []string `json:"words,omitempty"`
}

// Ticket is one service request.
type Ticket struct {
	ID     int64  `json:"id"`
	Number string `json:"number"`
	// OpenID is the resident's; empty for a ticket filed by staff for a
	// resident without WeChat.
	OpenID       string   `json:"openid,omitempty"`
	Name         string   `json:"name,omitempty"`
	Phone        string   `json:"phone"`
	Category     string   `json:"category"`
	CategoryName string   `json:"category_name"`
	Description  string   `json:"description"`
	Photos       []string `json:"photos,omitempty"`
	// BuildingID is 0 for public areas and unknown places.
	BuildingID int64 `json:"building_id,omitempty"`
	// Place is where, as shown: "3号楼2单元201室", "公共区域：东门广场",
	// or a location label.
	Place        string  `json:"place"`
	Unit         int     `json:"unit,omitempty"`
	Lat          float64 `json:"lat,omitempty"`
	Lng          float64 `json:"lng,omitempty"`
	Status       Status  `json:"status"`
	AssigneeID   int64   `json:"assignee_id,omitempty"`
	AssigneeName string  `json:"assignee_name,omitempty"`
	GridID       int64   `json:"grid_id,omitempty"`
	ParentID     int64   `json:"parent_id,omitempty"`
	Source       string  `json:"source"`
	// Urgent marks a ticket filed through the emergency path (a fire, a
	// gas smell, a burst pipe): it must be answered within minutes, at
	// any hour.
	Urgent      bool       `json:"urgent,omitempty"`
	ResponseDue time.Time  `json:"response_due"`
	ResolveDue  time.Time  `json:"resolve_due"`
	AcceptedAt  *time.Time `json:"accepted_at,omitempty"`
	ResolvedAt  *time.Time `json:"resolved_at,omitempty"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
	EscalatedAt *time.Time `json:"escalated_at,omitempty"`
	UrgedAt     *time.Time `json:"urged_at,omitempty"`
	Resolution  string     `json:"resolution,omitempty"`
	Rating      int        `json:"rating,omitempty"`
	RatingNote  string     `json:"rating_note,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	// NoticeDue, on what an action returns (Service.Act), is when the
	// resident will be told of it: now, or when quiet hours end (see
	// bot.WhenTold); nil when they are not told. Not stored.
	NoticeDue *time.Time `json:"notice_due,omitempty"`
}

// Record is what the access policy needs to know of t.
func (t Ticket) Record() community.Record {
	return community.Record{Owner: t.OpenID, AssigneeID: t.AssigneeID, GridID: t.GridID}
}

// Due returns the deadline t is working towards: its response deadline
// until it is accepted (again, after a return), then its resolution
// deadline; with the verb that meets it (受理, 办结).
func (t Ticket) Due() (time.Time, string) {
	if t.Status == Submitted || t.Status == Returned {
		return t.ResponseDue, "受理"
	}
	return t.ResolveDue, "办结"
}

// Entry is one line of a ticket's timeline.
type Entry struct {
	At time.Time `json:"at"`
	// Actor is who did it, as shown: "居民", "网格员 张三", "系统".
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Note   string `json:"note,omitempty"`
}

// Draft is a ticket being filed.
type Draft struct {
	OpenID      string
	Name        string
	Phone       string
	Category    string
	Description string
	Photos      []string
	// Voice is the voice message the problem was told in,
	// "media:<MediaId>"; empty when it was typed.
	Voice      string
	BuildingID int64
	Unit       int
	Place      string
	Lat, Lng   float64
	// Source is wechat, staff or open311.
	Source string
	// FiledBy is the staff member filing for a resident (0 otherwise).
	FiledBy int64
	// Urgent files an emergency: a response deadline of minutes, not
	// working hours, urgent notices, and no daily limit.
	Urgent bool
	// Key, when set, makes filing idempotent: a draft with the Key of a
	// ticket filed before gets that ticket back instead of a second one
	// (conversations pass bot.State.DraftKey, the same for every retry).
	Key string
}

// Media lists what of d is worth a copy: its photos in the order sent,
// then its voice message.
func (d Draft) Media() []MediaRef {
	var out []MediaRef
	for _, p := range d.Photos {
		out = append(out, MediaRef{Kind: MediaPhoto, Ref: p})
	}
	if d.Voice != "" {
		out = append(out, MediaRef{Kind: MediaVoice, Ref: d.Voice})
	}
	return out
}

// MediaKind is what a ticket's media is.
type MediaKind string

// Kinds of media.
const (
	MediaPhoto MediaKind = "photo"
	MediaVoice MediaKind = "voice"
)

// MediaRef is a photo or voice message as WeChat gave it: an image's
// PicUrl, or "media:<MediaId>" (which WeChat keeps for three days).
type MediaRef struct {
	Kind MediaKind
	Ref  string
}

// Media is the copy tongxin keeps of a photo or voice message of a
// ticket, as staff see it.
type Media struct {
	// N numbers the ticket's media from 1: photos, then the voice message.
	N    int       `json:"n"`
	Kind MediaKind `json:"kind"`
	// Status is pending (being copied), stored, failed (Error says why)
	// or erased (with the resident).
	Status      string `json:"status"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size,omitempty"`
	// Error is why there is no copy, or why the last try failed.
	Error string `json:"error,omitempty"`
}

// Receipt is what filing returns.
type Receipt struct {
	Ticket Ticket
	// SameIssue counts the other households (openid, else phone) with an
	// open ticket of the same category and place (building and unit, or
	// public place) and a similar description from the last 24 hours
	// ("本楼已有 N 户反映同类问题"); the ticket is then linked (ParentID).
	SameIssue int
	// Repeat is set when the draft's Key had filed Ticket before: nothing
	// new was filed or notified, and SameIssue is 0.
	Repeat bool
}

// ActionKind is a staff action on a ticket.
type ActionKind string

// Staff actions (WeChat commands and the admin API share them).
const (
	ActAccept   ActionKind = "accept"   // 受理
	ActResolve  ActionKind = "resolve"  // 办结
	ActReturn   ActionKind = "return"   // 退回
	ActTransfer ActionKind = "transfer" // 转派
	ActNote     ActionKind = "note"     // a note on the timeline
	ActAsk      ActionKind = "ask"      // 回复: a question to the resident
)

// Action is a staff action on the ticket Number.
type Action struct {
	Number string
	Kind   ActionKind
	// By is the acting staff member (0 for an admin API token).
	By   int64
	Note string
	// Tell relays Note to the resident as well (退回 with a reason meant
	// for them: "请补充照片"); an ask always does.
	Tell bool
	// To names the new assignee of a transfer (staff name), or ToID.
	To   string
	ToID int64
}

// Service is what conversations need from service requests. Errors meant
// for the person are *bot.UserError; unknown tickets are bot.ErrNotFound.
// Access is the service's to decide (community's policy), never the
// caller's.
type Service interface {
	Categories() []Category
	// Submit files d. A repeat of a Draft.Key already filed returns that
	// ticket (Receipt.Repeat) however the draft changed since.
	Submit(ctx context.Context, d Draft) (Receipt, error)
	// MayFile returns a *bot.UserError saying why when the resident may
	// not file another request now (they filed the day's limit), so a
	// conversation can say so before asking anything.
	MayFile(ctx context.Context, openid string) error
	// Mine lists the resident's tickets, newest first.
	Mine(ctx context.Context, openid string, limit int) ([]Ticket, error)
	// View returns a ticket with its timeline for the person with openid:
	// bot.ErrNotFound unless the access policy lets them read it. The
	// resident's phone is left in only for staff who may act on it (to
	// call them).
	View(ctx context.Context, openid, number string) (Ticket, []Entry, error)
	// Urge (催办) the resident's own ticket once its response deadline
	// passed; it notifies the handler and their supervisor.
	Urge(ctx context.Context, openid, number string) (Ticket, error)
	// Supplement adds the resident's text to their own ticket and notifies
	// the handler.
	Supplement(ctx context.Context, openid, number, text string) (Ticket, error)
	// AwaitingRating returns the resident's most recently resolved,
	// unrated ticket (the push they are answering), or bot.ErrNotFound.
	AwaitingRating(ctx context.Context, openid string) (Ticket, error)
	// Rate rates the resident's resolved ticket; 3 reopens it.
	Rate(ctx context.Context, openid, number string, rating int) (Ticket, error)
	// RateWhy rates it with the resident's reason (for 不满意), which goes
	// on the timeline and into the staff's notices before it reopens.
	RateWhy(ctx context.Context, openid, number string, rating int, reason string) (Ticket, error)
	// Todo lists a staff member's open tickets, overdue first.
	Todo(ctx context.Context, staffID int64) ([]Ticket, error)
	// Copies lists the open tickets a 楼栋长 or 单元长 was copied on (those
	// of their building or unit), newest first, without the resident's
	// name and phone.
	Copies(ctx context.Context, staffID int64) ([]Ticket, error)
	// Act performs a staff action, with the same rules for WeChat and the
	// admin API, and notifies those concerned.
	Act(ctx context.Context, a Action) (Ticket, error)
}

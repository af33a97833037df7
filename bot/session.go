package bot

import (
	"context"
	"encoding/json"
	"regexp"
	"time"
)

// SessionVersion is the schema version of Session as stored. A store that
// finds another version drops the session rather than misreading it.
const SessionVersion = 1

// SessionTTL is how long an idle conversation is kept when it holds no
// form (photos held for the next request, the moments after a
// submission), and how long a pause may last before a resident coming
// back to a form is asked whether to go on with it.
const SessionTTL = 30 * time.Minute

// DraftTTL is how long an unfinished form is kept (a session with Flow or
// Draft set): a resident called away for the afternoon finds it again.
const DraftTTL = 24 * time.Hour

// Session is the conversation state of one resident: one JSON value in the
// session store.
type Session struct {
	// V is the schema version (SessionVersion).
	V int `json:"v"`
	// Rev is the revision, increased by every successful Save; a Save whose
	// Rev does not match the stored one fails with ErrConflict.
	Rev    int64  `json:"rev"`
	OpenID string `json:"openid"`
	// Flow is the name of the active flow; empty when none.
	Flow string `json:"flow,omitempty"`
	// Step is the key of the current step; StepConfirm at the summary,
	// StepEdit while choosing what to change.
	Step string `json:"step,omitempty"`
	// Answers holds the answers given so far, by step key.
	Answers map[string]Answer `json:"answers,omitempty"`
	// Choices are the numbered choices shown with the current prompt, so
	// that "2" means what the resident saw even if the list has changed.
	Choices []Choice `json:"choices,omitempty"`
	// Suggested is the remembered value offered with the current prompt
	// ("回复 1 使用 138****8000").
	Suggested *Answer `json:"suggested,omitempty"`
	// Strikes counts bad answers to the current step.
	Strikes int `json:"strikes,omitempty"`
	// Editing is set while the resident re-answers one step after 修改; the
	// flow returns to the summary afterwards.
	Editing bool `json:"editing,omitempty"`
	// Param is the parameter a flow was started with (e.g. a QR scene's).
	Param string `json:"param,omitempty"`
	// Key identifies what the flow submits (State.DraftKey): random, made
	// when the flow starts and kept until it ends.
	Key string `json:"key,omitempty"`
	// Done, kept without an active flow for a short while after a flow
	// completed, says what it made: a stray "1" sent then (a double-sent
	// confirmation) must not start menu item 1.
	Done *Done `json:"done,omitempty"`
	// Held are photos sent while no flow was waiting for one ("media:" or
	// PicUrl references), kept for the next flow that takes them
	// (State.TakeHeld): a resident often sends the photo before 报修.
	Held []string `json:"held,omitempty"`
	// Pending is the numbered question the router asked outside a flow
	// when it was unsure what a message meant ("您是想：1 … 2 …").
	Pending *Pending `json:"pending,omitempty"`
	// Draft is a form put aside, not lost: another flow started in the
	// middle of it, or the resident came back after a pause and did
	// something else. Only its flow fields are used (Flow, Step, Answers,
	// Choices, Suggested, Editing, Param, Key, Data, StartedAt and
	// UpdatedAt, the time of its last answer). 继续 takes it up again;
	// it is dropped by 取消 or DraftTTL after its last answer. One draft
	// is kept: the newest.
	Draft *Session `json:"draft,omitempty"`
	// Resume is set while the question "继续上次的诉求？1 继续 2 重新开始"
	// about Draft awaits its answer.
	Resume bool `json:"resume,omitempty"`
	// Data is free room for flows that need more than answers.
	Data      map[string]json.RawMessage `json:"data,omitempty"`
	StartedAt time.Time                  `json:"started_at"`
	UpdatedAt time.Time                  `json:"updated_at"`
}

// HoldsForm reports whether s holds an unfinished form, active or put
// aside: such a session is kept DraftTTL, and its expiry is told.
func (s *Session) HoldsForm() bool { return s.Flow != "" || s.Draft != nil }

// Done is what a completed flow made (Session.Done).
type Done struct {
	Flow string `json:"flow"`
	// Ref names the record made ("2611260001"), when the flow gave one
	// (State.SetRef).
	Ref string    `json:"ref,omitempty"`
	At  time.Time `json:"at"`
}

// Pending is a question the router asked about what a message meant: the
// intents offered, in the order numbered, and the message itself.
type Pending struct {
	Intents []string  `json:"intents"`
	Said    string    `json:"said"`
	At      time.Time `json:"at"`
}

// Answer is one answered step: the value kept and the text shown back.
type Answer struct {
	Value   string   `json:"v"`
	Display string   `json:"d,omitempty"`
	Items   []string `json:"items,omitempty"`
}

// Shown returns the text to show for a.
func (a Answer) Shown() string {
	if a.Display != "" {
		return a.Display
	}
	return a.Value
}

// Choice is one numbered option offered to the resident.
type Choice struct {
	Value string `json:"v"`
	Label string `json:"l"`
}

// SessionStore keeps one Session per resident.
//
// A session holding a form (Flow or Draft set) lives DraftTTL after its
// last Save; any other session (photos held, a submission just made)
// SessionTTL. The router, not the store, notices a shorter pause in a form
// (Session.UpdatedAt) and asks whether to go on with it.
//
// Implementations: storage/redisstate (Redis, shared by all instances) and
// MemorySessions (one process; tests and tools).
type SessionStore interface {
	// Load returns the resident's session. Returns ErrNotFound when there is
	// none; expired is true (once) when there was one holding a form (Flow
	// or Draft set when last saved) that timed out since the resident's
	// last message. A session without a form expires silently. A store
	// that lost its data a short while ago may return ErrStateLost (which
	// wraps ErrNotFound) with expired true, once per resident: the form
	// they were filling in may be gone.
	Load(ctx context.Context, openid string) (s *Session, expired bool, err error)
	// Save stores s, if s.Rev equals the stored revision (0 for a new
	// session), and increments s.Rev; it lives DraftTTL when s holds a
	// form (HoldsForm), SessionTTL otherwise (stores may be configured
	// with other lifetimes for tests). Returns ErrConflict otherwise.
	Save(ctx context.Context, s *Session) error
	// Delete ends the resident's session without leaving an expiry notice.
	Delete(ctx context.Context, openid string) error
}

// Resident is what the community knows about a person writing to the account.
type Resident struct {
	OpenID string `db:"openid" json:"openid"`
	Name   string `db:"name" json:"name"`
	Phone  string `db:"phone" json:"phone"`
	// Address is the building/unit/room as the resident gave it, normalised
	// ("3号楼2单元201").
	Address string `db:"address" json:"address"`
	// Role is the resident's relation to the household (户主, 家庭成员, 租户).
	Role string `db:"role" json:"role"`
	// Note records special needs (living alone, limited mobility).
	Note           string     `db:"note" json:"note"`
	Subscribed     bool       `db:"subscribed" json:"subscribed"`
	SubscribedAt   *time.Time `db:"subscribed_at" json:"subscribed_at,omitempty"`
	UnsubscribedAt *time.Time `db:"unsubscribed_at" json:"unsubscribed_at,omitempty"`
	CreatedAt      time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time  `db:"updated_at" json:"updated_at"`
}

// MaskPhone shows a mainland mobile number as 138****8000, for logs and for
// offering a remembered number back to its owner.
func MaskPhone(p string) string {
	if len(p) < 7 {
		return "****"
	}
	return p[:3] + "****" + p[len(p)-4:]
}

// MaskName shows a name as its first character and one star (王芳 → 王*),
// for text more people than its owner may read: enough for staff to greet
// someone they already know, not to identify a stranger.
func MaskName(name string) string {
	for _, r := range name {
		return string(r) + "*"
	}
	return ""
}

// MaskAddress shows an address as stored (normalised to 3号楼2单元201室)
// as its building only (3号楼): a unit and room identify a household. An
// address in any other form shows nothing, since what part of it is the
// building cannot be told.
func MaskAddress(a string) string {
	return buildingPrefix.FindString(a)
}

var buildingPrefix = regexp.MustCompile(`^\d{1,3}号楼`)

// ShortID shortens an openid for logs: enough to correlate, not to identify.
func ShortID(openid string) string {
	if len(openid) <= 8 {
		return openid
	}
	return openid[:4] + "…" + openid[len(openid)-4:]
}

// Residents is what the core needs to know about residents.
type Residents interface {
	// Resident returns the resident with openid. Returns ErrNotFound if the
	// community has no record of them.
	Resident(ctx context.Context, openid string) (Resident, error)
	// SaveProfile creates or updates the resident's name, phone, address,
	// role and note, leaving the subscription fields as they are.
	SaveProfile(ctx context.Context, r Resident) error
	// SetSubscribed records a follow (true) or unfollow (false) at the given
	// time, creating the resident when unknown.
	SetSubscribed(ctx context.Context, openid string, subscribed bool, at time.Time) error
}

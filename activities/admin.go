package activities

// This file is what staff do to activities through the admin API
// (handlers/activities.go): list and edit them, cancel them, message the
// people coming, and make the QR codes for posters. Like the rest of the
// service, each change owns one transaction that first locks the
// activity's row.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/storage"
)

// Timeline actions of staff's changes to the activity itself.
const (
	actionEdited            = "edited"             // fields changed (note: which)
	actionMoved             = "moved"              // the time changed (note: old → new)
	actionRelocated         = "relocated"          // the place changed (note: old → new)
	actionActivityCancelled = "activity_cancelled" // cancelled by staff (note: the reason)
	actionNotified          = "notified"           // staff messaged the people coming
)

// Notice kinds of staff's news to participants.
const (
	kindMoved     = "activity_moved"
	kindCancelled = "activity_cancelled"
	kindNotice    = "activity_notice"
)

// Limits of what staff type.
const (
	maxReason = 200
	maxNotice = 500
)

// View is which activities a staff list shows (storage.ActivityView):
// "upcoming" (open, not ended; soonest first), "past" (open, ended;
// latest first) or "cancelled" (latest first).
type View = storage.ActivityView

// Views staff may list.
var Views = []View{storage.ViewUpcoming, storage.ViewPast, storage.ViewCancelled}

// List returns the activities of view.
func (s *Service) List(ctx context.Context, view View) ([]activity.Activity, error) {
	known := false
	for _, v := range Views {
		known = known || v == view
	}
	if !known {
		return nil, bot.FieldError("status", "must be one of upcoming, past, cancelled")
	}
	return s.store.ActivitiesIn(ctx, view, s.now())
}

// Calendar returns the activities of the public calendar: those not ended,
// cancelled ones included (so that calendars which copied them learn of
// it), soonest first.
func (s *Service) Calendar(ctx context.Context) ([]activity.Activity, error) {
	return s.store.ActivitiesIn(ctx, storage.ViewCalendar, s.now())
}

// Roster returns the activity and all its sign-ups, cancelled ones too,
// in arrival order; an unknown activity is not found.
func (s *Service) Roster(ctx context.Context, id int64) (activity.Activity, []activity.Signup, error) {
	a, err := s.Activity(ctx, id)
	if err != nil {
		return activity.Activity{}, nil, err
	}
	sus, err := s.store.ActivitySignups(ctx, id)
	if err != nil {
		return activity.Activity{}, nil, fmt.Errorf("activities.Roster(%d): %w", id, err)
	}
	return a, sus, nil
}

// errNoOrganizer is what an organizer_id that is not an active staff
// member gets.
var errNoOrganizer = bot.FieldError("organizer_id", "没有这位在职工作人员")

// checkOrganizer checks that id (0: none) is an active staff member;
// staff is the store's or the transaction's Staff.
func checkOrganizer(ctx context.Context, id int64, staff func(ctx context.Context, id int64) (community.Staff, error)) error {
	if id == 0 {
		return nil
	}
	if id < 0 {
		return errNoOrganizer
	}
	st, err := staff(ctx, id)
	if errors.Is(err, bot.ErrNotFound) || (err == nil && !st.Active) {
		return errNoOrganizer
	}
	return err
}

// Plan creates an activity for staff (Create), after checking that its
// organiser is an active staff member.
func (s *Service) Plan(ctx context.Context, a activity.Activity) (activity.Activity, error) {
	if err := checkOrganizer(ctx, a.OrganizerID, s.store.Staff); err != nil {
		return activity.Activity{}, err
	}
	return s.Create(ctx, a)
}

// Bounds of what staff type into an activity: what the database column
// holds, what a push, a template field and a poster can carry, and what a
// resident can be asked to choose from by number. A description is shown
// in one WeChat message (about 2048 bytes, 3 a character) with the time,
// the place and the question after it.
const (
	MaxCapacity    = 100000
	MaxParty       = 99
	maxTitle       = 100
	maxLocation    = 200
	maxDescription = 500
	maxKey         = 64
	maxLabel       = 100
	maxChoices     = 20
	maxChoice      = 50
)

// oneLine reports whether s is one line of at most n characters, without
// control characters (a CR or a NUL would break a push, the calendar's
// lines or the database).
func oneLine(s string, n int) bool {
	return utf8.RuneCountInString(s) <= n && !strings.ContainsFunc(s, unicode.IsControl)
}

// lines returns s trimmed, each CRLF or CR a line break, and whether it
// is free of control characters other than line breaks and tabs.
func lines(s string) (string, bool) {
	s = strings.TrimSpace(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s))
	return s, !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' })
}

// validate checks a for Create and Update, trimming its title, place,
// questions and choices, and keeping its description's lines and tabs but
// no CR (a CRLF is one line break).
func validate(a *activity.Activity) error {
	a.Title, a.Location = strings.TrimSpace(a.Title), strings.TrimSpace(a.Location)
	description, clean := lines(a.Description)
	a.Description = description
	switch {
	case a.Title == "":
		return bot.FieldError("title", "请填写活动名称")
	case !oneLine(a.Title, maxTitle):
		return bot.FieldError("title", fmt.Sprintf("活动名称须为一行，最多 %d 字", maxTitle))
	case !oneLine(a.Location, maxLocation):
		return bot.FieldError("location", fmt.Sprintf("地点须为一行，最多 %d 字", maxLocation))
	case utf8.RuneCountInString(a.Description) > maxDescription || !clean:
		return bot.FieldError("description", fmt.Sprintf("介绍最多 %d 字，不能含控制字符", maxDescription))
	case a.StartsAt.IsZero():
		return bot.FieldError("starts_at", "请填写开始时间")
	case !a.EndsAt.After(a.StartsAt):
		return bot.FieldError("ends_at", "结束时间须晚于开始时间")
	case a.Capacity < 0:
		return bot.FieldError("capacity", "名额不能为负数")
	case a.Capacity > MaxCapacity:
		return bot.FieldError("capacity", fmt.Sprintf("名额最多 %d", MaxCapacity))
	case a.MaxParty < 1 || a.MaxParty > MaxParty:
		return bot.FieldError("max_party", fmt.Sprintf("每次报名人数须在 1 到 %d 之间", MaxParty))
	case a.SignupDeadline != nil && a.SignupDeadline.After(a.StartsAt):
		return bot.FieldError("signup_deadline", "报名截止时间不能晚于开始时间")
	case len(a.Questions) > activity.MaxQuestions:
		return bot.FieldError("questions", fmt.Sprintf("最多 %d 个问题", activity.MaxQuestions))
	}
	seen := map[string]bool{}
	qs := make([]activity.Question, len(a.Questions))
	for i, q := range a.Questions {
		bad := func(why string) error {
			return bot.FieldError("questions", fmt.Sprintf("第 %d 个问题%s", i+1, why))
		}
		q.Key, q.Label = strings.TrimSpace(q.Key), strings.TrimSpace(q.Label)
		if q.Key == "" || q.Label == "" || seen[q.Key] {
			return bad("须有唯一的 key 和 label")
		}
		if !oneLine(q.Key, maxKey) || !oneLine(q.Label, maxLabel) {
			return bad(fmt.Sprintf("的 key（最多 %d 字）和 label（最多 %d 字）须为一行", maxKey, maxLabel))
		}
		seen[q.Key] = true
		if len(q.Choices) > maxChoices {
			return bad(fmt.Sprintf("最多 %d 个选项", maxChoices))
		}
		var choices []string
		for _, c := range q.Choices {
			c = strings.TrimSpace(c)
			if c == "" || !oneLine(c, maxChoice) || slices.Contains(choices, c) {
				return bad(fmt.Sprintf("的选项须各不相同，不能为空，每个为一行、最多 %d 字", maxChoice))
			}
			choices = append(choices, c)
		}
		q.Choices = choices
		qs[i] = q
	}
	a.Questions = qs
	return nil
}

// Patch is a change staff make to an activity: the fields set change.
type Patch struct {
	Title       *string
	Description *string
	Location    *string
	StartsAt    *time.Time
	EndsAt      *time.Time
	Capacity    *int
	MaxParty    *int
	// SetDeadline replaces the sign-up deadline with SignupDeadline (nil:
	// sign-up closes when the activity starts).
	SetDeadline    bool
	SignupDeadline *time.Time
	Questions      *[]activity.Question
	// OrganizerID, when set, replaces the organiser (0: none).
	OrganizerID *int64
}

// Empty reports whether p changes nothing.
func (p Patch) Empty() bool {
	return p.Title == nil && p.Description == nil && p.Location == nil && p.StartsAt == nil && p.EndsAt == nil &&
		p.Capacity == nil && p.MaxParty == nil && !p.SetDeadline && p.Questions == nil && p.OrganizerID == nil
}

// apply returns a changed by p, and the names of the fields that changed.
func (p Patch) apply(a activity.Activity) (activity.Activity, []string) {
	var changed []string
	set := func(name string, differs bool) {
		if differs {
			changed = append(changed, name)
		}
	}
	if p.Title != nil {
		set("title", *p.Title != a.Title)
		a.Title = *p.Title
	}
	if p.Description != nil {
		set("description", *p.Description != a.Description)
		a.Description = *p.Description
	}
	if p.Location != nil {
		set("location", *p.Location != a.Location)
		a.Location = *p.Location
	}
	if p.StartsAt != nil {
		t := p.StartsAt.UTC().Truncate(time.Microsecond)
		set("starts_at", !t.Equal(a.StartsAt))
		a.StartsAt = t
	}
	if p.EndsAt != nil {
		t := p.EndsAt.UTC().Truncate(time.Microsecond)
		set("ends_at", !t.Equal(a.EndsAt))
		a.EndsAt = t
	}
	if p.Capacity != nil {
		set("capacity", *p.Capacity != a.Capacity)
		a.Capacity = *p.Capacity
	}
	if p.MaxParty != nil {
		set("max_party", *p.MaxParty != a.MaxParty)
		a.MaxParty = *p.MaxParty
	}
	if p.SetDeadline {
		var d *time.Time
		if p.SignupDeadline != nil {
			t := p.SignupDeadline.UTC().Truncate(time.Microsecond)
			d = &t
		}
		set("signup_deadline", (d == nil) != (a.SignupDeadline == nil) || (d != nil && !d.Equal(*a.SignupDeadline)))
		a.SignupDeadline = d
	}
	if p.Questions != nil {
		changed = append(changed, "questions")
		a.Questions = *p.Questions
	}
	if p.OrganizerID != nil {
		set("organizer_id", *p.OrganizerID != a.OrganizerID)
		a.OrganizerID = *p.OrganizerID
	}
	return a, changed
}

// Update changes the activity as p says, in one transaction. A cancelled
// activity cannot change (conflict), nor can the capacity fall below the
// seats held (conflict naming capacity). Seats a raised capacity adds go
// to the waiting list (as SetCapacity); offers held past an earlier
// close are confirmed (settleOffers); a new time re-plans the
// reminders of everyone holding seats and tells every participant
// (confirmed, offered, waitlisted) the old and the new time.
func (s *Service) Update(ctx context.Context, id int64, p Patch) (activity.Activity, error) {
	var out activity.Activity
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		now := s.now()
		old, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.Status == activity.ActivityCancelled {
			return bot.Refuse("「%s」已取消，不能修改", old.Title)
		}
		a, changed := p.apply(old)
		if err := validate(&a); err != nil {
			return err
		}
		if p.OrganizerID != nil {
			if err := checkOrganizer(ctx, a.OrganizerID, tx.Staff); err != nil {
				return err
			}
		}
		a.UpdatedAt = now
		ok, err := tx.UpdateActivity(ctx, a)
		if err != nil {
			return err
		}
		if !ok {
			return &bot.UserError{Code: bot.CodeConflict, Field: "capacity",
				Message: fmt.Sprintf("已占用 %d 个名额，名额不能少于 %d", old.SeatsTaken, old.SeatsTaken)}
		}
		if err := s.noteChanges(ctx, tx, old, a, changed, now); err != nil {
			return err
		}
		if err := s.settleOffers(ctx, tx, a, now); err != nil {
			return err
		}
		if err := s.promote(ctx, tx, id, now); err != nil {
			return err
		}
		if out, err = tx.Activity(ctx, id); err != nil {
			return err
		}
		if old.StartsAt.Equal(out.StartsAt) && old.EndsAt.Equal(out.EndsAt) && old.Location == out.Location {
			return nil
		}
		return s.moved(ctx, tx, old, out)
	})
	if err != nil {
		return activity.Activity{}, fmt.Errorf("activities.Update(%d): %w", id, err)
	}
	return out, nil
}

// settleOffers confirms at once the offers of a held past its sign-up's
// close (staff brought the deadline or the start forward), as promote
// confirms a promotion when less than the hold is left: an offer never
// outlasts sign-up.
func (s *Service) settleOffers(ctx context.Context, tx *storage.Tx, a activity.Activity, now time.Time) error {
	sus, err := tx.ActivitySignups(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, su := range sus {
		if su.Status != activity.Offered || su.OfferedUntil == nil || !su.OfferedUntil.After(a.Closes()) {
			continue
		}
		ok, err := tx.SetSignupStatus(ctx, su.ID, activity.Offered, activity.Confirmed, nil, now)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("sign-up %d changed under the lock", su.ID)
		}
		if err := tx.AddActivityEntry(ctx, a.ID, activity.Entry{At: now, SignupID: su.ID, Actor: actorSystem,
			Action: activity.ActionPromoted, Note: "报名截止提前，名额保留直接确认"}); err != nil {
			return err
		}
		// In the resident's news of the activity: it replaces the offer.
		if err := s.tell(ctx, tx, su, kindPromoted, promotedText(a, su), ""); err != nil {
			return err
		}
		su.Status, su.OfferedUntil = activity.Confirmed, nil
		if err := s.planReminders(ctx, tx, a, []activity.Signup{su}); err != nil {
			return err
		}
	}
	return nil
}

// noteChanges adds the timeline's lines for an edit from old to a.
func (s *Service) noteChanges(ctx context.Context, tx *storage.Tx, old, a activity.Activity, changed []string, now time.Time) error {
	var rest []string
	for _, f := range changed {
		var e activity.Entry
		switch f {
		case "capacity":
			e = activity.Entry{Action: activity.ActionCapacity, Note: fmt.Sprintf("%d → %d", old.Capacity, a.Capacity)}
		case "starts_at", "ends_at":
			continue // one line for both, below
		case "location":
			e = activity.Entry{Action: actionRelocated, Note: old.Location + " → " + a.Location}
		default:
			rest = append(rest, f)
			continue
		}
		e.At, e.Actor = now, actorStaff
		if err := tx.AddActivityEntry(ctx, a.ID, e); err != nil {
			return err
		}
	}
	if !old.StartsAt.Equal(a.StartsAt) || !old.EndsAt.Equal(a.EndsAt) {
		e := activity.Entry{At: now, Actor: actorStaff, Action: actionMoved, Note: span(old) + " → " + span(a)}
		if err := tx.AddActivityEntry(ctx, a.ID, e); err != nil {
			return err
		}
	}
	if len(rest) == 0 {
		return nil
	}
	return tx.AddActivityEntry(ctx, a.ID, activity.Entry{At: now, Actor: actorStaff, Action: actionEdited, Note: strings.Join(rest, ", ")})
}

// span formats when a runs: "12-01 周二 09:00-11:00", or both ends in full
// when it ends on another day.
func span(a activity.Activity) string {
	start, end := a.StartsAt.In(bot.Shanghai), a.EndsAt.In(bot.Shanghai)
	if start.Format(time.DateOnly) == end.Format(time.DateOnly) {
		return when(start) + "-" + end.Format("15:04")
	}
	return when(start) + " 至 " + when(end)
}

// participants are the sign-ups still counting: confirmed, offered,
// waitlisted and attended.
func participants(sus []activity.Signup) []activity.Signup {
	var out []activity.Signup
	for _, su := range sus {
		if su.Status.Active() {
			out = append(out, su)
		}
	}
	return out
}

// moved re-plans the reminders of a when its time moved (from old's) and
// tells everyone coming or waiting of the new time, place or both.
func (s *Service) moved(ctx context.Context, tx *storage.Tx, old, a activity.Activity) error {
	sus, err := tx.ActivitySignups(ctx, a.ID)
	if err != nil {
		return err
	}
	timeMoved := !old.StartsAt.Equal(a.StartsAt) || !old.EndsAt.Equal(a.EndsAt)
	if timeMoved {
		var holders []activity.Signup
		for _, su := range sus {
			if su.Status.HoldsSeats() && su.Status != activity.Attended {
				holders = append(holders, su)
			}
		}
		if err := s.planReminders(ctx, tx, a, holders); err != nil {
			return err
		}
	}
	// The notices' keys count the changes (each has its timeline line,
	// under the lock): a move back to a time used before is news again,
	// not a repeat of the notice that time had.
	timeline, err := tx.ActivityTimeline(ctx, a.ID)
	if err != nil {
		return err
	}
	change := 0
	for _, e := range timeline {
		if e.Action == actionMoved || e.Action == actionRelocated {
			change++
		}
	}
	text := changedText(old, a, timeMoved)
	for _, su := range participants(sus) {
		if su.Status == activity.Attended {
			continue
		}
		// The group names the activity only: the ledger matches it with
		// the recipient, and an erasure blanks recipients, not groups.
		if err := s.news(ctx, tx, su, kindMoved, text,
			fmt.Sprintf("%s:%d:%d", kindMoved, su.ID, change),
			fmt.Sprintf("activity:%d:moved", a.ID)); err != nil {
			return err
		}
	}
	return nil
}

// changedText tells participants the new time, place or both of a (was
// old).
func changedText(old, a activity.Activity, timeMoved bool) string {
	const tail = "\n如不能参加，请回复「取消报名」。"
	switch {
	case timeMoved && old.Location != a.Location:
		return fmt.Sprintf("「%s」时间和地点有变：\n时间改为 %s（原定 %s）\n地点改为 %s（原定 %s）"+tail,
			a.Title, span(a), span(old), a.Location, old.Location)
	case timeMoved:
		place := ""
		if a.Location != "" {
			place = "\n地点：" + a.Location
		}
		return fmt.Sprintf("「%s」时间有变：\n原定 %s\n改为 %s%s"+tail, a.Title, span(old), span(a), place)
	}
	return fmt.Sprintf("「%s」地点有变：\n原定 %s\n改为 %s\n时间：%s"+tail, a.Title, old.Location, a.Location, span(a))
}

// news queues text for su's resident with its own key and group
// (replaces; "" for none), in tx; a sign-up without WeChat has nobody to
// tell.
func (s *Service) news(ctx context.Context, tx *storage.Tx, su activity.Signup, kind, text, key, replaces string) error {
	if s.outbox == nil || su.OpenID == "" {
		return nil
	}
	n := bot.Notice{Kind: kind, To: su.OpenID, About: su.OpenID, Text: text, Key: key, Replaces: replaces, URL: signupsPage}
	if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
		return fmt.Errorf("queueing %s: %w", kind, err)
	}
	return nil
}

// CancelActivity cancels the activity for reason (required), in one
// transaction: nobody may sign up or is promoted any more, offers not yet
// answered are withdrawn (their seats freed, so that they can neither be
// accepted nor lapse), and every participant is told, the reason
// included. Confirmed and waitlisted sign-ups stay as they were, for the
// record. Cancelling twice is a conflict.
func (s *Service) CancelActivity(ctx context.Context, id int64, reason string) (activity.Activity, error) {
	reason, clean := lines(reason)
	switch {
	case !clean:
		return activity.Activity{}, bot.FieldError("reason", "取消原因不能含控制字符")
	case reason == "":
		return activity.Activity{}, bot.FieldError("reason", "请填写取消原因，会告知报名的居民")
	case utf8.RuneCountInString(reason) > maxReason:
		return activity.Activity{}, bot.FieldError("reason", fmt.Sprintf("取消原因最多 %d 字", maxReason))
	}
	var out activity.Activity
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		now := s.now()
		a, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		ok, err := tx.SetActivityStatus(ctx, id, activity.ActivityOpen, activity.ActivityCancelled, now)
		if err != nil {
			return err
		}
		if !ok {
			return bot.Refuse("「%s」已取消", a.Title)
		}
		if err := tx.AddActivityEntry(ctx, id, activity.Entry{At: now, Actor: actorStaff, Action: actionActivityCancelled, Note: reason}); err != nil {
			return err
		}
		sus, err := tx.ActivitySignups(ctx, id)
		if err != nil {
			return err
		}
		text := fmt.Sprintf("抱歉，「%s」（%s）已取消。\n原因：%s", a.Title, span(a), reason)
		for _, su := range participants(sus) {
			if su.Status == activity.Offered {
				if err := s.withdraw(ctx, tx, su, now); err != nil {
					return err
				}
			}
			// In the resident's news of the activity: it drops an offer or
			// a promotion still held by quiet hours.
			if err := s.news(ctx, tx, su, kindCancelled, text, fmt.Sprintf("%s:%d", kindCancelled, su.ID),
				residentNews(id, su.OpenID)); err != nil {
				return err
			}
		}
		// Nobody holds seats of a cancelled activity to be reminded of:
		// given every sign-up, the planner drops the reminders quiet
		// hours still hold and plans none.
		if out, err = tx.Activity(ctx, id); err != nil {
			return err
		}
		return s.planReminders(ctx, tx, out, sus)
	})
	if err != nil {
		return activity.Activity{}, fmt.Errorf("activities.CancelActivity(%d): %w", id, err)
	}
	return out, nil
}

// withdraw cancels the offer su of a cancelled activity and frees its
// seats; nothing is promoted.
func (s *Service) withdraw(ctx context.Context, tx *storage.Tx, su activity.Signup, now time.Time) error {
	ok, err := tx.SetSignupStatus(ctx, su.ID, activity.Offered, activity.Cancelled, nil, now)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("sign-up %d changed under the lock", su.ID)
	}
	if err := tx.ReleaseSeats(ctx, su.ActivityID, su.PartySize, now); err != nil {
		return err
	}
	return tx.AddActivityEntry(ctx, su.ActivityID, activity.Entry{At: now, SignupID: su.ID, Actor: actorSystem,
		Action: activity.ActionCancelled, Note: "活动取消，名额保留撤回"})
}

// Notified is what Notify did.
type Notified struct {
	// Recipients counts the sign-ups addressed (confirmed and attended;
	// those made by staff, without WeChat, count but get nothing).
	Recipients int `json:"recipients"`
	// Repeat is set when the same message (the same key) was sent before:
	// nothing new was queued.
	Repeat bool `json:"repeat"`
}

// Notify sends text, headed by the activity's title, to everyone holding
// confirmed seats (confirmed and attended) through the outbox, in one
// transaction. key names the message for idempotency (an Idempotency-Key
// header); without one the text itself does, so that a request retried
// sends nothing twice, and the same text is sent once per activity. A
// cancelled activity sends nothing (conflict).
func (s *Service) Notify(ctx context.Context, id int64, text, key string) (Notified, error) {
	text, clean := lines(text)
	switch {
	case !clean:
		return Notified{}, bot.FieldError("text", "通知不能含控制字符")
	case text == "":
		return Notified{}, bot.FieldError("text", "请填写通知内容")
	case utf8.RuneCountInString(text) > maxNotice:
		return Notified{}, bot.FieldError("text", fmt.Sprintf("通知最多 %d 字", maxNotice))
	}
	if key == "" {
		key = "text:" + text
	} else {
		key = "key:" + key
	}
	sum := sha256.Sum256([]byte(key))
	tag := hex.EncodeToString(sum[:8])
	var out Notified
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		out = Notified{}
		now := s.now()
		a, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if a.Status == activity.ActivityCancelled {
			return bot.Refuse("「%s」已取消，不能再发通知", a.Title)
		}
		timeline, err := tx.ActivityTimeline(ctx, id)
		if err != nil {
			return err
		}
		for _, e := range timeline {
			if e.Action == actionNotified && strings.HasPrefix(e.Note, "#"+tag+" ") {
				out.Repeat = true
			}
		}
		sus, err := tx.ActivitySignups(ctx, id)
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("【%s】%s", a.Title, text)
		for _, su := range sus {
			if su.Status != activity.Confirmed && su.Status != activity.Attended {
				continue
			}
			out.Recipients++
			if err := s.news(ctx, tx, su, kindNotice, msg, fmt.Sprintf("%s:%d:%s", kindNotice, su.ID, tag), ""); err != nil {
				return err
			}
		}
		if out.Repeat {
			return nil
		}
		return tx.AddActivityEntry(ctx, id, activity.Entry{At: now, Actor: actorStaff, Action: actionNotified,
			Note: fmt.Sprintf("#%s %d 人：%s", tag, out.Recipients, text)})
	})
	if err != nil {
		return Notified{}, fmt.Errorf("activities.Notify(%d): %w", id, err)
	}
	return out, nil
}

// Scenes of an activity's posters' QR codes: "event" starts signing up
// for it (scene event:<id>), "checkin" checks the scanner in (scene
// checkin:<id>).
var Scenes = []string{"event", "checkin"}

// QRMaker makes WeChat's permanent parametric QR codes (wechat.Client).
type QRMaker interface {
	// PermanentQR makes the permanent QR code of a string scene and
	// returns its ticket and the URL it encodes.
	PermanentQR(ctx context.Context, scene string) (ticket, codeURL string, err error)
}

// ErrOffline is what asking for a QR code not made before gets with no
// real official account (development credentials).
var ErrOffline = errors.New("activities: no real WeChat official account (development credentials): QR codes cannot be made")

// ErrWeChat marks WeChat's failure to make a QR code.
var ErrWeChat = errors.New("WeChat did not make the QR code")

// showQRCode is where WeChat shows a QR code's picture
// (wechat.QRImageURL): anyone may fetch it, with the ticket escaped.
const showQRCode = "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket="

// QRCode is a poster's QR code.
type QRCode struct {
	Scene    string `json:"scene"`
	Ticket   string `json:"ticket"`
	URL      string `json:"url"`
	ImageURL string `json:"image_url"`
}

// Admin is the service with what only staff need from outside: the QR
// codes of posters.
type Admin struct {
	*Service
	// QR makes the codes; unused while Offline.
	QR QRMaker
	// Offline is set with development credentials: codes kept before are
	// shown, no new one is asked of WeChat (ErrOffline).
	Offline bool
}

// QRCode returns the permanent QR code of the activity's scene ("event"
// or "checkin"), made once and kept: WeChat allows an account 100 000
// permanent codes in all, so none is made for an activity cancelled or
// over (conflict).
func (ad *Admin) QRCode(ctx context.Context, id int64, scene string) (QRCode, error) {
	known := false
	for _, s := range Scenes {
		known = known || s == scene
	}
	if !known {
		return QRCode{}, bot.FieldError("scene", "must be event or checkin")
	}
	a, err := ad.Activity(ctx, id)
	if err != nil {
		return QRCode{}, err
	}
	kept, err := ad.store.ActivityQRCode(ctx, id, scene)
	if err == nil {
		return qrCode(kept), nil
	}
	if !errors.Is(err, bot.ErrNotFound) {
		return QRCode{}, fmt.Errorf("activities.QRCode(%d): %w", id, err)
	}
	switch {
	case a.Status == activity.ActivityCancelled:
		return QRCode{}, bot.Refuse("「%s」已取消，不再制作二维码", a.Title)
	case !ad.now().Before(a.EndsAt):
		return QRCode{}, bot.Refuse("「%s」已结束，不再制作二维码", a.Title)
	}
	if ad.Offline || ad.QR == nil {
		return QRCode{}, ErrOffline
	}
	ticket, codeURL, err := ad.QR.PermanentQR(ctx, fmt.Sprintf("%s:%d", scene, id))
	if err != nil {
		return QRCode{}, fmt.Errorf("activities.QRCode(%d): %w: %w", id, ErrWeChat, err)
	}
	r := storage.ActivityQR{ActivityID: id, Scene: scene, Ticket: ticket, URL: codeURL, CreatedAt: ad.now()}
	if err := ad.store.SaveActivityQRCode(ctx, r); err != nil {
		return QRCode{}, fmt.Errorf("activities.QRCode(%d): %w", id, err)
	}
	// Two requests at once both made one; the first kept wins.
	if kept, err = ad.store.ActivityQRCode(ctx, id, scene); err != nil {
		return QRCode{}, fmt.Errorf("activities.QRCode(%d): %w", id, err)
	}
	return qrCode(kept), nil
}

func qrCode(r storage.ActivityQR) QRCode {
	return QRCode{Scene: fmt.Sprintf("%s:%d", r.Scene, r.ActivityID), Ticket: r.Ticket, URL: r.URL,
		ImageURL: showQRCode + url.QueryEscape(r.Ticket)}
}

package console

// The events (活动) pages: the list (upcoming, past, cancelled, with how
// full each is), create and edit, the detail page with the sign-ups
// (roster and waiting list), check-in by code, messaging the people
// coming, cancelling, the roster's exports and a printable poster with
// the sign-up and check-in QR codes.
//
// Who sees what is the activities service's (activities.AccessTo, over
// bot/community's policy): those who dispatch (operator, admin,
// supervisor, duty) every event, an organiser their own. Every page that
// names an event asks it first; another's event is a 403 and shows
// nothing of it.

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/handlers"
	"github.com/tongxin/tongxin/handlers/web"
)

// eventRoutes registers the events pages.
func (c *Console) eventRoutes(mux *http.ServeMux) {
	if c.Activities == nil {
		return
	}
	h := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, c.auth(fn)) }
	h("GET "+Path+"/events", c.events)
	h("GET "+Path+"/events/new", c.newEvent)
	h("POST "+Path+"/events", c.createEvent)
	h("GET "+Path+"/events/{id}", c.event)
	h("GET "+Path+"/events/{id}/edit", c.editEvent)
	h("POST "+Path+"/events/{id}/edit", c.updateEvent)
	h("POST "+Path+"/events/{id}/cancel", c.cancelEvent)
	h("POST "+Path+"/events/{id}/checkin", c.checkinEvent)
	h("POST "+Path+"/events/{id}/notify", c.notifyEvent)
	h("GET "+Path+"/events/{id}/signups.csv", c.exportEvent)
	h("GET "+Path+"/events/{id}/signups.xlsx", c.exportEvent)
	h("GET "+Path+"/events/{id}/poster", c.posterEvent)
	h("GET "+Path+"/events/{id}/qr/{scene}", c.eventQR)
}

// SeesEvents reports whether the nav shows this area to w: those who may
// create events (activities.MayPlanAny: those who dispatch, and staff who
// work residents' records, for events they organise themselves). A
// volunteer named organiser of one still opens it from its link; the
// list shows them their own.
func (w Who) SeesEvents() bool { return activities.MayPlanAny(w.Viewer()) }

// eventRowOf is an event as the pages show it: with its organiser's name,
// the people waiting, and what the viewer may do with it.
type eventRow struct {
	activity.Activity
	Organizer string
	// Waiting and WaitingPeople count the waiting list's sign-ups and the
	// people they bring; Offered the people offered freed seats.
	Waiting, WaitingPeople, Offered int
	// Attended counts the people checked in.
	Attended int
	Access   activities.Access
	// Open is whether residents may still sign up.
	Open bool
	// Over is whether it has ended.
	Over bool
}

// Full reports whether every seat is held.
func (e eventRow) Full() bool { return e.Capacity > 0 && e.SeatsLeft() == 0 }

// Fill is the share of seats held, 0..1, for the list's bar.
func (e eventRow) Fill() float64 {
	if e.Capacity <= 0 {
		return 0
	}
	return float64(e.SeatsTaken) / float64(e.Capacity)
}

// FillWidth is Fill as a CSS width.
func (e eventRow) FillWidth() string { return fmt.Sprintf("%.0f%%", min(e.Fill(), 1)*100) }

// eventRowOf completes a with its sign-ups' numbers and the viewer's access.
func (c *Console) eventRowOf(a activity.Activity, sus []activity.Signup, who Who, names map[int64]string) eventRow {
	e := eventRow{Activity: a, Access: activities.AccessTo(who.Viewer(), a), Organizer: names[a.OrganizerID]}
	now := c.Now()
	e.Open, e.Over = a.OpenAt(now), !now.Before(a.EndsAt)
	for _, su := range sus {
		switch su.Status {
		case activity.Waitlisted:
			e.Waiting++
			e.WaitingPeople += su.PartySize
		case activity.Offered:
			e.Offered += su.PartySize
		case activity.Attended:
			e.Attended += su.PartySize
		}
	}
	return e
}

// organizerNames maps the staff's ids to their names, for organisers.
func (c *Console) organizerNames(r *http.Request) (map[int64]string, []community.Staff, error) {
	all, err := c.Community.ListStaff(r.Context())
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int64]string, len(all))
	for _, st := range all {
		names[st.ID] = st.Name
	}
	return names, all, nil
}

// eventViews are the list's tabs.
var eventViews = []struct{ View, Label string }{
	{"upcoming", "即将举行"}, {"past", "已结束"}, {"cancelled", "已取消"},
}

// eventsPage is the data of events.html.
type eventsPage struct {
	Page
	View    string
	Views   []struct{ View, Label string }
	Events  []eventRow
	MayPlan bool
}

// events serves GET /console/events?view=upcoming|past|cancelled.
func (c *Console) events(w http.ResponseWriter, r *http.Request) {
	who := WhoFrom(r.Context())
	view := r.URL.Query().Get("view")
	if view == "" {
		view = "upcoming"
	}
	if !slices.Contains(activities.Views, activities.View(view)) {
		c.fail(w, r, bot.FieldError("view", "没有这个分类"))
		return
	}
	list, err := c.Activities.List(r.Context(), activities.View(view))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	list = activities.Readable(who.Viewer(), list)
	names, _, err := c.organizerNames(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p := eventsPage{Page: c.page(r, "活动", "events"), View: view, Views: eventViews,
		MayPlan: activities.MayPlanAny(who.Viewer())}
	for _, a := range list {
		_, sus, err := c.Activities.Roster(r.Context(), a.ID)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		p.Events = append(p.Events, c.eventRowOf(a, sus, who, names))
	}
	c.render(w, r, "events.html", p)
}

// eventPath is an event's detail page.
func eventPath(id int64) string { return Path + "/events/" + strconv.FormatInt(id, 10) }

// eventFor reads the event of the request's {id} with the viewer's
// access, refusing (forbidden) one they may not read, or act on when act
// is set.
func (c *Console) eventFor(r *http.Request, act bool) (activity.Activity, activities.Access, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return activity.Activity{}, activities.Access{}, bot.ErrNotFound
	}
	a, err := c.Activities.Activity(r.Context(), id)
	if err != nil {
		return activity.Activity{}, activities.Access{}, err
	}
	acc := activities.AccessTo(WhoFrom(r.Context()).Viewer(), a)
	if !acc.Read || (act && !acc.Act) {
		return activity.Activity{}, activities.Access{}, activities.ErrNotYours
	}
	return a, acc, nil
}

// eventPage is the data of events_detail.html.
type eventPage struct {
	Page
	Event eventRow
	// Seated are the sign-ups holding seats or checked in; Waiting the
	// waiting list in order; Gone the cancelled ones.
	Seated, Waiting, Gone []activity.Signup
	Timeline              []timelineLine
	// Closes is when sign-up closes.
	Closes time.Time
}

// event serves GET /console/events/{id}: the event, its sign-ups, the
// check-in and notice forms, cancelling.
func (c *Console) event(w http.ResponseWriter, r *http.Request) {
	a, acc, err := c.eventFor(r, false)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	a, sus, err := c.Activities.Roster(r.Context(), a.ID)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	tl, err := c.Activities.Timeline(r.Context(), a.ID)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	names, _, err := c.organizerNames(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	who := WhoFrom(r.Context())
	p := eventPage{Page: c.page(r, a.Title, "events"), Event: c.eventRowOf(a, sus, who, names), Closes: a.Closes()}
	for _, su := range activities.ForViewer(acc, sus) {
		switch {
		case su.Status == activity.Waitlisted:
			p.Waiting = append(p.Waiting, su)
		case su.Status.Active():
			p.Seated = append(p.Seated, su)
		default:
			p.Gone = append(p.Gone, su)
		}
	}
	slices.SortStableFunc(p.Waiting, func(x, y activity.Signup) int { return x.Position - y.Position })
	// Newest first: what changed last is what staff look for.
	for _, e := range slices.Backward(tl) {
		label := actionLabels[e.Action]
		if label == "" {
			label = e.Action
		}
		if e.Action == "notified" {
			// The note starts with the message's idempotency tag
			// ("#1a2b… 3 人：…"), which means nothing to staff.
			if i := strings.IndexByte(e.Note, ' '); strings.HasPrefix(e.Note, "#") && i > 0 {
				e.Note = e.Note[i+1:]
			}
		}
		if e.Action == "edited" {
			// The note lists the fields changed by their API names.
			parts := strings.Split(e.Note, ", ")
			for i, f := range parts {
				if l, ok := eventFieldLabels[f]; ok {
					parts[i] = l
				}
			}
			e.Note = strings.Join(parts, "、")
		}
		p.Timeline = append(p.Timeline, timelineLine{Entry: e, Label: label})
	}
	c.render(w, r, "events_detail.html", p)
}

// timelineLine is an entry of the event's timeline with its action as
// staff read it.
type timelineLine struct {
	activity.Entry
	Label string
}

// actionLabels name the timeline's actions.
var actionLabels = map[string]string{
	activity.ActionSignedUp: "报名成功", activity.ActionWaitlisted: "进入候补", activity.ActionOffered: "递补待确认",
	activity.ActionPromoted: "递补成功", activity.ActionAccepted: "接受递补", activity.ActionDeclined: "放弃递补",
	activity.ActionLapsed: "递补过期", activity.ActionCancelled: "取消报名", activity.ActionCapacity: "修改名额",
	activity.ActionCheckedIn: "签到", "edited": "修改了活动", "moved": "改期", "relocated": "改地点",
	"activity_cancelled": "取消了活动", "notified": "发送通知",
}

// eventFields are the values of the create and edit form as typed: kept
// as they are when the service refuses them, so nothing typed is lost.
type eventFields struct {
	Title, Description, Location     string
	StartsAt, EndsAt, SignupDeadline string
	Capacity, MaxParty               string
	OrganizerID                      int64
	Questions                        string
}

// fieldsOf is a as the form shows it.
func fieldsOf(a activity.Activity) eventFields {
	f := eventFields{Title: a.Title, Description: a.Description, Location: a.Location,
		StartsAt: localInput(a.StartsAt), EndsAt: localInput(a.EndsAt),
		Capacity: strconv.Itoa(a.Capacity), MaxParty: strconv.Itoa(a.MaxParty),
		OrganizerID: a.OrganizerID, Questions: questionsText(a.Questions)}
	if a.SignupDeadline != nil {
		f.SignupDeadline = localInput(*a.SignupDeadline)
	}
	return f
}

func localInput(t time.Time) string { return t.In(bot.Shanghai).Format("2006-01-02T15:04") }

// readFields reads the form posted.
func readFields(r *http.Request) eventFields {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := eventFields{Title: v("title"), Description: r.PostFormValue("description"), Location: v("location"),
		StartsAt: v("starts_at"), EndsAt: v("ends_at"), SignupDeadline: v("signup_deadline"),
		Capacity: v("capacity"), MaxParty: v("max_party"), Questions: r.PostFormValue("questions")}
	f.OrganizerID, _ = strconv.ParseInt(v("organizer_id"), 10, 64)
	return f
}

// parsedEvent is a form's values read into the domain's types.
type parsedEvent struct {
	startsAt, endsAt   time.Time
	deadline           *time.Time
	capacity, maxParty int
	questions          []activity.Question
	description        string
}

// parse reads f; old are the event's questions before (their keys are
// kept for the labels that stay, so answers given stay attached).
func (f eventFields) parse(old []activity.Question) (parsedEvent, error) {
	var p parsedEvent
	var err error
	if p.startsAt, err = web.ParseLocal(f.StartsAt); err != nil {
		return p, bot.FieldError("starts_at", err.Error())
	}
	if p.endsAt, err = web.ParseLocal(f.EndsAt); err != nil {
		return p, bot.FieldError("ends_at", err.Error())
	}
	if f.SignupDeadline != "" {
		d, err := web.ParseLocal(f.SignupDeadline)
		if err != nil {
			return p, bot.FieldError("signup_deadline", err.Error())
		}
		p.deadline = &d
	}
	if p.capacity, err = strconv.Atoi(f.Capacity); err != nil {
		return p, bot.FieldError("capacity", "请填写名额（整数）")
	}
	p.maxParty = 1
	if f.MaxParty != "" {
		if p.maxParty, err = strconv.Atoi(f.MaxParty); err != nil {
			return p, bot.FieldError("max_party", "请填写每次报名最多几人（整数）")
		}
	}
	if p.questions, err = parseQuestions(f.Questions, old); err != nil {
		return p, err
	}
	p.description = strings.TrimSpace(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(f.Description))
	return p, nil
}

// optionalMark marks a question residents may skip, after its label.
const optionalMark = "（选填）"

// questionsText shows qs in the form's one-question-a-line notation:
// 餐饮（选填）：清真/普通.
func questionsText(qs []activity.Question) string {
	var b strings.Builder
	for _, q := range qs {
		b.WriteString(q.Label)
		if q.Optional {
			b.WriteString(optionalMark)
		}
		if len(q.Choices) > 0 {
			b.WriteString("：" + strings.Join(q.Choices, "/"))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// parseQuestions reads the questions' notation (questionsText): one
// question a line; a colon and choices separated by / make residents
// choose; （选填） after the label lets them skip it. A label of old keeps
// its key; a new one gets the first free q1, q2…
func parseQuestions(text string, old []activity.Question) ([]activity.Question, error) {
	var qs []activity.Question
	used := map[string]bool{}
	for _, q := range old {
		used[q.Key] = true
	}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		label, choices, _ := strings.Cut(strings.ReplaceAll(line, ":", "："), "：")
		label = strings.TrimSpace(label)
		q := activity.Question{}
		for _, mark := range []string{optionalMark, "(选填)"} {
			if l, ok := strings.CutSuffix(label, mark); ok {
				label, q.Optional = strings.TrimSpace(l), true
			}
		}
		q.Label = label
		for c := range strings.FieldsFuncSeq(choices, func(r rune) bool { return r == '/' || r == '／' || r == '、' }) {
			if c = strings.TrimSpace(c); c != "" {
				q.Choices = append(q.Choices, c)
			}
		}
		if i := slices.IndexFunc(old, func(o activity.Question) bool { return o.Label == label }); i >= 0 {
			q.Key = old[i].Key
		} else {
			for n := 1; ; n++ {
				if k := "q" + strconv.Itoa(n); !used[k] {
					q.Key = k
					break
				}
			}
		}
		used[q.Key] = true
		qs = append(qs, q)
	}
	if qs == nil {
		qs = []activity.Question{}
	}
	return qs, nil
}

// eventForm is the data of events_form.html.
type eventForm struct {
	Page
	// ID is the event edited (0: a new one).
	ID     int64
	Action string
	F      eventFields
	// ChooseOrganizer shows the organiser's choice (Staff); otherwise
	// the event is organised by OrganizerName.
	ChooseOrganizer bool
	Staff           []community.Staff
	OrganizerName   string
}

// form renders the create or edit form with f, and the error err when
// the last submission was refused.
func (c *Console) form(w http.ResponseWriter, r *http.Request, id int64, f eventFields, err error) {
	who := WhoFrom(r.Context())
	title, action := "新建活动", Path+"/events"
	if id != 0 {
		title, action = "修改活动", eventPath(id)+"/edit"
	}
	p := eventForm{Page: c.page(r, title, "events"), ID: id, Action: action, F: f,
		ChooseOrganizer: activities.MayChooseOrganizer(who.Viewer())}
	names, all, lerr := c.organizerNames(r)
	if lerr != nil {
		c.fail(w, r, lerr)
		return
	}
	for _, st := range all {
		if st.Active || st.ID == f.OrganizerID {
			p.Staff = append(p.Staff, st)
		}
	}
	p.OrganizerName = names[f.OrganizerID]
	status := http.StatusOK
	if err != nil {
		p.Error = c.fieldMessage(r, err)
		status = http.StatusBadRequest
		if bot.ErrorCode(err) == bot.CodeConflict {
			status = http.StatusConflict
		}
	}
	c.renderStatus(w, r, status, "events_form.html", p)
}

// eventFieldLabels name the form's fields in refusals.
var eventFieldLabels = map[string]string{
	"title": "活动名称", "description": "介绍", "location": "地点", "starts_at": "开始时间",
	"ends_at": "结束时间", "capacity": "名额", "max_party": "每次报名人数", "signup_deadline": "报名截止",
	"questions": "报名问题", "organizer_id": "组织者", "reason": "取消原因", "text": "通知内容", "code": "签到码",
}

// fieldMessage is err as the person reads it, the field named in Chinese.
func (c *Console) fieldMessage(r *http.Request, err error) string {
	return c.message(r, labelled(err, eventFieldLabels))
}

// newEvent serves GET /console/events/new.
func (c *Console) newEvent(w http.ResponseWriter, r *http.Request) {
	who := WhoFrom(r.Context())
	if !activities.MayPlanAny(who.Viewer()) {
		c.fail(w, r, ErrForbidden)
		return
	}
	c.form(w, r, 0, eventFields{MaxParty: "1", OrganizerID: who.Staff.ID}, nil)
}

// createEvent serves POST /console/events.
func (c *Console) createEvent(w http.ResponseWriter, r *http.Request) {
	who := WhoFrom(r.Context())
	v := who.Viewer()
	if !activities.MayPlanAny(v) {
		c.fail(w, r, ErrForbidden)
		return
	}
	f := readFields(r)
	if !activities.MayChooseOrganizer(v) {
		f.OrganizerID = who.Staff.ID
	}
	if err := activities.MayPlan(v, f.OrganizerID); err != nil {
		c.fail(w, r, err)
		return
	}
	p, err := f.parse(nil)
	if err != nil {
		c.form(w, r, 0, f, err)
		return
	}
	a := activity.Activity{Title: f.Title, Description: p.description, Location: f.Location,
		StartsAt: p.startsAt.UTC(), EndsAt: p.endsAt.UTC(), Capacity: p.capacity, MaxParty: p.maxParty,
		Questions: p.questions, OrganizerID: f.OrganizerID}
	if p.deadline != nil {
		d := p.deadline.UTC()
		a.SignupDeadline = &d
	}
	a, err = c.Activities.Plan(r.Context(), a)
	if err != nil {
		c.form(w, r, 0, f, err)
		return
	}
	c.done(w, r, eventPath(a.ID), fmt.Sprintf("已创建活动「%s」。", a.Title))
}

// editEvent serves GET /console/events/{id}/edit.
func (c *Console) editEvent(w http.ResponseWriter, r *http.Request) {
	a, _, err := c.eventFor(r, true)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if a.Status == activity.ActivityCancelled {
		c.failTo(w, r, eventPath(a.ID), bot.Refuse("「%s」已取消，不能修改", a.Title))
		return
	}
	c.form(w, r, a.ID, fieldsOf(a), nil)
}

// updateEvent serves POST /console/events/{id}/edit: the fields that
// changed become the service's Patch, so the timeline names only them.
func (c *Console) updateEvent(w http.ResponseWriter, r *http.Request) {
	a, _, err := c.eventFor(r, true)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := WhoFrom(r.Context()).Viewer()
	f := readFields(r)
	if !activities.MayChooseOrganizer(v) {
		f.OrganizerID = a.OrganizerID
	}
	p, err := f.parse(a.Questions)
	if err != nil {
		c.form(w, r, a.ID, f, err)
		return
	}
	var patch activities.Patch
	if f.Title != a.Title {
		patch.Title = &f.Title
	}
	if p.description != a.Description {
		patch.Description = &p.description
	}
	if f.Location != a.Location {
		patch.Location = &f.Location
	}
	if !p.startsAt.Equal(a.StartsAt) {
		patch.StartsAt = &p.startsAt
	}
	if !p.endsAt.Equal(a.EndsAt) {
		patch.EndsAt = &p.endsAt
	}
	if p.capacity != a.Capacity {
		patch.Capacity = &p.capacity
	}
	if p.maxParty != a.MaxParty {
		patch.MaxParty = &p.maxParty
	}
	if (p.deadline == nil) != (a.SignupDeadline == nil) || (p.deadline != nil && !p.deadline.Equal(*a.SignupDeadline)) {
		patch.SetDeadline, patch.SignupDeadline = true, p.deadline
	}
	if !slices.EqualFunc(p.questions, a.Questions, sameQuestion) {
		patch.Questions = &p.questions
	}
	if f.OrganizerID != a.OrganizerID {
		if err := activities.MayPlan(v, f.OrganizerID); err != nil {
			c.fail(w, r, err)
			return
		}
		patch.OrganizerID = &f.OrganizerID
	}
	if patch.Empty() {
		c.done(w, r, eventPath(a.ID), "没有修改。")
		return
	}
	if _, err := c.Activities.Update(r.Context(), a.ID, patch); err != nil {
		c.form(w, r, a.ID, f, err)
		return
	}
	msg := "已保存。"
	if patch.StartsAt != nil || patch.EndsAt != nil || patch.Location != nil {
		msg = "已保存，报名的居民会收到时间或地点变更的通知。"
	}
	c.done(w, r, eventPath(a.ID), msg)
}

func sameQuestion(x, y activity.Question) bool {
	return x.Key == y.Key && x.Label == y.Label && x.Optional == y.Optional && slices.Equal(x.Choices, y.Choices)
}

// cancelEvent serves POST /console/events/{id}/cancel {reason}.
func (c *Console) cancelEvent(w http.ResponseWriter, r *http.Request) {
	a, _, err := c.eventFor(r, true)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if _, err := c.Activities.CancelActivity(r.Context(), a.ID, r.PostFormValue("reason")); err != nil {
		c.failFields(w, r, eventPath(a.ID), err)
		return
	}
	c.done(w, r, eventPath(a.ID), "活动已取消，报名的居民会收到通知。")
}

// failFields is failTo with the field named in Chinese.
func (c *Console) failFields(w http.ResponseWriter, r *http.Request, next string, err error) {
	var ue *bot.UserError
	if errors.As(err, &ue) && ue.Field != "" {
		err = bot.Say(c.fieldMessage(r, err))
	}
	c.failTo(w, r, next, err)
}

// checkinEvent serves POST /console/events/{id}/checkin {code}: staff at
// the door type the resident's six digits.
func (c *Console) checkinEvent(w http.ResponseWriter, r *http.Request) {
	a, acc, err := c.eventFor(r, true)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	if len(code) != activity.CheckinCodeLen || strings.Trim(code, "0123456789") != "" {
		c.failTo(w, r, eventPath(a.ID)+"#checkin", bot.Say(fmt.Sprintf("签到码是 %d 位数字，请核对。", activity.CheckinCodeLen)))
		return
	}
	su, err := c.Activities.Checkin(r.Context(), a.ID, code)
	if errors.Is(err, bot.ErrNotFound) {
		err = bot.Say("签到码 " + code + " 不是这个活动的，请核对。")
	}
	if err != nil {
		c.failTo(w, r, eventPath(a.ID)+"#checkin", err)
		return
	}
	if !acc.People {
		su = activities.Masked(su)
	}
	c.done(w, r, eventPath(a.ID)+"#checkin", fmt.Sprintf("签到成功：%s，%d 人。", su.Name, su.PartySize))
}

// notifyEvent serves POST /console/events/{id}/notify {text}: a message
// to everyone holding confirmed seats.
func (c *Console) notifyEvent(w http.ResponseWriter, r *http.Request) {
	a, _, err := c.eventFor(r, true)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	n, err := c.Activities.Notify(r.Context(), a.ID, r.PostFormValue("text"), "")
	if err != nil {
		c.failFields(w, r, eventPath(a.ID)+"#notify", err)
		return
	}
	msg := fmt.Sprintf("通知已发给 %d 位报名成功的居民。", n.Recipients)
	if n.Repeat {
		msg = "这条通知之前已发过，没有重复发送。"
	}
	c.done(w, r, eventPath(a.ID)+"#notify", msg)
}

// exportEvent serves GET /console/events/{id}/signups.csv and .xlsx: the
// admin API's export (handlers.SignupsCSV, SignupsXLSX) of the sign-ups
// as the viewer may see them.
func (c *Console) exportEvent(w http.ResponseWriter, r *http.Request) {
	a, acc, err := c.eventFor(r, false)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	a, sus, err := c.Activities.Roster(r.Context(), a.ID)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	sus = activities.ForViewer(acc, sus)
	ext, ctype, export := "csv", handlers.SignupsCSVType, handlers.SignupsCSV
	if strings.HasSuffix(r.URL.Path, ".xlsx") {
		ext, ctype, export = "xlsx", handlers.SignupsXLSXType, handlers.SignupsXLSX
	}
	buf, err := export(a, sus)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+handlers.SignupExportName(a.ID, ext)+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

// posterQR is one QR code of the poster.
type posterQR struct {
	Scene, Label, Hint string
	// Src is the picture's URL; empty when there is none (Problem says
	// why).
	Src, Problem string
	// Offline is set with development credentials: the picture encodes
	// the scene (Content) for the simulator, not a WeChat URL.
	Offline bool
	Content string
}

// posterPage is the data of events_poster.html.
type posterPage struct {
	Page
	Event activity.Activity
	QRs   []posterQR
}

// posterEvent serves GET /console/events/{id}/poster: an A4 page to print
// with the title, time, place and both QR codes.
func (c *Console) posterEvent(w http.ResponseWriter, r *http.Request) {
	a, _, err := c.eventFor(r, true)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p := posterPage{Page: c.page(r, a.Title+" · 海报", "events"), Event: a}
	for _, s := range []posterQR{
		{Scene: "event", Label: "扫码报名", Hint: "微信扫一扫，关注后即可报名"},
		{Scene: "checkin", Label: "现场签到", Hint: "到场后微信扫一扫签到"},
	} {
		_, err := c.Activities.QRCode(r.Context(), a.ID, s.Scene)
		switch {
		case err == nil:
			s.Src = eventPath(a.ID) + "/qr/" + s.Scene
		case errors.Is(err, activities.ErrOffline):
			s.Src, s.Offline, s.Content = eventPath(a.ID)+"/qr/"+s.Scene, true, offlineScene(s.Scene, a.ID)
		case errors.Is(err, activities.ErrWeChat):
			c.Logger.ErrorContext(r.Context(), "console poster qr", "event", a.ID, "err", err)
			s.Problem = "微信暂时没有生成二维码，请稍后刷新。"
		default:
			s.Problem = c.message(r, err)
		}
		p.QRs = append(p.QRs, s)
	}
	c.render(w, r, "events_poster.html", p)
}

// offlineScene is what a poster's QR encodes without a real official
// account: the scene itself, which the simulator scans.
func offlineScene(scene string, id int64) string { return fmt.Sprintf("%s:%d", scene, id) }

// eventQR serves GET /console/events/{id}/qr/{scene}: the poster's QR
// code as a PNG drawn here from the URL WeChat encodes (or, offline, the
// scene), so the poster needs nothing from the internet to print.
func (c *Console) eventQR(w http.ResponseWriter, r *http.Request) {
	a, _, err := c.eventFor(r, true)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	scene := r.PathValue("scene")
	if !slices.Contains(activities.Scenes, scene) {
		c.fail(w, r, bot.ErrNotFound)
		return
	}
	qr, err := c.Activities.QRCode(r.Context(), a.ID, scene)
	switch {
	case err == nil:
		web.QRPNG(w, qr.URL, 600)
	case errors.Is(err, activities.ErrOffline):
		web.QRPNG(w, offlineScene(scene, a.ID), 600)
	default:
		c.fail(w, r, err)
	}
}

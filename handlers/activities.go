package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	ics "github.com/arran4/golang-ical"
	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/handlers/httpjson"
)

// ActivityAdmin is what the admin API and the public calendar need of
// event sign-ups (activities.Admin). Bad input is a *bot.UserError naming
// the field; unknown activities are not found.
type ActivityAdmin interface {
	// Plan creates an activity; its organiser must be active staff.
	Plan(ctx context.Context, a activity.Activity) (activity.Activity, error)
	Activity(ctx context.Context, id int64) (activity.Activity, error)
	Timeline(ctx context.Context, id int64) ([]activity.Entry, error)
	List(ctx context.Context, view activities.View) ([]activity.Activity, error)
	// Calendar lists the activities not ended, cancelled ones included.
	Calendar(ctx context.Context) ([]activity.Activity, error)
	Update(ctx context.Context, id int64, p activities.Patch) (activity.Activity, error)
	CancelActivity(ctx context.Context, id int64, reason string) (activity.Activity, error)
	// Roster returns the activity and every sign-up, in arrival order.
	Roster(ctx context.Context, id int64) (activity.Activity, []activity.Signup, error)
	Checkin(ctx context.Context, id int64, code string) (activity.Signup, error)
	Notify(ctx context.Context, id int64, text, key string) (activities.Notified, error)
	// QRCode returns a poster's permanent QR code; activities.ErrOffline
	// with development credentials, activities.ErrWeChat when WeChat
	// failed.
	QRCode(ctx context.Context, id int64, scene string) (activities.QRCode, error)
}

// activityRoutes adds the event endpoints to the admin API mux and the
// public calendar to the top mux. The exports, like the tickets', are
// literal path segments ("signups.csv") that never match "signups".
func (s *Server) activityRoutes(mux, api *http.ServeMux) {
	if s.Activities == nil {
		return
	}
	mux.HandleFunc("GET /calendar/events.ics", s.calendar)
	api.HandleFunc("POST /api/v1/events", s.createEvent)
	api.HandleFunc("GET /api/v1/events", s.listEvents)
	api.HandleFunc("GET /api/v1/events/{id}", s.getEvent)
	api.HandleFunc("PATCH /api/v1/events/{id}", s.patchEvent)
	api.HandleFunc("POST /api/v1/events/{id}/cancel", s.cancelEvent)
	api.HandleFunc("GET /api/v1/events/{id}/signups", s.eventSignups)
	api.HandleFunc("GET /api/v1/events/{id}/signups.csv", s.eventSignupsCSV)
	api.HandleFunc("GET /api/v1/events/{id}/signups.xlsx", s.eventSignupsXLSX)
	api.HandleFunc("POST /api/v1/events/{id}/checkin", s.checkinEvent)
	api.HandleFunc("POST /api/v1/events/{id}/notify", s.notifyEvent)
	api.HandleFunc("GET /api/v1/events/{id}/qrcode", s.eventQRCode)
}

// eventView is an activity as staff read it: times in Asia/Shanghai, the
// seats left, and on GET its timeline.
type eventView struct {
	activity.Activity
	SeatsLeft int `json:"seats_left"`
	// SignupCloses is when sign-up closes: the deadline, or the start.
	SignupCloses time.Time        `json:"signup_closes"`
	Timeline     []activity.Entry `json:"timeline,omitempty"`
}

func localEvent(a activity.Activity) eventView {
	loc := bot.Shanghai
	v := eventView{Activity: a, SeatsLeft: a.SeatsLeft(), SignupCloses: a.Closes().In(loc)}
	v.StartsAt, v.EndsAt = a.StartsAt.In(loc), a.EndsAt.In(loc)
	v.CreatedAt, v.UpdatedAt = a.CreatedAt.In(loc), a.UpdatedAt.In(loc)
	if a.SignupDeadline != nil {
		d := a.SignupDeadline.In(loc)
		v.SignupDeadline = &d
	}
	if v.Questions == nil {
		v.Questions = []activity.Question{}
	}
	return v
}

// signupView is a sign-up as staff read it: what the tickets' API shows
// of a resident (name, phone) and no openid.
type signupView struct {
	ID           int64                 `json:"id"`
	Name         string                `json:"name"`
	Phone        string                `json:"phone"`
	PartySize    int                   `json:"party_size"`
	Status       activity.SignupStatus `json:"status"`
	Position     int                   `json:"position"`
	CheckinCode  string                `json:"checkin_code"`
	Answers      map[string]string     `json:"answers"`
	OfferedUntil *time.Time            `json:"offered_until,omitempty"`
	CreatedAt    time.Time             `json:"created_at"`
}

func localSignup(su activity.Signup) signupView {
	v := signupView{ID: su.ID, Name: su.Name, Phone: su.Phone, PartySize: su.PartySize, Status: su.Status,
		Position: su.Position, CheckinCode: su.CheckinCode, Answers: su.Answers, CreatedAt: su.CreatedAt.In(bot.Shanghai)}
	if v.Answers == nil {
		v.Answers = map[string]string{}
	}
	if su.OfferedUntil != nil {
		t := su.OfferedUntil.In(bot.Shanghai)
		v.OfferedUntil = &t
	}
	return v
}

// eventBody is POST /api/v1/events and PATCH /api/v1/events/{id}. Times
// are strings so that a bad one is answered naming its field.
type eventBody struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Location    *string `json:"location"`
	StartsAt    *string `json:"starts_at"`
	EndsAt      *string `json:"ends_at"`
	Capacity    *int    `json:"capacity"`
	MaxParty    *int    `json:"max_party"`
	// SignupDeadline is a time, or null to close sign-up at the start.
	SignupDeadline json.RawMessage      `json:"signup_deadline"`
	Questions      *[]activity.Question `json:"questions"`
	// OrganizerID is a staff id; 0 or null for none.
	OrganizerID *int64 `json:"organizer_id"`
}

// timeFormatHelp is how a bad time is explained.
const timeFormatHelp = "must be a time as RFC 3339, e.g. 2026-06-19T09:00:00+08:00"

// patch reads b as a change, writing the 400 itself and reporting false
// on a bad value.
func (b eventBody) patch(w http.ResponseWriter) (activities.Patch, bool) {
	p := activities.Patch{Title: b.Title, Description: b.Description, Location: b.Location,
		Capacity: b.Capacity, MaxParty: b.MaxParty, Questions: b.Questions, OrganizerID: b.OrganizerID}
	for _, f := range []struct {
		name string
		in   *string
		out  **time.Time
	}{{"starts_at", b.StartsAt, &p.StartsAt}, {"ends_at", b.EndsAt, &p.EndsAt}} {
		if f.in == nil {
			continue
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*f.in))
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid", f.name+": "+timeFormatHelp)
			return p, false
		}
		*f.out = &t
	}
	if len(b.SignupDeadline) > 0 {
		p.SetDeadline = true
		if string(b.SignupDeadline) != "null" {
			var v string
			t, err := time.Time{}, json.Unmarshal(b.SignupDeadline, &v)
			if err == nil {
				t, err = time.Parse(time.RFC3339, strings.TrimSpace(v))
			}
			if err != nil {
				writeError(w, http.StatusBadRequest, "invalid", "signup_deadline: "+timeFormatHelp+", or null")
				return p, false
			}
			p.SignupDeadline = &t
		}
	}
	if p.Questions != nil && *p.Questions == nil {
		p.Questions = &[]activity.Question{}
	}
	return p, true
}

// createEvent serves POST /api/v1/events.
func (s *Server) createEvent(w http.ResponseWriter, r *http.Request) {
	var b eventBody
	if !decodeJSON(w, r, &b) {
		return
	}
	bad := func(msg string) { writeError(w, http.StatusBadRequest, "invalid", msg) }
	switch {
	case b.Title == nil:
		bad("title: is required")
		return
	case b.StartsAt == nil:
		bad("starts_at: is required")
		return
	case b.EndsAt == nil:
		bad("ends_at: is required")
		return
	case b.Capacity == nil:
		bad("capacity: is required")
		return
	}
	p, ok := b.patch(w)
	if !ok {
		return
	}
	a := activity.Activity{Title: *p.Title, StartsAt: p.StartsAt.UTC(), EndsAt: p.EndsAt.UTC(), Capacity: *p.Capacity,
		SignupDeadline: p.SignupDeadline}
	if p.Description != nil {
		a.Description = strings.TrimSpace(*p.Description)
	}
	if p.Location != nil {
		a.Location = strings.TrimSpace(*p.Location)
	}
	if p.MaxParty != nil {
		if *p.MaxParty < 1 {
			bad("max_party: must be at least 1")
			return
		}
		a.MaxParty = *p.MaxParty
	}
	if p.Questions != nil {
		a.Questions = *p.Questions
	}
	if p.OrganizerID != nil {
		a.OrganizerID = *p.OrganizerID
	}
	if a.SignupDeadline != nil {
		d := a.SignupDeadline.UTC()
		a.SignupDeadline = &d
	}
	a, err := s.Activities.Plan(r.Context(), a)
	if err != nil {
		s.fail(w, r, "create event", err)
		return
	}
	httpjson.Write(w, http.StatusCreated, localEvent(a))
}

// listEvents serves GET /api/v1/events?status=upcoming|past|cancelled
// (upcoming when absent).
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	view := activities.View(r.URL.Query().Get("status"))
	if view == "" {
		view = "upcoming"
	}
	if !slices.Contains(activities.Views, view) {
		writeError(w, http.StatusBadRequest, "invalid", "status: must be one of upcoming, past, cancelled")
		return
	}
	list, err := s.Activities.List(r.Context(), view)
	if err != nil {
		s.fail(w, r, "list events", err)
		return
	}
	out := make([]eventView, len(list))
	for i, a := range list {
		out[i] = localEvent(a)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"events": out})
}

// getEvent serves GET /api/v1/events/{id}: the activity with its
// timeline.
func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathEventID(w, r)
	if !ok {
		return
	}
	a, err := s.Activities.Activity(r.Context(), id)
	if err != nil {
		s.fail(w, r, "get event", err)
		return
	}
	tl, err := s.Activities.Timeline(r.Context(), id)
	if err != nil {
		s.fail(w, r, "event timeline", err)
		return
	}
	v := localEvent(a)
	v.Timeline = make([]activity.Entry, len(tl))
	for i, e := range tl {
		e.At = e.At.In(bot.Shanghai)
		v.Timeline[i] = e
	}
	httpjson.Write(w, http.StatusOK, v)
}

// patchEvent serves PATCH /api/v1/events/{id}: any of the fields of
// POST. A capacity below the seats held, or a cancelled activity, is a
// 409.
func (s *Server) patchEvent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathEventID(w, r)
	if !ok {
		return
	}
	var b eventBody
	if !decodeJSON(w, r, &b) {
		return
	}
	p, ok := b.patch(w)
	if !ok {
		return
	}
	if p.Empty() {
		writeError(w, http.StatusBadRequest, "invalid", "body: give at least one field to change")
		return
	}
	a, err := s.Activities.Update(r.Context(), id, p)
	if err != nil {
		s.fail(w, r, "patch event", err)
		return
	}
	httpjson.Write(w, http.StatusOK, localEvent(a))
}

// cancelEvent serves POST /api/v1/events/{id}/cancel {reason}.
func (s *Server) cancelEvent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathEventID(w, r)
	if !ok {
		return
	}
	var b struct {
		Reason string `json:"reason"`
	}
	if !decodeJSON(w, r, &b) {
		return
	}
	a, err := s.Activities.CancelActivity(r.Context(), id, b.Reason)
	if err != nil {
		s.fail(w, r, "cancel event", err)
		return
	}
	httpjson.Write(w, http.StatusOK, localEvent(a))
}

// signupStatuses are the statuses ?status= may filter sign-ups by.
var signupStatuses = []activity.SignupStatus{activity.Confirmed, activity.Waitlisted, activity.Offered, activity.Cancelled, activity.Attended}

// roster reads the activity and its sign-ups, filtered by ?status=; it
// writes the error itself and reports false.
func (s *Server) roster(w http.ResponseWriter, r *http.Request) (activity.Activity, []activity.Signup, bool) {
	id, ok := pathEventID(w, r)
	if !ok {
		return activity.Activity{}, nil, false
	}
	status := activity.SignupStatus(r.URL.Query().Get("status"))
	if status != "" && !slices.Contains(signupStatuses, status) {
		writeError(w, http.StatusBadRequest, "invalid", "status: must be one of confirmed, waitlisted, offered, cancelled, attended")
		return activity.Activity{}, nil, false
	}
	a, sus, err := s.Activities.Roster(r.Context(), id)
	if err != nil {
		s.fail(w, r, "event signups", err)
		return activity.Activity{}, nil, false
	}
	if status != "" {
		sus = slices.DeleteFunc(sus, func(su activity.Signup) bool { return su.Status != status })
	}
	return a, sus, true
}

// eventSignups serves GET /api/v1/events/{id}/signups?status=.
func (s *Server) eventSignups(w http.ResponseWriter, r *http.Request) {
	_, sus, ok := s.roster(w, r)
	if !ok {
		return
	}
	out := make([]signupView, len(sus))
	for i, su := range sus {
		out[i] = localSignup(su)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"signups": out})
}

// signupColumns are the fixed columns of the sign-up exports; one column
// per question of the activity follows, headed by its label.
var signupColumns = []struct {
	header string
	value  func(su activity.Signup) any
}{
	{"序号 id", func(su activity.Signup) any { return su.ID }},
	{"姓名 name", func(su activity.Signup) any { return su.Name }},
	{"电话 phone", func(su activity.Signup) any { return su.Phone }},
	{"人数 party_size", func(su activity.Signup) any { return su.PartySize }},
	{"状态 status", func(su activity.Signup) any { return su.Status.Label() }},
	{"状态代码 status_code", func(su activity.Signup) any { return string(su.Status) }},
	{"候补位次 position", func(su activity.Signup) any { return blankZero(su.Position) }},
	{"签到码 checkin_code", func(su activity.Signup) any { return su.CheckinCode }},
	{"报名时间 created_at", func(su activity.Signup) any { return shownTime(su.CreatedAt) }},
}

// signupTable is the exports' header and rows: the fixed columns, one per
// question (label as header), and one per answer key no question has any
// more (questions edited after people answered), headed by the key.
func signupTable(a activity.Activity, sus []activity.Signup) ([]string, [][]any) {
	var keys []string
	header := make([]string, 0, len(signupColumns)+len(a.Questions))
	for _, c := range signupColumns {
		header = append(header, c.header)
	}
	for _, q := range a.Questions {
		keys = append(keys, q.Key)
		header = append(header, q.Label)
	}
	var extra []string
	for _, su := range sus {
		for k := range su.Answers {
			if !slices.Contains(keys, k) && !slices.Contains(extra, k) {
				extra = append(extra, k)
			}
		}
	}
	slices.Sort(extra)
	keys = append(keys, extra...)
	header = append(header, extra...)
	rows := make([][]any, len(sus))
	for i, su := range sus {
		row := make([]any, 0, len(header))
		for _, c := range signupColumns {
			row = append(row, c.value(su))
		}
		for _, k := range keys {
			row = append(row, su.Answers[k])
		}
		rows[i] = row
	}
	return header, rows
}

// SignupExportName is the sign-up download's file name, dated in
// Asia/Shanghai.
func SignupExportName(id int64, ext string) string {
	return fmt.Sprintf("event-%d-signups-%s.%s", id, time.Now().In(bot.Shanghai).Format("20060102-1504"), ext)
}

// eventSignupsCSV serves GET /api/v1/events/{id}/signups.csv?status=:
// UTF-8 with a BOM for Excel, formula-like text quoted as the tickets'
// export does (residents type the answers).
func (s *Server) eventSignupsCSV(w http.ResponseWriter, r *http.Request) {
	a, sus, ok := s.roster(w, r)
	if !ok {
		return
	}
	buf, err := SignupsCSV(a, sus)
	if err != nil {
		s.internal(w, r, "export event signups csv", err)
		return
	}
	writeDownload(w, SignupsCSVType, SignupExportName(a.ID, "csv"), buf)
}

// Content types of the sign-up exports.
const (
	SignupsCSVType  = "text/csv; charset=utf-8"
	SignupsXLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// SignupsCSV is the sign-up export of a as CSV: UTF-8 with a BOM for
// Excel, formula-like text quoted as the tickets' export does (residents
// type the answers). The admin API and the staff console both serve it.
func SignupsCSV(a activity.Activity, sus []activity.Signup) (*bytes.Buffer, error) {
	header, rows := signupTable(a, sus)
	return csvTable(header, rows)
}

// SignupsXLSX is the sign-up export of a as a workbook of one sheet with
// the CSV's columns; text cells stay text (never formulas).
func SignupsXLSX(a activity.Activity, sus []activity.Signup) (*bytes.Buffer, error) {
	header, rows := signupTable(a, sus)
	return writeTable(signupSheet, header, rows)
}

// signupSheet is the name of the sign-up workbook's only sheet.
const signupSheet = "报名"

// eventSignupsXLSX serves GET /api/v1/events/{id}/signups.xlsx?status=:
// one sheet with the CSV's columns; text cells stay text (never formulas).
func (s *Server) eventSignupsXLSX(w http.ResponseWriter, r *http.Request) {
	a, sus, ok := s.roster(w, r)
	if !ok {
		return
	}
	buf, err := SignupsXLSX(a, sus)
	if err != nil {
		s.internal(w, r, "export event signups xlsx", err)
		return
	}
	writeDownload(w, SignupsXLSXType, SignupExportName(a.ID, "xlsx"), buf)
}

func writeDownload(w http.ResponseWriter, ctype, name string, buf *bytes.Buffer) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// checkinEvent serves POST /api/v1/events/{id}/checkin {code}: the
// sign-up, checked in. An unknown code is a 404, a sign-up checked in
// before (or not confirmed) a 409.
func (s *Server) checkinEvent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathEventID(w, r)
	if !ok {
		return
	}
	var b struct {
		Code string `json:"code"`
	}
	if !decodeJSON(w, r, &b) {
		return
	}
	code := strings.TrimSpace(b.Code)
	if len(code) != activity.CheckinCodeLen || strings.Trim(code, "0123456789") != "" {
		writeError(w, http.StatusBadRequest, "invalid", fmt.Sprintf("code: must be the %d digits of a check-in code", activity.CheckinCodeLen))
		return
	}
	su, err := s.Activities.Checkin(r.Context(), id, code)
	if err != nil {
		s.fail(w, r, "check in", err)
		return
	}
	httpjson.Write(w, http.StatusOK, localSignup(su))
}

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 200

// notifyEvent serves POST /api/v1/events/{id}/notify {text}: a message to
// everyone holding confirmed seats, queued in the outbox (202). A request
// is sent once: by its Idempotency-Key header when given, else by its
// text (the same text twice is sent once; give a new key to repeat it).
func (s *Server) notifyEvent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathEventID(w, r)
	if !ok {
		return
	}
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if len(key) > maxIdempotencyKey {
		writeError(w, http.StatusBadRequest, "invalid", fmt.Sprintf("Idempotency-Key: must be at most %d bytes", maxIdempotencyKey))
		return
	}
	var b struct {
		Text string `json:"text"`
	}
	if !decodeJSON(w, r, &b) {
		return
	}
	n, err := s.Activities.Notify(r.Context(), id, b.Text, key)
	if err != nil {
		s.fail(w, r, "notify event", err)
		return
	}
	httpjson.Write(w, http.StatusAccepted, n)
}

// eventQRCode serves GET /api/v1/events/{id}/qrcode?scene=event|checkin:
// the poster's permanent QR code (scene event:<id> signs up, checkin:<id>
// checks in), made once and kept. With development credentials a code not
// made before is a 503; WeChat failing is a 502.
func (s *Server) eventQRCode(w http.ResponseWriter, r *http.Request) {
	id, ok := pathEventID(w, r)
	if !ok {
		return
	}
	qr, err := s.Activities.QRCode(r.Context(), id, r.URL.Query().Get("scene"))
	switch {
	case errors.Is(err, activities.ErrOffline):
		writeError(w, http.StatusServiceUnavailable, "unavailable",
			"development credentials: no real WeChat official account to make QR codes with; configure TONGXIN_WECHAT_APPID and TONGXIN_WECHAT_SECRET")
		return
	case errors.Is(err, activities.ErrWeChat):
		s.Logger.ErrorContext(r.Context(), "event qrcode", "err", err)
		writeError(w, http.StatusBadGateway, "wechat", "WeChat did not make the QR code; try again later")
		return
	case err != nil:
		s.fail(w, r, "event qrcode", err)
		return
	}
	httpjson.Write(w, http.StatusOK, qr)
}

// pathEventID reads {id}, writing the 400 when it is not an id.
func pathEventID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "invalid", "id: must be an event id (a positive whole number)")
		return 0, false
	}
	return id, true
}

// icsText makes s safe for golang-ical, which escapes LF but not CR (a
// line end to many readers) in text: CRLF and CR become LF, other control
// characters but tab are dropped. The service refuses them on input; this
// keeps the public feed whole whatever is stored.
func icsText(s string) string {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// calendarName is the public calendar's name.
const calendarName = "社区活动"

// calendar serves GET /calendar/events.ics, public: the activities not yet
// ended, with what a poster shows (title, time, place, description) and
// nothing of who signed up. Times are UTC ("Z"), which every calendar
// shows in its own zone. Cancelled activities stay in the feed, marked
// STATUS:CANCELLED, until they would have ended, so that calendars which
// copied them learn of it.
func (s *Server) calendar(w http.ResponseWriter, r *http.Request) {
	list, err := s.Activities.Calendar(r.Context())
	if err != nil {
		s.internal(w, r, "calendar", err)
		return
	}
	cal := newCalendar(calendarName)
	for _, a := range list {
		e := cal.AddEvent(fmt.Sprintf("activity-%d@tongxin", a.ID))
		e.SetDtStampTime(a.UpdatedAt)
		e.SetCreatedTime(a.CreatedAt)
		e.SetModifiedAt(a.UpdatedAt)
		e.SetStartAt(a.StartsAt)
		e.SetEndAt(a.EndsAt)
		e.SetSummary(icsText(a.Title))
		if a.Location != "" {
			e.SetLocation(icsText(a.Location))
		}
		if a.Description != "" {
			e.SetDescription(icsText(a.Description))
		}
		if a.Status == activity.ActivityCancelled {
			e.SetStatus(ics.ObjectStatusCancelled)
		} else {
			e.SetStatus(ics.ObjectStatusConfirmed)
		}
	}
	serveCalendar(w, r, s, cal, "events.ics")
}

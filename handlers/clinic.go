package handlers

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/clinic"
	"github.com/tongxin/tongxin/handlers/httpjson"
)

// ClinicAdmin is what the admin API and the public calendar need of the
// legal clinic (clinic.Service). Bad input is a *bot.UserError naming the
// field; unknown records are not found. Lists never carry matter
// descriptions or aid answers.
type ClinicAdmin interface {
	CreateProvider(ctx context.Context, p cl.Provider) (cl.Provider, error)
	Providers(ctx context.Context) ([]cl.Provider, error)
	Provider(ctx context.Context, id int64) (cl.Provider, error)
	UpdateProvider(ctx context.Context, id int64, p clinic.ProviderPatch) (cl.Provider, error)
	CreateSchedule(ctx context.Context, sc cl.Schedule) (clinic.Changed, error)
	Schedules(ctx context.Context) ([]cl.Schedule, error)
	Schedule(ctx context.Context, id int64) (cl.Schedule, error)
	UpdateSchedule(ctx context.Context, id int64, p clinic.SchedulePatch) (clinic.Changed, error)
	CreateClosure(ctx context.Context, c cl.Closure) (clinic.Closed, error)
	// Closures lists the closures from..to ("YYYY-MM-DD", "" open).
	Closures(ctx context.Context, from, to string) ([]cl.Closure, error)
	UpdateClosure(ctx context.Context, id int64, p clinic.ClosurePatch) (cl.Closure, error)
	// SlotsBetween lists the slots in [from, to) for matter ("" any).
	SlotsBetween(ctx context.Context, from, to time.Time, matter cl.Matter) ([]cl.Slot, error)
	// Bookings lists bookings without descriptions.
	Bookings(ctx context.Context, q clinic.BookingQuery) ([]cl.Booking, error)
	// Booking returns one booking with its description and timeline.
	Booking(ctx context.Context, id int64) (cl.Booking, []clinic.Entry, error)
	UpdateBooking(ctx context.Context, id int64, p clinic.BookingPatch) (cl.Booking, error)
	AidApplications(ctx context.Context, status cl.AidStatus) ([]cl.AidApplication, error)
	AidApplication(ctx context.Context, id int64) (cl.AidApplication, []clinic.Entry, error)
	UpdateAid(ctx context.Context, id int64, p clinic.AidPatch) (cl.AidApplication, error)
	ExpertRequests(ctx context.Context, status cl.ExpertStatus) ([]cl.ExpertRequest, error)
	ExpertRequest(ctx context.Context, id int64) (cl.ExpertRequest, error)
	UpdateExpert(ctx context.Context, id int64, p clinic.ExpertPatch) (cl.ExpertRequest, error)
	// Sessions lists the public sessions in [from, to) for clinic.ics.
	Sessions(ctx context.Context, from, to time.Time) ([]clinic.Session, error)
}

var _ ClinicAdmin = (*clinic.Service)(nil)

// The clinic's endpoints answer two bearer tokens: the admin token
// (AdminToken), which opens everything of the clinic but matter
// descriptions and aid answers, and the clinic staff's (ClinicToken),
// accepted on /api/v1/clinic/* only and the one credential under which
// those are shown ("a clinic staff role sees matter descriptions; nobody
// else does, admins included").

// clinicCaller is who called a clinic endpoint.
type clinicCaller int

const (
	callerAdmin clinicCaller = iota + 1
	callerClinic
)

type clinicCallerKey struct{}

// clinicStaff reports whether the request came with the clinic token.
func clinicStaff(r *http.Request) bool {
	c, _ := r.Context().Value(clinicCallerKey{}).(clinicCaller)
	return c == callerClinic
}

// clinicAuth admits a request with the admin token or the clinic token,
// noting which; anything else is a 401, as the admin API answers.
func (s *Server) clinicAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		caller := clinicCaller(0)
		if ok {
			// Both compared, whichever matches, so the time taken does not
			// tell which token was close.
			admin := s.AdminToken != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.AdminToken)) == 1
			staff := s.ClinicToken != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.ClinicToken)) == 1
			switch {
			case staff:
				caller = callerClinic
			case admin:
				caller = callerAdmin
			}
		}
		if caller == 0 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tongxin"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid admin or clinic bearer token is required")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clinicCallerKey{}, caller)))
	})
}

// clinicRoutes adds the clinic endpoints, behind clinicAuth, and the
// public calendar to the top mux. They have a mux of their own because
// the clinic token opens them and nothing else of the admin API. The
// exports are literal path segments ("bookings.csv") that never match
// "bookings/{id}".
func (s *Server) clinicRoutes(mux, _ *http.ServeMux) {
	if s.Clinic == nil {
		return
	}
	mux.HandleFunc("GET /calendar/clinic.ics", s.clinicCalendar)
	c := http.NewServeMux()
	const p = "/api/v1/clinic"
	c.HandleFunc("POST "+p+"/providers", s.createProvider)
	c.HandleFunc("GET "+p+"/providers", s.listProviders)
	c.HandleFunc("GET "+p+"/providers/{id}", s.getProvider)
	c.HandleFunc("PATCH "+p+"/providers/{id}", s.patchProvider)
	c.HandleFunc("POST "+p+"/schedules", s.createSchedule)
	c.HandleFunc("GET "+p+"/schedules", s.listSchedules)
	c.HandleFunc("GET "+p+"/schedules/{id}", s.getSchedule)
	c.HandleFunc("PATCH "+p+"/schedules/{id}", s.patchSchedule)
	c.HandleFunc("POST "+p+"/closures", s.createClosure)
	c.HandleFunc("GET "+p+"/closures", s.listClosures)
	c.HandleFunc("PATCH "+p+"/closures/{id}", s.patchClosure)
	c.HandleFunc("GET "+p+"/slots", s.listSlots)
	c.HandleFunc("GET "+p+"/bookings", s.listBookings)
	c.HandleFunc("GET "+p+"/bookings.csv", s.bookingsCSV)
	c.HandleFunc("GET "+p+"/bookings.xlsx", s.bookingsXLSX)
	c.HandleFunc("GET "+p+"/bookings/{id}", s.getBooking)
	c.HandleFunc("PATCH "+p+"/bookings/{id}", s.patchBooking)
	c.HandleFunc("GET "+p+"/aid", s.listAid)
	c.HandleFunc("GET "+p+"/aid/{id}", s.getAid)
	c.HandleFunc("PATCH "+p+"/aid/{id}", s.patchAid)
	c.HandleFunc("GET "+p+"/expert", s.listExpert)
	c.HandleFunc("GET "+p+"/expert/{id}", s.getExpert)
	c.HandleFunc("PATCH "+p+"/expert/{id}", s.patchExpert)
	c.HandleFunc(p+"/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint")
	})
	mux.Handle(p+"/", s.clinicAuth(c))
}

// field is a field of a body and whether the request gave it.
type field struct {
	name    string
	present bool
}

// required writes the 400 for the first of fields missing.
func required(w http.ResponseWriter, fields ...field) bool {
	for _, f := range fields {
		if !f.present {
			writeError(w, http.StatusBadRequest, "invalid", f.name+": is required")
			return false
		}
	}
	return true
}

// --- providers ---

// providerView is a provider as staff read it: times in Asia/Shanghai,
// lists never null.
func providerView(p cl.Provider) cl.Provider {
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.In(bot.Shanghai), p.UpdatedAt.In(bot.Shanghai)
	if p.Languages == nil {
		p.Languages = []string{}
	}
	return p
}

// createProvider serves POST /api/v1/clinic/providers {name, kind, phone,
// staff_id?, languages?}.
func (s *Server) createProvider(w http.ResponseWriter, r *http.Request) {
	var b clinic.ProviderPatch
	if !decodeJSON(w, r, &b) {
		return
	}
	if !required(w, field{"name", b.Name != nil}, field{"kind", b.Kind != nil}, field{"phone", b.Phone != nil}) {
		return
	}
	p := cl.Provider{Name: *b.Name, Kind: *b.Kind, Phone: *b.Phone, Active: true}
	if b.StaffID != nil {
		p.StaffID = *b.StaffID
	}
	if b.Languages != nil {
		p.Languages = *b.Languages
	}
	if b.Active != nil {
		p.Active = *b.Active
	}
	p, err := s.Clinic.CreateProvider(r.Context(), p)
	if err != nil {
		s.fail(w, r, "create clinic provider", err)
		return
	}
	httpjson.Write(w, http.StatusCreated, providerView(p))
}

// listProviders serves GET /api/v1/clinic/providers.
func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) {
	list, err := s.Clinic.Providers(r.Context())
	if err != nil {
		s.fail(w, r, "list clinic providers", err)
		return
	}
	out := make([]cl.Provider, len(list))
	for i, p := range list {
		out[i] = providerView(p)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"providers": out})
}

// getProvider serves GET /api/v1/clinic/providers/{id}.
func (s *Server) getProvider(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	p, err := s.Clinic.Provider(r.Context(), id)
	if err != nil {
		s.fail(w, r, "get clinic provider", err)
		return
	}
	httpjson.Write(w, http.StatusOK, providerView(p))
}

// patchProvider serves PATCH /api/v1/clinic/providers/{id}: any of the
// fields of POST, and active.
func (s *Server) patchProvider(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var b clinic.ProviderPatch
	if !decodeJSON(w, r, &b) {
		return
	}
	if b == (clinic.ProviderPatch{}) {
		writeError(w, http.StatusBadRequest, "invalid", "body: give at least one field to change")
		return
	}
	p, err := s.Clinic.UpdateProvider(r.Context(), id, b)
	if err != nil {
		s.fail(w, r, "patch clinic provider", err)
		return
	}
	httpjson.Write(w, http.StatusOK, providerView(p))
}

// --- schedules ---

// scheduleBody is POST and PATCH /api/v1/clinic/schedules: the mode, set
// once, and the fields a patch may change.
type scheduleBody struct {
	Mode        *cl.Mode     `json:"mode"`
	ProviderIDs *[]int64     `json:"provider_ids"`
	Weekdays    *[]int       `json:"weekdays"`
	Date        *string      `json:"date"`
	Start       *string      `json:"start"`
	End         *string      `json:"end"`
	SlotMinutes *int         `json:"slot_minutes"`
	Capacity    *int         `json:"capacity"`
	Location    *string      `json:"location"`
	Building    *string      `json:"building"`
	Matters     *[]cl.Matter `json:"matters"`
	ValidFrom   *string      `json:"valid_from"`
	ValidTo     *string      `json:"valid_to"`
	Active      *bool        `json:"active"`
}

// patch is b without the mode. (clinic.SchedulePatch is not embedded in
// scheduleBody: a bad value would then be named by its Go path.)
func (b scheduleBody) patch() clinic.SchedulePatch {
	return clinic.SchedulePatch{ProviderIDs: b.ProviderIDs, Weekdays: b.Weekdays, Date: b.Date, Start: b.Start, End: b.End,
		SlotMinutes: b.SlotMinutes, Capacity: b.Capacity, Location: b.Location, Building: b.Building, Matters: b.Matters,
		ValidFrom: b.ValidFrom, ValidTo: b.ValidTo, Active: b.Active}
}

func scheduleView(sc cl.Schedule) cl.Schedule {
	sc.CreatedAt, sc.UpdatedAt = sc.CreatedAt.In(bot.Shanghai), sc.UpdatedAt.In(bot.Shanghai)
	if sc.ProviderIDs == nil {
		sc.ProviderIDs = []int64{}
	}
	if sc.Matters == nil {
		sc.Matters = []cl.Matter{}
	}
	return sc
}

// changedView is a schedule after a change and how many residents were
// told their slot went.
type changedView struct {
	Schedule cl.Schedule `json:"schedule"`
	Told     int         `json:"told"`
}

// createSchedule serves POST /api/v1/clinic/schedules {mode, provider_ids,
// weekdays | date, start, end, slot_minutes, capacity, location,
// building?, matters, valid_from?, valid_to?}; the service checks the
// values, naming the field.
func (s *Server) createSchedule(w http.ResponseWriter, r *http.Request) {
	var b scheduleBody
	if !decodeJSON(w, r, &b) {
		return
	}
	if !required(w, field{"mode", b.Mode != nil}, field{"start", b.Start != nil}, field{"end", b.End != nil},
		field{"matters", b.Matters != nil || (b.Mode != nil && *b.Mode == cl.Expert)}) {
		return
	}
	sc := cl.Schedule{Mode: *b.Mode, Start: *b.Start, End: *b.End, Active: true, Capacity: 1}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&sc.Date, b.Date)
	set(&sc.Location, b.Location)
	set(&sc.Building, b.Building)
	set(&sc.ValidFrom, b.ValidFrom)
	set(&sc.ValidTo, b.ValidTo)
	if b.ProviderIDs != nil {
		sc.ProviderIDs = *b.ProviderIDs
	}
	if b.Weekdays != nil {
		sc.Weekdays = *b.Weekdays
	}
	if b.SlotMinutes != nil {
		sc.SlotMinutes = *b.SlotMinutes
	}
	if b.Capacity != nil {
		sc.Capacity = *b.Capacity
	}
	if b.Matters != nil {
		sc.Matters = *b.Matters
	}
	if b.Active != nil {
		sc.Active = *b.Active
	}
	ch, err := s.Clinic.CreateSchedule(r.Context(), sc)
	if err != nil {
		s.fail(w, r, "create clinic schedule", err)
		return
	}
	httpjson.Write(w, http.StatusCreated, changedView{Schedule: scheduleView(ch.Schedule), Told: ch.Told})
}

// listSchedules serves GET /api/v1/clinic/schedules.
func (s *Server) listSchedules(w http.ResponseWriter, r *http.Request) {
	list, err := s.Clinic.Schedules(r.Context())
	if err != nil {
		s.fail(w, r, "list clinic schedules", err)
		return
	}
	out := make([]cl.Schedule, len(list))
	for i, sc := range list {
		out[i] = scheduleView(sc)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"schedules": out})
}

// getSchedule serves GET /api/v1/clinic/schedules/{id}.
func (s *Server) getSchedule(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	sc, err := s.Clinic.Schedule(r.Context(), id)
	if err != nil {
		s.fail(w, r, "get clinic schedule", err)
		return
	}
	httpjson.Write(w, http.StatusOK, scheduleView(sc))
}

// patchSchedule serves PATCH /api/v1/clinic/schedules/{id}: any field of
// POST but mode, and active. Existing bookings stand; told counts the
// residents whose slot no longer exists, who were told.
func (s *Server) patchSchedule(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var b scheduleBody
	if !decodeJSON(w, r, &b) {
		return
	}
	if b.Mode != nil {
		writeError(w, http.StatusBadRequest, "invalid", "mode: cannot be changed; end this schedule (active false) and create another")
		return
	}
	p := b.patch()
	if p == (clinic.SchedulePatch{}) {
		writeError(w, http.StatusBadRequest, "invalid", "body: give at least one field to change")
		return
	}
	ch, err := s.Clinic.UpdateSchedule(r.Context(), id, p)
	if err != nil {
		s.fail(w, r, "patch clinic schedule", err)
		return
	}
	httpjson.Write(w, http.StatusOK, changedView{Schedule: scheduleView(ch.Schedule), Told: ch.Told})
}

// --- closures ---

func closureView(c cl.Closure) cl.Closure {
	c.CreatedAt = c.CreatedAt.In(bot.Shanghai)
	return c
}

// createClosure serves POST /api/v1/clinic/closures {date, provider_id?,
// reason}: 停诊. told counts the residents whose booking it closed, who
// were told with the next free slots.
func (s *Server) createClosure(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Date       *string `json:"date"`
		ProviderID *int64  `json:"provider_id"`
		Reason     *string `json:"reason"`
	}
	if !decodeJSON(w, r, &b) {
		return
	}
	if !required(w, field{"date", b.Date != nil}, field{"reason", b.Reason != nil}) {
		return
	}
	c := cl.Closure{Date: *b.Date, Reason: *b.Reason}
	if b.ProviderID != nil {
		c.ProviderID = *b.ProviderID
	}
	cd, err := s.Clinic.CreateClosure(r.Context(), c)
	if err != nil {
		s.fail(w, r, "create clinic closure", err)
		return
	}
	httpjson.Write(w, http.StatusCreated, map[string]any{"closure": closureView(cd.Closure), "told": cd.Told})
}

// listClosures serves GET /api/v1/clinic/closures?from=&to= (dates, both
// included, either open).
func (s *Server) listClosures(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if _, _, ok := dateRange(w, q.Get("from"), q.Get("to")); !ok {
		return
	}
	list, err := s.Clinic.Closures(r.Context(), q.Get("from"), q.Get("to"))
	if err != nil {
		s.fail(w, r, "list clinic closures", err)
		return
	}
	out := make([]cl.Closure, len(list))
	for i, c := range list {
		out[i] = closureView(c)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"closures": out})
}

// patchClosure serves PATCH /api/v1/clinic/closures/{id} {reason}. A
// closure's date and provider stay: delete-and-recreate would un-tell the
// residents already told.
func (s *Server) patchClosure(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var b clinic.ClosurePatch
	if !decodeJSON(w, r, &b) {
		return
	}
	if b.Reason == nil {
		writeError(w, http.StatusBadRequest, "invalid", "reason: is required")
		return
	}
	c, err := s.Clinic.UpdateClosure(r.Context(), id, b)
	if err != nil {
		s.fail(w, r, "patch clinic closure", err)
		return
	}
	httpjson.Write(w, http.StatusOK, closureView(c))
}

// --- slots ---

// slotView is one slot as GET /api/v1/clinic/slots lists it.
type slotView struct {
	ScheduleID int64     `json:"schedule_id"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Mode       cl.Mode   `json:"mode"`
	Location   string    `json:"location"`
	Building   string    `json:"building,omitempty"`
	Capacity   int       `json:"capacity"`
	Left       int       `json:"left"`
	WalkIn     bool      `json:"walk_in,omitempty"`
	ActivityID int64     `json:"activity_id,omitempty"`
}

// defaultSlotDays is how many days GET slots covers without to.
const defaultSlotDays = 14

// maxSlotDays bounds the days one GET slots computes.
const maxSlotDays = 92

// listSlots serves GET /api/v1/clinic/slots?from=&to=&matter=: the slots
// from the start of from (today) to the end of to (14 days on), for
// matter (any when absent), with the seats left.
func (s *Server) listSlots(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, ok := dateRange(w, q.Get("from"), q.Get("to"))
	if !ok {
		return
	}
	matter := cl.Matter(q.Get("matter"))
	if matter != "" && !matter.Valid() {
		writeError(w, http.StatusBadRequest, "invalid", "matter: must be one of consult, mediation, aid")
		return
	}
	if from.IsZero() {
		now := time.Now().In(bot.Shanghai)
		from = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, bot.Shanghai)
	}
	if to.IsZero() {
		to = from.AddDate(0, 0, defaultSlotDays)
	}
	if !from.Before(to) {
		writeError(w, http.StatusBadRequest, "invalid", "to: must not be before from")
		return
	}
	if to.After(from.AddDate(0, 0, maxSlotDays)) {
		writeError(w, http.StatusBadRequest, "invalid", fmt.Sprintf("to: at most %d days after from", maxSlotDays))
		return
	}
	list, err := s.Clinic.SlotsBetween(r.Context(), from, to, matter)
	if err != nil {
		s.fail(w, r, "list clinic slots", err)
		return
	}
	out := make([]slotView, len(list))
	for i, sl := range list {
		out[i] = slotView{ScheduleID: sl.ScheduleID, Start: sl.Start.In(bot.Shanghai), End: sl.End.In(bot.Shanghai),
			Mode: sl.Mode, Location: sl.Location, Building: sl.Building, Capacity: sl.Capacity, Left: sl.Left,
			WalkIn: sl.WalkIn, ActivityID: sl.ActivityID}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"slots": out})
}

// --- bookings ---

// bookingView is a booking as staff read it: no openid, times in
// Asia/Shanghai, and the description only for clinic staff (detail).
type bookingView struct {
	ID          int64          `json:"id"`
	Code        string         `json:"code"`
	ScheduleID  int64          `json:"schedule_id"`
	Start       time.Time      `json:"start"`
	End         time.Time      `json:"end"`
	Mode        cl.Mode        `json:"mode"`
	Location    string         `json:"location"`
	Matter      cl.Matter      `json:"matter"`
	Name        string         `json:"name"`
	Phone       string         `json:"phone"`
	Description *string        `json:"description,omitempty"`
	Language    string         `json:"language,omitempty"`
	NeedRep     bool           `json:"need_rep"`
	TicketID    int64          `json:"ticket_id,omitempty"`
	AidID       int64          `json:"aid_id,omitempty"`
	Status      cl.Status      `json:"status"`
	Note        string         `json:"note,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	Timeline    []clinic.Entry `json:"timeline,omitempty"`
}

// localBooking is b as staff read it; withDescription shows the matter
// (clinic staff, one booking).
func localBooking(b cl.Booking, withDescription bool) bookingView {
	if !withDescription {
		b = clinic.RedactBooking(b) // the console redacts the same way
	}
	loc := bot.Shanghai
	v := bookingView{ID: b.ID, Code: b.Code, ScheduleID: b.ScheduleID, Start: b.Start.In(loc), End: b.End.In(loc),
		Mode: b.Mode, Location: b.Location, Matter: b.Matter, Name: b.Name, Phone: b.Phone, Language: b.Language,
		NeedRep: b.NeedRep, TicketID: b.TicketID, AidID: b.AidID, Status: b.Status, Note: b.Note,
		CreatedAt: b.CreatedAt.In(loc), UpdatedAt: b.UpdatedAt.In(loc)}
	if withDescription {
		d := b.Description
		v.Description = &d
	}
	return v
}

func localEntries(es []clinic.Entry) []clinic.Entry {
	out := make([]clinic.Entry, len(es))
	for i, e := range es {
		e.At = e.At.In(bot.Shanghai)
		out[i] = e
	}
	return out
}

// bookingQuery reads ?date=&status=, writing the 400 itself.
func bookingQuery(w http.ResponseWriter, r *http.Request) (clinic.BookingQuery, bool) {
	q := r.URL.Query()
	bq := clinic.BookingQuery{Day: q.Get("date"), Status: cl.Status(q.Get("status"))}
	if bq.Day != "" {
		if _, err := time.Parse(cl.DateLayout, bq.Day); err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "date: must be a date as YYYY-MM-DD")
			return bq, false
		}
	}
	if bq.Status != "" && !bq.Status.Valid() {
		writeError(w, http.StatusBadRequest, "invalid", "status: must be one of booked, cancelled, attended, no_show")
		return bq, false
	}
	return bq, true
}

// listBookings serves GET /api/v1/clinic/bookings?date=&status=: never
// with descriptions, whoever asks.
func (s *Server) listBookings(w http.ResponseWriter, r *http.Request) {
	bq, ok := bookingQuery(w, r)
	if !ok {
		return
	}
	list, err := s.Clinic.Bookings(r.Context(), bq)
	if err != nil {
		s.fail(w, r, "list clinic bookings", err)
		return
	}
	out := make([]bookingView, len(list))
	for i, b := range list {
		out[i] = localBooking(b, false)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"bookings": out})
}

// getBooking serves GET /api/v1/clinic/bookings/{id}: the booking with its
// timeline, and its description for clinic staff only.
func (s *Server) getBooking(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	b, tl, err := s.Clinic.Booking(r.Context(), id)
	if err != nil {
		s.fail(w, r, "get clinic booking", err)
		return
	}
	v := localBooking(b, clinicStaff(r))
	v.Timeline = localEntries(tl)
	httpjson.Write(w, http.StatusOK, v)
}

// patchBooking serves PATCH /api/v1/clinic/bookings/{id} {status?, note?}:
// booked → cancelled (frees the seat) | attended | no_show.
func (s *Server) patchBooking(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var p clinic.BookingPatch
	if !decodeJSON(w, r, &p) {
		return
	}
	if p.Status == nil && p.Note == nil {
		writeError(w, http.StatusBadRequest, "invalid", "body: give status or note")
		return
	}
	if p.Status != nil && !p.Status.Valid() {
		writeError(w, http.StatusBadRequest, "invalid", "status: must be one of booked, cancelled, attended, no_show")
		return
	}
	b, err := s.Clinic.UpdateBooking(r.Context(), id, p)
	if err != nil {
		s.fail(w, r, "patch clinic booking", err)
		return
	}
	httpjson.Write(w, http.StatusOK, localBooking(b, clinicStaff(r)))
}

// bookingColumns are the columns of the bookings' exports: never the
// description.
var bookingColumns = []struct {
	header string
	value  func(b cl.Booking) any
}{
	{"序号 id", func(b cl.Booking) any { return b.ID }},
	{"预约码 code", func(b cl.Booking) any { return b.Code }},
	{"日期 date", func(b cl.Booking) any { return b.Day() }},
	{"开始 start", func(b cl.Booking) any { return shownTime(b.Start) }},
	{"结束 end", func(b cl.Booking) any { return shownTime(b.End) }},
	{"方式 mode", func(b cl.Booking) any { return b.Mode.Label() }},
	{"地点 location", func(b cl.Booking) any { return b.Location }},
	{"事项 matter", func(b cl.Booking) any { return b.Matter.Label() }},
	{"姓名 name", func(b cl.Booking) any { return b.Name }},
	{"电话 phone", func(b cl.Booking) any { return b.Phone }},
	{"语言 language", func(b cl.Booking) any { return b.Language }},
	{"需少数民族代表 need_rep", func(b cl.Booking) any { return yesNo(b.NeedRep) }},
	{"诉求编号 ticket_id", func(b cl.Booking) any { return blankZero(b.TicketID) }},
	{"法律援助 aid_id", func(b cl.Booking) any { return blankZero(b.AidID) }},
	{"状态 status", func(b cl.Booking) any { return b.Status.Label() }},
	{"状态代码 status_code", func(b cl.Booking) any { return string(b.Status) }},
	{"备注 note", func(b cl.Booking) any { return b.Note }},
	{"预约时间 created_at", func(b cl.Booking) any { return shownTime(b.CreatedAt) }},
}

// bookingTable reads the query and the bookings it matches as the
// exports' header and rows, writing the error itself.
func (s *Server) bookingTable(w http.ResponseWriter, r *http.Request) ([]string, [][]any, bool) {
	bq, ok := bookingQuery(w, r)
	if !ok {
		return nil, nil, false
	}
	list, err := s.Clinic.Bookings(r.Context(), bq)
	if err != nil {
		s.fail(w, r, "export clinic bookings", err)
		return nil, nil, false
	}
	header := make([]string, len(bookingColumns))
	for i, c := range bookingColumns {
		header[i] = c.header
	}
	rows := make([][]any, len(list))
	for i, b := range list {
		row := make([]any, len(bookingColumns))
		for j, c := range bookingColumns {
			row[j] = c.value(b)
		}
		rows[i] = row
	}
	return header, rows, true
}

// bookingsExportName is the download's file name, dated in Asia/Shanghai.
func bookingsExportName(ext string) string {
	return "clinic-bookings-" + time.Now().In(bot.Shanghai).Format("20060102-1504") + "." + ext
}

// bookingsCSV serves GET /api/v1/clinic/bookings.csv?date=&status=: UTF-8
// with a BOM, as the other exports; no descriptions.
func (s *Server) bookingsCSV(w http.ResponseWriter, r *http.Request) {
	header, rows, ok := s.bookingTable(w, r)
	if !ok {
		return
	}
	buf, err := csvTable(header, rows)
	if err != nil {
		s.internal(w, r, "export clinic bookings csv", err)
		return
	}
	writeDownload(w, "text/csv; charset=utf-8", bookingsExportName("csv"), buf)
}

// bookingsSheet is the name of the bookings workbook's only sheet.
const bookingsSheet = "法律诊所预约"

// bookingsXLSX serves GET /api/v1/clinic/bookings.xlsx?date=&status=: the
// CSV's columns in one sheet.
func (s *Server) bookingsXLSX(w http.ResponseWriter, r *http.Request) {
	header, rows, ok := s.bookingTable(w, r)
	if !ok {
		return
	}
	buf, err := writeTable(bookingsSheet, header, rows)
	if err != nil {
		s.internal(w, r, "export clinic bookings xlsx", err)
		return
	}
	writeDownload(w, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bookingsExportName("xlsx"), buf)
}

// --- 法律援助 ---

// aidView is an aid application as staff read it: answers and description
// for clinic staff only (detail).
type aidView struct {
	ID          int64          `json:"id"`
	Name        string         `json:"name"`
	Phone       string         `json:"phone"`
	Answers     *cl.AidAnswers `json:"answers,omitempty"`
	Description *string        `json:"description,omitempty"`
	BookingID   int64          `json:"booking_id,omitempty"`
	Status      cl.AidStatus   `json:"status"`
	Note        string         `json:"note,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	Timeline    []clinic.Entry `json:"timeline,omitempty"`
}

func localAid(a cl.AidApplication, confidential bool) aidView {
	if !confidential {
		a = clinic.RedactAid(a)
	}
	v := aidView{ID: a.ID, Name: a.Name, Phone: a.Phone, BookingID: a.BookingID, Status: a.Status, Note: a.Note,
		CreatedAt: a.CreatedAt.In(bot.Shanghai), UpdatedAt: a.UpdatedAt.In(bot.Shanghai)}
	if confidential {
		d := a.Description
		v.Answers, v.Description = a.Answers, &d
		if v.Answers == nil {
			v.Answers = &cl.AidAnswers{}
		}
	}
	return v
}

var aidStatuses = []cl.AidStatus{cl.AidReceived, cl.AidReviewing, cl.AidApproved, cl.AidDeclined}

// listAid serves GET /api/v1/clinic/aid?status=: never with answers.
func (s *Server) listAid(w http.ResponseWriter, r *http.Request) {
	status := cl.AidStatus(r.URL.Query().Get("status"))
	if status != "" && !slices.Contains(aidStatuses, status) {
		writeError(w, http.StatusBadRequest, "invalid", "status: must be one of received, reviewing, approved, declined")
		return
	}
	list, err := s.Clinic.AidApplications(r.Context(), status)
	if err != nil {
		s.fail(w, r, "list clinic aid", err)
		return
	}
	out := make([]aidView, len(list))
	for i, a := range list {
		out[i] = localAid(a, false)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"applications": out})
}

// getAid serves GET /api/v1/clinic/aid/{id}: the application with its
// timeline, and its answers for clinic staff only.
func (s *Server) getAid(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	a, tl, err := s.Clinic.AidApplication(r.Context(), id)
	if err != nil {
		s.fail(w, r, "get clinic aid", err)
		return
	}
	v := localAid(a, clinicStaff(r))
	v.Timeline = localEntries(tl)
	httpjson.Write(w, http.StatusOK, v)
}

// patchAid serves PATCH /api/v1/clinic/aid/{id} {status, note?}:
// received → reviewing → approved | declined, each step told to the
// resident.
func (s *Server) patchAid(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var p clinic.AidPatch
	if !decodeJSON(w, r, &p) {
		return
	}
	if p.Status == nil && p.Note == nil {
		writeError(w, http.StatusBadRequest, "invalid", "body: give status or note")
		return
	}
	if p.Status != nil && !slices.Contains(aidStatuses, *p.Status) {
		writeError(w, http.StatusBadRequest, "invalid", "status: must be one of received, reviewing, approved, declined")
		return
	}
	a, err := s.Clinic.UpdateAid(r.Context(), id, p)
	if err != nil {
		s.fail(w, r, "patch clinic aid", err)
		return
	}
	httpjson.Write(w, http.StatusOK, localAid(a, clinicStaff(r)))
}

// --- 专家会诊 ---

// expertView is an expert request as staff read it: the description for
// clinic staff only (detail).
type expertView struct {
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	Phone       string          `json:"phone"`
	Matter      cl.Matter       `json:"matter"`
	Description *string         `json:"description,omitempty"`
	Status      cl.ExpertStatus `json:"status"`
	At          *time.Time      `json:"at,omitempty"`
	Location    string          `json:"location,omitempty"`
	ProviderIDs []int64         `json:"provider_ids"`
	Note        string          `json:"note,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

func localExpert(e cl.ExpertRequest, confidential bool) expertView {
	if !confidential {
		e = clinic.RedactExpert(e)
	}
	v := expertView{ID: e.ID, Name: e.Name, Phone: e.Phone, Matter: e.Matter, Status: e.Status, Location: e.Location,
		ProviderIDs: e.ProviderIDs, Note: e.Note, CreatedAt: e.CreatedAt.In(bot.Shanghai), UpdatedAt: e.UpdatedAt.In(bot.Shanghai)}
	if v.ProviderIDs == nil {
		v.ProviderIDs = []int64{}
	}
	if e.At != nil {
		at := e.At.In(bot.Shanghai)
		v.At = &at
	}
	if confidential {
		d := e.Description
		v.Description = &d
	}
	return v
}

var expertStatuses = []cl.ExpertStatus{cl.ExpertRequested, cl.ExpertScheduled, cl.ExpertDeclined}

// listExpert serves GET /api/v1/clinic/expert?status=.
func (s *Server) listExpert(w http.ResponseWriter, r *http.Request) {
	status := cl.ExpertStatus(r.URL.Query().Get("status"))
	if status != "" && !slices.Contains(expertStatuses, status) {
		writeError(w, http.StatusBadRequest, "invalid", "status: must be one of requested, scheduled, declined")
		return
	}
	list, err := s.Clinic.ExpertRequests(r.Context(), status)
	if err != nil {
		s.fail(w, r, "list clinic expert", err)
		return
	}
	out := make([]expertView, len(list))
	for i, e := range list {
		out[i] = localExpert(e, false)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"requests": out})
}

// getExpert serves GET /api/v1/clinic/expert/{id}.
func (s *Server) getExpert(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	e, err := s.Clinic.ExpertRequest(r.Context(), id)
	if err != nil {
		s.fail(w, r, "get clinic expert", err)
		return
	}
	httpjson.Write(w, http.StatusOK, localExpert(e, clinicStaff(r)))
}

// patchExpert serves PATCH /api/v1/clinic/expert/{id}: {status:
// "scheduled", at, location, provider_ids, note?} or {status: "declined",
// note}. The resident (and the panel) are told.
func (s *Server) patchExpert(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var b struct {
		Status      *cl.ExpertStatus `json:"status"`
		At          *string          `json:"at"`
		Location    *string          `json:"location"`
		ProviderIDs *[]int64         `json:"provider_ids"`
		Note        *string          `json:"note"`
	}
	if !decodeJSON(w, r, &b) {
		return
	}
	p := clinic.ExpertPatch{Status: b.Status, Location: b.Location, ProviderIDs: b.ProviderIDs, Note: b.Note}
	if p.Status == nil && p.Note == nil && b.At == nil && p.Location == nil && p.ProviderIDs == nil {
		writeError(w, http.StatusBadRequest, "invalid", "body: give at least one field to change")
		return
	}
	if p.Status != nil && !slices.Contains(expertStatuses, *p.Status) {
		writeError(w, http.StatusBadRequest, "invalid", "status: must be one of requested, scheduled, declined")
		return
	}
	if b.At != nil {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*b.At))
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "at: "+timeFormatHelp)
			return
		}
		t = t.UTC()
		p.At = &t
	}
	e, err := s.Clinic.UpdateExpert(r.Context(), id, p)
	if err != nil {
		s.fail(w, r, "patch clinic expert", err)
		return
	}
	httpjson.Write(w, http.StatusOK, localExpert(e, clinicStaff(r)))
}

// --- public calendar ---

// clinicCalendarName is the clinic calendar's name.
const clinicCalendarName = "法律诊所"

// clinicCalendarDays is how far ahead clinic.ics lists sessions.
const clinicCalendarDays = 28

// clinicCalendar serves GET /calendar/clinic.ics, public: the sessions of
// the coming four weeks (mode, hours, place, providers' names), nothing
// of who booked.
func (s *Server) clinicCalendar(w http.ResponseWriter, r *http.Request) {
	now := time.Now().In(bot.Shanghai)
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, bot.Shanghai)
	list, err := s.Clinic.Sessions(r.Context(), from, from.AddDate(0, 0, clinicCalendarDays))
	if err != nil {
		s.internal(w, r, "clinic calendar", err)
		return
	}
	cal := newCalendar(clinicCalendarName)
	for _, se := range list {
		e := cal.AddEvent(fmt.Sprintf("clinic-%d-%d@tongxin", se.ScheduleID, se.Start.Unix()))
		e.SetDtStampTime(now)
		e.SetStartAt(se.Start)
		e.SetEndAt(se.End)
		e.SetSummary(icsText(clinicCalendarName + "·" + se.Mode.Label()))
		if se.Location != "" {
			e.SetLocation(icsText(se.Location))
		}
		if len(se.Providers) > 0 {
			e.SetDescription(icsText("坐诊：" + strings.Join(se.Providers, "、") + "\n咨询热线 " + cl.Hotline))
		} else {
			e.SetDescription("咨询热线 " + cl.Hotline)
		}
		e.SetStatus(ics.ObjectStatusConfirmed)
	}
	serveCalendar(w, r, s, cal, "clinic.ics")
}

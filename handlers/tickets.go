package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// maxJSONBody bounds an admin API request body; the largest is a grid with
// its buildings, far below this.
const maxJSONBody = 1 << 20

// ticketNumber is what a ticket number looks like: digits only, at most 10,
// so that a typo is a 400 and never reaches the service.
var ticketNumber = regexp.MustCompile(`^[0-9]{1,10}$`)

var ticketStatuses = []ticket.Status{ticket.Submitted, ticket.Accepted, ticket.Resolved, ticket.Closed, ticket.Returned, ticket.Reopened}

// ticketRoutes adds the service-request endpoints to the admin API mux. The
// exports are registered with their own literal paths: "tickets.csv" is one
// path segment that never matches "tickets/{number}", so the two cannot
// collide whatever the registration order.
func (s *Server) ticketRoutes(api *http.ServeMux) {
	if s.Tickets == nil {
		return
	}
	api.HandleFunc("POST /api/v1/staff", s.createStaff)
	api.HandleFunc("GET /api/v1/staff", s.listStaff)
	api.HandleFunc("POST /api/v1/staff/{id}/bind-code", s.reissueBindCode)
	api.HandleFunc("POST /api/v1/buildings", s.saveBuilding)
	api.HandleFunc("POST /api/v1/grids", s.createGrid)
	api.HandleFunc("GET /api/v1/grids", s.listGrids)
	api.HandleFunc("GET /api/v1/tickets.csv", s.exportCSV)
	api.HandleFunc("GET /api/v1/tickets.xlsx", s.exportXLSX)
	api.HandleFunc("GET /api/v1/tickets", s.listTickets)
	api.HandleFunc("POST /api/v1/tickets", s.fileTicket)
	api.HandleFunc("GET /api/v1/tickets/{number}", s.getTicket)
	api.HandleFunc("PATCH /api/v1/tickets/{number}", s.patchTicket)
	api.HandleFunc("GET /api/v1/stats", s.stats)
}

// staffCreated is the answer to POST /api/v1/staff: the record and the
// one-time code the staff member sends as "绑定 <code>".
type staffCreated struct {
	ticket.Staff
	BindCode string `json:"bind_code"`
}

// createStaff serves POST /api/v1/staff.
func (s *Server) createStaff(w http.ResponseWriter, r *http.Request) {
	var in tickets.StaffInput
	if !decodeJSON(w, r, &in) {
		return
	}
	st, code, err := s.Tickets.CreateStaff(r.Context(), in)
	if err != nil {
		s.serviceError(w, r, "create staff", err, http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusCreated, staffCreated{Staff: st, BindCode: code})
}

// reissueBindCode serves POST /api/v1/staff/{id}/bind-code: a fresh
// one-time code when the first expired or was lost.
func (s *Server) reissueBindCode(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "invalid", "id: must be a positive whole number")
		return
	}
	code, expires, err := s.Tickets.ReissueBindCode(r.Context(), id)
	if err != nil {
		s.serviceError(w, r, "reissue bind code", err, http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "bind_code": code, "expires_at": expires.In(workcal.Shanghai)})
}

// listStaff serves GET /api/v1/staff.
func (s *Server) listStaff(w http.ResponseWriter, r *http.Request) {
	list, err := s.Tickets.ListStaff(r.Context())
	if err != nil {
		s.serviceError(w, r, "list staff", err, http.StatusBadRequest)
		return
	}
	if list == nil {
		list = []ticket.Staff{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"staff": list})
}

// saveBuilding serves POST /api/v1/buildings.
func (s *Server) saveBuilding(w http.ResponseWriter, r *http.Request) {
	var in tickets.BuildingInput
	if !decodeJSON(w, r, &in) {
		return
	}
	b, err := s.Tickets.SaveBuilding(r.Context(), in)
	if err != nil {
		s.serviceError(w, r, "save building", err, http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusCreated, b)
}

// createGrid serves POST /api/v1/grids.
func (s *Server) createGrid(w http.ResponseWriter, r *http.Request) {
	var in tickets.GridInput
	if !decodeJSON(w, r, &in) {
		return
	}
	g, err := s.Tickets.CreateGrid(r.Context(), in)
	if err != nil {
		s.serviceError(w, r, "create grid", err, http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

// listGrids serves GET /api/v1/grids.
func (s *Server) listGrids(w http.ResponseWriter, r *http.Request) {
	list, err := s.Tickets.ListGrids(r.Context())
	if err != nil {
		s.serviceError(w, r, "list grids", err, http.StatusBadRequest)
		return
	}
	if list == nil {
		list = []ticket.Grid{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"grids": list})
}

// listTickets serves GET /api/v1/tickets?status=&category=&grid=&overdue=
// &from=&to=&limit=&offset=.
func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) {
	f, ok := s.ticketFilter(w, r)
	if !ok {
		return
	}
	limit, ok := intParam(w, r.URL.Query().Get("limit"), "limit", 50, 1, 500)
	if !ok {
		return
	}
	offset, ok := intParam(w, r.URL.Query().Get("offset"), "offset", 0, 0, 1<<30)
	if !ok {
		return
	}
	f.Limit, f.Offset = limit, offset
	list, total, err := s.Tickets.List(r.Context(), f)
	if err != nil {
		s.serviceError(w, r, "list tickets", err, http.StatusBadRequest)
		return
	}
	out := make([]ticket.Ticket, len(list))
	for i, t := range list {
		out[i] = localTicket(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"tickets": out, "total": total, "limit": limit, "offset": offset})
}

// ticketFilter reads the filters the list and the exports share; it writes
// the 400 itself and reports false on a bad value.
func (s *Server) ticketFilter(w http.ResponseWriter, r *http.Request) (tickets.Filter, bool) {
	q := r.URL.Query()
	var f tickets.Filter
	if v := q.Get("status"); v != "" {
		st := ticket.Status(v)
		known := false
		for _, k := range ticketStatuses {
			known = known || k == st
		}
		if !known {
			writeError(w, http.StatusBadRequest, "invalid", "status: must be one of submitted, accepted, resolved, closed, returned, reopened")
			return f, false
		}
		f.Status = st
	}
	if v := q.Get("category"); v != "" {
		if _, ok := s.category(v); !ok {
			writeError(w, http.StatusBadRequest, "invalid", "category: must be one of "+s.categoryKeys())
			return f, false
		}
		f.Category = v
	}
	if v := q.Get("grid"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			writeError(w, http.StatusBadRequest, "invalid", "grid: must be a grid id (a positive whole number)")
			return f, false
		}
		f.GridID = id
	}
	if v := q.Get("overdue"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "overdue: must be true or false")
			return f, false
		}
		f.Overdue = b
	}
	from, to, ok := dateRange(w, q.Get("from"), q.Get("to"))
	if !ok {
		return f, false
	}
	f.From, f.To = from, to
	return f, true
}

// dateRange reads from and to as YYYY-MM-DD days in Asia/Shanghai, both
// included: it returns the start of from and the start of the day after
// to, zero for a bound not given.
func dateRange(w http.ResponseWriter, fromS, toS string) (from, to time.Time, ok bool) {
	var err error
	if fromS != "" {
		if from, err = time.ParseInLocation(time.DateOnly, fromS, workcal.Shanghai); err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "from: must be a date as YYYY-MM-DD")
			return from, to, false
		}
	}
	if toS != "" {
		if to, err = time.ParseInLocation(time.DateOnly, toS, workcal.Shanghai); err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "to: must be a date as YYYY-MM-DD")
			return from, to, false
		}
		to = to.AddDate(0, 0, 1)
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		writeError(w, http.StatusBadRequest, "invalid", "to: must not be before from")
		return from, to, false
	}
	return from, to, true
}

// getTicket serves GET /api/v1/tickets/{number}.
func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) {
	number, ok := pathNumber(w, r)
	if !ok {
		return
	}
	t, events, err := s.Tickets.Get(r.Context(), number)
	if err != nil {
		s.serviceError(w, r, "get ticket", err, http.StatusBadRequest)
		return
	}
	timeline := make([]ticket.Event, len(events))
	for i, e := range events {
		e.At = e.At.In(workcal.Shanghai)
		timeline[i] = e
	}
	writeJSON(w, http.StatusOK, map[string]any{"ticket": localTicket(t), "timeline": timeline})
}

// patchTicket serves PATCH /api/v1/tickets/{number}. A transition the
// rules refuse (办结 before 受理, say) is a 409.
func (s *Server) patchTicket(w http.ResponseWriter, r *http.Request) {
	number, ok := pathNumber(w, r)
	if !ok {
		return
	}
	var p tickets.Patch
	if !decodeJSON(w, r, &p) {
		return
	}
	if p.Status == "" && p.AssigneeID == 0 && strings.TrimSpace(p.Note) == "" {
		writeError(w, http.StatusBadRequest, "invalid", "status: give status, assignee_id or note")
		return
	}
	if p.AssigneeID < 0 {
		writeError(w, http.StatusBadRequest, "invalid", "assignee_id: must be a staff id")
		return
	}
	t, err := s.Tickets.Patch(r.Context(), number, p)
	if err != nil {
		s.serviceError(w, r, "patch ticket", err, http.StatusConflict)
		return
	}
	writeJSON(w, http.StatusOK, localTicket(t))
}

// staffFiling is POST /api/v1/tickets: staff filing for a resident who
// phoned or walked in.
type staffFiling struct {
	Name        string `json:"name"`
	Phone       string `json:"phone"`
	Category    string `json:"category"`
	Description string `json:"description"`
	// Building is the building's number (3 for 3号楼), 0 when none.
	Building int    `json:"building,omitempty"`
	Unit     int    `json:"unit,omitempty"`
	Place    string `json:"place,omitempty"`
	FiledBy  int64  `json:"filed_by,omitempty"`
}

// fileTicket serves POST /api/v1/tickets.
func (s *Server) fileTicket(w http.ResponseWriter, r *http.Request) {
	var in staffFiling
	if !decodeJSON(w, r, &in) {
		return
	}
	d := ticket.Draft{
		Name:        strings.TrimSpace(in.Name),
		Phone:       strings.TrimSpace(in.Phone),
		Category:    strings.TrimSpace(in.Category),
		Description: strings.TrimSpace(in.Description),
		Unit:        in.Unit,
		Place:       strings.TrimSpace(in.Place),
		Source:      "staff",
		FiledBy:     in.FiledBy,
	}
	bad := func(msg string) { writeError(w, http.StatusBadRequest, "invalid", msg) }
	switch {
	case d.Phone == "":
		bad("phone: is required")
		return
	case d.Category == "":
		bad("category: is required")
		return
	case d.Description == "":
		bad("description: is required")
		return
	case in.Building < 0:
		bad("building: must be a building number")
		return
	case in.Unit < 0 || (in.Unit > 0 && in.Building == 0):
		bad("unit: must be a unit number of the building given")
		return
	case in.Building == 0 && d.Place == "":
		bad("building: give building or place")
		return
	case in.FiledBy < 0:
		bad("filed_by: must be a staff id")
		return
	}
	if _, ok := s.category(d.Category); !ok {
		bad("category: must be one of " + s.categoryKeys())
		return
	}
	if in.Building > 0 {
		b, err := s.Tickets.FindBuilding(r.Context(), in.Building)
		if errors.Is(err, bot.ErrNotFound) {
			bad(fmt.Sprintf("building: no building numbered %d", in.Building))
			return
		}
		if err != nil {
			s.internal(w, r, "find building", err)
			return
		}
		d.BuildingID = b.ID
		if d.Place == "" {
			d.Place = b.Name
			if d.Unit > 0 {
				d.Place += strconv.Itoa(d.Unit) + "单元"
			}
		}
	}
	rc, err := s.Tickets.Submit(r.Context(), d)
	if err != nil {
		s.serviceError(w, r, "file ticket", err, http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"ticket": localTicket(rc.Ticket), "same_issue": rc.SameIssue})
}

// stats serves GET /api/v1/stats?from=YYYY-MM-DD&to=YYYY-MM-DD (both days
// included). Without them it covers the last seven days up to today.
func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, ok := dateRange(w, q.Get("from"), q.Get("to"))
	if !ok {
		return
	}
	if to.IsZero() {
		y, m, d := time.Now().In(workcal.Shanghai).Date()
		to = time.Date(y, m, d+1, 0, 0, 0, 0, workcal.Shanghai)
		if !from.IsZero() && !from.Before(to) {
			writeError(w, http.StatusBadRequest, "invalid", "from: must not be after today")
			return
		}
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -7)
	}
	st, err := s.Tickets.Stats(r.Context(), from, to)
	if err != nil {
		s.serviceError(w, r, "ticket stats", err, http.StatusBadRequest)
		return
	}
	st.From, st.To = st.From.In(workcal.Shanghai), st.To.In(workcal.Shanghai)
	if st.ByGrid == nil {
		st.ByGrid = []tickets.StatRow{}
	}
	if st.ByCategory == nil {
		st.ByCategory = []tickets.StatRow{}
	}
	writeJSON(w, http.StatusOK, st)
}

// pathNumber reads {number}, writing the 400 when it is not a ticket number.
func pathNumber(w http.ResponseWriter, r *http.Request) (string, bool) {
	n := r.PathValue("number")
	if !ticketNumber.MatchString(n) {
		writeError(w, http.StatusBadRequest, "invalid", "number: a ticket number is 1 to 10 digits")
		return "", false
	}
	return n, true
}

func (s *Server) category(key string) (ticket.Category, bool) {
	for _, c := range s.Tickets.Categories() {
		if c.Key == key {
			return c, true
		}
	}
	return ticket.Category{}, false
}

func (s *Server) categoryKeys() string {
	var keys []string
	for _, c := range s.Tickets.Categories() {
		keys = append(keys, c.Key)
	}
	return strings.Join(keys, ", ")
}

// decodeJSON reads the body into v, refusing unknown fields and anything
// after the object. It writes the 4xx naming the field and reports false
// when the body is not acceptable.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			err = errors.New("trailing data")
		}
	}
	if err == nil {
		return true
	}
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		tooLong *http.MaxBytesError
	)
	msg := "body: must be one JSON object and nothing after it"
	switch {
	case errors.As(err, &tooLong):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body: must be at most %d bytes", tooLong.Limit))
		return false
	case errors.Is(err, io.EOF):
		msg = "body: is empty; send a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "body: malformed JSON (cut short)"
	case errors.As(err, &syntax):
		msg = fmt.Sprintf("body: malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			msg = "body: must be a JSON object"
		} else {
			msg = fmt.Sprintf("%s: must be %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
		}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if uq, uerr := strconv.Unquote(name); uerr == nil {
			name = uq
		}
		msg = name + ": unknown field"
	}
	writeError(w, http.StatusBadRequest, "invalid", msg)
	return false
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "a whole number"
	case strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "slice", k == "array":
		return "a list"
	case k == "map", k == "struct":
		return "an object"
	case k == "bool":
		return "true or false"
	}
	return k
}

// serviceError answers an error of the ticket service. A *bot.UserError
// that is neither not-found nor conflict gets userStatus: 409 where the
// request asked for a transition the rules refuse, 400 where it is about
// the input.
func (s *Server) serviceError(w http.ResponseWriter, r *http.Request, op string, err error, userStatus int) {
	var (
		fe *tickets.FieldError
		ue *bot.UserError
	)
	isUser := errors.As(err, &ue)
	userMsg := func(def string) string {
		if isUser && ue.Message != "" {
			return ue.Message
		}
		return def
	}
	switch {
	case errors.As(err, &fe):
		writeError(w, http.StatusBadRequest, "invalid", fe.Error())
	case errors.Is(err, bot.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", userMsg("no such ticket, staff member, building or grid"))
	case errors.Is(err, bot.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", userMsg("conflicts with the current state"))
	case isUser && userStatus == http.StatusConflict:
		writeError(w, http.StatusConflict, "conflict", userMsg(""))
	case isUser:
		writeError(w, http.StatusBadRequest, "invalid", userMsg(""))
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		w.WriteHeader(http.StatusServiceUnavailable)
	default:
		s.internal(w, r, op, err)
	}
}

// localTicket shows t's times in Asia/Shanghai, as staff read them.
func localTicket(t ticket.Ticket) ticket.Ticket {
	loc := workcal.Shanghai
	t.ResponseDue = t.ResponseDue.In(loc)
	t.ResolveDue = t.ResolveDue.In(loc)
	t.CreatedAt = t.CreatedAt.In(loc)
	t.UpdatedAt = t.UpdatedAt.In(loc)
	for _, p := range []**time.Time{&t.AcceptedAt, &t.ResolvedAt, &t.ClosedAt, &t.EscalatedAt, &t.UrgedAt} {
		if *p != nil {
			v := (*p).In(loc)
			*p = &v
		}
	}
	return t
}

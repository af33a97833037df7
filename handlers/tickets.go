package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/handlers/httpjson"
	"github.com/tongxin/tongxin/tickets"
)

var ticketStatuses = []ticket.Status{ticket.Submitted, ticket.Accepted, ticket.Resolved, ticket.Closed, ticket.Returned, ticket.Reopened}

// ticketRoutes adds the service-request endpoints to the admin API mux. The
// exports are registered with their own literal paths: "tickets.csv" is one
// path segment that never matches "tickets/{number}", so the two cannot
// collide whatever the registration order.
func (s *Server) ticketRoutes(api *http.ServeMux) {
	if s.Tickets == nil {
		return
	}
	api.HandleFunc("GET /api/v1/tickets.csv", s.exportCSV)
	api.HandleFunc("GET /api/v1/tickets.xlsx", s.exportXLSX)
	api.HandleFunc("GET /api/v1/tickets", s.listTickets)
	api.HandleFunc("POST /api/v1/tickets", s.fileTicket)
	api.HandleFunc("GET /api/v1/tickets/{number}", s.getTicket)
	api.HandleFunc("PATCH /api/v1/tickets/{number}", s.patchTicket)
	api.HandleFunc("GET /api/v1/stats", s.stats)
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
		s.fail(w, r, "list tickets", err)
		return
	}
	out := make([]ticket.Ticket, len(list))
	for i, t := range list {
		out[i] = localTicket(t)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"tickets": out, "total": total, "limit": limit, "offset": offset})
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

// getTicket serves GET /api/v1/tickets/{number}.
func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) {
	number, ok := pathNumber(w, r)
	if !ok {
		return
	}
	t, events, err := s.Tickets.Get(r.Context(), number)
	if err != nil {
		s.fail(w, r, "get ticket", err)
		return
	}
	timeline := make([]ticket.Entry, len(events))
	for i, e := range events {
		e.At = e.At.In(bot.Shanghai)
		timeline[i] = e
	}
	out := map[string]any{"ticket": localTicket(t), "timeline": timeline}
	media, err := s.ticketMedia(r.Context(), t)
	if err != nil {
		s.fail(w, r, "list ticket media", err)
		return
	}
	if media != nil {
		out["media"] = media
	}
	httpjson.Write(w, http.StatusOK, out)
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
		s.fail(w, r, "patch ticket", err)
		return
	}
	httpjson.Write(w, http.StatusOK, localTicket(t))
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
		b, err := s.Community.FindBuilding(r.Context(), in.Building)
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
		s.fail(w, r, "file ticket", err)
		return
	}
	httpjson.Write(w, http.StatusCreated, map[string]any{"ticket": localTicket(rc.Ticket), "same_issue": rc.SameIssue})
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
		y, m, d := time.Now().In(bot.Shanghai).Date()
		to = time.Date(y, m, d+1, 0, 0, 0, 0, bot.Shanghai)
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
		s.fail(w, r, "ticket stats", err)
		return
	}
	st.From, st.To = st.From.In(bot.Shanghai), st.To.In(bot.Shanghai)
	if st.ByGrid == nil {
		st.ByGrid = []tickets.StatRow{}
	}
	if st.ByCategory == nil {
		st.ByCategory = []tickets.StatRow{}
	}
	httpjson.Write(w, http.StatusOK, st)
}

// pathNumber reads {number}, writing the 400 when it is not a ticket number.
func pathNumber(w http.ResponseWriter, r *http.Request) (string, bool) {
	n := r.PathValue("number")
	if !ticket.WellFormedNumber(n) {
		writeError(w, http.StatusBadRequest, "invalid", "number: a ticket number is 1 to 10 digits, or 11 on a day past 9999 tickets")
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

// localTicket shows t's times in Asia/Shanghai, as staff read them.
func localTicket(t ticket.Ticket) ticket.Ticket {
	loc := bot.Shanghai
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

package handlers

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/input"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/handlers/httpjson"
	"github.com/tongxin/tongxin/tickets"
)

// Open311 GeoReport v2 limits (http://wiki.open311.org/GeoReport_v2/): the
// default window of GET requests, the most requests one answer holds, and
// the longest description a request may carry.
const (
	open311Window   = 90 * 24 * time.Hour
	open311MaxRows  = 1000
	open311MaxIDs   = 1000
	open311MaxDesc  = 4000
	open311MaxForm  = 64 << 10
	open311Group    = "社区诉求"
	open311Agency   = "社区综合服务平台"
	open311JSONOnly = "This endpoint serves JSON only; use the .json form of the URL."
)

// open311Service is one item of services.json.
type open311Service struct {
	ServiceCode string `json:"service_code"`
	ServiceName string `json:"service_name"`
	Description string `json:"description"`
	Metadata    bool   `json:"metadata"`
	Type        string `json:"type"`
	Keywords    string `json:"keywords"`
	Group       string `json:"group"`
}

// open311Request is one item of requests.json. Every field of the spec is
// present, null when we have nothing for it. It carries no name or phone:
// the GET endpoints are public.
type open311Request struct {
	ServiceRequestID  string   `json:"service_request_id"`
	Status            string   `json:"status"`
	StatusNotes       string   `json:"status_notes"`
	ServiceName       string   `json:"service_name"`
	ServiceCode       string   `json:"service_code"`
	Description       string   `json:"description"`
	AgencyResponsible string   `json:"agency_responsible"`
	ServiceNotice     *string  `json:"service_notice"`
	RequestedDatetime string   `json:"requested_datetime"`
	UpdatedDatetime   string   `json:"updated_datetime"`
	ExpectedDatetime  *string  `json:"expected_datetime"`
	Address           string   `json:"address"`
	AddressID         *string  `json:"address_id"`
	Zipcode           *string  `json:"zipcode"`
	Lat               *float64 `json:"lat"`
	Long              *float64 `json:"long"`
	MediaURL          *string  `json:"media_url"`
}

// open311Created is the answer to POST requests.json.
type open311Created struct {
	ServiceRequestID string  `json:"service_request_id"`
	ServiceNotice    string  `json:"service_notice"`
	AccountID        *string `json:"account_id"`
}

// open311Error is one item of the spec's error array.
type open311Error struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
}

func open311Fail(w http.ResponseWriter, code int, desc string) {
	httpjson.Write(w, code, []open311Error{{Code: code, Description: desc}})
}

// open311Routes adds the GeoReport v2 endpoints (JSON only). GET is public;
// POST needs Open311Key as api_key. The request path carries the format
// ("requests/123.json"), which a ServeMux wildcard cannot split, so the
// single-request handler strips it.
func (s *Server) open311Routes(mux *http.ServeMux) {
	if s.Tickets == nil {
		return
	}
	mux.HandleFunc("GET /open311/v2/services.json", s.open311Services)
	mux.HandleFunc("GET /open311/v2/requests.json", s.open311Requests)
	mux.HandleFunc("POST /open311/v2/requests.json", s.open311Create)
	mux.HandleFunc("GET /open311/v2/requests/{file}", s.open311Request)
	mux.HandleFunc("/open311/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".xml") {
			open311Fail(w, http.StatusBadRequest, open311JSONOnly)
			return
		}
		open311Fail(w, http.StatusNotFound, "No such Open311 resource.")
	})
}

// open311Services serves GET /open311/v2/services.json: our categories.
func (s *Server) open311Services(w http.ResponseWriter, r *http.Request) {
	cats := s.Tickets.Categories()
	out := make([]open311Service, 0, len(cats))
	for _, c := range cats {
		out = append(out, open311Service{
			ServiceCode: c.Key,
			ServiceName: c.Name,
			Description: fmt.Sprintf("%s：%s个工作小时内响应，%s个工作小时内办结。", c.Name, hours(c.ResponseHours), hours(c.ResolveHours)),
			Metadata:    false,
			Type:        "realtime",
			Keywords:    c.Name + ", " + c.Key,
			Group:       open311Group,
		})
	}
	httpjson.Write(w, http.StatusOK, out)
}

func hours(h float64) string { return strconv.FormatFloat(h, 'f', -1, 64) }

// open311Requests serves GET /open311/v2/requests.json. service_request_id
// (comma list) overrides everything else; otherwise service_code and
// status (comma lists), start_date and end_date filter, by default over the
// last 90 days, newest first, at most 1000.
func (s *Server) open311Requests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ctx := r.Context()
	if ids := q.Get("service_request_id"); ids != "" {
		// Get is the only lookup by number (it loads the timeline too), so
		// at most open311MaxIDs distinct well-formed ids are looked up and
		// the rest of the list is ignored, as the spec lets a server limit
		// how many requests it returns.
		var list []ticket.Ticket
		seen := map[string]bool{}
		for id := range strings.SplitSeq(ids, ",") {
			if len(seen) == open311MaxIDs {
				break
			}
			id = strings.TrimSpace(id)
			if seen[id] || !ticket.WellFormedNumber(id) {
				continue
			}
			seen[id] = true
			t, _, err := s.Tickets.Get(ctx, id)
			if errors.Is(err, bot.ErrNotFound) {
				continue
			}
			if err != nil {
				s.open311Internal(w, r, "open311 get requests", err)
				return
			}
			list = append(list, t)
		}
		s.open311Answer(w, r, list)
		return
	}

	var codes []string
	if v := q.Get("service_code"); v != "" {
		for _, c := range strings.Split(v, ",") {
			c = strings.TrimSpace(c)
			if _, ok := s.category(c); !ok {
				open311Fail(w, http.StatusBadRequest, "service_code: unknown service code "+strconv.Quote(c)+"; see services.json")
				return
			}
			if !slices.Contains(codes, c) {
				codes = append(codes, c)
			}
		}
	} else {
		codes = []string{""}
	}
	wantOpen, wantClosed := true, true
	if v := q.Get("status"); v != "" {
		wantOpen, wantClosed = false, false
		for _, st := range strings.Split(v, ",") {
			switch strings.TrimSpace(st) {
			case "open":
				wantOpen = true
			case "closed":
				wantClosed = true
			default:
				open311Fail(w, http.StatusBadRequest, "status: must be open or closed")
				return
			}
		}
	}
	start, err := w3cTime(q.Get("start_date"))
	if err != nil {
		open311Fail(w, http.StatusBadRequest, "start_date: must be a w3 datetime such as 2010-01-01T00:00:00Z")
		return
	}
	end, err := w3cTime(q.Get("end_date"))
	if err != nil {
		open311Fail(w, http.StatusBadRequest, "end_date: must be a w3 datetime such as 2010-01-01T00:00:00Z")
		return
	}
	switch {
	case start.IsZero() && end.IsZero():
		end = time.Now()
		start = end.Add(-open311Window)
	case start.IsZero():
		start = end.Add(-open311Window)
	case end.IsZero():
		end = start.Add(open311Window)
	}
	if !start.Before(end) {
		open311Fail(w, http.StatusBadRequest, "end_date: must be after start_date")
		return
	}
	if end.Sub(start) > open311Window {
		open311Fail(w, http.StatusBadRequest, "end_date: the range may not span more than 90 days")
		return
	}

	var list []ticket.Ticket
	for _, code := range codes {
		f := tickets.Filter{Category: code, From: start, To: end.Add(time.Nanosecond), Limit: exportPage}
		n := 0
	pages:
		for f.Offset = 0; ; f.Offset += exportPage {
			page, total, err := s.Tickets.List(ctx, f)
			if err != nil {
				s.open311Internal(w, r, "open311 list requests", err)
				return
			}
			for _, t := range page {
				if open := t.Status.Open(); (open && wantOpen) || (!open && wantClosed) {
					list = append(list, t)
					if n++; n == open311MaxRows {
						break pages
					}
				}
			}
			if len(page) < exportPage || f.Offset+len(page) >= total {
				break
			}
		}
	}
	slices.SortStableFunc(list, func(a, b ticket.Ticket) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(list) > open311MaxRows {
		list = list[:open311MaxRows]
	}
	s.open311Answer(w, r, list)
}

// open311Request serves GET /open311/v2/requests/{id}.json: an array of
// one.
func (s *Server) open311Request(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	id, ok := strings.CutSuffix(file, ".json")
	if !ok {
		if strings.HasSuffix(file, ".xml") {
			open311Fail(w, http.StatusBadRequest, open311JSONOnly)
			return
		}
		open311Fail(w, http.StatusNotFound, "No such Open311 resource.")
		return
	}
	notFound := "service_request_id: no service request " + strconv.Quote(id)
	if !ticket.WellFormedNumber(id) {
		open311Fail(w, http.StatusNotFound, notFound)
		return
	}
	t, _, err := s.Tickets.Get(r.Context(), id)
	if errors.Is(err, bot.ErrNotFound) {
		open311Fail(w, http.StatusNotFound, notFound)
		return
	}
	if err != nil {
		s.open311Internal(w, r, "open311 get request", err)
		return
	}
	l, err := s.open311Lookups(r)
	if err != nil {
		s.open311Internal(w, r, "open311 get request", err)
		return
	}
	httpjson.Write(w, http.StatusOK, []open311Request{l.request(t)})
}

// open311Create serves POST /open311/v2/requests.json (form-encoded).
func (s *Server) open311Create(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, open311MaxForm)
	if err := r.ParseForm(); err != nil {
		open311Fail(w, http.StatusBadRequest, "body: must be application/x-www-form-urlencoded, at most 64 KiB")
		return
	}
	key := r.Form.Get("api_key")
	if s.Open311Key == "" || key == "" || subtle.ConstantTimeCompare([]byte(key), []byte(s.Open311Key)) != 1 {
		open311Fail(w, http.StatusForbidden, "api_key: missing or invalid api_key; can't create the service request")
		return
	}
	in := func(name string) string { return strings.TrimSpace(r.Form.Get(name)) }
	code := in("service_code")
	if code == "" {
		open311Fail(w, http.StatusBadRequest, "service_code: is required; see services.json")
		return
	}
	if _, ok := s.category(code); !ok {
		open311Fail(w, http.StatusNotFound, "service_code: unknown service code "+strconv.Quote(code)+"; see services.json")
		return
	}
	d := ticket.Draft{
		Name:        strings.TrimSpace(in("last_name") + in("first_name")),
		Phone:       in("phone"),
		Category:    code,
		Description: in("description"),
		Source:      "open311",
	}
	if d.Description == "" {
		open311Fail(w, http.StatusBadRequest, "description: is required")
		return
	}
	if n := len([]rune(d.Description)); n > open311MaxDesc {
		open311Fail(w, http.StatusBadRequest, fmt.Sprintf("description: at most %d characters, got %d", open311MaxDesc, n))
		return
	}
	latS, longS, addr, addrID := in("lat"), in("long"), in("address_string"), in("address_id")
	if latS != "" || longS != "" {
		lat, err1 := strconv.ParseFloat(latS, 64)
		lng, err2 := strconv.ParseFloat(longS, 64)
		switch {
		case latS == "" || longS == "":
			open311Fail(w, http.StatusBadRequest, "lat: lat and long must be sent together")
			return
		case err1 != nil || math.IsNaN(lat) || lat < -90 || lat > 90:
			open311Fail(w, http.StatusBadRequest, "lat: must be a WGS84 latitude")
			return
		case err2 != nil || math.IsNaN(lng) || lng < -180 || lng > 180:
			open311Fail(w, http.StatusBadRequest, "long: must be a WGS84 longitude")
			return
		}
		d.Lat, d.Lng = lat, lng
		d.Place = fmt.Sprintf("位置 %.6f,%.6f", lat, lng)
	}
	var building int
	switch {
	case addrID != "":
		n, err := strconv.Atoi(addrID)
		if err != nil || n <= 0 {
			open311Fail(w, http.StatusBadRequest, "address_id: must be a building number (see address_id in requests.json)")
			return
		}
		building = n
	case addr != "":
		if a, ok := input.ParseAddress(bot.Normalize(addr)); ok {
			building, d.Unit = a.Building, a.Unit
		}
		d.Place = addr
	case d.Place == "":
		open311Fail(w, http.StatusBadRequest, "address_string: give lat and long, address_string or address_id")
		return
	}
	if building > 0 {
		b, err := s.Community.FindBuilding(r.Context(), building)
		switch {
		case errors.Is(err, bot.ErrNotFound) && addrID != "":
			open311Fail(w, http.StatusBadRequest, fmt.Sprintf("address_id: no building numbered %d", building))
			return
		case errors.Is(err, bot.ErrNotFound):
			// Not one of ours: keep the address as typed, for a person to read.
			d.Unit = 0
		case err != nil:
			s.open311Internal(w, r, "open311 find building", err)
			return
		default:
			d.BuildingID = b.ID
			if addr == "" {
				d.Place = b.Name
			}
		}
	}
	rc, err := s.Tickets.Submit(r.Context(), d)
	if err != nil {
		var ue *bot.UserError
		switch {
		case errors.As(err, &ue) && ue.Field != "":
			open311Fail(w, http.StatusBadRequest, ue.Field+": "+ue.Message)
		case errors.As(err, &ue) && ue.Message != "":
			open311Fail(w, http.StatusBadRequest, ue.Message)
		case errors.Is(err, bot.ErrConflict):
			open311Fail(w, http.StatusBadRequest, "the service request collides with another; try again")
		default:
			s.open311Internal(w, r, "open311 create request", err)
		}
		return
	}
	notice := fmt.Sprintf("已登记，编号%s，预计%s前受理。", rc.Ticket.Number, rc.Ticket.ResponseDue.In(bot.Shanghai).Format(exportTime))
	if rc.SameIssue > 0 {
		notice += fmt.Sprintf("本楼已有%d户反映同类问题。", rc.SameIssue)
	}
	httpjson.Write(w, http.StatusCreated, []open311Created{{ServiceRequestID: rc.Ticket.Number, ServiceNotice: notice}})
}

// open311Lookups is what a request item shows besides the ticket: building
// numbers and names, grid names.
type open311Lookups struct {
	buildings map[int64]community.Building
	grids     map[int64]community.Grid
}

func (s *Server) open311Lookups(r *http.Request) (*open311Lookups, error) {
	l := &open311Lookups{buildings: map[int64]community.Building{}, grids: map[int64]community.Grid{}}
	bs, err := s.Community.Buildings(r.Context())
	if err != nil {
		return nil, fmt.Errorf("open311: buildings: %w", err)
	}
	for _, b := range bs {
		l.buildings[b.ID] = b
	}
	gs, err := s.Community.ListGrids(r.Context())
	if err != nil {
		return nil, fmt.Errorf("open311: grids: %w", err)
	}
	for _, g := range gs {
		l.grids[g.ID] = g
	}
	return l, nil
}

func (s *Server) open311Answer(w http.ResponseWriter, r *http.Request, list []ticket.Ticket) {
	l, err := s.open311Lookups(r)
	if err != nil {
		s.open311Internal(w, r, "open311 list requests", err)
		return
	}
	out := make([]open311Request, 0, len(list))
	for _, t := range list {
		out = append(out, l.request(t))
	}
	httpjson.Write(w, http.StatusOK, out)
}

func w3cTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse w3 datetime: %w", err)
	}
	return t, nil
}

func w3c(t time.Time) string { return t.In(bot.Shanghai).Format(time.RFC3339) }

// open311Sensitive are the categories whose requests are about a person
// (a quarrel, hardship, illness, a job, a home): their public items carry
// no description, no coordinates and no unit. Matched by key or by name,
// so that a configured category list keeps them.
var open311Sensitive = map[string]bool{
	"dispute": true, "矛盾纠纷": true,
	"assistance": true, "帮救助": true,
	"medical": true, "帮就医": true,
	"employment": true, "帮就业": true,
	"housing": true, "帮找房": true,
}

const (
	// open311Withheld is the description of a sensitive request.
	open311Withheld = "（涉及个人信息，不公开）"
	// open311PublicDesc is the most characters of a description shown.
	open311PublicDesc = 100
	// open311PublicArea is the address of a public-area request.
	open311PublicArea = "公共区域"
)

var (
	// open311Number is 7 or more digits (ASCII, full-width or other),
	// possibly broken by single spaces or dashes as phone numbers are
	// written: a phone, ID card, bank card or room-and-door number.
	open311Number = regexp.MustCompile(`\p{Nd}(?:[ \-－–—]?\p{Nd}){6,}`)
	// open311Email is an e-mail address.
	open311Email = regexp.MustCompile(`[A-Za-z0-9._%+\-]+[@＠][A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
)

// open311Description is what the public sees of a description: long
// numbers and e-mail addresses masked, then cut to 100 characters.
// Names cannot be told apart from other words and stay.
func open311Description(d string) string {
	d = open311Number.ReplaceAllLiteralString(d, "***")
	d = open311Email.ReplaceAllLiteralString(d, "***")
	if r := []rune(d); len(r) > open311PublicDesc {
		d = string(r[:open311PublicDesc-1]) + "…"
	}
	return d
}

// open311StatusNote is the public status note: one fixed sentence per
// status, never staff's own words (notes and resolutions may name people
// or give phone numbers).
func open311StatusNote(s ticket.Status) string {
	switch s {
	case ticket.Submitted:
		return "已提交，待受理"
	case ticket.Accepted:
		return "已受理，处理中"
	case ticket.Resolved:
		return "已办结"
	case ticket.Closed:
		return "已关闭"
	case ticket.Returned:
		return "已退回，重新分派中"
	case ticket.Reopened:
		return "重新处理中"
	}
	return ""
}

// open311Round rounds a coordinate to 3 decimals, about 100 m.
func open311Round(x float64) *float64 {
	x = math.Round(x*1000) / 1000
	return &x
}

// request maps a ticket to a GeoReport request. The GET endpoints are
// public and numbers sequential, so it shows nothing that identifies a
// resident: the address is the building (and unit) or 公共区域, never
// the place as typed or labelled; the description is masked and cut; the
// coordinates are rounded; the status note is fixed. Requests of a
// sensitive category show no description, coordinates or unit.
func (l *open311Lookups) request(t ticket.Ticket) open311Request {
	status := "open"
	if !t.Status.Open() {
		status = "closed"
	}
	sensitive := open311Sensitive[t.Category] || open311Sensitive[t.CategoryName]
	agency := open311Agency
	if g, ok := l.grids[t.GridID]; ok && g.Name != "" {
		agency = g.Name
	}
	out := open311Request{
		ServiceRequestID:  t.Number,
		Status:            status,
		StatusNotes:       open311StatusNote(t.Status),
		ServiceName:       t.CategoryName,
		ServiceCode:       t.Category,
		Description:       open311Withheld,
		AgencyResponsible: agency,
		RequestedDatetime: w3c(t.CreatedAt),
		UpdatedDatetime:   w3c(t.UpdatedAt),
	}
	if !sensitive {
		out.Description = open311Description(t.Description)
	}
	if !t.ResponseDue.IsZero() && t.Status.Open() && t.AcceptedAt == nil {
		n := "预计" + t.ResponseDue.In(bot.Shanghai).Format(exportTime) + "前受理"
		out.ServiceNotice = &n
	}
	if !t.ResolveDue.IsZero() {
		e := w3c(t.ResolveDue)
		out.ExpectedDatetime = &e
	}
	switch b, ok := l.buildings[t.BuildingID]; {
	case ok && t.BuildingID != 0:
		id := strconv.Itoa(b.Number)
		out.AddressID = &id
		out.Address = b.Name
		if t.Unit > 0 && !sensitive {
			out.Address += strconv.Itoa(t.Unit) + "单元"
		}
	case !sensitive && strings.HasPrefix(strings.TrimSpace(t.Place), open311PublicArea):
		out.Address = open311PublicArea
	}
	if (t.Lat != 0 || t.Lng != 0) && !sensitive {
		out.Lat, out.Long = open311Round(t.Lat), open311Round(t.Lng)
	}
	return out
}

func (s *Server) open311Internal(w http.ResponseWriter, r *http.Request, op string, err error) {
	s.Logger.ErrorContext(r.Context(), op, "err", err)
	open311Fail(w, http.StatusInternalServerError, "Internal error.")
}

// Package open311 publishes the community's service requests as an Open311
// GeoReport v2 endpoint (http://wiki.open311.org/GeoReport_v2/), JSON only,
// so that a city platform can list them and file new ones: GET
// services.json, requests.json and requests/{id}.json are public; POST
// requests.json needs the api_key in its form body. Every endpoint may be
// rate-limited by client address (Handler.Limiter).
//
// It decides what the public may see of a request (request.go) and turns
// GeoReport forms into drafts; filing, routing and deadlines are the ticket
// service's, buildings and grids the community's. It answers errors in the
// spec's own error array, not the admin API's shape, and serves no XML.
package open311

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
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

// GeoReport v2 limits: the default window of GET requests, the most
// requests one answer holds or one service_request_id list looks up
// (anyone may ask, so a list costs one query of at most 50), the longest
// description a request may carry and the largest POST body.
const (
	window  = 90 * 24 * time.Hour
	maxRows = 1000
	maxIDs  = 50
	maxDesc = 4000
	maxForm = 64 << 10
)

const (
	// group is the group of every service in services.json.
	group = "社区诉求"
	// defaultAgency is the agency responsible for a request in no grid.
	defaultAgency = "社区综合服务平台"
	// jsonOnly answers the .xml forms of the URLs.
	jsonOnly = "This endpoint serves JSON only; use the .json form of the URL."
)

// listPage is how many tickets a list asks the service for at a time (the
// most tickets.Filter allows).
const listPage = 500

// shownTime is how notices show a deadline: Asia/Shanghai, to the minute.
const shownTime = "2006-01-02 15:04"

// Community is what Open311 reads of the community: buildings to resolve
// and show addresses, grids to name the agency responsible. The community
// service (package community) implements it.
type Community interface {
	// Buildings returns the community's buildings.
	Buildings(ctx context.Context) ([]community.Building, error)
	// FindBuilding returns the building with that number, or
	// bot.ErrNotFound.
	FindBuilding(ctx context.Context, number int) (community.Building, error)
	// ListGrids returns the community's grids.
	ListGrids(ctx context.Context) ([]community.Grid, error)
}

// Limiter counts requests by key and says whether one more is allowed;
// storage/redisstate.RateLimiter implements it across instances.
type Limiter interface {
	Allow(ctx context.Context, key string) (bool, error)
}

// Handler serves GeoReport v2 under /open311/v2/. Tickets, Community and
// Logger are required.
type Handler struct {
	// Tickets lists, shows and files the requests; its categories are the
	// services, and a category's Public decides what the public sees.
	Tickets tickets.AdminService
	// Community gives the buildings and grids.
	Community Community
	// APIKey is the api_key clients must send to create requests; empty
	// refuses every POST.
	APIKey string
	// Logger records internal errors, which clients see only as
	// "Internal error.".
	Logger *slog.Logger
	// Limiter, when set, limits every Open311 request by client address
	// (see ClientAddr); past the limit the answer is 429.
	Limiter Limiter
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// read to find the client; see ClientAddr.
	TrustedProxies []netip.Prefix
}

// service is one item of services.json.
type service struct {
	ServiceCode string `json:"service_code"`
	ServiceName string `json:"service_name"`
	Description string `json:"description"`
	Metadata    bool   `json:"metadata"`
	Type        string `json:"type"`
	Keywords    string `json:"keywords"`
	Group       string `json:"group"`
}

// created is the answer to POST requests.json.
type created struct {
	ServiceRequestID string  `json:"service_request_id"`
	ServiceNotice    string  `json:"service_notice"`
	AccountID        *string `json:"account_id"`
}

// apiError is one item of the spec's error array.
type apiError struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
}

// fail answers the spec's error array: one item whose code is the HTTP
// status.
func fail(w http.ResponseWriter, code int, desc string) {
	httpjson.Write(w, code, []apiError{{Code: code, Description: desc}})
}

// Routes adds the GeoReport v2 endpoints to mux, and a catch-all under
// /open311/ that answers the spec's errors (400 for the .xml forms, 404
// otherwise). The request path carries the format ("requests/123.json"),
// which a ServeMux wildcard cannot split, so the single-request handler
// strips it.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.Handle("GET /open311/v2/services.json", h.limit(h.services))
	mux.Handle("GET /open311/v2/requests.json", h.limit(h.requests))
	mux.Handle("POST /open311/v2/requests.json", h.limit(h.create))
	mux.Handle("GET /open311/v2/requests/{file}", h.limit(h.request))
	mux.Handle("/open311/", h.limit(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".xml") {
			fail(w, http.StatusBadRequest, jsonOnly)
			return
		}
		fail(w, http.StatusNotFound, "No such Open311 resource.")
	}))
}

// limit counts the request against its client address before next runs:
// the endpoints are public, so without it one address could read the
// whole feed or file requests as fast as it can. When the count cannot be
// taken (Redis down) the request is refused too: a limit that lapses
// whenever its store does is no limit.
func (h *Handler) limit(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.Limiter == nil {
			next(w, r)
			return
		}
		ok, err := h.Limiter.Allow(r.Context(), "open311:"+ClientAddr(r, h.TrustedProxies))
		switch {
		case err != nil:
			h.Logger.ErrorContext(r.Context(), "open311 rate limit", "err", err)
			fail(w, http.StatusServiceUnavailable, "The service is unavailable; try again later.")
		case !ok:
			fail(w, http.StatusTooManyRequests, "Too many requests from your address; try again in a minute.")
		default:
			next(w, r)
		}
	})
}

// ClientAddr returns the address a request is counted under: the host of
// RemoteAddr, unless that is one of trusted, in which case X-Forwarded-For
// is read from the right and the first address not in trusted is the
// client (what is left of it anyone could have written). X-Forwarded-For
// is never read without trusted proxies. IPv6 clients are counted by
// their /64, which one subscriber holds whole.
func ClientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if isTrusted(addr, trusted) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // garbage: stop at the last proxy that wrote sense
			}
			addr = hop.Unmap()
			if !isTrusted(addr, trusted) {
				break
			}
		}
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// services serves GET /open311/v2/services.json: our categories.
func (h *Handler) services(w http.ResponseWriter, r *http.Request) {
	cats := h.Tickets.Categories()
	out := make([]service, 0, len(cats))
	for _, c := range cats {
		out = append(out, service{
			ServiceCode: c.Key,
			ServiceName: c.Name,
			Description: fmt.Sprintf("%s：%s个工作小时内响应，%s个工作小时内办结。", c.Name, hours(c.ResponseHours), hours(c.ResolveHours)),
			Metadata:    false,
			Type:        "realtime",
			Keywords:    c.Name + ", " + c.Key,
			Group:       group,
		})
	}
	httpjson.Write(w, http.StatusOK, out)
}

func hours(h float64) string { return strconv.FormatFloat(h, 'f', -1, 64) }

// category finds the category with key among the service's.
func (h *Handler) category(key string) (ticket.Category, bool) {
	for _, c := range h.Tickets.Categories() {
		if c.Key == key {
			return c, true
		}
	}
	return ticket.Category{}, false
}

// requests serves GET /open311/v2/requests.json. service_request_id
// (comma list) overrides everything else; otherwise service_code and
// status (comma lists), start_date and end_date filter, by default over the
// last 90 days, newest first, at most 1000.
func (h *Handler) requests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ctx := r.Context()
	if ids := q.Get("service_request_id"); ids != "" {
		// At most maxIDs distinct well-formed ids are looked up, in one
		// query and without timelines, and the rest of the list is
		// ignored, as the spec lets a server limit how many requests it
		// returns.
		var numbers []string
		for id := range strings.SplitSeq(ids, ",") {
			if len(numbers) == maxIDs {
				break
			}
			id = strings.TrimSpace(id)
			if ticket.WellFormedNumber(id) && !slices.Contains(numbers, id) {
				numbers = append(numbers, id)
			}
		}
		list, err := h.Tickets.Find(ctx, numbers)
		if err != nil {
			h.internal(w, r, "open311 get requests", err)
			return
		}
		h.answer(w, r, "open311 get requests", list)
		return
	}

	var codes []string
	if v := q.Get("service_code"); v != "" {
		for _, c := range strings.Split(v, ",") {
			c = strings.TrimSpace(c)
			if _, ok := h.category(c); !ok {
				fail(w, http.StatusBadRequest, "service_code: unknown service code "+strconv.Quote(c)+"; see services.json")
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
				fail(w, http.StatusBadRequest, "status: must be open or closed")
				return
			}
		}
	}
	start, err := w3cTime(q.Get("start_date"))
	if err != nil {
		fail(w, http.StatusBadRequest, "start_date: must be a w3 datetime such as 2010-01-01T00:00:00Z")
		return
	}
	end, err := w3cTime(q.Get("end_date"))
	if err != nil {
		fail(w, http.StatusBadRequest, "end_date: must be a w3 datetime such as 2010-01-01T00:00:00Z")
		return
	}
	switch {
	case start.IsZero() && end.IsZero():
		end = time.Now()
		start = end.Add(-window)
	case start.IsZero():
		start = end.Add(-window)
	case end.IsZero():
		end = start.Add(window)
	}
	if !start.Before(end) {
		fail(w, http.StatusBadRequest, "end_date: must be after start_date")
		return
	}
	if end.Sub(start) > window {
		fail(w, http.StatusBadRequest, "end_date: the range may not span more than 90 days")
		return
	}

	var list []ticket.Ticket
	for _, code := range codes {
		f := tickets.Filter{Category: code, From: start, To: end.Add(time.Nanosecond), Limit: listPage}
		n := 0
	pages:
		for f.Offset = 0; ; f.Offset += listPage {
			page, total, err := h.Tickets.List(ctx, f)
			if err != nil {
				h.internal(w, r, "open311 list requests", err)
				return
			}
			for _, t := range page {
				if open := t.Status.Open(); (open && wantOpen) || (!open && wantClosed) {
					list = append(list, t)
					if n++; n == maxRows {
						break pages
					}
				}
			}
			if len(page) < listPage || f.Offset+len(page) >= total {
				break
			}
		}
	}
	slices.SortStableFunc(list, func(a, b ticket.Ticket) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(list) > maxRows {
		list = list[:maxRows]
	}
	h.answer(w, r, "open311 list requests", list)
}

// request serves GET /open311/v2/requests/{id}.json: an array of one.
func (h *Handler) request(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	id, ok := strings.CutSuffix(file, ".json")
	if !ok {
		if strings.HasSuffix(file, ".xml") {
			fail(w, http.StatusBadRequest, jsonOnly)
			return
		}
		fail(w, http.StatusNotFound, "No such Open311 resource.")
		return
	}
	notFound := "service_request_id: no service request " + strconv.Quote(id)
	if !ticket.WellFormedNumber(id) {
		fail(w, http.StatusNotFound, notFound)
		return
	}
	list, err := h.Tickets.Find(r.Context(), []string{id})
	if err != nil {
		h.internal(w, r, "open311 get request", err)
		return
	}
	if len(list) == 0 {
		fail(w, http.StatusNotFound, notFound)
		return
	}
	h.answer(w, r, "open311 get request", list)
}

// create serves POST /open311/v2/requests.json: every field, api_key
// included, from the form-encoded body; the query string is ignored.
func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		fail(w, http.StatusBadRequest, "body: must be application/x-www-form-urlencoded, at most 64 KiB")
		return
	}
	// Only the body counts: a key in the URL is written to every proxy's
	// and server's access log, and whoever reads those could file as the
	// city platform.
	key := r.PostForm.Get("api_key")
	if h.APIKey == "" || key == "" || subtle.ConstantTimeCompare([]byte(key), []byte(h.APIKey)) != 1 {
		fail(w, http.StatusForbidden, "api_key: missing or invalid api_key in the form body; can't create the service request")
		return
	}
	in := func(name string) string { return strings.TrimSpace(r.PostForm.Get(name)) }
	code := in("service_code")
	if code == "" {
		fail(w, http.StatusBadRequest, "service_code: is required; see services.json")
		return
	}
	if _, ok := h.category(code); !ok {
		fail(w, http.StatusNotFound, "service_code: unknown service code "+strconv.Quote(code)+"; see services.json")
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
		fail(w, http.StatusBadRequest, "description: is required")
		return
	}
	if n := len([]rune(d.Description)); n > maxDesc {
		fail(w, http.StatusBadRequest, fmt.Sprintf("description: at most %d characters, got %d", maxDesc, n))
		return
	}
	latS, longS, addr, addrID := in("lat"), in("long"), in("address_string"), in("address_id")
	if latS != "" || longS != "" {
		lat, err1 := strconv.ParseFloat(latS, 64)
		lng, err2 := strconv.ParseFloat(longS, 64)
		switch {
		case latS == "" || longS == "":
			fail(w, http.StatusBadRequest, "lat: lat and long must be sent together")
			return
		case err1 != nil || math.IsNaN(lat) || lat < -90 || lat > 90:
			fail(w, http.StatusBadRequest, "lat: must be a WGS84 latitude")
			return
		case err2 != nil || math.IsNaN(lng) || lng < -180 || lng > 180:
			fail(w, http.StatusBadRequest, "long: must be a WGS84 longitude")
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
			fail(w, http.StatusBadRequest, "address_id: must be a building number (see address_id in requests.json)")
			return
		}
		building = n
	case addr != "":
		if a, ok := input.ParseAddress(bot.Normalize(addr)); ok {
			building, d.Unit = a.Building, a.Unit
		}
		d.Place = addr
	case d.Place == "":
		fail(w, http.StatusBadRequest, "address_string: give lat and long, address_string or address_id")
		return
	}
	if building > 0 {
		b, err := h.Community.FindBuilding(r.Context(), building)
		switch {
		case errors.Is(err, bot.ErrNotFound) && addrID != "":
			fail(w, http.StatusBadRequest, fmt.Sprintf("address_id: no building numbered %d", building))
			return
		case errors.Is(err, bot.ErrNotFound):
			// Not one of ours: keep the address as typed, for a person to read.
			d.Unit = 0
		case err != nil:
			h.internal(w, r, "open311 find building", err)
			return
		default:
			d.BuildingID = b.ID
			if addr == "" {
				d.Place = b.Name
			}
		}
	}
	rc, err := h.Tickets.Submit(r.Context(), d)
	if err != nil {
		var ue *bot.UserError
		switch {
		case errors.As(err, &ue) && ue.Field != "":
			fail(w, http.StatusBadRequest, ue.Field+": "+ue.Message)
		case errors.As(err, &ue) && ue.Message != "":
			fail(w, http.StatusBadRequest, ue.Message)
		case errors.Is(err, bot.ErrConflict):
			fail(w, http.StatusBadRequest, "the service request collides with another; try again")
		default:
			h.internal(w, r, "open311 create request", err)
		}
		return
	}
	notice := fmt.Sprintf("已登记，编号%s，预计%s前受理。", rc.Ticket.Number, rc.Ticket.ResponseDue.In(bot.Shanghai).Format(shownTime))
	if rc.SameIssue > 0 {
		notice += fmt.Sprintf("本楼已有%d户反映同类问题。", rc.SameIssue)
	}
	httpjson.Write(w, http.StatusCreated, []created{{ServiceRequestID: rc.Ticket.Number, ServiceNotice: notice}})
}

// answer writes list as the public sees it; op names the endpoint in the
// log.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, op string, list []ticket.Ticket) {
	p, err := h.publisher(r.Context())
	if err != nil {
		h.internal(w, r, op, err)
		return
	}
	out := make([]request, 0, len(list))
	for _, t := range list {
		out = append(out, p.request(t))
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

func (h *Handler) internal(w http.ResponseWriter, r *http.Request, op string, err error) {
	h.Logger.ErrorContext(r.Context(), op, "err", err)
	fail(w, http.StatusInternalServerError, "Internal error.")
}

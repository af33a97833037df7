package handlers

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/handlers/httpjson"
	"github.com/tongxin/tongxin/handlers/open311"
	"github.com/tongxin/tongxin/handlers/web"
	"github.com/tongxin/tongxin/tickets"
)

// Pinger is anything /readyz must hear from: the database, Redis.
type Pinger interface {
	Ping(ctx context.Context) error
}

// PingFunc adapts a function to Pinger.
type PingFunc func(ctx context.Context) error

// Ping calls f.
func (f PingFunc) Ping(ctx context.Context) error { return f(ctx) }

// Residents is what the admin API reads of residents: how many there are
// (/api/v1/status) and one resident's full profile, which staff notices
// seen by a group only point to (bot.HumanHandler).
type Residents interface {
	CountResidents(ctx context.Context) (int, error)
	// Resident returns the resident with openid, or bot.ErrNotFound.
	Resident(ctx context.Context, openid string) (bot.Resident, error)
}

// Server is tongxin's HTTP surface.
type Server struct {
	Webhook *Webhook
	Metrics *Metrics
	Logger  *slog.Logger
	// Ready lists the dependencies /readyz checks, by name.
	Ready map[string]Pinger
	// ReadyTimeout is how long /readyz waits for them;
	// DefaultReadyTimeout when zero.
	ReadyTimeout time.Duration
	// AdminToken is the admin API's bearer token; empty refuses everything.
	AdminToken string
	Residents  Residents
	// Notifications and Retrier back the notifications endpoints.
	Notifications Notifications
	Retrier       Retrier
	// Started is when the process started, for /api/v1/status.
	Started time.Time
	// Community backs the staff, building and grid endpoints; nil leaves
	// them out.
	Community cs.AdminService
	// Tickets backs the service-request endpoints and Open311 (package
	// open311, which also reads Community); nil leaves them out.
	Tickets tickets.AdminService
	// Activities backs the event sign-up endpoints and the public
	// calendar (/calendar/events.ics); nil leaves them out.
	Activities ActivityAdmin
	// Clinic backs the legal-clinic endpoints and the public calendar
	// (/calendar/clinic.ics); nil leaves them out.
	Clinic ClinicAdmin
	// ClinicToken is the clinic staff's bearer token: accepted on
	// /api/v1/clinic/* only, and the only credential under which matter
	// descriptions and aid answers are shown; empty accepts none.
	ClinicToken string
	// Open311Key is the api_key Open311 clients must send to create
	// requests; empty refuses every POST.
	Open311Key string
	// Privacy backs erasure (DELETE /api/v1/residents/{openid}) and its
	// audit; nil leaves them out.
	Privacy Eraser
	// Media backs the copies of tickets' photos and voice messages: their
	// endpoint and the list in a ticket's JSON; nil leaves them out.
	Media Media
	// Unrecognised backs the list of texts nothing understood
	// (/api/v1/unrecognised); nil leaves it out.
	Unrecognised UnrecognisedTexts
	// Open311Limiter, when set, limits Open311 requests by client address
	// (open311.ClientAddr with TrustedProxies).
	Open311Limiter open311.Limiter
	// Pages are the browser pages mounted beside the API, by pattern
	// ("/console", "/console/" → the staff console; "/my/" → the resident
	// pages; "/sim" → the simulator); the shared assets are always served.
	Pages map[string]http.Handler
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client; none means the header is never read.
	TrustedProxies []netip.Prefix
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /wechat", s.Webhook.verify)
	mux.HandleFunc("POST /wechat", s.Webhook.receive)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.Metrics.handler())

	api := http.NewServeMux()
	api.HandleFunc("GET /api/v1/status", s.status)
	api.HandleFunc("GET /api/v1/notifications", s.listNotifications)
	api.HandleFunc("POST /api/v1/notifications/{id}/retry", s.retryNotification)
	s.residentRoutes(api)
	s.communityRoutes(api)
	s.ticketRoutes(api)
	s.privacyRoutes(api)
	s.mediaRoutes(api)
	s.unrecognisedRoutes(api)
	s.activityRoutes(mux, api)
	s.clinicRoutes(mux, api)
	api.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint")
	})
	mux.Handle("/api/v1/", s.admin(api))
	if s.Tickets != nil {
		o := &open311.Handler{Tickets: s.Tickets, Community: s.Community, APIKey: s.Open311Key, Logger: s.Logger,
			Limiter: s.Open311Limiter, TrustedProxies: s.TrustedProxies}
		o.Routes(mux)
	}
	mux.Handle("GET "+web.AssetsPath, web.Assets())
	for pattern, h := range s.Pages {
		mux.Handle(pattern, h)
	}
	return recoverer(s.Logger, mux)
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	wait := s.ReadyTimeout
	if wait <= 0 {
		wait = DefaultReadyTimeout
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	// Each dependency is asked at once, and one that does not answer in
	// time is down: a paused database does not honour the context on a
	// connection it holds, and must not keep /readyz (and the load
	// balancer asking it) waiting.
	type answer struct {
		name string
		err  error
	}
	answers := make(chan answer, len(s.Ready))
	for name, p := range s.Ready {
		go func() { answers <- answer{name, p.Ping(ctx)} }()
	}
	status := map[string]string{}
	for name := range s.Ready {
		status[name] = "down"
	}
	code := http.StatusOK
	for range s.Ready {
		select {
		case a := <-answers:
			if a.err == nil {
				status[a.name] = "ok"
				continue
			}
			s.Logger.WarnContext(ctx, "not ready", "dependency", a.name, "err", a.err)
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	for _, v := range status {
		if v != "ok" {
			code = http.StatusServiceUnavailable
		}
	}
	httpjson.Write(w, code, status)
}

// DefaultReadyTimeout bounds /readyz when Server.ReadyTimeout is zero: a
// dependency that has not answered by then is reported down.
const DefaultReadyTimeout = 2 * time.Second

func (s *Server) admin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if s.AdminToken == "" || !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.AdminToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tongxin"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid admin bearer token is required")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	n, err := s.Residents.CountResidents(r.Context())
	if err != nil {
		s.internal(w, r, "count residents", err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{
		"residents":      n,
		"uptime_seconds": int(time.Since(s.Started).Seconds()),
	})
}

// recoverer turns a panic into a 500 instead of a dropped connection.
func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(r.Context(), "panic serving request", "path", r.URL.Path, "panic", v)
				http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Package console is the staff console at /console: server-rendered pages
// for community staff on an office PC and on their phones inside WeChat's
// browser. Staff log in without passwords (a WeChat scan, or a one-time
// link sent by 登录后台); the operator signs in once with
// TONGXIN_ADMIN_TOKEN. Sessions are github.com/alexedwards/scs/v2 in Redis.
//
// What a person sees is decided by their roles (Who) and, record by
// record, by the services through bot/community's access policy; the
// pages only choose what to ask for.
//
// One file per area: dashboard.go, tickets.go, stats.go, events.go,
// clinic.go, people.go (staff, buildings, grids), notices.go
// (notifications), login.go and scan.go (signing in); templates are named
// after their area (templates/tickets*.html).
package console

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/tongxin/tongxin/bot"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/handlers"
	"github.com/tongxin/tongxin/handlers/web"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/tickets"
)

//go:embed templates/*.html
var templateFS embed.FS

// Path is where the console is mounted.
const Path = "/console"

// IdleTimeout ends a console session nobody used for this long.
const IdleTimeout = 8 * time.Hour

// QRMaker makes temporary parametric QR codes (wechat.Client.TempQR).
type QRMaker interface {
	// TempQR returns the ticket and URL of a QR code for scene that
	// expires after ttl.
	TempQR(ctx context.Context, scene string, ttl time.Duration) (ticket, codeURL string, err error)
}

// Console is the staff console. Fill the fields, then call Handler once.
type Console struct {
	// Community is required: who is staff, their roles, buildings, grids.
	Community cs.AdminService
	// The domains; a nil one leaves its pages out.
	Tickets       tickets.AdminService
	Activities    handlers.ActivityAdmin
	Clinic        handlers.ClinicAdmin
	Notifications handlers.Notifications
	Retrier       handlers.Retrier
	Media         handlers.Media
	// Redis keeps sessions, one-time links and scan logins.
	Redis redisstate.Client
	// KeyPrefix starts every Redis key ("tongxin:" when empty).
	KeyPrefix string
	// AdminToken is TONGXIN_ADMIN_TOKEN: the operator's first sign-in;
	// empty refuses it.
	AdminToken string
	// PublicURL is where people open tongxin (TONGXIN_PUBLIC_URL), for the
	// links sent in WeChat; it decides whether cookies are Secure.
	PublicURL string
	// QR makes the login page's QR code; nil leaves scan login out.
	QR QRMaker
	// Offline is true with development credentials: nothing is fetched
	// from WeChat, and the login QR shows its scene for the simulator.
	Offline bool
	Logger  *slog.Logger
	// Now is the clock (time.Now).
	Now func() time.Time

	sessions *scs.SessionManager
	flash    web.Flash
	pages    *web.Pages
	// providers links staff to the clinic providers they are (enrich).
	providers providerCache
}

// Handler returns the console's routes under Path, wrapped in the
// session manager and the cross-origin protection.
func (c *Console) Handler() http.Handler {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.sessions = web.Sessions(&redisstate.WebSessions{Client: c.Redis, Prefix: c.prefix() + "console:session:"},
		"tongxin_console", Path, strings.HasPrefix(c.PublicURL, "https://"), IdleTimeout, c.Logger, "console session")
	c.flash = web.Flash{Sessions: c.sessions}
	c.pages = web.MustParsePages(templateFS, template.FuncMap{}, "templates/*.html")

	mux := http.NewServeMux()
	c.loginRoutes(mux)
	c.scanRoutes(mux)
	mux.Handle("GET "+Path, c.auth(http.HandlerFunc(c.dashboard)))
	mux.Handle("GET "+Path+"/{$}", c.auth(http.HandlerFunc(c.dashboard)))
	c.ticketRoutes(mux)
	c.statsRoutes(mux)
	c.eventRoutes(mux)
	c.clinicRoutes(mux)
	c.peopleRoutes(mux)
	c.noticeRoutes(mux)
	mux.Handle(Path+"/", c.auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, bot.ErrNotFound)
	})))
	return web.Protect(c.sessions.LoadAndSave(mux), c.PublicURL)
}

func (c *Console) prefix() string {
	if c.KeyPrefix == "" {
		return "tongxin:"
	}
	return c.KeyPrefix
}

// Page is what every console page's data starts with (embed it): who is
// looking, the title, the nav section to mark, and a message left by the
// action before (Flash, or Error when it failed).
type Page struct {
	Who     Who
	Title   string
	Section string
	Flash   string
	Error   string
}

// page starts a page's data for r.
func (c *Console) page(r *http.Request, title, section string) Page {
	p := Page{Who: WhoFrom(r.Context()), Title: title, Section: section}
	p.Flash, p.Error = c.flash.Pop(r.Context())
	return p
}

// render writes page with data (whose first field is a Page).
func (c *Console) render(w http.ResponseWriter, r *http.Request, page string, data any) {
	c.renderStatus(w, r, http.StatusOK, page, data)
}

func (c *Console) renderStatus(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	if err := c.pages.Render(w, status, page, data); err != nil {
		c.Logger.ErrorContext(r.Context(), "console render", "page", page, "err", err)
	}
}

// done leaves msg for the next page and sends the browser to next (Post,
// Redirect, Get: a reload does not repeat the action).
func (c *Console) done(w http.ResponseWriter, r *http.Request, next, msg string) {
	c.flash.Done(w, r, next, msg)
}

// failTo leaves err's message for the next page (a *bot.UserError's own,
// written for people) and sends the browser back to next; anything else
// is logged and shown as a generic apology.
func (c *Console) failTo(w http.ResponseWriter, r *http.Request, next string, err error) {
	c.flash.Refused(w, r, next, c.message(r, err))
}

// message is what a person is told of err.
func (c *Console) message(r *http.Request, err error) string {
	if msg, ok := web.Told(err, "没有找到，可能已被删除。", "已被他人修改，请刷新后再试。"); ok {
		return msg
	}
	c.Logger.ErrorContext(r.Context(), "console", "path", r.URL.Path, "err", err)
	return web.Sorry
}

// labelled is err with the form's name of its field put before its
// message ("名额：…"), for a *bot.UserError naming a field of labels;
// anything else is err as it is. Services name fields as the admin API
// does ("capacity"); a form shows them in Chinese.
func labelled(err error, labels map[string]string) error {
	var ue *bot.UserError
	if !errors.As(err, &ue) || labels[ue.Field] == "" {
		return err
	}
	return &bot.UserError{Code: ue.Code, Message: labels[ue.Field] + "：" + ue.Message}
}

// errorPage is the data of error.html.
type errorPage struct {
	Page
	Message string
}

// fail shows err as a page with the right status: not found, forbidden
// (a *bot.UserError with code forbidden, or ErrForbidden), a person's
// mistake, or a logged 500.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	var ue *bot.UserError
	switch {
	case errors.Is(err, ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, bot.ErrNotFound):
		status = http.StatusNotFound
	case errors.As(err, &ue):
		switch ue.Code {
		case bot.CodeForbidden:
			status = http.StatusForbidden
		case bot.CodeNotFound:
			status = http.StatusNotFound
		case bot.CodeConflict:
			status = http.StatusConflict
		default:
			status = http.StatusBadRequest
		}
	}
	msg := c.message(r, err)
	if status == http.StatusForbidden {
		msg = "您没有查看或办理这项内容的权限。"
	}
	c.renderStatus(w, r, status, "error.html", errorPage{Page: c.page(r, "出错了", ""), Message: msg})
}

// ErrForbidden is a page or action the person's roles do not allow.
var ErrForbidden = errors.New("console: forbidden")

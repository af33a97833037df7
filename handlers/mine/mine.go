// Package mine is the residents' own pages at /my/, opened from the links
// in template messages and the menu's 我的 entry inside WeChat: a ticket
// with its timeline, photos and rating; their sign-ups with the check-in
// code; their clinic bookings; and one list of everything they have open.
//
// Residents are identified through the official account's web
// authorisation (snsapi_base): a page opened without a session sends the
// browser to WeChat's authorisation page, which comes back to /my/oauth
// with a code the Client exchanges for the resident's openid. The session
// (github.com/alexedwards/scs/v2 in Redis, cookie tongxin_my) then holds
// only that openid. Everything shown is asked of the services as that
// resident, through the same calls the WeChat conversations make, so the
// services' access rules decide; a record of someone else's is a 404 that
// shows nothing.
//
// With development credentials (Offline) there is no WeChat to authorise
// with: the pages say to open them from the simulator (/sim), which signs
// its resident in through SignInAs.
package mine

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/handlers"
	"github.com/tongxin/tongxin/handlers/web"
	"github.com/tongxin/tongxin/storage/redisstate"
)

//go:embed templates/*.html
var templateFS embed.FS

// Path is where the pages are mounted.
const Path = "/my/"

// IdleTimeout ends a resident's session nobody used for this long.
const IdleTimeout = 8 * time.Hour

// OAuth is the official account's web authorisation (wechat.Client).
type OAuth interface {
	// AuthorizeURL is WeChat's authorisation page (scope snsapi_base),
	// which sends the browser back to redirect with a code and state.
	AuthorizeURL(redirect, state string) string
	// OAuthOpenID exchanges the code for the resident's openid.
	OAuthOpenID(ctx context.Context, code string) (string, error)
}

// Pages are the resident pages. Fill the fields, then call Handler once.
type Pages struct {
	// The domains, as the WeChat conversations use them; a nil one leaves
	// its part out.
	Tickets    ticket.Service
	Activities activity.Service
	Clinic     cl.Service
	// Residents is what they registered (登记), shown on 我的 as the
	// menu's 我的信息 answers it in the chat; nil leaves it out.
	Residents bot.Residents
	// Media serves a ticket's photos; nil shows none.
	Media handlers.Media
	// Redis keeps the sessions.
	Redis redisstate.Client
	// KeyPrefix starts every Redis key ("tongxin:" when empty).
	KeyPrefix string
	// OAuth names the resident; required unless Offline.
	OAuth OAuth
	// PublicURL is where people open tongxin (TONGXIN_PUBLIC_URL): the
	// authorisation sends the browser back there, and it decides whether
	// cookies are Secure. Empty: the address the request came to.
	PublicURL string
	// Offline is true with development credentials: there is no WeChat to
	// authorise with, and a resident is signed in only by the simulator.
	Offline bool
	Logger  *slog.Logger
	// Now is the clock (time.Now).
	Now func() time.Time

	once     sync.Once
	sessions *scs.SessionManager
	flash    web.Flash
	pages    *web.Pages
}

// init builds what Handler and SignInAs share, once.
func (p *Pages) init() {
	p.once.Do(func() {
		if p.Logger == nil {
			p.Logger = slog.Default()
		}
		if p.Now == nil {
			p.Now = time.Now
		}
		prefix := p.KeyPrefix
		if prefix == "" {
			prefix = "tongxin:"
		}
		p.sessions = web.Sessions(&redisstate.WebSessions{Client: p.Redis, Prefix: prefix + "my:session:"},
			"tongxin_my", Path, p.secure(), IdleTimeout, p.Logger, "resident session")
		p.flash = web.Flash{Sessions: p.sessions}
		p.pages = web.MustParsePages(templateFS, template.FuncMap{
			"ticketStatus": ticketStatusClass,
		}, "templates/*.html")
	})
}

func (p *Pages) secure() bool { return strings.HasPrefix(p.PublicURL, "https://") }

// Handler returns the routes under Path, wrapped in the session manager
// and the cross-origin protection.
func (p *Pages) Handler() http.Handler {
	p.init()
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Path+"oauth", p.oauthReturn)
	mux.Handle("GET "+Path+"{$}", p.auth(p.home))
	p.ticketRoutes(mux)
	p.signupRoutes(mux)
	p.bookingRoutes(mux)
	mux.Handle(Path, p.auth(func(w http.ResponseWriter, r *http.Request, _ string) {
		p.fail(w, r, bot.ErrNotFound)
	}))
	return web.Protect(p.sessions.LoadAndSave(mux), p.PublicURL)
}

// Page is what every page's data starts with: the title, the tab to
// mark, and what the action before left to say.
type Page struct {
	Title   string
	Section string
	Flash   string
	Error   string
	// Offline pages have no session and no tabs.
	Offline bool
}

func (p *Pages) page(r *http.Request, title, section string) Page {
	pg := Page{Title: title, Section: section}
	pg.Flash, pg.Error = p.flash.Pop(r.Context())
	return pg
}

func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	if err := p.pages.Render(w, status, page, data); err != nil {
		p.Logger.ErrorContext(r.Context(), "resident page render", "page", page, "err", err)
	}
}

// done leaves msg for the next page and sends the browser to next
// (Post, Redirect, Get).
func (p *Pages) done(w http.ResponseWriter, r *http.Request, next, msg string) {
	p.flash.Done(w, r, next, msg)
}

// failTo leaves err's message for the next page and sends the browser
// back to next.
func (p *Pages) failTo(w http.ResponseWriter, r *http.Request, next string, err error) {
	p.flash.Refused(w, r, next, p.message(r, err))
}

// message is what a resident is told of err: a *bot.UserError's own
// words, else a generic apology (the error is logged).
func (p *Pages) message(r *http.Request, err error) string {
	if msg, ok := web.Told(err, "没有找到这项内容。", "刚刚有了变化，请刷新后再试。"); ok {
		return msg
	}
	p.Logger.ErrorContext(r.Context(), "resident page", "path", r.URL.Path, "err", err)
	return web.Sorry
}

// errorPage is error.html's data.
type errorPage struct {
	Page
	Message string
	// Retry, when set, is where to try again.
	Retry string
}

// fail shows err as a page: a record that is not theirs or not there is
// the same 404, which names nothing.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	var ue *bot.UserError
	switch {
	case errors.Is(err, bot.ErrNotFound):
		status = http.StatusNotFound
	case errors.As(err, &ue):
		switch ue.Code {
		case bot.CodeNotFound, bot.CodeForbidden:
			// Someone else's record is not found, as for one that does
			// not exist: nothing tells them it is there.
			status = http.StatusNotFound
		case bot.CodeConflict:
			status = http.StatusConflict
		default:
			status = http.StatusBadRequest
		}
	}
	msg := p.message(r, err)
	if status == http.StatusNotFound {
		msg = "没有找到这项内容，可能链接有误，或不是您的记录。"
	}
	p.render(w, r, status, "error.html", errorPage{Page: p.page(r, "出错了", ""), Message: msg, Retry: Path})
}

// ticketStatusClass colours a ticket's status badge.
func ticketStatusClass(s ticket.Status) string {
	switch s {
	case ticket.Resolved:
		return "warn"
	case ticket.Closed:
		return "good"
	case ticket.Returned, ticket.Reopened:
		return "bad"
	}
	return ""
}

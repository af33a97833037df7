package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/tongxin/tongxin/bot"
)

// Flash keeps the one-line message an action leaves for the page after
// its redirect (Post, Redirect, Get: a reload does not repeat the
// action), in the session: the console's and the resident pages' alike.
type Flash struct {
	Sessions *scs.SessionManager
}

// Session keys of the messages.
const (
	flashOK  = "flash"
	flashBad = "flash_error"
)

// Pop returns, once, the message left by the action before: ok when it
// worked, bad when it was refused.
func (f Flash) Pop(ctx context.Context) (ok, bad string) {
	return f.Sessions.PopString(ctx, flashOK), f.Sessions.PopString(ctx, flashBad)
}

// Bad leaves msg as a refusal for the next page.
func (f Flash) Bad(ctx context.Context, msg string) { f.Sessions.Put(ctx, flashBad, msg) }

// Done leaves msg (if any) for the next page and sends the browser to
// next.
func (f Flash) Done(w http.ResponseWriter, r *http.Request, next, msg string) {
	if msg != "" {
		f.Sessions.Put(r.Context(), flashOK, msg)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// Refused leaves msg as a refusal and sends the browser back to next.
func (f Flash) Refused(w http.ResponseWriter, r *http.Request, next, msg string) {
	f.Bad(r.Context(), msg)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// Told is what a person may be told of err: a *bot.UserError's own
// message, written for people, or the page's words for a record that is
// not there (notFound) or changed meanwhile (conflict). ok is false for
// anything else, which the caller logs and answers with an apology.
func Told(err error, notFound, conflict string) (msg string, ok bool) {
	var ue *bot.UserError
	switch {
	case errors.As(err, &ue):
		return ue.Error(), true
	case errors.Is(err, bot.ErrNotFound):
		return notFound, true
	case errors.Is(err, bot.ErrConflict):
		return conflict, true
	}
	return "", false
}

// Sorry is the apology for a fault on our side.
const Sorry = "出错了，请稍后再试。"

// Sessions returns the session manager of a set of pages: sessions in
// store, under a cookie of their own on path (HttpOnly, SameSite=Lax,
// Secure when the pages are served over https), ending after idle
// without a request and after a week in any case; the store's token is
// hashed. A store that fails is a 503, logged as what.
func Sessions(store scs.Store, cookie, path string, secure bool, idle time.Duration, log *slog.Logger, what string) *scs.SessionManager {
	s := scs.New()
	s.Store = store
	s.IdleTimeout = idle
	s.Lifetime = 7 * 24 * time.Hour
	s.Cookie.Name = cookie
	s.Cookie.Path = path
	s.Cookie.HttpOnly = true
	s.Cookie.SameSite = http.SameSiteLaxMode
	s.Cookie.Secure = secure
	s.HashTokenInStore = true
	s.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		log.ErrorContext(r.Context(), what, "err", err)
		http.Error(w, "服务暂时不可用，请稍后再试", http.StatusServiceUnavailable)
	}
	return s
}

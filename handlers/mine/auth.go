package mine

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// keyOpenID is the session's one fact: who the resident is.
const keyOpenID = "openid"

// stateCookie carries the authorisation's state from the page that sent
// the browser to WeChat to /my/oauth, where it must come back unchanged:
// a code WeChat handed out to someone else's browser (a link passed on,
// or a forged callback) is refused.
const (
	stateCookie = "tongxin_my_state"
	stateTTL    = 10 * time.Minute
)

// handlerFunc is a page for the signed-in resident with openid.
type handlerFunc func(w http.ResponseWriter, r *http.Request, openid string)

// auth lets a request through with the resident's openid; without a
// session a GET goes to WeChat's authorisation and comes back to it,
// anything else is refused.
func (p *Pages) auth(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		openid := p.sessions.GetString(r.Context(), keyOpenID)
		if openid != "" {
			h(w, r, openid)
			return
		}
		if p.Offline {
			p.offline(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// A form posted after the session ended: the page it came
			// from is where to start again.
			http.Redirect(w, r, Path, http.StatusSeeOther)
			return
		}
		p.authorize(w, r, r.URL.RequestURI())
	})
}

// authorize sends the browser to WeChat's web authorisation, which
// returns to /my/oauth and from there to next.
func (p *Pages) authorize(w http.ResponseWriter, r *http.Request, next string) {
	if p.OAuth == nil {
		p.fail(w, r, errNoOAuth)
		return
	}
	state := randomToken(18)
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: Path + "oauth", MaxAge: int(stateTTL / time.Second),
		HttpOnly: true, Secure: p.secure(), SameSite: http.SameSiteLaxMode})
	back := p.base(r) + Path + "oauth?next=" + url.QueryEscape(safeNext(next))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.OAuth.AuthorizeURL(back, state), http.StatusFound)
}

// errNoOAuth is a deployment without the web authorisation wired.
var errNoOAuth = errors.New("mine: no OAuth configured")

// base is the public address of tongxin: PublicURL, else the one the
// request came to.
func (p *Pages) base(r *http.Request) string {
	if p.PublicURL != "" {
		return strings.TrimRight(p.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// safeNext keeps next only when it is a path of these pages.
func safeNext(next string) string {
	if strings.HasPrefix(next, Path) && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") &&
		!strings.HasPrefix(next, Path+"oauth") {
		return next
	}
	return Path
}

// oauthReturn is where WeChat sends the browser back: the state is
// checked against the cookie, the code exchanged for the openid, and the
// resident signed in and sent on to the page they opened.
func (p *Pages) oauthReturn(w http.ResponseWriter, r *http.Request) {
	if p.Offline {
		p.offline(w, r)
		return
	}
	q := r.URL.Query()
	next := safeNext(q.Get("next"))
	c, err := r.Cookie(stateCookie)
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: Path + "oauth", MaxAge: -1,
		HttpOnly: true, Secure: p.secure(), SameSite: http.SameSiteLaxMode})
	if err != nil || q.Get("state") == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(q.Get("state"))) != 1 {
		p.render(w, r, http.StatusBadRequest, "error.html", errorPage{Page: p.page(r, "链接已失效", ""),
			Message: "这个登录链接已失效或不是在本机打开的。请点下面的按钮重新打开，或从公众号消息里再点一次。", Retry: next})
		return
	}
	if q.Get("code") == "" {
		p.render(w, r, http.StatusBadRequest, "error.html", errorPage{Page: p.page(r, "未能确认身份", ""),
			Message: "微信没有确认您的身份，请在微信里打开这个页面。", Retry: next})
		return
	}
	openid, err := p.OAuth.OAuthOpenID(r.Context(), q.Get("code"))
	if err != nil {
		p.Logger.WarnContext(r.Context(), "resident web authorisation failed", "err", err)
		p.render(w, r, http.StatusBadGateway, "error.html", errorPage{Page: p.page(r, "未能确认身份", ""),
			Message: "暂时无法向微信确认您的身份，请稍后再试。", Retry: next})
		return
	}
	if err := p.sessions.RenewToken(r.Context()); err != nil {
		p.fail(w, r, err)
		return
	}
	p.sessions.Put(r.Context(), keyOpenID, openid)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// SignInAs starts a resident session for openid, as the web authorisation
// does once WeChat has named the resident. The simulator calls it (only
// while it is on) to open a template message's page as its resident; the
// request need not be one of these pages': the session is made here and
// its cookie (path /my/) written on w, replacing any session the browser
// had here.
func (p *Pages) SignInAs(w http.ResponseWriter, r *http.Request, openid string) error {
	p.init()
	if openid == "" {
		return errors.New("mine: sign in: no openid")
	}
	ctx := r.Context()
	if c, err := r.Cookie(p.sessions.Cookie.Name); err == nil && c.Value != "" {
		old, err := p.sessions.Load(ctx, c.Value)
		if err != nil {
			return err
		}
		if err := p.sessions.Destroy(old); err != nil {
			return err
		}
	}
	fresh, err := p.sessions.Load(ctx, "")
	if err != nil {
		return err
	}
	p.sessions.Put(fresh, keyOpenID, openid)
	token, expiry, err := p.sessions.Commit(fresh)
	if err != nil {
		return err
	}
	p.sessions.WriteSessionCookie(fresh, w, token, expiry)
	return nil
}

// offline is every page with development credentials and no session:
// there is no WeChat to say who is looking.
func (p *Pages) offline(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusUnauthorized, "offline.html", Page{Title: "请从模拟器打开", Offline: true})
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

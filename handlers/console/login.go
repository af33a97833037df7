package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
)

// LinkTTL is how long a one-time login link (登录后台) stays valid.
const LinkTTL = 5 * time.Minute

// Session keys.
const (
	keyStaffID  = "staff_id"
	keyOpenID   = "openid"
	keyOperator = "operator" // a fingerprint of the admin token signed in with
)

func (c *Console) loginRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Path+"/login", c.loginPage)
	mux.HandleFunc("POST "+Path+"/login/token", c.tokenLogin)
	mux.HandleFunc("GET "+Path+"/login/link", c.linkPage)
	mux.HandleFunc("POST "+Path+"/login/link", c.linkLogin)
	mux.HandleFunc("POST "+Path+"/logout", c.logout)
}

// loginData is login.html's data.
type loginData struct {
	Page
	// Scan is the scan login's state (scan.go); nil without one.
	Scan any
	// Next is where to go after signing in.
	Next string
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	d := loginData{Page: c.page(r, "登录", "login"), Next: safeNext(r.URL.Query().Get("next"))}
	d.Scan = c.scanState(w, r)
	c.render(w, r, "login.html", d)
}

// safeNext keeps next only when it is a path of the console.
func safeNext(next string) string {
	if next == Path || strings.HasPrefix(next, Path+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return Path
}

func (c *Console) tokenLogin(w http.ResponseWriter, r *http.Request) {
	got := r.PostFormValue("token")
	if c.AdminToken == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.AdminToken)) != 1 {
		c.flash.Bad(r.Context(), "令牌不正确。")
		http.Redirect(w, r, Path+"/login", http.StatusSeeOther)
		return
	}
	if err := c.sessions.RenewToken(r.Context()); err != nil {
		c.fail(w, r, err)
		return
	}
	c.sessions.Put(r.Context(), keyOperator, fingerprint(c.AdminToken))
	c.done(w, r, safeNext(r.PostFormValue("next")), "已用管理员令牌登录。请尽快绑定工作人员，之后用微信扫码登录。")
}

func fingerprint(token string) string {
	sum := sha256.Sum256([]byte("tongxin console operator\x00" + token))
	return hex.EncodeToString(sum[:8])
}

// IssueLink returns a one-time link that signs st in, valid for LinkTTL:
// what a staff member who sends 登录后台 receives.
func (c *Console) IssueLink(ctx context.Context, st community.Staff) (string, error) {
	if !st.Active || st.OpenID == "" {
		return "", bot.ErrNotFound
	}
	token := randomToken()
	val := strconv.FormatInt(st.ID, 10) + " " + st.OpenID
	if err := c.Redis.Set(ctx, c.linkKey(token), val, LinkTTL).Err(); err != nil {
		return "", err
	}
	return c.PublicURL + Path + "/login/link?t=" + url.QueryEscape(token), nil
}

func (c *Console) linkKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return c.prefix() + "console:link:" + hex.EncodeToString(sum[:])
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// linkData is link.html's data.
type linkData struct {
	Page
	Token string
}

// linkPage asks for a tap before the link is used up: WeChat and other
// apps fetch a link to preview it, which must not spend it.
func (c *Console) linkPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, "link.html", linkData{Page: c.page(r, "登录后台", "login"), Token: r.URL.Query().Get("t")})
}

func (c *Console) linkLogin(w http.ResponseWriter, r *http.Request) {
	val, err := c.Redis.GetDel(r.Context(), c.linkKey(r.PostFormValue("t"))).Result()
	if errors.Is(err, redis.Nil) {
		c.flash.Bad(r.Context(), "登录链接已失效（5 分钟内有效，只能用一次）。请在公众号重新发送「登录后台」，或扫码登录。")
		http.Redirect(w, r, Path+"/login", http.StatusSeeOther)
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	idText, openid, _ := strings.Cut(val, " ")
	id, _ := strconv.ParseInt(idText, 10, 64)
	if err := c.SignIn(w, r, id, openid); err != nil {
		c.failTo(w, r, Path+"/login", err)
		return
	}
	c.done(w, r, Path, "")
}

// SignIn starts a session for staff member id bound to openid, once they
// are checked to be active and still bound to it; scan.go and the link
// call it.
func (c *Console) SignIn(w http.ResponseWriter, r *http.Request, id int64, openid string) error {
	st, err := c.Community.StaffByOpenID(r.Context(), openid)
	if err != nil || st.ID != id || !st.Active {
		if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return err
		}
		return bot.Say("您不是本社区在职且已绑定微信的工作人员，无法登录。")
	}
	if err := c.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	c.sessions.Remove(r.Context(), keyOperator)
	c.sessions.Put(r.Context(), keyStaffID, st.ID)
	c.sessions.Put(r.Context(), keyOpenID, st.OpenID)
	return nil
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if err := c.sessions.Destroy(r.Context()); err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, Path+"/login", http.StatusSeeOther)
}

// auth lets a request through only with a live session, and puts Who in
// its context. Every request checks the staff member again: one who was
// deactivated, unbound or bound to another WeChat account since signing
// in has their session ended here, and the operator's session ends when
// the admin token changes.
func (c *Console) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		who, err := c.who(ctx)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if who == nil {
			if c.sessions.Exists(ctx, keyStaffID) || c.sessions.Exists(ctx, keyOperator) {
				if err := c.sessions.Destroy(ctx); err != nil {
					c.fail(w, r, err)
					return
				}
				c.flash.Bad(ctx, "登录已失效，请重新登录。")
			}
			target := Path + "/login"
			if r.Method == http.MethodGet {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		c.enrich(ctx, who)
		next.ServeHTTP(w, r.WithContext(withWho(ctx, *who)))
	})
}

// who returns the person of the session, or nil when nobody (valid) is
// signed in.
func (c *Console) who(ctx context.Context) (*Who, error) {
	if fp := c.sessions.GetString(ctx, keyOperator); fp != "" {
		if c.AdminToken == "" || fp != fingerprint(c.AdminToken) {
			return nil, nil
		}
		return &Who{Operator: true}, nil
	}
	id := c.sessions.GetInt64(ctx, keyStaffID)
	openid := c.sessions.GetString(ctx, keyOpenID)
	if id == 0 || openid == "" {
		return nil, nil
	}
	st, err := c.Community.StaffByOpenID(ctx, openid)
	if errors.Is(err, bot.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("console: staff of session: %w", err)
	}
	if st.ID != id || !st.Active {
		return nil, nil
	}
	return &Who{Staff: st}, nil
}

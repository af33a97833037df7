package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/handlers/web"
)

// The scan login: the login page shows a temporary WeChat QR code with
// the scene login:<nonce>; a bound staff member scans it, the bot (the
// backoffice flow) calls ConfirmScan with their openid, and the page,
// which polls scanWait, is signed in. The nonce is kept in the session of
// the browser that showed it: only that browser can use the scan, however
// widely the picture is seen.

// ScanTTL is how long a login QR code is valid.
const ScanTTL = 2 * time.Minute

// ScanScene is the login code's scene name; its EventKey is
// ScanScene + ":" + nonce.
const ScanScene = "login"

const (
	// keyScanNonces is the session's login codes (their nonces, newest
	// last): a few, so that two tabs of one browser both work.
	keyScanNonces = "scan_nonces"
	maxScanNonces = 3
	// scanSlack keeps a code's records in Redis a little past its
	// expiry, which is decided by the console's clock.
	scanSlack = time.Minute
)

// Messages of the scan login, as the bot and the page show them.
const (
	scanExpired  = "二维码已过期，请刷新后台登录页。"
	scanNotStaff = "您不是本社区工作人员，无法登录后台。如需开通，请联系社区管理员。"
)

// Console is what conversations reach of it (the backoffice flow).
var _ community.Console = (*Console)(nil)

func (c *Console) scanRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Path+"/login/scan/wait", c.scanWait)
	mux.HandleFunc("GET "+Path+"/login/scan/qr.png", c.scanImage)
}

// scanView is what login.html shows of the scan login (_login_qr.html).
type scanView struct {
	// Failed: WeChat did not make the code; the page says so.
	Failed bool
	// Scene is the code's scene, login:<nonce>.
	Scene string
	// Wait is the address the page polls; Image the picture's ("" when
	// nothing was fetched from WeChat); Fresh a new code's.
	Wait, Image, Fresh string
	Minutes            int
	// Offline: development credentials; the page shows the scene with the
	// simulator's link and the chat command instead of a code to scan.
	Offline          bool
	SimLink, Command string
}

// scanState makes a new login code for this browser and returns what the
// login page shows of it; nil leaves the scan login out (no QR maker and
// no simulator).
func (c *Console) scanState(w http.ResponseWriter, r *http.Request) any {
	if c.QR == nil && !c.Offline {
		return nil
	}
	// Every load has a code of its own: never show a cached one.
	w.Header().Set("Cache-Control", "no-store")
	ctx := r.Context()
	next := safeNext(r.URL.Query().Get("next"))
	fresh := Path + "/login"
	if next != Path {
		fresh += "?next=" + url.QueryEscape(next)
	}
	v := &scanView{Fresh: fresh, Minutes: int(ScanTTL / time.Minute), Offline: c.Offline}
	nonce := newNonce()
	v.Scene = ScanScene + ":" + nonce
	var codeURL string
	if c.QR != nil {
		var err error
		if _, codeURL, err = c.QR.TempQR(ctx, v.Scene, ScanTTL); err != nil {
			c.Logger.ErrorContext(ctx, "console: login qr", "err", err)
			return &scanView{Failed: true, Fresh: fresh}
		}
	}
	rec := strconv.FormatInt(c.now().Add(ScanTTL).UnixMilli(), 10) + " " + codeURL
	if err := c.Redis.Set(ctx, c.scanKey(nonce), rec, ScanTTL+scanSlack).Err(); err != nil {
		c.Logger.ErrorContext(ctx, "console: keep login qr", "err", err)
		return &scanView{Failed: true, Fresh: fresh}
	}
	nonces := append(c.scanNonces(ctx), nonce)
	if len(nonces) > maxScanNonces {
		nonces = nonces[len(nonces)-maxScanNonces:]
	}
	c.sessions.Put(ctx, keyScanNonces, nonces)
	q := url.Values{"n": {nonce}}
	if codeURL != "" {
		v.Image = Path + "/login/scan/qr.png?" + q.Encode()
	}
	q.Set("next", next)
	v.Wait = Path + "/login/scan/wait?" + q.Encode()
	// The nonce is URL-safe: the link reads as the scene.
	v.SimLink = "/sim?scan=" + v.Scene
	v.Command = "/scan " + v.Scene
	return v
}

// newNonce is 128 random bits, short enough to type after /scan.
func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (c *Console) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// scanKey holds a code's expiry (Unix ms) and the URL it encodes;
// confirmKey, once it is scanned, "<staff id> <openid>".
func (c *Console) scanKey(nonce string) string {
	sum := sha256.Sum256([]byte(nonce))
	return c.prefix() + "console:scan:" + hex.EncodeToString(sum[:])
}

func (c *Console) confirmKey(nonce string) string { return c.scanKey(nonce) + ":ok" }

// scanCode returns the expiry of the code with nonce and the URL it
// encodes; ok is false when there is no such code or it has expired.
func (c *Console) scanCode(ctx context.Context, nonce string) (exp time.Time, codeURL string, ok bool, err error) {
	if nonce == "" {
		return time.Time{}, "", false, nil
	}
	val, err := c.Redis.Get(ctx, c.scanKey(nonce)).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, "", false, nil
	}
	if err != nil {
		return time.Time{}, "", false, fmt.Errorf("console: login qr: %w", err)
	}
	ms, codeURL, _ := strings.Cut(val, " ")
	n, perr := strconv.ParseInt(ms, 10, 64)
	if perr != nil {
		return time.Time{}, "", false, fmt.Errorf("console: login qr record %q: %w", val, perr)
	}
	exp = time.UnixMilli(n)
	return exp, codeURL, c.now().Before(exp), nil
}

// scanNonces are the login codes this browser was shown.
func (c *Console) scanNonces(ctx context.Context) []string {
	nonces, _ := c.sessions.Get(ctx, keyScanNonces).([]string)
	return nonces
}

// ConfirmScan is a scan of the login code with nonce by the WeChat user
// openid (the backoffice flow calls it): when they are active staff
// bound to openid and the code is valid and not yet scanned, the browser
// showing it is let in as them on its next poll. A code is confirmed
// once.
func (c *Console) ConfirmScan(ctx context.Context, nonce, openid string) (community.Staff, error) {
	st, err := c.Community.StaffByOpenID(ctx, openid)
	if errors.Is(err, bot.ErrNotFound) || err == nil && !st.Active {
		return community.Staff{}, &bot.UserError{Code: bot.CodeForbidden, Message: scanNotStaff}
	}
	if err != nil {
		return community.Staff{}, err
	}
	expired := &bot.UserError{Code: bot.CodeNotFound, Message: scanExpired}
	exp, _, ok, err := c.scanCode(ctx, nonce)
	if err != nil {
		return community.Staff{}, err
	}
	if !ok {
		return community.Staff{}, expired
	}
	// SETNX: of two scans (two staff, or one retried) only the first
	// counts; the other is told the code is spent.
	set, err := c.Redis.SetNX(ctx, c.confirmKey(nonce), strconv.FormatInt(st.ID, 10)+" "+st.OpenID, exp.Sub(c.now())+scanSlack).Result()
	if err != nil {
		return community.Staff{}, fmt.Errorf("console: confirm login qr: %w", err)
	}
	if !set {
		return community.Staff{}, expired
	}
	c.Logger.InfoContext(ctx, "console: login qr scanned", "staff", st.ID)
	return st, nil
}

// Link returns a one-time sign-in link for the active staff member
// bound to openid (登录后台), else bot.ErrNotFound.
func (c *Console) Link(ctx context.Context, openid string) (string, error) {
	st, err := c.Community.StaffByOpenID(ctx, openid)
	if err != nil {
		return "", err
	}
	return c.IssueLink(ctx, st)
}

// scanAnswer is the wait endpoint's JSON, as app.js's data-poll reads it:
// next to go there, expired to stop; anything else keeps polling.
type scanAnswer struct {
	Next    string `json:"next,omitempty"`
	Expired bool   `json:"expired,omitempty"`
	Waiting bool   `json:"waiting,omitempty"`
}

// scanWait answers the login page's poll: signed in (next), expired, or
// still waiting. A browser without JavaScript comes here by a link and
// is sent on instead.
func (c *Console) scanWait(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	nonce := r.URL.Query().Get("n")
	next := safeNext(r.URL.Query().Get("next"))
	// Only the browser that was shown the code can be signed in by it.
	if !slices.Contains(c.scanNonces(ctx), nonce) {
		c.scanReply(w, r, scanAnswer{Expired: true}, next)
		return
	}
	val, err := c.Redis.GetDel(ctx, c.confirmKey(nonce)).Result()
	if errors.Is(err, redis.Nil) {
		_, _, ok, err := c.scanCode(ctx, nonce)
		switch {
		case err != nil:
			c.scanFail(w, r, err)
		case !ok:
			c.forgetScan(ctx, nonce)
			c.scanReply(w, r, scanAnswer{Expired: true}, next)
		default:
			c.scanReply(w, r, scanAnswer{Waiting: true}, next)
		}
		return
	}
	if err != nil {
		c.scanFail(w, r, err)
		return
	}
	c.forgetScan(ctx, nonce)
	idText, openid, _ := strings.Cut(val, " ")
	id, _ := strconv.ParseInt(idText, 10, 64)
	if err := c.SignIn(w, r, id, openid); err != nil {
		// Deactivated or unbound since the scan: back to the login page,
		// which says why.
		c.flash.Bad(ctx, c.message(r, err))
		c.scanReply(w, r, scanAnswer{Next: Path + "/login"}, next)
		return
	}
	c.scanReply(w, r, scanAnswer{Next: next}, next)
}

// forgetScan drops a used or expired code from the session and Redis.
func (c *Console) forgetScan(ctx context.Context, nonce string) {
	nonces := slices.DeleteFunc(c.scanNonces(ctx), func(n string) bool { return n == nonce })
	if len(nonces) == 0 {
		c.sessions.Remove(ctx, keyScanNonces)
	} else {
		c.sessions.Put(ctx, keyScanNonces, nonces)
	}
	if err := c.Redis.Del(ctx, c.scanKey(nonce)).Err(); err != nil {
		c.Logger.WarnContext(ctx, "console: drop login qr", "err", err)
	}
}

// scanReply writes a as JSON to the page's poll; a browser following the
// no-script link goes where a says, or back to the login page.
func (c *Console) scanReply(w http.ResponseWriter, r *http.Request, a scanAnswer, next string) {
	w.Header().Set("Cache-Control", "no-store")
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(a)
		return
	}
	if a.Next != "" {
		http.Redirect(w, r, a.Next, http.StatusSeeOther)
		return
	}
	msg := "还没有收到扫码确认，请用微信扫码后再试。"
	if a.Expired {
		msg = "二维码已过期，已为您换了一个新的。"
	}
	c.flash.Bad(r.Context(), msg)
	back := Path + "/login"
	if next != Path {
		back += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (c *Console) scanFail(w http.ResponseWriter, r *http.Request, err error) {
	c.Logger.ErrorContext(r.Context(), "console: login qr wait", "err", err)
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "服务暂时不可用，请稍后再试", http.StatusServiceUnavailable)
}

// scanImage is the picture of this browser's login code, drawn here from
// the URL it encodes: the page needs nothing from mp.weixin.qq.com.
func (c *Console) scanImage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	nonce := r.URL.Query().Get("n")
	if !slices.Contains(c.scanNonces(ctx), nonce) {
		http.NotFound(w, r)
		return
	}
	_, codeURL, ok, err := c.scanCode(ctx, nonce)
	if err != nil {
		c.scanFail(w, r, err)
		return
	}
	if !ok || codeURL == "" {
		http.NotFound(w, r)
		return
	}
	web.QRPNG(w, codeURL, 280)
}

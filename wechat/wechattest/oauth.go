package wechattest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"

	"time"
)

// Web authorisation (网页授权) paths the fake serves. PathOAuthAuthorize
// stands for https://open.weixin.qq.com/connect/oauth2/authorize: a
// wechat.Client whose APIBase is the fake sends browsers there
// (Client.AuthorizeURL).
const (
	PathOAuthAuthorize = "/connect/oauth2/authorize"
	PathOAuthToken     = "/sns/oauth2/access_token"
)

// oauthCodeTTL is how long WeChat keeps a web-authorisation code.
const oauthCodeTTL = 5 * time.Minute

// oauthState is the fake's web authorisation: the resident the next
// authorisation names, and the codes handed out.
type oauthState struct {
	user  string
	codes map[string]oauthCode
}

type oauthCode struct {
	openid string
	until  time.Time
	used   bool
}

// SetOAuthUser makes openid the resident every later web authorisation
// names, as if they had opened the page inside WeChat; "" makes the
// authorisation page refuse (HTTP 403), as WeChat does outside its own
// browser.
func (f *FakeAPI) SetOAuthUser(openid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.oauth.user = openid
}

func (f *FakeAPI) oauthRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+PathOAuthAuthorize, f.oauthAuthorize)
	mux.HandleFunc("GET "+PathOAuthToken, f.oauthToken)
}

// oauthAuthorize plays the page WeChat shows: with scope snsapi_base it
// asks nothing and sends the browser straight back to redirect_uri with a
// fresh code and the state.
func (f *FakeAPI) oauthAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[PathOAuthAuthorize]++
	back, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("appid") != f.appID:
		http.Error(w, "appid 参数错误", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || (q.Get("scope") != "snsapi_base" && q.Get("scope") != "snsapi_userinfo"):
		http.Error(w, "scope 参数错误或没有 scope 权限", http.StatusBadRequest)
		return
	case err != nil || !back.IsAbs() || (back.Scheme != "http" && back.Scheme != "https"):
		http.Error(w, "redirect_uri 参数错误", http.StatusBadRequest)
		return
	case f.oauth.user == "":
		http.Error(w, "请在微信客户端打开链接", http.StatusForbidden)
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	code := "fakecode_" + hex.EncodeToString(b)
	if f.oauth.codes == nil {
		f.oauth.codes = map[string]oauthCode{}
	}
	f.oauth.codes[code] = oauthCode{openid: f.oauth.user, until: time.Now().Add(oauthCodeTTL)}
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	back.Fragment = ""
	f.counts[PathOAuthAuthorize]++
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// oauthToken exchanges a code, once, for the openid it was handed out
// for (and an access_token nobody uses), as WeChat does.
func (f *FakeAPI) oauthToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[PathOAuthToken]++
	if code, ok := f.takeFault(PathOAuthToken); ok {
		writeJSON(w, map[string]any{"errcode": code, "errmsg": faultMsg(code)})
		return
	}
	c, known := f.oauth.codes[q.Get("code")]
	switch {
	case q.Get("grant_type") != "authorization_code":
		writeJSON(w, map[string]any{"errcode": 40002, "errmsg": "invalid grant_type"})
	case q.Get("appid") != f.appID:
		writeJSON(w, map[string]any{"errcode": 40013, "errmsg": "invalid appid"})
	case q.Get("secret") != f.secret:
		writeJSON(w, map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
	case !known || time.Now().After(c.until):
		writeJSON(w, map[string]any{"errcode": 40029, "errmsg": "invalid code"})
	case c.used:
		writeJSON(w, map[string]any{"errcode": 40163, "errmsg": "code been used"})
	default:
		c.used = true
		f.oauth.codes[q.Get("code")] = c
		f.counts[PathOAuthToken]++
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		writeJSON(w, map[string]any{"access_token": "fake_oauth_" + hex.EncodeToString(b), "expires_in": 7200,
			"refresh_token": "fake_refresh_" + hex.EncodeToString(b[:8]), "openid": c.openid, "scope": "snsapi_base"})
	}
}

// Package wechattest provides a local fake of the WeChat official-account
// API for tests, and for a server under test reached through
// TONGXIN_WECHAT_API_BASE. It never talks to WeChat.
package wechattest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot/bottest"
)

// Credentials the fake accepts unless SetCredentials changes them.
const (
	AppID  = "wx0123456789fake"
	Secret = "0123456789abcdef0123456789abcdef"
)

// API paths the fake serves.
const (
	PathToken      = "/cgi-bin/token"
	PathCustomSend = "/cgi-bin/message/custom/send"
	PathMenuCreate = "/cgi-bin/menu/create"
	PathTemplate   = "/cgi-bin/message/template/send"
	// PathMediaGet downloads temporary media (a message's MediaId).
	PathMediaGet = "/cgi-bin/media/get"
	// PathPicture is where the fake serves pictures as WeChat's image CDN
	// serves an image message's PicUrl (AddPicture).
	PathPicture = "/mmbiz_jpg/"
)

// CustomText is one customer-service text message the fake accepted.
type CustomText struct {
	ToUser  string
	Content string
}

// TemplateSend is one template message the fake accepted.
type TemplateSend struct {
	ToUser      string
	TemplateID  string
	URL         string
	ClientMsgID string
	// Data maps each field key to its value.
	Data map[string]string
}

type fault struct {
	code int
	n    int
}

// FakeAPI is an httptest server that answers like the official-account
// API: it issues tokens, checks them, records what it is sent and can be
// told to fail. It is safe for concurrent use.
type FakeAPI struct {
	srv *httptest.Server

	mu       sync.Mutex
	appID    string
	secret   string
	tokens   map[string]bool
	fetches  int
	requests map[string][]json.RawMessage
	faults   map[string][]fault
	texts    []CustomText
	sends    []TemplateSend
	counts   map[string]int
	// sent maps touser+client_msg_id to the msgid of the first send, as
	// WeChat's 防重入 check does.
	sent  map[string]int64
	msgID int64
	down  bool
	delay time.Duration
	// media and pictures are the files the fake serves, by media_id and
	// by name under PathPicture.
	media    map[string]file
	pictures map[string]file
	// hits counts every request that reached an endpoint, failed or not.
	hits map[string]int
	// oauth is the web authorisation (oauth.go).
	oauth oauthState
}

// file is a download the fake serves.
type file struct {
	contentType string
	body        []byte
}

// NewFakeAPI starts a fake on loopback, closed when t's test ends.
func NewFakeAPI(t testing.TB) *FakeAPI {
	t.Helper()
	f := &FakeAPI{
		appID:    AppID,
		secret:   Secret,
		tokens:   map[string]bool{},
		requests: map[string][]json.RawMessage{},
		faults:   map[string][]fault{},
		counts:   map[string]int{},
		sent:     map[string]int64{},
		msgID:    1000,
		media:    map[string]file{},
		pictures: map[string]file{},
		hits:     map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathToken, f.token)
	mux.HandleFunc("POST "+PathCustomSend, f.post)
	mux.HandleFunc("POST "+PathMenuCreate, f.post)
	mux.HandleFunc("POST "+PathTemplate, f.post)
	mux.HandleFunc("GET "+PathMediaGet, f.mediaGet)
	mux.HandleFunc("GET "+PathPicture+"{name}", f.picture)
	mux.HandleFunc("POST "+PathQRCreate, f.qrCreate)
	f.oauthRoutes(mux)
	f.srv = httptest.NewServer(f.gate(mux))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the base to configure as the API base (ClientConfig.APIBase or
// TONGXIN_WECHAT_API_BASE).
func (f *FakeAPI) URL() string { return f.srv.URL }

// SetCredentials changes the appid and secret the token endpoint accepts.
func (f *FakeAPI) SetCredentials(appID, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.appID, f.secret = appID, secret
}

// FailNext makes the next n requests to path answer errcode code (before
// any other check), as WeChat does with HTTP 200; for PathPicture, code is
// the HTTP status the CDN answers.
func (f *FakeAPI) FailNext(path string, code, n int) {
	if n <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[path] = append(f.faults[path], fault{code: code, n: n})
}

// SetDown makes every endpoint, the token one included, answer HTTP 503
// with an HTML body while down is true, as a proxy does when the API is
// unreachable. Nothing is counted, recorded or consumed from FailNext
// meanwhile.
func (f *FakeAPI) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// SetDelay holds every answer back by d (0 to stop), so that tests can
// catch sends in flight. A delay longer than the client's timeout makes
// every call time out.
func (f *FakeAPI) SetDelay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// ExpireTokens invalidates every token issued so far, as a fetch by
// another party or WeChat's expiry would.
func (f *FakeAPI) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
}

// TokenFetches is how many tokens the fake has issued.
func (f *FakeAPI) TokenFetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches
}

// Requests returns the JSON bodies of the requests to path the fake
// accepted (answered with errcode 0), oldest first.
func (f *FakeAPI) Requests(path string) []json.RawMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]json.RawMessage(nil), f.requests[path]...)
}

// Count is how many requests to path the fake accepted: tokens issued for
// PathToken, files served for PathMediaGet and PathPicture, sends
// answered with errcode 0 otherwise. A template send
// dropped as a repeated client_msg_id is not counted, so Count is what
// residents would have received.
func (f *FakeAPI) Count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[path]
}

// TemplateSends returns the accepted template messages, oldest first,
// without those WeChat would have dropped as repeated client_msg_ids.
func (f *FakeAPI) TemplateSends() []TemplateSend {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]TemplateSend, len(f.sends))
	for i, s := range f.sends {
		s.Data = maps.Clone(s.Data)
		out[i] = s
	}
	return out
}

// WaitTemplateSends waits until at least n template messages have been
// accepted and returns them; it fails t if that has not happened within
// timeout, which should be generous.
func (f *FakeAPI) WaitTemplateSends(t testing.TB, n int, timeout time.Duration) []TemplateSend {
	t.Helper()
	var got []TemplateSend
	defer func() {
		if len(got) < n { // WaitFor gave up
			t.Logf("wechattest: only %d template messages arrived", len(got))
		}
	}()
	bottest.WaitFor(t, timeout, fmt.Sprintf("%d template messages at the fake WeChat API", n), func() bool {
		got = f.TemplateSends()
		return len(got) >= n
	})
	return got
}

// CustomTexts returns the accepted customer-service text messages, oldest
// first.
func (f *FakeAPI) CustomTexts() []CustomText {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]CustomText(nil), f.texts...)
}

// WaitCustomTexts waits until at least n customer-service texts have been
// accepted and returns them; it fails t if that has not happened within
// timeout. It is for deliveries made asynchronously, not a speed check:
// pick a generous timeout.
func (f *FakeAPI) WaitCustomTexts(t testing.TB, n int, timeout time.Duration) []CustomText {
	t.Helper()
	var got []CustomText
	defer func() {
		if len(got) < n { // WaitFor gave up
			t.Logf("wechattest: only %d customer-service texts arrived", len(got))
		}
	}()
	bottest.WaitFor(t, timeout, fmt.Sprintf("%d customer-service texts at the fake WeChat API", n), func() bool {
		got = f.CustomTexts()
		return len(got) >= n
	})
	return got
}

// AddMedia makes mediaID downloadable from PathMediaGet as body of
// contentType, as WeChat keeps a message's media for three days. An id
// never added answers errcode 40007, as an expired one does.
func (f *FakeAPI) AddMedia(mediaID, contentType string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media[mediaID] = file{contentType: contentType, body: append([]byte(nil), body...)}
}

// AddPicture serves body as the picture name under PathPicture and
// returns its URL, which stands for an image message's PicUrl. A name
// never added answers 404. FailNext(PathPicture, status, n) makes the next
// n picture requests answer that HTTP status.
func (f *FakeAPI) AddPicture(name, contentType string, body []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pictures[name] = file{contentType: contentType, body: append([]byte(nil), body...)}
	return f.srv.URL + PathPicture + name
}

// Hits is how many requests reached path (PathPicture for every picture),
// answered with an error or not; requests while SetDown is on do not count.
func (f *FakeAPI) Hits(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

// gate applies SetDelay and SetDown in front of every endpoint.
func (f *FakeAPI) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		d := f.delay
		f.mu.Unlock()
		if d > 0 {
			timer := time.NewTimer(d)
			select {
			case <-timer.C:
			case <-r.Context().Done():
				// The client gave up; don't hold the server's Close.
				timer.Stop()
				return
			}
		}
		f.mu.Lock()
		down := f.down
		f.mu.Unlock()
		if down {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "<html><head><title>503 Service Unavailable</title></head><body>upstream unavailable</body></html>")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (f *FakeAPI) token(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	if code, ok := f.takeFault(PathToken); ok {
		writeJSON(w, map[string]any{"errcode": code, "errmsg": faultMsg(code)})
		return
	}
	switch {
	case q.Get("grant_type") != "client_credential":
		writeJSON(w, map[string]any{"errcode": 40002, "errmsg": "invalid grant_type"})
	case q.Get("appid") != f.appID:
		writeJSON(w, map[string]any{"errcode": 40013, "errmsg": "invalid appid"})
	case q.Get("secret") != f.secret:
		writeJSON(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
	default:
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		tok := "fake_" + hex.EncodeToString(b)
		f.tokens[tok] = true
		f.fetches++
		f.counts[PathToken]++
		writeJSON(w, map[string]any{"access_token": tok, "expires_in": 7200})
	}
}

func (f *FakeAPI) mediaGet(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[PathMediaGet]++
	if code, ok := f.takeFault(PathMediaGet); ok {
		writeJSON(w, map[string]any{"errcode": code, "errmsg": faultMsg(code)})
		return
	}
	if !f.tokens[q.Get("access_token")] {
		writeJSON(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
		return
	}
	m, ok := f.media[q.Get("media_id")]
	if !ok {
		// WeChat's answer, as text/plain, to an unknown or expired id.
		w.Header().Set("Content-Type", "text/plain")
		_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 40007, "errmsg": faultMsg(40007)})
		return
	}
	f.counts[PathMediaGet]++
	w.Header().Set("Content-Type", m.contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+q.Get("media_id")+`"`)
	_, _ = w.Write(m.body)
}

// picture serves a PicUrl as WeChat's CDN does: no token, HTTP statuses.
func (f *FakeAPI) picture(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[PathPicture]++
	if status, ok := f.takeFault(PathPicture); ok {
		http.Error(w, http.StatusText(status), status)
		return
	}
	p, ok := f.pictures[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	f.counts[PathPicture]++
	w.Header().Set("Content-Type", p.contentType)
	_, _ = w.Write(p.body)
}

func (f *FakeAPI) post(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	defer f.mu.Unlock()
	if code, ok := f.takeFault(path); ok {
		writeJSON(w, map[string]any{"errcode": code, "errmsg": faultMsg(code)})
		return
	}
	if !f.tokens[r.URL.Query().Get("access_token")] {
		writeJSON(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
		return
	}
	body = bytes.TrimSpace(body)
	if err != nil || !json.Valid(body) {
		writeJSON(w, map[string]any{"errcode": 47001, "errmsg": "data format error"})
		return
	}
	if path == PathTemplate {
		f.template(w, body)
		return
	}
	f.accept(path, body)
	if path == PathCustomSend {
		var m struct {
			ToUser  string `json:"touser"`
			MsgType string `json:"msgtype"`
			Text    struct {
				Content string `json:"content"`
			} `json:"text"`
		}
		if json.Unmarshal(body, &m) == nil && m.MsgType == "text" {
			f.texts = append(f.texts, CustomText{ToUser: m.ToUser, Content: m.Text.Content})
		}
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// accept records and counts a request answered with errcode 0; f.mu must
// be held.
func (f *FakeAPI) accept(path string, body []byte) {
	f.requests[path] = append(f.requests[path], json.RawMessage(body))
	f.counts[path]++
}

// template answers a template send whose token was accepted; f.mu must be
// held.
func (f *FakeAPI) template(w http.ResponseWriter, body []byte) {
	var m struct {
		ToUser      string `json:"touser"`
		TemplateID  string `json:"template_id"`
		URL         string `json:"url"`
		ClientMsgID string `json:"client_msg_id"`
		Data        map[string]struct {
			Value string `json:"value"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		writeJSON(w, map[string]any{"errcode": 47001, "errmsg": "data format error"})
		return
	}
	switch {
	case m.ToUser == "":
		writeJSON(w, map[string]any{"errcode": 40003, "errmsg": "invalid openid"})
		return
	case m.TemplateID == "":
		writeJSON(w, map[string]any{"errcode": 40037, "errmsg": "invalid template_id"})
		return
	}
	// WeChat de-duplicates on openid + client_msg_id and answers a repeat
	// as if it were the first send.
	key := m.ToUser + "\x00" + m.ClientMsgID
	if m.ClientMsgID != "" {
		if id, ok := f.sent[key]; ok {
			writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": id})
			return
		}
	}
	f.accept(PathTemplate, body)
	f.msgID++
	if m.ClientMsgID != "" {
		f.sent[key] = f.msgID
	}
	ts := TemplateSend{ToUser: m.ToUser, TemplateID: m.TemplateID, URL: m.URL, ClientMsgID: m.ClientMsgID}
	if m.Data != nil {
		ts.Data = make(map[string]string, len(m.Data))
		for k, v := range m.Data {
			ts.Data[k] = v.Value
		}
	}
	f.sends = append(f.sends, ts)
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": f.msgID})
}

// takeFault consumes one injected failure for path; f.mu must be held.
func (f *FakeAPI) takeFault(path string) (int, bool) {
	fs := f.faults[path]
	if len(fs) == 0 {
		return 0, false
	}
	code := fs[0].code
	fs[0].n--
	if fs[0].n <= 0 {
		fs = fs[1:]
	}
	f.faults[path] = fs
	return code, true
}

// errmsgs are WeChat's messages for the codes tests inject most.
var errmsgs = map[int]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40003: "invalid openid",
	40007: "invalid media_id",
	40037: "invalid template_id",
	42001: "access_token expired",
	43004: "require subscribe",
	45009: "reach max api daily quota limit",
	45015: "response out of time limit or subscription is canceled",
	45047: "out of response count limit",
	47003: "argument invalid! data.thing1.value invalid",
	48001: "api unauthorized",
}

// faultMsg is the errmsg of an injected fault, with the per-request
// "rid" WeChat appends, so callers learn not to match on whole messages.
func faultMsg(code int) string {
	msg, ok := errmsgs[code]
	if !ok {
		msg = fmt.Sprintf("injected fault %d", code)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return msg + " rid: " + hex.EncodeToString(b) + "-" + hex.EncodeToString(b[:2])
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

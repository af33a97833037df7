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
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
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
)

// CustomText is one customer-service text message the fake accepted.
type CustomText struct {
	ToUser  string
	Content string
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
	msgID    int64
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
		msgID:    1000,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathToken, f.token)
	mux.HandleFunc("POST "+PathCustomSend, f.post)
	mux.HandleFunc("POST "+PathMenuCreate, f.post)
	mux.HandleFunc("POST "+PathTemplate, f.post)
	f.srv = httptest.NewServer(mux)
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
// any other check), as WeChat does with HTTP 200.
func (f *FakeAPI) FailNext(path string, code, n int) {
	if n <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[path] = append(f.faults[path], fault{code: code, n: n})
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

// CustomTexts returns the accepted customer-service text messages, oldest
// first.
func (f *FakeAPI) CustomTexts() []CustomText {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]CustomText(nil), f.texts...)
}

// WaitCustomTexts polls until at least n customer-service texts have been
// accepted and returns them; it fails t if that has not happened within
// timeout. It is for deliveries made asynchronously, not a speed check:
// pick a generous timeout.
func (f *FakeAPI) WaitCustomTexts(t testing.TB, n int, timeout time.Duration) []CustomText {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := f.CustomTexts()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("wechattest: got %d customer-service texts after %s, want %d", len(got), timeout, n)
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *FakeAPI) token(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	if code, ok := f.takeFault(PathToken); ok {
		writeJSON(w, map[string]any{"errcode": code, "errmsg": "injected fault"})
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
		writeJSON(w, map[string]any{"access_token": tok, "expires_in": 7200})
	}
}

func (f *FakeAPI) post(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	defer f.mu.Unlock()
	if code, ok := f.takeFault(path); ok {
		writeJSON(w, map[string]any{"errcode": code, "errmsg": fmt.Sprintf("injected fault %d", code)})
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
	f.requests[path] = append(f.requests[path], json.RawMessage(body))
	switch path {
	case PathCustomSend:
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
	case PathTemplate:
		f.msgID++
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": f.msgID})
		return
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
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

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

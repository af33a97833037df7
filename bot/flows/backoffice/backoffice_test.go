package backoffice_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cm "github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/backoffice"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/handlers/console"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// env is the bot with the backoffice feature over the real console (its
// HTTP side served here) and community: o-grid is an active grid worker,
// o-left one who left.
type env struct {
	router  *bot.Router
	console *console.Console
	url     string
	clock   *bottest.Clock
	seeded  communitytest.Seeded
}

func newEnv(t *testing.T) *env {
	t.Helper()
	store := storagetest.Open(t)
	clock := bottest.NewClock(time.Date(2026, 12, 1, 10, 0, 0, 0, bot.Shanghai))
	seeded := communitytest.Seed(t, store, clock.Now, communitytest.Spec{Staff: []communitytest.Member{
		{Name: "张网格", OpenID: "o-grid", Roles: []cm.Role{cm.RoleGridWorker}},
		{Name: "王离职", OpenID: "o-left", Roles: []cm.Role{cm.RoleGridWorker}},
	}})
	inactive := false
	if _, err := seeded.Service.PatchStaff(context.Background(), seeded.Staff["王离职"].ID, cs.StaffPatch{Active: &inactive}); err != nil {
		t.Fatal(err)
	}
	rdb, prefix, _ := redistest.New(t)
	c := &console.Console{Community: seeded.Service, Redis: rdb, KeyPrefix: prefix, Offline: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock.Now}
	mux := http.NewServeMux()
	h := c.Handler()
	mux.Handle(console.Path, h)
	mux.Handle(console.Path+"/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c.PublicURL = srv.URL
	r := bot.NewRouter(&bot.MemorySessions{Now: clock.Now})
	if err := backoffice.Register(r, flows.Deps{Community: seeded.Service, Console: c, Now: clock.Now}); err != nil {
		t.Fatal(err)
	}
	return &env{router: r, console: c, url: srv.URL, clock: clock, seeded: seeded}
}

func TestTranscripts(t *testing.T) {
	bottest.Each(t, func(t *testing.T, f string) {
		e := newEnv(t)
		bottest.Transcript(t, e.router, e.clock, f)
	})
}

// browser is a cookie jar's client that does not follow redirects.
func (e *env) browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *env) get(t *testing.T, c *http.Client, path string, accept string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(raw)
}

var waitRe = regexp.MustCompile(`data-poll="([^"]+)"`)

// code opens the login page and returns the nonce of its code and the
// address the page polls.
func (e *env) code(t *testing.T, c *http.Client) (string, string) {
	t.Helper()
	_, _, body := e.get(t, c, console.Path+"/login", "")
	m := waitRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("login page without a code:\n%s", body)
	}
	wait := html.UnescapeString(m[1])
	u, _ := url.Parse(wait)
	return u.Query().Get("n"), wait
}

func (e *env) send(t *testing.T, m *bot.Message) (string, error) {
	t.Helper()
	m.Time = e.clock.Now()
	m.Account = "gh_tongxin"
	reply, err := e.router.Handle(context.Background(), m)
	return reply.Text, err
}

// TestScanSignsIn: a staff member's scan (or follow by scanning) of the
// login code is answered in WeChat and lets the waiting browser in.
func TestScanSignsIn(t *testing.T) {
	e := newEnv(t)
	for _, ev := range []bot.Event{bot.EventScan, bot.EventSubscribe} {
		b := e.browser(t)
		nonce, wait := e.code(t, b)
		got, err := e.send(t, &bot.Message{ID: string(ev), OpenID: "o-grid", Kind: bot.KindEvent, Event: ev, EventKey: "login:" + nonce})
		if err != nil || !strings.HasSuffix(got, backoffice.SignedIn) {
			t.Fatalf("%s: %q, %v", ev, got, err)
		}
		if _, _, body := e.get(t, b, wait, "application/json"); body != `{"next":"/console"}`+"\n" {
			t.Fatalf("%s: poll after the scan: %s", ev, body)
		}
		if code, _, body := e.get(t, b, console.Path, ""); code != http.StatusOK || !strings.Contains(body, "网格员 张网格") {
			t.Fatalf("%s: dashboard: %d", ev, code)
		}
		// The same code again: spent.
		if _, err := e.send(t, &bot.Message{ID: string(ev) + "2", OpenID: "o-grid", Kind: bot.KindEvent, Event: bot.EventScan, EventKey: "login:" + nonce}); bot.UserMessage(err) != "二维码已过期，请刷新后台登录页。" {
			t.Errorf("%s: second scan: %v", ev, err)
		}
	}
}

// TestExpiredScan: two minutes after the page showed it, a scan is told
// to refresh and the page stops waiting.
func TestExpiredScan(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	nonce, wait := e.code(t, b)
	e.clock.Advance(console.ScanTTL + time.Second)
	if _, err := e.send(t, &bot.Message{ID: "1", OpenID: "o-grid", Kind: bot.KindEvent, Event: bot.EventScan, EventKey: "login:" + nonce}); bot.UserMessage(err) != "二维码已过期，请刷新后台登录页。" {
		t.Errorf("expired scan: %v", err)
	}
	if _, _, body := e.get(t, b, wait, "application/json"); body != `{"expired":true}`+"\n" {
		t.Errorf("poll: %s", body)
	}
}

// TestLinkKeyword: 登录后台 answers staff a link that signs in once.
func TestLinkKeyword(t *testing.T) {
	e := newEnv(t)
	got, err := e.send(t, &bot.Message{ID: "1", OpenID: "o-grid", Kind: bot.KindText, Text: "登录后台"})
	if err != nil || !strings.HasPrefix(got, backoffice.LinkText+e.url+console.Path+"/login/link?t=") {
		t.Fatalf("登录后台: %q, %v", got, err)
	}
	u, err := url.Parse(strings.TrimPrefix(got, backoffice.LinkText))
	if err != nil {
		t.Fatal(err)
	}
	token := u.Query().Get("t")
	first, second := e.browser(t), e.browser(t)
	e.useLink(t, first, token)
	if code, _, _ := e.get(t, first, console.Path, ""); code != http.StatusOK {
		t.Fatalf("not signed in by the link: %d", code)
	}
	e.useLink(t, second, token)
	if code, _, _ := e.get(t, second, console.Path, ""); code != http.StatusSeeOther {
		t.Errorf("the link worked twice: %d", code)
	}
}

// useLink taps 进入后台 on the link's page.
func (e *env) useLink(t *testing.T, c *http.Client, token string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+console.Path+"/login/link", strings.NewReader(url.Values{"t": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestWithoutConsole: an instance without a console says so instead of
// failing.
func TestWithoutConsole(t *testing.T) {
	r := bot.NewRouter(&bot.MemorySessions{})
	if err := backoffice.Register(r, flows.Deps{}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*bot.Message{
		{ID: "1", OpenID: "o-grid", Kind: bot.KindText, Text: "登录后台", Time: time.Now()},
		{ID: "2", OpenID: "o-grid", Kind: bot.KindEvent, Event: bot.EventScan, EventKey: "login:x", Time: time.Now()},
	} {
		reply, err := r.Handle(context.Background(), m)
		if err != nil || reply.Text != backoffice.Unavailable {
			t.Errorf("%+v: %q, %v", m, reply.Text, err)
		}
	}
}

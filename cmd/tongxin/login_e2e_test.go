package main

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/handlers/web/browsertest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
)

// consoleBrowser is a browser of the console: a cookie jar, redirects
// not followed.
type consoleBrowser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newConsoleBrowser(t *testing.T, base string) *consoleBrowser {
	return &consoleBrowser{t: t, base: base, c: browsertest.Jar(t)}
}

// do sends method to path (a form when form is not nil, as the page's
// own would be; JSON asked for when accept says so) and returns the
// status, the redirect target and the body.
func (b *consoleBrowser) do(method, path, accept string, form url.Values) (int, string, string) {
	b.t.Helper()
	return browsertest.Send(b.t, b.c, b.base, method, path, accept, form)
}

var consolePollRe = regexp.MustCompile(`data-poll="([^"]+)"`)

// bindStaff creates a staff member with role through the admin API and
// binds openid to them by sending 绑定 <code>, as a new colleague does.
func bindStaff(t *testing.T, base string, sim *wechat.Simulator, name, role, openid string) {
	t.Helper()
	code, st := admin(t, base, "POST", "/api/v1/staff", map[string]any{"name": name, "phone": "13900000009", "roles": []string{role}})
	if code != http.StatusCreated {
		t.Fatalf("create staff: %d %v", code, st)
	}
	if got := say(t, sim, wechat.SimMessage{OpenID: openid, Text: fmt.Sprintf("绑定 %v", st["bind_code"])}); !strings.Contains(got, "绑定成功") {
		t.Fatalf("bind: %q", got)
	}
}

// TestConsoleLoginEndToEnd runs the real server against the fake WeChat
// API: a staff member signs in by scanning the login page's code (a
// signed SCAN event through the webhook) and by 登录后台's link; a
// resident's scan is refused.
func TestConsoleLoginEndToEnd(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		base := e.start(t)
		sim := e.sim(base, wechat.ModeSafe)
		staff, resident := newOpenID("staff"), newOpenID("res")
		bindStaff(t, base, sim, "张网格", "grid_worker", staff)

		b := newConsoleBrowser(t, base)
		code, _, page := b.do(http.MethodGet, "/console/login", "", nil)
		m := consolePollRe.FindStringSubmatch(page)
		if code != http.StatusOK || m == nil {
			t.Fatalf("login page: %d, no code to wait on\n%s", code, page)
		}
		wait := html.UnescapeString(m[1])
		u, _ := url.Parse(wait)
		nonce := u.Query().Get("n")
		made := e.fake.QRCodes()
		if len(made) == 0 || made[len(made)-1].Scene != "login:"+nonce || !made[len(made)-1].Temporary() || made[len(made)-1].ExpireSeconds != 120 {
			t.Fatalf("WeChat was asked for %+v, want a 2-minute temporary code login:%s", made, nonce)
		}
		if code, _, png := b.do(http.MethodGet, "/console/login/scan/qr.png?n="+url.QueryEscape(nonce), "", nil); code != http.StatusOK || !strings.HasPrefix(png, "\x89PNG") {
			t.Errorf("QR picture: %d", code)
		}
		if _, _, got := b.do(http.MethodGet, wait, "application/json", nil); !strings.Contains(got, `"waiting":true`) {
			t.Fatalf("poll before the scan: %s", got)
		}

		// A resident who scans it (following by it) is refused, and the
		// page keeps waiting.
		got := say(t, sim, wechat.SimMessage{OpenID: resident, Kind: bot.KindEvent, Event: bot.EventSubscribe, EventKey: "login:" + nonce})
		if !strings.Contains(got, "您不是本社区工作人员") {
			t.Errorf("resident's scan: %q", got)
		}
		got = say(t, sim, wechat.SimMessage{OpenID: staff, Kind: bot.KindEvent, Event: bot.EventScan, EventKey: "login:" + nonce})
		if got != "已登录同心后台，请回到电脑查看。" {
			t.Fatalf("staff's scan: %q", got)
		}
		if _, _, got := b.do(http.MethodGet, wait, "application/json", nil); !strings.Contains(got, `"next":"/console"`) {
			t.Fatalf("poll after the scan: %s", got)
		}
		if code, _, body := b.do(http.MethodGet, "/console", "", nil); code != http.StatusOK || !strings.Contains(body, "网格员 张网格") {
			t.Fatalf("dashboard after the scan: %d", code)
		}

		// 登录后台: a link for staff, a kind no for residents.
		if got := say(t, sim, wechat.SimMessage{OpenID: resident, Text: "登录后台"}); !strings.Contains(got, "仅供本社区工作人员使用") {
			t.Errorf("resident's 登录后台: %q", got)
		}
		got = say(t, sim, wechat.SimMessage{OpenID: staff, Text: "登录后台"})
		const lead = "点击登录后台（5分钟内有效，仅可使用一次）："
		if !strings.HasPrefix(got, lead+base+"/console/login/link?t=") {
			t.Fatalf("staff's 登录后台: %q", got)
		}
		link, err := url.Parse(strings.TrimPrefix(got, lead))
		if err != nil {
			t.Fatal(err)
		}
		phone := newConsoleBrowser(t, base)
		if code, _, body := phone.do(http.MethodGet, link.RequestURI(), "", nil); code != http.StatusOK || !strings.Contains(body, "进入后台") {
			t.Fatalf("link page: %d", code)
		}
		if code, loc, _ := phone.do(http.MethodPost, "/console/login/link", "", url.Values{"t": {link.Query().Get("t")}}); code != http.StatusSeeOther || loc != "/console" {
			t.Fatalf("link login: %d to %q", code, loc)
		}
		if code, _, body := phone.do(http.MethodGet, "/console", "", nil); code != http.StatusOK || !strings.Contains(body, "网格员 张网格") {
			t.Fatalf("dashboard after the link: %d", code)
		}
		// Used once.
		other := newConsoleBrowser(t, base)
		other.do(http.MethodPost, "/console/login/link", "", url.Values{"t": {link.Query().Get("t")}})
		if code, _, _ := other.do(http.MethodGet, "/console", "", nil); code != http.StatusSeeOther {
			t.Errorf("the link signed in twice: %d", code)
		}
	})
}

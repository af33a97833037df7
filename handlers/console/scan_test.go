package console_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/handlers/console"
	"github.com/tongxin/tongxin/handlers/web/browsertest"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

// withQR gives the rig's console the WeChat client over the fake API as
// its QR maker, as serve does with real credentials.
func withQR(t *testing.T, r *rig) {
	t.Helper()
	rdb, prefix, _ := redistest.New(t)
	wx, err := wechat.NewClient(wechat.ClientConfig{AppID: wechattest.AppID, Secret: wechattest.Secret, APIBase: r.fake.URL(), Redis: rdb, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	r.console.QR = wx
}

var waitRe = regexp.MustCompile(`data-poll="([^"]+)"`)

// loginCode opens the login page in b and returns the code's nonce and
// the address the page polls.
func loginCode(t *testing.T, b *browser, path string) (nonce, wait string) {
	t.Helper()
	code, _, body := b.get(path)
	if code != http.StatusOK {
		t.Fatalf("login page: %d\n%s", code, body)
	}
	m := waitRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("login page has no code to wait on:\n%s", body)
	}
	wait = html.UnescapeString(m[1])
	u, err := url.Parse(wait)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("n"), wait
}

// poll asks the wait endpoint as app.js does.
func poll(t *testing.T, b *browser, wait string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+wait, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("poll %s: %d %s", wait, resp.StatusCode, raw)
	}
	return out
}

// userMessage is err's message when it is a *bot.UserError.
func userMessage(err error) string {
	var ue *bot.UserError
	if errors.As(err, &ue) {
		return ue.Message
	}
	return ""
}

func TestScanLogin(t *testing.T) {
	r := newRig(t)
	withQR(t, r)
	ctx := context.Background()
	st := r.staff("张网格", community.RoleGridWorker)
	b := r.browser()
	nonce, wait := loginCode(t, b, console.Path+"/login")
	made := r.fake.QRCodes()
	if len(made) != 1 || made[0].Scene != "login:"+nonce || !made[0].Temporary() || made[0].ExpireSeconds != 120 {
		t.Fatalf("WeChat made %+v, want one temporary code login:%s for 120 s", made, nonce)
	}
	// The picture is drawn here, for this browser only.
	img := console.Path + "/login/scan/qr.png?n=" + url.QueryEscape(nonce)
	if code, _, body := b.get(img); code != http.StatusOK || !strings.HasPrefix(body, "\x89PNG") {
		t.Errorf("QR picture: %d, %d bytes", code, len(body))
	}
	if _, _, body := b.get(console.Path + "/login"); !strings.Contains(body, `<img class="qr" src="`+console.Path+"/login/scan/qr.png?n=") {
		t.Errorf("login page shows no picture:\n%s", body)
	}
	thief := r.browser()
	if code, _, _ := thief.get(img); code != http.StatusNotFound {
		t.Errorf("another browser got the picture: %d", code)
	}
	if got := poll(t, b, wait); got["waiting"] != true || got["next"] != nil {
		t.Fatalf("before the scan: %v", got)
	}

	got, err := r.console.ConfirmScan(ctx, nonce, st.OpenID)
	if err != nil || got.ID != st.ID {
		t.Fatalf("ConfirmScan = %+v, %v", got, err)
	}
	// Confirmed once: a second scan is told the code is spent.
	if _, err := r.console.ConfirmScan(ctx, nonce, st.OpenID); userMessage(err) != "二维码已过期，请刷新后台登录页。" {
		t.Errorf("second scan: %v", err)
	}
	// Someone else who saw the code (and its address) is not let in.
	if got := poll(t, thief, wait); got["next"] != nil || got["expired"] != true {
		t.Errorf("another browser's poll: %v", got)
	}
	if code, _, _ := thief.get(console.Path); code != http.StatusSeeOther {
		t.Errorf("another browser signed in: %d", code)
	}
	if got := poll(t, b, wait); got["next"] != console.Path {
		t.Fatalf("after the scan: %v", got)
	}
	if code, _, body := b.get(console.Path); code != http.StatusOK || !strings.Contains(body, "网格员 张网格") {
		t.Fatalf("dashboard after the scan: %d\n%s", code, body)
	}
	// The code is used up: the page's poll now says expired.
	if got := poll(t, b, wait); got["expired"] != true {
		t.Errorf("poll after signing in: %v", got)
	}
}

func TestScanLoginRefusals(t *testing.T) {
	r := newRig(t)
	withQR(t, r)
	ctx := context.Background()
	st := r.staff("李督办", community.RoleSupervisor)
	gone := r.staff("王离职", community.RoleGridWorker)
	inactive := false
	if _, err := r.dir.PatchStaff(ctx, gone.ID, cs.StaffPatch{Active: &inactive}); err != nil {
		t.Fatal(err)
	}
	b := r.browser()
	nonce, wait := loginCode(t, b, console.Path+"/login")
	for name, openid := range map[string]string{"a resident": "o-resident-1", "a deactivated staff member": gone.OpenID} {
		_, err := r.console.ConfirmScan(ctx, nonce, openid)
		if msg := userMessage(err); !strings.HasPrefix(msg, "您不是本社区工作人员") {
			t.Errorf("%s scanned: %v", name, err)
		}
	}
	if _, err := r.console.ConfirmScan(ctx, "no-such-nonce", st.OpenID); userMessage(err) != "二维码已过期，请刷新后台登录页。" {
		t.Errorf("unknown code: %v", err)
	}
	if got := poll(t, b, wait); got["waiting"] != true {
		t.Fatalf("refused scans moved the page on: %v", got)
	}
	// Two minutes later the code is dead, for the bot and the page.
	r.clock.Advance(console.ScanTTL)
	if _, err := r.console.ConfirmScan(ctx, nonce, st.OpenID); userMessage(err) != "二维码已过期，请刷新后台登录页。" {
		t.Errorf("expired code: %v", err)
	}
	if got := poll(t, b, wait); got["expired"] != true {
		t.Errorf("poll of an expired code: %v", got)
	}
	if code, _, _ := b.get(console.Path); code != http.StatusSeeOther {
		t.Errorf("signed in by a refused or expired code: %d", code)
	}
	// A new code (the page's 换一个二维码) works.
	_, wait = loginCode(t, b, console.Path+"/login")
	nonce = mustNonce(t, wait)
	if _, err := r.console.ConfirmScan(ctx, nonce, st.OpenID); err != nil {
		t.Fatal(err)
	}
	// Deactivated between the scan and the poll: not let in, and told.
	if _, err := r.dir.PatchStaff(ctx, st.ID, cs.StaffPatch{Active: &inactive}); err != nil {
		t.Fatal(err)
	}
	if got := poll(t, b, wait); got["next"] != console.Path+"/login" {
		t.Fatalf("poll after the staff member left: %v", got)
	}
	if code, _, body := b.get(console.Path + "/login"); code != http.StatusOK || !strings.Contains(body, "无法登录") {
		t.Errorf("login page does not say why: %d\n%s", code, body)
	}
	if code, _, _ := b.get(console.Path); code != http.StatusSeeOther {
		t.Errorf("a deactivated staff member was signed in: %d", code)
	}
}

func mustNonce(t *testing.T, wait string) string {
	t.Helper()
	u, err := url.Parse(wait)
	if err != nil || u.Query().Get("n") == "" {
		t.Fatalf("wait address %q: %v", wait, err)
	}
	return u.Query().Get("n")
}

// TestScanLoginTabsAndNext: two tabs of one browser each have a code that
// works, and the scan lands where the login was asked from.
func TestScanLoginTabsAndNext(t *testing.T) {
	r := newRig(t)
	withQR(t, r)
	ctx := context.Background()
	st := r.staff("赵值班", community.RoleDuty)
	b := r.browser()
	code, loc, _ := b.get(console.Path + "/tickets?status=open")
	if code != http.StatusSeeOther {
		t.Fatalf("signed out: %d", code)
	}
	first, firstWait := loginCode(t, b, loc)
	_, secondWait := loginCode(t, b, console.Path+"/login")
	if _, err := r.console.ConfirmScan(ctx, first, st.OpenID); err != nil {
		t.Fatal(err)
	}
	if got := poll(t, b, secondWait); got["waiting"] != true {
		t.Errorf("the other tab's code: %v", got)
	}
	if got := poll(t, b, firstWait); got["next"] != console.Path+"/tickets?status=open" {
		t.Fatalf("after the scan: %v, want the page asked for", got)
	}
}

// TestScanLoginWithoutScript: the page's link for a browser without
// JavaScript signs in once the code is scanned, and sends it back to the
// login page with a word before.
func TestScanLoginWithoutScript(t *testing.T) {
	r := newRig(t)
	withQR(t, r)
	st := r.staff("钱调解", community.RoleMediator)
	b := r.browser()
	nonce, wait := loginCode(t, b, console.Path+"/login")
	if code, loc, _ := b.get(wait); code != http.StatusSeeOther || loc != console.Path+"/login" {
		t.Fatalf("before the scan: %d to %q", code, loc)
	}
	if _, _, body := b.get(console.Path + "/login"); !strings.Contains(body, "还没有收到扫码确认") {
		t.Errorf("not told the scan is missing:\n%s", body)
	}
	if _, err := r.console.ConfirmScan(context.Background(), nonce, st.OpenID); err != nil {
		t.Fatal(err)
	}
	if code, loc, _ := b.get(wait); code != http.StatusSeeOther || loc != console.Path {
		t.Fatalf("after the scan: %d to %q", code, loc)
	}
	if code, _, _ := b.get(console.Path); code != http.StatusOK {
		t.Errorf("not signed in: %d", code)
	}
}

// TestScanLoginOffline: with development credentials nothing is asked of
// WeChat; the page shows the scene, the simulator's link and the chat
// command, and a scan of the scene signs in as usual.
func TestScanLoginOffline(t *testing.T) {
	r := newRig(t)
	r.console.Offline = true
	st := r.staff("孙管理", community.RoleAdmin)
	b := r.browser()
	code, _, body := b.get(console.Path + "/login")
	m := waitRe.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil || strings.Contains(body, "qr.png") {
		t.Fatalf("offline login page: %d, no code or a picture\n%s", code, body)
	}
	wait := html.UnescapeString(m[1])
	nonce := mustNonce(t, wait)
	for _, want := range []string{"login:" + nonce, `href="/sim?scan=login:` + nonce + `"`, "/scan login:" + nonce} {
		if !strings.Contains(body, want) {
			t.Errorf("offline login page lacks %q:\n%s", want, body)
		}
	}
	if n := r.fake.Hits(wechattest.PathQRCreate); n != 0 {
		t.Errorf("asked WeChat for %d codes offline", n)
	}
	if _, err := r.console.ConfirmScan(context.Background(), nonce, st.OpenID); err != nil {
		t.Fatal(err)
	}
	if got := poll(t, b, wait); got["next"] != console.Path {
		t.Fatalf("after the scan: %v", got)
	}
}

// TestScanLoginWeChatDown: when WeChat makes no code the page says so
// and the other ways in remain.
func TestScanLoginWeChatDown(t *testing.T) {
	r := newRig(t)
	withQR(t, r)
	r.fake.FailNext(wechattest.PathQRCreate, 45009, 1)
	code, _, body := r.browser().get(console.Path + "/login")
	if code != http.StatusOK || !strings.Contains(body, "登录二维码暂时无法生成") || !strings.Contains(body, `name="token"`) || strings.Contains(body, "data-poll") {
		t.Fatalf("login page with WeChat failing: %d\n%s", code, body)
	}
}

// TestLinkFor: the one-time link (登录后台) is for active bound staff
// only, and signs them in.
func TestLinkFor(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	st := r.staff("周网格", community.RoleGridWorker)
	if _, err := r.console.Link(ctx, "o-resident-2"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("a resident's link: %v", err)
	}
	link, err := r.console.Link(ctx, st.OpenID)
	if err != nil || !strings.HasPrefix(link, r.url+console.Path+"/login/link?t=") {
		t.Fatalf("Link = %q, %v", link, err)
	}
	u, _ := url.Parse(link)
	b := r.browser()
	if code, loc, _ := b.post(console.Path+"/login/link", url.Values{"t": {u.Query().Get("t")}}); code != http.StatusSeeOther || loc != console.Path {
		t.Fatalf("link login: %d to %q", code, loc)
	}
	if code, _, body := b.get(console.Path); code != http.StatusOK || !strings.Contains(body, "周网格") {
		t.Fatalf("dashboard: %d", code)
	}
	inactive := false
	if _, err := r.dir.PatchStaff(ctx, st.ID, cs.StaffPatch{Active: &inactive}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.console.Link(ctx, st.OpenID); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("a deactivated staff member's link: %v", err)
	}
}

// TestBrowserScanExpiredAndOffline: in a real browser on a phone, the
// development page shows the scene to scan in the simulator; when the
// code expires the page says so and 换一个二维码 gives a new one.
func TestBrowserScanExpiredAndOffline(t *testing.T) {
	r := newRig(t)
	r.console.Offline = true
	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, "open the login page", chromedp.Navigate(r.url+console.Path+"/login"))
	browsertest.WaitText(t, ctx, "开发模式", 10*time.Second)
	browsertest.NoOverflow(t, ctx, "console-scan-login-offline")
	first := browsertest.Eval[string](t, ctx, `document.querySelector('[data-poll]').dataset.poll`)
	r.clock.Advance(console.ScanTTL)
	browsertest.WaitText(t, ctx, "二维码已过期", 10*time.Second)
	browsertest.Do(t, ctx, "ask for a new code", chromedp.Click(chromedp.CSS(`a.button.secondary`)))
	browsertest.WaitJS(t, ctx, fmt.Sprintf(`!!document.querySelector('[data-poll]') && document.querySelector('[data-poll]').dataset.poll !== %q`, first),
		10*time.Second, "a new code")
	if text := browsertest.Text(t, ctx); strings.Contains(text, "二维码已过期") {
		t.Errorf("the new code is shown as expired:\n%s", text)
	}
}

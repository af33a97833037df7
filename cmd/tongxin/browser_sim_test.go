package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/handlers/web/browsertest"
	"github.com/tongxin/tongxin/wechat"
)

// TestBrowserSimulator uses /sim as a newcomer would on a 360-px phone:
// a staff member binds, a resident taps 报修/诉求 in the menu and files a
// request by typing, taps a button of the sub-menu, the staff member's push shows in their thread, and
// when the staff member accepts it (from WeChat) the resident's thread
// shows the news without a reload. Every page fits the phone.
func TestBrowserSimulator(t *testing.T) {
	ctx := browsertest.New(t)
	e := devEnv(t)
	base := e.start(t)
	resident, worker := simOpenID("resident-b"), simOpenID("staff-b")
	code, w := admin(t, base, "POST", "/api/v1/staff", map[string]any{"name": "张网格", "phone": "13900000001", "roles": []string{"grid_worker"}})
	if code != 201 {
		t.Fatalf("create staff: %d %v", code, w)
	}
	if code, body := admin(t, base, "POST", "/api/v1/buildings", map[string]any{"number": 3}); code != 201 {
		t.Fatalf("building: %d %v", code, body)
	}
	if code, body := admin(t, base, "POST", "/api/v1/grids", map[string]any{"name": "一网格", "worker_id": w["id"], "buildings": []int{3}}); code != 201 {
		t.Fatalf("grid: %d %v", code, body)
	}
	const wait = 20 * time.Second
	typeIn := func(text, want string) {
		t.Helper()
		browsertest.Do(t, ctx, "type "+text,
			chromedp.SendKeys(chromedp.CSS("#sim-text"), text),
			chromedp.Click(chromedp.CSS("#sim-send")))
		browsertest.WaitText(t, ctx, want, wait)
	}

	// The staff member binds in the simulator.
	browsertest.Do(t, ctx, "open /sim as the worker", chromedp.Navigate(base+"/sim?openid="+worker))
	browsertest.WaitText(t, ctx, "还没有消息", wait)
	browsertest.NoOverflow(t, ctx, "sim-empty")
	typeIn(fmt.Sprintf("绑定 %v", w["bind_code"]), "绑定成功")

	// The resident taps the menu and files a request by typing.
	browsertest.Do(t, ctx, "open /sim as the resident", chromedp.Navigate(base+"/sim?openid="+resident))
	browsertest.WaitJS(t, ctx, `!!document.querySelector('button[value="REPORT"]')`, wait, "the menu")
	browsertest.Do(t, ctx, "tap 报修/诉求", chromedp.Click(chromedp.CSS(`button[value="REPORT"]`)))
	browsertest.WaitText(t, ctx, "请选择问题类型", wait)
	for _, s := range []struct{ in, want string }{
		{"1", "请简单描述问题"},
		{"3楼楼道灯不亮", "发完请回复 好了"},
		{"跳过", "3号楼"},
		{"3号楼2单元201", "手机"},
		{"13800138000", "回复 1"},
		{"1", "编号"},
	} {
		typeIn(s.in, s.want)
	}
	browsertest.NoOverflow(t, ctx, "sim-resident-filed")
	// 更多 opens the sub-menu above the bar; a tap on one of its buttons
	// is its CLICK, answered in the thread.
	browsertest.Do(t, ctx, "open 更多", chromedp.Click(chromedp.CSS(".sim-sub summary")))
	browsertest.WaitJS(t, ctx, `!!document.querySelector('.sim-sub[open] .sim-subs button')`, wait, "the sub-menu")
	browsertest.NoOverflow(t, ctx, "sim-submenu")
	sub := browsertest.Eval[string](t, ctx, `document.querySelector('.sim-sub[open] .sim-subs button').textContent`)
	replies := browsertest.Eval[int](t, ctx, `document.querySelectorAll('#thread .sim-in').length`)
	browsertest.Do(t, ctx, "tap "+sub, chromedp.Click(chromedp.CSS(".sim-sub[open] .sim-subs button")))
	browsertest.WaitText(t, ctx, "点击菜单「"+sub+"」", wait)
	browsertest.WaitJS(t, ctx, fmt.Sprintf(`document.querySelectorAll('#thread .sim-in').length > %d`, replies), wait, "the answer to "+sub)
	number := browsertest.Eval[string](t, ctx, `(document.body.innerText.match(/编号[:：]\s*(\d{10})/) || [])[1] || ""`)
	if number == "" {
		t.Fatalf("no ticket number on the page:\n%s", browsertest.Text(t, ctx))
	}

	// The staff member accepts it in WeChat; the resident's thread shows
	// the news by itself (the page asks every 1.5 s).
	pushes := browsertest.Eval[int](t, ctx, `document.querySelectorAll('#thread .sim-push').length`)
	cfg, err := config.Load(e.getenv)
	if err != nil {
		t.Fatal(err)
	}
	mode, _ := wechat.ParseMode(cfg.WeChat.MinMode())
	wx := &wechat.Simulator{URL: base + "/wechat", AppID: cfg.WeChat.AppID, Token: cfg.WeChat.Token, AESKey: cfg.WeChat.AESKey, Mode: mode}
	if reply, status, err := wx.Send(context.Background(), wechat.SimMessage{OpenID: worker, Text: "受理 " + number}); err != nil || status != http.StatusOK {
		t.Fatalf("the worker accepts: %d %v %q", status, err, reply)
	}
	browsertest.WaitJS(t, ctx, fmt.Sprintf(`(() => { const ps = document.querySelectorAll('#thread .sim-push'); return ps.length > %d && ps[ps.length-1].innerText.includes(%q) })()`, pushes, number), wait, "a new push about "+number)
	browsertest.NoOverflow(t, ctx, "sim-resident-push")
	// A push that links to its page (a template card once the services
	// link their notices) opens it signed in as the resident.
	if href := browsertest.Eval[string](t, ctx, `(document.querySelector('#thread a.sim-detail') || {getAttribute: () => ""}).getAttribute('href')`); href != "" {
		browsertest.Do(t, ctx, "open 详情", chromedp.Navigate(base+href))
		browsertest.WaitText(t, ctx, number, wait)
		browsertest.NoOverflow(t, ctx, "sim-detail-page")
		browsertest.Do(t, ctx, "back to the simulator", chromedp.Navigate(base+"/sim?openid="+resident))
	}

	// The worker's thread has the push about the new request.
	browsertest.Do(t, ctx, "open /sim as the worker again", chromedp.Navigate(base+"/sim?openid="+worker))
	browsertest.WaitJS(t, ctx, fmt.Sprintf(`Array.from(document.querySelectorAll('#thread .sim-push')).some(e => e.innerText.includes(%q))`, number), wait, "the worker's push")
	browsertest.NoOverflow(t, ctx, "sim-worker")

	// On a PC the phone is a centred frame.
	browsertest.Do(t, ctx, "widen the window", chromedp.EmulateViewport(1280, 900))
	left := browsertest.Eval[float64](t, ctx, `document.getElementById('sim').getBoundingClientRect().left`)
	width := browsertest.Eval[float64](t, ctx, `document.getElementById('sim').getBoundingClientRect().width`)
	if width > 460 || left < 300 {
		t.Errorf("on a PC the phone is %.0f px wide at %.0f px from the left; want a centred phone", width, left)
	}
	browsertest.Screenshot(t, ctx, "sim-desktop")
	if text := browsertest.Text(t, ctx); strings.Contains(text, "没有收到公众号的回复") {
		t.Errorf("a message failed:\n%s", text)
	}
}

// TestBrowserSimulatorScanLogin: with development credentials there is
// no WeChat to scan the console's login code with; the login page links
// to the simulator, which scans it as the staff member bound there, and
// the waiting console page signs in by itself.
func TestBrowserSimulatorScanLogin(t *testing.T) {
	ctx := browsertest.New(t)
	e := devEnv(t)
	base := e.start(t)
	code, w := admin(t, base, "POST", "/api/v1/staff", map[string]any{"name": "张网格", "phone": "13900000001", "roles": []string{"grid_worker"}})
	if code != 201 {
		t.Fatalf("create staff: %d %v", code, w)
	}
	const wait = 20 * time.Second
	staff := simOpenID("staff")

	// In one tab the staff member binds in the simulator, which remembers
	// them; in another the console waits for a scan.
	browsertest.Do(t, ctx, "open /sim as the staff member", chromedp.Navigate(base+"/sim?openid="+staff))
	browsertest.WaitJS(t, ctx, `!!document.getElementById('sim-text')`, wait, "the simulator")
	browsertest.Do(t, ctx, "bind", chromedp.SendKeys(chromedp.CSS("#sim-text"), fmt.Sprintf("绑定 %v", w["bind_code"])),
		chromedp.Click(chromedp.CSS("#sim-send")))
	browsertest.WaitText(t, ctx, "绑定成功", wait)
	console, cancel := chromedp.NewContext(ctx)
	defer cancel()
	browsertest.Do(t, console, "open the console", chromedp.EmulateViewport(browsertest.PhoneWidth, 740), chromedp.Navigate(base+"/console"))
	browsertest.WaitText(t, console, "在模拟器里扫这个码", wait)
	link := browsertest.Eval[string](t, console, `Array.from(document.querySelectorAll('a')).find(a => a.textContent.includes('在模拟器里扫这个码')).getAttribute('href')`)
	if !strings.HasPrefix(link, "/sim?scan=login:") {
		t.Fatalf("the console links to %q, want /sim?scan=login:…", link)
	}

	// The simulator tab follows the link: the scan goes as the bound
	// staff member, and the console tab signs in.
	browsertest.Do(t, ctx, "follow the link", chromedp.Navigate(base+link))
	browsertest.WaitText(t, ctx, "已登录同心后台", wait)
	if got := browsertest.Eval[string](t, ctx, `location.search`); got != "?openid="+staff {
		t.Errorf("after the scan the simulator is at %q, want it back without the scan", got)
	}
	browsertest.NoOverflow(t, ctx, "sim-scan-login")
	browsertest.WaitText(t, console, "网格员 张网格", wait)
}

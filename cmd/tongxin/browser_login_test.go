package main

import (
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/handlers/web/browsertest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
)

// TestBrowserScanLogin signs a staff member in by scanning, in a real
// browser on a 360-px phone: the login page shows the code (drawn by
// tongxin, nothing fetched from WeChat), the test sends the signed SCAN
// event WeChat would, and the page moves on to the dashboard by itself.
func TestBrowserScanLogin(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	base := e.start(t)
	sim := e.sim(base, wechat.ModeSafe)
	staff := newOpenID("staff")
	bindStaff(t, base, sim, "张网格", "grid_worker", staff)

	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, "open the console", chromedp.Navigate(base+"/console"))
	browsertest.WaitText(t, ctx, "微信扫码登录", 10*time.Second)
	browsertest.WaitJS(t, ctx, `(() => { const i = document.querySelector('img.qr'); return !!i && i.complete && i.naturalWidth > 0; })()`,
		10*time.Second, "the QR picture to load")
	browsertest.NoOverflow(t, ctx, "console-scan-login")
	poll := browsertest.Eval[string](t, ctx, `document.querySelector('[data-poll]').dataset.poll`)
	u, err := url.Parse(poll)
	if err != nil || u.Query().Get("n") == "" {
		t.Fatalf("the page polls %q", poll)
	}
	if got := say(t, sim, wechat.SimMessage{OpenID: staff, Kind: bot.KindEvent, Event: bot.EventScan, EventKey: "login:" + u.Query().Get("n")}); got != "已登录同心后台，请回到电脑查看。" {
		t.Fatalf("scan: %q", got)
	}
	browsertest.WaitText(t, ctx, "网格员 张网格", 15*time.Second)
	if path := browsertest.Eval[string](t, ctx, `location.pathname`); path != "/console" {
		t.Errorf("after the scan the page is at %s, want /console", path)
	}
	browsertest.NoOverflow(t, ctx, "console-dashboard-after-scan")
}

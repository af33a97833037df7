package console_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongxin/tongxin/handlers/console"
	"github.com/tongxin/tongxin/handlers/web/browsertest"
)

// TestBrowserTokenSignIn signs in with the admin token in a real browser
// on a phone-sized screen.
func TestBrowserTokenSignIn(t *testing.T) {
	r := newRig(t)
	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, "open the login page", chromedp.Navigate(r.url+console.Path))
	browsertest.WaitText(t, ctx, "管理员令牌", 10*time.Second)
	browsertest.NoOverflow(t, ctx, "console-login")
	browsertest.Do(t, ctx, "sign in with the token",
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Click(chromedp.CSS(`form[action="/console/login/token"] button`)))
	browsertest.WaitText(t, ctx, "管理员（令牌）", 10*time.Second)
	browsertest.NoOverflow(t, ctx, "console-dashboard")
}

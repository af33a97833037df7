package mine_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongxin/tongxin/handlers/mine"
	"github.com/tongxin/tongxin/handlers/web/browsertest"
)

// TestBrowserResidentPages opens the resident pages in a real browser on
// a 360-px phone: the web authorisation through the fake, 我的, a ticket
// and its rating, the sign-ups with the check-in QR, the bookings and a
// reschedule; each page fits the phone.
func TestBrowserResidentPages(t *testing.T) {
	r := newRig(t)
	r.schedule()
	me := resident("browser")
	tk := r.file(me, "3号楼楼道灯坏了，晚上上下楼看不见，老人容易摔倒，请尽快修理")
	r.resolve(tk.Number)
	r.file(me, "小区东门垃圾桶满了")
	su := r.signUp(me, "社区百家宴", 2)
	r.book(me)
	r.fake.SetOAuthUser(me)

	ctx := browsertest.New(t)
	// The template message's link, opened without a session: through the
	// fake's authorisation and back to 我的.
	browsertest.Do(t, ctx, "open 我的", chromedp.Navigate(r.url+mine.Path))
	browsertest.WaitText(t, ctx, "社区百家宴", 10*time.Second)
	browsertest.WaitText(t, ctx, "已办结，请评价", 10*time.Second)
	browsertest.NoOverflow(t, ctx, "mine-home")

	browsertest.Do(t, ctx, "open the ticket", chromedp.Click(chromedp.CSS(`a[href="/my/tickets/`+tk.Number+`"]`)))
	browsertest.WaitText(t, ctx, "请评价", 10*time.Second)
	browsertest.WaitText(t, ctx, "已更换灯泡", 10*time.Second)
	browsertest.NoOverflow(t, ctx, "mine-ticket")
	browsertest.Do(t, ctx, "rate it",
		chromedp.Click(chromedp.CSS("#rating-2")),
		chromedp.SendKeys(chromedp.CSS("#reason"), "修得挺快"),
		chromedp.Click(chromedp.CSS(`form[action$="/rate"] button[type=submit]`)))
	browsertest.WaitText(t, ctx, "感谢您的评价", 10*time.Second)
	browsertest.WaitText(t, ctx, "基本满意，原因：修得挺快", 10*time.Second)
	browsertest.NoOverflow(t, ctx, "mine-ticket-rated")

	browsertest.Do(t, ctx, "open the sign-ups", chromedp.Click(chromedp.CSS(`nav a[href="/my/signups"]`)))
	browsertest.WaitText(t, ctx, su.CheckinCode, 10*time.Second)
	browsertest.WaitJS(t, ctx, `(() => { const i = document.querySelector('img.qr'); return !!i && i.complete && i.naturalWidth > 0 })()`,
		10*time.Second, "the check-in QR to load")
	browsertest.NoOverflow(t, ctx, "mine-signups")

	browsertest.Do(t, ctx, "open the bookings", chromedp.Click(chromedp.CSS(`nav a[href="/my/bookings"]`)))
	browsertest.WaitText(t, ctx, "预约码", 10*time.Second)
	browsertest.NoOverflow(t, ctx, "mine-bookings")
	browsertest.Do(t, ctx, "reschedule", chromedp.Click(chromedp.CSS(`a[href$="/change"]`)))
	browsertest.WaitText(t, ctx, "改到", 10*time.Second)
	browsertest.NoOverflow(t, ctx, "mine-change")
	browsertest.Do(t, ctx, "pick another slot",
		chromedp.Click(chromedp.CSS("#slot-0")),
		chromedp.Click(chromedp.CSS(`form[action$="/change"] button[type=submit]`)))
	browsertest.WaitText(t, ctx, "改约成功", 10*time.Second)

	// Someone else's ticket, or none: the same page naming nothing.
	other := r.file(resident("browser-other"), "隔壁的诉求")
	browsertest.Do(t, ctx, "open another's ticket", chromedp.Navigate(r.url+mine.Path+"tickets/"+other.Number))
	browsertest.WaitText(t, ctx, "没有找到这项内容", 10*time.Second)
	if text := browsertest.Text(t, ctx); strings.Contains(text, "隔壁") {
		t.Errorf("another resident's ticket shows: %s", text)
	}
	browsertest.NoOverflow(t, ctx, "mine-not-found")

	if os.Getenv(browsertest.EnvShots) != "" {
		t.Logf("screenshots in %s (ticket %s, sign-up %s)", os.Getenv(browsertest.EnvShots), tk.Number, strconv.FormatInt(su.ID, 10))
	}
}

// TestBrowserOfflinePage: with development credentials the page says to
// use the simulator, and fits the phone.
func TestBrowserOfflinePage(t *testing.T) {
	r := newRig(t, offline)
	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, "open 我的", chromedp.Navigate(r.url+mine.Path))
	browsertest.WaitText(t, ctx, "打开模拟器", 10*time.Second)
	browsertest.NoOverflow(t, ctx, "mine-offline")
}

package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/handlers/console"
	"github.com/tongxin/tongxin/handlers/web/browsertest"
)

// TestBrowserTickets: a grid worker on a 360-px phone signs in with the
// link 登录后台 sent, opens their tickets, accepts and resolves one from
// its page, files one for a resident who phoned, and reads the
// statistics; nothing is wider than the phone.
func TestBrowserTickets(t *testing.T) {
	w := newWard(t)
	ctx := browsertest.New(t)
	link, err := w.console.IssueLink(context.Background(), w.worker)
	if err != nil {
		t.Fatal(err)
	}
	const wait = 10 * time.Second
	browsertest.Do(t, ctx, "open the sign-in link", chromedp.Navigate(link))
	browsertest.WaitText(t, ctx, "进入后台", wait)
	browsertest.Do(t, ctx, "sign in", chromedp.Click(chromedp.CSS(`form[action="/console/login/link"] button`)))
	browsertest.WaitText(t, ctx, "未办结诉求", wait)
	browsertest.NoOverflow(t, ctx, "console-dashboard-gridworker")

	browsertest.Do(t, ctx, "open the list", chromedp.Click(chromedp.CSS("#card-open")))
	browsertest.WaitText(t, ctx, "共 3 件", wait)
	if text := browsertest.Text(t, ctx); strings.Contains(text, w.b) {
		t.Errorf("the list shows grid B's ticket %s", w.b)
	}
	browsertest.NoOverflow(t, ctx, "console-tickets")

	browsertest.Do(t, ctx, "open a ticket", chromedp.Click(chromedp.CSS(`a[href="/console/tickets/`+w.a+`"]`)))
	browsertest.WaitText(t, ctx, descA, wait)
	browsertest.NoOverflow(t, ctx, "console-ticket")
	browsertest.Do(t, ctx, "accept it", chromedp.Click(chromedp.CSS("#act-accept button[type=submit]")))
	browsertest.WaitText(t, ctx, "已受理，已通知居民。", wait)
	browsertest.Do(t, ctx, "resolve it",
		chromedp.SendKeys(chromedp.CSS("#resolve-note"), "已更换楼道灯"),
		chromedp.Click(chromedp.CSS("#act-resolve button[type=submit]")))
	browsertest.WaitText(t, ctx, "已办结，已请居民评价。", wait)
	if got := browsertest.Eval[string](t, ctx, `document.querySelector("#ticket-timeline").innerText`); !strings.Contains(got, "已更换楼道灯") || !strings.Contains(got, "受理") {
		t.Errorf("timeline after acting: %q", got)
	}
	if got := browsertest.Eval[string](t, ctx, `document.querySelector("#ticket-status").innerText`); got != "已办结待评价" {
		t.Errorf("status after resolving: %q", got)
	}
	browsertest.NoOverflow(t, ctx, "console-ticket-resolved")

	browsertest.Do(t, ctx, "open the filing form", chromedp.Navigate(w.url+console.Path+"/tickets/new"))
	browsertest.WaitText(t, ctx, "代居民登记诉求", wait)
	browsertest.NoOverflow(t, ctx, "console-ticket-new")
	browsertest.Do(t, ctx, "file for a resident",
		chromedp.SetValue(chromedp.CSS("#file-category"), "repair"),
		chromedp.SendKeys(chromedp.CSS("#file-description"), "单元门禁坏了"),
		chromedp.SetValue(chromedp.CSS("#file-building"), itoa(w.b3.ID)),
		chromedp.SendKeys(chromedp.CSS("#file-unit"), "1"),
		chromedp.SendKeys(chromedp.CSS("#file-name"), "王大爷"),
		chromedp.SendKeys(chromedp.CSS("#file-phone"), "13900001111"),
		chromedp.Click(chromedp.CSS("#file-submit")))
	browsertest.WaitText(t, ctx, "已登记，编号", wait)
	browsertest.WaitText(t, ctx, "代居民登记诉求", wait)

	browsertest.Do(t, ctx, "open the statistics", chromedp.Navigate(w.url+console.Path+"/stats"))
	browsertest.WaitText(t, ctx, "按网格", wait)
	if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("svg[role=img] rect").length`); n == 0 {
		t.Error("no bars drawn")
	}
	if got := browsertest.Eval[int](t, ctx, `Math.round(document.querySelector("#chart-months").getBoundingClientRect().width)`); got > browsertest.PhoneWidth {
		t.Errorf("the chart is %d px wide", got)
	}
	browsertest.NoOverflow(t, ctx, "console-stats")
}

// TestBrowserDashboardManager: the operator's dashboard on a phone, with
// every card (tickets, an event and how full it is, failed notices).
func TestBrowserDashboardManager(t *testing.T) {
	w := newWard(t)
	ctx := context.Background()
	day := w.clock.Now()
	ev, err := w.acts.Create(ctx, activity.Activity{Title: "社区百家宴", Location: "广场", StartsAt: day.Add(48 * time.Hour),
		EndsAt: day.Add(50 * time.Hour), Capacity: 30, MaxParty: 3, Status: activity.ActivityOpen})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.acts.SignUp(ctx, activity.Draft{ActivityID: ev.ID, OpenID: "o-guest", Name: "客人", Phone: "13800000001", PartySize: 2}); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t)
	const wait = 10 * time.Second
	browsertest.Do(t, b, "sign in with the token",
		chromedp.Navigate(w.url+console.Path),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Click(chromedp.CSS(`form[action="/console/login/token"] button`)))
	browsertest.WaitText(t, b, "已报 2/30", wait)
	if got := browsertest.Eval[string](t, b, `document.querySelector("#card-open .stat").innerText`); got != "4" {
		t.Errorf("the operator's open tickets: %q", got)
	}
	browsertest.NoOverflow(t, b, "console-dashboard-manager")
	browsertest.Do(t, b, "open the list", chromedp.Navigate(w.url+console.Path+"/tickets"))
	browsertest.WaitText(t, b, "共 4 件", wait)
	browsertest.NoOverflow(t, b, "console-tickets-manager")
}

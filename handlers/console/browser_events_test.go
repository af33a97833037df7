package console_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/handlers/console"
	"github.com/tongxin/tongxin/handlers/web/browsertest"
)

// TestBrowserEvents creates an event through the form on a phone, finds
// it in the list, opens its page and its poster (whose QR pictures must
// load), and checks that none of the pages is wider than the phone.
func TestBrowserEvents(t *testing.T) {
	r := newRig(t)
	r.admin.Offline = true // development credentials: the QR codes are drawn from their scenes
	organiser := r.staff("张网格", community.RoleGridWorker)
	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, "sign in",
		chromedp.Navigate(r.url+console.Path+"/login"),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Click(chromedp.CSS(`form[action="/console/login/token"] button`)))
	browsertest.WaitText(t, ctx, "管理员（令牌）", 10*time.Second)

	browsertest.Do(t, ctx, "open the events", chromedp.Navigate(r.url+console.Path+"/events"))
	browsertest.WaitText(t, ctx, "没有即将举行的活动", 10*time.Second)
	browsertest.Do(t, ctx, "open the form", chromedp.Click(chromedp.CSS("#new-event")))
	browsertest.WaitText(t, ctx, "新建活动", 10*time.Second)
	browsertest.NoOverflow(t, ctx, "console-events-form")
	browsertest.Do(t, ctx, "fill the form",
		chromedp.SendKeys(chromedp.CSS("#title"), "百家宴"),
		chromedp.SendKeys(chromedp.CSS("#description"), "各族邻居带一道家乡菜，一起过节。"),
		chromedp.SendKeys(chromedp.CSS("#location"), "社区广场"),
		chromedp.SetValue(chromedp.CSS("#starts_at"), r.local(72*time.Hour)),
		chromedp.SetValue(chromedp.CSS("#ends_at"), r.local(75*time.Hour)),
		chromedp.SetValue(chromedp.CSS("#capacity"), "40"),
		chromedp.SetValue(chromedp.CSS("#max_party"), "4"),
		chromedp.SetValue(chromedp.CSS("#organizer_id"), strconv.FormatInt(organiser.ID, 10)),
		chromedp.SendKeys(chromedp.CSS("#questions"), "餐饮：清真/普通"),
		chromedp.Click(chromedp.CSS("#event-save")))
	browsertest.WaitText(t, ctx, "已创建活动「百家宴」", 10*time.Second)
	browsertest.NoOverflow(t, ctx, "console-event-detail")

	r.signUp(eventTitled(t, r, "百家宴"), "o-res-1", "阿依古丽·买买提", "13800001234", 2)
	browsertest.Do(t, ctx, "open the list", chromedp.Navigate(r.url+console.Path+"/events"))
	browsertest.WaitText(t, ctx, "百家宴", 10*time.Second)
	if text := browsertest.Text(t, ctx); !strings.Contains(text, "已报 2 / 40 人") || !strings.Contains(text, "组织者：张网格") {
		t.Fatalf("list:\n%s", text)
	}
	browsertest.NoOverflow(t, ctx, "console-events")

	browsertest.Do(t, ctx, "open the event", chromedp.Click(chromedp.CSS("#events a")))
	browsertest.WaitText(t, ctx, "阿依古丽·买买提", 10*time.Second)
	browsertest.NoOverflow(t, ctx, "console-event-roster")

	browsertest.Do(t, ctx, "open the poster", chromedp.Click(chromedp.CSS("#poster-link")))
	browsertest.WaitText(t, ctx, "现场签到", 10*time.Second)
	browsertest.WaitJS(t, ctx, `Array.from(document.querySelectorAll(".poster img")).length === 2 &&
		Array.from(document.querySelectorAll(".poster img")).every(i => i.complete && i.naturalWidth > 0)`,
		10*time.Second, "both QR pictures to load")
	browsertest.NoOverflow(t, ctx, "console-event-poster")
}

// eventTitled returns the id of the upcoming event titled title.
func eventTitled(t *testing.T, r *rig, title string) int64 {
	t.Helper()
	list, err := r.acts.List(context.Background(), "upcoming")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if a.Title == title {
			return a.ID
		}
	}
	t.Fatalf("no upcoming event %q", title)
	return 0
}

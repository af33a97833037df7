package console_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/handlers/web/browsertest"
)

// TestBrowserClinic: on a 360-px phone, clinic staff create a schedule
// through the form, see it in the week view, open a resident's booking
// (matter included) and mark it attended; every clinic page fits.
func TestBrowserClinic(t *testing.T) {
	r := newRig(t)
	st := r.staff("法律专干", community.RoleClinic)
	p := r.clinicProvider("王律师", 0)
	day := r.clinicDay()
	ctx := browsertest.New(t)
	const wait = 15 * time.Second

	link, err := r.console.IssueLink(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, ctx, "open the sign-in link", chromedp.Navigate(link))
	browsertest.WaitText(t, ctx, "进入后台", wait)
	browsertest.Do(t, ctx, "sign in", chromedp.Click(chromedp.CSS(`form[action="/console/login/link"] button`)))
	browsertest.WaitText(t, ctx, "法律诊所", wait)

	browsertest.Do(t, ctx, "open the new schedule form", chromedp.Navigate(r.url+"/console/clinic/schedules/new"))
	browsertest.WaitText(t, ctx, "新建排期", wait)
	browsertest.NoOverflow(t, ctx, "clinic-schedule-new")
	browsertest.Do(t, ctx, "fill the schedule form",
		chromedp.SetValue(chromedp.CSS("#schedule-mode"), "appointment"),
		chromedp.Click(chromedp.CSS("#schedule-provider-"+strconv.FormatInt(p.ID, 10))),
		chromedp.SetValue(chromedp.CSS("#schedule-date"), day),
		chromedp.SetValue(chromedp.CSS("#schedule-start"), "09:00"),
		chromedp.SetValue(chromedp.CSS("#schedule-end"), "11:30"),
		chromedp.SendKeys(chromedp.CSS("#schedule-location"), "社区服务中心二楼法律诊所"),
		chromedp.Click(chromedp.CSS("#schedule-submit")))
	browsertest.WaitText(t, ctx, "已新建排期", wait)
	browsertest.WaitText(t, ctx, "09:00–11:30", wait)
	browsertest.NoOverflow(t, ctx, "clinic-week-empty")

	scs, err := r.clinic.Schedules(context.Background())
	if err != nil || len(scs) != 1 || scs[0].Mode != cl.Appointment {
		t.Fatalf("schedules after the form: %+v %v", scs, err)
	}
	sc := scs[0]
	const secret = "楼上漏水多次协商不成，想问能否起诉物业"
	bk := r.clinicBook(sc, "09:30", "居民赵一", secret)
	r.clinicBook(sc, "10:00", "居民名字特别特别长的一位老人家", "咨询")

	browsertest.Do(t, ctx, "open the week", chromedp.Navigate(r.url+"/console/clinic?week="+day))
	browsertest.WaitText(t, ctx, "居民赵一", wait)
	browsertest.NoOverflow(t, ctx, "clinic-week")
	browsertest.Do(t, ctx, "open the booking", chromedp.Click(chromedp.CSS(`a[href="`+bookingPath(bk)+`"]`)))
	browsertest.WaitText(t, ctx, secret, wait)
	browsertest.NoOverflow(t, ctx, "clinic-booking")
	browsertest.Do(t, ctx, "mark attended", chromedp.Click(chromedp.CSS("#booking-attended")))
	browsertest.WaitText(t, ctx, "已改为已到场", wait)

	// A closure on another day, so its pages have a row.
	other := r.clock.Now().In(bot.Shanghai).AddDate(0, 0, 3).Format(cl.DateLayout)
	browsertest.Do(t, ctx, "open closures", chromedp.Navigate(r.url+"/console/clinic/closures"))
	browsertest.WaitText(t, ctx, "新增停诊", wait)
	// The button asks first (data-confirm); the person says yes.
	browsertest.Eval[bool](t, ctx, `window.confirm = () => true; true`)
	browsertest.Do(t, ctx, "close a day",
		chromedp.SetValue(chromedp.CSS("#closure-date"), other),
		chromedp.SendKeys(chromedp.CSS("#closure-reason"), "律师出庭"),
		chromedp.Click(chromedp.CSS("#closure-submit")))
	browsertest.WaitText(t, ctx, "律师出庭", wait)
	cds, err := r.clinic.Closures(context.Background(), "", "")
	if err != nil || len(cds) != 1 {
		t.Fatalf("closures after the form: %+v %v", cds, err)
	}

	ex, err := r.clinic.RequestExpert(context.Background(), cl.ExpertRequest{OpenID: "o-res-ex", Name: "居民冯七",
		Phone: "13900000002", Matter: cl.Mediation, Description: "宅基地纠纷涉及三户人家"}, "")
	if err != nil {
		t.Fatal(err)
	}
	aid, err := r.clinic.ApplyAid(context.Background(), cl.AidApplication{OpenID: "o-res-aid", Name: "居民郑六",
		Phone: "13900000001", Description: "工地欠薪", Answers: &cl.AidAnswers{CaseKind: "讨薪"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, pg := range []struct{ path, name, want string }{
		{"/console/clinic/providers", "clinic-providers", "添加坐诊人员"},
		{"/console/clinic/providers/" + strconv.FormatInt(p.ID, 10), "clinic-provider", "修改坐诊人员"},
		{"/console/clinic/schedules", "clinic-schedules", "新建排期"},
		{"/console/clinic/schedules/" + strconv.FormatInt(sc.ID, 10), "clinic-schedule", "修改排期"},
		{"/console/clinic/closures", "clinic-closures", "律师出庭"},
		{"/console/clinic/closures/" + strconv.FormatInt(cds[0].ID, 10), "clinic-closure", "修改停诊"},
		{"/console/clinic/aid", "clinic-aid", "法律援助申请"},
		{"/console/clinic/expert", "clinic-expert", "专家会诊申请"},
		{"/console/clinic/aid/" + strconv.FormatInt(aid.ID, 10), "clinic-aid-detail", "工地欠薪"},
		{"/console/clinic/expert/" + strconv.FormatInt(ex.ID, 10), "clinic-expert-detail", "宅基地纠纷涉及三户人家"},
	} {
		browsertest.Do(t, ctx, "open "+pg.path, chromedp.Navigate(r.url+pg.path))
		browsertest.WaitText(t, ctx, pg.want, wait)
		browsertest.NoOverflow(t, ctx, pg.name)
	}
}

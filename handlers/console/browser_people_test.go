package console_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/handlers/console"
	"github.com/tongxin/tongxin/handlers/web/browsertest"
)

// TestBrowserPeople adds a staff member through the form on a phone and
// reads their bind code, then checks that no page of the people and
// notifications areas is wider than the phone.
func TestBrowserPeople(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	worker := r.staff("欧阳网格员", community.RoleGridWorker)
	head := r.staff("司马楼栋长", community.RoleBuildingHead)
	if _, err := r.dir.SaveBuilding(ctx, csBuilding(12, head.ID)); err != nil {
		t.Fatal(err)
	}
	g, err := r.dir.CreateGrid(ctx, csGrid("滨河社区第一网格", worker.ID, 12))
	if err != nil {
		t.Fatal(err)
	}
	r.failNotice(bot.Notice{Kind: "ticket_assigned", To: "oLongOpenIDofAResident0123456789", Text: "x", Key: "b1"},
		"wechat: errcode=43004 errmsg=require subscribe rid: 6543210abcdef-0123456789abcdef")

	b := browsertest.New(t)
	browsertest.Do(t, b, "sign in with the token",
		chromedp.Navigate(r.url+console.Path+"/login"),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Click(chromedp.CSS(`form[action="/console/login/token"] button`)))
	browsertest.WaitText(t, b, "管理员（令牌）", 10*time.Second)

	browsertest.Do(t, b, "open the new staff form", chromedp.Navigate(r.url+console.Path+"/staff/new"))
	browsertest.WaitText(t, b, "角色（可多选）", 10*time.Second)
	browsertest.NoOverflow(t, b, "console-staff-new")
	browsertest.Do(t, b, "fill and submit the form",
		chromedp.SendKeys(chromedp.CSS("#name"), "上官新网格"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "13700137000"),
		chromedp.SendKeys(chromedp.CSS("#work_phone"), "0937-6225678"),
		chromedp.Click(chromedp.CSS(`input[name=roles][value=grid_worker]`)),
		chromedp.Click(chromedp.CSS(`form[action="/console/staff"] button[type=submit]`)))
	browsertest.WaitText(t, b, "有效期至", 10*time.Second)
	browsertest.NoOverflow(t, b, "console-staff-code")
	code := browsertest.Eval[string](t, b, `document.getElementById("bind-code").textContent`)
	if got := browsertest.Eval[string](t, b, `document.getElementById("bind-text").textContent`); got != "绑定 "+code || len(code) != 10 {
		t.Fatalf("bind text %q, code %q", got, code)
	}
	st, err := r.dir.Bind(ctx, "o-browser-new-0001", code)
	if err != nil || st.Name != "上官新网格" || !st.Has(community.RoleGridWorker) || st.WorkPhone != "0937-6225678" {
		t.Fatalf("bind with the code shown: %v %+v", err, st)
	}

	for _, p := range []struct{ path, want, name string }{
		{"/staff", "137****7000", "console-staff"},
		{fmt.Sprintf("/staff/%d", st.ID), "停用（离职）", "console-staff-edit"},
		{"/buildings", "司马楼栋长", "console-buildings"},
		{"/buildings/new", "单元长", "console-building-new"},
		{"/buildings/12", "删除 12 号楼", "console-building-edit"},
		{"/grids", "滨河社区第一网格", "console-grids"},
		{"/grids/new", "确认从原网格移入", "console-grid-new"},
		{fmt.Sprintf("/grids/%d", g.ID), "删除网格", "console-grid-edit"},
		{"/notifications", "43004", "console-notifications"},
	} {
		browsertest.Do(t, b, "open "+p.path, chromedp.Navigate(r.url+console.Path+p.path))
		browsertest.WaitText(t, b, p.want, 10*time.Second)
		browsertest.NoOverflow(t, b, p.name)
	}
}

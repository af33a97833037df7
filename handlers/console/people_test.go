package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/handlers/console"
)

var (
	bindCodeRe = regexp.MustCompile(`id="bind-code">([0-9A-Z]+)<`)
	codePathRe = regexp.MustCompile(`^/console/staff/(\d+)/code$`)
)

// staffRow returns the row of staff member id in the staff list's body.
func staffRow(t *testing.T, body string, id int64) string {
	t.Helper()
	re := regexp.MustCompile(fmt.Sprintf(`(?s)<tr>\s*<td><a href="/console/staff/%d">.*?</tr>`, id))
	row := re.FindString(body)
	if row == "" {
		t.Fatalf("staff %d not listed:\n%s", id, body)
	}
	return row
}

// section returns the part of body from the heading starting with title
// to the end of its section.
func section(body, title string) string {
	i := strings.Index(body, title)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		return rest[:j]
	}
	return rest
}

// createStaff submits the staff form and returns the new id and the
// bind code page's body.
func createStaff(t *testing.T, b *browser, form url.Values) (int64, string) {
	t.Helper()
	code, loc, body := b.post(console.Path+"/staff", form)
	m := codePathRe.FindStringSubmatch(loc)
	if code != http.StatusSeeOther || m == nil {
		t.Fatalf("create staff: %d to %q\n%s", code, loc, body)
	}
	var id int64
	fmt.Sscan(m[1], &id)
	code, _, body = b.get(loc)
	if code != http.StatusOK {
		t.Fatalf("code page: %d\n%s", code, body)
	}
	return id, body
}

func TestStaffLifecycle(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	admin := r.staff("赵管理", community.RoleAdmin)
	b := r.as(admin)

	// Refused input comes back as a flash error on the form.
	code, loc, _ := b.post(console.Path+"/staff", url.Values{"name": {"钱网格"}, "phone": {"12345"}})
	if code != http.StatusSeeOther || loc != console.Path+"/staff/new" {
		t.Fatalf("bad phone: %d to %q", code, loc)
	}
	if _, _, body := b.get(loc); !strings.Contains(body, "手机号应为 11 位") {
		t.Fatalf("refusal not shown:\n%s", body)
	}

	id, body := createStaff(t, b, url.Values{"name": {"钱网格"}, "phone": {"13800138000"},
		"work_phone": {"0937-6221234"}, "roles": {"grid_worker", "duty"}})
	m := bindCodeRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no bind code shown:\n%s", body)
	}
	bindCode := m[1]
	if !strings.Contains(body, "绑定 "+bindCode) || !strings.Contains(body, "有效期至 "+r.clock.Now().Add(cs.BindCodeTTL).In(bot.Shanghai).Format("2006-01-02 15:04")) {
		t.Errorf("the code page does not say how to use the code and until when:\n%s", body)
	}
	// Shown once: a reload offers a new code instead.
	if _, _, again := b.get(fmt.Sprintf("%s/staff/%d/code", console.Path, id)); strings.Contains(again, bindCode) || !strings.Contains(again, "生成新的绑定码") {
		t.Errorf("the code is shown twice:\n%s", again)
	}

	_, _, list := b.get(console.Path + "/staff")
	row := staffRow(t, list, id)
	for _, want := range []string{"钱网格", "网格员", "值班员", "138****8000", "0937-***1234", "未绑定", "在职"} {
		if !strings.Contains(row, want) {
			t.Errorf("row lacks %q: %s", want, row)
		}
	}
	if strings.Contains(list, "13800138000") || strings.Contains(list, admin.Phone) {
		t.Error("the list shows a whole phone number")
	}
	// The edit form shows the whole number, to be corrected.
	if _, _, edit := b.get(fmt.Sprintf("%s/staff/%d", console.Path, id)); !strings.Contains(edit, `value="13800138000"`) {
		t.Errorf("edit form lacks the phone:\n%s", edit)
	}

	// The staff member binds with the code, as 绑定 <code> does.
	st, err := r.dir.Bind(ctx, "o-qian-wangge-0001", bindCode)
	if err != nil || st.ID != id {
		t.Fatalf("bind: %v %+v", err, st)
	}
	_, _, list = b.get(console.Path + "/staff")
	if row := staffRow(t, list, id); !strings.Contains(row, "已绑定") {
		t.Errorf("not listed as bound: %s", row)
	}

	// Edit: name, phone and roles.
	code, loc, _ = b.post(fmt.Sprintf("%s/staff/%d", console.Path, id), url.Values{"name": {"钱网格员"},
		"phone": {"13900139000"}, "work_phone": {""}, "roles": {"grid_worker"}})
	if code != http.StatusSeeOther || loc != console.Path+"/staff" {
		t.Fatalf("edit: %d to %q", code, loc)
	}
	_, _, list = b.get(console.Path + "/staff")
	if row := staffRow(t, list, id); !strings.Contains(row, "钱网格员") || !strings.Contains(row, "139****9000") || strings.Contains(row, "值班员") {
		t.Errorf("edit not shown: %s", row)
	}

	// They sign in; a manager deactivates them (they left): their
	// session ends and they are listed as inactive.
	st.Name, st.Roles = "钱网格员", []community.Role{community.RoleGridWorker}
	w := r.as(st)
	if code, _, _ := w.get(console.Path); code != http.StatusOK {
		t.Fatalf("worker not signed in: %d", code)
	}
	if _, _, edit := b.get(fmt.Sprintf("%s/staff/%d", console.Path, id)); !strings.Contains(edit, "退回派单") {
		t.Error("the deactivate button does not say their records go back to dispatch")
	}
	// A ticket of their grid is theirs until they leave.
	b5, err := r.dir.SaveBuilding(ctx, csBuilding(5, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.dir.CreateGrid(ctx, csGrid("五号楼网格", id, 5)); err != nil {
		t.Fatal(err)
	}
	rc, err := r.tickets.Submit(ctx, ticket.Draft{OpenID: "o-resident-5", Phone: "13800138001", Category: "repair",
		Description: "楼道灯坏了", BuildingID: b5.ID, Source: "wechat"})
	if err != nil || rc.Ticket.AssigneeID != id {
		t.Fatalf("ticket not routed to the worker: %v %+v", err, rc.Ticket)
	}
	code, loc, _ = b.post(fmt.Sprintf("%s/staff/%d/deactivate", console.Path, id), url.Values{})
	if code != http.StatusSeeOther || loc != console.Path+"/staff" {
		t.Fatalf("deactivate: %d to %q", code, loc)
	}
	if tk, _, err := r.tickets.Get(ctx, rc.Ticket.Number); err != nil || tk.AssigneeID == id {
		t.Errorf("the ticket stays with the worker who left: %v %+v", err, tk)
	}
	if code, loc, _ := w.get(console.Path); code != http.StatusSeeOther || !strings.HasPrefix(loc, console.Path+"/login") {
		t.Errorf("the deactivated worker's session goes on: %d to %q", code, loc)
	}
	_, _, list = b.get(console.Path + "/staff")
	if !strings.Contains(list, "已停用 钱网格员") || !strings.Contains(section(list, "已停用（"), "钱网格员") {
		t.Errorf("not listed as inactive:\n%s", list)
	}
	// A code for someone inactive is refused.
	if _, loc, _ := b.post(fmt.Sprintf("%s/staff/%d/code", console.Path, id), url.Values{}); loc != fmt.Sprintf("%s/staff/%d", console.Path, id) {
		t.Errorf("code for an inactive one: to %q", loc)
	}

	// Reactivated, unbound, given a new code.
	if code, _, _ := b.post(fmt.Sprintf("%s/staff/%d/activate", console.Path, id), url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("activate: %d", code)
	}
	if _, _, list = b.get(console.Path + "/staff"); !strings.Contains(section(list, "在职（"), "钱网格员") {
		t.Errorf("not active again:\n%s", list)
	}
	if code, loc, _ := b.post(fmt.Sprintf("%s/staff/%d/unbind", console.Path, id), url.Values{}); code != http.StatusSeeOther || loc != fmt.Sprintf("%s/staff/%d", console.Path, id) {
		t.Fatalf("unbind: %d to %q", code, loc)
	}
	if _, _, list = b.get(console.Path + "/staff"); !strings.Contains(staffRow(t, list, id), "未绑定") {
		t.Error("still listed as bound after unbinding")
	}
	code, loc, _ = b.post(fmt.Sprintf("%s/staff/%d/code", console.Path, id), url.Values{})
	if code != http.StatusSeeOther || loc != fmt.Sprintf("%s/staff/%d/code", console.Path, id) {
		t.Fatalf("reissue: %d to %q", code, loc)
	}
	_, _, body = b.get(loc)
	m = bindCodeRe.FindStringSubmatch(body)
	if m == nil || m[1] == bindCode {
		t.Fatalf("no new code:\n%s", body)
	}
	if _, err := r.dir.Bind(ctx, "o-qian-new-phone-02", m[1]); err != nil {
		t.Fatalf("bind with the reissued code: %v", err)
	}

	// A manager cannot deactivate or unbind themselves.
	for action, refusal := range map[string]string{"deactivate": "不能停用自己；", "unbind": "不能解绑自己的微信；"} {
		b.post(fmt.Sprintf("%s/staff/%d/%s", console.Path, admin.ID, action), url.Values{})
		if _, _, page := b.get(fmt.Sprintf("%s/staff/%d", console.Path, admin.ID)); !strings.Contains(page, refusal) {
			t.Errorf("%s self: not refused", action)
		}
	}
	if code, _, _ := b.get(console.Path); code != http.StatusOK {
		t.Error("the admin lost their session")
	}
}

func TestSupervisorCannotMakeAdmins(t *testing.T) {
	r := newRig(t)
	sup := r.staff("孙督办", community.RoleSupervisor)
	admin := r.staff("周管理", community.RoleAdmin)
	b := r.as(sup)
	if _, loc, _ := b.post(console.Path+"/staff", url.Values{"name": {"吴新人"}, "roles": {"admin"}}); loc != console.Path+"/staff/new" {
		t.Fatalf("a supervisor created an admin: to %q", loc)
	}
	if _, _, body := b.get(console.Path + "/staff/new"); !strings.Contains(body, "只有管理员可以") {
		t.Errorf("not told why:\n%s", body)
	}
	b.post(fmt.Sprintf("%s/staff/%d/deactivate", console.Path, admin.ID), url.Values{})
	if _, _, list := b.get(console.Path + "/staff"); strings.Contains(list, "已停用（") {
		t.Error("a supervisor deactivated an admin")
	}
	// Nor may they take over an admin's or a clinic staff member's
	// account through a new bind code, or grant the clinic role (which
	// reads legal matters), to themselves or anyone.
	clinicStaff := r.staff("钱诊所", community.RoleClinic)
	for _, st := range []community.Staff{admin, clinicStaff} {
		b.post(fmt.Sprintf("%s/staff/%d/code", console.Path, st.ID), url.Values{})
		if _, _, page := b.get(fmt.Sprintf("%s/staff/%d/code", console.Path, st.ID)); bindCodeRe.MatchString(page) {
			t.Errorf("a supervisor got a bind code for %s", st.Name)
		}
	}
	b.post(fmt.Sprintf("%s/staff/%d", console.Path, sup.ID), url.Values{"name": {"孙督办"}, "roles": {"supervisor", "clinic"}})
	if now, err := r.dir.StaffByOpenID(context.Background(), sup.OpenID); err != nil || now.Has(community.RoleClinic) {
		t.Errorf("a supervisor granted themselves the clinic role: %+v %v", now.Roles, err)
	}
	b.post(fmt.Sprintf("%s/staff/%d", console.Path, clinicStaff.ID), url.Values{"name": {"钱诊所"}, "roles": {"grid_worker"}})
	if now, err := r.dir.StaffByOpenID(context.Background(), clinicStaff.OpenID); err != nil || !now.Has(community.RoleClinic) {
		t.Errorf("a supervisor took the clinic role away: %+v %v", now.Roles, err)
	}
	// A supervisor may still add an ordinary worker.
	id, body := createStaff(t, b, url.Values{"name": {"吴网格"}, "roles": {"grid_worker"}})
	if id == 0 || !bindCodeRe.MatchString(body) {
		t.Errorf("supervisor could not add a worker:\n%s", body)
	}
}

// TestPeopleAndNoticesRefusedToWorkers: a grid worker (and other
// non-managers) gets 403 on every page and action of staff, buildings,
// grids and notifications, and sees nothing of them.
func TestPeopleAndNoticesRefusedToWorkers(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	secret := r.staff("郑秘密", community.RoleDuty)
	if _, err := r.dir.SaveBuilding(ctx, csBuilding(7, secret.ID)); err != nil {
		t.Fatal(err)
	}
	g, err := r.dir.CreateGrid(ctx, csGrid("七号网格", secret.ID, 7))
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []community.Role{community.RoleGridWorker, community.RoleClinic, community.RoleDuty} {
		w := r.as(r.staff("冯"+role.Label(), role))
		if _, _, dash := w.get(console.Path); strings.Contains(dash, "/console/staff") || strings.Contains(dash, "/console/notifications") {
			t.Errorf("%s: the nav links to people or notifications", role)
		}
		for _, p := range []string{"/staff", "/staff/new", fmt.Sprintf("/staff/%d", secret.ID), fmt.Sprintf("/staff/%d/code", secret.ID),
			"/buildings", "/buildings/new", "/buildings/7", "/grids", "/grids/new", fmt.Sprintf("/grids/%d", g.ID),
			"/notifications", "/notifications?status=sent"} {
			code, _, body := w.get(console.Path + p)
			if code != http.StatusForbidden || strings.Contains(body, "郑秘密") || strings.Contains(body, "七号网格") {
				t.Errorf("%s GET %s: %d", role, p, code)
			}
		}
		for _, p := range []string{"/staff", fmt.Sprintf("/staff/%d", secret.ID), fmt.Sprintf("/staff/%d/code", secret.ID),
			fmt.Sprintf("/staff/%d/deactivate", secret.ID), fmt.Sprintf("/staff/%d/activate", secret.ID), fmt.Sprintf("/staff/%d/unbind", secret.ID),
			"/buildings", "/buildings/7", "/buildings/7/delete", "/grids", fmt.Sprintf("/grids/%d", g.ID), fmt.Sprintf("/grids/%d/delete", g.ID),
			"/notifications/1/retry"} {
			form := url.Values{"name": {"改名"}, "number": {"8"}, "worker_id": {fmt.Sprint(secret.ID)}, "roles": {"admin"}}
			if code, _, _ := w.post(console.Path+p, form); code != http.StatusForbidden {
				t.Errorf("%s POST %s: %d", role, p, code)
			}
		}
	}
	// Nothing changed.
	all, _ := r.dir.ListStaff(ctx)
	for _, st := range all {
		if st.ID == secret.ID && (!st.Active || st.OpenID == "" || st.Name != "郑秘密") {
			t.Errorf("a refused action changed them: %+v", st)
		}
	}
	if _, err := r.dir.Building(ctx, 7); err != nil {
		t.Errorf("building 7: %v", err)
	}
	if _, err := r.dir.Building(ctx, 8); err == nil {
		t.Error("building 8 was created")
	}
	if got, _ := r.dir.Grid(ctx, g.ID); got.Name != "七号网格" {
		t.Errorf("grid changed: %+v", got)
	}
}

func TestBuildingsAndGrids(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	worker := r.staff("陈网格", community.RoleGridWorker)
	other := r.staff("褚网格", community.RoleGridWorker)
	head := r.staff("卫楼长", community.RoleBuildingHead)
	unit := r.staff("蒋单元", community.RoleUnitHead)
	sup := r.staff("沈督办", community.RoleSupervisor)
	b := r.operator()

	expect := func(what string, code int, loc, wantLoc string) {
		t.Helper()
		if code != http.StatusSeeOther || loc != wantLoc {
			t.Fatalf("%s: %d to %q, want %q", what, code, loc, wantLoc)
		}
	}
	flashError := func(path string) string {
		t.Helper()
		_, _, body := b.get(path)
		m := regexp.MustCompile(`(?s)<div class="flash error" role="alert">(.*?)</div>`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return m[1]
	}

	// Buildings: create with a 楼栋长 and a 单元长, and a second plain one.
	code, loc, _ := b.post(console.Path+"/buildings", url.Values{"number": {"1"}, "name": {""},
		"head_id": {fmt.Sprint(head.ID)}, "grid_id": {""},
		"unit_0": {"2"}, "unit_head_0": {fmt.Sprint(unit.ID)}, "unit_1": {""}, "unit_head_1": {""}})
	expect("create building 1", code, loc, console.Path+"/buildings")
	code, loc, _ = b.post(console.Path+"/buildings", url.Values{"number": {"2"}, "name": {"二号楼"}, "unit_0": {""}, "unit_head_0": {""}})
	expect("create building 2", code, loc, console.Path+"/buildings")
	code, loc, _ = b.post(console.Path+"/buildings", url.Values{"number": {"2"}, "name": {"重复"}})
	expect("duplicate building", code, loc, console.Path+"/buildings/new")
	if msg := flashError(loc); !strings.Contains(msg, "已有 2 号楼") {
		t.Errorf("duplicate not refused: %q", msg)
	}
	code, loc, _ = b.post(console.Path+"/buildings", url.Values{"number": {"3"}, "unit_0": {"1"}, "unit_head_0": {""}})
	expect("unit without a head", code, loc, console.Path+"/buildings/new")
	if msg := flashError(loc); !strings.Contains(msg, "单元长") {
		t.Errorf("half a unit line not refused: %q", msg)
	}
	code, loc, _ = b.post(console.Path+"/buildings", url.Values{"number": {"4"}, "head_id": {"99999"}})
	expect("unknown head", code, loc, console.Path+"/buildings/new")
	if msg := flashError(loc); msg != "楼栋长：没有编号为 99999 的工作人员" {
		t.Errorf("unknown head: %q", msg)
	}
	if b1, err := r.dir.Building(ctx, 1); err != nil || b1.Name != "1号楼" || b1.HeadID != head.ID || b1.UnitHeads[2] != unit.ID {
		t.Fatalf("building 1: %v %+v", err, b1)
	}

	// Grids: one with both buildings.
	code, loc, _ = b.post(console.Path+"/grids", url.Values{"name": {"东区网格"}, "worker_id": {fmt.Sprint(worker.ID)},
		"supervisor_id": {fmt.Sprint(sup.ID)}, "buildings": {"1", "2"}})
	expect("create grid", code, loc, console.Path+"/grids")
	grids, _ := r.dir.ListGrids(ctx)
	if len(grids) != 1 {
		t.Fatalf("grids: %+v", grids)
	}
	east := grids[0]
	_, _, list := b.get(console.Path + "/grids")
	for _, want := range []string{"东区网格", "陈网格", "沈督办", "1、2 号楼"} {
		if !strings.Contains(list, want) {
			t.Errorf("grid list lacks %q:\n%s", want, list)
		}
	}
	_, _, list = b.get(console.Path + "/buildings")
	for _, want := range []string{"1号楼", "二号楼", "东区网格", "卫楼长", "2单元 蒋单元"} {
		if !strings.Contains(list, want) {
			t.Errorf("building list lacks %q:\n%s", want, list)
		}
	}

	// A second grid taking building 2 must confirm the move.
	form := url.Values{"name": {"西区网格"}, "worker_id": {fmt.Sprint(other.ID)}, "buildings": {"2"}}
	code, loc, _ = b.post(console.Path+"/grids", form)
	expect("grid taking a building", code, loc, console.Path+"/grids/new")
	if msg := flashError(loc); !strings.Contains(msg, "2 号楼已属于网格「东区网格」") || !strings.Contains(msg, "勾选") || strings.Contains(msg, "move") {
		t.Errorf("move not asked for: %q", msg)
	}
	form.Set("move", "1")
	code, loc, _ = b.post(console.Path+"/grids", form)
	expect("grid moving a building", code, loc, console.Path+"/grids")
	if b2, _ := r.dir.Building(ctx, 2); b2.GridName != "西区网格" {
		t.Errorf("building 2 not moved: %+v", b2)
	}

	// Edit a building: rename, no more 楼栋长, unit heads cleared, back
	// to the first grid (a move).
	code, loc, _ = b.post(console.Path+"/buildings/2", url.Values{"name": {"2号楼（新）"}, "head_id": {""},
		"grid_id": {fmt.Sprint(east.ID)}, "move": {"1"}, "unit_0": {""}, "unit_head_0": {""}})
	expect("edit building", code, loc, console.Path+"/buildings")
	if b2, _ := r.dir.Building(ctx, 2); b2.Name != "2号楼（新）" || b2.GridID != east.ID {
		t.Errorf("building 2 after edit: %+v", b2)
	}
	if _, _, page := b.get(console.Path + "/buildings/1"); !strings.Contains(page, `value="2"`) || !strings.Contains(page, "蒋单元") {
		t.Errorf("building form lacks its unit head:\n%s", page)
	}

	// Edit a grid: rename, new worker, only building 1.
	code, loc, _ = b.post(fmt.Sprintf("%s/grids/%d", console.Path, east.ID), url.Values{"name": {"东区一网格"},
		"worker_id": {fmt.Sprint(other.ID)}, "supervisor_id": {""}, "buildings": {"1"}})
	expect("edit grid", code, loc, console.Path+"/grids")
	if g, _ := r.dir.Grid(ctx, east.ID); g.Name != "东区一网格" || g.WorkerID != other.ID || g.SupervisorID != 0 || len(g.Buildings) != 1 {
		t.Errorf("grid after edit: %+v", g)
	}

	// Deleting a grid with buildings is refused with the service's reason.
	code, loc, _ = b.post(fmt.Sprintf("%s/grids/%d/delete", console.Path, east.ID), url.Values{})
	expect("delete grid with buildings", code, loc, fmt.Sprintf("%s/grids/%d", console.Path, east.ID))
	if msg := flashError(loc); !strings.Contains(msg, "还有 1 号楼") {
		t.Errorf("delete not refused: %q", msg)
	}
	code, loc, _ = b.post(fmt.Sprintf("%s/grids/%d", console.Path, east.ID), url.Values{"name": {"东区一网格"},
		"worker_id": {fmt.Sprint(other.ID)}})
	expect("empty grid", code, loc, console.Path+"/grids")
	code, loc, _ = b.post(fmt.Sprintf("%s/grids/%d/delete", console.Path, east.ID), url.Values{})
	expect("delete grid", code, loc, console.Path+"/grids")
	if _, err := r.dir.Grid(ctx, east.ID); err == nil {
		t.Error("grid not deleted")
	}
	if _, _, list := b.get(console.Path + "/grids"); strings.Contains(list, "东区一网格") {
		t.Error("deleted grid still listed")
	}

	code, loc, _ = b.post(console.Path+"/buildings/1/delete", url.Values{})
	expect("delete building", code, loc, console.Path+"/buildings")
	if _, err := r.dir.Building(ctx, 1); err == nil {
		t.Error("building 1 not deleted")
	}
	if code, _, _ := b.get(console.Path + "/buildings/1"); code != http.StatusNotFound {
		t.Errorf("deleted building's page: %d", code)
	}
	if code, _, _ := b.get(console.Path + "/grids/999"); code != http.StatusNotFound {
		t.Errorf("unknown grid's page: %d", code)
	}
}

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"13800138000": "138****8000", "0937-6221234": "0937-***1234", "12345": "12345", "": "",
	} {
		if got := console.MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func csBuilding(number int, head int64) cs.BuildingInput {
	return cs.BuildingInput{Number: number, HeadID: head}
}

func csGrid(name string, worker int64, buildings ...int) cs.GridInput {
	return cs.GridInput{Name: name, WorkerID: worker, Buildings: buildings}
}

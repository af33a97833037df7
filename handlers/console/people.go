package console

// This file is the people area of the console: staff (create with a
// one-time bind code, edit, deactivate, reactivate, unbind, reissue the
// code), buildings (with 楼栋长 and 单元长) and grids (with their worker,
// supervisor and buildings). Everything goes through cs.AdminService,
// which checks the input; its refusals are shown as flash errors.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	cs "github.com/tongxin/tongxin/community"
)

// BindKeyword is what a staff member sends the official account before
// their code (bot/flows/staffdesk's keyword).
const BindKeyword = "绑定"

// keyBindCode keeps a code just handed out until the page showing it is
// opened once: the POST redirects (a reload must not create the staff
// member twice), and the code is never stored anywhere else.
const keyBindCode = "bind_code"

// peopleRoutes registers the pages of staff, buildings and grids.
func (c *Console) peopleRoutes(mux *http.ServeMux) {
	h := func(pattern string, f http.HandlerFunc) {
		mux.Handle(pattern, c.auth(c.managers(f)))
	}
	h("GET "+Path+"/staff", c.staffList)
	h("GET "+Path+"/staff/new", c.staffNew)
	h("POST "+Path+"/staff", c.staffCreate)
	h("GET "+Path+"/staff/{id}", c.staffEdit)
	h("POST "+Path+"/staff/{id}", c.staffSave)
	h("GET "+Path+"/staff/{id}/code", c.staffCode)
	h("POST "+Path+"/staff/{id}/code", c.staffReissue)
	h("POST "+Path+"/staff/{id}/deactivate", c.staffActive(false))
	h("POST "+Path+"/staff/{id}/activate", c.staffActive(true))
	h("POST "+Path+"/staff/{id}/unbind", c.staffUnbind)

	h("GET "+Path+"/buildings", c.buildingList)
	h("GET "+Path+"/buildings/new", c.buildingNew)
	h("POST "+Path+"/buildings", c.buildingCreate)
	h("GET "+Path+"/buildings/{number}", c.buildingEdit)
	h("POST "+Path+"/buildings/{number}", c.buildingSave)
	h("POST "+Path+"/buildings/{number}/delete", c.buildingDelete)

	h("GET "+Path+"/grids", c.gridList)
	h("GET "+Path+"/grids/new", c.gridNew)
	h("POST "+Path+"/grids", c.gridCreate)
	h("GET "+Path+"/grids/{id}", c.gridEdit)
	h("POST "+Path+"/grids/{id}", c.gridSave)
	h("POST "+Path+"/grids/{id}/delete", c.gridDelete)
}

// SeesPeople reports whether the nav shows this area to w.
func (w Who) SeesPeople() bool { return w.Manages() }

// managers lets only those who manage (the operator, admins,
// supervisors) through: the people and notification pages.
func (c *Console) managers(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !WhoFrom(r.Context()).Manages() {
			c.fail(w, r, ErrForbidden)
			return
		}
		next(w, r)
	}
}

// fieldLabels name the service's input fields as the forms do; the
// name's refusals name it themselves (姓名, 网格名称, 楼名).
var fieldLabels = map[string]string{
	"phone": "手机号", "work_phone": "工作电话", "roles": "角色", "openid": "openid",
	"number": "楼号", "head_id": "楼栋长", "unit_heads": "单元长", "grid_id": "网格",
	"worker_id": "网格员", "supervisor_id": "督办", "buildings": "楼栋",
}

// refuse leaves err for the next page: a service refusal in the words of
// the form (its field's label, without the API's hints), anything else
// as failTo does.
func (c *Console) refuse(w http.ResponseWriter, r *http.Request, next string, err error) {
	var ue *bot.UserError
	if !errors.As(err, &ue) {
		c.failTo(w, r, next, err)
		return
	}
	// The admin API asks for "move": true; the forms have a checkbox.
	moved := *ue
	moved.Message = strings.ReplaceAll(ue.Message, `确要移动请加 "move": true`, "确要移动请勾选「确认从原网格移入」")
	// The field's label where the message does not name it already
	// ("没有编号为 5 的工作人员" could be any of the selects).
	if l := fieldLabels[ue.Field]; l == "" || strings.Contains(moved.Message, l) {
		moved.Field = ""
		c.failTo(w, r, next, &moved)
		return
	}
	c.failTo(w, r, next, labelled(&moved, fieldLabels))
}

// pathInt reads path value name as a positive number; anything else is
// not found.
func pathInt(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, bot.ErrNotFound
	}
	return n, nil
}

// formID reads form field name as a staff or grid id; empty is 0 (none).
func formID(r *http.Request, name string) (int64, error) {
	v := strings.TrimSpace(r.PostFormValue(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, bot.FieldError(name, "请从列表中选择")
	}
	return n, nil
}

// MaskPhone hides the middle of a phone number for lists: 138****8000,
// 0937-***1234. What is too short to hide anything in stays as it is.
func MaskPhone(p string) string {
	rs := []rune(strings.TrimSpace(p))
	if len(rs) < 7 {
		return string(rs)
	}
	keep := 3
	if i := slices.Index(rs, '-'); i > 0 && i < len(rs)-4 {
		keep = i + 1
	}
	hide := len(rs) - keep - 4
	if hide <= 0 {
		return string(rs)
	}
	return string(rs[:keep]) + strings.Repeat("*", hide) + string(rs[len(rs)-4:])
}

// peopleTabs is the sub-navigation of the area.
type peopleTab struct {
	Href, Label string
	Current     bool
}

func peopleTabs(current string) []peopleTab {
	tabs := []peopleTab{
		{Href: Path + "/staff", Label: "工作人员"},
		{Href: Path + "/buildings", Label: "楼栋"},
		{Href: Path + "/grids", Label: "网格"},
	}
	for i := range tabs {
		tabs[i].Current = tabs[i].Href == Path+"/"+current
	}
	return tabs
}

// ---- staff

// staffRow is a staff member as the list shows them.
type staffRow struct {
	community.Staff
	RoleLabels []string
	Phone      string // masked
	WorkPhone  string // masked
}

func newStaffRow(st community.Staff) staffRow {
	row := staffRow{Staff: st, Phone: MaskPhone(st.Phone), WorkPhone: MaskPhone(st.WorkPhone)}
	for _, r := range community.Roles {
		if st.Has(r) {
			row.RoleLabels = append(row.RoleLabels, r.Label())
		}
	}
	return row
}

// staffListData is staff.html's data.
type staffListData struct {
	Page
	Tabs            []peopleTab
	Active, Retired []staffRow
}

func (c *Console) staffList(w http.ResponseWriter, r *http.Request) {
	all, err := c.Community.ListStaff(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := staffListData{Page: c.page(r, "工作人员", "people"), Tabs: peopleTabs("staff")}
	for _, st := range all {
		if st.Active {
			d.Active = append(d.Active, newStaffRow(st))
		} else {
			d.Retired = append(d.Retired, newStaffRow(st))
		}
	}
	c.render(w, r, "staff.html", d)
}

// roleChoice is one checkbox of the roles.
type roleChoice struct {
	Value, Label string
	Checked      bool
}

func roleChoices(st community.Staff) []roleChoice {
	out := make([]roleChoice, len(community.Roles))
	for i, r := range community.Roles {
		out[i] = roleChoice{Value: string(r), Label: r.Label(), Checked: st.Has(r)}
	}
	return out
}

// staffFormData is staff_form.html's data: a new staff member (Staff.ID
// 0) or one being edited, with the actions on them.
type staffFormData struct {
	Page
	Tabs  []peopleTab
	Staff community.Staff
	Roles []roleChoice
	// Self is true when the manager edits themselves: they cannot
	// deactivate or unbind themselves here.
	Self bool
}

func (c *Console) staffNew(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, "staff_form.html", staffFormData{Page: c.page(r, "添加工作人员", "people"),
		Tabs: peopleTabs("staff"), Roles: roleChoices(community.Staff{})})
}

// staffByID finds staff member id (AdminService lists them all; a
// community has dozens).
func (c *Console) staffByID(ctx context.Context, id int64) (community.Staff, error) {
	all, err := c.Community.ListStaff(ctx)
	if err != nil {
		return community.Staff{}, err
	}
	for _, st := range all {
		if st.ID == id {
			return st, nil
		}
	}
	return community.Staff{}, bot.ErrNotFound
}

func (c *Console) staffEdit(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	st, err := c.staffByID(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	who := WhoFrom(r.Context())
	c.render(w, r, "staff_form.html", staffFormData{Page: c.page(r, st.Name, "people"), Tabs: peopleTabs("staff"),
		Staff: st, Roles: roleChoices(st), Self: !who.Operator && who.Staff.ID == st.ID})
}

// formRoles reads the checked roles.
func formRoles(r *http.Request) []string {
	_ = r.ParseForm()
	return append([]string{}, r.PostForm["roles"]...)
}

// mayTouchAdmin refuses a supervisor who would make someone an admin, or
// change or deactivate an admin: an admin's powers are granted by an
// admin (or the operator) only. The clinic role is guarded the same way
// (roles, when not nil, are the roles the change would leave): it reads
// legal matters, which nobody else does, so a supervisor may neither grant
// it (to themselves or anyone) nor take it away.
func mayTouchAdmin(who Who, target community.Staff, roles []string) error {
	if who.Has(community.RoleAdmin) {
		return nil
	}
	if target.Has(community.RoleAdmin) || slices.Contains(roles, string(community.RoleAdmin)) {
		return &bot.UserError{Code: bot.CodeForbidden, Message: "只有管理员可以设置或更改管理员。"}
	}
	if roles != nil && target.Has(community.RoleClinic) != slices.Contains(roles, string(community.RoleClinic)) {
		return &bot.UserError{Code: bot.CodeForbidden, Message: "只有管理员可以授予或取消法律诊所专干。"}
	}
	return nil
}

// mayReissue refuses a new bind code for an admin or a clinic staff member
// to anyone but an admin: whoever sends a code takes over the account it
// belongs to, and with it what that account reads.
func mayReissue(who Who, target community.Staff) error {
	if who.Has(community.RoleAdmin) {
		return nil
	}
	if target.Has(community.RoleAdmin) || target.Has(community.RoleClinic) {
		return &bot.UserError{Code: bot.CodeForbidden, Message: "只有管理员可以为管理员或法律诊所专干生成绑定码。"}
	}
	return nil
}

func (c *Console) staffCreate(w http.ResponseWriter, r *http.Request) {
	roles := formRoles(r)
	if err := mayTouchAdmin(WhoFrom(r.Context()), community.Staff{}, roles); err != nil {
		c.refuse(w, r, Path+"/staff/new", err)
		return
	}
	st, code, err := c.Community.CreateStaff(r.Context(), cs.StaffInput{
		Name: r.PostFormValue("name"), Phone: r.PostFormValue("phone"), WorkPhone: r.PostFormValue("work_phone"), Roles: roles})
	if err != nil {
		c.refuse(w, r, Path+"/staff/new", err)
		return
	}
	c.keepCode(r, st.ID, code, c.Now().Add(cs.BindCodeTTL))
	c.done(w, r, fmt.Sprintf("%s/staff/%d/code", Path, st.ID), "已添加 "+st.Name+"。")
}

// keepCode keeps code for the one page that shows it.
func (c *Console) keepCode(r *http.Request, id int64, code string, expires time.Time) {
	c.sessions.Put(r.Context(), keyBindCode, fmt.Sprintf("%d %s %d", id, code, expires.Unix()))
}

// staffCodeData is staff_code.html's data.
type staffCodeData struct {
	Page
	Tabs    []peopleTab
	Staff   community.Staff
	Code    string // empty once shown
	Keyword string
	Expires time.Time
}

// staffCode shows the bind code just handed out, once: a reload or a
// later visit offers a new code instead.
func (c *Console) staffCode(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	st, err := c.staffByID(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := staffCodeData{Page: c.page(r, "绑定码 · "+st.Name, "people"), Tabs: peopleTabs("staff"), Staff: st, Keyword: BindKeyword}
	if kept := c.sessions.PopString(r.Context(), keyBindCode); kept != "" {
		f := strings.Fields(kept)
		if len(f) == 3 && f[0] == strconv.FormatInt(id, 10) {
			unix, _ := strconv.ParseInt(f[2], 10, 64)
			d.Code, d.Expires = f[1], time.Unix(unix, 0)
		}
	}
	c.render(w, r, "staff_code.html", d)
}

func (c *Console) staffReissue(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	back := fmt.Sprintf("%s/staff/%d", Path, id)
	st, err := c.staffByID(r.Context(), id)
	if err != nil {
		c.refuse(w, r, back, err)
		return
	}
	if err := mayReissue(WhoFrom(r.Context()), st); err != nil {
		c.refuse(w, r, back, err)
		return
	}
	if !st.Active {
		c.refuse(w, r, back, bot.Refuse("%s 已停用，请先恢复再生成绑定码。", st.Name))
		return
	}
	code, expires, err := c.Community.ReissueBindCode(r.Context(), id)
	if err != nil {
		c.refuse(w, r, back, err)
		return
	}
	c.keepCode(r, id, code, expires)
	c.done(w, r, back+"/code", "已为 "+st.Name+" 生成新的绑定码，旧的绑定码已作废。")
}

func (c *Console) staffSave(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	back := fmt.Sprintf("%s/staff/%d", Path, id)
	st, err := c.staffByID(r.Context(), id)
	if err != nil {
		c.refuse(w, r, back, err)
		return
	}
	roles := formRoles(r)
	if err := mayTouchAdmin(WhoFrom(r.Context()), st, roles); err != nil {
		c.refuse(w, r, back, err)
		return
	}
	name, phone, work := r.PostFormValue("name"), r.PostFormValue("phone"), r.PostFormValue("work_phone")
	st, err = c.Community.PatchStaff(r.Context(), id, cs.StaffPatch{Name: &name, Phone: &phone, WorkPhone: &work, Roles: &roles})
	if err != nil {
		c.refuse(w, r, back, err)
		return
	}
	c.done(w, r, Path+"/staff", "已保存 "+st.Name+"。")
}

// staffActive deactivates (a staff member who left: their open records
// go back to dispatch, their sessions end) or reactivates.
func (c *Console) staffActive(active bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathInt(r, "id")
		if err != nil {
			c.fail(w, r, err)
			return
		}
		back := fmt.Sprintf("%s/staff/%d", Path, id)
		st, err := c.staffByID(r.Context(), id)
		if err != nil {
			c.refuse(w, r, back, err)
			return
		}
		who := WhoFrom(r.Context())
		if err := mayTouchAdmin(who, st, nil); err != nil {
			c.refuse(w, r, back, err)
			return
		}
		if !active && !who.Operator && who.Staff.ID == id {
			c.refuse(w, r, back, bot.Refuse("不能停用自己；请由其他管理员操作。"))
			return
		}
		if st, err = c.Community.PatchStaff(r.Context(), id, cs.StaffPatch{Active: &active}); err != nil {
			c.refuse(w, r, back, err)
			return
		}
		msg := "已恢复 " + st.Name + "。"
		if !active {
			msg = "已停用 " + st.Name + "，其未办结的诉求等已退回派单。"
		}
		c.done(w, r, Path+"/staff", msg)
	}
}

func (c *Console) staffUnbind(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	back := fmt.Sprintf("%s/staff/%d", Path, id)
	who := WhoFrom(r.Context())
	st, err := c.staffByID(r.Context(), id)
	if err != nil {
		c.refuse(w, r, back, err)
		return
	}
	if err := mayTouchAdmin(who, st, nil); err != nil {
		c.refuse(w, r, back, err)
		return
	}
	if !who.Operator && who.Staff.ID == id {
		c.refuse(w, r, back, bot.Refuse("不能解绑自己的微信；请由其他管理员操作。"))
		return
	}
	if st, err = c.Community.Unbind(r.Context(), id); err != nil {
		c.refuse(w, r, back, err)
		return
	}
	c.done(w, r, back, "已解除 "+st.Name+" 的微信绑定。如需绑定新微信，请生成新的绑定码。")
}

// ---- buildings

// staffNames names staff by id for lists.
type staffNames map[int64]community.Staff

func (c *Console) staffNames(ctx context.Context) (staffNames, []community.Staff, error) {
	all, err := c.Community.ListStaff(ctx)
	if err != nil {
		return nil, nil, err
	}
	m := staffNames{}
	for _, st := range all {
		m[st.ID] = st
	}
	return m, all, nil
}

// name is staff member id's name, marked when they left; "" for 0.
func (m staffNames) name(id int64) string {
	if id == 0 {
		return ""
	}
	st, ok := m[id]
	switch {
	case !ok:
		return fmt.Sprintf("（编号 %d）", id)
	case !st.Active:
		return st.Name + "（已停用）"
	}
	return st.Name
}

// buildingRow is a building as the list shows it.
type buildingRow struct {
	community.Building
	Head  string
	Units []string // "1单元 张三"
}

// buildingListData is buildings.html's data.
type buildingListData struct {
	Page
	Tabs      []peopleTab
	Buildings []buildingRow
}

func (c *Console) buildingList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	names, _, err := c.staffNames(ctx)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	bs, err := c.Community.Buildings(ctx)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := buildingListData{Page: c.page(r, "楼栋", "people"), Tabs: peopleTabs("buildings")}
	for _, b := range bs {
		row := buildingRow{Building: b, Head: names.name(b.HeadID)}
		for _, u := range sortedUnits(b.UnitHeads) {
			row.Units = append(row.Units, fmt.Sprintf("%d单元 %s", u, names.name(b.UnitHeads[u])))
		}
		d.Buildings = append(d.Buildings, row)
	}
	c.render(w, r, "buildings.html", d)
}

func sortedUnits(m map[int]int64) []int {
	out := make([]int, 0, len(m))
	for u := range m {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// staffOption is one choice of a staff select.
type staffOption struct {
	ID       int64
	Label    string
	Selected bool
}

// staffOptions lists the active staff (and the one chosen, even if they
// left) for a select, chosen marked.
func staffOptions(all []community.Staff, chosen int64) []staffOption {
	var out []staffOption
	for _, st := range all {
		if !st.Active && st.ID != chosen {
			continue
		}
		label := st.Title()
		if !st.Active {
			label += "（已停用）"
		}
		out = append(out, staffOption{ID: st.ID, Label: label, Selected: st.ID == chosen})
	}
	return out
}

// unitRow is one 单元长 line of the building form.
type unitRow struct {
	Index int
	Unit  int // 0: an empty line
	Staff []staffOption
}

// gridOption is one choice of the grid select.
type gridOption struct {
	ID       int64
	Name     string
	Selected bool
}

// buildingFormData is building_form.html's data.
type buildingFormData struct {
	Page
	Tabs     []peopleTab
	New      bool
	Building community.Building
	Heads    []staffOption
	Units    []unitRow
	Grids    []gridOption
}

// blankUnitRows is how many empty 单元长 lines the form offers.
const blankUnitRows = 2

func (c *Console) buildingForm(w http.ResponseWriter, r *http.Request, b community.Building, isNew bool) {
	ctx := r.Context()
	_, all, err := c.staffNames(ctx)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	grids, err := c.Community.ListGrids(ctx)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	title := "添加楼栋"
	if !isNew {
		title = b.Name
	}
	d := buildingFormData{Page: c.page(r, title, "people"), Tabs: peopleTabs("buildings"), New: isNew, Building: b,
		Heads: staffOptions(all, b.HeadID)}
	for _, u := range sortedUnits(b.UnitHeads) {
		d.Units = append(d.Units, unitRow{Unit: u, Staff: staffOptions(all, b.UnitHeads[u])})
	}
	for range blankUnitRows {
		d.Units = append(d.Units, unitRow{Staff: staffOptions(all, 0)})
	}
	for i := range d.Units {
		d.Units[i].Index = i
	}
	for _, g := range grids {
		d.Grids = append(d.Grids, gridOption{ID: g.ID, Name: g.Name, Selected: g.ID == b.GridID})
	}
	c.render(w, r, "building_form.html", d)
}

func (c *Console) buildingNew(w http.ResponseWriter, r *http.Request) {
	c.buildingForm(w, r, community.Building{}, true)
}

func (c *Console) buildingEdit(w http.ResponseWriter, r *http.Request) {
	n, err := pathInt(r, "number")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	b, err := c.Community.Building(r.Context(), int(n))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.buildingForm(w, r, b, false)
}

// buildingInput is what the building form sent.
type buildingInput struct {
	name  string
	head  int64
	units map[string]int64
	grid  int64
	move  bool
}

// readBuilding reads the building form: unit lines pair unit_<i> with
// unit_head_<i>; a line without a unit or without a person is left out.
func readBuilding(r *http.Request) (buildingInput, error) {
	var in buildingInput
	if err := r.ParseForm(); err != nil {
		return in, bot.Say("表单无法读取，请重试。")
	}
	in.name = r.PostFormValue("name")
	in.move = r.PostFormValue("move") != ""
	var err error
	if in.head, err = formID(r, "head_id"); err != nil {
		return in, err
	}
	if in.grid, err = formID(r, "grid_id"); err != nil {
		return in, err
	}
	in.units = map[string]int64{}
	for i := 0; ; i++ {
		key := strconv.Itoa(i)
		if _, ok := r.PostForm["unit_"+key]; !ok {
			break
		}
		unit := strings.TrimSpace(r.PostFormValue("unit_" + key))
		head, err := formID(r, "unit_head_"+key)
		if err != nil {
			return in, err
		}
		if unit == "" && head == 0 {
			continue
		}
		if unit == "" || head == 0 {
			return in, bot.FieldError("unit_heads", "每个单元长请同时填写单元号并选择人员")
		}
		if _, dup := in.units[unit]; dup {
			return in, bot.FieldError("unit_heads", fmt.Sprintf("%s 单元填写了两次", unit))
		}
		in.units[unit] = head
	}
	return in, nil
}

func (c *Console) buildingCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	back := Path + "/buildings/new"
	in, err := readBuilding(r)
	if err != nil {
		c.refuse(w, r, back, err)
		return
	}
	number, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("number")))
	if err != nil {
		c.refuse(w, r, back, bot.FieldError("number", "请填写楼号（数字）"))
		return
	}
	// SaveBuilding also updates: a number already taken is refused here
	// rather than overwriting that building.
	if _, err := c.Community.Building(ctx, number); err == nil {
		c.refuse(w, r, back, bot.FieldError("number", fmt.Sprintf("已有 %d 号楼，请在列表中修改它", number)))
		return
	} else if bot.ErrorCode(err) != bot.CodeNotFound {
		c.refuse(w, r, back, err)
		return
	}
	b, err := c.Community.SaveBuilding(ctx, cs.BuildingInput{Number: number, Name: in.name, HeadID: in.head, UnitHeads: in.units})
	if err != nil {
		c.refuse(w, r, back, err)
		return
	}
	if in.grid != 0 {
		if _, err := c.Community.PatchBuilding(ctx, number, cs.BuildingPatch{GridID: &in.grid}); err != nil {
			c.refuse(w, r, fmt.Sprintf("%s/buildings/%d", Path, number), err)
			return
		}
	}
	c.done(w, r, Path+"/buildings", "已添加 "+b.Name+"。")
}

func (c *Console) buildingSave(w http.ResponseWriter, r *http.Request) {
	n, err := pathInt(r, "number")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	back := fmt.Sprintf("%s/buildings/%d", Path, n)
	in, err := readBuilding(r)
	if err != nil {
		c.refuse(w, r, back, err)
		return
	}
	b, err := c.Community.PatchBuilding(r.Context(), int(n), cs.BuildingPatch{
		Name: &in.name, HeadID: &in.head, UnitHeads: &in.units, GridID: &in.grid, Move: in.move})
	if err != nil {
		c.refuse(w, r, back, err)
		return
	}
	c.done(w, r, Path+"/buildings", "已保存 "+b.Name+"。")
}

func (c *Console) buildingDelete(w http.ResponseWriter, r *http.Request) {
	n, err := pathInt(r, "number")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if err := c.Community.DeleteBuilding(r.Context(), int(n)); err != nil {
		c.refuse(w, r, fmt.Sprintf("%s/buildings/%d", Path, n), err)
		return
	}
	c.done(w, r, Path+"/buildings", fmt.Sprintf("已删除 %d 号楼。", n))
}

// ---- grids

// gridRow is a grid as the list shows it.
type gridRow struct {
	community.Grid
	Worker, Supervisor string
	Buildings          string // "1、2、3"
}

// gridListData is grids.html's data.
type gridListData struct {
	Page
	Tabs  []peopleTab
	Grids []gridRow
}

func joinNumbers(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, "、")
}

func (c *Console) gridList(w http.ResponseWriter, r *http.Request) {
	names, _, err := c.staffNames(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	grids, err := c.Community.ListGrids(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := gridListData{Page: c.page(r, "网格", "people"), Tabs: peopleTabs("grids")}
	for _, g := range grids {
		d.Grids = append(d.Grids, gridRow{Grid: g, Worker: names.name(g.WorkerID),
			Supervisor: names.name(g.SupervisorID), Buildings: joinNumbers(g.Buildings)})
	}
	c.render(w, r, "grids.html", d)
}

// buildingChoice is one building checkbox of the grid form.
type buildingChoice struct {
	Number  int
	Name    string
	Other   string // the other grid it is in, if any
	Checked bool
}

// gridFormData is grid_form.html's data.
type gridFormData struct {
	Page
	Tabs        []peopleTab
	New         bool
	Grid        community.Grid
	Workers     []staffOption
	Supervisors []staffOption
	Buildings   []buildingChoice
}

func (c *Console) gridForm(w http.ResponseWriter, r *http.Request, g community.Grid, isNew bool) {
	ctx := r.Context()
	_, all, err := c.staffNames(ctx)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	bs, err := c.Community.Buildings(ctx)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	title := "添加网格"
	if !isNew {
		title = "网格 " + g.Name
	}
	d := gridFormData{Page: c.page(r, title, "people"), Tabs: peopleTabs("grids"), New: isNew, Grid: g}
	// Grid workers first: the worker is nearly always one, though the
	// service accepts any active staff member.
	workers := slices.Clone(all)
	slices.SortStableFunc(workers, func(a, b community.Staff) int {
		return cmp.Compare(rank(b, community.RoleGridWorker), rank(a, community.RoleGridWorker))
	})
	d.Workers = staffOptions(workers, g.WorkerID)
	sups := slices.Clone(all)
	slices.SortStableFunc(sups, func(a, b community.Staff) int {
		return cmp.Compare(rank(b, community.RoleSupervisor), rank(a, community.RoleSupervisor))
	})
	d.Supervisors = staffOptions(sups, g.SupervisorID)
	for _, b := range bs {
		ch := buildingChoice{Number: b.Number, Name: b.Name, Checked: slices.Contains(g.Buildings, b.Number)}
		if b.GridID != 0 && b.GridID != g.ID {
			ch.Other = b.GridName
		}
		d.Buildings = append(d.Buildings, ch)
	}
	c.render(w, r, "grid_form.html", d)
}

func rank(st community.Staff, r community.Role) int {
	if st.Has(r) {
		return 1
	}
	return 0
}

func (c *Console) gridNew(w http.ResponseWriter, r *http.Request) {
	c.gridForm(w, r, community.Grid{}, true)
}

func (c *Console) gridEdit(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	g, err := c.Community.Grid(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.gridForm(w, r, g, false)
}

// readGrid reads the grid form.
func readGrid(r *http.Request) (cs.GridInput, error) {
	in := cs.GridInput{Buildings: []int{}}
	if err := r.ParseForm(); err != nil {
		return in, bot.Say("表单无法读取，请重试。")
	}
	in.Name = r.PostFormValue("name")
	in.Move = r.PostFormValue("move") != ""
	var err error
	if in.WorkerID, err = formID(r, "worker_id"); err != nil {
		return in, err
	}
	if in.SupervisorID, err = formID(r, "supervisor_id"); err != nil {
		return in, err
	}
	for _, v := range r.PostForm["buildings"] {
		n, err := strconv.Atoi(v)
		if err != nil {
			return in, bot.FieldError("buildings", "请从列表中选择")
		}
		in.Buildings = append(in.Buildings, n)
	}
	return in, nil
}

func (c *Console) gridCreate(w http.ResponseWriter, r *http.Request) {
	back := Path + "/grids/new"
	in, err := readGrid(r)
	if err != nil {
		c.refuse(w, r, back, err)
		return
	}
	g, err := c.Community.CreateGrid(r.Context(), in)
	if err != nil {
		c.refuse(w, r, back, err)
		return
	}
	c.done(w, r, Path+"/grids", "已添加网格 "+g.Name+"。")
}

func (c *Console) gridSave(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	back := fmt.Sprintf("%s/grids/%d", Path, id)
	in, err := readGrid(r)
	if err != nil {
		c.refuse(w, r, back, err)
		return
	}
	g, err := c.Community.PatchGrid(r.Context(), id, cs.GridPatch{Name: &in.Name, WorkerID: &in.WorkerID,
		SupervisorID: &in.SupervisorID, Buildings: &in.Buildings, Move: in.Move})
	if err != nil {
		c.refuse(w, r, back, err)
		return
	}
	c.done(w, r, Path+"/grids", "已保存网格 "+g.Name+"。")
}

func (c *Console) gridDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if err := c.Community.DeleteGrid(r.Context(), id); err != nil {
		c.refuse(w, r, fmt.Sprintf("%s/grids/%d", Path, id), err)
		return
	}
	c.done(w, r, Path+"/grids", "已删除网格。")
}

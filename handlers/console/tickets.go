package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/handlers"
	"github.com/tongxin/tongxin/handlers/web"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/tickets"
)

// ticketsPerPage is how many tickets one page of the list shows: a
// phone's few screens.
const ticketsPerPage = 20

// ticketRoutes registers the pages of tickets (诉求): the list with
// filters, the detail with its timeline and photos, the actions staff
// take in WeChat, and filing for a resident who phoned. What a person
// sees and may do is the ticket service's to decide (ListFor, GetFor,
// ActFor, FileFor); the pages only ask.
func (c *Console) ticketRoutes(mux *http.ServeMux) {
	if c.Tickets == nil {
		return
	}
	mux.Handle("GET "+Path+"/tickets", c.auth(http.HandlerFunc(c.ticketList)))
	mux.Handle("GET "+Path+"/tickets/new", c.auth(http.HandlerFunc(c.ticketNew)))
	mux.Handle("POST "+Path+"/tickets", c.auth(http.HandlerFunc(c.ticketFile)))
	mux.Handle("GET "+Path+"/tickets/{number}", c.auth(http.HandlerFunc(c.ticketDetail)))
	mux.Handle("POST "+Path+"/tickets/{number}/act", c.auth(http.HandlerFunc(c.ticketAct)))
	mux.Handle("GET "+Path+"/tickets/{number}/media/{n}", c.auth(http.HandlerFunc(c.ticketMedia)))
}

// SeesTickets reports whether the nav shows this area to w.
func (w Who) SeesTickets() bool {
	return w.Manages() || w.Has(community.RoleGridWorker, community.RoleDuty, community.RoleMediator, community.RoleEmployment)
}

// ticketStatusChoices are the list's status filter: "open" is every
// status that still needs work.
var ticketStatusChoices = []choice{
	{"", "全部"}, {"open", "未办结"},
	{string(ticket.Submitted), ticket.Submitted.Label()}, {string(ticket.Accepted), ticket.Accepted.Label()},
	{string(ticket.Returned), ticket.Returned.Label()}, {string(ticket.Reopened), ticket.Reopened.Label()},
	{string(ticket.Resolved), ticket.Resolved.Label()}, {string(ticket.Closed), ticket.Closed.Label()},
}

// choice is one <option>.
type choice struct{ Value, Label string }

// ticketListData is tickets.html's data.
type ticketListData struct {
	Page
	// The filters as given, to fill the form again.
	Status, Category, Grid, From, To string
	Overdue                          bool
	Statuses, Categories, Grids      []choice
	Rows                             []ticketRow
	Total, PageNo, Pages             int
	// Prev and Next are the links to the neighbouring pages ("" none).
	Prev, Next string
	// Scope says whose tickets these are, for those who do not see all.
	Scope string
}

// ticketRow is one ticket as the list shows it.
type ticketRow struct {
	ticket.Ticket
	Due     time.Time
	DueVerb string
	Overdue bool
}

func (c *Console) row(t ticket.Ticket) ticketRow {
	due, verb := t.Due()
	return ticketRow{Ticket: t, Due: due, DueVerb: verb, Overdue: t.Status.Open() && c.Now().After(due)}
}

// ticketList serves the list: GET /console/tickets?status=&category=&grid=
// &overdue=1&from=YYYY-MM-DD&to=YYYY-MM-DD&page=N.
func (c *Console) ticketList(w http.ResponseWriter, r *http.Request) {
	who := WhoFrom(r.Context())
	if !who.SeesTickets() {
		c.fail(w, r, ErrForbidden)
		return
	}
	q := r.URL.Query()
	d := ticketListData{Page: c.page(r, "诉求", "tickets"),
		Status: q.Get("status"), Category: q.Get("category"), Grid: q.Get("grid"),
		From: q.Get("from"), To: q.Get("to"), Overdue: q.Get("overdue") != "",
		Statuses: ticketStatusChoices}
	f, page, err := ticketFilter(q)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	ts, total, err := c.Tickets.ListFor(r.Context(), who.Viewer(), f)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d.Total, d.PageNo = total, page
	d.Pages = max(1, (total+ticketsPerPage-1)/ticketsPerPage)
	for _, t := range ts {
		d.Rows = append(d.Rows, c.row(t))
	}
	link := func(p int) string {
		v := url.Values{}
		for k, vs := range q {
			if k != "page" && len(vs) > 0 && vs[0] != "" {
				v.Set(k, vs[0])
			}
		}
		if p > 1 {
			v.Set("page", strconv.Itoa(p))
		}
		if len(v) == 0 {
			return Path + "/tickets"
		}
		return Path + "/tickets?" + v.Encode()
	}
	if page > 1 {
		d.Prev = link(page - 1)
	}
	if page < d.Pages {
		d.Next = link(page + 1)
	}
	for _, cat := range c.Tickets.Categories() {
		d.Categories = append(d.Categories, choice{cat.Key, cat.Name})
	}
	grids, err := c.Community.ListGrids(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, g := range grids {
		d.Grids = append(d.Grids, choice{strconv.FormatInt(g.ID, 10), g.Name})
	}
	if v := who.Viewer(); !v.SeesAll() {
		d.Scope = "派给您的诉求"
		if who.Staff.Has(community.RoleGridWorker) {
			d.Scope = "您所负责网格的诉求和派给您的诉求"
		}
	}
	c.render(w, r, "tickets.html", d)
}

// ticketFilter reads the list's filters; a bad one is a *bot.UserError.
func ticketFilter(q url.Values) (tickets.Filter, int, error) {
	f := tickets.Filter{Category: q.Get("category"), Overdue: q.Get("overdue") != "", Limit: ticketsPerPage}
	switch s := q.Get("status"); s {
	case "":
	case "open":
		f.Open = true
	default:
		f.Status = ticket.Status(s) // the service refuses an unknown one
	}
	if g := q.Get("grid"); g != "" {
		id, err := strconv.ParseInt(g, 10, 64)
		if err != nil || id <= 0 {
			return f, 0, bot.FieldError("grid", "网格选择不对。")
		}
		f.GridID = id
	}
	if s := q.Get("from"); s != "" {
		t, err := web.ParseDate(s)
		if err != nil {
			return f, 0, bot.FieldError("from", "开始日期："+err.Error())
		}
		f.From = t
	}
	if s := q.Get("to"); s != "" {
		t, err := web.ParseDate(s)
		if err != nil {
			return f, 0, bot.FieldError("to", "结束日期："+err.Error())
		}
		f.To = t.AddDate(0, 0, 1) // the day given is included
	}
	page := 1
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100000 {
			return f, 0, bot.FieldError("page", "页码不对。")
		}
		page = n
	}
	f.Offset = (page - 1) * ticketsPerPage
	return f, page, nil
}

// ticketDetailData is tickets_detail.html's data.
type ticketDetailData struct {
	Page
	T        ticketRow
	Timeline []ticket.Entry
	Media    []mediaView
	// MayAct shows the action forms (the service decides again).
	MayAct bool
	// Staff are who a ticket may be transferred to.
	Staff []choice
}

// mediaView is one photo or voice message of a ticket.
type mediaView struct {
	ticket.Media
	URL    string
	Photo  bool
	Status string // why there is no copy to show
}

// ticketDetail serves GET /console/tickets/{number}.
func (c *Console) ticketDetail(w http.ResponseWriter, r *http.Request) {
	who := WhoFrom(r.Context())
	number := r.PathValue("number")
	if !who.SeesTickets() {
		c.fail(w, r, ErrForbidden)
		return
	}
	if !ticket.WellFormedNumber(number) {
		c.fail(w, r, bot.ErrNotFound)
		return
	}
	t, entries, err := c.Tickets.GetFor(r.Context(), who.Viewer(), number)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := ticketDetailData{Page: c.page(r, "诉求 "+t.Number, "tickets"), T: c.row(t), Timeline: entries,
		MayAct: who.Viewer().MayAct(t.Record())}
	if c.Media != nil {
		ms, err := c.Media.List(r.Context(), t.ID)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		for _, m := range ms {
			v := mediaView{Media: m, Photo: m.Kind == ticket.MediaPhoto}
			switch m.Status {
			case storage.MediaStored:
				v.URL = fmt.Sprintf("%s/tickets/%s/media/%d", Path, t.Number, m.N)
			case storage.MediaPending:
				v.Status = "正在保存"
			case storage.MediaErased:
				v.Status = "已随居民信息删除"
			default:
				v.Status = "未能保存"
			}
			d.Media = append(d.Media, v)
		}
	}
	if d.MayAct && t.Status.Open() {
		staff, err := c.Community.ListStaff(r.Context())
		if err != nil {
			c.fail(w, r, err)
			return
		}
		for _, st := range staff {
			if community.MayReceive(st) && st.ID != t.AssigneeID {
				d.Staff = append(d.Staff, choice{strconv.FormatInt(st.ID, 10), st.Title()})
			}
		}
	}
	c.render(w, r, "tickets_detail.html", d)
}

// actionDone is what the flash says after each action.
var actionDone = map[ticket.ActionKind]string{
	ticket.ActAccept: "已受理，已通知居民。", ticket.ActResolve: "已办结，已请居民评价。",
	ticket.ActReturn: "已退回值班员重新分派。", ticket.ActTransfer: "已转派，已通知对方和居民。",
	ticket.ActAsk: "已把问题发给居民。", ticket.ActNote: "备注已记录。",
}

// ticketAct serves POST /console/tickets/{number}/act: kind (accept,
// resolve, return, transfer, ask, note), note, tell (return: tell the
// resident the reason), to_id (transfer).
func (c *Console) ticketAct(w http.ResponseWriter, r *http.Request) {
	who := WhoFrom(r.Context())
	number := r.PathValue("number")
	if !who.SeesTickets() {
		c.fail(w, r, ErrForbidden)
		return
	}
	if !ticket.WellFormedNumber(number) {
		c.fail(w, r, bot.ErrNotFound)
		return
	}
	a := ticket.Action{Number: number, Kind: ticket.ActionKind(r.PostFormValue("kind")),
		Note: strings.TrimSpace(r.PostFormValue("note")), Tell: r.PostFormValue("tell") != ""}
	if a.Kind == ticket.ActTransfer {
		id, err := strconv.ParseInt(r.PostFormValue("to_id"), 10, 64)
		if err != nil || id <= 0 {
			c.failTo(w, r, ticketPath(number), bot.FieldError("to_id", "请选择转给谁。"))
			return
		}
		a.ToID = id
	}
	_, err := c.Tickets.ActFor(r.Context(), who.Viewer(), a)
	if errors.Is(err, bot.ErrNotFound) || bot.ErrorCode(err) == bot.CodeForbidden {
		// Not theirs to see: the same page as for no such ticket.
		c.fail(w, r, err)
		return
	}
	if err != nil {
		c.failTo(w, r, ticketPath(number), err)
		return
	}
	next := ticketPath(number)
	if _, _, err := c.Tickets.GetFor(r.Context(), who.Viewer(), number); errors.Is(err, bot.ErrNotFound) {
		// Returned or transferred away, it is no longer theirs to see.
		next = Path + "/tickets"
	}
	c.done(w, r, next, actionDone[a.Kind])
}

func ticketPath(number string) string { return Path + "/tickets/" + number }

// ticketMedia serves GET /console/tickets/{number}/media/{n}: a copy of a
// photo or voice message, to those who may read the ticket.
func (c *Console) ticketMedia(w http.ResponseWriter, r *http.Request) {
	who := WhoFrom(r.Context())
	number := r.PathValue("number")
	n, err := strconv.Atoi(r.PathValue("n"))
	if !who.SeesTickets() || c.Media == nil {
		c.fail(w, r, ErrForbidden)
		return
	}
	if err != nil || n < 1 || n > 99 || !ticket.WellFormedNumber(number) {
		c.fail(w, r, bot.ErrNotFound)
		return
	}
	if _, _, err := c.Tickets.GetFor(r.Context(), who.Viewer(), number); err != nil {
		c.fail(w, r, err)
		return
	}
	rc, m, err := c.Media.Open(r.Context(), number, n)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	defer rc.Close()
	if err := handlers.ServeMedia(w, number, n, m, rc); err != nil {
		c.Logger.WarnContext(r.Context(), "console media cut short", "ticket", number, "n", n, "err", err)
	}
}

// ticketNewData is tickets_new.html's data.
type ticketNewData struct {
	Page
	Categories, Buildings []choice
	// What was typed, when the service refused it.
	Form url.Values
}

// ticketNew serves GET /console/tickets/new: the form for filing on
// behalf of a resident who phoned or walked in.
func (c *Console) ticketNew(w http.ResponseWriter, r *http.Request) {
	c.renderNew(w, r, http.StatusOK, url.Values{}, "")
}

func (c *Console) renderNew(w http.ResponseWriter, r *http.Request, status int, form url.Values, errMsg string) {
	who := WhoFrom(r.Context())
	if !who.SeesTickets() {
		c.fail(w, r, ErrForbidden)
		return
	}
	d := ticketNewData{Page: c.page(r, "代居民登记诉求", "tickets"), Form: form}
	if errMsg != "" {
		d.Error = errMsg
	}
	for _, cat := range c.Tickets.Categories() {
		d.Categories = append(d.Categories, choice{cat.Key, cat.Name})
	}
	bs, err := c.Community.Buildings(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, b := range bs {
		name := b.Name
		if name == "" {
			name = strconv.Itoa(b.Number) + "号楼"
		}
		d.Buildings = append(d.Buildings, choice{strconv.FormatInt(b.ID, 10), name})
	}
	c.renderStatus(w, r, status, "tickets_new.html", d)
}

// ticketFile serves POST /console/tickets: category, description,
// building (id, "" none), unit, place, name, phone. A refusal shows the
// form again with what was typed and the service's message.
func (c *Console) ticketFile(w http.ResponseWriter, r *http.Request) {
	who := WhoFrom(r.Context())
	if !who.SeesTickets() {
		c.fail(w, r, ErrForbidden)
		return
	}
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, bot.FieldError("form", "表单无法读取。"))
		return
	}
	form := r.PostForm
	d := ticket.Draft{
		Category:    form.Get("category"),
		Description: strings.TrimSpace(form.Get("description")),
		Place:       strings.TrimSpace(form.Get("place")),
		Name:        strings.TrimSpace(form.Get("name")),
		Phone:       strings.TrimSpace(form.Get("phone")),
	}
	refuse := func(err error) {
		c.renderNew(w, r, http.StatusBadRequest, form, c.message(r, err))
	}
	if s := form.Get("building"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			refuse(bot.FieldError("building", "请从列表中选择楼栋。"))
			return
		}
		d.BuildingID = id
	}
	if s := strings.TrimSpace(form.Get("unit")); s != "" {
		u, err := strconv.Atoi(s)
		if err != nil || u < 1 || d.BuildingID == 0 {
			refuse(bot.FieldError("unit", "单元号应为数字，并先选择楼栋。"))
			return
		}
		d.Unit = u
	}
	if d.BuildingID == 0 && d.Place == "" {
		refuse(bot.FieldError("place", "请选择楼栋或填写地点。"))
		return
	}
	if d.BuildingID != 0 && d.Place != "" {
		// A room typed under a building chosen from the list: the place
		// names both, as a resident's report does ("3号楼2单元201室").
		bs, err := c.Community.Buildings(r.Context())
		if err != nil {
			c.fail(w, r, err)
			return
		}
		for _, b := range bs {
			if b.ID != d.BuildingID {
				continue
			}
			prefix := b.Name
			if prefix == "" {
				prefix = strconv.Itoa(b.Number) + "号楼"
			}
			if d.Unit > 0 {
				prefix += strconv.Itoa(d.Unit) + "单元"
			}
			if !strings.HasPrefix(d.Place, prefix) {
				d.Place = prefix + d.Place
			}
		}
	}
	rc, err := c.Tickets.FileFor(r.Context(), who.Viewer(), d)
	if bot.ErrorCode(err) == bot.CodeForbidden {
		c.fail(w, r, err)
		return
	}
	if err != nil {
		refuse(err)
		return
	}
	msg := "已登记，编号 " + rc.Ticket.Number + "。"
	if rc.SameIssue > 0 {
		msg += fmt.Sprintf("同一地点已有 %d 户反映同类问题，已关联处理。", rc.SameIssue)
	}
	c.done(w, r, ticketPath(rc.Ticket.Number), msg)
}

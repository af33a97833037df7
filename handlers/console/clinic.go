package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/clinic"
)

// The legal clinic (法律诊所): the week's sessions and bookings, a
// booking's detail and actions, providers, schedules and closures (停诊),
// and for clinic staff the 法律援助 and 专家会诊 lists.
//
// Who sees what:
//   - admins, supervisors and the operator (Manages) see and run it all
//     but never a matter description or aid answers;
//   - clinic staff (community.RoleClinic) see and run it all, matters
//     included;
//   - a provider (a clinic provider whose StaffID is the signed-in staff
//     member) sees the week's sessions, and the bookings of their own
//     sessions with their matters; not other providers' bookings (their
//     residents' names, phones and matters are none of theirs), and not
//     the management pages;
//   - nobody else sees the clinic at all (403).
//
// Which matters a person reads is clinic.ReadsMatter, the rule the admin
// API follows too.

// clinicPath is where the clinic's pages live.
const clinicPath = Path + "/clinic"

// clinicRoutes registers the pages of the legal clinic.
func (c *Console) clinicRoutes(mux *http.ServeMux) {
	if c.Clinic == nil {
		return
	}
	see := func(h http.HandlerFunc) http.Handler { return c.auth(c.clinicOnly(Who.SeesClinic, h)) }
	run := func(h http.HandlerFunc) http.Handler { return c.auth(c.clinicOnly(Who.RunsClinic, h)) }
	staff := func(h http.HandlerFunc) http.Handler { return c.auth(c.clinicOnly(Who.ClinicStaff, h)) }
	mux.Handle("GET "+clinicPath, see(c.clinicWeek))
	mux.Handle("GET "+clinicPath+"/{$}", see(c.clinicWeek))
	mux.Handle("GET "+clinicPath+"/bookings/{id}", see(c.clinicBooking))
	mux.Handle("POST "+clinicPath+"/bookings/{id}", see(c.clinicBookingUpdate))
	mux.Handle("GET "+clinicPath+"/providers", run(c.clinicProviders))
	mux.Handle("POST "+clinicPath+"/providers", run(c.clinicProviderCreate))
	mux.Handle("GET "+clinicPath+"/providers/{id}", run(c.clinicProvider))
	mux.Handle("POST "+clinicPath+"/providers/{id}", run(c.clinicProviderUpdate))
	mux.Handle("POST "+clinicPath+"/providers/{id}/active", run(c.clinicProviderActive))
	mux.Handle("GET "+clinicPath+"/schedules", run(c.clinicSchedules))
	mux.Handle("GET "+clinicPath+"/schedules/new", run(c.clinicScheduleNew))
	mux.Handle("POST "+clinicPath+"/schedules", run(c.clinicScheduleCreate))
	mux.Handle("GET "+clinicPath+"/schedules/{id}", run(c.clinicSchedule))
	mux.Handle("POST "+clinicPath+"/schedules/{id}", run(c.clinicScheduleUpdate))
	mux.Handle("GET "+clinicPath+"/closures", run(c.clinicClosures))
	mux.Handle("POST "+clinicPath+"/closures", run(c.clinicClosureCreate))
	mux.Handle("GET "+clinicPath+"/closures/{id}", run(c.clinicClosure))
	mux.Handle("POST "+clinicPath+"/closures/{id}", run(c.clinicClosureUpdate))
	mux.Handle("GET "+clinicPath+"/aid", staff(c.clinicAid))
	mux.Handle("GET "+clinicPath+"/aid/{id}", staff(c.clinicAidDetail))
	mux.Handle("POST "+clinicPath+"/aid/{id}", staff(c.clinicAidUpdate))
	mux.Handle("GET "+clinicPath+"/expert", staff(c.clinicExpert))
	mux.Handle("GET "+clinicPath+"/expert/{id}", staff(c.clinicExpertDetail))
	mux.Handle("POST "+clinicPath+"/expert/{id}", staff(c.clinicExpertUpdate))
}

// SeesClinic reports whether the nav shows this area to w: those who run
// it and the providers.
func (w Who) SeesClinic() bool { return w.RunsClinic() || w.ProviderID != 0 }

// RunsClinic reports whether w manages the clinic's providers, schedules
// and closures and sees every booking: admins, supervisors, the operator
// and clinic staff.
func (w Who) RunsClinic() bool { return w.Manages() || w.ClinicStaff() }

// ClinicStaff reports whether w is clinic staff proper. Who.Has is true
// of every role for the operator; the admin token must not read
// matters, so this asks the policy with the staff record itself.
func (w Who) ClinicStaff() bool { return clinic.IsClinicStaff(w.Viewer()) }

// clinicOnly refuses the page to those allowed does not admit.
func (c *Console) clinicOnly(allowed func(Who) bool, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed(WhoFrom(r.Context())) {
			c.fail(w, r, ErrForbidden)
			return
		}
		h(w, r)
	})
}

// --- providers of a staff member (enrich) ---

// providerCacheTTL is how long the staff → provider links are kept: enrich
// runs on every request, and a provider linked or unlinked through the
// admin API shows within this long (through the console, at once).
const providerCacheTTL = 15 * time.Second

// providerCache is the active providers linked to each staff member.
type providerCache struct {
	mu      sync.Mutex
	at      time.Time
	byStaff map[int64][]int64
}

func (c *Console) providerCache() *providerCache { return &c.providers }

// providersOf returns the ids of the active providers linked to staff
// member id, lowest first.
func (c *Console) providersOf(ctx context.Context, id int64) ([]int64, error) {
	if id == 0 || c.Clinic == nil {
		return nil, nil
	}
	pc := c.providerCache()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.byStaff == nil || time.Since(pc.at) > providerCacheTTL {
		list, err := c.Clinic.Providers(ctx)
		if err != nil {
			return nil, err
		}
		by := map[int64][]int64{}
		for _, p := range list {
			// A deactivated provider no longer sits: they keep no access
			// to the residents' matters.
			if p.Active && p.StaffID != 0 {
				by[p.StaffID] = append(by[p.StaffID], p.ID)
			}
		}
		for _, ids := range by {
			slices.Sort(ids)
		}
		pc.byStaff, pc.at = by, time.Now()
	}
	return pc.byStaff[id], nil
}

// forgetProviders drops the cache after the console changed a provider.
func (c *Console) forgetProviders() {
	pc := c.providerCache()
	pc.mu.Lock()
	pc.byStaff = nil
	pc.mu.Unlock()
}

// enrich completes who after the sign-in checks: the clinic provider
// linked to the staff member (ProviderID; the lowest id when several
// are). A failure to read the providers leaves it 0: the person sees
// less, never more.
func (c *Console) enrich(ctx context.Context, who *Who) {
	if who.Operator || who.Staff.ID == 0 || !who.Staff.Active {
		return
	}
	ids, err := c.providersOf(ctx, who.Staff.ID)
	if err != nil {
		c.Logger.ErrorContext(ctx, "console: clinic providers of staff", "staff", who.Staff.ID, "err", err)
		return
	}
	if len(ids) > 0 {
		who.ProviderID = ids[0]
	}
}

// clinicAccess is what one person may do with the bookings of the
// clinic.
type clinicAccess struct {
	who       Who
	all       bool    // every booking (runs the clinic)
	mine      []int64 // their providers
	schedules map[int64]cl.Schedule
}

// clinicAccessOf reads what the person of r may see of the bookings.
func (c *Console) clinicAccessOf(r *http.Request) (clinicAccess, error) {
	who := WhoFrom(r.Context())
	a := clinicAccess{who: who, all: who.RunsClinic()}
	mine, err := c.providersOf(r.Context(), who.Staff.ID)
	if err != nil {
		return a, err
	}
	if !who.Operator {
		a.mine = mine
	}
	list, err := c.Clinic.Schedules(r.Context())
	if err != nil {
		return a, err
	}
	a.schedules = make(map[int64]cl.Schedule, len(list))
	for _, sc := range list {
		a.schedules[sc.ID] = sc
	}
	return a, nil
}

// theirs reports whether scheduleID's panel has one of their providers.
func (a clinicAccess) theirs(scheduleID int64) bool {
	sc, ok := a.schedules[scheduleID]
	return ok && slices.ContainsFunc(a.mine, func(id int64) bool { return slices.Contains(sc.ProviderIDs, id) })
}

// sees reports whether they see booking b at all.
func (a clinicAccess) sees(b cl.Booking) bool { return a.all || a.theirs(b.ScheduleID) }

// readsMatter reports whether they read b's description.
func (a clinicAccess) readsMatter(b cl.Booking) bool {
	return clinic.ReadsMatter(a.who.Viewer(), a.mine, a.schedules[b.ScheduleID])
}

// --- the week ---

// clinicDay is one day of the week view.
type clinicDay struct {
	Date     time.Time
	Today    bool
	Sessions []clinicSession
	// Loose are bookings of no session shown: their slot was closed (停诊)
	// or the schedule changed; they stand until the resident chooses.
	Loose    []cl.Booking
	Closures []cl.Closure
}

// clinicSession is a session with the bookings the person sees.
type clinicSession struct {
	clinic.Session
	Mine     bool
	Bookings []cl.Booking
	// Booked counts the bookings not cancelled, seen or not.
	Booked int
	// Bookable is false for walk-in hours, 专家会诊 sittings and 集中义诊
	// (booked as an event sign-up): they take no bookings here.
	Bookable bool
}

type clinicWeekData struct {
	Page
	Tab        string
	Monday     time.Time
	Sunday     time.Time
	Prev, Next string
	ThisWeek   string
	Days       []clinicDay
}

// clinicWeekOf is the Monday (00:00 Shanghai) of the week of t.
func clinicWeekOf(t time.Time) time.Time {
	t = t.In(bot.Shanghai)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, bot.Shanghai)
	wd := int(d.Weekday()+6) % 7 // Monday 0
	return d.AddDate(0, 0, -wd)
}

// clinicWeek shows a week's sessions, each with its bookings
// (?week=YYYY-MM-DD, any day of the week; this week without).
func (c *Console) clinicWeek(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := c.Now()
	monday := clinicWeekOf(now)
	if q := r.URL.Query().Get("week"); q != "" {
		d, err := time.ParseInLocation(cl.DateLayout, q, bot.Shanghai)
		if err != nil {
			c.fail(w, r, bot.FieldError("week", "日期格式应为 2026-12-01"))
			return
		}
		monday = clinicWeekOf(d)
	}
	end := monday.AddDate(0, 0, 7)
	a, err := c.clinicAccessOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	sessions, err := c.Clinic.Sessions(ctx, monday, end)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	closures, err := c.Clinic.Closures(ctx, monday.Format(cl.DateLayout), end.AddDate(0, 0, -1).Format(cl.DateLayout))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	today := now.In(bot.Shanghai).Format(cl.DateLayout)
	data := clinicWeekData{Page: c.page(r, "法律诊所", "clinic"), Tab: "week", Monday: monday, Sunday: monday.AddDate(0, 0, 6),
		Prev: monday.AddDate(0, 0, -7).Format(cl.DateLayout), Next: end.Format(cl.DateLayout),
		ThisWeek: clinicWeekOf(now).Format(cl.DateLayout)}
	for i := range 7 {
		day := monday.AddDate(0, 0, i)
		date := day.Format(cl.DateLayout)
		d := clinicDay{Date: day, Today: date == today}
		for _, se := range sessions {
			if se.Start.In(bot.Shanghai).Format(cl.DateLayout) == date {
				sc := a.schedules[se.ScheduleID]
				d.Sessions = append(d.Sessions, clinicSession{Session: se, Mine: a.theirs(se.ScheduleID),
					Bookable: sc.SlotMinutes > 0 && sc.Mode != cl.Expert && sc.Mode != cl.FreeClinic})
			}
		}
		for _, cd := range closures {
			if cd.Date == date {
				d.Closures = append(d.Closures, cd)
			}
		}
		bookings, err := c.Clinic.Bookings(ctx, clinic.BookingQuery{Day: date})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		for _, b := range bookings {
			b = clinic.RedactBooking(b) // lists never carry matters
			at := -1
			for j, se := range d.Sessions {
				if se.ScheduleID == b.ScheduleID && !b.Start.Before(se.Start) && b.Start.Before(se.End) {
					at = j
					break
				}
			}
			if at >= 0 && b.Status != cl.Cancelled {
				d.Sessions[at].Booked++
			}
			if !a.sees(b) {
				continue
			}
			if at >= 0 {
				d.Sessions[at].Bookings = append(d.Sessions[at].Bookings, b)
			} else {
				d.Loose = append(d.Loose, b)
			}
		}
		data.Days = append(data.Days, d)
	}
	c.render(w, r, "clinic.html", data)
}

// --- a booking ---

type clinicBookingData struct {
	Page
	Tab      string
	Booking  cl.Booking
	Matter   bool // Booking.Description is shown
	Timeline []clinicEntry
	// What the booking's status allows (clinic.UpdateBooking's moves).
	CanAttend, CanNoShow, CanCancel bool
}

// clinicEntry is a timeline line as staff read it.
type clinicEntry struct {
	At   time.Time
	Who  string
	What string
}

// clinicEntries words the service's timeline (its actors and actions are
// codes for the admin API, or already Chinese for the resident's own).
func clinicEntries(es []clinic.Entry) []clinicEntry {
	out := make([]clinicEntry, len(es))
	for i, e := range es {
		who := e.Actor
		if who == "staff" {
			who = "工作人员"
		}
		what := e.Action
		switch e.Action {
		case "status":
			what = "改为" + cl.Status(e.Note).Label()
		case "note":
			what = "备注：" + e.Note
		case "slot_gone":
			what = "时段取消，已通知居民（" + e.Note + "）"
		case "location":
			what = "地点改为 " + e.Note
		case "scheduled":
			what = "已安排：" + e.Note
		default:
			if e.Note != "" {
				what += "：" + e.Note
			}
		}
		out[i] = clinicEntry{At: e.At, Who: who, What: what}
	}
	return out
}

// clinicBookingOf reads booking {id} of r for its person, refusing one they may
// not see (403, nothing of it shown).
func (c *Console) clinicBookingOf(r *http.Request) (cl.Booking, []clinic.Entry, clinicAccess, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return cl.Booking{}, nil, clinicAccess{}, bot.ErrNotFound
	}
	a, err := c.clinicAccessOf(r)
	if err != nil {
		return cl.Booking{}, nil, a, err
	}
	b, tl, err := c.Clinic.Booking(r.Context(), id)
	if err != nil {
		return cl.Booking{}, nil, a, err
	}
	if !a.sees(b) {
		return cl.Booking{}, nil, a, ErrForbidden
	}
	if !a.readsMatter(b) {
		b = clinic.RedactBooking(b)
	}
	return b, tl, a, nil
}

// clinicBooking shows a booking: who, when, where, its timeline, its
// matter for those who read it, and what may be done.
func (c *Console) clinicBooking(w http.ResponseWriter, r *http.Request) {
	b, tl, a, err := c.clinicBookingOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, "clinic_booking.html", clinicBookingData{
		Page: c.page(r, "预约 "+b.Code, "clinic"), Tab: "week", Booking: b, Matter: a.readsMatter(b),
		Timeline: clinicEntries(tl), CanAttend: b.Status == cl.Booked || b.Status == cl.NoShow,
		CanNoShow: b.Status == cl.Booked || b.Status == cl.Attended, CanCancel: b.Status == cl.Booked})
}

// clinicBookingUpdate changes a booking's status (status: attended,
// no_show, cancelled with a reason the resident is told) or its note.
func (c *Console) clinicBookingUpdate(w http.ResponseWriter, r *http.Request) {
	b, _, _, err := c.clinicBookingOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	back := clinicPath + "/bookings/" + strconv.FormatInt(b.ID, 10)
	var p clinic.BookingPatch
	note := strings.TrimSpace(r.PostFormValue("note"))
	flash := "备注已保存。"
	if s := r.PostFormValue("status"); s != "" {
		st := cl.Status(s)
		if !st.Valid() {
			c.failTo(w, r, back, clinicErr(bot.FieldError("status", "请选择状态")))
			return
		}
		if st == cl.Cancelled && note == "" {
			c.failTo(w, r, back, &bot.UserError{Message: "取消预约请填写原因（会告知居民）。"})
			return
		}
		p.Status = &st
		flash = "已改为" + st.Label() + "。"
		if note != "" {
			p.Note = &note
		}
	} else {
		p.Note = &note
	}
	if _, err := c.Clinic.UpdateBooking(r.Context(), b.ID, p); err != nil {
		c.failTo(w, r, back, clinicErr(err))
		return
	}
	c.done(w, r, back, flash)
}

// --- errors ---

// clinicFields are the service's field names as staff read them.
var clinicFields = map[string]string{
	"name": "姓名", "kind": "类别", "phone": "电话", "staff_id": "关联工作人员", "languages": "语言",
	"mode": "方式", "provider_ids": "坐诊人员", "weekdays": "每周", "date": "日期", "start": "开始时间",
	"end": "结束时间", "slot_minutes": "每段分钟", "capacity": "每段名额", "location": "地点",
	"building": "楼栋", "matters": "受理事项", "valid_from": "有效期起", "valid_to": "有效期止",
	"reason": "原因", "provider_id": "坐诊人员", "status": "状态", "note": "备注", "week": "周",
	"at": "会诊时间",
}

// clinicErr names a refused field in Chinese for the page (the service
// names it as the admin API does).
func clinicErr(err error) error { return labelled(err, clinicFields) }

// clinicFormError is what a form page shows of err: a person's mistake as the
// service words it, anything else logged and apologised for.
func (c *Console) clinicFormError(r *http.Request, err error) string {
	return c.message(r, clinicErr(err))
}

// clinicPathID reads the {id} of r's path.
func clinicPathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, bot.ErrNotFound
	}
	return id, nil
}

// --- providers ---

type clinicProvidersData struct {
	Page
	Tab       string
	Providers []cl.Provider
	Staff     map[int64]community.Staff
	StaffList []community.Staff
	Kinds     []cl.Kind
	Form      providerForm
}

// providerForm is the provider form's values.
type providerForm struct {
	ID        int64
	Name      string
	Kind      cl.Kind
	Phone     string
	StaffID   int64
	Languages string
	Active    bool
}

func providerFormOf(p cl.Provider) providerForm {
	return providerForm{ID: p.ID, Name: p.Name, Kind: p.Kind, Phone: p.Phone, StaffID: p.StaffID,
		Languages: strings.Join(p.Languages, "，"), Active: p.Active}
}

// readProviderForm reads the form of r.
func readProviderForm(r *http.Request) (providerForm, error) {
	f := providerForm{
		Name: strings.TrimSpace(r.PostFormValue("name")), Kind: cl.Kind(r.PostFormValue("kind")),
		Phone: strings.TrimSpace(r.PostFormValue("phone")), Languages: r.PostFormValue("languages"), Active: true,
	}
	if s := strings.TrimSpace(r.PostFormValue("staff_id")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 0 {
			return f, bot.FieldError("staff_id", "请选择工作人员")
		}
		f.StaffID = id
	}
	return f, nil
}

// languages splits the languages field at commas (either width) and
// 、.
func (f providerForm) languages() []string {
	out := []string{}
	for _, l := range strings.FieldsFunc(f.Languages, func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (c *Console) clinicProvidersPage(r *http.Request, title string, form providerForm) (clinicProvidersData, error) {
	ctx := r.Context()
	list, err := c.Clinic.Providers(ctx)
	if err != nil {
		return clinicProvidersData{}, err
	}
	staff, err := c.Community.ListStaff(ctx)
	if err != nil {
		return clinicProvidersData{}, err
	}
	byID := map[int64]community.Staff{}
	active := []community.Staff{}
	for _, st := range staff {
		byID[st.ID] = st
		if st.Active || st.ID == form.StaffID {
			active = append(active, st)
		}
	}
	return clinicProvidersData{Page: c.page(r, title, "clinic"), Tab: "providers", Providers: list,
		Staff: byID, StaffList: active, Kinds: cl.Kinds, Form: form}, nil
}

// clinicProviders lists the providers, with the form adding one.
func (c *Console) clinicProviders(w http.ResponseWriter, r *http.Request) {
	data, err := c.clinicProvidersPage(r, "坐诊人员", providerForm{Active: true})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, "clinic_providers.html", data)
}

// clinicProviderCreate adds a provider from the form.
func (c *Console) clinicProviderCreate(w http.ResponseWriter, r *http.Request) {
	f, err := readProviderForm(r)
	if err == nil {
		_, err = c.Clinic.CreateProvider(r.Context(), cl.Provider{Name: f.Name, Kind: f.Kind, Phone: f.Phone,
			StaffID: f.StaffID, Languages: f.languages(), Active: true})
	}
	if err != nil {
		data, perr := c.clinicProvidersPage(r, "坐诊人员", f)
		if perr != nil {
			c.fail(w, r, perr)
			return
		}
		data.Error = c.clinicFormError(r, err)
		c.renderStatus(w, r, http.StatusBadRequest, "clinic_providers.html", data)
		return
	}
	c.forgetProviders()
	c.done(w, r, clinicPath+"/providers", "已添加坐诊人员 "+f.Name+"。")
}

// clinicProvider shows the form editing provider {id}.
func (c *Console) clinicProvider(w http.ResponseWriter, r *http.Request) {
	id, err := clinicPathID(r)
	if err == nil {
		var p cl.Provider
		if p, err = c.Clinic.Provider(r.Context(), id); err == nil {
			var data clinicProvidersData
			if data, err = c.clinicProvidersPage(r, "修改坐诊人员", providerFormOf(p)); err == nil {
				c.render(w, r, "clinic_provider.html", data)
				return
			}
		}
	}
	c.fail(w, r, err)
}

// clinicProviderUpdate saves the edit form of provider {id}.
func (c *Console) clinicProviderUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := clinicPathID(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	f, err := readProviderForm(r)
	f.ID = id
	if err == nil {
		langs := f.languages()
		_, err = c.Clinic.UpdateProvider(r.Context(), id, clinic.ProviderPatch{Name: &f.Name, Kind: &f.Kind,
			Phone: &f.Phone, StaffID: &f.StaffID, Languages: &langs})
	}
	if err != nil {
		if errors.Is(err, bot.ErrNotFound) {
			c.fail(w, r, err)
			return
		}
		cur, cerr := c.Clinic.Provider(r.Context(), id)
		if cerr != nil {
			c.fail(w, r, cerr)
			return
		}
		f.Active = cur.Active
		data, perr := c.clinicProvidersPage(r, "修改坐诊人员", f)
		if perr != nil {
			c.fail(w, r, perr)
			return
		}
		data.Error = c.clinicFormError(r, err)
		c.renderStatus(w, r, http.StatusBadRequest, "clinic_provider.html", data)
		return
	}
	c.forgetProviders()
	c.done(w, r, clinicPath+"/providers", "已保存 "+f.Name+"。")
}

// clinicProviderActive stops (active=0) or restores (active=1) provider
// {id}: a stopped one stays on the schedules naming them, new schedules
// refuse them, and they lose access to matters.
func (c *Console) clinicProviderActive(w http.ResponseWriter, r *http.Request) {
	id, err := clinicPathID(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	on := r.PostFormValue("active") == "1"
	p, err := c.Clinic.UpdateProvider(r.Context(), id, clinic.ProviderPatch{Active: &on})
	if err != nil {
		c.failTo(w, r, clinicPath+"/providers", clinicErr(err))
		return
	}
	c.forgetProviders()
	msg := "已停用 " + p.Name + "。"
	if on {
		msg = "已启用 " + p.Name + "。"
	}
	c.done(w, r, clinicPath+"/providers", msg)
}

// --- schedules ---

type clinicSchedulesData struct {
	Page
	Tab       string
	Schedules []scheduleRow
}

// scheduleRow is a schedule as the list reads it.
type scheduleRow struct {
	cl.Schedule
	Days      string // 周一、周三 or the date
	Providers string
	Matters   string
}

func scheduleRowOf(sc cl.Schedule, names map[int64]string) scheduleRow {
	row := scheduleRow{Schedule: sc, Days: sc.Date}
	var days, ps, ms []string
	for _, d := range sc.Weekdays {
		if d >= 1 && d <= 7 {
			days = append(days, clinicWeekdays[d-1].Label)
		}
	}
	if len(days) > 0 {
		row.Days = "每" + strings.Join(days, "、")
	}
	for _, id := range sc.ProviderIDs {
		if n, ok := names[id]; ok {
			ps = append(ps, n)
		}
	}
	for _, m := range sc.Matters {
		ms = append(ms, m.Label())
	}
	row.Providers, row.Matters = strings.Join(ps, "、"), strings.Join(ms, "、")
	return row
}

// clinicProviderNames are the providers' names by id.
func (c *Console) clinicProviderNames(ctx context.Context) (map[int64]string, []cl.Provider, error) {
	list, err := c.Clinic.Providers(ctx)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int64]string, len(list))
	for _, p := range list {
		names[p.ID] = p.Name
	}
	return names, list, nil
}

// clinicSchedules lists the schedules, active first.
func (c *Console) clinicSchedules(w http.ResponseWriter, r *http.Request) {
	list, err := c.Clinic.Schedules(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	names, _, err := c.clinicProviderNames(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	slices.SortStableFunc(list, func(a, b cl.Schedule) int {
		if a.Active != b.Active {
			if a.Active {
				return -1
			}
			return 1
		}
		return 0
	})
	rows := make([]scheduleRow, len(list))
	for i, sc := range list {
		rows[i] = scheduleRowOf(sc, names)
	}
	c.render(w, r, "clinic_schedules.html", clinicSchedulesData{Page: c.page(r, "排期", "clinic"), Tab: "schedules",
		Schedules: rows})
}

// scheduleForm is the schedule form's values, as typed.
type scheduleForm struct {
	ID          int64
	Mode        cl.Mode
	ProviderIDs []int64
	Weekdays    []int
	Date        string
	Start       string
	End         string
	SlotMinutes string
	Capacity    string
	Location    string
	Building    string
	Matters     []cl.Matter
	ValidFrom   string
	ValidTo     string
	Active      bool
	ActivityID  int64
}

func scheduleFormOf(sc cl.Schedule) scheduleForm {
	return scheduleForm{ID: sc.ID, Mode: sc.Mode, ProviderIDs: sc.ProviderIDs, Weekdays: sc.Weekdays, Date: sc.Date,
		Start: sc.Start, End: sc.End, SlotMinutes: strconv.Itoa(sc.SlotMinutes), Capacity: strconv.Itoa(sc.Capacity),
		Location: sc.Location, Building: sc.Building, Matters: sc.Matters, ValidFrom: sc.ValidFrom, ValidTo: sc.ValidTo,
		Active: sc.Active, ActivityID: sc.ActivityID}
}

// HasProvider, HasWeekday and HasMatter check the form's boxes.
func (f scheduleForm) HasProvider(id int64) bool  { return slices.Contains(f.ProviderIDs, id) }
func (f scheduleForm) HasWeekday(d int) bool      { return slices.Contains(f.Weekdays, d) }
func (f scheduleForm) HasMatter(m cl.Matter) bool { return slices.Contains(f.Matters, m) }

// readScheduleForm reads the form of r.
func readScheduleForm(r *http.Request) (scheduleForm, error) {
	if err := r.ParseForm(); err != nil {
		return scheduleForm{}, bot.FieldError("mode", "表单无法读取")
	}
	v := r.PostForm
	f := scheduleForm{Mode: cl.Mode(v.Get("mode")), Date: strings.TrimSpace(v.Get("date")),
		Start: strings.TrimSpace(v.Get("start")), End: strings.TrimSpace(v.Get("end")),
		SlotMinutes: strings.TrimSpace(v.Get("slot_minutes")), Capacity: strings.TrimSpace(v.Get("capacity")),
		Location: v.Get("location"), Building: v.Get("building"), ValidFrom: strings.TrimSpace(v.Get("valid_from")),
		ValidTo: strings.TrimSpace(v.Get("valid_to")), Active: v.Get("active") != "0"}
	for _, s := range v["provider_ids"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return f, bot.FieldError("provider_ids", "请选择坐诊人员")
		}
		f.ProviderIDs = append(f.ProviderIDs, id)
	}
	for _, s := range v["weekdays"] {
		d, err := strconv.Atoi(s)
		if err != nil {
			return f, bot.FieldError("weekdays", "请选择周一到周日")
		}
		f.Weekdays = append(f.Weekdays, d)
	}
	for _, s := range v["matters"] {
		f.Matters = append(f.Matters, cl.Matter(s))
	}
	return f, nil
}

// numbers reads slot_minutes and capacity (blank: 0, and 1 seat).
func (f scheduleForm) numbers() (minutes, capacity int, err error) {
	if f.SlotMinutes != "" {
		if minutes, err = strconv.Atoi(f.SlotMinutes); err != nil {
			return 0, 0, bot.FieldError("slot_minutes", "请填写分钟数")
		}
	}
	capacity = 1
	if f.Capacity != "" {
		if capacity, err = strconv.Atoi(f.Capacity); err != nil {
			return 0, 0, bot.FieldError("capacity", "请填写人数")
		}
	}
	return minutes, capacity, nil
}

// schedule is the form as a new schedule.
func (f scheduleForm) schedule() (cl.Schedule, error) {
	minutes, capacity, err := f.numbers()
	if err != nil {
		return cl.Schedule{}, err
	}
	return cl.Schedule{Mode: f.Mode, ProviderIDs: f.ProviderIDs, Weekdays: f.Weekdays, Date: f.Date, Start: f.Start,
		End: f.End, SlotMinutes: minutes, Capacity: capacity, Location: f.Location, Building: f.Building,
		Matters: f.Matters, ValidFrom: f.ValidFrom, ValidTo: f.ValidTo, Active: true}, nil
}

// patch is what the form changes of cur: only the fields that differ, as
// a 集中义诊's time, place and capacity may not be sent at all (they are
// its activity's).
func (f scheduleForm) patch(cur cl.Schedule) (clinic.SchedulePatch, error) {
	next, err := f.schedule()
	if err != nil {
		return clinic.SchedulePatch{}, err
	}
	var p clinic.SchedulePatch
	if !slices.Equal(next.ProviderIDs, cur.ProviderIDs) {
		p.ProviderIDs = &next.ProviderIDs
	}
	if !slices.Equal(next.Weekdays, cur.Weekdays) {
		w := next.Weekdays
		if w == nil {
			w = []int{}
		}
		p.Weekdays = &w
	}
	str := func(dst **string, v, was string) {
		if strings.TrimSpace(v) != strings.TrimSpace(was) {
			*dst = &v
		}
	}
	str(&p.Date, next.Date, cur.Date)
	str(&p.Start, next.Start, cur.Start)
	str(&p.End, next.End, cur.End)
	str(&p.Location, next.Location, cur.Location)
	str(&p.Building, next.Building, cur.Building)
	str(&p.ValidFrom, next.ValidFrom, cur.ValidFrom)
	str(&p.ValidTo, next.ValidTo, cur.ValidTo)
	if next.SlotMinutes != cur.SlotMinutes {
		p.SlotMinutes = &next.SlotMinutes
	}
	if next.Capacity != cur.Capacity {
		p.Capacity = &next.Capacity
	}
	if !slices.Equal(next.Matters, cur.Matters) {
		p.Matters = &next.Matters
	}
	if f.Active != cur.Active {
		p.Active = &f.Active
	}
	return p, nil
}

type clinicScheduleData struct {
	Page
	Tab       string
	Form      scheduleForm
	New       bool
	Modes     []cl.Mode
	Matters   []cl.Matter
	Providers []cl.Provider
	Weekdays  []weekdayBox
}

// weekdayBox is one weekday checkbox.
type weekdayBox struct {
	N     int
	Label string
}

var clinicWeekdays = []weekdayBox{{1, "周一"}, {2, "周二"}, {3, "周三"}, {4, "周四"}, {5, "周五"}, {6, "周六"}, {7, "周日"}}

func (c *Console) clinicRenderSchedule(w http.ResponseWriter, r *http.Request, status int, f scheduleForm, isNew bool, ferr error) {
	_, providers, err := c.clinicProviderNames(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	// Only active providers may be put on a panel; those already on it
	// stay listed (ticked) so an edit does not drop them unseen.
	shown := []cl.Provider{}
	for _, p := range providers {
		if p.Active || f.HasProvider(p.ID) {
			shown = append(shown, p)
		}
	}
	title := "修改排期"
	if isNew {
		title = "新建排期"
	}
	data := clinicScheduleData{Page: c.page(r, title, "clinic"), Tab: "schedules", Form: f, New: isNew,
		Modes: cl.Modes, Matters: cl.Matters, Providers: shown, Weekdays: clinicWeekdays}
	if ferr != nil {
		data.Error = c.clinicFormError(r, ferr)
	}
	c.renderStatus(w, r, status, "clinic_schedule.html", data)
}

// clinicScheduleNew shows the form of a new schedule.
func (c *Console) clinicScheduleNew(w http.ResponseWriter, r *http.Request) {
	c.clinicRenderSchedule(w, r, http.StatusOK, scheduleForm{Mode: cl.Appointment, Start: "09:00", End: "11:30",
		SlotMinutes: "30", Capacity: "1", Matters: []cl.Matter{cl.Consult}, Active: true}, true, nil)
}

// clinicScheduleCreate adds a schedule from the form; the week of its
// first session is shown.
func (c *Console) clinicScheduleCreate(w http.ResponseWriter, r *http.Request) {
	f, err := readScheduleForm(r)
	var ch clinic.Changed
	if err == nil {
		var sc cl.Schedule
		if sc, err = f.schedule(); err == nil {
			ch, err = c.Clinic.CreateSchedule(r.Context(), sc)
		}
	}
	if err != nil {
		c.clinicRenderSchedule(w, r, http.StatusBadRequest, f, true, err)
		return
	}
	next := clinicPath
	if ch.Schedule.Date != "" {
		next += "?week=" + url.QueryEscape(ch.Schedule.Date)
	} else if ch.Schedule.ValidFrom != "" && ch.Schedule.ValidFrom > c.Now().In(bot.Shanghai).Format(cl.DateLayout) {
		next += "?week=" + url.QueryEscape(ch.Schedule.ValidFrom)
	}
	c.done(w, r, next, "已新建排期（"+ch.Schedule.Mode.Label()+"）。")
}

// clinicSchedule shows the form editing schedule {id}.
func (c *Console) clinicSchedule(w http.ResponseWriter, r *http.Request) {
	id, err := clinicPathID(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	sc, err := c.Clinic.Schedule(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.clinicRenderSchedule(w, r, http.StatusOK, scheduleFormOf(sc), false, nil)
}

// clinicScheduleUpdate saves the edit form of schedule {id}; the
// residents whose slot went are told by the service.
func (c *Console) clinicScheduleUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := clinicPathID(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	cur, err := c.Clinic.Schedule(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	f, err := readScheduleForm(r)
	f.ID, f.Mode, f.ActivityID = id, cur.Mode, cur.ActivityID // the mode is set once
	var ch clinic.Changed
	if err == nil {
		var p clinic.SchedulePatch
		if p, err = f.patch(cur); err == nil {
			if p == (clinic.SchedulePatch{}) {
				c.done(w, r, clinicPath+"/schedules", "没有改动。")
				return
			}
			ch, err = c.Clinic.UpdateSchedule(r.Context(), id, p)
		}
	}
	if err != nil {
		c.clinicRenderSchedule(w, r, http.StatusBadRequest, f, false, err)
		return
	}
	msg := "已保存排期。"
	if ch.Told > 0 {
		msg = "已保存排期，已通知 " + strconv.Itoa(ch.Told) + " 位时段取消的居民。"
	}
	c.done(w, r, clinicPath+"/schedules", msg)
}

// --- closures ---

type clinicClosuresData struct {
	Page
	Tab       string
	Closures  []cl.Closure
	Names     map[int64]string
	Providers []cl.Provider
	Form      cl.Closure
	Today     string
}

func (c *Console) clinicClosuresPage(r *http.Request, form cl.Closure) (clinicClosuresData, error) {
	today := c.Now().In(bot.Shanghai).Format(cl.DateLayout)
	// The month before today too: a closure just past is still asked about.
	from := c.Now().In(bot.Shanghai).AddDate(0, -1, 0).Format(cl.DateLayout)
	list, err := c.Clinic.Closures(r.Context(), from, "")
	if err != nil {
		return clinicClosuresData{}, err
	}
	names, providers, err := c.clinicProviderNames(r.Context())
	if err != nil {
		return clinicClosuresData{}, err
	}
	return clinicClosuresData{Page: c.page(r, "停诊", "clinic"), Tab: "closures", Closures: list, Names: names,
		Providers: providers, Form: form, Today: today}, nil
}

// clinicClosures lists the closures from a month ago on, with the form
// adding one.
func (c *Console) clinicClosures(w http.ResponseWriter, r *http.Request) {
	data, err := c.clinicClosuresPage(r, cl.Closure{})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, "clinic_closures.html", data)
}

// clinicClosureCreate closes the clinic (or one provider) on a date; the
// residents booked then are told by the service.
func (c *Console) clinicClosureCreate(w http.ResponseWriter, r *http.Request) {
	f := cl.Closure{Date: strings.TrimSpace(r.PostFormValue("date")), Reason: r.PostFormValue("reason")}
	var err error
	if s := strings.TrimSpace(r.PostFormValue("provider_id")); s != "" && s != "0" {
		if f.ProviderID, err = strconv.ParseInt(s, 10, 64); err != nil {
			err = bot.FieldError("provider_id", "请选择坐诊人员")
		}
	}
	var cd clinic.Closed
	if err == nil {
		cd, err = c.Clinic.CreateClosure(r.Context(), f)
	}
	if err != nil {
		data, perr := c.clinicClosuresPage(r, f)
		if perr != nil {
			c.fail(w, r, perr)
			return
		}
		data.Error = c.clinicFormError(r, err)
		c.renderStatus(w, r, http.StatusBadRequest, "clinic_closures.html", data)
		return
	}
	msg := "已停诊 " + cd.Closure.Date + "。"
	if cd.Told > 0 {
		msg += "已通知 " + strconv.Itoa(cd.Told) + " 位预约的居民。"
	}
	c.done(w, r, clinicPath+"/closures", msg)
}

type clinicClosureData struct {
	Page
	Tab     string
	Closure cl.Closure
	Name    string
}

// clinicClosureOf reads closure {id}. The service reads closures only
// as a list; every closure ever is a short list (a few a month).
func (c *Console) clinicClosureOf(r *http.Request) (cl.Closure, error) {
	id, err := clinicPathID(r)
	if err != nil {
		return cl.Closure{}, err
	}
	list, err := c.Clinic.Closures(r.Context(), "", "")
	if err != nil {
		return cl.Closure{}, err
	}
	for _, cd := range list {
		if cd.ID == id {
			return cd, nil
		}
	}
	return cl.Closure{}, bot.ErrNotFound
}

// clinicClosure shows the form editing closure {id}'s reason.
func (c *Console) clinicClosure(w http.ResponseWriter, r *http.Request) {
	cd, err := c.clinicClosureOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	name := ""
	if cd.ProviderID != 0 {
		if p, err := c.Clinic.Provider(r.Context(), cd.ProviderID); err == nil {
			name = p.Name
		}
	}
	c.render(w, r, "clinic_closure.html", clinicClosureData{Page: c.page(r, "修改停诊", "clinic"), Tab: "closures",
		Closure: cd, Name: name})
}

// clinicClosureUpdate saves closure {id}'s reason; its date and provider
// stay (the residents it told were told of those).
func (c *Console) clinicClosureUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := clinicPathID(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	reason := r.PostFormValue("reason")
	back := clinicPath + "/closures/" + strconv.FormatInt(id, 10)
	if _, err := c.Clinic.UpdateClosure(r.Context(), id, clinic.ClosurePatch{Reason: &reason}); err != nil {
		if errors.Is(err, bot.ErrNotFound) {
			c.fail(w, r, err)
			return
		}
		c.failTo(w, r, back, clinicErr(err))
		return
	}
	c.done(w, r, clinicPath+"/closures", "已保存停诊原因。")
}

// --- 法律援助 and 专家会诊 (clinic staff) ---

type clinicAidData struct {
	Page
	Tab  string
	List []cl.AidApplication
}

// clinicAid lists the 法律援助 applications, newest first, without their
// answers (as every list).
func (c *Console) clinicAid(w http.ResponseWriter, r *http.Request) {
	list, err := c.Clinic.AidApplications(r.Context(), "")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for i := range list {
		list[i] = clinic.RedactAid(list[i])
	}
	c.render(w, r, "clinic_aid.html", clinicAidData{Page: c.page(r, "法律援助申请", "clinic"), Tab: "aid", List: list})
}

type clinicExpertData struct {
	Page
	Tab   string
	List  []cl.ExpertRequest
	Names map[int64]string
}

// clinicExpert lists the 专家会诊 requests, without their descriptions.
func (c *Console) clinicExpert(w http.ResponseWriter, r *http.Request) {
	list, err := c.Clinic.ExpertRequests(r.Context(), "")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for i := range list {
		list[i] = clinic.RedactExpert(list[i])
	}
	names, _, err := c.clinicProviderNames(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, "clinic_expert.html", clinicExpertData{Page: c.page(r, "专家会诊申请", "clinic"), Tab: "expert",
		List: list, Names: names})
}

type clinicAidDetailData struct {
	Page
	Tab      string
	Aid      cl.AidApplication
	Answers  cl.AidAnswers
	Timeline []clinicEntry
	// Next are the steps the application may take (受理 → 审查 → 批准或不予援助).
	Next []cl.AidStatus
}

// clinicAidNext are an application's next steps, as clinic.UpdateAid
// allows them.
var clinicAidNext = map[cl.AidStatus][]cl.AidStatus{
	cl.AidReceived:  {cl.AidReviewing},
	cl.AidReviewing: {cl.AidApproved, cl.AidDeclined},
}

// clinicAidDetail shows a 法律援助 application with its answers (clinic
// staff only: the route admits nobody else) and its next steps.
func (c *Console) clinicAidDetail(w http.ResponseWriter, r *http.Request) {
	id, err := clinicPathID(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	a, tl, err := c.Clinic.AidApplication(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	data := clinicAidDetailData{Page: c.page(r, "法律援助申请 #"+strconv.FormatInt(a.ID, 10), "clinic"), Tab: "aid",
		Aid: a, Timeline: clinicEntries(tl), Next: clinicAidNext[a.Status]}
	if a.Answers != nil {
		data.Answers = *a.Answers
	}
	c.render(w, r, "clinic_aid_detail.html", data)
}

// clinicAidUpdate moves an application a step (status, with a note; a
// decline needs one, the resident reads it) or saves its note.
func (c *Console) clinicAidUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := clinicPathID(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	back := clinicPath + "/aid/" + strconv.FormatInt(id, 10)
	note := r.PostFormValue("note")
	p := clinic.AidPatch{Note: &note}
	flash := "备注已保存。"
	if s := r.PostFormValue("status"); s != "" {
		st := cl.AidStatus(s)
		p.Status = &st
		flash = "已改为" + st.Label() + "，已通知申请人。"
	}
	if _, err := c.Clinic.UpdateAid(r.Context(), id, p); err != nil {
		if errors.Is(err, bot.ErrNotFound) {
			c.fail(w, r, err)
			return
		}
		c.failTo(w, r, back, clinicErr(err))
		return
	}
	c.done(w, r, back, flash)
}

type clinicExpertDetailData struct {
	Page
	Tab       string
	Request   cl.ExpertRequest
	Names     map[int64]string
	Providers []cl.Provider
	At        string // the datetime-local value
}

// HasProvider reports whether the request's panel has provider id.
func (d clinicExpertDetailData) HasProvider(id int64) bool {
	return slices.Contains(d.Request.ProviderIDs, id)
}

// clinicExpertDetail shows a 专家会诊 request with its description
// (clinic staff only) and the forms arranging or declining it.
func (c *Console) clinicExpertDetail(w http.ResponseWriter, r *http.Request) {
	id, err := clinicPathID(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	e, err := c.Clinic.ExpertRequest(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	names, providers, err := c.clinicProviderNames(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	shown := []cl.Provider{}
	for _, p := range providers {
		if p.Active || slices.Contains(e.ProviderIDs, p.ID) {
			shown = append(shown, p)
		}
	}
	data := clinicExpertDetailData{Page: c.page(r, "专家会诊申请 #"+strconv.FormatInt(e.ID, 10), "clinic"), Tab: "expert",
		Request: e, Names: names, Providers: shown}
	if e.At != nil {
		data.At = e.At.In(bot.Shanghai).Format("2006-01-02T15:04")
	}
	c.render(w, r, "clinic_expert_detail.html", data)
}

// clinicExpertUpdate arranges a request (status scheduled: at, location,
// provider_ids, note) or declines it (status declined, note); the
// resident and the panel are told by the service.
func (c *Console) clinicExpertUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := clinicPathID(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	back := clinicPath + "/expert/" + strconv.FormatInt(id, 10)
	if err := r.ParseForm(); err != nil {
		c.failTo(w, r, back, clinicErr(bot.FieldError("status", "表单无法读取")))
		return
	}
	st := cl.ExpertStatus(r.PostForm.Get("status"))
	note := r.PostForm.Get("note")
	p := clinic.ExpertPatch{Status: &st, Note: &note}
	if st == cl.ExpertScheduled {
		at, err := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(r.PostForm.Get("at")), bot.Shanghai)
		if err != nil {
			c.failTo(w, r, back, clinicErr(bot.FieldError("at", "请填写会诊时间")))
			return
		}
		at = at.UTC()
		loc := r.PostForm.Get("location")
		ids := []int64{}
		for _, s := range r.PostForm["provider_ids"] {
			pid, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				c.failTo(w, r, back, clinicErr(bot.FieldError("provider_ids", "请选择专家")))
				return
			}
			ids = append(ids, pid)
		}
		p.At, p.Location, p.ProviderIDs = &at, &loc, &ids
	}
	e, err := c.Clinic.UpdateExpert(r.Context(), id, p)
	if err != nil {
		if errors.Is(err, bot.ErrNotFound) {
			c.fail(w, r, err)
			return
		}
		c.failTo(w, r, back, clinicErr(err))
		return
	}
	c.done(w, r, back, e.Status.Label()+"，已通知居民。")
}

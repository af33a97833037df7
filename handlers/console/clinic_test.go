package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
	cs "github.com/tongxin/tongxin/community"
)

// clinicDay is tomorrow in Shanghai as the clinic writes a date: a
// one-date schedule is held then whatever the working calendar says, and
// its 09:00 slot is always past the minimum notice.
func (r *rig) clinicDay() string {
	return r.clock.Now().In(bot.Shanghai).AddDate(0, 0, 1).Format(cl.DateLayout)
}

// clinicProvider adds a provider linked to staff member staffID (0: none)
// through the service, as the admin API would.
func (r *rig) clinicProvider(name string, staffID int64) cl.Provider {
	r.t.Helper()
	p, err := r.clinic.CreateProvider(context.Background(), cl.Provider{Name: name, Kind: cl.Lawyer,
		Phone: "0937-6220001", StaffID: staffID, Active: true})
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

// clinicSchedule adds an appointment schedule of providerID on date,
// start to end in 30-minute slots of two seats, for consultations.
func (r *rig) clinicSchedule(providerID int64, date, start, end, location string) cl.Schedule {
	r.t.Helper()
	ch, err := r.clinic.CreateSchedule(context.Background(), cl.Schedule{Mode: cl.Appointment,
		ProviderIDs: []int64{providerID}, Date: date, Start: start, End: end, SlotMinutes: 30, Capacity: 2,
		Location: location, Matters: []cl.Matter{cl.Consult}, Active: true})
	if err != nil {
		r.t.Fatal(err)
	}
	return ch.Schedule
}

// clinicBook books the slot of sc starting at hhmm as a resident does in
// WeChat (clinic.Service.Book), with a confidential description.
func (r *rig) clinicBook(sc cl.Schedule, hhmm, name, description string) cl.Booking {
	r.t.Helper()
	start, err := time.ParseInLocation("2006-01-02 15:04", sc.Date+" "+hhmm, bot.Shanghai)
	if err != nil {
		r.t.Fatal(err)
	}
	rec, err := r.clinic.Book(context.Background(), cl.Draft{
		Slot: cl.SlotRef{ScheduleID: sc.ID, Start: start.UTC()}, Matter: cl.Consult,
		OpenID: fmt.Sprintf("o-res-%s-%d", hhmm, sc.ID), Name: name, Phone: "13900000000", Description: description,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	if rec.Booking.ID == 0 {
		r.t.Fatalf("booking %s %s: slot taken", sc.Date, hhmm)
	}
	return rec.Booking
}

func bookingPath(b cl.Booking) string {
	return "/console/clinic/bookings/" + strconv.FormatInt(b.ID, 10)
}

// mustGet fetches path, wanting status, and returns the body.
func mustGet(t *testing.T, b *browser, path string, status int) string {
	t.Helper()
	code, _, body := b.get(path)
	if code != status {
		t.Fatalf("GET %s: %d, want %d\n%s", path, code, status, body)
	}
	return body
}

// TestClinicMatterPrivacy: admins, supervisors and the operator see the
// bookings but never a matter; clinic staff read every matter; a provider
// reads the matters of their own sessions and sees nothing of another
// provider's bookings; a grid worker sees nothing of the clinic.
func TestClinicMatterPrivacy(t *testing.T) {
	r := newRig(t)
	clinicStaff := r.staff("法律专干", community.RoleClinic)
	admin := r.staff("管理员甲", community.RoleAdmin)
	supervisor := r.staff("督办乙", community.RoleSupervisor)
	grid := r.staff("网格员丙", community.RoleGridWorker)
	lawyerA := r.staff("律师甲")
	lawyerB := r.staff("律师乙")
	pA := r.clinicProvider("王律师", lawyerA.ID)
	pB := r.clinicProvider("李律师", lawyerB.ID)
	day := r.clinicDay()
	scA := r.clinicSchedule(pA.ID, day, "09:00", "10:00", "法律诊所一室")
	scB := r.clinicSchedule(pB.ID, day, "14:00", "15:00", "法律诊所二室")
	const secretA, secretB = "邻居装修把承重墙打掉了想起诉", "欠薪三个月老板失联怎么办"
	bA := r.clinicBook(scA, "09:00", "居民赵一", secretA)
	bB := r.clinicBook(scB, "14:00", "居民钱二", secretB)
	week := "/console/clinic?week=" + day

	// Everything a manager can open, and neither secret on any of it.
	managers := map[string]*browser{"admin": r.as(admin), "supervisor": r.as(supervisor), "operator": r.operator()}
	for who, b := range managers {
		body := mustGet(t, b, week, http.StatusOK)
		for _, want := range []string{"居民赵一", "居民钱二", "法律诊所一室", "王律师"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: week view lacks %q", who, want)
			}
		}
		pages := []string{week, bookingPath(bA), bookingPath(bB), "/console/clinic/providers",
			"/console/clinic/schedules", "/console/clinic/schedules/new", "/console/clinic/closures",
			"/console/clinic/schedules/" + strconv.FormatInt(scA.ID, 10), "/console/clinic/providers/" + strconv.FormatInt(pA.ID, 10)}
		for _, p := range pages {
			body := mustGet(t, b, p, http.StatusOK)
			if strings.Contains(body, secretA) || strings.Contains(body, secretB) {
				t.Errorf("%s: %s shows a matter description", who, p)
			}
		}
		if body := mustGet(t, b, bookingPath(bA), http.StatusOK); !strings.Contains(body, "居民赵一") || !strings.Contains(body, "事项描述保密") {
			t.Errorf("%s: booking page lacks the resident or the privacy note:\n%s", who, body)
		}
		// 法律援助 and 专家会诊 are the clinic staff's.
		for _, p := range []string{"/console/clinic/aid", "/console/clinic/expert"} {
			if code, _, _ := b.get(p); code != http.StatusForbidden {
				t.Errorf("%s: %s answered %d, want 403", who, p, code)
			}
		}
	}

	// Clinic staff read both matters, on the booking pages only.
	clin := r.as(clinicStaff)
	if body := mustGet(t, clin, bookingPath(bA), http.StatusOK); !strings.Contains(body, secretA) {
		t.Errorf("clinic staff: booking A lacks its matter")
	}
	if body := mustGet(t, clin, bookingPath(bB), http.StatusOK); !strings.Contains(body, secretB) {
		t.Errorf("clinic staff: booking B lacks its matter")
	}
	if body := mustGet(t, clin, week, http.StatusOK); strings.Contains(body, secretA) || strings.Contains(body, secretB) {
		t.Errorf("clinic staff: the week's list shows a matter")
	}
	for _, p := range []string{"/console/clinic/aid", "/console/clinic/expert", "/console/clinic/providers"} {
		mustGet(t, clin, p, http.StatusOK)
	}

	// A provider: their own session's booking with its matter, nothing of
	// the other provider's, and not the management pages.
	la := r.as(lawyerA)
	if body := mustGet(t, la, "/console", http.StatusOK); !strings.Contains(body, `href="/console/clinic"`) {
		t.Errorf("provider: the nav lacks the clinic")
	}
	body := mustGet(t, la, week, http.StatusOK)
	if !strings.Contains(body, "居民赵一") || strings.Contains(body, "居民钱二") {
		t.Errorf("provider: the week should list their booking only:\n%s", body)
	}
	if !strings.Contains(body, "我的坐诊") {
		t.Errorf("provider: their session is not marked theirs")
	}
	if body := mustGet(t, la, bookingPath(bA), http.StatusOK); !strings.Contains(body, secretA) {
		t.Errorf("provider: their booking lacks its matter")
	}
	if body := mustGet(t, la, bookingPath(bB), http.StatusForbidden); strings.Contains(body, secretB) || strings.Contains(body, "居民钱二") {
		t.Errorf("provider: the other provider's booking shows through the 403")
	}
	for _, p := range []string{"/console/clinic/providers", "/console/clinic/schedules", "/console/clinic/closures", "/console/clinic/aid"} {
		if code, _, _ := la.get(p); code != http.StatusForbidden {
			t.Errorf("provider: %s answered %d, want 403", p, code)
		}
	}
	if code, _, _ := la.post(bookingPath(bB), url.Values{"status": {"attended"}}); code != http.StatusForbidden {
		t.Errorf("provider: marking another provider's booking answered %d, want 403", code)
	}

	// A grid worker: 403 everywhere, nothing shown, no nav entry.
	gw := r.as(grid)
	if body := mustGet(t, gw, "/console", http.StatusOK); strings.Contains(body, `href="/console/clinic"`) {
		t.Errorf("grid worker: the nav shows the clinic")
	}
	for _, p := range []string{"/console/clinic", week, bookingPath(bA), bookingPath(bB), "/console/clinic/providers", "/console/clinic/bookings/999999"} {
		code, _, body := gw.get(p)
		if code != http.StatusForbidden {
			t.Errorf("grid worker: %s answered %d, want 403", p, code)
		}
		if strings.Contains(body, "居民赵一") || strings.Contains(body, secretA) {
			t.Errorf("grid worker: %s shows the booking", p)
		}
	}
	if code, _, _ := gw.post(bookingPath(bA), url.Values{"status": {"cancelled"}, "note": {"x"}}); code != http.StatusForbidden {
		t.Errorf("grid worker: cancelling answered %d, want 403", code)
	}
	if b, _, _ := r.clinic.Booking(context.Background(), bA.ID); b.Status != cl.Booked {
		t.Errorf("booking A is %s after the refused requests", b.Status)
	}
}

// TestClinicProviderLoses: a provider stopped in the console loses the
// clinic at once (the cache is dropped), and so a staff member whose
// link is removed.
func TestClinicProviderLoses(t *testing.T) {
	r := newRig(t)
	clin := r.as(r.staff("法律专干", community.RoleClinic))
	lawyer := r.staff("律师丁")
	p := r.clinicProvider("丁律师", lawyer.ID)
	sc := r.clinicSchedule(p.ID, r.clinicDay(), "09:00", "10:00", "法律诊所一室")
	b := r.clinicBook(sc, "09:30", "居民孙三", "房屋租赁合同纠纷押金不退")
	lb := r.as(lawyer)
	if body := mustGet(t, lb, bookingPath(b), http.StatusOK); !strings.Contains(body, "押金不退") {
		t.Fatalf("provider: booking lacks its matter")
	}
	code, loc, _ := clin.post("/console/clinic/providers/"+strconv.FormatInt(p.ID, 10)+"/active", url.Values{"active": {"0"}})
	if code != http.StatusSeeOther || loc != "/console/clinic/providers" {
		t.Fatalf("deactivate: %d to %q", code, loc)
	}
	if body := mustGet(t, lb, bookingPath(b), http.StatusForbidden); strings.Contains(body, "押金不退") {
		t.Errorf("a stopped provider still reads the matter")
	}
	mustGet(t, lb, "/console/clinic", http.StatusForbidden)
}

// clinicScheduleForm is the schedule form as a person fills it.
func clinicScheduleForm(mode cl.Mode, providerID int64, date, location string) url.Values {
	return url.Values{"mode": {string(mode)}, "provider_ids": {strconv.FormatInt(providerID, 10)}, "date": {date},
		"start": {"09:00"}, "end": {"11:00"}, "slot_minutes": {"30"}, "capacity": {"1"}, "location": {location},
		"matters": {"consult", "mediation"}}
}

// TestClinicForms: a provider and a schedule made through the forms give
// sessions in the week view; a closure hides them; an edit moves them; a
// bad form is shown again with what was typed and the reason in Chinese.
func TestClinicForms(t *testing.T) {
	r := newRig(t)
	linked := r.staff("律师戊")
	b := r.as(r.staff("管理员", community.RoleAdmin))
	code, loc, body := b.post("/console/clinic/providers", url.Values{"name": {"戊律师"}, "kind": {"lawyer"},
		"phone": {"0937-6220002"}, "staff_id": {strconv.FormatInt(linked.ID, 10)}, "languages": {"维吾尔语，手语"}})
	if code != http.StatusSeeOther || loc != "/console/clinic/providers" {
		t.Fatalf("create provider: %d to %q\n%s", code, loc, body)
	}
	list := mustGet(t, b, "/console/clinic/providers", http.StatusOK)
	for _, want := range []string{"戊律师", "律师", "维吾尔语、手语", "律师戊"} {
		if !strings.Contains(list, want) {
			t.Errorf("providers list lacks %q", want)
		}
	}
	ps, err := r.clinic.Providers(context.Background())
	if err != nil || len(ps) != 1 || ps[0].StaffID != linked.ID {
		t.Fatalf("providers: %+v, %v", ps, err)
	}
	pid := ps[0].ID

	day := r.clinicDay()
	// A bad form first: no provider. It comes back with the place typed.
	bad := clinicScheduleForm(cl.Appointment, pid, day, "社区服务中心二楼")
	bad.Del("provider_ids")
	code, _, body = b.post("/console/clinic/schedules", bad)
	if code != http.StatusBadRequest || !strings.Contains(body, "坐诊人员：") || !strings.Contains(body, `value="社区服务中心二楼"`) {
		t.Fatalf("bad schedule form: %d\n%s", code, body)
	}

	code, loc, body = b.post("/console/clinic/schedules", clinicScheduleForm(cl.Appointment, pid, day, "社区服务中心二楼"))
	if code != http.StatusSeeOther || loc != "/console/clinic?week="+day {
		t.Fatalf("create schedule: %d to %q\n%s", code, loc, body)
	}
	week := mustGet(t, b, loc, http.StatusOK)
	for _, want := range []string{"09:00–11:00", "社区服务中心二楼", "戊律师", "预约问诊"} {
		if !strings.Contains(week, want) {
			t.Errorf("week view lacks %q", want)
		}
	}
	// A weekly 日常坐诊 schedule through the form too.
	daily := url.Values{"mode": {"daily"}, "provider_ids": {strconv.FormatInt(pid, 10)}, "weekdays": {"1", "2", "3", "4", "5", "6", "7"},
		"start": {"15:00"}, "end": {"17:00"}, "slot_minutes": {"0"}, "capacity": {"0"}, "location": {"社区服务中心一楼大厅"},
		"matters": {"consult"}}
	if code, loc, body = b.post("/console/clinic/schedules", daily); code != http.StatusSeeOther || loc != "/console/clinic" {
		t.Fatalf("create daily schedule: %d to %q\n%s", code, loc, body)
	}
	sched := mustGet(t, b, "/console/clinic/schedules", http.StatusOK)
	for _, want := range []string{"日常坐诊", "每周一、周二、周三、周四、周五、周六、周日", "随到随询", "预约问诊", day} {
		if !strings.Contains(sched, want) {
			t.Errorf("schedules list lacks %q", want)
		}
	}

	// Edit: move the appointment schedule; the week shows the new place.
	scs, err := r.clinic.Schedules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var appt cl.Schedule
	for _, sc := range scs {
		if sc.Mode == cl.Appointment {
			appt = sc
		}
	}
	edit := clinicScheduleForm(cl.Appointment, pid, day, "社区服务中心三楼")
	edit.Set("active", "1")
	if code, loc, body = b.post("/console/clinic/schedules/"+strconv.FormatInt(appt.ID, 10), edit); code != http.StatusSeeOther {
		t.Fatalf("edit schedule: %d to %q\n%s", code, loc, body)
	}
	if got, _ := r.clinic.Schedule(context.Background(), appt.ID); got.Location != "社区服务中心三楼" {
		t.Fatalf("edit schedule: location %q", got.Location)
	}
	week = mustGet(t, b, "/console/clinic?week="+day, http.StatusOK)
	if !strings.Contains(week, "社区服务中心三楼") || !strings.Contains(week, "09:00–11:00") || !strings.Contains(week, "随到随询") {
		t.Errorf("week view after the edit:\n%s", week)
	}

	// A closure that day hides that day's sessions and says why.
	if code, loc, body = b.post("/console/clinic/closures", url.Values{"date": {day}, "reason": {"坐诊律师出庭"}}); code != http.StatusSeeOther || loc != "/console/clinic/closures" {
		t.Fatalf("create closure: %d to %q\n%s", code, loc, body)
	}
	if list := mustGet(t, b, "/console/clinic/closures", http.StatusOK); !strings.Contains(list, "坐诊律师出庭") || !strings.Contains(list, day) {
		t.Errorf("closures list lacks the closure")
	}
	week = mustGet(t, b, "/console/clinic?week="+day, http.StatusOK)
	dayCard := week[strings.Index(week, `id="week-`+day+`"`):]
	dayCard = dayCard[:strings.Index(dayCard, "</section>")]
	if strings.Contains(dayCard, "09:00–11:00") || strings.Contains(dayCard, "15:00–17:00") || !strings.Contains(dayCard, "坐诊律师出庭") {
		t.Errorf("the closed day still shows sessions:\n%s", dayCard)
	}
	// Its reason can be changed.
	cds, err := r.clinic.Closures(context.Background(), "", "")
	if err != nil || len(cds) != 1 {
		t.Fatalf("closures: %v %v", cds, err)
	}
	cpath := "/console/clinic/closures/" + strconv.FormatInt(cds[0].ID, 10)
	mustGet(t, b, cpath, http.StatusOK)
	if code, _, _ = b.post(cpath, url.Values{"reason": {"坐诊律师外出培训"}}); code != http.StatusSeeOther {
		t.Fatalf("edit closure: %d", code)
	}
	if list := mustGet(t, b, "/console/clinic/closures", http.StatusOK); !strings.Contains(list, "坐诊律师外出培训") {
		t.Errorf("closure reason not changed")
	}

	// The provider edit form saves; the linked staff member sees the clinic.
	ppath := "/console/clinic/providers/" + strconv.FormatInt(pid, 10)
	if code, _, body = b.post(ppath, url.Values{"name": {"戊律师（所长）"}, "kind": {"lawyer"}, "phone": {"0937-6220002"},
		"staff_id": {strconv.FormatInt(linked.ID, 10)}, "languages": {""}}); code != http.StatusSeeOther {
		t.Fatalf("edit provider: %d\n%s", code, body)
	}
	if p, _ := r.clinic.Provider(context.Background(), pid); p.Name != "戊律师（所长）" || len(p.Languages) != 0 {
		t.Errorf("edit provider: %+v", p)
	}
	mustGet(t, r.as(linked), "/console/clinic", http.StatusOK)
}

// TestClinicBookingActions: attended, no-show and cancel (with the
// reason the resident is told) through the booking page, and a note.
func TestClinicBookingActions(t *testing.T) {
	r := newRig(t)
	b := r.as(r.staff("法律专干", community.RoleClinic))
	p := r.clinicProvider("己律师", 0)
	sc := r.clinicSchedule(p.ID, r.clinicDay(), "09:00", "10:00", "法律诊所一室")
	one := r.clinicBook(sc, "09:00", "居民周四", "遗产继承")
	two := r.clinicBook(sc, "09:30", "居民吴五", "劳动合同")

	page := mustGet(t, b, bookingPath(one), http.StatusOK)
	for _, want := range []string{"标记已到场", "标记未到场", "取消预约", "居民周四", "预约"} {
		if !strings.Contains(page, want) {
			t.Errorf("booking page lacks %q", want)
		}
	}
	if code, loc, _ := b.post(bookingPath(one), url.Values{"status": {"attended"}}); code != http.StatusSeeOther || loc != bookingPath(one) {
		t.Fatalf("attended: %d to %q", code, loc)
	}
	page = mustGet(t, b, bookingPath(one), http.StatusOK)
	if !strings.Contains(page, "已改为已到场") || !strings.Contains(page, "改为已到场") || strings.Contains(page, "booking-attended") {
		t.Errorf("after attended:\n%s", page)
	}
	if bk, _, _ := r.clinic.Booking(context.Background(), one.ID); bk.Status != cl.Attended {
		t.Errorf("status %s", bk.Status)
	}
	// Corrected to a no-show.
	if code, _, _ := b.post(bookingPath(one), url.Values{"status": {"no_show"}}); code != http.StatusSeeOther {
		t.Fatalf("no_show: %d", code)
	}
	if bk, _, _ := r.clinic.Booking(context.Background(), one.ID); bk.Status != cl.NoShow {
		t.Errorf("status %s", bk.Status)
	}
	// A cancel needs a reason.
	b.post(bookingPath(two), url.Values{"status": {"cancelled"}})
	if page = mustGet(t, b, bookingPath(two), http.StatusOK); !strings.Contains(page, "取消预约请填写原因（会告知居民）") {
		t.Errorf("cancel without a reason not refused:\n%s", page)
	}
	if bk, _, _ := r.clinic.Booking(context.Background(), two.ID); bk.Status != cl.Booked {
		t.Fatalf("cancelled without a reason")
	}
	if code, _, _ := b.post(bookingPath(two), url.Values{"status": {"cancelled"}, "note": {"律师临时有事"}}); code != http.StatusSeeOther {
		t.Fatalf("cancel: %d", code)
	}
	page = mustGet(t, b, bookingPath(two), http.StatusOK)
	if !strings.Contains(page, "已取消") || !strings.Contains(page, "律师临时有事") || strings.Contains(page, `id="booking-cancel"`) {
		t.Errorf("after cancel:\n%s", page)
	}
	// A cancelled booking cannot be marked attended: the service's refusal is shown.
	b.post(bookingPath(two), url.Values{"status": {"attended"}})
	if page = mustGet(t, b, bookingPath(two), http.StatusOK); !strings.Contains(page, "不能改为") {
		t.Errorf("a move the service refuses is not explained:\n%s", page)
	}
	// A note.
	if code, _, _ := b.post(bookingPath(one), url.Values{"note": {"已电话联系"}}); code != http.StatusSeeOther {
		t.Fatalf("note: %d", code)
	}
	if bk, _, _ := r.clinic.Booking(context.Background(), one.ID); bk.Note != "已电话联系" {
		t.Errorf("note %q", bk.Note)
	}
}

// TestClinicAidAndExpert: clinic staff read and move 法律援助 applications
// (answers included) and arrange 专家会诊 requests; an admin gets 403 on
// both and never sees the answers on the booking they came with.
func TestClinicAidAndExpert(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	clin := r.as(r.staff("法律专干", community.RoleClinic))
	admin := r.as(r.staff("管理员", community.RoleAdmin))
	p := r.clinicProvider("庚律师", 0)
	day := r.clinicDay()
	ch, err := r.clinic.CreateSchedule(ctx, cl.Schedule{Mode: cl.Appointment, ProviderIDs: []int64{p.ID}, Date: day,
		Start: "09:00", End: "10:00", SlotMinutes: 30, Capacity: 1, Location: "司法所", Matters: []cl.Matter{cl.Aid}, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	start, _ := time.ParseInLocation("2006-01-02 15:04", day+" 09:00", bot.Shanghai)
	const secret = "工地欠薪两万元包工头不接电话"
	rec, err := r.clinic.Book(ctx, cl.Draft{Slot: cl.SlotRef{ScheduleID: ch.Schedule.ID, Start: start.UTC()}, Matter: cl.Aid,
		OpenID: "o-res-aid", Name: "居民郑六", Phone: "13900000001", Description: secret,
		Aid: &cl.AidAnswers{CaseKind: "讨薪类案件", Hardship: true}})
	if err != nil || rec.Aid == nil {
		t.Fatalf("book with aid: %+v %v", rec, err)
	}
	aid := "/console/clinic/aid/" + strconv.FormatInt(rec.Aid.ID, 10)

	if list := mustGet(t, clin, "/console/clinic/aid", http.StatusOK); !strings.Contains(list, "居民郑六") || strings.Contains(list, secret) || strings.Contains(list, "讨薪类案件") {
		t.Errorf("aid list: the applicant missing or the answers shown")
	}
	page := mustGet(t, clin, aid, http.StatusOK)
	if !strings.Contains(page, secret) || !strings.Contains(page, "讨薪类案件") || !strings.Contains(page, "审查中") {
		t.Errorf("aid detail for clinic staff:\n%s", page)
	}
	for _, path := range []string{aid, "/console/clinic/aid"} {
		if body := mustGet(t, admin, path, http.StatusForbidden); strings.Contains(body, "讨薪类案件") {
			t.Errorf("admin: %s shows the answers", path)
		}
	}
	if body := mustGet(t, admin, bookingPath(rec.Booking), http.StatusOK); strings.Contains(body, secret) || strings.Contains(body, "讨薪类案件") {
		t.Errorf("admin: the aid booking shows the matter")
	}
	if code, _, _ := clin.post(aid, url.Values{"status": {"reviewing"}, "note": {""}}); code != http.StatusSeeOther {
		t.Fatalf("aid reviewing: %d", code)
	}
	// A decline needs its reason.
	clin.post(aid, url.Values{"status": {"declined"}, "note": {""}})
	if page = mustGet(t, clin, aid, http.StatusOK); !strings.Contains(page, "不予援助请填写原因") {
		t.Errorf("decline without a reason not refused")
	}
	if code, _, _ := clin.post(aid, url.Values{"status": {"approved"}, "note": {"符合条件"}}); code != http.StatusSeeOther {
		t.Fatalf("aid approved: %d", code)
	}
	if a, _, _ := r.clinic.AidApplication(ctx, rec.Aid.ID); a.Status != cl.AidApproved || a.Note != "符合条件" {
		t.Errorf("aid after approval: %s %q", a.Status, a.Note)
	}

	const expertSecret = "宅基地纠纷涉及三户人家"
	ex, err := r.clinic.RequestExpert(ctx, cl.ExpertRequest{OpenID: "o-res-ex", Name: "居民冯七", Phone: "13900000002",
		Matter: cl.Mediation, Description: expertSecret}, "")
	if err != nil {
		t.Fatal(err)
	}
	epath := "/console/clinic/expert/" + strconv.FormatInt(ex.ID, 10)
	if list := mustGet(t, clin, "/console/clinic/expert", http.StatusOK); !strings.Contains(list, "居民冯七") || strings.Contains(list, expertSecret) {
		t.Errorf("expert list: the resident missing or the matter shown")
	}
	if page := mustGet(t, clin, epath, http.StatusOK); !strings.Contains(page, expertSecret) {
		t.Errorf("expert detail lacks the matter for clinic staff")
	}
	if body := mustGet(t, admin, epath, http.StatusForbidden); strings.Contains(body, expertSecret) {
		t.Errorf("admin: the expert request shows through the 403")
	}
	at := r.clock.Now().In(bot.Shanghai).AddDate(0, 0, 2).Format("2006-01-02") + "T10:00"
	code, _, _ := clin.post(epath, url.Values{"status": {"scheduled"}, "at": {at}, "location": {"社区服务中心会议室"},
		"provider_ids": {strconv.FormatInt(p.ID, 10)}, "note": {""}})
	if code != http.StatusSeeOther {
		t.Fatalf("arrange expert: %d", code)
	}
	page = mustGet(t, clin, epath, http.StatusOK)
	if !strings.Contains(page, "已安排") || !strings.Contains(page, "社区服务中心会议室") || !strings.Contains(page, "庚律师") {
		t.Errorf("expert after arranging:\n%s", page)
	}
}

// TestClinicFiveModes: each of the five modes is made through the form
// as staff fill it, and shows in the week of its date; a closure leaves
// the bookings it closed listed (their residents were told) apart from
// the sessions.
func TestClinicFiveModes(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, err := r.dir.SaveBuilding(ctx, cs.BuildingInput{Number: 3}); err != nil {
		t.Fatal(err)
	}
	b := r.as(r.staff("法律专干", community.RoleClinic))
	p := r.clinicProvider("辛律师", 0)
	pid := strconv.FormatInt(p.ID, 10)
	day := r.clinicDay()
	forms := map[cl.Mode]url.Values{
		cl.Daily: {"mode": {"daily"}, "provider_ids": {pid}, "date": {day}, "start": {"08:00"}, "end": {"08:30"},
			"slot_minutes": {"0"}, "capacity": {"0"}, "location": {"一楼大厅"}, "matters": {"consult"}},
		cl.Appointment: {"mode": {"appointment"}, "provider_ids": {pid}, "date": {day}, "start": {"09:00"}, "end": {"10:00"},
			"slot_minutes": {"30"}, "capacity": {"1"}, "location": {"二楼诊室"}, "matters": {"consult", "aid"}},
		cl.Expert: {"mode": {"expert"}, "provider_ids": {pid}, "date": {day}, "start": {"10:00"}, "end": {"11:00"},
			"slot_minutes": {"0"}, "capacity": {"0"}, "location": {"三楼会议室"}},
		cl.Patrol: {"mode": {"patrol"}, "provider_ids": {pid}, "date": {day}, "start": {"14:00"}, "end": {"15:00"},
			"slot_minutes": {"30"}, "capacity": {"2"}, "building": {"3号楼"}, "matters": {"consult", "mediation"}},
		cl.FreeClinic: {"mode": {"free_clinic"}, "provider_ids": {pid}, "date": {day}, "start": {"16:00"}, "end": {"17:30"},
			"slot_minutes": {"0"}, "capacity": {"50"}, "location": {"社区广场"}, "matters": {"consult", "mediation", "aid"}},
	}
	for _, m := range cl.Modes {
		if code, loc, body := b.post("/console/clinic/schedules", forms[m]); code != http.StatusSeeOther || loc != "/console/clinic?week="+day {
			t.Fatalf("%s: %d to %q\n%s", m, code, loc, body)
		}
	}
	scs, err := r.clinic.Schedules(ctx)
	if err != nil || len(scs) != len(cl.Modes) {
		t.Fatalf("schedules: %d %v", len(scs), err)
	}
	week := mustGet(t, b, "/console/clinic?week="+day, http.StatusOK)
	for _, want := range []string{"08:00–08:30", "随到随询", "09:00–10:00", "已约 0 人", "会诊另行安排", "3号楼", "按活动报名", "社区广场", "定期巡诊", "集中义诊"} {
		if !strings.Contains(week, want) {
			t.Errorf("week view lacks %q", want)
		}
	}

	// A booking on the appointment session, then 停诊 that day.
	var appt cl.Schedule
	for _, sc := range scs {
		if sc.Mode == cl.Appointment {
			appt = sc
		}
	}
	bk := r.clinicBook(appt, "09:30", "居民陈八", "合同纠纷")
	if code, _, body := b.post("/console/clinic/closures", url.Values{"date": {day}, "provider_id": {pid}, "reason": {"辛律师出差"}}); code != http.StatusSeeOther {
		t.Fatalf("closure: %d\n%s", code, body)
	}
	week = mustGet(t, b, "/console/clinic?week="+day, http.StatusOK)
	if strings.Contains(week, "09:00–10:00") || !strings.Contains(week, "时段已停诊或调整的预约") || !strings.Contains(week, bookingPath(bk)) {
		t.Errorf("after the closure the session should go and the booking stay listed apart:\n%s", week)
	}
}

package console_test

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"github.com/xuri/excelize/v2"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/handlers/console"
)

// local is the rig's now moved by d, as an <input type=datetime-local>
// value in Shanghai.
func (r *rig) local(d time.Duration) string {
	return r.clock.Now().Add(d).In(bot.Shanghai).Format("2006-01-02T15:04")
}

// eventForm is a filled create form for title, three days ahead.
func (r *rig) eventForm(title string) url.Values {
	return url.Values{
		"title": {title}, "description": {"欢迎各族邻居\r\n带一道家乡菜"}, "location": {"社区广场"},
		"starts_at": {r.local(72 * time.Hour)}, "ends_at": {r.local(75 * time.Hour)},
		"capacity": {"3"}, "max_party": {"2"}, "signup_deadline": {""},
		"questions": {"餐饮：清真/普通\n备注（选填）"},
	}
}

// createEvent submits the create form as b and returns the new event's
// id, read from the redirect to its page.
func createEvent(t *testing.T, b *browser, form url.Values) int64 {
	t.Helper()
	code, loc, body := b.post(console.Path+"/events", form)
	m := regexp.MustCompile(`^/console/events/(\d+)$`).FindStringSubmatch(loc)
	if code != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d to %q\n%s", code, loc, body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// signUp signs a resident up through the service, as the conversation
// does.
func (r *rig) signUp(id int64, openid, name, phone string, party int) activity.Signup {
	r.t.Helper()
	rec, err := r.acts.SignUp(context.Background(), activity.Draft{ActivityID: id, OpenID: openid, Name: name,
		Phone: phone, PartySize: party, Answers: map[string]string{"q1": "清真"}, Waitlist: true})
	if err != nil {
		r.t.Fatal(err)
	}
	return rec.Signup
}

// fetch gets path as b and returns the response (body read) and body.
func fetch(t *testing.T, b *browser, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Fatalf("%s lacks %q:\n%s", what, w, body)
		}
	}
}

func mustLack(t *testing.T, what, body string, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(body, n) {
			t.Fatalf("%s shows %q:\n%s", what, n, body)
		}
	}
}

func TestEventCreateListEdit(t *testing.T) {
	r := newRig(t)
	admin := r.staff("李主任", community.RoleAdmin)
	worker := r.staff("张网格", community.RoleGridWorker)
	b := r.as(admin)

	code, _, body := b.get(console.Path + "/events/new")
	if code != http.StatusOK {
		t.Fatalf("new form: %d", code)
	}
	mustContain(t, "form", body, `id="event-form"`, `name="title"`, `name="starts_at"`, `type="datetime-local"`, `name="organizer_id"`, "张网格")

	// A refusal keeps what was typed and names the field in Chinese.
	bad := r.eventForm("百家宴")
	bad.Set("ends_at", r.local(70*time.Hour))
	code, _, body = b.post(console.Path+"/events", bad)
	if code != http.StatusBadRequest {
		t.Fatalf("ends before start: %d", code)
	}
	mustContain(t, "refused form", body, "结束时间：结束时间须晚于开始时间", `value="百家宴"`)

	form := r.eventForm("百家宴")
	form.Set("organizer_id", strconv.FormatInt(worker.ID, 10))
	id := createEvent(t, b, form)
	a, err := r.acts.Activity(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if a.OrganizerID != worker.ID || a.Capacity != 3 || a.MaxParty != 2 || a.Description != "欢迎各族邻居\n带一道家乡菜" {
		t.Fatalf("created %+v", a)
	}
	if len(a.Questions) != 2 || a.Questions[0].Key != "q1" || strings.Join(a.Questions[0].Choices, "/") != "清真/普通" ||
		a.Questions[1].Label != "备注" || !a.Questions[1].Optional {
		t.Fatalf("questions %+v", a.Questions)
	}
	if got := a.StartsAt.In(bot.Shanghai).Format("2006-01-02T15:04"); got != form.Get("starts_at") {
		t.Fatalf("starts %s, typed %s", got, form.Get("starts_at"))
	}

	r.signUp(id, "o-res-1", "王芳", "13800001234", 2)
	r.signUp(id, "o-res-2", "马明", "13900005678", 2) // one seat left: waits

	_, _, body = b.get(console.Path + "/events")
	mustContain(t, "list", body, "百家宴", "已报 <strong>2</strong> / 3 人", "候补 2 人", "组织者：张网格")

	_, _, body = b.get(console.Path + "/events/" + strconv.FormatInt(id, 10))
	mustContain(t, "detail", body, "王芳", "13800001234", "马明", "候补名单（1 份）", "清真")

	// Edit: a new title and capacity; the questions' keys stay.
	code, _, body = b.get(console.Path + "/events/" + strconv.FormatInt(id, 10) + "/edit")
	if code != http.StatusOK {
		t.Fatalf("edit form: %d", code)
	}
	mustContain(t, "edit form", body, `value="百家宴"`, "餐饮：清真/普通", "备注（选填）")
	edit := r.eventForm("百家宴（第二届）")
	edit.Set("capacity", "5")
	edit.Set("organizer_id", strconv.FormatInt(worker.ID, 10))
	edit.Set("starts_at", form.Get("starts_at"))
	code, loc, _ := b.post(console.Path+"/events/"+strconv.FormatInt(id, 10)+"/edit", edit)
	if code != http.StatusSeeOther || loc != console.Path+"/events/"+strconv.FormatInt(id, 10) {
		t.Fatalf("edit: %d to %q", code, loc)
	}
	_, _, body = b.get(loc)
	mustContain(t, "edited", body, "已保存", "百家宴（第二届）", "已报 4 / 5 人", "修改名额")
	a, _ = r.acts.Activity(context.Background(), id)
	if a.Title != "百家宴（第二届）" || a.Capacity != 5 || a.Questions[0].Key != "q1" {
		t.Fatalf("after edit %+v", a)
	}
	// Saving the form unchanged changes nothing.
	code, loc, _ = b.post(console.Path+"/events/"+strconv.FormatInt(id, 10)+"/edit", edit)
	if _, _, body = b.get(loc); code != http.StatusSeeOther || !strings.Contains(body, "没有修改") {
		t.Fatalf("unchanged save: %d\n%s", code, body)
	}
}

func TestEventCancel(t *testing.T) {
	r := newRig(t)
	b := r.operator()
	id := createEvent(t, b, r.eventForm("古尔邦节联欢"))
	path := console.Path + "/events/" + strconv.FormatInt(id, 10)
	r.signUp(id, "o-res-1", "王芳", "13800001234", 1)

	_, _, body := b.get(path)
	mustContain(t, "detail", body, `id="cancel-form"`, `data-confirm=`, `name="reason"`)

	code, loc, _ := b.post(path+"/cancel", url.Values{"reason": {""}})
	if _, _, body = b.get(loc); code != http.StatusSeeOther || !strings.Contains(body, "取消原因：请填写取消原因") {
		t.Fatalf("no reason: %d\n%s", code, body)
	}
	code, loc, _ = b.post(path+"/cancel", url.Values{"reason": {"大风天气"}})
	if code != http.StatusSeeOther || loc != path {
		t.Fatalf("cancel: %d to %q", code, loc)
	}
	_, _, body = b.get(path)
	mustContain(t, "cancelled", body, "活动已取消", "已取消", "大风天气")
	mustLack(t, "cancelled", body, `id="cancel-form"`, `id="checkin-form"`, `id="edit-event"`)

	_, _, body = b.get(console.Path + "/events")
	mustLack(t, "upcoming", body, "古尔邦节联欢")
	_, _, body = b.get(console.Path + "/events?view=cancelled")
	mustContain(t, "cancelled list", body, "古尔邦节联欢")
	if code, _, _ := b.get(path + "/edit"); code != http.StatusSeeOther {
		t.Fatalf("editing a cancelled event: %d", code)
	}
}

func TestEventOrganizerSeesOnlyTheirs(t *testing.T) {
	r := newRig(t)
	mine := r.staff("张网格", community.RoleGridWorker)
	other := r.staff("马调解", community.RoleMediator)
	ob := r.as(other)
	theirs := createEvent(t, ob, r.eventForm("调解讲座"))
	mb := r.as(mine)
	// A grid worker creates an event organised by themselves, whatever
	// the form says.
	f := r.eventForm("网格议事会")
	f.Set("organizer_id", strconv.FormatInt(other.ID, 10))
	own := createEvent(t, mb, f)
	if a, _ := r.acts.Activity(context.Background(), own); a.OrganizerID != mine.ID {
		t.Fatalf("organiser %d, want %d", a.OrganizerID, mine.ID)
	}
	_, _, body := mb.get(console.Path + "/events/new")
	mustLack(t, "grid worker's form", body, `name="organizer_id"`)
	r.signUp(theirs, "o-res-1", "王芳", "13800001234", 1)

	_, _, body = mb.get(console.Path + "/events")
	mustContain(t, "own list", body, "网格议事会", `href="/console/events"`)
	mustLack(t, "own list", body, "调解讲座")

	p := console.Path + "/events/" + strconv.FormatInt(theirs, 10)
	for _, g := range []string{p, p + "/edit", p + "/signups.csv", p + "/signups.xlsx", p + "/poster", p + "/qr/event"} {
		code, _, body := mb.get(g)
		if code != http.StatusForbidden {
			t.Fatalf("GET %s: %d, want 403", g, code)
		}
		mustLack(t, g, body, "调解讲座", "王芳", "13800001234")
	}
	for _, post := range []struct {
		path string
		form url.Values
	}{{p + "/edit", r.eventForm("改名")}, {p + "/cancel", url.Values{"reason": {"x"}}},
		{p + "/checkin", url.Values{"code": {"123456"}}}, {p + "/notify", url.Values{"text": {"x"}}}} {
		if code, _, _ := mb.post(post.path, post.form); code != http.StatusForbidden {
			t.Fatalf("POST %s: %d, want 403", post.path, code)
		}
	}
	if a, _ := r.acts.Activity(context.Background(), theirs); a.Title != "调解讲座" || a.Status != activity.ActivityOpen {
		t.Fatalf("another's event changed: %+v", a)
	}
	// Their own: the page and its roster.
	if code, _, body := mb.get(console.Path + "/events/" + strconv.FormatInt(own, 10)); code != http.StatusOK || !strings.Contains(body, "网格议事会") {
		t.Fatalf("own event: %d", code)
	}
	// The supervisor sees both.
	sup := r.as(r.staff("刘督办", community.RoleSupervisor))
	_, _, body = sup.get(console.Path + "/events")
	mustContain(t, "supervisor's list", body, "网格议事会", "调解讲座")
}

func TestEventVolunteerOrganizerSeesMaskedRoster(t *testing.T) {
	r := newRig(t)
	vol := r.staff("赵楼长", community.RoleBuildingHead)
	b := r.operator()
	f := r.eventForm("楼栋联谊")
	f.Set("organizer_id", strconv.FormatInt(vol.ID, 10))
	id := createEvent(t, b, f)
	su := r.signUp(id, "o-res-1", "王芳", "13800001234", 1)

	vb := r.as(vol)
	_, _, body := vb.get(console.Path)
	mustLack(t, "volunteer's nav", body, `href="/console/events"`)
	if code, _, _ := vb.get(console.Path + "/events/new"); code != http.StatusForbidden {
		t.Fatalf("volunteer's new form: %d", code)
	}
	if code, _, _ := vb.post(console.Path+"/events", r.eventForm("自办活动")); code != http.StatusForbidden {
		t.Fatalf("volunteer creates: %d", code)
	}
	p := console.Path + "/events/" + strconv.FormatInt(id, 10)
	code, _, body := vb.get(p)
	if code != http.StatusOK {
		t.Fatalf("volunteer's own event: %d", code)
	}
	mustContain(t, "masked roster", body, "楼栋联谊", "王*", "138****1234", "姓名和电话已隐去")
	mustLack(t, "masked roster", body, "王芳", "13800001234", su.CheckinCode, "清真")
	_, raw := fetch(t, vb, p+"/signups.csv")
	mustContain(t, "masked export", string(raw), "王*", "138****1234")
	mustLack(t, "masked export", string(raw), "王芳", "13800001234", su.CheckinCode)
	// The volunteer still checks people in at the door; the result is
	// masked too.
	code, loc, _ := vb.post(p+"/checkin", url.Values{"code": {su.CheckinCode}})
	_, _, body = vb.get(strings.TrimSuffix(loc, "#checkin"))
	if code != http.StatusSeeOther {
		t.Fatalf("volunteer checks in: %d", code)
	}
	mustContain(t, "check-in", body, "签到成功：王*，1 人")
}

func TestEventCheckinByCode(t *testing.T) {
	r := newRig(t)
	b := r.operator()
	id := createEvent(t, b, r.eventForm("书法课"))
	su := r.signUp(id, "o-res-1", "王芳", "13800001234", 2)
	p := console.Path + "/events/" + strconv.FormatInt(id, 10)

	_, _, body := b.get(p)
	mustContain(t, "detail", body, `id="checkin-form"`, `id="checkin-code"`, `name="code"`)

	for code, want := range map[string]string{"12": "签到码是 6 位数字", "000000": "签到码 000000 不是这个活动的"} {
		if code == su.CheckinCode {
			continue
		}
		_, loc, _ := b.post(p+"/checkin", url.Values{"code": {code}})
		if _, _, body = b.get(strings.TrimSuffix(loc, "#checkin")); !strings.Contains(body, want) {
			t.Fatalf("code %q: want %q\n%s", code, want, body)
		}
	}
	status, loc, _ := b.post(p+"/checkin", url.Values{"code": {" " + su.CheckinCode + " "}})
	if status != http.StatusSeeOther || loc != p+"#checkin" {
		t.Fatalf("check-in: %d to %q", status, loc)
	}
	_, _, body = b.get(p)
	mustContain(t, "checked in", body, "签到成功：王芳，2 人", "已签到", "签到</dt><dd>2 人")
	_, sus, err := r.acts.Roster(context.Background(), id)
	if err != nil || len(sus) != 1 || sus[0].Status != activity.Attended {
		t.Fatalf("roster after check-in: %+v %v", sus, err)
	}
	// Those checked in hear the organiser's messages; the timeline shows
	// what was sent without its idempotency tag.
	_, loc, _ = b.post(p+"/notify", url.Values{"text": {"请带好签到码"}})
	if _, _, body = b.get(strings.TrimSuffix(loc, "#notify")); !strings.Contains(body, "通知已发给 1 位报名成功的居民") ||
		!strings.Contains(body, "发送通知：1 人：请带好签到码") {
		t.Fatalf("notify:\n%s", body)
	}
	// Twice: the service's refusal is shown.
	b.post(p+"/checkin", url.Values{"code": {su.CheckinCode}})
	if _, _, body = b.get(p); !strings.Contains(body, `class="flash error"`) {
		t.Fatalf("second check-in not refused:\n%s", body)
	}
}

func TestEventExport(t *testing.T) {
	r := newRig(t)
	b := r.operator()
	id := createEvent(t, b, r.eventForm("百家宴"))
	su := r.signUp(id, "o-res-1", "王芳", "13800001234", 2)
	r.signUp(id, "o-res-2", "马明", "13900005678", 2)
	p := console.Path + "/events/" + strconv.FormatInt(id, 10)

	resp, raw := fetch(t, b, p+"/signups.csv")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "event-"+strconv.FormatInt(id, 10)+"-signups-") {
		t.Fatalf("csv: %d %v", resp.StatusCode, resp.Header)
	}
	lines := strings.Split(strings.TrimPrefix(string(raw), "\uFEFF"), "\r\n")
	if !strings.HasPrefix(lines[0], "序号 id,姓名 name,电话 phone,人数 party_size,状态 status") || !strings.HasSuffix(lines[0], ",餐饮,备注") {
		t.Fatalf("csv header %q", lines[0])
	}
	if want := strconv.FormatInt(su.ID, 10) + ",王芳,13800001234,2,报名成功,confirmed,," + su.CheckinCode + ","; !strings.HasPrefix(lines[1], want) ||
		!strings.HasSuffix(lines[1], ",清真,") {
		t.Fatalf("csv row %q, want %q…", lines[1], want)
	}
	if !strings.Contains(lines[2], ",马明,13900005678,2,候补中,waitlisted,1,") {
		t.Fatalf("csv waiting row %q", lines[2])
	}

	resp, raw = fetch(t, b, p+"/signups.xlsx")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("xlsx: %d %v", resp.StatusCode, resp.Header)
	}
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("报名")
	if err != nil || len(rows) != 3 || rows[1][1] != "王芳" || rows[1][2] != "13800001234" {
		t.Fatalf("xlsx rows %v %v", rows, err)
	}
}

// TestEventPoster: the poster shows both QR codes, drawn here from the
// URLs WeChat encodes (the fake API), and, with development credentials,
// from the scenes.
func TestEventPoster(t *testing.T) {
	r := newRig(t)
	b := r.operator()
	var online int64
	for _, offline := range []bool{false, true} {
		r.admin.Offline = offline
		id := createEvent(t, b, r.eventForm("重阳敬老"))
		if !offline {
			online = id
		}
		p := console.Path + "/events/" + strconv.FormatInt(id, 10)
		code, _, body := b.get(p + "/poster")
		if code != http.StatusOK {
			t.Fatalf("poster (offline %v): %d\n%s", offline, code, body)
		}
		mustContain(t, "poster", body, "重阳敬老", "社区广场", "扫码报名", "现场签到", "@page{size:A4",
			`<img src="`+p+`/qr/event"`, `<img src="`+p+`/qr/checkin"`)
		mustLack(t, "poster", body, "mp.weixin.qq.com", "https://")
		if offline {
			mustContain(t, "offline poster", body, "event:"+strconv.FormatInt(id, 10), "checkin:"+strconv.FormatInt(id, 10))
		}
		for _, scene := range []string{"event", "checkin"} {
			resp, raw := fetch(t, b, p+"/qr/"+scene)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
				t.Fatalf("qr %s (offline %v): %d %s", scene, offline, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil || img.Bounds().Dx() < 200 {
				t.Fatalf("qr %s: %v %v", scene, err, img)
			}
			// The picture is the code of WeChat's URL (the fake's), or
			// offline of the scene: the encoder is deterministic.
			content := scene + ":" + strconv.FormatInt(id, 10)
			if !offline {
				qr, err := r.admin.QRCode(context.Background(), id, scene)
				if err != nil || !strings.HasPrefix(qr.URL, "http") {
					t.Fatalf("kept code %+v %v", qr, err)
				}
				content = qr.URL
			}
			if want, err := qrcode.Encode(content, qrcode.Medium, 600); err != nil || !bytes.Equal(raw, want) {
				t.Fatalf("qr %s (offline %v) is not the code of %q", scene, offline, content)
			}
		}
		if code, _, _ := b.get(p + "/qr/login"); code != http.StatusNotFound {
			t.Fatalf("unknown scene: %d", code)
		}
	}
	// Online, WeChat (the fake) made the codes and they were kept: they
	// show offline too.
	if qr, err := r.admin.QRCode(context.Background(), online, "checkin"); err != nil || qr.URL == "" {
		t.Fatalf("the online event's code was not kept: %+v %v", qr, err)
	}
}

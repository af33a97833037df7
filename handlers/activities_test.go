package handlers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"
	"github.com/xuri/excelize/v2"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/bottest"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/handlers"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

var _ handlers.ActivityAdmin = (*activities.Admin)(nil)

// eventRig is the admin API on a real sign-up service over a store of its
// own, with the QR codes made by the fake WeChat API.
type eventRig struct {
	*ticketRig
	store *storage.Store
	acts  *activities.Service
	admin *activities.Admin
	fake  *wechattest.FakeAPI
}

func newEventRig(t *testing.T, store *storage.Store) *eventRig {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clk := bottest.NewClock(time.Now())
	outbox := notifytest.Queue(t, store, notify.Config{LogOnly: true, Now: clk.Now})
	acts := activities.New(store, outbox, activities.Config{Now: clk.Now})
	dir := cs.New(store, cs.Config{Now: clk.Now})
	rdb, prefix, _ := redistest.New(t)
	fake := wechattest.NewFakeAPI(t)
	wx, err := wechat.NewClient(wechat.ClientConfig{AppID: wechattest.AppID, Secret: wechattest.Secret, APIBase: fake.URL(), Redis: rdb, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	admin := &activities.Admin{Service: acts, QR: wx}
	s := &handlers.Server{Webhook: &handlers.Webhook{}, Metrics: handlers.NewMetrics(), Logger: log,
		AdminToken: adminToken, Community: dir, Activities: admin, Started: time.Now()}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &eventRig{ticketRig: &ticketRig{t: t, url: srv.URL, clock: clk, dir: dir}, store: store, acts: acts, admin: admin, fake: fake}
}

// at is a time d from the rig's now, as RFC 3339 in Shanghai.
func (r *eventRig) at(d time.Duration) string {
	return r.clock.Now().Add(d).In(bot.Shanghai).Truncate(time.Minute).Format(time.RFC3339)
}

// event creates an activity through the API and returns its id.
func (r *eventRig) event(extra map[string]any) int64 {
	r.t.Helper()
	body := map[string]any{"title": "百家宴", "location": "社区广场", "starts_at": r.at(72 * time.Hour),
		"ends_at": r.at(75 * time.Hour), "capacity": 2, "max_party": 2}
	for k, v := range extra {
		body[k] = v
	}
	return id(r.must(201, "POST", "/api/v1/events", body)["id"])
}

// signUp signs openid up for the activity through the service, as the
// conversation does.
func (r *eventRig) signUp(aid int64, openid, name string, party int, answers map[string]string) activity.Signup {
	r.t.Helper()
	rec, err := r.acts.SignUp(context.Background(), activity.Draft{ActivityID: aid, OpenID: openid, Name: name,
		Phone: "13800000000", PartySize: party, Answers: answers, Waitlist: true})
	if err != nil {
		r.t.Fatalf("SignUp(%s): %v", openid, err)
	}
	return rec.Signup
}

func errMessage(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func TestEventsNeedTheToken(t *testing.T) {
	r := newEventRig(t, storagetest.Open(t))
	for _, ep := range []struct{ method, path string }{
		{"POST", "/api/v1/events"}, {"GET", "/api/v1/events"}, {"GET", "/api/v1/events/1"},
		{"PATCH", "/api/v1/events/1"}, {"POST", "/api/v1/events/1/cancel"}, {"GET", "/api/v1/events/1/signups"},
		{"GET", "/api/v1/events/1/signups.csv"}, {"GET", "/api/v1/events/1/signups.xlsx"},
		{"POST", "/api/v1/events/1/checkin"}, {"POST", "/api/v1/events/1/notify"}, {"GET", "/api/v1/events/1/qrcode?scene=event"},
	} {
		if code, _, _ := r.do(ep.method, ep.path, "{}", false); code != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d, want 401", ep.method, ep.path, code)
		}
	}
	if code, _, _ := r.do("GET", "/calendar/events.ics", nil, false); code != http.StatusOK {
		t.Errorf("the calendar without a token: %d, want 200 (it is public)", code)
	}
}

func TestEventLifecycleThroughTheAdminAPI(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newEventRig(t, s)
		org := id(r.must(201, "POST", "/api/v1/staff", map[string]any{"name": "李主任", "phone": "13900000002", "roles": []string{"admin"}})["id"])
		created := r.must(201, "POST", "/api/v1/events", map[string]any{
			"title": "粽香庆端午", "description": "包粽子", "location": "活动室", "starts_at": r.at(72 * time.Hour),
			"ends_at": r.at(74 * time.Hour), "capacity": 2, "organizer_id": org,
			"questions": []map[string]any{{"key": "diet", "label": "饮食禁忌", "optional": true}},
		})
		aid := id(created["id"])
		if created["status"] != "open" || id(created["max_party"]) != 1 || id(created["seats_left"]) != 2 ||
			!strings.HasSuffix(created["starts_at"].(string), "+08:00") || id(created["organizer_id"]) != org {
			t.Fatalf("created: %v", created)
		}
		if list := r.must(200, "GET", "/api/v1/events", nil)["events"].([]any); len(list) != 1 || id(list[0].(map[string]any)["id"]) != aid {
			t.Errorf("upcoming: %v", list)
		}
		if list := r.must(200, "GET", "/api/v1/events?status=past", nil)["events"].([]any); len(list) != 0 {
			t.Errorf("past: %v", list)
		}

		a := r.signUp(aid, "o-a", "王阿姨", 1, map[string]string{"diet": "清真"})
		r.signUp(aid, "o-b", "李叔", 1, nil)
		c := r.signUp(aid, "o-c", "赵奶奶", 1, nil)
		if c.Status != activity.Waitlisted {
			t.Fatalf("o-c: %s", c.Status)
		}

		code, _, raw := r.do("GET", fmt.Sprintf("/api/v1/events/%d/signups", aid), nil, true)
		if code != 200 || bytes.Contains(raw, []byte("o-a")) || bytes.Contains(raw, []byte("openid")) {
			t.Errorf("signups: %d %s (no openid may show)", code, raw)
		}
		sus := r.must(200, "GET", fmt.Sprintf("/api/v1/events/%d/signups", aid), nil)["signups"].([]any)
		first := sus[0].(map[string]any)
		if len(sus) != 3 || first["name"] != "王阿姨" || first["phone"] != "13800000000" || first["status"] != "confirmed" ||
			first["checkin_code"] != a.CheckinCode || first["answers"].(map[string]any)["diet"] != "清真" || id(first["party_size"]) != 1 {
			t.Errorf("signups: %v", sus)
		}
		if third := sus[2].(map[string]any); third["status"] != "waitlisted" || id(third["position"]) != 1 {
			t.Errorf("waitlisted: %v", third)
		}
		if only := r.must(200, "GET", fmt.Sprintf("/api/v1/events/%d/signups?status=waitlisted", aid), nil)["signups"].([]any); len(only) != 1 {
			t.Errorf("?status=waitlisted: %v", only)
		}

		// Lowering below the seats held is refused; raising promotes.
		out := r.must(409, "PATCH", fmt.Sprintf("/api/v1/events/%d", aid), map[string]any{"capacity": 1})
		if !strings.HasPrefix(errMessage(out), "capacity: ") {
			t.Errorf("lowering: %v", out)
		}
		patched := r.must(200, "PATCH", fmt.Sprintf("/api/v1/events/%d", aid), map[string]any{"capacity": 3, "starts_at": r.at(96 * time.Hour), "ends_at": r.at(98 * time.Hour)})
		if id(patched["capacity"]) != 3 || id(patched["seats_left"]) != 0 {
			t.Errorf("patched: %v", patched)
		}
		got := r.must(200, "GET", fmt.Sprintf("/api/v1/events/%d", aid), nil)
		var actions []string
		for _, e := range got["timeline"].([]any) {
			actions = append(actions, e.(map[string]any)["action"].(string))
		}
		if a := strings.Join(actions, " "); !strings.Contains(a, "capacity") || !strings.Contains(a, "moved") || !strings.Contains(a, "offered") {
			t.Errorf("timeline: %v", actions)
		}

		// Check-in.
		path := fmt.Sprintf("/api/v1/events/%d/checkin", aid)
		in := r.must(200, "POST", path, map[string]any{"code": a.CheckinCode})
		if in["status"] != "attended" || in["name"] != "王阿姨" || in["openid"] != nil {
			t.Errorf("checked in: %v", in)
		}
		r.must(409, "POST", path, map[string]any{"code": a.CheckinCode})
		unknown := "000000"
		if a.CheckinCode == unknown {
			unknown = "000001"
		}
		r.must(404, "POST", path, map[string]any{"code": unknown})
		for _, bad := range []string{"", "12345", "1234567", "12a456"} {
			out := r.must(400, "POST", path, map[string]any{"code": bad})
			if !strings.HasPrefix(errMessage(out), "code: ") {
				t.Errorf("code %q: %v", bad, out)
			}
		}

		// Notify, once per request.
		npath := fmt.Sprintf("/api/v1/events/%d/notify", aid)
		if n := r.must(202, "POST", npath, map[string]any{"text": "请自带碗筷"}); id(n["recipients"]) != 2 || n["repeat"] != false {
			t.Errorf("notify: %v", n)
		}
		if n := r.must(202, "POST", npath, map[string]any{"text": "请自带碗筷"}); n["repeat"] != true {
			t.Errorf("notify again: %v", n)
		}
		out = r.must(400, "POST", npath, map[string]any{"text": "  "})
		if !strings.HasPrefix(errMessage(out), "text: ") {
			t.Errorf("empty text: %v", out)
		}

		// Cancel, then again.
		cpath := fmt.Sprintf("/api/v1/events/%d/cancel", aid)
		r.must(400, "POST", cpath, map[string]any{"reason": ""})
		if c := r.must(200, "POST", cpath, map[string]any{"reason": "暴雨"}); c["status"] != "cancelled" {
			t.Errorf("cancelled: %v", c)
		}
		r.must(409, "POST", cpath, map[string]any{"reason": "暴雨"})
		r.must(409, "PATCH", fmt.Sprintf("/api/v1/events/%d", aid), map[string]any{"title": "改名"})
		if list := r.must(200, "GET", "/api/v1/events?status=cancelled", nil)["events"].([]any); len(list) != 1 {
			t.Errorf("cancelled list: %v", list)
		}
	})
}

func TestEventsBadInput(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newEventRig(t, s)
		inactive := id(r.must(201, "POST", "/api/v1/staff", map[string]any{"name": "张离职", "phone": "13900000009", "roles": []string{"duty"}})["id"])
		r.must(200, "PATCH", fmt.Sprintf("/api/v1/staff/%d", inactive), map[string]any{"active": false})
		good := func() map[string]any {
			return map[string]any{"title": "邻里荟", "starts_at": r.at(48 * time.Hour), "ends_at": r.at(50 * time.Hour), "capacity": 10}
		}
		with := func(k string, v any) map[string]any {
			b := good()
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
			return b
		}
		for _, tc := range []struct {
			body  any
			field string
		}{
			{"{", "body"},
			{"[]", "body"},
			{`{"title":"x"} {}`, "body"},
			{with("colour", "red"), "colour"},
			{with("title", nil), "title"},
			{with("title", "  "), "title"},
			{with("starts_at", nil), "starts_at"},
			{with("starts_at", "2026-06-19 09:00"), "starts_at"},
			{with("starts_at", 1750000000), "starts_at"},
			{with("ends_at", "tomorrow"), "ends_at"},
			{with("ends_at", r.at(47*time.Hour)), "ends_at"},
			{with("capacity", nil), "capacity"},
			{with("capacity", -1), "capacity"},
			{with("capacity", "ten"), "capacity"},
			{with("max_party", 0), "max_party"},
			{with("capacity", 1<<31), "capacity"},
			{with("max_party", 1000), "max_party"},
			{with("title", "邻里荟\rEND:VEVENT"), "title"},
			{with("location", "活动室\u0000"), "location"},
			{with("questions", []map[string]any{{"key": "m", "label": "民族", "choices": []string{"汉", "汉"}}}), "questions"},
			{with("signup_deadline", "soon"), "signup_deadline"},
			{with("signup_deadline", r.at(49*time.Hour)), "signup_deadline"},
			{with("questions", []map[string]any{{"key": "", "label": "民族"}}), "questions"},
			{with("questions", []map[string]any{{"key": "a", "label": "民族", "colour": 1}}), "colour"},
			{with("organizer_id", 424242), "organizer_id"},
			{with("organizer_id", inactive), "organizer_id"},
		} {
			code, out := r.api("POST", "/api/v1/events", tc.body)
			if code != 400 || !strings.HasPrefix(errMessage(out), tc.field+": ") {
				t.Errorf("POST %v: %d %v, want 400 naming %s", tc.body, code, out, tc.field)
			}
		}
		// A deadline null is none; one given is kept.
		r.must(201, "POST", "/api/v1/events", with("signup_deadline", nil))
		dl := r.must(201, "POST", "/api/v1/events", with("signup_deadline", r.at(24*time.Hour)))
		if dl["signup_deadline"] == nil || dl["signup_closes"] != dl["signup_deadline"] {
			t.Errorf("deadline: %v", dl)
		}
		aid := id(dl["id"])
		if p := r.must(200, "PATCH", fmt.Sprintf("/api/v1/events/%d", aid), map[string]any{"signup_deadline": nil}); p["signup_deadline"] != nil {
			t.Errorf("cleared deadline: %v", p)
		}

		patch := fmt.Sprintf("/api/v1/events/%d", aid)
		for _, tc := range []struct {
			body  any
			field string
		}{
			{"{}", "body"},
			{map[string]any{"starts_at": "x"}, "starts_at"},
			{map[string]any{"ends_at": r.at(time.Hour)}, "ends_at"},
			{map[string]any{"status": "cancelled"}, "status"},
			{map[string]any{"seats_taken": 0}, "seats_taken"},
			{map[string]any{"max_party": 0}, "max_party"},
		} {
			code, out := r.api("PATCH", patch, tc.body)
			if code != 400 || !strings.HasPrefix(errMessage(out), tc.field+": ") {
				t.Errorf("PATCH %v: %d %v, want 400 naming %s", tc.body, code, out, tc.field)
			}
		}

		for _, bad := range []string{"status=soon", "status=open"} {
			r.must(400, "GET", "/api/v1/events?"+bad, nil)
		}
		r.must(400, "GET", fmt.Sprintf("/api/v1/events/%d/signups?status=maybe", aid), nil)
		r.must(400, "GET", fmt.Sprintf("/api/v1/events/%d/qrcode?scene=poster", aid), nil)
		r.must(400, "GET", fmt.Sprintf("/api/v1/events/%d/qrcode", aid), nil)

		// Ids: not a number is 400, unknown is 404, on every endpoint.
		for _, ep := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/events/%s", nil},
			{"PATCH", "/api/v1/events/%s", map[string]any{"title": "x"}},
			{"POST", "/api/v1/events/%s/cancel", map[string]any{"reason": "x"}},
			{"GET", "/api/v1/events/%s/signups", nil},
			{"GET", "/api/v1/events/%s/signups.csv", nil},
			{"GET", "/api/v1/events/%s/signups.xlsx", nil},
			{"POST", "/api/v1/events/%s/checkin", map[string]any{"code": "123456"}},
			{"POST", "/api/v1/events/%s/notify", map[string]any{"text": "x"}},
			{"GET", "/api/v1/events/%s/qrcode?scene=event", nil},
		} {
			for _, bad := range []string{"abc", "0", "-3"} {
				r.must(400, ep.method, fmt.Sprintf(ep.path, bad), ep.body)
			}
			r.must(404, ep.method, fmt.Sprintf(ep.path, "999999"), ep.body)
		}
		code, _, _ := r.do("POST", fmt.Sprintf("/api/v1/events/%d/notify", aid), map[string]any{"text": "x"}, true)
		if code != 202 {
			t.Errorf("notify: %d", code)
		}
		req, _ := http.NewRequest("POST", r.url+fmt.Sprintf("/api/v1/events/%d/notify", aid), strings.NewReader(`{"text":"x"}`))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Idempotency-Key", strings.Repeat("k", 201))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("a long Idempotency-Key: %d", resp.StatusCode)
		}
	})
}

func TestEventSignupExports(t *testing.T) {
	r := newEventRig(t, storagetest.Open(t))
	aid := r.event(map[string]any{"capacity": 5, "questions": []map[string]any{
		{"key": "nation", "label": "民族", "choices": []string{"汉族", "回族", "维吾尔族"}},
		{"key": "diet", "label": "饮食禁忌", "optional": true},
	}})
	r.signUp(aid, "o-a", "马阿姨", 2, map[string]string{"nation": "回族", "diet": "清真"})
	r.signUp(aid, "o-b", "=HYPERLINK(\"http://x\")", 1, map[string]string{"nation": "汉族", "diet": "+不吃辣"})

	code, h, raw := r.do("GET", fmt.Sprintf("/api/v1/events/%d/signups.csv", aid), nil, true)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), fmt.Sprintf("event-%d-signups-", aid)) {
		t.Fatalf("csv: %d %v", code, h)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := rows[0]
	if len(rows) != 3 || header[len(header)-2] != "民族" || header[len(header)-1] != "饮食禁忌" {
		t.Fatalf("csv rows: %q", rows)
	}
	if r1 := rows[1]; r1[1] != "马阿姨" || r1[3] != "2" || r1[len(r1)-2] != "回族" || r1[len(r1)-1] != "清真" {
		t.Errorf("csv row 1: %q", r1)
	}
	if r2 := rows[2]; r2[1] != "'=HYPERLINK(\"http://x\")" || r2[len(r2)-1] != "'+不吃辣" {
		t.Errorf("csv row 2 (formula-like text quoted): %q", r2)
	}

	code, h, raw = r.do("GET", fmt.Sprintf("/api/v1/events/%d/signups.xlsx", aid), nil, true)
	if code != 200 || !strings.Contains(h.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("xlsx: %d %v", code, h)
	}
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	got, err := x.GetRows("报名")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0][len(got[0])-1] != "饮食禁忌" || got[1][len(got[1])-1] != "清真" || got[2][1] != "=HYPERLINK(\"http://x\")" {
		t.Errorf("xlsx rows: %q", got)
	}
	if f, err := x.GetCellFormula("报名", "B3"); err != nil || f != "" {
		t.Errorf("a name became a formula: %q %v", f, err)
	}
}

func TestEventQRCode(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newEventRig(t, s)
		aid := r.event(nil)
		path := fmt.Sprintf("/api/v1/events/%d/qrcode?scene=", aid)

		r.admin.Offline = true
		out := r.must(503, "GET", path+"event", nil)
		if !strings.Contains(errMessage(out), "development credentials") {
			t.Errorf("offline: %v", out)
		}
		if n := r.fake.Hits(wechattest.PathQRCreate); n != 0 {
			t.Errorf("offline asked WeChat %d times", n)
		}
		r.admin.Offline = false

		r.fake.FailNext(wechattest.PathQRCreate, 45009, 1)
		r.must(502, "GET", path+"event", nil)

		for _, kind := range []string{"event", "checkin", "event"} {
			scene := fmt.Sprintf("%s:%d", kind, aid)
			got := r.must(200, "GET", path+kind, nil)
			if got["scene"] != scene || got["ticket"] != wechattest.QRTicket(scene) || got["url"] != wechattest.QRURL(scene) ||
				got["image_url"] != wechat.QRImageURL(wechattest.QRTicket(scene)) {
				t.Errorf("%s: %v", kind, got)
			}
		}
		made := r.fake.QRCodes()
		if len(made) != 2 || made[0].Action != "QR_LIMIT_STR_SCENE" || made[0].Scene != fmt.Sprintf("event:%d", aid) || made[1].Scene != fmt.Sprintf("checkin:%d", aid) {
			t.Errorf("codes made: %+v (once per scene, permanent)", made)
		}
		// Kept codes still show with development credentials.
		r.admin.Offline = true
		r.must(200, "GET", path+"checkin", nil)
	})
}

func TestCalendarFeed(t *testing.T) {
	r := newEventRig(t, storagetest.Open(t))
	start := r.clock.Now().Add(72 * time.Hour).Truncate(time.Minute)
	// Long enough to be folded, with what iCalendar escapes.
	desc := strings.Repeat("八个民族，一桌好菜；", 6) + "\nBring: bowls, chopsticks; 清真 food"
	open := r.event(map[string]any{"title": "情浓百家宴", "location": "社区广场", "description": desc,
		"starts_at": start.In(bot.Shanghai).Format(time.RFC3339), "ends_at": start.Add(3 * time.Hour).Format(time.RFC3339)})
	gone := r.event(map[string]any{"title": "健康讲座", "description": "请带病历\r\nATTENDEE:mailto:x@example.com\rX-INJECTED:1"})
	r.must(200, "POST", fmt.Sprintf("/api/v1/events/%d/cancel", gone), map[string]any{"reason": "专家临时有事"})
	r.signUp(open, "o-secret", "隐私姓名", 1, nil)
	// Ended: left out.
	past, err := r.acts.Create(context.Background(), activity.Activity{Title: "旧活动", StartsAt: r.clock.Now().Add(-3 * time.Hour),
		EndsAt: r.clock.Now().Add(-time.Hour), Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}

	code, h, raw := r.do("GET", "/calendar/events.ics", nil, false)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/calendar") {
		t.Fatalf("calendar: %d %v", code, h)
	}
	for _, secret := range []string{"o-secret", "隐私姓名", "13800000000", "专家临时有事"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the public feed shows %q", secret)
		}
	}
	// A CR typed into a description is a line break inside the text,
	// escaped, never a line (a property) of the feed.
	for _, line := range strings.FieldsFunc(string(raw), func(r rune) bool { return r == '\r' || r == '\n' }) {
		if strings.HasPrefix(line, "ATTENDEE") || strings.HasPrefix(line, "X-INJECTED") {
			t.Errorf("a description made a line of the feed: %q", line)
		}
	}
	if !utf8.Valid(raw) {
		t.Errorf("the feed is not UTF-8 (a line folded inside a character?)")
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line of %d octets, iCalendar folds at 75: %q", len(line), line)
		}
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse back: %v\n%s", err, raw)
	}
	events := cal.Events()
	if len(events) != 2 {
		t.Fatalf("%d events, want 2 (the ended one left out):\n%s", len(events), raw)
	}
	byUID := map[string]*ics.VEvent{}
	for _, e := range events {
		byUID[e.Id()] = e
	}
	e := byUID[fmt.Sprintf("activity-%d@tongxin", open)]
	if e == nil {
		t.Fatalf("no event for %d:\n%s", open, raw)
	}
	prop := func(e *ics.VEvent, p ics.ComponentProperty) string {
		if v := e.GetProperty(p); v != nil {
			return v.Value
		}
		return ""
	}
	got, err := e.GetStartAt()
	if err != nil || !got.Equal(start) {
		t.Errorf("DTSTART %v (%v), want %v", got, err, start)
	}
	end, err := e.GetEndAt()
	if err != nil || !end.Equal(start.Add(3*time.Hour)) {
		t.Errorf("DTEND %v (%v)", end, err)
	}
	if prop(e, ics.ComponentPropertySummary) != "情浓百家宴" || prop(e, ics.ComponentPropertyLocation) != "社区广场" ||
		prop(e, ics.ComponentPropertyDescription) != desc || prop(e, ics.ComponentPropertyStatus) != "CONFIRMED" {
		t.Errorf("event: %s", e.Serialize(nil))
	}
	if c := byUID[fmt.Sprintf("activity-%d@tongxin", gone)]; c == nil || prop(c, ics.ComponentPropertyStatus) != "CANCELLED" {
		t.Errorf("the cancelled event: %v", c)
	}
	if byUID[fmt.Sprintf("activity-%d@tongxin", past.ID)] != nil {
		t.Errorf("the ended event is in the feed")
	}
}

// The feed escapes what golang-ical leaves raw (a CR ends a line for many
// readers) whatever is stored, e.g. rows written before the service
// refused control characters.
func TestCalendarFeedStoredCR(t *testing.T) {
	r := newEventRig(t, storagetest.Open(t))
	now := r.clock.Now().UTC().Truncate(time.Second)
	a := activity.Activity{Title: "邻里荟\rX-TITLE:1", Location: "活动室\rX-PLACE:1", Description: "带碗\rX-DESC:1\r\nX-DESC2:1",
		StartsAt: now.Add(72 * time.Hour), EndsAt: now.Add(74 * time.Hour), Capacity: 1, MaxParty: 1,
		Status: activity.ActivityOpen, CreatedAt: now, UpdatedAt: now}
	if err := r.store.InsertActivity(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	_, _, raw := r.do("GET", "/calendar/events.ics", nil, false)
	for _, line := range strings.FieldsFunc(string(raw), func(r rune) bool { return r == '\r' || r == '\n' }) {
		if strings.HasPrefix(line, "X-") && !strings.HasPrefix(line, "X-WR-") && !strings.HasPrefix(line, "X-PUBLISHED-TTL") {
			t.Errorf("stored text made a line of the feed: %q", line)
		}
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(raw))
	if err != nil || len(cal.Events()) != 1 {
		t.Fatalf("parse back: %v\n%s", err, raw)
	}
	if got := cal.Events()[0].GetProperty(ics.ComponentPropertyDescription).Value; got != "带碗\nX-DESC:1\nX-DESC2:1" {
		t.Errorf("description %q", got)
	}
}

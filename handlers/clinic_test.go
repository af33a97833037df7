package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/xuri/excelize/v2"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/clinic"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/handlers"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// clinicToken is the clinic staff's bearer token of the tests.
const clinicToken = "clinic-secret-0123456789abcdef01234"

// secret is a matter description no list, export or admin view may show.
const secret = "邻居长期占用楼道堆放杂物还威胁我家老人"

// clinicRig is the admin API on the real clinic service over a store of
// its own, with event sign-ups for 集中义诊.
type clinicRig struct {
	t     *testing.T
	url   string
	clock *bottest.Clock
	svc   *clinic.Service
	acts  *activities.Service
	store *storage.Store
	logs  *bytes.Buffer
}

func newClinicRig(t *testing.T, store *storage.Store) *clinicRig {
	t.Helper()
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// Real time: the handlers' default ranges and the calendar read the
	// wall clock.
	clk := bottest.NewClock(time.Now())
	outbox := notifytest.Queue(t, store, notify.Config{LogOnly: true, Now: clk.Now})
	acts := activities.New(store, outbox, activities.Config{Now: clk.Now})
	svc := clinic.New(store, outbox, clinic.Config{Now: clk.Now, Activities: &activities.Admin{Service: acts},
		Place: "社区服务中心法律诊所", Phone: "0937-6220000"})
	dir := cs.New(store, cs.Config{Now: clk.Now})
	s := &handlers.Server{Webhook: &handlers.Webhook{}, Metrics: handlers.NewMetrics(), Logger: log,
		AdminToken: adminToken, ClinicToken: clinicToken, Community: dir, Clinic: svc, Started: time.Now()}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &clinicRig{t: t, url: srv.URL, clock: clk, svc: svc, acts: acts, store: store, logs: logs}
}

// do sends a request with token ("" none); body is JSON-encoded unless a
// string.
func (r *clinicRig) do(token, method, path string, body any) (int, http.Header, []byte) {
	r.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			r.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, r.url+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, raw
}

// as calls the API with token and wants status want; it returns the JSON
// object and the raw body.
func (r *clinicRig) as(token string, want int, method, path string, body any) (map[string]any, string) {
	r.t.Helper()
	code, _, raw := r.do(token, method, path, body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		r.t.Fatalf("%s %s: %d, not a JSON object: %s", method, path, code, raw)
	}
	if code != want {
		r.t.Fatalf("%s %s: %d %s, want %d", method, path, code, raw, want)
	}
	return out, string(raw)
}

// admin calls with the admin token.
func (r *clinicRig) admin(want int, method, path string, body any) map[string]any {
	r.t.Helper()
	out, _ := r.as(adminToken, want, method, path, body)
	return out
}

// date is the date d days from now, in Shanghai.
func (r *clinicRig) date(d int) string {
	return r.clock.Now().In(bot.Shanghai).AddDate(0, 0, d).Format(cl.DateLayout)
}

// provider adds a provider and returns its id.
func (r *clinicRig) provider(name string, kind cl.Kind, langs ...string) int64 {
	r.t.Helper()
	body := map[string]any{"name": name, "kind": kind, "phone": "13800000001"}
	if langs != nil {
		body["languages"] = langs
	}
	return id(r.admin(201, "POST", "/api/v1/clinic/providers", body)["id"])
}

// appointment adds a one-date 预约问诊 schedule of two 30-minute slots
// of one seat, d days from now, and returns it.
func (r *clinicRig) appointment(pid int64, d int) map[string]any {
	r.t.Helper()
	return r.admin(201, "POST", "/api/v1/clinic/schedules", map[string]any{
		"mode": "appointment", "provider_ids": []int64{pid}, "date": r.date(d), "start": "09:00", "end": "10:00",
		"slot_minutes": 30, "capacity": 1, "location": "社区服务中心二楼", "matters": []string{"consult", "mediation", "aid"},
	})["schedule"].(map[string]any)
}

// book books the first free slot of schedule sc for openid through the
// service, as the conversation does.
func (r *clinicRig) book(sc map[string]any, openid string) cl.Booking {
	r.t.Helper()
	ctx := context.Background()
	d, _ := time.ParseInLocation(cl.DateLayout, sc["date"].(string), bot.Shanghai)
	slots, err := r.svc.SlotsBetween(ctx, d, d.AddDate(0, 0, 1), cl.Consult)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, sl := range slots {
		if sl.ScheduleID != id(sc["id"]) || sl.Left == 0 {
			continue
		}
		rec, err := r.svc.Book(ctx, cl.Draft{Slot: sl.Ref(), Matter: cl.Consult, OpenID: openid, Name: "王阿姨",
			Phone: "13900000000", Description: secret})
		if err != nil {
			r.t.Fatalf("Book: %v", err)
		}
		if rec.Taken {
			continue
		}
		return rec.Booking
	}
	r.t.Fatalf("no free slot of schedule %v in %v", sc["id"], slots)
	return cl.Booking{}
}

func TestClinicNeedsAToken(t *testing.T) {
	r := newClinicRig(t, storagetest.Open(t))
	eps := []struct{ method, path string }{
		{"POST", "/api/v1/clinic/providers"}, {"GET", "/api/v1/clinic/providers"}, {"GET", "/api/v1/clinic/providers/1"},
		{"PATCH", "/api/v1/clinic/providers/1"}, {"POST", "/api/v1/clinic/schedules"}, {"GET", "/api/v1/clinic/schedules"},
		{"GET", "/api/v1/clinic/schedules/1"}, {"PATCH", "/api/v1/clinic/schedules/1"}, {"POST", "/api/v1/clinic/closures"},
		{"GET", "/api/v1/clinic/closures"}, {"PATCH", "/api/v1/clinic/closures/1"}, {"GET", "/api/v1/clinic/slots"},
		{"GET", "/api/v1/clinic/bookings"}, {"GET", "/api/v1/clinic/bookings/1"}, {"PATCH", "/api/v1/clinic/bookings/1"},
		{"GET", "/api/v1/clinic/bookings.csv"}, {"GET", "/api/v1/clinic/bookings.xlsx"}, {"GET", "/api/v1/clinic/aid"},
		{"GET", "/api/v1/clinic/aid/1"}, {"PATCH", "/api/v1/clinic/aid/1"}, {"GET", "/api/v1/clinic/expert"},
		{"GET", "/api/v1/clinic/expert/1"}, {"PATCH", "/api/v1/clinic/expert/1"}, {"GET", "/api/v1/clinic/nothing"},
	}
	for _, ep := range eps {
		for _, tok := range []string{"", "wrong-token-0123456789abcdef0123456", adminToken + "x"} {
			if code, h, _ := r.do(tok, ep.method, ep.path, "{}"); code != http.StatusUnauthorized || h.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s with token %q: %d, want 401 with WWW-Authenticate", ep.method, ep.path, tok, code)
			}
		}
	}
	// The clinic token opens the clinic, and nothing else of the admin API.
	for _, path := range []string{"/api/v1/status", "/api/v1/staff", "/api/v1/tickets", "/api/v1/notifications", "/api/v1/clinicx"} {
		if code, _, _ := r.do(clinicToken, "GET", path, nil); code != http.StatusUnauthorized {
			t.Errorf("GET %s with the clinic token: %d, want 401", path, code)
		}
	}
	r.as(clinicToken, 200, "GET", "/api/v1/clinic/providers", nil)
	r.as(adminToken, 200, "GET", "/api/v1/clinic/providers", nil)
	r.as(clinicToken, 404, "GET", "/api/v1/clinic/nothing", nil)
	if code, _, _ := r.do("", "GET", "/calendar/clinic.ics", nil); code != http.StatusOK {
		t.Errorf("clinic.ics without a token: %d, want 200 (it is public)", code)
	}
}

func TestClinicBadInput(t *testing.T) {
	r := newClinicRig(t, storagetest.Open(t))
	staff := id(r.admin(201, "POST", "/api/v1/staff", map[string]any{"name": "赵专干", "phone": "13900000005", "roles": []string{"clinic"}})["id"])
	r.admin(201, "POST", "/api/v1/buildings", map[string]any{"number": 3})
	pid := r.provider("李律师", cl.Lawyer, "维吾尔语")
	off := r.provider("钱法官", cl.Judge)
	r.admin(200, "PATCH", "/api/v1/clinic/providers/"+itoa(off), map[string]any{"active": false})
	sc := r.appointment(pid, 3)

	okSchedule := func(extra map[string]any) map[string]any {
		b := map[string]any{"mode": "appointment", "provider_ids": []int64{pid}, "date": r.date(4), "start": "09:00",
			"end": "11:00", "slot_minutes": 30, "capacity": 1, "location": "二楼", "matters": []string{"consult"}}
		for k, v := range extra {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	for _, tc := range []struct {
		method, path string
		body         any
		code         int
		field        string
	}{
		// Providers.
		{"POST", "/api/v1/clinic/providers", map[string]any{"kind": "lawyer", "phone": "1"}, 400, "name"},
		{"POST", "/api/v1/clinic/providers", map[string]any{"name": "甲", "phone": "1"}, 400, "kind"},
		{"POST", "/api/v1/clinic/providers", map[string]any{"name": "甲", "kind": "wizard", "phone": "1"}, 400, "kind"},
		{"POST", "/api/v1/clinic/providers", map[string]any{"name": "甲", "kind": "lawyer"}, 400, "phone"},
		{"POST", "/api/v1/clinic/providers", map[string]any{"name": "甲", "kind": "lawyer", "phone": "call me"}, 400, "phone"},
		{"POST", "/api/v1/clinic/providers", map[string]any{"name": "甲\r\n乙", "kind": "lawyer", "phone": "1"}, 400, "name"},
		{"POST", "/api/v1/clinic/providers", map[string]any{"name": "甲\x00", "kind": "lawyer", "phone": "1"}, 400, "name"},
		{"POST", "/api/v1/clinic/providers", map[string]any{"name": strings.Repeat("长", 51), "kind": "lawyer", "phone": "1"}, 400, "name"},
		{"POST", "/api/v1/clinic/providers", map[string]any{"name": "甲", "kind": "lawyer", "phone": "1", "staff_id": 999}, 400, "staff_id"},
		{"POST", "/api/v1/clinic/providers", map[string]any{"name": "甲", "kind": "lawyer", "phone": "1", "staff_id": "x"}, 400, "staff_id"},
		{"POST", "/api/v1/clinic/providers", map[string]any{"name": "甲", "kind": "lawyer", "phone": "1", "languages": []string{"藏语,蒙古语"}}, 400, "languages"},
		{"POST", "/api/v1/clinic/providers", map[string]any{"name": "甲", "kind": "lawyer", "phone": "1", "languages": []string{"藏语", "藏语"}}, 400, "languages"},
		{"POST", "/api/v1/clinic/providers", map[string]any{"name": "甲", "kind": "lawyer", "phone": "1", "id": 5}, 400, "id"},
		{"POST", "/api/v1/clinic/providers", "[]", 400, "body"},
		{"GET", "/api/v1/clinic/providers/abc", nil, 400, "id"},
		{"GET", "/api/v1/clinic/providers/0", nil, 400, "id"},
		{"GET", "/api/v1/clinic/providers/999", nil, 404, ""},
		{"PATCH", "/api/v1/clinic/providers/999", map[string]any{"name": "甲"}, 404, ""},
		{"PATCH", "/api/v1/clinic/providers/" + itoa(pid), map[string]any{}, 400, "body"},
		{"PATCH", "/api/v1/clinic/providers/" + itoa(pid), map[string]any{"kind": "king"}, 400, "kind"},
		// Schedules.
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"mode": nil}), 400, "mode"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"mode": "weekly"}), 400, "mode"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"start": nil}), 400, "start"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"start": "9:00"}), 400, "start"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"end": "25:00"}), 400, "end"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"end": "08:00"}), 400, "end"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"end": "09:00"}), 400, "end"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"date": nil}), 400, "weekdays"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"weekdays": []int{1, 3}}), 400, "date"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"date": nil, "weekdays": []int{0}}), 400, "weekdays"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"date": nil, "weekdays": []int{8}}), 400, "weekdays"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"date": nil, "weekdays": []int{2, 2}}), 400, "weekdays"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"date": "2026-02-30"}), 400, "date"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"date": "12/05/2026"}), 400, "date"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"date": r.date(-1)}), 400, "date"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"date": nil, "weekdays": []int{1}, "valid_from": "2026-13-01"}), 400, "valid_from"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"date": nil, "weekdays": []int{1}, "valid_from": r.date(9), "valid_to": r.date(2)}), 400, "valid_to"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"slot_minutes": -5}), 400, "slot_minutes"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"slot_minutes": 481}), 400, "slot_minutes"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"slot_minutes": 0}), 400, "slot_minutes"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"slot_minutes": 180}), 400, "slot_minutes"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"slot_minutes": 1.5}), 400, "slot_minutes"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"capacity": 0}), 400, "capacity"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"capacity": 101}), 400, "capacity"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"capacity": -1}), 400, "capacity"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"location": ""}), 400, "location"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"location": "二\r楼"}), 400, "location"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"matters": nil}), 400, "matters"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"matters": []string{}}), 400, "matters"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"matters": []string{"divorce"}}), 400, "matters"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"matters": []string{"aid", "aid"}}), 400, "matters"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"provider_ids": []int64{}}), 400, "provider_ids"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"provider_ids": []int64{999}}), 400, "provider_ids"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"provider_ids": []int64{off}}), 400, "provider_ids"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"provider_ids": []int64{pid, pid}}), 400, "provider_ids"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"building": "3"}), 400, "building"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"mode": "patrol"}), 400, "building"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"mode": "patrol", "building": "9号楼"}), 400, "building"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"mode": "free_clinic", "date": nil, "weekdays": []int{6}}), 400, "date"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"mode": "free_clinic", "slot_minutes": 0, "capacity": 0}), 400, "capacity"},
		{"POST", "/api/v1/clinic/schedules", okSchedule(map[string]any{"activity_id": 1}), 400, "activity_id"},
		{"GET", "/api/v1/clinic/schedules/999", nil, 404, ""},
		{"PATCH", "/api/v1/clinic/schedules/" + itoa(id(sc["id"])), map[string]any{"mode": "daily"}, 400, "mode"},
		{"PATCH", "/api/v1/clinic/schedules/" + itoa(id(sc["id"])), map[string]any{}, 400, "body"},
		{"PATCH", "/api/v1/clinic/schedules/" + itoa(id(sc["id"])), map[string]any{"end": "08:00"}, 400, "end"},
		{"PATCH", "/api/v1/clinic/schedules/999", map[string]any{"location": "三楼"}, 404, ""},
		// Closures.
		{"POST", "/api/v1/clinic/closures", map[string]any{"reason": "培训"}, 400, "date"},
		{"POST", "/api/v1/clinic/closures", map[string]any{"date": "2026-04-31", "reason": "培训"}, 400, "date"},
		{"POST", "/api/v1/clinic/closures", map[string]any{"date": r.date(-2), "reason": "培训"}, 400, "date"},
		{"POST", "/api/v1/clinic/closures", map[string]any{"date": r.date(5)}, 400, "reason"},
		{"POST", "/api/v1/clinic/closures", map[string]any{"date": r.date(5), "reason": " "}, 400, "reason"},
		{"POST", "/api/v1/clinic/closures", map[string]any{"date": r.date(5), "reason": "a\nb"}, 400, "reason"},
		{"POST", "/api/v1/clinic/closures", map[string]any{"date": r.date(5), "reason": "培训", "provider_id": 999}, 400, "provider_id"},
		{"GET", "/api/v1/clinic/closures?from=tomorrow", nil, 400, "from"},
		{"GET", "/api/v1/clinic/closures?from=2026-12-09&to=2026-12-01", nil, 400, "to"},
		{"PATCH", "/api/v1/clinic/closures/999", map[string]any{"reason": "x"}, 404, ""},
		{"PATCH", "/api/v1/clinic/closures/1", map[string]any{}, 400, "reason"},
		// Slots.
		{"GET", "/api/v1/clinic/slots?matter=divorce", nil, 400, "matter"},
		{"GET", "/api/v1/clinic/slots?from=x", nil, 400, "from"},
		{"GET", "/api/v1/clinic/slots?to=2026-1-1", nil, 400, "to"},
		{"GET", "/api/v1/clinic/slots?from=2026-01-01&to=2026-12-31", nil, 400, "to"},
		// Bookings.
		{"GET", "/api/v1/clinic/bookings?date=today", nil, 400, "date"},
		{"GET", "/api/v1/clinic/bookings?status=gone", nil, 400, "status"},
		{"GET", "/api/v1/clinic/bookings.csv?status=gone", nil, 400, "status"},
		{"GET", "/api/v1/clinic/bookings.xlsx?date=1", nil, 400, "date"},
		{"GET", "/api/v1/clinic/bookings/999", nil, 404, ""},
		{"GET", "/api/v1/clinic/bookings/x", nil, 400, "id"},
		{"PATCH", "/api/v1/clinic/bookings/999", map[string]any{"status": "attended"}, 404, ""},
		{"PATCH", "/api/v1/clinic/bookings/1", map[string]any{}, 400, "body"},
		{"PATCH", "/api/v1/clinic/bookings/1", map[string]any{"status": "done"}, 400, "status"},
		{"PATCH", "/api/v1/clinic/bookings/1", map[string]any{"description": "x"}, 400, "description"},
		// Aid and expert.
		{"GET", "/api/v1/clinic/aid?status=open", nil, 400, "status"},
		{"GET", "/api/v1/clinic/aid/999", nil, 404, ""},
		{"PATCH", "/api/v1/clinic/aid/999", map[string]any{"status": "reviewing"}, 404, ""},
		{"PATCH", "/api/v1/clinic/aid/1", map[string]any{"status": "granted"}, 400, "status"},
		{"PATCH", "/api/v1/clinic/aid/1", map[string]any{}, 400, "body"},
		{"GET", "/api/v1/clinic/expert?status=open", nil, 400, "status"},
		{"GET", "/api/v1/clinic/expert/999", nil, 404, ""},
		{"PATCH", "/api/v1/clinic/expert/999", map[string]any{"status": "declined", "note": "x"}, 404, ""},
		{"PATCH", "/api/v1/clinic/expert/1", map[string]any{"status": "scheduled", "at": "tomorrow"}, 400, "at"},
		{"PATCH", "/api/v1/clinic/expert/1", map[string]any{"status": "maybe"}, 400, "status"},
	} {
		code, _, raw := r.do(adminToken, tc.method, tc.path, tc.body)
		var out map[string]any
		_ = json.Unmarshal(raw, &out)
		msg := errMessage(out)
		if code != tc.code || (tc.field != "" && !strings.HasPrefix(msg, tc.field+":")) {
			t.Errorf("%s %s %v: %d %q, want %d naming %q", tc.method, tc.path, tc.body, code, msg, tc.code, tc.field)
		}
	}
	_ = staff
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// privateEverywhere fails when body shows the secret description.
func privateEverywhere(t *testing.T, what, body string) {
	t.Helper()
	if strings.Contains(body, secret) {
		t.Errorf("%s shows the matter description: %s", what, body)
	}
}

func TestClinicThroughTheAdminAPI(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newClinicRig(t, s)
		staff := id(r.admin(201, "POST", "/api/v1/staff", map[string]any{"name": "赵专干", "phone": "13900000005", "roles": []string{"clinic"}})["id"])
		p := r.admin(201, "POST", "/api/v1/clinic/providers", map[string]any{"name": " 李律师 ", "kind": "lawyer",
			"phone": "13800000001", "staff_id": staff, "languages": []string{"维吾尔语"}})
		pid := id(p["id"])
		if p["name"] != "李律师" || p["kind"] != "lawyer" || id(p["staff_id"]) != staff || p["active"] != true ||
			!strings.HasSuffix(p["created_at"].(string), "+08:00") {
			t.Fatalf("created provider: %v", p)
		}
		if got := r.admin(200, "GET", "/api/v1/clinic/providers/"+itoa(pid), nil); got["phone"] != "13800000001" {
			t.Errorf("GET provider: %v", got)
		}
		if got := r.admin(200, "PATCH", "/api/v1/clinic/providers/"+itoa(pid), map[string]any{"phone": "0937-6220001"}); got["phone"] != "0937-6220001" || got["name"] != "李律师" {
			t.Errorf("PATCH provider: %v", got)
		}
		if list := r.admin(200, "GET", "/api/v1/clinic/providers", nil)["providers"].([]any); len(list) != 1 {
			t.Errorf("providers: %v", list)
		}

		sc := r.appointment(pid, 3)
		sid := id(sc["id"])
		if sc["mode"] != "appointment" || sc["date"] != r.date(3) || id(sc["slot_minutes"]) != 30 || sc["active"] != true {
			t.Fatalf("created schedule: %v", sc)
		}
		if list := r.admin(200, "GET", "/api/v1/clinic/schedules", nil)["schedules"].([]any); len(list) != 1 {
			t.Errorf("schedules: %v", list)
		}
		from := r.date(3)
		slots := r.admin(200, "GET", "/api/v1/clinic/slots?from="+from+"&to="+from+"&matter=consult", nil)["slots"].([]any)
		if len(slots) != 2 {
			t.Fatalf("slots: %v", slots)
		}
		first := slots[0].(map[string]any)
		if !strings.HasSuffix(first["start"].(string), "T09:00:00+08:00") || !strings.HasSuffix(first["end"].(string), "T09:30:00+08:00") ||
			first["mode"] != "appointment" || first["location"] != "社区服务中心二楼" || id(first["left"]) != 1 {
			t.Errorf("first slot: %v", first)
		}

		b := r.book(sc, "o-wang")
		bid := itoa(b.ID)
		if got := r.admin(200, "GET", "/api/v1/clinic/slots?from="+from+"&to="+from, nil)["slots"].([]any); id(got[0].(map[string]any)["left"]) != 0 {
			t.Errorf("slots after a booking: %v", got)
		}

		// Lists and exports never show the description, whoever asks; the
		// booking itself shows it to clinic staff only.
		for _, tok := range []string{adminToken, clinicToken} {
			out, raw := r.as(tok, 200, "GET", "/api/v1/clinic/bookings?date="+from, nil)
			privateEverywhere(t, "the bookings list", raw)
			list := out["bookings"].([]any)
			if len(list) != 1 || list[0].(map[string]any)["code"] != b.Code || list[0].(map[string]any)["name"] != "王阿姨" {
				t.Errorf("bookings: %v", list)
			}
			if _, has := list[0].(map[string]any)["openid"]; has {
				t.Errorf("the bookings list shows the openid: %v", list[0])
			}
			for _, ext := range []string{"csv", "xlsx"} {
				code, h, body := r.do(tok, "GET", "/api/v1/clinic/bookings."+ext+"?date="+from, nil)
				if code != 200 || !strings.Contains(h.Get("Content-Disposition"), "clinic-bookings-") {
					t.Fatalf("bookings.%s: %d %v", ext, code, h)
				}
				text := string(body)
				if ext == "xlsx" {
					text = xlsxText(t, body)
				}
				privateEverywhere(t, "bookings."+ext, text)
				if !strings.Contains(text, b.Code) || !strings.Contains(text, "王阿姨") || !strings.Contains(text, "法律咨询") {
					t.Errorf("bookings.%s lacks the booking: %s", ext, text)
				}
			}
		}
		out, raw := r.as(adminToken, 200, "GET", "/api/v1/clinic/bookings/"+bid, nil)
		privateEverywhere(t, "the booking as the admin reads it", raw)
		if _, has := out["description"]; has || out["code"] != b.Code {
			t.Errorf("booking as admin: %v", out)
		}
		out, _ = r.as(clinicToken, 200, "GET", "/api/v1/clinic/bookings/"+bid, nil)
		if out["description"] != secret || out["status"] != "booked" {
			t.Errorf("booking as clinic staff: %v", out)
		}

		// Staff mark, note and cancel; a cancelled booking frees its seat
		// and stays cancelled.
		out, raw = r.as(adminToken, 200, "PATCH", "/api/v1/clinic/bookings/"+bid, map[string]any{"note": "已电话确认"})
		privateEverywhere(t, "the patched booking as the admin reads it", raw)
		if out["note"] != "已电话确认" {
			t.Errorf("noted: %v", out)
		}
		out, _ = r.as(clinicToken, 200, "PATCH", "/api/v1/clinic/bookings/"+bid, map[string]any{"status": "cancelled"})
		if out["status"] != "cancelled" || out["description"] != secret {
			t.Errorf("cancelled: %v", out)
		}
		if got := r.admin(200, "GET", "/api/v1/clinic/slots?from="+from+"&to="+from, nil)["slots"].([]any); id(got[0].(map[string]any)["left"]) != 1 {
			t.Errorf("the cancelled booking's seat was not freed: %v", got)
		}
		if out := r.admin(409, "PATCH", "/api/v1/clinic/bookings/"+bid, map[string]any{"status": "attended"}); !strings.HasPrefix(errMessage(out), "status:") {
			t.Errorf("a cancelled booking attended: %v", out)
		}
		tl := r.admin(200, "GET", "/api/v1/clinic/bookings/"+bid, nil)["timeline"].([]any)
		var actions []string
		for _, e := range tl {
			actions = append(actions, e.(map[string]any)["action"].(string))
		}
		if got := strings.Join(actions, ","); !strings.Contains(got, "note,status") {
			t.Errorf("timeline actions: %s", got)
		}
		if list := r.admin(200, "GET", "/api/v1/clinic/bookings?status=cancelled", nil)["bookings"].([]any); len(list) != 1 {
			t.Errorf("cancelled bookings: %v", list)
		}
		b2 := r.book(sc, "o-li")
		r.admin(200, "PATCH", "/api/v1/clinic/bookings/"+itoa(b2.ID), map[string]any{"status": "attended"})
		if got := r.admin(200, "PATCH", "/api/v1/clinic/bookings/"+itoa(b2.ID), map[string]any{"status": "no_show"}); got["status"] != "no_show" {
			t.Errorf("attended corrected to no_show: %v", got)
		}

		// A schedule edit that removes a booked slot tells its resident
		// (once); the booking stands.
		b3 := r.book(sc, "o-zhao")
		// b3 holds 09:30; the no-show b2 09:00 (no longer booked, so
		// nobody to tell).
		if ch := r.admin(200, "PATCH", "/api/v1/clinic/schedules/"+itoa(sid), map[string]any{"start": "09:30"}); id(ch["told"]) != 0 {
			t.Errorf("told after a change that kept every booked slot: %v", ch)
		}
		ch := r.admin(200, "PATCH", "/api/v1/clinic/schedules/"+itoa(sid), map[string]any{"start": "10:00", "end": "11:00"})
		if got := ch["schedule"].(map[string]any); got["start"] != "10:00" || id(ch["told"]) != 1 {
			t.Errorf("patched schedule: %v", ch)
		}
		if ch := r.admin(200, "PATCH", "/api/v1/clinic/schedules/"+itoa(sid), map[string]any{"location": "三楼"}); id(ch["told"]) != 0 {
			t.Errorf("a resident told twice their slot went: %v", ch)
		}
		booked, _, err := r.svc.Booking(context.Background(), b3.ID)
		if err != nil || booked.Status != cl.Booked {
			t.Errorf("the booking whose slot went: %v %v, want it to stand", booked.Status, err)
		}
		tl = r.admin(200, "GET", "/api/v1/clinic/bookings/"+itoa(b3.ID), nil)["timeline"].([]any)
		gone := 0
		for _, e := range tl {
			if e.(map[string]any)["action"] == "slot_gone" {
				gone++
			}
		}
		if gone != 1 {
			t.Errorf("booking %d told %d times its slot went, want once: %v", b3.ID, gone, tl)
		}

		// A closure tells every resident booked that day.
		sc2 := r.appointment(pid, 5)
		r.book(sc2, "o-sun")
		cd := r.admin(201, "POST", "/api/v1/clinic/closures", map[string]any{"date": r.date(5), "reason": "律师出庭"})
		if id(cd["told"]) != 1 || cd["closure"].(map[string]any)["reason"] != "律师出庭" {
			t.Errorf("closure: %v", cd)
		}
		cid := itoa(id(cd["closure"].(map[string]any)["id"]))
		if got := r.admin(200, "PATCH", "/api/v1/clinic/closures/"+cid, map[string]any{"reason": "律师出庭（改期）"}); got["reason"] != "律师出庭（改期）" {
			t.Errorf("patched closure: %v", got)
		}
		if list := r.admin(200, "GET", "/api/v1/clinic/closures?from="+r.date(5)+"&to="+r.date(5), nil)["closures"].([]any); len(list) != 1 {
			t.Errorf("closures: %v", list)
		}
		if list := r.admin(200, "GET", "/api/v1/clinic/slots?from="+r.date(5)+"&to="+r.date(5), nil)["slots"].([]any); len(list) != 0 {
			t.Errorf("slots of a closed day: %v", list)
		}
		privateEverywhere(t, "the log", r.logs.String())
	})
}

func TestClinicAidAndExpert(t *testing.T) {
	r := newClinicRig(t, storagetest.Open(t))
	ctx := context.Background()
	pid := r.provider("周法官", cl.Judge)
	a, err := r.svc.ApplyAid(ctx, cl.AidApplication{OpenID: "o-aid", Name: "马师傅", Phone: "13900000001",
		Answers: &cl.AidAnswers{CaseKind: "讨薪", Hardship: true}, Description: secret}, "")
	if err != nil {
		t.Fatal(err)
	}
	aid := "/api/v1/clinic/aid/" + itoa(a.ID)
	for _, tok := range []string{adminToken, clinicToken} {
		out, raw := r.as(tok, 200, "GET", "/api/v1/clinic/aid?status=received", nil)
		privateEverywhere(t, "the aid list", raw)
		if strings.Contains(raw, "讨薪") || len(out["applications"].([]any)) != 1 {
			t.Errorf("aid list: %s", raw)
		}
	}
	_, raw := r.as(adminToken, 200, "GET", aid, nil)
	if strings.Contains(raw, "讨薪") || strings.Contains(raw, "hardship") {
		t.Errorf("the admin reads the aid answers: %s", raw)
	}
	privateEverywhere(t, "the aid application as the admin reads it", raw)
	out, _ := r.as(clinicToken, 200, "GET", aid, nil)
	if ans, _ := out["answers"].(map[string]any); ans["case_kind"] != "讨薪" || ans["hardship"] != true || out["description"] != secret {
		t.Errorf("aid as clinic staff: %v", out)
	}
	// received → reviewing → approved | declined, no skipping, no way back.
	if out, _ := r.as(adminToken, 409, "PATCH", aid, map[string]any{"status": "approved"}); !strings.HasPrefix(errMessage(out), "status:") {
		t.Errorf("skipping review: %v", out)
	}
	if out, _ := r.as(adminToken, 200, "PATCH", aid, map[string]any{"status": "reviewing"}); out["status"] != "reviewing" {
		t.Errorf("reviewing: %v", out)
	}
	if out, _ := r.as(adminToken, 400, "PATCH", aid, map[string]any{"status": "declined"}); !strings.HasPrefix(errMessage(out), "note:") {
		t.Errorf("declined without a reason: %v", out)
	}
	if out, _ := r.as(adminToken, 400, "PATCH", aid, map[string]any{"note": strings.Repeat("长", 501)}); !strings.HasPrefix(errMessage(out), "note:") {
		t.Errorf("a long note: %v", out)
	}
	out, raw = r.as(adminToken, 200, "PATCH", aid, map[string]any{"status": "approved", "note": "指派李律师"})
	privateEverywhere(t, "the patched aid as the admin reads it", raw)
	if out["status"] != "approved" || out["note"] != "指派李律师" {
		t.Errorf("approved: %v", out)
	}
	if out, _ := r.as(adminToken, 409, "PATCH", aid, map[string]any{"status": "reviewing"}); !strings.HasPrefix(errMessage(out), "status:") {
		t.Errorf("back from approved: %v", out)
	}
	tl := r.admin(200, "GET", aid, nil)["timeline"].([]any)
	if len(tl) < 2 {
		t.Errorf("aid timeline: %v", tl)
	}

	e, err := r.svc.RequestExpert(ctx, cl.ExpertRequest{OpenID: "o-ex", Name: "古丽", Phone: "13900000002",
		Matter: cl.Mediation, Description: secret}, "")
	if err != nil {
		t.Fatal(err)
	}
	ex := "/api/v1/clinic/expert/" + itoa(e.ID)
	_, raw = r.as(adminToken, 200, "GET", "/api/v1/clinic/expert?status=requested", nil)
	privateEverywhere(t, "the expert list", raw)
	_, raw = r.as(adminToken, 200, "GET", ex, nil)
	privateEverywhere(t, "the expert request as the admin reads it", raw)
	if out, _ := r.as(clinicToken, 200, "GET", ex, nil); out["description"] != secret {
		t.Errorf("expert as clinic staff: %v", out)
	}
	at := r.clock.Now().Add(72 * time.Hour).In(bot.Shanghai).Truncate(time.Minute).Format(time.RFC3339)
	past := r.clock.Now().Add(-time.Hour).Format(time.RFC3339)
	for _, tc := range []struct {
		body  map[string]any
		code  int
		field string
	}{
		{map[string]any{"status": "scheduled", "location": "调解室", "provider_ids": []int64{pid}}, 400, "at"},
		{map[string]any{"status": "scheduled", "at": past, "location": "调解室", "provider_ids": []int64{pid}}, 400, "at"},
		{map[string]any{"status": "scheduled", "at": at, "provider_ids": []int64{pid}}, 400, "location"},
		{map[string]any{"status": "scheduled", "at": at, "location": "调解室"}, 400, "provider_ids"},
		{map[string]any{"status": "scheduled", "at": at, "location": "调解室", "provider_ids": []int64{999}}, 400, "provider_ids"},
		{map[string]any{"at": at, "location": "调解室", "provider_ids": []int64{pid}}, 400, "status"},
		{map[string]any{"status": "declined"}, 400, "note"},
	} {
		code, _, body := r.do(adminToken, "PATCH", ex, tc.body)
		var o map[string]any
		_ = json.Unmarshal(body, &o)
		if code != tc.code || !strings.HasPrefix(errMessage(o), tc.field+":") {
			t.Errorf("PATCH expert %v: %d %s, want %d naming %s", tc.body, code, body, tc.code, tc.field)
		}
	}
	out, raw = r.as(adminToken, 200, "PATCH", ex, map[string]any{"status": "scheduled", "at": at, "location": "调解室", "provider_ids": []int64{pid}})
	privateEverywhere(t, "the scheduled expert request as the admin reads it", raw)
	if out["status"] != "scheduled" || out["location"] != "调解室" || !strings.HasSuffix(out["at"].(string), "+08:00") {
		t.Errorf("scheduled: %v", out)
	}
	if out, _ := r.as(adminToken, 200, "PATCH", ex, map[string]any{"status": "declined", "note": "当事人撤回"}); out["status"] != "declined" {
		t.Errorf("declined: %v", out)
	}
	if out, _ := r.as(adminToken, 409, "PATCH", ex, map[string]any{"status": "scheduled", "at": at, "location": "调解室", "provider_ids": []int64{pid}}); !strings.HasPrefix(errMessage(out), "status:") {
		t.Errorf("re-scheduling a declined request: %v", out)
	}
	privateEverywhere(t, "the log", r.logs.String())
}

func TestClinicFreeClinicAndPatrol(t *testing.T) {
	r := newClinicRig(t, storagetest.Open(t))
	pid := r.provider("吴民警", cl.Police)
	r.admin(201, "POST", "/api/v1/buildings", map[string]any{"number": 3})
	ch := r.admin(201, "POST", "/api/v1/clinic/schedules", map[string]any{
		"mode": "free_clinic", "provider_ids": []int64{pid}, "date": r.date(6), "start": "09:00", "end": "11:30",
		"capacity": 80, "location": "社区广场", "matters": []string{"consult", "mediation"},
	})
	sc := ch["schedule"].(map[string]any)
	aid := id(sc["activity_id"])
	if aid == 0 {
		t.Fatalf("a free clinic without its activity: %v", sc)
	}
	a, err := r.acts.Activity(context.Background(), aid)
	if err != nil || a.Title != "集中义诊·社区广场" || a.Capacity != 80 || a.Location != "社区广场" ||
		a.StartsAt.In(bot.Shanghai).Format("2006-01-02 15:04") != r.date(6)+" 09:00" {
		t.Errorf("the free clinic's activity: %+v %v", a, err)
	}
	if out := r.admin(400, "PATCH", "/api/v1/clinic/schedules/"+itoa(id(sc["id"])), map[string]any{"capacity": 100}); !strings.HasPrefix(errMessage(out), "capacity:") {
		t.Errorf("changing a free clinic's capacity here: %v", out)
	}
	r.admin(200, "PATCH", "/api/v1/clinic/schedules/"+itoa(id(sc["id"])), map[string]any{"active": false})
	if a, _ := r.acts.Activity(context.Background(), aid); a.Status != "cancelled" {
		t.Errorf("the ended free clinic's activity: %v, want cancelled", a.Status)
	}

	p := r.admin(201, "POST", "/api/v1/clinic/schedules", map[string]any{
		"mode": "patrol", "provider_ids": []int64{pid}, "weekdays": []int{2}, "start": "14:30", "end": "16:30",
		"slot_minutes": 30, "capacity": 2, "building": "3号楼", "matters": []string{"consult"},
	})["schedule"].(map[string]any)
	if p["building"] != "3号楼" || p["location"] != "3号楼" {
		t.Errorf("patrol schedule: %v", p)
	}
}

func TestClinicCalendar(t *testing.T) {
	r := newClinicRig(t, storagetest.Open(t))
	pid := r.provider("郑调解员", cl.Mediator)
	r.admin(201, "POST", "/api/v1/clinic/schedules", map[string]any{
		"mode": "daily", "provider_ids": []int64{pid}, "date": r.date(2), "start": "09:00", "end": "11:30",
		"location": "社区服务中心一楼", "matters": []string{"consult", "mediation"},
	})
	sc := r.appointment(pid, 3)
	r.book(sc, "o-cal")
	code, h, body := r.do("", "GET", "/calendar/clinic.ics", nil)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/calendar") {
		t.Fatalf("clinic.ics: %d %v", code, h)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse clinic.ics: %v\n%s", err, body)
	}
	var summaries []string
	for _, e := range cal.Events() {
		summaries = append(summaries, e.GetProperty(ics.ComponentPropertySummary).Value)
	}
	text := string(body)
	if len(cal.Events()) != 2 || !strings.Contains(strings.Join(summaries, ","), "日常坐诊") ||
		!strings.Contains(text, "社区服务中心一楼") || !strings.Contains(text, "郑调解员") || !strings.Contains(text, "12348") {
		t.Errorf("clinic.ics events %v:\n%s", summaries, text)
	}
	privateEverywhere(t, "clinic.ics", text)
	if strings.Contains(text, "王阿姨") || strings.Contains(text, "13900000000") {
		t.Errorf("clinic.ics shows who booked:\n%s", text)
	}
}

// xlsxText is every cell of the workbook's first sheet, tab-joined.
func xlsxText(t *testing.T, body []byte) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, row := range rows {
		b.WriteString(strings.Join(row, "\t") + "\n")
	}
	return b.String()
}

func TestClinicTokenUnset(t *testing.T) {
	store := storagetest.Open(t)
	svc := clinic.New(store, nil, clinic.Config{})
	s := &handlers.Server{Webhook: &handlers.Webhook{}, Metrics: handlers.NewMetrics(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AdminToken: adminToken, Clinic: svc, Started: time.Now()}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		header string
		want   int
	}{{"Bearer ", 401}, {"Bearer", 401}, {"Bearer " + clinicToken, 401}, {adminToken, 401}, {"Bearer " + adminToken, 200}} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/clinic/providers", nil)
		req.Header.Set("Authorization", tc.header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Authorization %q with no clinic token configured: %d, want %d", tc.header, resp.StatusCode, tc.want)
		}
	}
}

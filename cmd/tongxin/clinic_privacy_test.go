package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
)

// clinicToken is the clinic staff's token of the admin API: the one that
// reads descriptions.
const clinicToken = "e2e-clinic-0123456789abcdef01234567"

// getAs fetches path from base with a bearer token and returns the status
// and the body.
func getAs(t *testing.T, base, token, path string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// unzipped is the text of every file of an .xlsx workbook: its strings
// are compressed, so the raw bytes would hide them from a grep.
func unzipped(t *testing.T, raw []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("the xlsx export is no workbook: %v", err)
	}
	var b strings.Builder
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(&b, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	return b.String()
}

// TestClinicPrivacyEndToEnd books a 法律援助 through the real webhook,
// with a provider linked to staff who gets the booking's push, and then
// looks for the matter's description and the aid answer everywhere they
// must not be: every line the server logged (at debug level), /metrics,
// the admin API's booking and aid lists, a booking and an application
// read with the admin token, the CSV and XLSX exports, the notification
// ledger's list, the WeCom group robot and Open311. As a control, it is
// where it must be: the provider's 1:1 push, and the booking read with
// the clinic staff's token.
func TestClinicPrivacyEndToEnd(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		r := newRaceRig(t, dbURL, 0)
		// Anything logged past the server's logger (the default slog
		// logger, the log package) is caught too.
		prev := slog.Default()
		slog.SetDefault(slog.New(slog.NewTextHandler(&r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
		t.Cleanup(func() { slog.SetDefault(prev) })
		r.env.vars["TONGXIN_CLINIC_TOKEN"] = clinicToken
		sim := r.env.sim(r.startLogged(t), wechat.ModeSafe)
		r.sims = append(r.sims, sim)
		base := strings.TrimSuffix(sim.URL, "/wechat")
		ctx := context.Background()
		run := fmt.Sprintf("%08x", rand.Uint32())
		description := "机密" + run + "：老板拖欠我三个月工资还威胁我"
		const aidKind = "讨薪/劳动争议"

		staffOpenID := "o-lawyer-" + run
		staffID, err := r.store.InsertStaff(ctx, community.Staff{Name: "王律师", OpenID: staffOpenID, Roles: []community.Role{community.RoleClinic}}, "", time.Now(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		status, p := admin(t, base, "POST", "/api/v1/clinic/providers", map[string]any{
			"name": "王律师", "kind": "lawyer", "phone": "13800001111", "staff_id": staffID})
		if status != http.StatusCreated && status != http.StatusOK {
			t.Fatalf("creating the provider: %d %v", status, p)
		}
		providerID := p["id"]
		day := clinicDay()
		status, sc := admin(t, base, "POST", "/api/v1/clinic/schedules", map[string]any{
			"mode": "appointment", "provider_ids": []any{providerID}, "date": day.Format(cl.DateLayout),
			"start": "09:00", "end": "10:00", "slot_minutes": 30, "capacity": 1, "location": "社区服务中心二楼法律诊所",
			"matters": []string{"consult", "aid"}})
		if status != http.StatusCreated && status != http.StatusOK {
			t.Fatalf("creating the schedule: %d %v", status, sc)
		}

		p0 := &resident{i: 0, openid: "o-clinic-priv-" + run, name: "马秀兰", phone: "13912345678",
			rnd: rand.New(rand.NewPCG(1, 2)), sims: r.sims, rig: r}
		reply, err := p0.send(ctx, wechat.SimMessage{Text: "法律援助"}, false)
		if err != nil {
			t.Fatal(err)
		}
		var code string
		for range 12 {
			var answer string
			switch {
			case strings.Contains(reply, "预约成功"):
				if m := clinicCodeRe.FindStringSubmatch(reply); m != nil {
					code = m[1]
				}
			case strings.Contains(reply, "1 确认"):
				answer = "1"
			case strings.Contains(reply, "什么类型"):
				answer = "1" // 讨薪/劳动争议
			case strings.Contains(reply, "经济是否困难"):
				answer = "1"
			case strings.Contains(reply, "起诉"):
				answer = "2"
			case strings.Contains(reply, "可预约的时段"):
				answer = "1"
			case strings.Contains(reply, "是什么事"):
				answer = description
			case strings.Contains(reply, "翻译"):
				answer = "0"
			case nameRe.MatchString(reply):
				answer = p0.name
			case phoneRe.MatchString(reply):
				answer = p0.phone
			default:
				t.Fatalf("unexpected reply %q\n%s", reply, strings.Join(p0.script, "\n"))
			}
			if code != "" {
				break
			}
			if reply, err = p0.send(ctx, wechat.SimMessage{Text: answer}, false); err != nil {
				t.Fatal(err)
			}
		}
		if code == "" {
			t.Fatalf("not booked:\n%s", strings.Join(p0.script, "\n"))
		}

		// The provider's 1:1 push carries the description (the control),
		// and the resident hears the aid application was received.
		if push := pushes(t, r.env.fake, staffOpenID, "新预约"); !strings.Contains(push, description) {
			t.Errorf("the provider's push lacks the description: %q", push)
		}
		pushes(t, r.env.fake, p0.openid, "法律援助申请")
		bookings, err := r.store.ResidentClinicBookings(ctx, p0.openid, "", time.Time{})
		if err != nil || len(bookings) != 1 || bookings[0].Code != code || bookings[0].AidID == 0 {
			t.Fatalf("bookings %+v, %v", bookings, err)
		}
		b := bookings[0]
		if _, body := getAs(t, base, clinicToken, fmt.Sprintf("/api/v1/clinic/bookings/%d", b.ID)); !strings.Contains(string(body), description) {
			t.Errorf("clinic staff do not read the description: %s", body)
		}

		secrets := []string{description, run + "：", aidKind}
		look := func(where, text string) {
			t.Helper()
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("%s holds %q", where, s)
				}
			}
		}
		date := b.Start.In(bot.Shanghai).Format(cl.DateLayout)
		for _, path := range []string{
			"/api/v1/clinic/bookings?date=" + date,
			"/api/v1/clinic/bookings",
			fmt.Sprintf("/api/v1/clinic/bookings/%d", b.ID),
			"/api/v1/clinic/bookings.csv?date=" + date,
			"/api/v1/clinic/aid",
			fmt.Sprintf("/api/v1/clinic/aid/%d", b.AidID),
			"/api/v1/clinic/expert",
			"/api/v1/notifications",
			"/api/v1/tickets",
		} {
			status, body := getAs(t, base, adminToken, path)
			if status != http.StatusOK {
				t.Errorf("GET %s with the admin token: %d %s", path, status, body)
			}
			look("GET "+path+" (admin)", string(body))
		}
		status, xlsx := getAs(t, base, adminToken, "/api/v1/clinic/bookings.xlsx?date="+date)
		if status != http.StatusOK {
			t.Errorf("the xlsx export: %d", status)
		} else {
			look("the xlsx export", unzipped(t, xlsx))
		}
		for _, path := range []string{"/metrics", "/open311/v2/requests.json", "/calendar/clinic.ics"} {
			_, body := getAs(t, base, "", path)
			look("GET "+path, string(body))
		}
		look("the group robot", strings.Join(r.env.robot.got(), "\n"))
		for _, c := range r.env.fake.CustomTexts() {
			if c.ToUser != staffOpenID && c.ToUser != p0.openid {
				look("a push to "+c.ToUser, c.Content)
			}
		}

		// The logs last: everything above was logged by now. Wait for the
		// outbox to have delivered (its log lines included).
		bottest.WaitFor(t, 30*time.Second, "the pushes delivered", func() bool {
			return strings.Contains(r.logs.String(), "message answered")
		})
		logs := r.logs.String()
		if n := strings.Count(logs, "message answered"); n < 8 {
			t.Errorf("the server's log has %d answered messages: it was not captured", n)
		}
		look("the server's log", logs)

		// Erasing her (the clinic's privacy hook, wired in privacyHooks)
		// cancels her booking to come, freeing the seat, and blanks it.
		if status, body := admin(t, base, "DELETE", "/api/v1/residents/"+p0.openid, nil); status != http.StatusOK {
			t.Fatalf("erasing her: %d %v", status, body)
		}
		after, err := r.store.ClinicBooking(ctx, b.ID)
		if err != nil || after.Status != cl.Cancelled || after.OpenID != "" || after.Name != "" || after.Description != "" || after.Matter != cl.Aid {
			t.Errorf("her booking after erasure: %+v, %v", after, err)
		}
		var taken int
		if err := r.store.DB().Get(&taken, r.store.DB().Rebind(`SELECT taken FROM clinic_slots WHERE schedule_id = ? AND starts_at = ?`),
			b.ScheduleID, b.Start); err != nil || taken != 0 {
			t.Errorf("her seat after erasure: %d taken, %v", taken, err)
		}
	})
}

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
)

// TestClinicClosureRebookEndToEnd: a resident books through the webhook;
// staff close that day (停诊) through the admin API; the resident is
// pushed why, with the next free slots numbered, and a bare "1" (the
// push's question, cl.QuestionClosed) opens 改约 at the first of them,
// which they confirm: the old booking is cancelled and the new one holds
// the slot offered.
func TestClinicClosureRebookEndToEnd(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		r := newRaceRig(t, dbURL, 1)
		base := strings.TrimSuffix(r.sims[0].URL, "/wechat")
		ctx := context.Background()
		day := clinicDay()
		next := day.AddDate(0, 0, 1)
		status, provider := admin(t, base, "POST", "/api/v1/clinic/providers", map[string]any{"name": "张法官", "kind": "judge", "phone": "13800002222"})
		if status != http.StatusCreated && status != http.StatusOK {
			t.Fatalf("creating the provider: %d %v", status, provider)
		}
		for _, d := range []time.Time{day, next} {
			status, body := admin(t, base, "POST", "/api/v1/clinic/schedules", map[string]any{
				"mode": "appointment", "provider_ids": []any{provider["id"]}, "date": d.Format(cl.DateLayout),
				"start": "09:00", "end": "10:30", "slot_minutes": 30, "capacity": 1, "location": "社区服务中心二楼法律诊所",
				"matters": []string{"consult"}})
			if status != http.StatusCreated && status != http.StatusOK {
				t.Fatalf("creating the schedule of %v: %d %v", d, status, body)
			}
		}
		run := fmt.Sprintf("%08x", rand.Uint32())
		p := &clinicResident{resident: &resident{i: 1, openid: "o-clinic-close-" + run, name: "李桂兰", phone: "13712345678",
			rnd: rand.New(rand.NewPCG(3, 4)), sims: r.sims, rig: r}, description: "邻居占用楼道堆放杂物"}
		if err := p.walk(ctx, "09:00"); err != nil {
			t.Fatal(err)
		}
		if err := p.confirm(ctx); err != nil || p.booked == "" {
			t.Fatalf("booking: %v\n%s", err, strings.Join(p.script, "\n"))
		}

		status, closed := admin(t, base, "POST", "/api/v1/clinic/closures", map[string]any{
			"date": day.Format(cl.DateLayout), "reason": "法官开庭"})
		if status != http.StatusCreated && status != http.StatusOK {
			t.Fatalf("closing the day: %d %v", status, closed)
		}
		if told, _ := closed["told"].(float64); told != 1 {
			t.Errorf("the closure told %v residents, want 1: %v", closed["told"], closed)
		}
		push := pushes(t, r.env.fake, p.openid, "法官开庭")
		for _, want := range []string{"1. ", "09:00", "回复 1/2/3 改约"} {
			if !strings.Contains(push, want) {
				t.Errorf("the closure's push %q lacks %q", push, want)
			}
		}
		if strings.Contains(push, p.description) {
			t.Errorf("the closure's push carries the matter: %q", push)
		}

		reply, err := p.send(ctx, wechat.SimMessage{Text: "1"}, false)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(reply, "改到") || !strings.Contains(reply, "09:00") {
			t.Fatalf("the bare 1 after the push read %q, want 改约 to the first slot offered\n%s", reply, strings.Join(p.script, "\n"))
		}
		if reply, err = p.send(ctx, wechat.SimMessage{Text: "1"}, false); err != nil {
			t.Fatal(err)
		}
		bs, err := r.store.ResidentClinicBookings(ctx, p.openid, "", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var old, moved int
		for _, b := range bs {
			switch {
			case b.Status == cl.Cancelled && b.Start.Equal(day.Add(9*time.Hour).UTC()):
				old++
			case b.Status == cl.Booked && b.Start.Equal(next.Add(9*time.Hour).UTC()):
				moved++
				if !strings.Contains(reply, b.Code) {
					t.Errorf("confirming the move read %q, want the new 预约码 %s", reply, b.Code)
				}
			}
		}
		if old != 1 || moved != 1 || len(bs) != 2 {
			t.Errorf("bookings after the move: %+v\n%s", bs, strings.Join(p.script, "\n"))
		}
	})
}

// TestClinicPatrolAnnouncedEndToEnd: residents follow the account and
// register an address; one in 3号楼 sends 订阅巡诊. A 定期巡诊 schedule
// at 3号楼 created through the admin API is pushed to her only: not to
// her neighbour who did not opt in, nor to a subscriber of 13号楼.
func TestClinicPatrolAnnouncedEndToEnd(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		r := newRaceRig(t, dbURL, 1)
		base := strings.TrimSuffix(r.sims[0].URL, "/wechat")
		ctx := context.Background()
		run := fmt.Sprintf("%08x", rand.Uint32())
		people := map[string]*resident{}
		for i, who := range []struct{ key, address string }{
			{"her", "3号楼2单元201室"}, {"neighbour", "3号楼1单元101室"}, {"other", "13号楼1单元101室"},
		} {
			p := &resident{i: i, openid: "o-patrol-" + who.key + "-" + run, rnd: rand.New(rand.NewPCG(uint64(i), 5)), sims: r.sims, rig: r}
			people[who.key] = p
			if _, err := p.send(ctx, wechat.SimMessage{Kind: bot.KindEvent, Event: bot.EventSubscribe}, false); err != nil {
				t.Fatal(err)
			}
			if err := r.store.SaveProfile(ctx, bot.Resident{OpenID: p.openid, Name: "居民", Address: who.address}); err != nil {
				t.Fatal(err)
			}
			if who.key == "neighbour" {
				continue
			}
			reply, err := p.send(ctx, wechat.SimMessage{Text: "订阅巡诊"}, false)
			if err != nil || !strings.Contains(reply, "已订阅") {
				t.Fatalf("订阅巡诊: %q, %v", reply, err)
			}
		}
		for _, n := range []int{3, 13} {
			if code, body := admin(t, base, "POST", "/api/v1/buildings", map[string]any{"number": n}); code != http.StatusCreated {
				t.Fatalf("building %d: %d %v", n, code, body)
			}
		}
		status, provider := admin(t, base, "POST", "/api/v1/clinic/providers", map[string]any{"name": "赵民警", "kind": "police", "phone": "13800003333"})
		if status != http.StatusCreated && status != http.StatusOK {
			t.Fatalf("creating the provider: %d %v", status, provider)
		}
		day := clinicDay()
		status, sc := admin(t, base, "POST", "/api/v1/clinic/schedules", map[string]any{
			"mode": "patrol", "provider_ids": []any{provider["id"]}, "date": day.Format(cl.DateLayout), "building": "3",
			"start": "14:00", "end": "16:00", "slot_minutes": 30, "capacity": 2, "location": "3号楼前广场",
			"matters": []string{"consult", "mediation"}})
		if status != http.StatusCreated && status != http.StatusOK {
			t.Fatalf("creating the patrol: %d %v", status, sc)
		}
		push := pushes(t, r.env.fake, people["her"].openid, "巡诊")
		for _, want := range []string{"3号楼", "14:00-16:00", "3号楼前广场", "回复「法律」预约"} {
			if !strings.Contains(push, want) {
				t.Errorf("the announcement %q lacks %q", push, want)
			}
		}
		all, err := r.store.ListNotifications(ctx, "", 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		var to []string
		for _, n := range all {
			if n.Kind == "clinic_patrol" {
				to = append(to, n.Recipient)
			}
		}
		if len(to) != 1 || to[0] != people["her"].openid {
			t.Errorf("announced to %v, want only %s", to, people["her"].openid)
		}
	})
}

// TestClinicAidAndExpertEndToEnd: a resident files a 法律援助 application
// without a slot and a 专家会诊 request through the webhook; staff move
// the application through reviewing to declined and schedule the
// request with a panel through the admin API. Each step reaches the
// resident as a push, the declined one with the staff's note; the panel
// member linked to staff gets the request with its description, 1:1.
func TestClinicAidAndExpertEndToEnd(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		r := newRaceRig(t, dbURL, 0)
		r.env.vars["TONGXIN_RATE_PER_MINUTE"] = "0" // one resident says a lot
		sim := r.env.sim(r.startLogged(t), wechat.ModeSafe)
		r.sims = append(r.sims, sim)
		base := strings.TrimSuffix(r.sims[0].URL, "/wechat")
		ctx := context.Background()
		run := fmt.Sprintf("%08x", rand.Uint32())
		judgeOpenID := "o-judge-" + run
		judge, err := r.store.InsertStaff(ctx, community.Staff{Name: "张法官", OpenID: judgeOpenID, Roles: []community.Role{community.RoleClinic}}, "", time.Now(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		status, provider := admin(t, base, "POST", "/api/v1/clinic/providers", map[string]any{"name": "张法官", "kind": "judge", "phone": "13800004444", "staff_id": judge})
		if status != http.StatusCreated && status != http.StatusOK {
			t.Fatalf("creating the provider: %d %v", status, provider)
		}
		p := &resident{i: 0, openid: "o-aid-" + run, name: "马秀兰", phone: "13912345670", rnd: rand.New(rand.NewPCG(7, 8)), sims: r.sims, rig: r}
		expertMatter := "宅基地继承" + run
		type cue struct{ when, say string }
		talk := func(first string, answers []cue, done string) {
			t.Helper()
			reply, err := p.send(ctx, wechat.SimMessage{Text: first}, false)
			for range 12 {
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(reply, done) {
					return
				}
				answer := ""
				for _, c := range answers {
					if strings.Contains(reply, c.when) {
						answer = c.say
						break
					}
				}
				switch {
				case answer != "":
				case nameRe.MatchString(reply):
					answer = p.name
				case phoneRe.MatchString(reply):
					answer = p.phone
				default:
					t.Fatalf("unexpected reply %q\n%s", reply, strings.Join(p.script, "\n"))
				}
				reply, err = p.send(ctx, wechat.SimMessage{Text: answer}, false)
			}
			t.Fatalf("never read %q\n%s", done, strings.Join(p.script, "\n"))
		}
		talk("法律援助", []cue{{"1 确认", "1"}, {"什么类型", "1"}, {"经济是否困难", "1"}, {"起诉", "2"},
			{"只提交援助申请", "8"}, {"是什么事", "工地老板拖欠工资" + run}}, "申请已提交")
		pushes(t, r.env.fake, p.openid, "已受理")
		aid, err := r.store.ResidentClinicAid(ctx, p.openid)
		if err != nil || len(aid) != 1 {
			t.Fatalf("aid applications: %+v, %v", aid, err)
		}
		path := fmt.Sprintf("/api/v1/clinic/aid/%d", aid[0].ID)
		if status, body := admin(t, base, "PATCH", path, map[string]any{"status": "reviewing"}); status != http.StatusOK {
			t.Fatalf("reviewing: %d %v", status, body)
		}
		pushes(t, r.env.fake, p.openid, "审查中")
		if status, body := admin(t, base, "PATCH", path, map[string]any{"status": "declined", "note": "不属于法律援助事项范围"}); status != http.StatusOK {
			t.Fatalf("declining: %d %v", status, body)
		}
		if push := pushes(t, r.env.fake, p.openid, "不予援助"); !strings.Contains(push, "不属于法律援助事项范围") {
			t.Errorf("the declined push lacks the note: %q", push)
		}

		talk("咨询律师", []cue{{"1 确认", "1"}, {"请问您要办理", "2"}, {"申请专家会诊", "9"}, {"矛盾纠纷", "0"},
			{"是什么事", expertMatter}}, "专家会诊申请已提交")
		reqs, err := r.store.ResidentClinicExpert(ctx, p.openid)
		if err != nil || len(reqs) != 1 {
			t.Fatalf("expert requests: %+v, %v", reqs, err)
		}
		at := clinicDay().Add(15 * time.Hour)
		if status, body := admin(t, base, "PATCH", fmt.Sprintf("/api/v1/clinic/expert/%d", reqs[0].ID), map[string]any{
			"status": "scheduled", "at": at.Format(time.RFC3339), "location": "社区会议室", "provider_ids": []any{provider["id"]}}); status != http.StatusOK {
			t.Fatalf("scheduling: %d %v", status, body)
		}
		push := pushes(t, r.env.fake, p.openid, "专家会诊已安排")
		for _, want := range []string{"15:00", "社区会议室", "法官 张法官"} {
			if !strings.Contains(push, want) {
				t.Errorf("the resident's push %q lacks %q", push, want)
			}
		}
		if strings.Contains(push, expertMatter) {
			t.Errorf("the resident's push repeats the matter: %q", push)
		}
		if panel := pushes(t, r.env.fake, judgeOpenID, "专家会诊"); !strings.Contains(panel, expertMatter) || !strings.Contains(panel, "社区会议室") {
			t.Errorf("the panel's push: %q", panel)
		}
		if strings.Contains(strings.Join(r.env.robot.got(), "\n"), expertMatter) {
			t.Error("the group robot was sent the matter")
		}
	})
}

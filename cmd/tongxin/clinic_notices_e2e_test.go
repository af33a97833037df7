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

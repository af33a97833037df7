package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
)

// The clinic's race (issue 11): clinicRacers residents race for one
// 1-person slot through the real webhook.
const clinicRacers = 30

// TestClinicRaceWebhook races the residents through one server on each
// engine. Each books 法律咨询 in the first slot listed (all see the same
// one: nobody has booked yet) up to the summary; then all confirm at
// once, every tenth confirmation delivered twice as WeChat retries.
// Exactly one is booked in the database, that one was told 预约成功 with
// the code the database has, and every other was told the slot is gone
// and shown the next free slots, the taken one not among them.
func TestClinicRaceWebhook(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		raceClinic(t, dbURL, 1)
	})
}

// TestClinicRaceTwoInstances races them through two servers on one
// database and one Redis, each request to either at random: the seat is
// the database's to count.
func TestClinicRaceTwoInstances(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		raceClinic(t, dbURL, 2)
	})
}

// clinicDay is the date the race's schedule sits on: three days ahead in
// Shanghai, clear of the minimum notice whenever the test runs.
func clinicDay() time.Time {
	d := time.Now().In(bot.Shanghai).AddDate(0, 0, 3)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, bot.Shanghai)
}

// raceSchedule adds a one-day 预约问诊 schedule of 1-person slots of 30
// minutes from 09:00 to 11:00 on day.
func raceSchedule(t *testing.T, store *storage.Store, day time.Time) cl.Schedule {
	t.Helper()
	now := time.Now().UTC()
	sc := cl.Schedule{Mode: cl.Appointment, ProviderIDs: []int64{}, Date: day.Format(cl.DateLayout), Start: "09:00", End: "11:00",
		SlotMinutes: 30, Capacity: 1, Location: "社区服务中心二楼法律诊所", Matters: []cl.Matter{cl.Consult, cl.Mediation},
		Active: true, CreatedAt: now, UpdatedAt: now}
	if err := store.InsertClinicSchedule(context.Background(), &sc); err != nil {
		t.Fatal(err)
	}
	return sc
}

// clinicResident is one racer: the sign-up race's resident (its send
// reads late replies too) and what the clinic told them.
type clinicResident struct {
	*resident
	description string
	booked      string // the 预约码 told
	gone        bool   // told the slot is gone
	goneReply   string
	outcomes    int
}

var (
	clinicCodeRe = regexp.MustCompile(`预约码[:：]\s*(\d{6})`)
	slotLineRe   = regexp.MustCompile(`(?m)^(\d+)\. (\d\d:\d\d) `)
)

// walk has the resident start the clinic's conversation and answer every
// step up to the summary, taking the first slot listed.
func (p *clinicResident) walk(ctx context.Context, first string) error {
	reply, err := p.send(ctx, wechat.SimMessage{Text: "咨询律师"}, false)
	if err != nil {
		return p.fail("%v", err)
	}
	for range 10 {
		var answer string
		switch {
		case strings.Contains(reply, "1 确认"):
			return nil
		case strings.Contains(reply, "请问您要办理"):
			answer = "1" // 法律咨询
		case strings.Contains(reply, "可预约的时段"):
			m := slotLineRe.FindStringSubmatch(reply)
			if m == nil || m[1] != "1" || m[2] != first {
				return p.fail("the first slot listed is not %s: %q", first, reply)
			}
			answer = "1"
		case strings.Contains(reply, "是什么事"):
			answer = p.description
		case strings.Contains(reply, "翻译"):
			answer = "0"
		case nameRe.MatchString(reply):
			answer = p.name
		case phoneRe.MatchString(reply):
			answer = p.phone
		default:
			return p.fail("unexpected reply %q", reply)
		}
		if reply, err = p.send(ctx, wechat.SimMessage{Text: answer}, false); err != nil {
			return p.fail("%v", err)
		}
	}
	return p.fail("no summary after 10 answers")
}

// confirm has the resident confirm the summary once.
func (p *clinicResident) confirm(ctx context.Context) error {
	reply, err := p.send(ctx, wechat.SimMessage{Text: "1"}, p.i%10 == 0)
	if err != nil {
		return p.fail("%v", err)
	}
	if m := clinicCodeRe.FindStringSubmatch(reply); m != nil && strings.Contains(reply, "预约成功") {
		p.booked = m[1]
		p.outcomes++
	}
	if strings.Contains(reply, "约满") {
		p.gone, p.goneReply = true, reply
		p.outcomes++
	}
	if p.outcomes != 1 {
		return p.fail("confirming read %q, want 预约成功 or 约满", reply)
	}
	return nil
}

// raceClinic runs the race on dbURL through instances servers and checks
// its outcome.
func raceClinic(t *testing.T, dbURL string, instances int) {
	r := newRaceRig(t, dbURL, instances)
	ctx := context.Background()
	day := clinicDay()
	sc := raceSchedule(t, r.store, day)
	first := day.Add(9 * time.Hour)

	run := fmt.Sprintf("%08x", rand.Uint32()) // real Redis outlives the test
	people := make([]*resident, clinicRacers)
	racers := make([]*clinicResident, clinicRacers)
	for i := range racers {
		people[i] = &resident{
			i: i, openid: fmt.Sprintf("o-clinic-%s-%02d", run, i),
			name:  residentName(i),
			phone: fmt.Sprintf("137%08d", 10000000+i*7919%90000000),
			rnd:   rand.New(rand.NewPCG(uint64(i), 11)),
			sims:  r.sims, rig: r,
		}
		racers[i] = &clinicResident{resident: people[i], description: fmt.Sprintf("机密事项%s第%02d号：房东扣押金不退", run, i)}
	}
	byPerson := map[*resident]*clinicResident{}
	for _, c := range racers {
		byPerson[c.resident] = c
	}
	each(t, people, func(p *resident) error { return byPerson[p].walk(ctx, "09:00") })
	if t.Failed() {
		return
	}
	each(t, people, func(p *resident) error { return byPerson[p].confirm(ctx) })
	if t.Failed() {
		return
	}

	// The database: exactly one booked, and it is the slot's one seat.
	var booked []cl.Booking
	for _, c := range racers {
		bs, err := r.store.ResidentClinicBookings(ctx, c.openid, "", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) > 1 {
			t.Errorf("resident %d has %d bookings", c.i, len(bs))
		}
		booked = append(booked, bs...)
	}
	if len(booked) != 1 || booked[0].Status != cl.Booked || !booked[0].Start.Equal(first.UTC()) || booked[0].ScheduleID != sc.ID {
		t.Fatalf("bookings after the race: %+v, want exactly one, booked, at %v", booked, first)
	}
	var taken int
	if err := r.store.DB().Get(&taken, r.store.DB().Rebind(`SELECT taken FROM clinic_slots WHERE schedule_id = ? AND starts_at = ?`),
		sc.ID, first.UTC()); err != nil {
		t.Fatal(err)
	}
	if taken != 1 {
		t.Errorf("the slot counts %d seats taken, want 1", taken)
	}

	// What they were told: the winner their code, everyone else the slot
	// is gone with the next free ones (09:30, 10:00, …), not 09:00.
	winners := 0
	for _, c := range racers {
		switch {
		case c.booked != "":
			winners++
			if c.openid != booked[0].OpenID || c.booked != booked[0].Code {
				t.Errorf("resident %d was told 预约码 %s; the database booked %s with %s", c.i, c.booked, booked[0].OpenID, booked[0].Code)
			}
		case c.gone:
			lines := slotLineRe.FindAllStringSubmatch(c.goneReply, -1)
			if len(lines) == 0 || lines[0][1] != "1" || lines[0][2] != "09:30" {
				t.Errorf("resident %d was told the slot is gone without the next free slots from 09:30: %q", c.i, c.goneReply)
			}
			for _, l := range lines {
				if l[2] == "09:00" {
					t.Errorf("resident %d was offered the taken slot again: %q", c.i, c.goneReply)
				}
			}
		}
	}
	for _, c := range racers {
		if c.gone {
			t.Logf("%d residents on %d instance(s): %d booked; the others read, e.g.:\n%s", clinicRacers, instances, winners, c.goneReply)
			break
		}
	}
	if winners != 1 {
		t.Errorf("%d residents were told 预约成功, want 1", winners)
	}
	if got, want := r.metric(t, "tongxin_duplicates_suppressed_total"), float64((clinicRacers+9)/10); got != want {
		t.Errorf("the servers suppressed %v retried confirmations, want %v", got, want)
	}
	logs := r.logs.String()
	if n := strings.Count(logs, "message answered"); n < clinicRacers*7 {
		t.Errorf("the servers' log has %d answered messages: it was not captured", n)
	}
	for _, c := range racers {
		for _, secret := range []string{c.description, c.name, c.phone} {
			if strings.Contains(logs, secret) {
				t.Errorf("the servers' log holds resident %d's %q", c.i, secret)
			}
		}
	}
}

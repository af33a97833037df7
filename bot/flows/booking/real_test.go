package booking_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/booking"
	"github.com/tongxin/tongxin/clinic"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// TestWithTheRealService runs the conversation over the real clinic
// service on each engine (what the fake stands for in the transcripts):
// a booking, a slot taken by another before the confirmation, 改约,
// 今日预约 for the provider, and 取消预约; the database agrees.
func TestWithTheRealService(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		clock := bottest.NewClock(t0)
		store.Now = clock.Now
		box := notifytest.Queue(t, store, notify.Config{Now: clock.Now, LogOnly: true})
		svc := clinic.New(store, box, clinic.Config{Now: clock.Now, Place: "社区服务中心二楼", Phone: "0991-5551234"})
		seeded := communitytest.Seed(t, store, clock.Now, communitytest.Spec{Staff: []communitytest.Member{
			{Name: "王律师", OpenID: "o-lawyer", Roles: []community.Role{community.RoleMediator}},
		}})
		now := clock.Now()
		lawyer := cl.Provider{Name: "王律师", Kind: cl.Lawyer, StaffID: seeded.Staff["王律师"].ID, Languages: []string{"维吾尔语"},
			Active: true, CreatedAt: now, UpdatedAt: now}
		if err := store.InsertClinicProvider(ctx, &lawyer); err != nil {
			t.Fatal(err)
		}
		// Wednesdays 09:00-11:00, 30 minutes, one resident each.
		sc := cl.Schedule{Mode: cl.Appointment, ProviderIDs: []int64{lawyer.ID}, Weekdays: []int{3}, Start: "09:00", End: "11:00",
			SlotMinutes: 30, Capacity: 1, Location: "二楼调解室", Matters: []cl.Matter{cl.Consult, cl.Mediation, cl.Aid},
			Active: true, CreatedAt: now, UpdatedAt: now}
		if err := store.InsertClinicSchedule(ctx, &sc); err != nil {
			t.Fatal(err)
		}
		r := bot.NewRouter(&bot.MemorySessions{Now: clock.Now})
		r.Now = clock.Now
		r.Residents = store
		if err := booking.Register(r, flows.Deps{Residents: store, Clinic: svc, Questions: box, Now: clock.Now}); err != nil {
			t.Fatal(err)
		}
		if err := r.Menu(bot.MenuItem{Key: "LEGAL", Keywords: []string{"法律", "律师", "法律咨询"}}); err != nil {
			t.Fatal(err)
		}
		say := bottest.Say(r, clock)
		run := func(openid string, texts ...string) string {
			t.Helper()
			var got string
			for _, text := range texts {
				got = say(openid, text)
			}
			return got
		}
		if got := run("o-a", "法律", "1"); !strings.Contains(got, "12月2日 周三\n1. 09:00 二楼调解室\n2. 09:30 二楼调解室") {
			t.Fatalf("the slot list: %q", got)
		}
		if got := run("o-a", "1", "欠款不还", "1", "阿依", "13800000001", "1"); !strings.Contains(got, "预约成功") || !strings.Contains(got, "需要：维吾尔语翻译") {
			t.Fatalf("booking: %q", got)
		}
		// o-b is at the summary for 09:30 when o-c books it.
		if got := run("o-b", "法律", "1", "1", "合同纠纷", "0", "白雪", "13800000002"); !strings.Contains(got, "时间：12月2日 周三 09:30") {
			t.Fatalf("o-b's summary: %q", got)
		}
		if got := run("o-c", "法律", "1", "1", "房屋租赁", "0", "陈晨", "13800000003", "1"); !strings.Contains(got, "09:30") {
			t.Fatalf("o-c's booking: %q", got)
		}
		got := say("o-b", "1")
		if !strings.Contains(got, "该时段刚被约满") || !strings.Contains(got, "1. 10:00 二楼调解室") {
			t.Fatalf("taken at confirm: %q", got)
		}
		if got := say("o-b", "1"); !strings.Contains(got, "时间：12月2日 周三 10:00") {
			t.Fatalf("o-b's new summary: %q", got)
		}
		if got := say("o-b", "1"); !strings.Contains(got, "预约成功") {
			t.Fatalf("o-b's booking: %q", got)
		}
		if got := run("o-a", "改约", "1"); !strings.Contains(got, "改到 12月2日 周三 10:30") {
			t.Fatalf("改约: %q", got)
		}
		if got := say("o-a", "1"); !strings.Contains(got, "改约成功") {
			t.Fatalf("改约 confirmed: %q", got)
		}
		clock.Set(at(12, 2, 7, 0))
		got = say("o-lawyer", "今日预约")
		for _, want := range []string{"共 3 个", "10:30 法律咨询 阿依", "欠款不还", "10:00 法律咨询 白雪"} {
			if !strings.Contains(got, want) {
				t.Errorf("今日预约 lacks %q: %q", want, got)
			}
		}
		if got := say("o-a", "今日预约"); !strings.Contains(got, "仅供法律诊所工作人员") {
			t.Errorf("今日预约 by a resident: %q", got)
		}
		if got := run("o-a", "取消预约", "1"); !strings.Contains(got, "已取消 12月2日 周三 10:30 的预约") {
			t.Fatalf("取消预约: %q", got)
		}
		my, err := svc.Mine(ctx, "o-a")
		if err != nil || len(my.Bookings) != 0 {
			t.Errorf("o-a's bookings after cancelling: %+v, %v", my, err)
		}
		my, err = svc.Mine(ctx, "o-b")
		if err != nil || len(my.Bookings) != 1 || my.Bookings[0].Start.In(bot.Shanghai).Hour() != 10 {
			t.Errorf("o-b's bookings: %+v, %v", my, err)
		}
		// A second booking the same day is refused with the slots asked
		// again, not "回复 1 重试", which would be refused again.
		got = run("o-b", "法律", "1", "1", "另一件事", "0", "1", "1", "1")
		if !strings.Contains(got, "每人每天只能约一次") || !strings.Contains(got, "可预约的时段") || strings.Contains(got, "重试") {
			t.Errorf("a second booking that day: %q", got)
		}
	})
}

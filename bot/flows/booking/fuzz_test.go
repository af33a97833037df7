package booking_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/booking"
	"github.com/tongxin/tongxin/bot/input"
	"github.com/tongxin/tongxin/clinic"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage/storagetest"
	ticketsvc "github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// bookingSteps are the steps of a booking fuzzed, each with the answers
// that reach it (consult, mediation or aid).
var bookingSteps = []struct {
	key    string
	prefix []string
}{
	{"matter", []string{"法律"}},
	{"slot", []string{"法律", "1"}},
	{"description", []string{"法律", "1", "1"}},
	{"need", []string{"法律", "1", "1", "房东不退押金"}},
	{"name", []string{"法律", "1", "1", "房东不退押金", "0"}},
	{"phone", []string{"法律", "1", "1", "房东不退押金", "0", "白雪"}},
	{"ticket", []string{"法律", "2", "1"}},
	{"aidkind", []string{"法律", "3"}},
	{"hardship", []string{"法律", "3", "1"}},
	{"incourt", []string{"法律", "3", "1", "1"}},
}

// option is a list step's kept option (booking's option).
type option struct {
	Value string `json:"v"`
	Label string `json:"l"`
}

// FuzzBookingAnswers answers one step of a clinic booking (chosen by step)
// with any text, as the flow engine hands it over, over the real clinic
// and ticket services. An accepted answer keeps its step's promise: one
// of the matters; a slot among those listed (or 9 专家会诊, or for aid 8 no
// slot); a description of 2 to 500 characters as typed, shown cut to 30;
// an interpreter or representative offered, or none; a name ParseName
// takes; a mobile number shown masked; no request number of someone
// else's; an aid kind listed; yes or no. For the steps that read only
// the normalised text, the normalised text is accepted alike.
func FuzzBookingAnswers(f *testing.F) {
	// Each step gets what residents type there, and what they type
	// elsewhere: commands, nothing, an emoji.
	common := []string{"取消", "帮助", "", "👍"}
	for k, seeds := range [][]string{
		{"1", "4", "5", "法律咨询", "矛盾调解"},
		{"1", "10", "8", "9", "专家", "专家会诊", "第二个"},
		{"房东不退押金", "欠", "0"},
		{"0", "1", "2", "维吾尔语翻译", "不需要"},
		{"白雪", "阿依·买买提", "0"},
		{"13800000002", "+86 138-0000-0002", "是的"},
		{"0", "没有", "不知道", "2611260001", "编号 2611260001", "99999999999999999999"},
		{"1", "劳动争议", "9"},
		{"1", "是的", "有", "没有"},
		{"2", "否", "0"},
	} {
		for _, s := range append(seeds, common...) {
			f.Add(uint8(k), s)
		}
	}
	ctx := context.Background()
	store := storagetest.Open(f)
	clock := bottest.NewClock(t0)
	store.Now = clock.Now
	box := notifytest.Queue(f, store, notify.Config{Now: clock.Now, LogOnly: true})
	svc := clinic.New(store, box, clinic.Config{Now: clock.Now, Place: "社区服务中心二楼", Phone: "0991-5551234"})
	seeded := communitytest.Seed(f, store, clock.Now, communitytest.Spec{Staff: []communitytest.Member{
		{Name: "王律师", OpenID: "o-lawyer", Roles: []community.Role{community.RoleMediator}},
	}})
	now := clock.Now()
	lawyer := cl.Provider{Name: "王律师", Kind: cl.Lawyer, StaffID: seeded.Staff["王律师"].ID, Languages: []string{"维吾尔语"},
		Active: true, CreatedAt: now, UpdatedAt: now}
	if err := store.InsertClinicProvider(ctx, &lawyer); err != nil {
		f.Fatal(err)
	}
	sc := cl.Schedule{Mode: cl.Appointment, ProviderIDs: []int64{lawyer.ID}, Weekdays: []int{1, 2, 3, 4, 5}, Start: "09:00", End: "11:00",
		SlotMinutes: 30, Capacity: 1000, Location: "二楼调解室", Matters: []cl.Matter{cl.Consult, cl.Mediation, cl.Aid},
		Active: true, CreatedAt: now, UpdatedAt: now}
	if err := store.InsertClinicSchedule(ctx, &sc); err != nil {
		f.Fatal(err)
	}
	sessions := &bot.MemorySessions{Now: clock.Now}
	r := bot.NewRouter(sessions)
	r.Now = clock.Now
	r.Residents = store
	if err := booking.Register(r, flows.Deps{Residents: store, Clinic: svc, Questions: box, Now: clock.Now,
		Tickets: ticketsvc.New(store, box, workcal.Builtin(), ticketsvc.Config{Now: clock.Now})}); err != nil {
		f.Fatal(err)
	}
	if err := r.Menu(bot.MenuItem{Key: "LEGAL", Keywords: []string{"法律", "律师", "法律咨询"}}); err != nil {
		f.Fatal(err)
	}
	var n atomic.Int64
	answer := func(t testing.TB, k int, s string) (*bot.Session, bool) {
		openid := "o-fuzz-" + strconv.FormatInt(n.Add(1), 10)
		for i, text := range append(slices.Clone(bookingSteps[k].prefix), s) {
			reply, err := r.Handle(ctx, &bot.Message{ID: openid + strconv.Itoa(i), OpenID: openid, Kind: bot.KindText, Text: text, Time: clock.Now()})
			var ue *bot.UserError
			if err != nil && !errors.As(err, &ue) {
				t.Fatalf("%q: %v", text, err)
			}
			if err == nil && reply.Empty() {
				t.Fatalf("%q: no answer", text)
			}
		}
		sess, _, err := sessions.Load(ctx, openid)
		if err != nil || sess == nil || sess.Flow != booking.Name {
			return nil, false
		}
		_, ok := sess.Answers[bookingSteps[k].key]
		return sess, ok
	}
	// listed are the options the session kept for a list step.
	listed := func(t testing.TB, sess *bot.Session, key string) []option {
		var os []option
		if raw, ok := sess.Data["list:"+key]; ok {
			if err := json.Unmarshal(raw, &os); err != nil {
				t.Fatal(err)
			}
		}
		return os
	}
	has := func(os []option, a bot.Answer) bool {
		return slices.ContainsFunc(os, func(o option) bool { return o.Value == a.Value && o.Label == a.Display })
	}
	// The walk reaches every step: a good answer is taken there.
	for k, good := range []string{"1", "1", "房东不退押金", "0", "白雪", "13800000002", "0", "1", "1", "2"} {
		if _, ok := answer(f, k, good); !ok {
			f.Fatalf("%s: %q not taken; the walk misses the step", bookingSteps[k].key, good)
		}
	}
	f.Fuzz(func(t *testing.T, step uint8, s string) {
		if !utf8.ValidString(s) {
			t.Skip("the webhook's XML decoder lets only valid UTF-8 through")
		}
		k := int(step) % len(bookingSteps)
		key := bookingSteps[k].key
		sess, ok := answer(t, k, s)
		if !ok {
			return
		}
		a := sess.Answers[key]
		bad := false
		switch key {
		case "matter":
			bad = !cl.Matter(a.Value).Valid() || a.Display != cl.Matter(a.Value).Label()
		case "slot":
			bad = !has(listed(t, sess, key), a) && a.Value != "expert" && (a.Value != "none" || sess.Answers["matter"].Value != string(cl.Aid))
		case "description":
			n := len([]rune(a.Value))
			bad = n < 2 || n > 500 || a.Value != strings.TrimSpace(s) || len([]rune(a.Display)) > 31
		case "need":
			bad = !has(listed(t, sess, key), a) && (a.Value != "" || a.Display != "不需要")
		case "name":
			name, err := input.ParseName(a.Value)
			bad = err != nil || name != a.Value
		case "phone":
			bad = !input.IsMobile(a.Value) || a.Display != bot.MaskPhone(a.Value)
		case "ticket":
			bad = a.Value != "" || a.Display != "无"
		case "aidkind":
			bad = !has(listed(t, sess, key), a)
		case "hardship", "incourt":
			bad = !(a.Value == "yes" && a.Display == "是" || a.Value == "no" && a.Display == "否")
		}
		if bad {
			t.Fatalf("%s %q: accepted as %+v", key, s, a)
		}
		if key != "description" && key != "name" {
			if back, ok := answer(t, k, bot.Normalize(s)); !ok || back.Answers[key].Value != a.Value || back.Answers[key].Display != a.Display {
				t.Fatalf("%s %q: accepted as %+v, its normalised form not alike", key, s, a)
			}
		}
	})
}

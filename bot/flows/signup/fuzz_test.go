package signup_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/signup"
	"github.com/tongxin/tongxin/bot/input"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// signupPrefix are the answers that reach each step of signing up for
// 百家宴 (parties of up to 4, a choice question, an optional free-text
// one); the fuzzed answer replaces the one after signupPrefix[:k+1].
var signupPrefix = []string{"活动", "2", "3", "2", "跳过", "王芳", "13800138000"}

// signupKeys are the steps' keys, in signupPrefix's order.
var signupKeys = []string{"event", "party", "q1c", "q2t", "name", "phone"}

// FuzzSignupAnswers answers one step of signing up (chosen by step) with
// any text, as the flow engine hands it over, over the real activity
// service. An accepted answer keeps its step's promise: an event that is
// listed and open; a party of 1 to the event's most, shown as "N 人"; one
// of the question's choices; a free answer of 1 to 200 characters as
// typed, or skipped; a name ParseName takes; a mobile number shown
// masked. For the steps that read only the normalised text, the
// normalised text is accepted alike.
func FuzzSignupAnswers(f *testing.F) {
	// Each step gets what residents type there, and what they type
	// elsewhere: commands, nothing, an emoji.
	common := []string{"取消报名", "我的报名", "帮助", "取消", "", "👍"}
	for k, seeds := range [][]string{
		{"1", "2", "3", "０", "情浓百家宴", "邻里荟"},
		{"1", "4", "5", "0", "-1", "３", "两位", "3人", "三个", "99999999999999999999", "十"},
		{"2", "回族", "其他", "4", "第二个"},
		{"跳过", "无", "不吃猪肉"},
		{"王芳", "王", "阿依·买买提", "跳过"},
		{"13800138000", "+86 138-0013-8000", "是的"},
	} {
		for _, s := range append(seeds, common...) {
			f.Add(uint8(k), s)
		}
	}
	store := storagetest.Open(f)
	clock := bottest.NewClock(t0)
	store.Now = clock.Now
	box := notifytest.Queue(f, store, notify.Config{Now: clock.Now, LogOnly: true})
	svc := activities.New(store, box, activities.Config{Now: clock.Now})
	ctx := context.Background()
	open := map[string]activity.Activity{}
	for _, a := range []activity.Activity{
		{Title: "邻里荟", Location: "社区活动室", StartsAt: at(11, 28, 14, 0), EndsAt: at(11, 28, 16, 0), Capacity: 100000, MaxParty: 1},
		{Title: "情浓百家宴", Location: "社区广场", StartsAt: at(12, 5, 11, 30), EndsAt: at(12, 5, 14, 0), Capacity: 100000, MaxParty: 4,
			Questions: []activity.Question{
				{Key: "ethnic", Label: "民族", Choices: []string{"汉族", "回族", "其他"}},
				{Key: "diet", Label: "饮食禁忌", Optional: true},
			}},
	} {
		made, err := svc.Create(ctx, a)
		if err != nil {
			f.Fatal(err)
		}
		open[strconv.FormatInt(made.ID, 10)] = made
	}
	sessions := &bot.MemorySessions{Now: clock.Now}
	r := bot.NewRouter(sessions)
	r.Now = clock.Now
	r.Residents = store
	if err := signup.Register(r, flows.Deps{Residents: store, Activities: svc, Questions: box, Now: clock.Now}); err != nil {
		f.Fatal(err)
	}
	if err := r.Menu(bot.MenuItem{Key: "EVENTS", Keywords: []string{"活动", "报名"}}); err != nil {
		f.Fatal(err)
	}
	var n atomic.Int64
	answer := func(t testing.TB, k int, s string) (bot.Answer, bool) {
		openid := "o-fuzz-" + strconv.FormatInt(n.Add(1), 10)
		for i, text := range append(slices.Clone(signupPrefix[:k+1]), s) {
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
		if err != nil || sess == nil || sess.Flow != signup.Name {
			return bot.Answer{}, false
		}
		a, ok := sess.Answers[signupKeys[k]]
		return a, ok
	}
	// The walk reaches every step: a good answer is taken there.
	for k, good := range []string{"2", "3", "2", "不吃猪肉", "王芳", "13800138000"} {
		if _, ok := answer(f, k, good); !ok {
			f.Fatalf("%s: %q not taken; the walk misses the step", signupKeys[k], good)
		}
	}
	f.Fuzz(func(t *testing.T, step uint8, s string) {
		if !utf8.ValidString(s) {
			t.Skip("the webhook's XML decoder lets only valid UTF-8 through")
		}
		k := int(step) % len(signupKeys)
		key := signupKeys[k]
		a, ok := answer(t, k, s)
		if !ok {
			return
		}
		switch key {
		case "event":
			if e, ok := open[a.Value]; !ok || a.Display != e.Title {
				t.Fatalf("event %q: accepted as %+v", s, a)
			}
		case "party":
			n, err := strconv.Atoi(a.Value)
			if err != nil || n < 1 || n > 4 || a.Display != fmt.Sprintf("%d 人", n) {
				t.Fatalf("party %q: accepted as %+v", s, a)
			}
		case "q1c":
			if !slices.Contains([]string{"汉族", "回族", "其他"}, a.Value) || a.Display != a.Value {
				t.Fatalf("choice %q: accepted as %+v", s, a)
			}
		case "q2t":
			skipped := a.Value == "" && a.Display == "跳过"
			if n := len([]rune(a.Value)); !skipped && (n < 1 || n > 200 || a.Value != strings.TrimSpace(s)) {
				t.Fatalf("free answer %q: accepted as %+v", s, a)
			}
		case "name":
			if name, err := input.ParseName(a.Value); err != nil || name != a.Value {
				t.Fatalf("name %q: accepted as %+v", s, a)
			}
		case "phone":
			if !input.IsMobile(a.Value) || a.Display != bot.MaskPhone(a.Value) {
				t.Fatalf("phone %q: accepted as %+v", s, a)
			}
		}
		if key != "q2t" && key != "name" {
			if b, ok := answer(t, k, bot.Normalize(s)); !ok || b.Value != a.Value || b.Display != a.Display {
				t.Fatalf("%s %q: accepted as %+v, its normalised form as %+v, %v", key, s, a, b, ok)
			}
		}
	})
}

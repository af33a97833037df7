package profile_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/profile"
	"github.com/tongxin/tongxin/bot/input"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// prefix are the answers that reach each step, in order: the fuzzed
// answer replaces the one after prefix[:k+1].
var prefix = []string{"登记", "王芳", "13800138000", "3号楼2单元201", "1"}

// stepKeys are the steps' keys, in prefix's order.
var stepKeys = []string{"name", "phone", "address", "role", "note"}

// FuzzProfileAnswers answers one step of 登记 (chosen by step) with any
// text, as the flow engine hands it over, over the real store. An
// accepted answer keeps its step's promise: a name ParseName takes, a
// mobile number shown masked, an address that renders and reads back as
// itself, one of the roles, a note of at most 100 characters. No
// accepted value carries a control character, and for the steps that
// read only the normalised text, typing the normalised text instead is
// accepted alike, with the same value.
func FuzzProfileAnswers(f *testing.F) {
	// Each step gets what residents type there, and what they type
	// elsewhere: commands, nothing, an emoji.
	common := []string{"帮助", "取消", "", "👍"}
	for k, seeds := range [][]string{
		{"王芳", "王", "阿卜杜·热合曼", "Mary Smith", "王芳。", "王 芳"},
		{"13800138000", "+86 138-0013-8000", "１３８００１３８０００", "1380013800"},
		{"3号楼2单元201", "三号楼二单元201室", "3-2-201", "3#", "我家", "12-2-301室"},
		{"户主", "2", "第三个", "5"},
		{"跳过", "独居，腿脚不便", " "},
	} {
		for _, s := range append(seeds, common...) {
			f.Add(uint8(k), s)
		}
	}
	store := storagetest.Open(f)
	clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
	sessions := &bot.MemorySessions{Now: clock.Now}
	r := bot.NewRouter(sessions)
	r.Now = clock.Now
	r.Residents = store
	if err := profile.Register(r, flows.Deps{Residents: store, Now: clock.Now}); err != nil {
		f.Fatal(err)
	}
	if err := r.Menu(bot.MenuItem{Key: "MY", Keywords: []string{"我的信息"}}); err != nil {
		f.Fatal(err)
	}
	var n atomic.Int64
	// answer plays prefix[:k+1] then s from a new resident and returns
	// the answer recorded for step k, if the flow took one.
	answer := func(t testing.TB, k int, s string) (bot.Answer, bool) {
		ctx := context.Background()
		openid := "o-fuzz-" + strconv.FormatInt(n.Add(1), 10)
		for i, text := range append(slices.Clone(prefix[:k+1]), s) {
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
		if err != nil || sess == nil || sess.Flow != profile.Name {
			return bot.Answer{}, false
		}
		a, ok := sess.Answers[stepKeys[k]]
		return a, ok
	}
	// The walk reaches every step: a good answer is taken there.
	for k, good := range []string{"王芳", "13800138000", "3号楼2单元201", "1", "独居"} {
		if _, ok := answer(f, k, good); !ok {
			f.Fatalf("%s: %q not taken; the walk misses the step", stepKeys[k], good)
		}
	}
	f.Fuzz(func(t *testing.T, step uint8, s string) {
		if !utf8.ValidString(s) {
			t.Skip("the webhook's XML decoder lets only valid UTF-8 through")
		}
		k := int(step) % len(stepKeys)
		key := stepKeys[k]
		a, ok := answer(t, k, s)
		if !ok {
			return
		}
		if key != "note" && strings.ContainsFunc(a.Value+a.Display, unicode.IsControl) {
			t.Fatalf("%s %q: accepted as %+v, with a control character", key, s, a)
		}
		switch key {
		case "name":
			if name, err := input.ParseName(a.Value); err != nil || name != a.Value || a.Value != strings.TrimSpace(s) {
				t.Fatalf("name %q: accepted as %q", s, a.Value)
			}
		case "phone":
			if !input.IsMobile(a.Value) || a.Display != bot.MaskPhone(a.Value) {
				t.Fatalf("phone %q: accepted as %+v", s, a)
			}
		case "address":
			back, ok := input.ParseAddress(bot.Normalize(a.Value))
			if !ok || back.String() != a.Value {
				t.Fatalf("address %q: accepted as %q, which reads back as %+v, %v", s, a.Value, back, ok)
			}
		case "role":
			if !slices.Contains(profile.Roles, a.Value) || a.Display != a.Value {
				t.Fatalf("role %q: accepted as %+v", s, a)
			}
		case "note":
			if n := len([]rune(a.Value)); n > 100 || a.Value != "" && a.Value != strings.TrimSpace(s) {
				t.Fatalf("note %q: accepted as %q (%d characters)", s, a.Value, n)
			}
		}
		if key == "phone" || key == "address" || key == "role" {
			if b, ok := answer(t, k, bot.Normalize(s)); !ok || b.Value != a.Value || b.Display != a.Display {
				t.Fatalf("%s %q: accepted as %+v, its normalised form as %+v, %v", key, s, a, b, ok)
			}
		}
	})
}

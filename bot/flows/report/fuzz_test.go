package report_test

import (
	"context"
	"encoding/json"
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
	"github.com/tongxin/tongxin/bot/flows/report"
	"github.com/tongxin/tongxin/bot/input"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// reportPrefix are the answers that reach each step of the request form;
// the fuzzed answer replaces the one after reportPrefix[:k+1].
var reportPrefix = []string{"报修", "1", "楼道灯不亮了", "跳过", "3号楼", "13800138000"}

// reportKeys are the steps' keys, in reportPrefix's order.
var reportKeys = []string{"category", "description", "photos", "where", "phone"}

// wherePlace is the where-answer's JSON (report's place).
type wherePlace struct {
	BuildingID int64   `json:"b"`
	Unit       int     `json:"u"`
	Text       string  `json:"t"`
	Lat        float64 `json:"lat"`
	Lng        float64 `json:"lng"`
}

// FuzzReportAnswers answers one step of the request form (chosen by step)
// with any text, as the flow engine hands it over, over the real ticket
// service and community, for a resident with or without a registered
// address. An accepted answer keeps its step's promise: one of the
// offered categories; a description of 2 to 500 characters as typed,
// shown in at most 200; photos only by a done word, the description
// staying within 500 characters whatever words are added at that step; a
// place in one of the community's buildings or in words, never empty,
// short enough for the summary to fit one reply; a mobile number
// shown masked. For the steps that read only the normalised text, the
// normalised text is accepted alike.
func FuzzReportAnswers(f *testing.F) {
	// Each step gets what residents type there, and what they type
	// elsewhere: commands, nothing, an emoji.
	common := []string{"帮助", "取消", "", "👍"}
	for k, seeds := range [][]string{
		{"1", "８", "第二个", "环境卫生", "维修", "9"},
		{"楼道灯不亮了", "灯", "滴个不停"},
		{"好了", "跳过", "没有", "滴个不停", "3号楼2单元201"},
		{"三号楼", "3#", "9号楼", "5", "我家", "楼道", "2单元楼道", "我家楼下", "小区东门", "公共区域 东门广场", "公共区域", "不知道", "是的", "3号楼旁边的路灯"},
		{"13800138000", "+86 138-0013-8000", "是的", "1"},
	} {
		for i, s := range append(seeds, common...) {
			f.Add(uint8(k), i%2 == 0, s)
		}
	}
	store := storagetest.Open(f)
	clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
	store.Now = clock.Now
	queue := notifytest.Queue(f, store, notify.Config{Now: clock.Now, LogOnly: true})
	c := communitytest.Seed(f, store, clock.Now, communitytest.Spec{
		Buildings: []communitytest.Building{{Number: 1}, {Number: 2}, {Number: 3}, {Number: 5}},
	})
	svc := tickets.New(store, queue, workcal.Builtin(), tickets.Config{Now: clock.Now})
	sessions := &bot.MemorySessions{Now: clock.Now}
	r := bot.NewRouter(sessions)
	r.Now = clock.Now
	r.Residents = store
	if err := report.Register(r, flows.Deps{Residents: store, Community: c.Service, Tickets: svc, Questions: queue, Now: clock.Now}); err != nil {
		f.Fatal(err)
	}
	ids := map[int64]bool{}
	for _, b := range c.Buildings {
		ids[b.ID] = true
	}
	var keys []string
	for _, cat := range svc.Categories() {
		keys = append(keys, cat.Key)
	}
	var n atomic.Int64
	answer := func(t testing.TB, k int, home bool, s string) (*bot.Session, bool) {
		ctx := context.Background()
		openid := "o-fuzz-" + strconv.FormatInt(n.Add(1), 10)
		if home {
			if err := store.SaveProfile(ctx, bot.Resident{OpenID: openid, Name: "王奶奶", Phone: "13900001111", Address: "5号楼1单元101室"}); err != nil {
				t.Fatal(err)
			}
		}
		for i, text := range append(slices.Clone(reportPrefix[:k+1]), s) {
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
		if err != nil || sess == nil || sess.Flow != report.Name {
			return nil, false
		}
		_, ok := sess.Answers[reportKeys[k]]
		return sess, ok
	}
	// The walk reaches every step: a good answer is taken there.
	for k, good := range []string{"1", "楼道灯不亮了", "跳过", "3号楼", "13800138000"} {
		if _, ok := answer(f, k, false, good); !ok {
			f.Fatalf("%s: %q not taken; the walk misses the step", reportKeys[k], good)
		}
	}
	f.Fuzz(func(t *testing.T, step uint8, home bool, s string) {
		if !utf8.ValidString(s) {
			t.Skip("the webhook's XML decoder lets only valid UTF-8 through")
		}
		k := int(step) % len(reportKeys)
		key := reportKeys[k]
		sess, ok := answer(t, k, home, s)
		if sess != nil && len([]rune(sess.Answers["description"].Value)) > 500 {
			t.Fatalf("%s %q: the description grew past 500 characters", key, s)
		}
		if !ok {
			return
		}
		a := sess.Answers[key]
		typed := strings.TrimSpace(s)
		switch key {
		case "category":
			if !slices.Contains(keys, a.Value) {
				t.Fatalf("category %q: accepted as %+v", s, a)
			}
		case "description":
			if n := len([]rune(a.Value)); n < 2 || n > 500 || a.Value != typed || len([]rune(a.Shown())) > 201 {
				t.Fatalf("description %q: accepted as %q", s, a.Value)
			}
		case "photos":
			if a.Value != "" || a.Display != "无" {
				t.Fatalf("photos %q: accepted as %+v with no photo sent", s, a)
			}
		case "where":
			var p wherePlace
			if err := json.Unmarshal([]byte(a.Value), &p); err != nil {
				t.Fatalf("where %q: accepted as %q: %v", s, a.Value, err)
			}
			if strings.TrimSpace(p.Text) == "" || len([]rune(p.Text)) > 150 || a.Display != p.Text || p.Unit < 0 || p.BuildingID != 0 && !ids[p.BuildingID] {
				t.Fatalf("where %q: accepted as %+v", s, p)
			}
			if strings.ContainsFunc(p.Text, unicode.IsControl) && !strings.ContainsFunc(typed, unicode.IsControl) {
				t.Fatalf("where %q: a control character in %q", s, p.Text)
			}
		case "phone":
			if !input.IsMobile(a.Value) || a.Display != bot.MaskPhone(a.Value) {
				t.Fatalf("phone %q: accepted as %+v", s, a)
			}
		}
		if key == "category" || key == "phone" {
			if back, ok := answer(t, k, home, bot.Normalize(s)); !ok || back.Answers[key].Value != a.Value {
				t.Fatalf("%s %q: accepted as %+v, its normalised form not alike", key, s, a)
			}
		}
	})
}

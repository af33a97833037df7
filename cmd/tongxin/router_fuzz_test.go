package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/bottest"
	cl "github.com/tongxin/tongxin/bot/clinic"
	cm "github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/clinic"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// maxReplyBytes is what one passive text reply may carry: WeChat drops
// the Content of a reply longer than 2048 bytes. Nothing in the webhook
// cuts a reply, so every reply the bot writes must fit.
const maxReplyBytes = 2048

// fuzzT0 is the fuzz rig's Thursday morning in Shanghai; every
// conversation starts there so that events and slots are in the future.
var fuzzT0 = time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai)

// fuzzRig is the router as serve builds it (buildBot, the default
// configuration, every feature) over one SQLite database with the real
// ticket, activity, clinic and community services, built once per fuzz
// process: a conversation costs milliseconds, not a migration.
type fuzzRig struct {
	store    *storage.Store
	clock    *bottest.Clock
	sessions *bot.MemorySessions
	r        *bot.Router
	n        atomic.Int64
}

func newFuzzRig(t testing.TB) *fuzzRig {
	t.Helper()
	ctx := context.Background()
	x := &fuzzRig{store: storagetest.Open(t), clock: bottest.NewClock(fuzzT0)}
	x.store.Now = x.clock.Now
	box := notifytest.Queue(t, x.store, notify.Config{Now: x.clock.Now, LogOnly: true})
	seeded := communitytest.Seed(t, x.store, x.clock.Now, communitytest.Spec{
		Staff: []communitytest.Member{
			{Name: "张网格", OpenID: "o-grid", Roles: []cm.Role{cm.RoleGridWorker}, WorkPhone: "13900000001"},
			{Name: "王值班", OpenID: "o-duty", Roles: []cm.Role{cm.RoleDuty}},
			{Name: "王律师", OpenID: "o-lawyer", Roles: []cm.Role{cm.RoleMediator}},
		},
		Buildings: []communitytest.Building{{Number: 1}, {Number: 2}, {Number: 3}, {Number: 5}},
		Grids:     []communitytest.Grid{{Name: "一网格", Worker: "张网格", Buildings: []int{1, 2, 3}}},
	})
	acts := activities.New(x.store, box, activities.Config{Now: x.clock.Now})
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, bot.Shanghai) }
	for _, a := range []activity.Activity{
		{Title: "邻里荟", Location: "社区活动室", StartsAt: at(28, 14, 0), EndsAt: at(28, 16, 0), Capacity: 3, MaxParty: 1},
		{Title: "情浓百家宴", Location: "社区广场", StartsAt: at(29, 11, 30), EndsAt: at(29, 14, 0), Capacity: 6, MaxParty: 4,
			Questions: []activity.Question{
				{Key: "ethnic", Label: "民族", Choices: []string{"汉族", "回族", "其他"}},
				{Key: "diet", Label: "饮食禁忌", Optional: true},
			}},
	} {
		if _, err := acts.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	clin := clinic.New(x.store, box, clinic.Config{Now: x.clock.Now, Place: "社区服务中心二楼", Phone: "0991-5551234"})
	now := x.clock.Now()
	lawyer := cl.Provider{Name: "王律师", Kind: cl.Lawyer, StaffID: seeded.Staff["王律师"].ID, Languages: []string{"维吾尔语"},
		Active: true, CreatedAt: now, UpdatedAt: now}
	if err := x.store.InsertClinicProvider(ctx, &lawyer); err != nil {
		t.Fatal(err)
	}
	sc := cl.Schedule{Mode: cl.Appointment, ProviderIDs: []int64{lawyer.ID}, Weekdays: []int{1, 3, 5}, Start: "09:00", End: "11:00",
		SlotMinutes: 30, Capacity: 2, Location: "二楼调解室", Matters: []cl.Matter{cl.Consult, cl.Mediation, cl.Aid},
		Active: true, CreatedAt: now, UpdatedAt: now}
	if err := x.store.InsertClinicSchedule(ctx, &sc); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	x.sessions = &bot.MemorySessions{Now: x.clock.Now}
	dir := seeded.Service
	x.r, err = buildBot(cfg, x.sessions, flows.Deps{
		Residents: x.store, Notifier: box, Questions: box, Community: dir,
		Tickets:    tickets.New(x.store, box, workcal.Builtin(), tickets.Config{Now: x.clock.Now}),
		Activities: acts, Clinic: clin,
		Duty:   bot.Duty{Notifier: box, Roster: dir.OnDuty},
		Lines:  contactLines(cfg, nil),
		Recent: &bot.MemoryRecent{},
		Now:    x.clock.Now,
	}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// xmlText makes s what a WeChat message can carry: valid UTF-8 and only
// the characters XML 1.0 allows (the webhook decodes XML).
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF {
			return r
		}
		return -1
	}, strings.ToValidUTF8(s, ""))
}

// goErrorMarks are pieces of Go and driver error strings that must never
// reach a resident (an internal error wrapped into a reply, or a fmt
// verb gone wrong).
var goErrorMarks = []string{"%!", "<nil>", "runtime error", "nil pointer", "context deadline", "context canceled",
	"sql:", "sqlite", "pq:", "constraint", "json:", "strconv.", "storage:", "tickets:", "activities:", "clinic:",
	"bot:", "report:", "signup:", "booking:", "profile:", "contact:", "emergency:", "staffdesk:", "community:", "notify:",
	"input:", "goroutine ", "panic", "0x"}

// refRe finds the number of a record a reply says was made.
var refRe = regexp.MustCompile(`(?:编号|预约码|签到码)[:：](\d+)`)

// message turns one line of a fuzz script into what WeChat would send:
// "#click KEY", "#scan SCENE", "#sub SCENE", "#img", "#voice TEXT",
// "#loc LABEL" and "#pause MINUTES" (the clock moves, no message) are
// events and media; any other line is a text, where "#ref" stands for
// the number of the record last made (编号, 预约码, 签到码).
func message(line, openid string, i int, now time.Time) (*bot.Message, time.Duration) {
	m := &bot.Message{ID: fmt.Sprintf("%s-%d", openid, i), OpenID: openid, Kind: bot.KindText, Text: line, Time: now}
	cmd, arg, _ := strings.Cut(line, " ")
	switch cmd {
	case "#pause":
		n, _ := strconv.Atoi(arg)
		return nil, time.Duration(min(max(n, 0), 3*24*60)) * time.Minute
	case "#click":
		m.Kind, m.Event, m.EventKey, m.Text = bot.KindEvent, bot.EventClick, arg, ""
	case "#scan":
		m.Kind, m.Event, m.EventKey, m.Text = bot.KindEvent, bot.EventScan, arg, ""
	case "#sub":
		m.Kind, m.Event, m.EventKey, m.Text = bot.KindEvent, bot.EventSubscribe, arg, ""
	case "#img":
		m.Kind, m.Text, m.MediaID, m.PicURL = bot.KindImage, "", "media-"+strconv.Itoa(i), "http://127.0.0.1/p.jpg"
	case "#voice":
		m.Kind, m.Text, m.MediaID = bot.KindVoice, arg, "voice-"+strconv.Itoa(i)
	case "#loc":
		m.Kind, m.Text, m.Location = bot.KindLocation, "", &bot.Location{Lat: 43.8, Lng: 87.6, Label: arg}
	}
	return m, 0
}

// FuzzServeRouter plays a conversation (one message per line, see
// message) from a new resident, optionally one with a registered
// profile, through the router serve builds. Whatever residents send:
// no panic; every text or voice message gets an answer; no answer is the
// internal-error apology or carries a Go error string; every answer fits
// one WeChat reply and is text XML can carry.
func FuzzServeRouter(f *testing.F) {
	for _, s := range []string{
		"帮助\n登记\n王芳\n13800138000\n3号楼2单元201\n1\n跳过\n1\n我的信息",
		"报修\n1\n楼道灯不亮了\n跳过\n3号楼2单元\n13800138000\n1\n我的诉求\n查询 #ref",
		"楼道灯不亮好几天了\n1\n#img\n好了\n我家楼下\n2号楼\n13800138000\n2\n3\n1",
		"#click REPORT\n2\n#voice 垃圾没人清。\n跳过\n#loc 小区东门\n138 0013 8000\n1",
		"活动\n2\n3\n2\n跳过\n王芳\n13800138000\n1\n我的报名\n取消报名\n1\n1",
		"#click EVENTS\n1\n是的\n阿依\n+86 13800138001\n确认\n#pause 1500\n继续",
		"法律\n1\n1\n房东不退押金\n0\n白雪\n13800000002\n1\n我的预约\n改约\n1\n1\n取消预约\n1",
		"#click LEGAL\n3\n1\n2\n2\n#pause 40\n1\n欠款不还\n9\n1",
		"我家着火了\n网格员电话\n人工\n谢谢",
		"#sub profile\n王 芳\n#pause 31\n1\n查询\n催办 2611260001 还没人来\n评价 1",
		"反馈\n\n\n\n1\n0\n取消\n返回\n修改\n2\n1",
		"報修\n１\n樓道燈不亮\n跳過\n３號樓\n１３８００１３８０００\n確認",
		"#scan report:3\n2\n门口有积水\n跳过\n1\n13800138000\n修改\n4\n公共区域 东门广场\n1",
		"办结 1 已修好\n待办\n受理 2611260001\n绑定 123456",
		"1\n2\n3\n4\n5\n6\n7\n8\n9\n0",
		"👍\n🙏\n1️⃣\n第一个\n①\n十二\n二十一",
		// Residents paste long stories: every answer must still fit. The
		// first and the 补充 one found summaries and 查询 answers past
		// 2048 bytes (fixed in report).
		"报修\n3\n" + strings.Repeat("楼上邻居每天半夜在家里跳绳，声音很大，影响休息，", 20) + "\n跳过\n公共区域 " + strings.Repeat("东门广场北侧的健身器材旁边", 20) + "\n13800138000\n修改\n1",
		"法律\n1\n1\n" + strings.Repeat("房东不退押金还扣了我三个月的工资，", 30) + "\n0\n" + strings.Repeat("阿", 20) + "\n13800000002\n1",
		"活动\n2\n4\n3\n" + strings.Repeat("不吃猪肉不吃辣", 28) + "\n" + strings.Repeat("热", 20) + "\n13800138000\n1",
		"报修\n1\n" + strings.Repeat("厨房水管漏水，楼下天花板都湿了，", 31) + "\n跳过\n3号楼\n13800138000\n1\n补充 #ref " +
			strings.Repeat("楼下邻居说墙皮也掉了，", 45) + "\n补充 #ref " + strings.Repeat("今天又漏了，", 80) + "\n补充 #ref " +
			strings.Repeat("还是没人来看，", 70) + "\n催办 #ref\n查询 #ref",
		"登记\n" + strings.Repeat("王", 20) + "\n13800138000\n3号楼2单元201\n2\n" + strings.Repeat("独居老人行动不便", 12) + "\n1\n我的信息",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	x := newFuzzRig(f)
	f.Fuzz(func(t *testing.T, script string, registered bool) {
		ctx := context.Background()
		x.clock.Set(fuzzT0)
		openid := "o-fuzz-" + strconv.FormatInt(x.n.Add(1), 10)
		if registered {
			if err := x.store.SaveProfile(ctx, bot.Resident{OpenID: openid, Name: "王奶奶", Phone: "13900001111", Address: "5号楼1单元101室"}); err != nil {
				t.Fatal(err)
			}
		}
		script = xmlText(script)
		said := strings.ToLower(script + "\n" + bot.Normalize(script))
		ref := "2611260001"
		for i, line := range strings.Split(script, "\n") {
			if i >= 24 {
				break
			}
			// "#ref" stands for the number of the record last made.
			line = strings.ReplaceAll(line, "#ref", ref)
			m, pause := message(line, openid, i, x.clock.Now())
			if m == nil {
				x.clock.Advance(pause)
				continue
			}
			reply, err := x.r.Handle(ctx, m)
			text := reply.Text
			if err != nil {
				var ue *bot.UserError
				if !errors.As(err, &ue) {
					t.Fatalf("message %d %q: internal error %v", i, line, err)
				}
				text = bot.UserMessage(err)
			}
			t.Logf("%s → %s", line, text)
			checkReply(t, i, line, m, text, said)
			if n := refRe.FindStringSubmatch(text); n != nil {
				ref = n[1]
			}
			x.clock.Advance(20 * time.Second)
		}
	})
}

// checkReply holds one answer to what residents see; said is everything
// the resident typed, lower-cased, raw and normalised.
func checkReply(t *testing.T, i int, line string, m *bot.Message, text, said string) {
	t.Helper()
	switch {
	case (m.Kind == bot.KindText || m.Kind == bot.KindVoice) && strings.TrimSpace(text) == "":
		t.Fatalf("message %d %q: no answer", i, line)
	case strings.Contains(text, bot.MsgInternal):
		t.Fatalf("message %d %q: the internal-error apology", i, line)
	case len(text) > maxReplyBytes:
		t.Fatalf("message %d %q: a %d-byte answer, past WeChat's %d: %q", i, line, len(text), maxReplyBytes, text)
	case xmlText(text) != text:
		t.Fatalf("message %d %q: answer XML cannot carry: %q", i, line, text)
	}
	// The resident's own words may carry anything and come back in
	// summaries (cut, normalised): only a mark they never typed counts.
	low := strings.ToLower(text)
	for _, mark := range goErrorMarks {
		if mark = strings.ToLower(mark); strings.Contains(low, mark) && !strings.Contains(said, mark) {
			t.Fatalf("message %d %q: answer carries %q: %q", i, line, mark, text)
		}
	}
}

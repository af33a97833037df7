package booking_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/clinic/clinictest"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/booking"
	"github.com/tongxin/tongxin/bot/flows/contact"
	"github.com/tongxin/tongxin/bot/flows/emergency"
	"github.com/tongxin/tongxin/bot/flows/profile"
	"github.com/tongxin/tongxin/bot/flows/report"
	"github.com/tongxin/tongxin/bot/flows/signup"
	"github.com/tongxin/tongxin/bot/flows/staffdesk"
	"github.com/tongxin/tongxin/bot/ticket"
)

// t0 is when every test starts: Tuesday 2026-12-01 08:00 in Shanghai.
var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, bot.Shanghai)

func at(month time.Month, day, hour, min int) time.Time {
	return time.Date(2026, month, day, hour, min, 0, 0, bot.Shanghai)
}

// residents is an in-memory bot.Residents.
type residents struct {
	mu sync.Mutex
	m  map[string]bot.Resident
}

func (r *residents) Resident(ctx context.Context, openid string) (bot.Resident, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if x, ok := r.m[openid]; ok {
		return x, nil
	}
	return bot.Resident{}, bot.ErrNotFound
}

func (r *residents) SaveProfile(ctx context.Context, x bot.Resident) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[x.OpenID] = x
	return nil
}

func (r *residents) SetSubscribed(ctx context.Context, openid string, on bool, at time.Time) error {
	return nil
}

// tickets knows one 矛盾纠纷 request, o-resident's 2611260001 (id 42).
type tickets struct{ ticket.Service }

func (tickets) View(ctx context.Context, openid, number string) (ticket.Ticket, []ticket.Entry, error) {
	if openid == "o-resident" && number == "2611260001" {
		return ticket.Ticket{ID: 42, Number: number, CategoryName: "矛盾纠纷"}, nil, nil
	}
	return ticket.Ticket{}, nil, bot.ErrNotFound
}

// questions is the last question delivered to each person.
type questions struct {
	mu sync.Mutex
	m  map[string]bot.Delivered
}

func (q *questions) LastAsked(ctx context.Context, openid string) (bot.Delivered, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if d, ok := q.m[openid]; ok {
		return d, nil
	}
	return bot.Delivered{}, bot.ErrNotFound
}

// rig is a router with the clinic feature over the fake service.
type rig struct {
	clock *bottest.Clock
	fake  *clinictest.Fake
	asked *questions
	r     *bot.Router
}

// Schedules of the fixture, by id.
const (
	schedAppt   = 1 // 预约问诊, 李律师: every matter
	schedWalkIn = 2 // 日常坐诊 walk-in hours
	schedPatrol = 3 // 定期巡诊 at 5号楼, 马调解: consult, mediation
	schedFree   = 4 // 集中义诊, activity 7
	schedAid    = 5 // 司法所: aid only
)

// newRig builds the fixture; kind "walkin" has only walk-in hours,
// "none" nothing at all.
//
//	12-01 (today) 09:00-11:30 walk-in; 10:00, 10:30 appointment
//	12-02 09:00-11:30 walk-in; 15:00 司法所 (aid)
//	12-03 09:00, 09:30 appointment
//	12-04 14:00 巡诊 at 5号楼 (2 seats)
//	12-06 09:00 集中义诊 (activity 7)
func newRig(t *testing.T, kind string) *rig {
	t.Helper()
	clock := bottest.NewClock(t0)
	x := &rig{clock: clock, asked: &questions{m: map[string]bot.Delivered{}}}
	x.fake = &clinictest.Fake{
		Now:   clock.Now,
		About: cl.Info{Place: "社区服务中心二楼", WalkIn: "周一至周五 9:00-11:30", Phone: "0991-5551234"},
		TopicList: []cl.Topic{
			{Title: "婚姻家庭", Text: "离婚可以协议或起诉；涉及子女抚养，以孩子利益为先。"},
			{Title: "劳动工资", Text: "被拖欠工资可向劳动监察投诉，也可申请劳动仲裁，时效一年。"},
			{Title: "反诈骗", Text: "公检法不会电话要求转账。接到可疑电话请挂断，拨打 110。"},
		},
		Providers: []cl.Provider{
			{ID: 1, Name: "李律师", Kind: cl.Lawyer, Active: true},
			{ID: 2, Name: "马调解", Kind: cl.Mediator, Languages: []string{"维吾尔语"}, Active: true},
			{ID: 3, Name: "司法所", Kind: cl.JusticeOffice, Languages: []string{"哈萨克语"}, Active: true},
		},
		Clinic:         map[string]bool{"o-clinic": true},
		StaffProviders: map[string]int64{"o-lawyer": 1, "o-mediator": 2},
		NoAddress:      map[string]bool{"o-new": true},
	}
	all := []cl.Matter{cl.Consult, cl.Mediation, cl.Aid}
	walkIn := func(d int) {
		x.fake.AddSlot(cl.Slot{ScheduleID: schedWalkIn, Start: at(12, d, 9, 0), End: at(12, d, 11, 30), Mode: cl.Daily,
			Location: "社区服务中心二楼", Matters: all, ProviderIDs: []int64{1}, WalkIn: true})
	}
	appt := func(d, h, m int) {
		s := at(12, d, h, m)
		x.fake.AddSlot(cl.Slot{ScheduleID: schedAppt, Start: s, End: s.Add(30 * time.Minute), Mode: cl.Appointment,
			Location: "社区服务中心二楼", Matters: all, ProviderIDs: []int64{1}, Capacity: 1})
	}
	if kind != "none" {
		walkIn(1)
		walkIn(2)
	}
	if kind == "" {
		appt(1, 10, 0)
		appt(1, 10, 30)
		x.fake.AddSlot(cl.Slot{ScheduleID: schedAid, Start: at(12, 2, 15, 0), End: at(12, 2, 16, 0), Mode: cl.Appointment,
			Location: "司法所接待室", Matters: []cl.Matter{cl.Aid}, ProviderIDs: []int64{3}, Capacity: 1})
		appt(3, 9, 0)
		appt(3, 9, 30)
		x.fake.AddSlot(cl.Slot{ScheduleID: schedPatrol, Start: at(12, 4, 14, 0), End: at(12, 4, 16, 0), Mode: cl.Patrol,
			Location: "5号楼活动室", Building: "5号楼", Matters: []cl.Matter{cl.Consult, cl.Mediation}, ProviderIDs: []int64{2}, Capacity: 2})
		x.fake.AddSlot(cl.Slot{ScheduleID: schedFree, Start: at(12, 6, 9, 0), End: at(12, 6, 12, 0), Mode: cl.FreeClinic,
			Location: "社区广场", Matters: []cl.Matter{cl.Consult, cl.Aid}, ActivityID: 7})
	}
	res := &residents{m: map[string]bot.Resident{
		"o-home": {OpenID: "o-home", Name: "王奶奶", Phone: "13900001111", Address: "5号楼1单元101室"},
	}}
	d := flows.Deps{Residents: res, Clinic: x.fake, Tickets: tickets{}, Questions: x.asked, Now: clock.Now}
	r := bot.NewRouter(&bot.MemorySessions{Now: clock.Now})
	r.Now = clock.Now
	r.Residents = res
	if err := booking.Register(r, d); err != nil {
		t.Fatal(err)
	}
	if err := r.Flow(signupStub()); err != nil {
		t.Fatal(err)
	}
	// As cmd's default menu lays it out.
	if err := r.Menu(bot.MenuItem{Key: "LEGAL", Keywords: []string{"法律", "律师", "法律咨询"}}); err != nil {
		t.Fatal(err)
	}
	// The transcripts' first messages, as an operator's words too, so
	// that they do not hang on the built-in vocabulary as it is tuned.
	for name, words := range map[string][]string{
		"clinic:consult":   {"离婚财产:3", "不退押金:3"},
		"clinic:mediation": {"找人调解:3"},
		"clinic:aid":       {"打官司没钱:3"},
		"clinic:knowledge": {"学点法律:3"},
	} {
		if err := r.Words(name, words...); err != nil {
			t.Fatal(err)
		}
	}
	x.r = r
	return x
}

// signupStub stands for the event sign-up flow a 集中义诊 session hands
// over to (bot/flows/signup, registered beside booking in cmd).
func signupStub() *bot.Flow {
	return &bot.Flow{
		Name: "signup", Title: "活动报名",
		Steps: []*bot.Step{{Key: "name", Label: "姓名", PromptFunc: func(ctx context.Context, st *bot.State) (string, error) {
			return fmt.Sprintf("（活动 %s 的报名）\n请问报名人的姓名？", st.Param), nil
		}, Prompt: "姓名"}},
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) { return bot.Text("报名成功"), nil },
	}
}

// harness passes messages to the router and reads a few test commands:
//
//	!约满 <schedule> <M-D> <HH:MM>   the slot is filled by others
//	!停诊 <booking id>              the slot closed; the push asking
//	                                cl.QuestionClosed reached the resident
//	!援助 <id> <status>             the justice office moved an application
//	!会诊 <id> <M-D> <HH:MM> <place> staff scheduled an expert request
type harness struct{ x *rig }

func (h harness) Handle(ctx context.Context, m *bot.Message) (bot.Reply, error) {
	f := strings.Fields(m.Text)
	if len(f) == 0 || !strings.HasPrefix(f[0], "!") {
		return h.x.r.Handle(ctx, m)
	}
	switch f[0] {
	case "!约满":
		var sid int64
		var mo, d, hh, mm int
		if _, err := fmt.Sscanf(f[1]+" "+f[2]+" "+f[3], "%d %d-%d %d:%d", &sid, &mo, &d, &hh, &mm); err != nil {
			return bot.Reply{}, err
		}
		h.x.fake.Fill(cl.SlotRef{ScheduleID: sid, Start: at(time.Month(mo), d, hh, mm)})
		return bot.Text("（已被他人约满）"), nil
	case "!停诊":
		for _, b := range h.x.fake.Bookings() {
			if fmt.Sprint(b.ID) == f[1] {
				h.x.fake.Remove(cl.SlotRef{ScheduleID: b.ScheduleID, Start: b.Start})
			}
		}
		h.x.asked.mu.Lock()
		h.x.asked.m[m.OpenID] = bot.Delivered{Question: cl.QuestionClosed, Ref: f[1], At: h.x.clock.Now()}
		h.x.asked.mu.Unlock()
		return bot.Text("（停诊通知已送达，列出了下一个空闲时段）"), nil
	case "!援助":
		id, _ := strconv.ParseInt(f[1], 10, 64)
		h.x.fake.SetAidStatus(id, cl.AidStatus(f[2]))
		return bot.Text("（司法所已更新）"), nil
	case "!会诊":
		id, _ := strconv.ParseInt(f[1], 10, 64)
		var mo, d, hh, mm int
		if _, err := fmt.Sscanf(f[2]+" "+f[3], "%d-%d %d:%d", &mo, &d, &hh, &mm); err != nil {
			return bot.Reply{}, err
		}
		h.x.fake.ScheduleExpert(id, at(time.Month(mo), d, hh, mm), f[4], 1, 2)
		return bot.Text("（工作人员已安排）"), nil
	}
	return bot.Reply{}, fmt.Errorf("unknown test command %q", m.Text)
}

// TestTranscripts replays testdata/*.txt, each on a fresh fixture
// (walkin_*.txt: walk-in hours only; none_*.txt: nothing).
func TestTranscripts(t *testing.T) {
	bottest.Each(t, func(t *testing.T, f string) {
		kind, _, _ := strings.Cut(filepath.Base(f), "_")
		if kind != "walkin" && kind != "none" {
			kind = ""
		}
		x := newRig(t, kind)
		bottest.Transcript(t, harness{x}, x.clock, f)
	})
}

// TestRegistersBesideTheOtherFeatures registers every feature as cmd's
// feature table does, with cmd's default menu: no keyword, scene or flow
// of the clinic collides with another's, and the menu's LEGAL keywords
// reach the clinic.
func TestRegistersBesideTheOtherFeatures(t *testing.T) {
	x := newRig(t, "")
	d := flows.Deps{Residents: &residents{m: map[string]bot.Resident{}}, Clinic: x.fake, Now: x.clock.Now}
	r := bot.NewRouter(&bot.MemorySessions{Now: x.clock.Now})
	r.Now = x.clock.Now
	for _, register := range []flows.Register{
		emergency.Register, contact.Register, profile.Register, report.Register, staffdesk.Register, signup.Register, booking.Register,
	} {
		if err := register(r, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Menu(
		bot.MenuItem{Key: "REPORT"},
		bot.MenuItem{Key: "EVENTS", Keywords: []string{"活动", "报名"}},
		bot.MenuItem{Key: "LEGAL", Keywords: []string{"法律", "律师", "法律咨询"}},
		bot.MenuItem{Key: "MY", Keywords: []string{"我的信息", "我的"}},
	); err != nil {
		t.Fatal(err)
	}
	say := bottest.Say(r, x.clock)
	for _, word := range []string{"法律", "律师", "法律咨询", "咨询律师", "预约", "3"} {
		if got := say("o-t", word); !strings.Contains(got, "请问您要办理") {
			t.Errorf("%s: %q", word, got)
		}
		say("o-t", "取消")
	}
	if got := say("o-t", "调解"); !strings.Contains(got, "矛盾调解 可预约的时段") {
		t.Errorf("调解: %q", got)
	}
	say("o-t", "取消")
	if got := say("o-t", "法律援助"); !strings.Contains(got, "申请法律援助") {
		t.Errorf("法律援助: %q", got)
	}
	say("o-t", "取消")
}

// TestWithoutClinic: a router built without the clinic's service (tools,
// other features' tests) still has the LEGAL action, saying it is not
// open yet.
func TestWithoutClinic(t *testing.T) {
	r := bot.NewRouter(&bot.MemorySessions{})
	if err := booking.Register(r, flows.Deps{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Menu(bot.MenuItem{Key: "LEGAL", Keywords: []string{"律师"}}); err != nil {
		t.Fatal(err)
	}
	if got := bottest.Say(r, bottest.NewClock(t0))("o-t", "律师"); !strings.Contains(got, "法律诊所预约") || !strings.Contains(got, "12348") {
		t.Errorf("律师 without the clinic: %q", got)
	}
}

// TestDescriptionNotLogged books with a description and aid answers, an
// error at the confirmation on the way, with the router logging
// everything: neither the description nor the case kind is in the log.
func TestDescriptionNotLogged(t *testing.T) {
	x := newRig(t, "")
	var log bytes.Buffer
	x.r.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	say := bottest.Say(harness{x}, x.clock)
	const secret = "丈夫家暴想离婚"
	for _, text := range []string{"法律援助", "2", "1", "2", "1", secret, "0", "秘密人", "13800000099", "1"} {
		say("o-p", text)
	}
	// A second booking the same day: refused at confirm, then dropped.
	for _, text := range []string{"法律援助", "2", "1", "2", "1", secret, "0", "1", "1", "1", "0"} {
		say("o-p", text)
	}
	bs := x.fake.Bookings()
	if len(bs) != 1 || bs[0].Description != secret || bs[0].AidID == 0 {
		t.Fatalf("bookings: %+v", bs)
	}
	if a := x.fake.AidApplications(); len(a) != 1 || a[0].Answers == nil || a[0].Answers.CaseKind != "婚姻家庭" || !a[0].Answers.Hardship || a[0].Answers.InCourt {
		t.Fatalf("aid: %+v", a)
	}
	if strings.Contains(log.String(), secret) || strings.Contains(log.String(), "婚姻家庭") {
		t.Errorf("the log holds the matter:\n%s", log.String())
	}
}

// TestTodayFitsOneMessage: a busy day of 24 bookings with long
// descriptions fits one WeChat text (2048 bytes); those left out are
// counted, and the earliest are shown.
func TestTodayFitsOneMessage(t *testing.T) {
	x := newRig(t, "none")
	ctx := context.Background()
	for i := range 24 {
		s := at(12, 2, 8, 0).Add(time.Duration(i) * 20 * time.Minute)
		x.fake.AddSlot(cl.Slot{ScheduleID: 9, Start: s, End: s.Add(20 * time.Minute), Mode: cl.Appointment,
			Location: "社区服务中心二楼调解室", Matters: []cl.Matter{cl.Consult}, ProviderIDs: []int64{1}, Capacity: 1})
		if _, err := x.fake.Book(ctx, cl.Draft{Slot: cl.SlotRef{ScheduleID: 9, Start: s}, Matter: cl.Consult,
			OpenID: fmt.Sprintf("o-%d", i), Name: "阿依古丽·买买提", Phone: "13800000000", Language: "维吾尔语",
			Description: strings.Repeat("房东不退押金还扣了我三个月的工资", 10)}); err != nil {
			t.Fatal(err)
		}
	}
	x.clock.Set(at(12, 2, 7, 0))
	got := bottest.Say(harness{x}, x.clock)("o-clinic", "今日预约")
	if n := len(got); n > 2048 {
		t.Errorf("今日预约 is %d bytes, more than one WeChat text:\n%s", n, got)
	}
	for _, want := range []string{"共 24 个", "1. 08:00", "未列出"} {
		if !strings.Contains(got, want) {
			t.Errorf("今日预约 lacks %q:\n%s", want, got)
		}
	}
}

// TestReceiptInsideCutoff: a slot booked inside the cut-off (allowed by
// the shorter minimum notice) cannot be cancelled or moved online, so
// its receipt does not tell the resident to reply 取消预约 or 改约; it
// gives the clinic's phone.
func TestReceiptInsideCutoff(t *testing.T) {
	x := newRig(t, "")
	x.clock.Set(at(12, 1, 8, 45))
	say := bottest.Say(harness{x}, x.clock)
	var got string
	for _, text := range []string{"法律", "1", "1", "合同纠纷", "0", "刘一", "13800000001", "1"} {
		got = say("o-late", text)
	}
	if !strings.Contains(got, "预约成功") || !strings.Contains(got, "10:00") {
		t.Fatalf("booking: %q", got)
	}
	if strings.Contains(got, "取消预约 或 改约 办理") || !strings.Contains(got, "0991-5551234") {
		t.Errorf("receipt inside the cut-off: %q", got)
	}
	// Outside the cut-off the receipt offers them.
	for _, text := range []string{"法律", "1", "3", "合同纠纷", "0", "陈二", "13800000002", "1"} {
		got = say("o-early", text)
	}
	if !strings.Contains(got, "预约成功") || !strings.Contains(got, "取消预约 或 改约 办理") {
		t.Errorf("receipt outside the cut-off: %q", got)
	}
}

// TestMineIsNotAMenu: 我的预约 lists bookings without numbers, which a
// resident would reply with (and reach the main menu's item 1); it says
// the commands to use instead.
func TestMineIsNotAMenu(t *testing.T) {
	x := newRig(t, "")
	say := bottest.Say(harness{x}, x.clock)
	for _, text := range []string{"法律", "1", "1", "合同纠纷", "0", "刘一", "13800000001", "1"} {
		say("o-m", text)
	}
	got := say("o-m", "我的预约")
	if !strings.Contains(got, "预约码") || strings.Contains(got, "\n1 ") || !strings.Contains(got, "取消预约") {
		t.Errorf("我的预约: %q", got)
	}
}

// TestFullSaysNoFixedHorizon: the operator sets how far ahead slots are
// listed (TONGXIN_CLINIC_HORIZON); "all booked" does not claim 14 days.
func TestFullSaysNoFixedHorizon(t *testing.T) {
	x := newRig(t, "walkin")
	x.fake.Horizon = 7 * 24 * time.Hour
	got := bottest.Say(harness{x}, x.clock)("o-h", "调解")
	if !strings.Contains(got, "已约满") || strings.Contains(got, "14 天") {
		t.Errorf("all booked: %q", got)
	}
}

// TestSlotNumbersStandApart: a reply number is set apart from the time
// after it ("1. 10:00", as the closure's push writes it): "1 10:00" reads
// as 110:00 or 11:00 on a small screen.
func TestSlotNumbersStandApart(t *testing.T) {
	x := newRig(t, "")
	got := bottest.Say(harness{x}, x.clock)("o-n", "调解")
	if !strings.Contains(got, "\n1. 10:00 ") || strings.Contains(got, "\n1 10:00") {
		t.Errorf("slot list: %q", got)
	}
}

// TestRebookOnlyWhatThePushOffered: a closure's push offers 1/2/3
// (cl.QuestionClosed); a bare 4 to 9 after it is not a slot the resident
// saw, and does not open 改约 at one.
func TestRebookOnlyWhatThePushOffered(t *testing.T) {
	x := newRig(t, "")
	say := bottest.Say(harness{x}, x.clock)
	for _, text := range []string{"法律", "1", "1", "合同纠纷", "0", "刘一", "13800000001", "1", "!停诊 1"} {
		say("o-r", text)
	}
	if got := say("o-r", "5"); strings.Contains(got, "改到") {
		t.Errorf("a bare 5 after a push offering 1/2/3: %q", got)
	}
	if got := say("o-r", "2"); !strings.Contains(got, "改到") {
		t.Errorf("a bare 2 after the push: %q", got)
	}
}

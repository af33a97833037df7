package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/handlers/web/browsertest"
)

// The journeys across the console and the simulator, each in one
// real browser on a 360-px phone, against one `serve` with development
// credentials: a ticket worked from the console while the resident's
// pushes arrive in /sim; an event created in the console and filled from
// /sim; a clinic schedule created in the console and booked from /sim.

const flowWait = 20 * time.Second

// simTab drives /sim in the test's browser.
type simTab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// open shows the thread of openid.
func (s *simTab) open(openid string) {
	s.t.Helper()
	browsertest.Do(s.t, s.ctx, "open /sim as "+openid, chromedp.Navigate(s.base+"/sim?openid="+openid))
	browsertest.WaitJS(s.t, s.ctx, `!!document.querySelector('#sim-text')`, flowWait, "the simulator")
}

// say types text, sends it and returns the reply it gets (the newest
// message from the account that is not a push).
func (s *simTab) say(text string) string {
	s.t.Helper()
	const replies = `document.querySelectorAll('#thread .sim-in:not(.sim-push)')`
	n := browsertest.Eval[int](s.t, s.ctx, replies+`.length`)
	browsertest.Do(s.t, s.ctx, "type "+text,
		chromedp.SendKeys(chromedp.CSS("#sim-text"), text),
		chromedp.Click(chromedp.CSS("#sim-send")))
	browsertest.WaitJS(s.t, s.ctx, fmt.Sprintf(`%s.length > %d`, replies, n), flowWait, "the reply to "+text)
	return browsertest.Eval[string](s.t, s.ctx, `(() => { const r = `+replies+`; return r[r.length-1].innerText })()`)
}

// cue answers a reply containing when with say.
type cue struct{ when, say string }

// converse says first, then answers each reply by the first cue it
// contains, until a reply contains done; it returns that reply.
func (s *simTab) converse(first string, cues []cue, done string) string {
	s.t.Helper()
	var script []string
	reply := s.say(first)
	script = append(script, "> "+first, reply)
	for range 15 {
		if strings.Contains(reply, done) {
			return reply
		}
		answer := ""
		for _, c := range cues {
			if strings.Contains(reply, c.when) {
				answer = c.say
				break
			}
		}
		if answer == "" {
			s.t.Fatalf("no answer for %q\n%s", reply, strings.Join(script, "\n"))
		}
		reply = s.say(answer)
		script = append(script, "> "+answer, reply)
	}
	s.t.Fatalf("never read %q\n%s", done, strings.Join(script, "\n"))
	return ""
}

// signIn signs the browser into the console as the staff member using
// /sim now, through 登录后台's one-time link.
func (s *simTab) signIn() {
	s.t.Helper()
	reply := s.say("登录后台")
	link := regexp.MustCompile(`https?://\S+/console/login/link\?t=\S+`).FindString(reply)
	if link == "" {
		s.t.Fatalf("登录后台 gave no link: %q", reply)
	}
	browsertest.Do(s.t, s.ctx, "open the link", chromedp.Navigate(link))
	browsertest.WaitText(s.t, s.ctx, "进入后台", flowWait)
	browsertest.Do(s.t, s.ctx, "enter", chromedp.Click(chromedp.CSS(`form[action="/console/login/link"] button`)))
	browsertest.WaitJS(s.t, s.ctx, `location.pathname === "/console"`, flowWait, "the dashboard")
}

// operator signs the browser into the console with the admin token.
func (s *simTab) operator() {
	s.t.Helper()
	browsertest.Do(s.t, s.ctx, "open the console", chromedp.Navigate(s.base+"/console/login"))
	browsertest.Do(s.t, s.ctx, "sign in with the token",
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Click(chromedp.CSS(`form[action="/console/login/token"] button`)))
	browsertest.WaitText(s.t, s.ctx, "管理员（令牌）", flowWait)
}

func newSimTab(t *testing.T) (*simTab, *testEnv) {
	ctx := browsertest.New(t)
	e := devEnv(t)
	e.vars["TONGXIN_RATE_PER_MINUTE"] = "0"
	base := e.start(t)
	return &simTab{t: t, ctx: ctx, base: base}, e
}

func TestBrowserTicketWorkedFromConsole(t *testing.T) {
	s, _ := newSimTab(t)
	resident, worker := simOpenID("flow-resident"), simOpenID("flow-worker")
	code, w := admin(t, s.base, "POST", "/api/v1/staff", map[string]any{"name": "张网格", "phone": "13900000011", "roles": []string{"grid_worker"}})
	if code != 201 {
		t.Fatalf("create staff: %d %v", code, w)
	}
	if code, body := admin(t, s.base, "POST", "/api/v1/buildings", map[string]any{"number": 3}); code != 201 {
		t.Fatalf("building: %d %v", code, body)
	}
	if code, body := admin(t, s.base, "POST", "/api/v1/grids", map[string]any{"name": "一网格", "worker_id": w["id"], "buildings": []int{3}}); code != 201 {
		t.Fatalf("grid: %d %v", code, body)
	}
	s.open(worker)
	if reply := s.say(fmt.Sprintf("绑定 %v", w["bind_code"])); !strings.Contains(reply, "绑定成功") {
		t.Fatalf("bind: %q", reply)
	}

	s.open(resident)
	filed := s.converse("报修", []cue{
		{"请核对", "1"}, {"请选择问题类型", "1"}, {"请简单描述问题", "3楼楼道灯不亮"}, {"好了", "跳过"},
		{"3号楼", "3号楼2单元201"}, {"地址", "3号楼2单元201"}, {"手机", "13800138000"}, {"回复 1", "1"},
	}, "编号")
	number := regexp.MustCompile(`\d{10}`).FindString(filed)
	if number == "" {
		t.Fatalf("no ticket number in %q", filed)
	}
	pushesBefore := browsertest.Eval[int](t, s.ctx, `document.querySelectorAll('#thread .sim-push').length`)

	// The grid worker signs into the console from WeChat and works the
	// ticket there.
	s.open(worker)
	s.signIn()
	browsertest.Do(t, s.ctx, "open the ticket", chromedp.Navigate(s.base+"/console/tickets/"+number))
	browsertest.WaitText(t, s.ctx, "3楼楼道灯不亮", flowWait)
	browsertest.NoOverflow(t, s.ctx, "flow-ticket-console")
	browsertest.Do(t, s.ctx, "accept", chromedp.Click(chromedp.CSS(`#act-accept button[type=submit]`)))
	browsertest.WaitText(t, s.ctx, "已受理", flowWait)
	browsertest.Do(t, s.ctx, "resolve",
		chromedp.SendKeys(chromedp.CSS("#resolve-note"), "已更换灯泡"),
		chromedp.Click(chromedp.CSS(`#act-resolve button[type=submit]`)))
	browsertest.WaitText(t, s.ctx, "已办结", flowWait)
	browsertest.NoOverflow(t, s.ctx, "flow-ticket-resolved")

	// The resident's thread shows both pushes: accepted, then resolved
	// with the request to rate.
	s.open(resident)
	browsertest.WaitJS(t, s.ctx, fmt.Sprintf(`document.querySelectorAll('#thread .sim-push').length >= %d`, pushesBefore+2), flowWait, "the resident's two pushes")
	thread := browsertest.Eval[string](t, s.ctx, `document.querySelector('#thread').innerText`)
	if !strings.Contains(thread, number) && !strings.Contains(thread, "楼道灯") {
		t.Errorf("the pushes do not name the ticket:\n%s", thread)
	}
	browsertest.NoOverflow(t, s.ctx, "flow-ticket-sim-pushes")
}

func TestBrowserEventFilledFromSimulator(t *testing.T) {
	s, _ := newSimTab(t)
	s.operator()
	starts := time.Now().In(bot.Shanghai).Add(72 * time.Hour).Truncate(time.Hour)
	browsertest.Do(t, s.ctx, "the new event form", chromedp.Navigate(s.base+"/console/events/new"))
	browsertest.WaitJS(t, s.ctx, `!!document.querySelector('#event-form')`, flowWait, "the form")
	browsertest.Do(t, s.ctx, "fill the form",
		chromedp.SendKeys(chromedp.CSS("#title"), "冬至包饺子"),
		chromedp.SendKeys(chromedp.CSS("#location"), "社区活动室"),
		chromedp.SetValue(chromedp.CSS("#starts_at"), starts.Format("2006-01-02T15:04")),
		chromedp.SetValue(chromedp.CSS("#ends_at"), starts.Add(2*time.Hour).Format("2006-01-02T15:04")),
		chromedp.SetValue(chromedp.CSS("#capacity"), "2"),
		chromedp.SetValue(chromedp.CSS("#max_party"), "1"),
		chromedp.Click(chromedp.CSS("#event-save")))
	browsertest.WaitText(t, s.ctx, "已创建活动", flowWait)
	eventPage := browsertest.Eval[string](t, s.ctx, `location.href`)

	// Two residents fill it from the simulator; a third is told it is full.
	for i, name := range []string{"马秀兰", "李建国"} {
		s.open(simOpenID(fmt.Sprintf("flow-guest-%d", i)))
		s.converse("活动报名", []cue{
			{"请核对", "1"}, {"冬至包饺子", "1"}, {"几位", "1"}, {"姓名", name}, {"手机", fmt.Sprintf("1391234567%d", i)},
			{"回复 1", "1"},
		}, "报名成功")
	}
	s.open(simOpenID("flow-guest-late"))
	late := s.say("活动报名")
	if strings.Contains(late, "冬至包饺子") && !strings.Contains(late, "满") && !strings.Contains(late, "候补") {
		t.Errorf("a full event is offered as open: %q", late)
	}
	browsertest.NoOverflow(t, s.ctx, "flow-event-sim")

	// The console's roster shows both, the event full.
	browsertest.Do(t, s.ctx, "the event's page", chromedp.Navigate(eventPage))
	browsertest.WaitText(t, s.ctx, "马秀兰", flowWait)
	browsertest.WaitText(t, s.ctx, "李建国", flowWait)
	browsertest.NoOverflow(t, s.ctx, "flow-event-roster")
}

func TestBrowserClinicScheduleBooked(t *testing.T) {
	s, _ := newSimTab(t)
	s.operator()
	browsertest.Do(t, s.ctx, "providers", chromedp.Navigate(s.base+"/console/clinic/providers"))
	browsertest.WaitJS(t, s.ctx, `!!document.querySelector('#provider-form')`, flowWait, "the provider form")
	browsertest.Do(t, s.ctx, "add a lawyer",
		chromedp.SendKeys(chromedp.CSS("#provider-name"), "王律师"),
		chromedp.SendKeys(chromedp.CSS("#provider-phone"), "13800001111"),
		chromedp.Click(chromedp.CSS("#provider-submit")))
	browsertest.WaitText(t, s.ctx, "王律师", flowWait)

	// A one-day appointment schedule two working days ahead.
	day := time.Now().In(bot.Shanghai).AddDate(0, 0, 2)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	browsertest.Do(t, s.ctx, "the schedule form", chromedp.Navigate(s.base+"/console/clinic/schedules/new"))
	browsertest.WaitJS(t, s.ctx, `!!document.querySelector('#schedule-form')`, flowWait, "the schedule form")
	browsertest.Do(t, s.ctx, "fill the schedule",
		chromedp.SetValue(chromedp.CSS("#schedule-mode"), "appointment"),
		chromedp.Click(chromedp.CSS(`input[name="provider_ids"]`)),
		chromedp.SetValue(chromedp.CSS("#schedule-date"), day.Format("2006-01-02")),
		chromedp.SetValue(chromedp.CSS("#schedule-start"), "09:00"),
		chromedp.SetValue(chromedp.CSS("#schedule-end"), "10:00"),
		chromedp.SetValue(chromedp.CSS("#schedule-location"), "社区服务中心二楼"),
		chromedp.Click(chromedp.CSS("#schedule-submit")))
	browsertest.WaitText(t, s.ctx, "已新建排期", flowWait)

	// A resident books it from the simulator.
	s.open(simOpenID("flow-client"))
	done := s.converse("法律", []cue{
		{"请核对", "1"}, {"请问您要办理", "1"}, {"可预约的时段", "1"}, {"是什么事", "邻居装修把墙弄裂了"},
		{"翻译", "0"}, {"姓名", "赵大妈"}, {"手机", "13912345678"}, {"回复 1", "1"},
	}, "预约成功")
	if !strings.Contains(done, "预约") {
		t.Fatalf("booking: %q", done)
	}
	browsertest.NoOverflow(t, s.ctx, "flow-clinic-sim")

	// The console's week shows the booking; the operator does not read
	// its matter.
	browsertest.Do(t, s.ctx, "the week", chromedp.Navigate(s.base+"/console/clinic?week="+day.Format("2006-01-02")))
	browsertest.WaitJS(t, s.ctx, `!!document.querySelector('a[href^="/console/clinic/bookings/"]')`, flowWait, "the booking in the week")
	browsertest.NoOverflow(t, s.ctx, "flow-clinic-week")
	browsertest.Do(t, s.ctx, "the booking", chromedp.Click(chromedp.CSS(`a[href^="/console/clinic/bookings/"]`)))
	browsertest.WaitText(t, s.ctx, "赵", flowWait)
	if text := browsertest.Text(t, s.ctx); strings.Contains(text, "邻居装修") {
		t.Error("the operator reads the matter")
	}
}

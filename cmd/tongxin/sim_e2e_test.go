package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
)

// devEnv is newEnv with development credentials, as a newcomer runs
// serve: notices go to the log (and the simulator's inbox), and the
// simulator is on.
func devEnv(t *testing.T) *testEnv {
	e := newEnv(t, storagetest.SQLiteURL(t))
	for _, k := range []string{"TONGXIN_WECHAT_APPID", "TONGXIN_WECHAT_SECRET", "TONGXIN_WECHAT_TOKEN", "TONGXIN_WECHAT_AES_KEY"} {
		delete(e.vars, k)
	}
	e.vars["TONGXIN_QUIET_HOURS"] = "off"
	return e
}

// simOpenID is a simulator openid of this run's own: with
// TONGXIN_TEST_REDIS_URL every run shares one Redis, where the
// simulator's inbox and the conversations of a fixed openid outlive the
// test that used it.
func simOpenID(name string) string { return fmt.Sprintf("sim-%s-%08x", name, rand.Uint32()) }

// simClient is a browser without JavaScript: it does not follow
// redirects, so a test sees where each answer sends it.
var simClient = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// simGet gets base+path and returns the status, the Location and the body.
func simGet(t *testing.T, base, path string) (int, string, string) {
	t.Helper()
	resp, err := simClient.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// simPost posts form to /sim/send as the page does: with fragment, as
// its script (the thread comes back), else as a plain form.
func simPost(t *testing.T, base string, form url.Values, fragment bool) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/sim/send", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if fragment {
		req.Header.Set("X-Sim-Fragment", "1")
	}
	resp, err := simClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// simSay sends text as openid through the simulator and returns the
// thread it answers with.
func simSay(t *testing.T, base, openid, text string) string {
	t.Helper()
	status, _, body := simPost(t, base, url.Values{"openid": {openid}, "text": {text}}, true)
	if status != http.StatusOK {
		t.Fatalf("%s says %q through /sim: %d %s", openid, text, status, body)
	}
	return body
}

// lastReply is the newest bubble of a thread fragment, unescaped enough
// to compare with what the bot says.
func lastReply(thread string) string {
	all := regexp.MustCompile(`(?s)<p class="sim-msg sim-in">(.*?)</p>`).FindAllStringSubmatch(thread, -1)
	if len(all) == 0 {
		return ""
	}
	return all[len(all)-1][1]
}

// waitThread waits until openid's thread shows want (pushes arrive
// through the job runner, a moment after what caused them).
func waitThread(t *testing.T, base, openid, want string) string {
	t.Helper()
	var body string
	bottest.WaitFor(t, 30*time.Second, fmt.Sprintf("%s's thread to show %q", openid, want), func() bool {
		_, _, body = simGet(t, base, "/sim/thread?openid="+url.QueryEscape(openid))
		return strings.Contains(body, want)
	})
	return body
}

// TestSimulatorEndToEnd drives serve with development credentials through
// /sim as a browser without JavaScript and as its script: messages go
// signed to the real webhook and come back as replies; menu taps are
// CLICK events; ?scan= sends a SCAN event; and the pushes the resident and
// a staff member receive appear in their threads.
func TestSimulatorEndToEnd(t *testing.T) {
	e := devEnv(t)
	base := e.start(t)
	resident, worker := simOpenID("resident-e2e"), simOpenID("staff-e2e")

	status, _, page := simGet(t, base, "/sim?openid="+resident)
	if status != http.StatusOK || !strings.Contains(page, `value="REPORT"`) || !strings.Contains(page, "报修") {
		t.Fatalf("GET /sim: %d, want the page with the account's menu:\n%s", status, page)
	}

	// Without JavaScript: the form posts, the page comes back with the reply.
	status, loc, _ := simPost(t, base, url.Values{"openid": {resident}, "event": {"subscribe"}}, false)
	if status != http.StatusSeeOther || loc != "/sim?openid="+resident {
		t.Fatalf("plain POST /sim/send: %d → %q, want 303 to the page", status, loc)
	}
	if _, _, page = simGet(t, base, loc); !strings.Contains(page, "关注了公众号") || !strings.Contains(page, "欢迎") {
		t.Errorf("the page after a subscribe lacks it or the welcome:\n%s", page)
	}
	// As the script: the thread comes back with the answer.
	if got := lastReply(simSay(t, base, resident, "帮助")); !strings.Contains(got, "请回复数字") {
		t.Errorf("帮助 through /sim answered %q", got)
	}
	// A menu tap is the CLICK event of its key.
	status, _, thread := simPost(t, base, url.Values{"openid": {resident}, "key": {"MY"}}, true)
	if status != http.StatusOK || !strings.Contains(thread, "点击菜单「") || lastReply(thread) == "" {
		t.Errorf("tapping MY: %d, want the tap and an answer:\n%s", status, thread)
	}
	// ?scan= scans a scene as the chosen resident, then comes back without
	// it so that a reload does not scan again; the profile scene starts
	// the profile form.
	status, loc, _ = simGet(t, base, "/sim?openid="+resident+"&scan=profile")
	if status != http.StatusSeeOther || loc != "/sim?openid="+resident {
		t.Fatalf("GET /sim?scan=: %d → %q", status, loc)
	}
	_, _, thread = simGet(t, base, "/sim/thread?openid="+resident)
	if !strings.Contains(thread, "扫描了二维码（profile）") || !strings.Contains(lastReply(thread), "称呼") {
		t.Errorf("after ?scan=profile the thread lacks the scan or the profile form:\n%s", thread)
	}
	simSay(t, base, resident, "取消")

	// A grid worker binds in the simulator and gets the resident's ticket.
	code, w := admin(t, base, "POST", "/api/v1/staff", map[string]any{"name": "张网格", "phone": "13900000001", "roles": []string{"grid_worker"}})
	if code != 201 {
		t.Fatalf("create staff: %d %v", code, w)
	}
	if code, body := admin(t, base, "POST", "/api/v1/buildings", map[string]any{"number": 3}); code != 201 {
		t.Fatalf("building: %d %v", code, body)
	}
	if code, body := admin(t, base, "POST", "/api/v1/grids", map[string]any{"name": "一网格", "worker_id": w["id"], "buildings": []int{3}}); code != 201 {
		t.Fatalf("grid: %d %v", code, body)
	}
	if got := lastReply(simSay(t, base, worker, fmt.Sprintf("绑定 %v", w["bind_code"]))); !strings.Contains(got, "绑定成功") {
		t.Fatalf("binding in /sim: %q", got)
	}
	var got string
	for _, s := range []string{"楼道灯坏了，报修", "1", "3楼楼道灯不亮", "好了", "3号楼2单元201", "13800138000", "1"} {
		got = lastReply(simSay(t, base, resident, s))
	}
	m := numberRe.FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no 编号 in the last reply %q", got)
	}
	number := m[1]
	thread = waitThread(t, base, worker, number)
	if !regexp.MustCompile(`(?s)class="sim-msg sim-in sim-push[^>]*>.*` + number).MatchString(thread) {
		t.Errorf("the worker's push is not shown as one:\n%s", thread)
	}
	// The resident's news comes as a push: a text, or (when it links to
	// its page) a template card; either names the ticket.
	simSay(t, base, worker, "受理 "+number)
	pushed := regexp.MustCompile(`(?s)class="sim-msg sim-in sim-push[^>]*>.*` + number)
	bottest.WaitFor(t, 30*time.Second, "the resident's push about "+number, func() bool {
		_, _, thread = simGet(t, base, "/sim/thread?openid="+resident)
		return pushed.MatchString(thread)
	})
}

// TestSimulatorOff: with TONGXIN_SIMULATOR=off, and by default with real
// credentials, /sim is not there.
func TestSimulatorOff(t *testing.T) {
	e := devEnv(t)
	e.vars["TONGXIN_SIMULATOR"] = "off"
	base := e.start(t)
	for _, p := range []string{"/sim", "/sim/thread?openid=sim-a", "/sim/open?openid=sim-a&to=/my/"} {
		if status, _, _ := simGet(t, base, p); status != http.StatusNotFound {
			t.Errorf("GET %s with the simulator off: %d, want 404", p, status)
		}
	}
	real := newEnv(t, storagetest.SQLiteURL(t))
	base = real.start(t)
	if status, _, _ := simGet(t, base, "/sim"); status != http.StatusNotFound {
		t.Errorf("GET /sim with real credentials: %d, want 404", status)
	}
}

// TestSimulatorWithRealCredentials: TONGXIN_SIMULATOR=on with a real
// account speaks only as the simulator's own openids, opens resident
// pages only for them, and keeps their pushes from WeChat.
func TestSimulatorWithRealCredentials(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	e.vars["TONGXIN_SIMULATOR"] = "on"
	e.vars["TONGXIN_QUIET_HOURS"] = "off"
	base := e.start(t)
	const real = "o-real-resident-0001"

	if status, _, body := simGet(t, base, "/sim?openid="+real); status != http.StatusBadRequest || !strings.Contains(body, "sim-") {
		t.Errorf("GET /sim as a real openid: %d, want 400 saying why:\n%s", status, body)
	}
	if status, _, _ := simPost(t, base, url.Values{"openid": {real}, "text": {"帮助"}}, true); status != http.StatusBadRequest {
		t.Errorf("sending as a real openid: %d, want 400", status)
	}
	if status, _, _ := simGet(t, base, "/sim/thread?openid="+real); status != http.StatusBadRequest {
		t.Errorf("reading a real openid's thread: %d, want 400", status)
	}
	if status, loc, _ := simGet(t, base, "/sim/open?openid="+real+"&to=/my/"); status != http.StatusForbidden || loc != "" {
		t.Errorf("/sim/open as a real openid: %d → %q, want 403", status, loc)
	}
	for _, to := range []string{"https://example.org/my/", "//example.org/my/", "/console"} {
		if status, loc, _ := simGet(t, base, "/sim/open?openid=sim-a&to="+url.QueryEscape(to)); status != http.StatusBadRequest {
			t.Errorf("/sim/open to %s: %d → %q, want 400", to, status, loc)
		}
	}
	if status, loc, _ := simGet(t, base, "/sim/open?openid=sim-a&to="+url.QueryEscape("/my/")); status != http.StatusSeeOther || loc != "/my/" {
		t.Errorf("/sim/open as sim-a: %d → %q, want 303 to /my/", status, loc)
	}

	// With a real account, anyone reaching /sim speaks as its openids: none
	// of them may become staff.
	code, a := admin(t, base, "POST", "/api/v1/staff", map[string]any{"name": "王管理", "phone": "13900000003", "roles": []string{"admin"}})
	if code != 201 {
		t.Fatalf("create admin: %d %v", code, a)
	}
	if got := lastReply(simSay(t, base, simOpenID("admin"), fmt.Sprintf("绑定 %v", a["bind_code"]))); !strings.Contains(got, "不能绑定") {
		t.Fatalf("a simulator openid bound as staff: %q", got)
	}

	// A simulator resident talks through the safe-mode webhook and gets
	// its pushes in the simulator, never from WeChat: a grid worker bound
	// from real WeChat accepts what the resident files.
	code, w := admin(t, base, "POST", "/api/v1/staff", map[string]any{"name": "李网格", "phone": "13900000004", "roles": []string{"grid_worker"}})
	if code != 201 {
		t.Fatalf("create worker: %d %v", code, w)
	}
	if code, body := admin(t, base, "POST", "/api/v1/buildings", map[string]any{"number": 3}); code != 201 {
		t.Fatalf("building: %d %v", code, body)
	}
	if code, body := admin(t, base, "POST", "/api/v1/grids", map[string]any{"name": "一网格", "worker_id": w["id"], "buildings": []int{3}}); code != 201 {
		t.Fatalf("grid: %d %v", code, body)
	}
	wx := e.sim(base, wechat.ModeSafe)
	const worker = "o-real-worker-0001"
	if got := say(t, wx, wechat.SimMessage{OpenID: worker, Kind: bot.KindText, Text: fmt.Sprintf("绑定 %v", w["bind_code"])}); !strings.Contains(got, "绑定成功") {
		t.Fatalf("binding from WeChat: %q", got)
	}
	var got string
	simResident := simOpenID("resident")
	for _, s := range []string{"楼道灯坏了，报修", "1", "3楼楼道灯不亮", "好了", "3号楼2单元201", "13800138000", "1"} {
		got = lastReply(simSay(t, base, simResident, s))
	}
	m := numberRe.FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no 编号 in the last reply %q", got)
	}
	say(t, wx, wechat.SimMessage{OpenID: worker, Kind: bot.KindText, Text: "受理 " + m[1]})
	pushed := regexp.MustCompile(`(?s)class="sim-msg sim-in sim-push[^>]*>.*` + m[1])
	bottest.WaitFor(t, 30*time.Second, "the simulator resident's push", func() bool {
		_, _, thread := simGet(t, base, "/sim/thread?openid="+simResident)
		return pushed.MatchString(thread)
	})
	for _, c := range e.fake.CustomTexts() {
		if strings.HasPrefix(c.ToUser, "sim-") {
			t.Errorf("WeChat was sent a simulator's push: %+v", c)
		}
	}
	if n := len(e.fake.TemplateSends()); n != 0 {
		t.Errorf("WeChat was sent %d template messages", n)
	}
}

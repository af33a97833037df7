package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

// admin calls the admin API and decodes the JSON answer.
func admin(t *testing.T, base, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// pushes waits until a customer-service text to openid contains want and
// returns it.
func pushes(t *testing.T, fake *wechattest.FakeAPI, openid, want string) string {
	t.Helper()
	var got string
	defer func() {
		if got == "" { // WaitFor gave up: show what did arrive
			t.Logf("pushes: %+v", fake.CustomTexts())
		}
	}()
	bottest.WaitFor(t, 30*time.Second, fmt.Sprintf("a push to %s containing %q", openid, want), func() bool {
		for _, c := range fake.CustomTexts() {
			if c.ToUser == openid && strings.Contains(c.Content, want) {
				got = c.Content
				return true
			}
		}
		return false
	})
	return got
}

// recorded waits until the ledger records a notification of kind to
// openid as sent: the fake API sees a push a moment before the outbox
// marks it delivered, and only a delivered question takes bare replies.
func recorded(t *testing.T, base, kind, openid string) {
	t.Helper()
	bottest.WaitFor(t, 30*time.Second, fmt.Sprintf("a sent %s to %s in the ledger", kind, openid), func() bool {
		_, body := admin(t, base, "GET", "/api/v1/notifications?status=sent&limit=200", nil)
		rows, _ := body["notifications"].([]any)
		for _, r := range rows {
			n, _ := r.(map[string]any)
			if n["kind"] == kind && n["recipient"] == openid {
				return true
			}
		}
		return false
	})
}

var numberRe = regexp.MustCompile(`编号:(\d{1,10})`)

// TestServiceRequestLoop is the whole loop through signed webhook calls and
// the admin API, on both engines: a resident files a request, the grid
// worker gets a push and works it from WeChat, the resident is told at each
// step, rates 不满意 (reopening it), then 满意, and the operator exports.
func TestServiceRequestLoop(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		e.vars["TONGXIN_QUIET_HOURS"] = "off"
		base := e.start(t)
		sim := e.sim(base, wechat.ModeSafe)
		resident, worker, boss := newOpenID("res"), newOpenID("grid"), newOpenID("boss")
		say := func(openid, text string) string {
			t.Helper()
			reply, status, err := sim.Send(context.Background(), wechat.SimMessage{OpenID: openid, Text: text})
			if err != nil || status != 200 {
				t.Fatalf("%s says %q: %d %v", openid, text, status, err)
			}
			return reply
		}

		// The operator sets up the grid and staff; the staff bind in WeChat.
		code, w := admin(t, base, "POST", "/api/v1/staff", map[string]any{"name": "张网格", "phone": "13900000001", "roles": []string{"grid_worker"}})
		if code != 201 {
			t.Fatalf("create staff: %d %v", code, w)
		}
		_, b := admin(t, base, "POST", "/api/v1/staff", map[string]any{"name": "李主任", "phone": "13900000002", "roles": []string{"supervisor"}})
		for i := 1; i <= 3; i++ {
			if code, body := admin(t, base, "POST", "/api/v1/buildings", map[string]any{"number": i}); code != 201 {
				t.Fatalf("building: %d %v", code, body)
			}
		}
		if code, body := admin(t, base, "POST", "/api/v1/grids", map[string]any{"name": "一网格", "worker_id": w["id"], "supervisor_id": b["id"], "buildings": []int{1, 2, 3}}); code != 201 {
			t.Fatalf("grid: %d %v", code, body)
		}
		if got := say(worker, fmt.Sprintf("绑定 %v", w["bind_code"])); !strings.Contains(got, "绑定成功") {
			t.Fatalf("bind: %q", got)
		}
		say(boss, fmt.Sprintf("绑定 %v", b["bind_code"]))

		// The resident files a request.
		say(resident, "楼道灯坏了，报修")
		say(resident, "1")
		say(resident, "3楼楼道灯不亮")
		if _, status, err := sim.Send(context.Background(), wechat.SimMessage{OpenID: resident, Kind: bot.KindImage, PicURL: "http://127.0.0.1/p.jpg", MediaID: "m1"}); err != nil || status != 200 {
			t.Fatal(err)
		}
		say(resident, "好了")
		say(resident, "3号楼2单元201")
		say(resident, "13800138000")
		got := say(resident, "1")
		m := numberRe.FindStringSubmatch(got)
		if m == nil {
			t.Fatalf("no 编号 in %q", got)
		}
		number := m[1]

		// The grid worker gets a push and works it from WeChat.
		pushes(t, e.fake, worker, number)
		if got := say(worker, "待办"); !strings.Contains(got, number) {
			t.Errorf("待办: %q", got)
		}
		say(worker, "受理 "+number)
		pushes(t, e.fake, resident, "已受理")
		say(worker, "办结 "+number+" 已更换灯泡")
		pushes(t, e.fake, resident, "回复 1 满意")
		recorded(t, base, "ticket_resolved", resident)

		// The question was delivered just now, so a bare 3 rates: 不满意
		// asks why, then reopens it and tells the handler and the
		// supervisor, with the reason.
		if got := say(resident, "3"); !strings.Contains(got, "哪里不满意") {
			t.Errorf("rating 3: %q", got)
		}
		say(resident, "灯还是不亮")
		if got := say(resident, "1"); !strings.Contains(got, "重新") {
			t.Errorf("confirming 不满意: %q", got)
		}
		pushes(t, e.fake, worker, "居民说：灯还是不亮")
		pushes(t, e.fake, boss, "【不满意】编号 "+number)
		say(worker, "办结 "+number+" 已再次检修线路")
		if got := say(resident, "1"); !strings.Contains(got, "感谢") {
			t.Errorf("rating 1: %q", got)
		}
		if got := say(resident, "查询 "+number); !strings.Contains(got, "已关闭") {
			t.Errorf("查询 after rating: %q", got)
		}

		// The operator sees it and exports the week.
		code, tk := admin(t, base, "GET", "/api/v1/tickets/"+number, nil)
		if code != 200 || tk["ticket"] == nil {
			t.Fatalf("get ticket: %d %v", code, tk)
		}
		req, _ := http.NewRequest("GET", base+"/api/v1/tickets.csv", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		csv, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.HasPrefix(csv, []byte("\xef\xbb\xbf")) || !bytes.Contains(csv, []byte(number)) {
			t.Errorf("csv export: %d, %d bytes", resp.StatusCode, len(csv))
		}
	})
}

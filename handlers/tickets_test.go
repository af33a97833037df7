package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/handlers"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

const (
	adminToken = "admin-secret-0123456789abcdef012345"
	open311Key = "open311-key"
)

// ticketRig is the admin API and Open311 on a real ticket service over a
// SQLite store of its own.
type ticketRig struct {
	t     *testing.T
	url   string
	clock *bottest.Clock
	svc   *tickets.Service
	dir   *cs.Service
}

func newTicketRig(t *testing.T) *ticketRig {
	t.Helper()
	return newTicketRigOn(t, storagetest.Open(t))
}

// newTicketRigOn is newTicketRig over store (for storagetest.Engines).
func newTicketRigOn(t *testing.T, store *storage.Store) *ticketRig {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	outbox := notifytest.Queue(t, store, notify.Config{LogOnly: true})
	clk := bottest.NewClock(time.Now())
	svc := tickets.New(store, outbox, workcal.Builtin(), tickets.Config{Now: clk.Now})
	dir := cs.New(store, cs.Config{Now: clk.Now})
	dir.OnDeactivate(svc.ReturnAssigned)
	s := &handlers.Server{Webhook: &handlers.Webhook{}, Metrics: handlers.NewMetrics(), Logger: log,
		AdminToken: adminToken, Community: dir, Tickets: svc, Open311Key: open311Key, Started: time.Now()}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &ticketRig{t: t, url: srv.URL, clock: clk, svc: svc, dir: dir}
}

// do sends a request; body is JSON-encoded unless it is a string or
// url.Values (sent form-encoded).
func (r *ticketRig) do(method, path string, body any, auth bool) (int, http.Header, []byte) {
	r.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded; charset=utf-8"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			r.t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, r.url+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+adminToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, raw
}

// api calls the admin API and decodes its JSON object answer.
func (r *ticketRig) api(method, path string, body any) (int, map[string]any) {
	r.t.Helper()
	code, _, raw := r.do(method, path, body, true)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		r.t.Fatalf("%s %s: %d, not a JSON object: %s", method, path, code, raw)
	}
	return code, out
}

// must calls the admin API and fails the test unless the status is want.
func (r *ticketRig) must(want int, method, path string, body any) map[string]any {
	r.t.Helper()
	code, out := r.api(method, path, body)
	if code != want {
		r.t.Fatalf("%s %s: %d %v, want %d", method, path, code, out, want)
	}
	return out
}

func id(v any) int64 { return int64(v.(float64)) }

// community is the staff, buildings and grid most tests start from.
type community struct {
	worker, supervisor, duty int64
	grid                     int64
}

func (r *ticketRig) community() community {
	r.t.Helper()
	var c community
	w := r.must(201, "POST", "/api/v1/staff", map[string]any{"name": "张网格", "phone": "13900000001", "roles": []string{"grid_worker"}})
	if w["bind_code"] == "" || w["bind_code"] == nil || w["name"] != "张网格" || w["id"] == nil {
		r.t.Fatalf("created staff: %v", w)
	}
	c.worker = id(w["id"])
	c.supervisor = id(r.must(201, "POST", "/api/v1/staff", map[string]any{"name": "李主任", "phone": "13900000002", "roles": []string{"supervisor"}})["id"])
	c.duty = id(r.must(201, "POST", "/api/v1/staff", map[string]any{"name": "王值班", "phone": "13900000003", "roles": []string{"duty", "mediator", "employment"}})["id"])
	for _, n := range []int{3, 5} {
		b := r.must(201, "POST", "/api/v1/buildings", map[string]any{"number": n})
		if id(b["number"]) != int64(n) || b["name"] == "" {
			r.t.Fatalf("created building: %v", b)
		}
	}
	g := r.must(201, "POST", "/api/v1/grids", map[string]any{"name": "第一网格", "worker_id": c.worker, "supervisor_id": c.supervisor, "buildings": []int{3, 5}})
	if g["name"] != "第一网格" || id(g["worker_id"]) != c.worker {
		r.t.Fatalf("created grid: %v", g)
	}
	c.grid = id(g["id"])
	return c
}

// file files a ticket through the admin API and returns its number.
func (r *ticketRig) file(body map[string]any) (string, map[string]any) {
	r.t.Helper()
	out := r.must(201, "POST", "/api/v1/tickets", body)
	tk := out["ticket"].(map[string]any)
	return tk["number"].(string), out
}

func repair(desc string) map[string]any {
	return map[string]any{"name": "赵大爷", "phone": "13800138000", "category": "repair", "description": desc, "building": 3, "unit": 2, "place": "3号楼2单元201室"}
}

func numbers(t *testing.T, out map[string]any) []string {
	t.Helper()
	list, ok := out["tickets"].([]any)
	if !ok {
		t.Fatalf("no tickets list: %v", out)
	}
	var ns []string
	for _, x := range list {
		ns = append(ns, x.(map[string]any)["number"].(string))
	}
	return ns
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}

func TestStaffBuildingsGrids(t *testing.T) {
	r := newTicketRig(t)
	c := r.community()
	staff := r.must(200, "GET", "/api/v1/staff", nil)["staff"].([]any)
	if len(staff) != 3 {
		t.Fatalf("staff: %v", staff)
	}
	for _, s := range staff {
		if _, ok := s.(map[string]any)["bind_code"]; ok {
			t.Errorf("the staff list shows a bind code: %v", s)
		}
	}
	grids := r.must(200, "GET", "/api/v1/grids", nil)["grids"].([]any)
	if len(grids) != 1 || id(grids[0].(map[string]any)["id"]) != c.grid || len(grids[0].(map[string]any)["buildings"].([]any)) != 2 {
		t.Errorf("grids: %v", grids)
	}
	if code, _, _ := r.do("GET", "/api/v1/staff", nil, false); code != 401 {
		t.Errorf("staff without a token: %d", code)
	}
}

func TestTicketLifecycleThroughTheAdminAPI(t *testing.T) {
	r := newTicketRig(t)
	c := r.community()
	start := time.Now()
	r.clock.Set(start.Add(-72 * time.Hour))
	old, out := r.file(repair("楼道灯不亮"))
	if out["same_issue"].(float64) != 0 {
		t.Errorf("first ticket: same_issue %v", out["same_issue"])
	}
	tk := out["ticket"].(map[string]any)
	if tk["source"] != "staff" || tk["status"] != "submitted" || id(tk["grid_id"]) != c.grid || id(tk["assignee_id"]) != c.worker {
		t.Errorf("filed ticket: %v", tk)
	}
	if ts, _ := tk["created_at"].(string); !strings.HasSuffix(ts, "+08:00") {
		t.Errorf("created_at %q is not shown in Asia/Shanghai", ts)
	}
	r.clock.Set(start)
	n1, out := r.file(repair("楼道灯还是不亮"))
	if out["same_issue"].(float64) != 0 {
		t.Errorf("a ticket three days later: same_issue %v", out["same_issue"])
	}
	// A neighbour (another household: another phone) reports the same.
	neighbour := repair("三楼灯也坏了")
	neighbour["name"], neighbour["phone"] = "孙奶奶", "13800138002"
	n2, out := r.file(neighbour)
	if out["same_issue"].(float64) != 1 {
		t.Errorf("same building and category within 24 h: same_issue %v, want 1", out["same_issue"])
	}
	n3, _ := r.file(map[string]any{"name": "钱阿姨", "phone": "13800138001", "category": "sanitation", "description": "东门垃圾没清", "place": "公共区域：东门广场"})

	today := start.In(bot.Shanghai).Format(time.DateOnly)
	threeAgo := start.Add(-72 * time.Hour).In(bot.Shanghai).Format(time.DateOnly)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{old, n1, n2, n3}},
		{"?status=submitted", []string{old, n1, n2, n3}},
		{"?status=accepted", nil},
		{"?category=repair", []string{old, n1, n2}},
		{"?category=sanitation", []string{n3}},
		{fmt.Sprintf("?grid=%d", c.grid), []string{old, n1, n2}},
		{"?from=" + today, []string{n1, n2, n3}},
		{"?to=" + threeAgo, []string{old}},
		{"?from=" + threeAgo + "&to=" + threeAgo, []string{old}},
		{"?overdue=false&category=repair", []string{old, n1, n2}},
	} {
		out := r.must(200, "GET", "/api/v1/tickets"+tc.query, nil)
		if got := numbers(t, out); !sameSet(got, tc.want) || int(out["total"].(float64)) != len(tc.want) {
			t.Errorf("list%s: %v (total %v), want %v", tc.query, got, out["total"], tc.want)
		}
	}
	page := r.must(200, "GET", "/api/v1/tickets?limit=2&offset=1", nil)
	if got := numbers(t, page); len(got) != 2 || page["total"].(float64) != 4 || page["limit"].(float64) != 2 || page["offset"].(float64) != 1 {
		t.Errorf("page: %v", page)
	}

	got := r.must(200, "GET", "/api/v1/tickets/"+n1, nil)
	if got["ticket"].(map[string]any)["number"] != n1 || len(got["timeline"].([]any)) == 0 {
		t.Errorf("get: %v", got)
	}

	code, body := r.api("PATCH", "/api/v1/tickets/"+n1, map[string]any{"status": "resolved", "note": "已更换灯泡"})
	if e, _ := body["error"].(map[string]any); code != 409 || e["code"] != "conflict" {
		t.Errorf("resolving a ticket not accepted: %d %v, want 409 conflict", code, body)
	}
	acc := r.must(200, "PATCH", "/api/v1/tickets/"+n1, map[string]any{"status": "accepted", "note": "马上去看"})
	if acc["status"] != "accepted" || acc["accepted_at"] == nil {
		t.Errorf("accepted: %v", acc)
	}
	code, body = r.api("PATCH", "/api/v1/tickets/"+n1, map[string]any{"status": "resolved"})
	if e, _ := body["error"].(map[string]any); code != 400 || !strings.HasPrefix(e["message"].(string), "note: ") {
		t.Errorf("resolving without a note: %d %v, want 400 naming note", code, body)
	}
	tr := r.must(200, "PATCH", "/api/v1/tickets/"+n2, map[string]any{"assignee_id": c.duty, "note": "请值班处理"})
	if id(tr["assignee_id"]) != c.duty {
		t.Errorf("transferred: %v", tr)
	}
	res := r.must(200, "PATCH", "/api/v1/tickets/"+n1, map[string]any{"status": "resolved", "note": "已更换灯泡"})
	if res["status"] != "resolved" || res["resolution"] != "已更换灯泡" {
		t.Errorf("resolved: %v", res)
	}
	code, body = r.api("PATCH", "/api/v1/tickets/"+n1, map[string]any{"status": "accepted"})
	if e, _ := body["error"].(map[string]any); code != 409 || e["code"] != "conflict" || e["message"] == "" {
		t.Errorf("accepting a resolved ticket: %d %v, want 409 conflict", code, body)
	}
	if code, body := r.api("PATCH", "/api/v1/tickets/9999999", map[string]any{"note": "x"}); code != 404 {
		t.Errorf("patch of an unknown ticket: %d %v", code, body)
	}
	if code, body := r.api("GET", "/api/v1/tickets/9999999", nil); code != 404 || body["error"].(map[string]any)["code"] != "not_found" {
		t.Errorf("get of an unknown ticket: %d %v", code, body)
	}
	timeline := r.must(200, "GET", "/api/v1/tickets/"+n1, nil)["timeline"].([]any)
	if len(timeline) < 3 {
		t.Errorf("timeline after accept and resolve: %v", timeline)
	}
	if at, _ := timeline[len(timeline)-1].(map[string]any)["at"].(string); !strings.HasSuffix(at, "+08:00") {
		t.Errorf("timeline time %q is not in Asia/Shanghai", at)
	}

	// n2, the neighbour's report linked to n1, is settled with it.
	if got := numbers(t, r.must(200, "GET", "/api/v1/tickets?status=resolved", nil)); !sameSet(got, []string{n1, n2}) {
		t.Errorf("resolved: %v", got)
	}
	// The ticket filed three days ago may be overdue already (unless a long
	// holiday intervened); those filed now are not.
	for _, n := range numbers(t, r.must(200, "GET", "/api/v1/tickets?overdue=true", nil)) {
		if n != old {
			t.Errorf("ticket %s is overdue as soon as filed", n)
		}
	}
	r.clock.Set(start.Add(30 * 24 * time.Hour))
	if got := numbers(t, r.must(200, "GET", "/api/v1/tickets?overdue=true", nil)); !sameSet(got, []string{old, n3}) {
		t.Errorf("overdue a month later: %v, want the open ones", got)
	}
}

func TestTicketStats(t *testing.T) {
	r := newTicketRig(t)
	c := r.community()
	n1, _ := r.file(repair("楼道灯不亮"))
	r.file(map[string]any{"name": "钱阿姨", "phone": "13800138001", "category": "sanitation", "description": "东门垃圾没清", "place": "公共区域：东门广场"})
	r.must(200, "PATCH", "/api/v1/tickets/"+n1, map[string]any{"status": "accepted"})
	today := time.Now().In(bot.Shanghai).Format(time.DateOnly)
	st := r.must(200, "GET", "/api/v1/stats?from="+today+"&to="+today, nil)
	total := st["total"].(map[string]any)
	if total["tickets"].(float64) != 2 || total["open"].(float64) != 2 {
		t.Errorf("total: %v", total)
	}
	for _, k := range []string{"key", "name", "tickets", "open", "overdue", "response_rate", "resolution_rate", "satisfaction_rate"} {
		if _, ok := total[k]; !ok {
			t.Errorf("stats row has no %q: %v", k, total)
		}
	}
	if total["response_rate"].(float64) != 0.5 {
		t.Errorf("response rate %v, want 0.5 (one of two accepted in time)", total["response_rate"])
	}
	byGrid := st["by_grid"].([]any)
	found := false
	for _, g := range byGrid {
		g := g.(map[string]any)
		if g["name"] == "第一网格" && g["tickets"].(float64) == 1 {
			found = true
		}
	}
	if !found {
		t.Errorf("by_grid: %v, want 第一网格 with one ticket (grid %d)", byGrid, c.grid)
	}
	if len(st["by_category"].([]any)) < 2 {
		t.Errorf("by_category: %v", st["by_category"])
	}
	if from, _ := st["from"].(string); !strings.HasPrefix(from, today+"T00:00:00") || !strings.HasSuffix(from, "+08:00") {
		t.Errorf("from: %v", st["from"])
	}
	// Without dates: the last seven days.
	if st := r.must(200, "GET", "/api/v1/stats", nil); st["total"].(map[string]any)["tickets"].(float64) != 2 {
		t.Errorf("default range: %v", st)
	}
	// A range before anything was filed.
	if st := r.must(200, "GET", "/api/v1/stats?from=2020-01-01&to=2020-01-31", nil); st["total"].(map[string]any)["tickets"].(float64) != 0 {
		t.Errorf("empty range: %v", st)
	}
}

func TestTicketsBadInput(t *testing.T) {
	r := newTicketRig(t)
	c := r.community()
	n, _ := r.file(repair("楼道灯不亮"))
	for _, tc := range []struct {
		method, path string
		body         any
		code         int
		field        string
	}{
		{"GET", "/api/v1/tickets?status=bogus", nil, 400, "status"},
		{"GET", "/api/v1/tickets?category=bogus", nil, 400, "category"},
		{"GET", "/api/v1/tickets?grid=abc", nil, 400, "grid"},
		{"GET", "/api/v1/tickets?grid=-1", nil, 400, "grid"},
		{"GET", "/api/v1/tickets?overdue=maybe", nil, 400, "overdue"},
		{"GET", "/api/v1/tickets?from=2025-13-01", nil, 400, "from"},
		{"GET", "/api/v1/tickets?to=yesterday", nil, 400, "to"},
		{"GET", "/api/v1/tickets?from=2025-06-10&to=2025-06-01", nil, 400, "to"},
		{"GET", "/api/v1/tickets?limit=0", nil, 400, "limit"},
		{"GET", "/api/v1/tickets?limit=501", nil, 400, "limit"},
		{"GET", "/api/v1/tickets?offset=-1", nil, 400, "offset"},
		{"GET", "/api/v1/tickets.csv?status=bogus", nil, 400, "status"},
		{"GET", "/api/v1/tickets.xlsx?from=bogus", nil, 400, "from"},
		{"GET", "/api/v1/stats?from=2025-06-31", nil, 400, "from"},
		{"GET", "/api/v1/stats?from=2025-06-10&to=2025-06-01", nil, 400, "to"},
		{"GET", "/api/v1/tickets/12ab", nil, 400, "number"},
		{"GET", "/api/v1/tickets/12345678901", nil, 400, "number"},
		{"GET", "/api/v1/tickets/261126100000", nil, 400, "number"},
		{"GET", "/api/v1/tickets/26112610000", nil, 404, ""}, // a day's overflow: well formed
		{"PATCH", "/api/v1/tickets/" + n, `{"status":`, 400, "body"},
		{"PATCH", "/api/v1/tickets/" + n, `{"status":"accepted","bogus":1}`, 400, "bogus"},
		{"PATCH", "/api/v1/tickets/" + n, `{"status":"accepted"} {}`, 400, "body"},
		{"PATCH", "/api/v1/tickets/" + n, `{"assignee_id":"x"}`, 400, "assignee_id"},
		{"PATCH", "/api/v1/tickets/" + n, `{}`, 400, "status"},
		{"PATCH", "/api/v1/tickets/" + n, `{"status":"flying"}`, 400, "status"},
		{"PATCH", "/api/v1/tickets/" + n, `{"assignee_id":424242}`, 400, "assignee_id"},
		{"POST", "/api/v1/staff", `[]`, 400, "body"},
		{"POST", "/api/v1/staff", ``, 400, "body"},
		{"POST", "/api/v1/staff", `{"name":"x","phone":"13900000009","roles":["grid_worker"],"age":3}`, 400, "age"},
		{"POST", "/api/v1/staff", `{"name":"x","phone":"13900000009","roles":"grid_worker"}`, 400, "roles"},
		{"POST", "/api/v1/staff", `{"name":"","phone":"13900000009","roles":["grid_worker"]}`, 400, "name"},
		{"POST", "/api/v1/staff", `{"name":"x","phone":"13900000009","roles":["astronaut"]}`, 400, "roles"},
		{"POST", "/api/v1/buildings", `{"number":"three"}`, 400, "number"},
		{"POST", "/api/v1/buildings", `{"number":0}`, 400, "number"},
		{"POST", "/api/v1/grids", `{"name":"第二网格","worker_id":424242,"buildings":[3]}`, 400, "worker_id"},
		{"POST", "/api/v1/grids", fmt.Sprintf(`{"name":"第二网格","worker_id":%d,"buildings":[99]}`, c.worker), 400, "buildings"},
		{"POST", "/api/v1/tickets", `{"name":"a","phone":"13800138000","category":"repair","description":"d","building":3,"floor":2}`, 400, "floor"},
		{"POST", "/api/v1/tickets", `{"name":"a","category":"repair","description":"d","building":3}`, 400, "phone"},
		{"POST", "/api/v1/tickets", `{"name":"a","phone":"13800138000","category":"astrology","description":"d","building":3}`, 400, "category"},
		{"POST", "/api/v1/tickets", `{"name":"a","phone":"13800138000","category":"repair","description":"","building":3}`, 400, "description"},
		{"POST", "/api/v1/tickets", `{"name":"a","phone":"13800138000","category":"repair","description":"d","building":99}`, 400, "building"},
		{"POST", "/api/v1/tickets", `{"name":"a","phone":"13800138000","category":"repair","description":"d"}`, 400, "building"},
		{"POST", "/api/v1/tickets", `{"name":"a","phone":"13800138000","category":"repair","description":"d","unit":2,"place":"x"}`, 400, "unit"},
		{"POST", "/api/v1/tickets", `{"name":"a","phone":"13800138000","category":"repair","description":"d","building":"3"}`, 400, "building"},
	} {
		code, body := r.api(tc.method, tc.path, tc.body)
		e, _ := body["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if code != tc.code || e["code"] == nil || !strings.HasPrefix(msg, tc.field) {
			t.Errorf("%s %s %v: %d %v, want %d naming %q", tc.method, tc.path, tc.body, code, body, tc.code, tc.field)
		}
	}
	// Nothing half-written: the refused requests left one ticket and three staff.
	if out := r.must(200, "GET", "/api/v1/tickets", nil); out["total"].(float64) != 1 {
		t.Errorf("tickets after bad input: %v", out["total"])
	}
	if staff := r.must(200, "GET", "/api/v1/staff", nil)["staff"].([]any); len(staff) != 3 {
		t.Errorf("staff after bad input: %d", len(staff))
	}
}

func TestReissueBindCode(t *testing.T) {
	r := newTicketRig(t)
	created := r.must(201, "POST", "/api/v1/staff", map[string]any{"name": "吴网格", "roles": []string{"grid_worker"}})
	out := r.must(201, "POST", fmt.Sprintf("/api/v1/staff/%v/bind-code", created["id"]), nil)
	code, _ := out["bind_code"].(string)
	if len(code) != 10 || code == created["bind_code"] {
		t.Errorf("reissued code %q (first %v)", code, created["bind_code"])
	}
	if exp, _ := out["expires_at"].(string); !strings.HasSuffix(exp, "+08:00") {
		t.Errorf("expires_at %v", out["expires_at"])
	}
	if code, body := r.api("POST", "/api/v1/staff/999/bind-code", nil); code != 404 {
		t.Errorf("unknown staff: %d %v", code, body)
	}
	if code, body := r.api("POST", "/api/v1/staff/x/bind-code", nil); code != 400 {
		t.Errorf("bad id: %d %v", code, body)
	}
}

// TestStaffAccessEndpoints: an operator can change a staff member, take
// their access away, and unbind a lost phone.
func TestStaffAccessEndpoints(t *testing.T) {
	r := newTicketRig(t)
	c := r.community()
	n, _ := r.file(repair("楼道灯不亮"))
	path := fmt.Sprintf("/api/v1/staff/%d", c.worker)
	got := r.must(200, "PATCH", path, map[string]any{"name": "张网格", "phone": "13900000009", "roles": []string{"grid_worker", "mediator"}})
	if got["phone"] != "13900000009" || len(got["roles"].([]any)) != 2 || got["active"] != true {
		t.Errorf("patched staff: %v", got)
	}
	got = r.must(200, "PATCH", path, map[string]any{"active": false})
	if got["active"] != false {
		t.Errorf("deactivated staff: %v", got)
	}
	tk := r.must(200, "GET", "/api/v1/tickets/"+n, nil)["ticket"].(map[string]any)
	if tk["status"] != "returned" || id(tk["assignee_id"]) != c.duty {
		t.Errorf("the ticket of a deactivated worker: %v, want returned to the duty staff", tk)
	}
	if code, body := r.api("PATCH", "/api/v1/tickets/"+n, map[string]any{"assignee_id": c.worker}); code != 400 || !strings.Contains(fmt.Sprint(body), "已停用") {
		t.Errorf("transfer to a deactivated worker: %d %v", code, body)
	}
	if out := r.must(200, "DELETE", path+"/binding", nil); out["openid"] != nil {
		t.Errorf("unbound staff: %v", out)
	}
	for _, tc := range []struct {
		method, path string
		body         any
		code         int
	}{
		{"PATCH", path, map[string]any{}, 400},
		{"PATCH", path, map[string]any{"roles": []string{"janitor"}}, 400},
		{"PATCH", path, map[string]any{"name": " "}, 400},
		{"PATCH", path, map[string]any{"phone": "12345"}, 400},
		{"PATCH", path, map[string]any{"active": "no"}, 400},
		{"PATCH", path, map[string]any{"boss": true}, 400},
		{"PATCH", "/api/v1/staff/999", map[string]any{"active": false}, 404},
		{"PATCH", "/api/v1/staff/x", map[string]any{"active": false}, 400},
		{"DELETE", "/api/v1/staff/999/binding", nil, 404},
		{"DELETE", "/api/v1/staff/0/binding", nil, 400},
	} {
		if code, body := r.api(tc.method, tc.path, tc.body); code != tc.code {
			t.Errorf("%s %s %v: %d %v, want %d", tc.method, tc.path, tc.body, code, body, tc.code)
		}
	}
}

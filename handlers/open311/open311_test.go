package open311_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/handlers/open311"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

const open311Key = "open311-key"

// rig is Open311 on a real ticket service and community over a SQLite
// store of its own. Staff work tickets through the service, as the admin
// API would.
type rig struct {
	t      *testing.T
	url    string
	store  *storage.Store
	outbox *notify.Outbox
	clock  *bottest.Clock
	log    *slog.Logger
	svc    *tickets.Service
	// gets counts the calls of the service's Get, which loads a ticket's
	// timeline: Open311 shows none, so it must never need one.
	gets atomic.Int64
}

// timelineSpy is the ticket service with its Get counted.
type timelineSpy struct {
	tickets.AdminService
	gets *atomic.Int64
}

func (s timelineSpy) Get(ctx context.Context, number string) (ticket.Ticket, []ticket.Entry, error) {
	s.gets.Add(1)
	return s.AdminService.Get(ctx, number)
}

// newRig serves Open311 for the categories given (the built-in ones when
// none are).
func newRig(t *testing.T, categories ...ticket.Category) *rig {
	t.Helper()
	store := storagetest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	outbox := notifytest.Queue(t, store, notify.Config{LogOnly: true})
	r := &rig{t: t, store: store, outbox: outbox, clock: bottest.NewClock(time.Now()), log: log}
	r.serve(categories)
	return r
}

// serve starts Open311 on a new ticket service over the rig's store, as a
// restart with these categories would.
func (r *rig) serve(categories []ticket.Category) {
	r.t.Helper()
	r.svc = tickets.New(r.store, r.outbox, workcal.Builtin(), tickets.Config{Categories: categories, Now: r.clock.Now})
	h := &open311.Handler{Tickets: timelineSpy{r.svc, &r.gets}, Community: cs.New(r.store, cs.Config{Now: r.clock.Now}), APIKey: open311Key, Logger: r.log}
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewServer(mux)
	r.t.Cleanup(srv.Close)
	r.url = srv.URL
}

// do sends a request; a url.Values body is sent form-encoded.
func (r *rig) do(method, path string, form url.Values) (int, http.Header, []byte) {
	r.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, r.url+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
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

// thingsPublic are the built-in categories with those about things, not
// people, marked public, as an operator who publishes descriptions would.
func thingsPublic() []ticket.Category {
	cats := slices.Clone(tickets.DefaultCategories)
	for i, c := range cats {
		cats[i].Public = c.Key == "repair" || c.Key == "sanitation" || c.Key == "suggestion"
	}
	return cats
}

// community seeds the staff, buildings 3 and 5 and the grid 第一网格 most
// tests start from.
func (r *rig) community() {
	r.t.Helper()
	communitytest.Seed(r.t, r.store, nil, communitytest.Spec{
		Staff: []communitytest.Member{
			{Name: "张网格", Roles: []community.Role{community.RoleGridWorker}},
			{Name: "李主任", Roles: []community.Role{community.RoleSupervisor}},
			{Name: "王值班", Roles: []community.Role{community.RoleDuty, community.RoleMediator, community.RoleEmployment}},
		},
		Buildings: []communitytest.Building{{Number: 3}, {Number: 5}},
		Grids:     []communitytest.Grid{{Name: "第一网格", Worker: "张网格", Supervisor: "李主任", Buildings: []int{3, 5}}},
	})
}

// patch works a ticket as staff would from the admin API.
func (r *rig) patch(number string, p tickets.Patch) {
	r.t.Helper()
	if _, err := r.svc.Patch(r.t.Context(), number, p); err != nil {
		r.t.Fatalf("Patch(%s, %+v): %v", number, p, err)
	}
}

// total is how many tickets were filed.
func (r *rig) total() int {
	r.t.Helper()
	_, n, err := r.svc.List(r.t.Context(), tickets.Filter{})
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// sameSet reports whether a and b hold the same ids, in any order.
func sameSet(a, b []string) bool { return slices.Equal(sorted(a), sorted(b)) }

// open311RequestFields are the fields of a request in GeoReport v2 GET
// requests.json and requests/{id}.json, in the spec's order.
var open311RequestFields = []string{"service_request_id", "status", "status_notes", "service_name", "service_code",
	"description", "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
	"address", "address_id", "zipcode", "lat", "long", "media_url"}

// get311 calls a public Open311 endpoint and decodes its JSON array.
func (r *rig) get311(path string) (int, []map[string]any) {
	r.t.Helper()
	code, h, raw := r.do("GET", path, nil)
	if ct := h.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		r.t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	var out []map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		r.t.Fatalf("GET %s: %d, not a JSON array: %s", path, code, raw)
	}
	return code, out
}

func (r *rig) post311(form url.Values) (int, []map[string]any) {
	r.t.Helper()
	code, _, raw := r.do("POST", "/open311/v2/requests.json", form)
	var out []map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		r.t.Fatalf("POST requests.json: %d, not a JSON array: %s", code, raw)
	}
	return code, out
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// isError checks the spec's error array: one item whose code is the HTTP
// status and whose description names field.
func isError(t *testing.T, what string, code int, body []map[string]any, want int, field string) {
	t.Helper()
	if code != want || len(body) != 1 || body[0]["code"] != float64(want) {
		t.Errorf("%s: %d %v, want %d with the error array", what, code, body, want)
		return
	}
	if d, _ := body[0]["description"].(string); d == "" || !strings.HasPrefix(d, field) {
		t.Errorf("%s: description %q, want it to name %q", what, body[0]["description"], field)
	}
}

func w3(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339, s)
	if err != nil || !strings.HasSuffix(s, "+08:00") {
		t.Errorf("%q is not a w3 datetime in +08:00", v)
	}
	return at
}

func TestOpen311Services(t *testing.T) {
	r := newRig(t)
	code, services := r.get311("/open311/v2/services.json")
	if code != 200 || len(services) != len(r.svc.Categories()) {
		t.Fatalf("services: %d %v", code, services)
	}
	want := sorted([]string{"service_code", "service_name", "description", "metadata", "type", "keywords", "group"})
	for i, c := range r.svc.Categories() {
		s := services[i]
		if diff := cmp.Diff(want, keys(s)); diff != "" {
			t.Errorf("service fields mismatch (-want +got):\n%s", diff)
		}
		if s["service_code"] != c.Key || s["service_name"] != c.Name || s["metadata"] != false || s["type"] != "realtime" {
			t.Errorf("service %d: %v, want %s %s", i, s, c.Key, c.Name)
		}
		if d, _ := s["description"].(string); d == "" {
			t.Errorf("service %s has no description", c.Key)
		}
		if kw, _ := s["keywords"].(string); !strings.Contains(kw, c.Name) {
			t.Errorf("service %s keywords %q", c.Key, kw)
		}
		if g, _ := s["group"].(string); g == "" {
			t.Errorf("service %s has no group", c.Key)
		}
	}
}

func TestOpen311Requests(t *testing.T) {
	r := newRig(t, thingsPublic()...)
	r.community()

	// POST needs the api_key.
	form := url.Values{"service_code": {"repair"}, "address_string": {"3号楼2单元201"}, "description": {"楼道灯不亮"},
		"first_name": {"大爷"}, "last_name": {"赵"}, "phone": {"13800138000"}, "email": {"zhao@example.com"}}
	code, body := r.post311(form)
	isError(t, "POST without api_key", code, body, 403, "api_key")
	form.Set("api_key", "wrong")
	code, body = r.post311(form)
	isError(t, "POST with a wrong api_key", code, body, 403, "api_key")

	form.Set("api_key", open311Key)
	code, body = r.post311(form)
	if code != 201 || len(body) != 1 {
		t.Fatalf("POST: %d %v", code, body)
	}
	if diff := cmp.Diff(sorted([]string{"service_request_id", "service_notice", "account_id"}), keys(body[0])); diff != "" {
		t.Errorf("POST answer fields mismatch (-want +got):\n%s", diff)
	}
	id, _ := body[0]["service_request_id"].(string)
	if id == "" || body[0]["account_id"] != nil || !strings.Contains(body[0]["service_notice"].(string), id) {
		t.Errorf("POST answer: %v", body[0])
	}

	// The same ticket, as the admin API sees it: filed from Open311, in 3号楼.
	adm, _, err := r.svc.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if adm.Source != "open311" || adm.Name != "赵大爷" || adm.Phone != "13800138000" || adm.BuildingID == 0 || adm.Unit != 2 {
		t.Errorf("filed through Open311: %+v", adm)
	}

	// A location by lat/long, and one by building number.
	code, body = r.post311(url.Values{"api_key": {open311Key}, "service_code": {"sanitation"}, "lat": {"39.7733"}, "long": {"98.2893"},
		"description": {"东门垃圾没清"}, "phone": {"13800138001"}})
	if code != 201 {
		t.Fatalf("POST by lat/long: %d %v", code, body)
	}
	geo := body[0]["service_request_id"].(string)
	code, body = r.post311(url.Values{"api_key": {open311Key}, "service_code": {"repair"}, "address_id": {"5"},
		"description": {"水管漏水"}, "phone": {"13800138002"}})
	if code != 201 {
		t.Fatalf("POST by address_id: %d %v", code, body)
	}
	byID := body[0]["service_request_id"].(string)

	// GET one: every field of the spec, and no personal data.
	code, raw := r.get311("/open311/v2/requests/" + id + ".json")
	if code != 200 || len(raw) != 1 {
		t.Fatalf("GET request: %d %v", code, raw)
	}
	got := raw[0]
	if diff := cmp.Diff(sorted(open311RequestFields), keys(got)); diff != "" {
		t.Errorf("request fields mismatch (-want +got):\n%s", diff)
	}
	requested := w3(t, got["requested_datetime"])
	w3(t, got["updated_datetime"])
	expected := w3(t, got["expected_datetime"])
	if !expected.After(requested) || time.Since(requested) > time.Minute {
		t.Errorf("requested %v, expected %v", requested, expected)
	}
	for k, want := range map[string]any{
		"service_request_id": id,
		"status":             "open",
		"service_name":       "维修报修",
		"service_code":       "repair",
		"description":        "楼道灯不亮",
		"agency_responsible": "第一网格",
		"address":            "3号楼2单元",
		"address_id":         "3",
		"zipcode":            nil,
		"lat":                nil,
		"long":               nil,
		"media_url":          nil,
	} {
		if got[k] != want {
			t.Errorf("%s = %#v, want %#v", k, got[k], want)
		}
	}
	if got["status_notes"] != "已提交，待受理" {
		t.Errorf("status_notes %q, want the fixed note of submitted", got["status_notes"])
	}
	if n, _ := got["service_notice"].(string); !strings.Contains(n, "受理") {
		t.Errorf("service_notice %v", got["service_notice"])
	}
	_, _, rawBody := r.do("GET", "/open311/v2/requests/"+id+".json", nil)
	for _, secret := range []string{"13800138000", "赵大爷", "大爷", "单元201", "zhao@example.com"} {
		if strings.Contains(string(rawBody), secret) {
			t.Errorf("GET request shows personal data %q: %s", secret, rawBody)
		}
	}

	// Lat/long come back as numbers rounded to 3 decimals; address_id as
	// the building number.
	_, raw = r.get311("/open311/v2/requests/" + geo + ".json")
	if raw[0]["lat"] != 39.773 || raw[0]["long"] != 98.289 || raw[0]["address_id"] != nil || raw[0]["address"] != "" || raw[0]["agency_responsible"] == "" {
		t.Errorf("lat/long request: %v", raw[0])
	}
	_, raw = r.get311("/open311/v2/requests/" + byID + ".json")
	if raw[0]["address_id"] != "5" || raw[0]["address"] != "5号楼" {
		t.Errorf("address_id request: %v", raw[0])
	}

	// Work the ticket: accepted then resolved shows as closed, with fixed
	// notes and not the staff's words.
	r.patch(id, tickets.Patch{Status: ticket.Accepted, Note: "今天下午去换"})
	_, raw = r.get311("/open311/v2/requests/" + id + ".json")
	if raw[0]["status"] != "open" || raw[0]["status_notes"] != "已受理，处理中" || raw[0]["service_notice"] != nil {
		t.Errorf("accepted: %v", raw[0])
	}
	r.patch(id, tickets.Patch{Status: ticket.Resolved, Note: "已更换灯泡"})
	_, raw = r.get311("/open311/v2/requests/" + id + ".json")
	if raw[0]["status"] != "closed" || raw[0]["status_notes"] != "已办结" {
		t.Errorf("resolved: %v", raw[0])
	}

	// The list and its filters.
	all := []string{id, geo, byID}
	list := func(query string) []string {
		t.Helper()
		code, out := r.get311("/open311/v2/requests.json" + query)
		if code != 200 {
			t.Fatalf("requests.json%s: %d %v", query, code, out)
		}
		var ids []string
		for _, x := range out {
			if diff := cmp.Diff(sorted(open311RequestFields), keys(x)); diff != "" {
				t.Errorf("list item fields mismatch (-want +got):\n%s", diff)
			}
			ids = append(ids, x["service_request_id"].(string))
		}
		return ids
	}
	today := time.Now().UTC()
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", all},
		{"?jurisdiction_id=&status=", all},
		{"?status=open", []string{geo, byID}},
		{"?status=closed", []string{id}},
		{"?status=open,closed", all},
		{"?service_code=repair", []string{id, byID}},
		{"?service_code=repair,sanitation", all},
		{"?service_code=sanitation&status=closed", nil},
		{"?service_request_id=" + id + "," + geo + ",9999999", []string{id, geo}},
		{"?service_request_id=" + byID + "&status=closed", []string{byID}},
		{"?start_date=" + today.Add(-time.Hour).Format(time.RFC3339) + "&end_date=" + today.Add(time.Hour).Format(time.RFC3339), all},
		{"?start_date=" + today.Add(-48*time.Hour).Format(time.RFC3339) + "&end_date=" + today.Add(-24*time.Hour).Format(time.RFC3339), nil},
		{"?end_date=" + url.QueryEscape(today.Add(time.Hour).In(time.FixedZone("", 8*3600)).Format(time.RFC3339)), all},
	} {
		if got := list(tc.query); !sameSet(got, tc.want) {
			t.Errorf("requests.json%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	_, _, listBody := r.do("GET", "/open311/v2/requests.json", nil)
	for _, secret := range []string{"13800138000", "13800138001", "赵大爷"} {
		if strings.Contains(string(listBody), secret) {
			t.Errorf("requests.json shows personal data %q", secret)
		}
	}
}

func TestOpen311Errors(t *testing.T) {
	r := newRig(t)
	r.community()
	code, body := r.get311("/open311/v2/requests/9999999.json")
	isError(t, "unknown request", code, body, 404, "service_request_id")
	code, body = r.get311("/open311/v2/requests/abc.json")
	isError(t, "malformed request id", code, body, 404, "service_request_id")
	code, body = r.get311("/open311/v2/requests/123.xml")
	isError(t, "XML", code, body, 400, "This endpoint serves JSON only")
	code, body = r.get311("/open311/v2/nothing.json")
	isError(t, "unknown resource", code, body, 404, "No such")
	for _, tc := range []struct {
		query, field string
	}{
		{"?status=pending", "status"},
		{"?service_code=astrology", "service_code"},
		{"?start_date=yesterday", "start_date"},
		{"?end_date=2025-06-01", "end_date"},
		{"?start_date=2025-01-01T00:00:00Z&end_date=2025-06-01T00:00:00Z", "end_date"},
		{"?start_date=2025-06-01T00:00:00Z&end_date=2025-05-01T00:00:00Z", "end_date"},
	} {
		code, body := r.get311("/open311/v2/requests.json" + tc.query)
		isError(t, "requests.json"+tc.query, code, body, 400, tc.field)
	}
	base := func() url.Values {
		return url.Values{"api_key": {open311Key}, "service_code": {"repair"}, "address_string": {"3号楼"}, "description": {"灯坏了"}, "phone": {"13800138000"}}
	}
	for _, tc := range []struct {
		name   string
		change func(url.Values)
		code   int
		field  string
	}{
		{"no service_code", func(v url.Values) { v.Del("service_code") }, 400, "service_code"},
		{"unknown service_code", func(v url.Values) { v.Set("service_code", "astrology") }, 404, "service_code"},
		{"no location", func(v url.Values) { v.Del("address_string") }, 400, "address_string"},
		{"lat without long", func(v url.Values) { v.Del("address_string"); v.Set("lat", "39.7") }, 400, "lat"},
		{"bad lat", func(v url.Values) { v.Set("lat", "north"); v.Set("long", "98.2") }, 400, "lat"},
		{"bad long", func(v url.Values) { v.Set("lat", "39.7"); v.Set("long", "500") }, 400, "long"},
		{"unknown address_id", func(v url.Values) { v.Set("address_id", "99") }, 400, "address_id"},
		{"bad address_id", func(v url.Values) { v.Set("address_id", "x") }, 400, "address_id"},
		{"no description", func(v url.Values) { v.Del("description") }, 400, "description"},
		{"long description", func(v url.Values) { v.Set("description", strings.Repeat("灯", 4001)) }, 400, "description"},
	} {
		v := base()
		tc.change(v)
		code, body := r.post311(v)
		isError(t, tc.name, code, body, tc.code, tc.field)
	}
	if n := r.total(); n != 0 {
		t.Errorf("refused POSTs filed %d tickets", n)
	}
}

// TestOpen311Privacy checks field by field what the public GET endpoints
// show of a request: anyone can walk the sequential numbers, so nothing
// may identify a resident.
func TestOpen311Privacy(t *testing.T) {
	r := newRig(t, thingsPublic()...)
	r.community()
	post := func(v url.Values) string {
		t.Helper()
		v.Set("api_key", open311Key)
		if v.Get("phone") == "" {
			v.Set("phone", "13800138000")
		}
		code, body := r.post311(v)
		if code != 201 {
			t.Fatalf("POST %v: %d %v", v, code, body)
		}
		return body[0]["service_request_id"].(string)
	}
	get := func(id string) (map[string]any, string) {
		t.Helper()
		code, raw := r.get311("/open311/v2/requests/" + id + ".json")
		if code != 200 || len(raw) != 1 {
			t.Fatalf("GET %s: %d %v", id, code, raw)
		}
		_, _, body := r.do("GET", "/open311/v2/requests/"+id+".json", nil)
		return raw[0], string(body)
	}
	check := func(what string, got map[string]any, want map[string]any) {
		t.Helper()
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s = %#v, want %#v", what, k, got[k], w)
			}
		}
	}
	hidden := func(what, body string, secrets ...string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s shows %q: %s", what, s, body)
			}
		}
	}

	// A repair whose description holds a name, phone numbers written three
	// ways, an e-mail and a room, and runs past 100 characters: numbers of
	// 5 digits or more (and what a separator joins to them), the e-mail
	// and the room are masked, and it is cut to 100 characters. A name cannot be told from other
	// words and stays (see the categories not public below).
	long := "我是赵大爷，电话13800138000，也可打138-0013-8001或１３８ ００１３ ８００２，邮箱zhao@example.com，" +
		"卡号1234567，门牌123456，3号楼2单元201室楼道灯不亮。" + strings.Repeat("灯", 100)
	repair := post(url.Values{"service_code": {"repair"}, "address_string": {"3号楼2单元201室"}, "description": {long},
		"lat": {"39.773349"}, "long": {"98.289612"}})
	got, body := get(repair)
	wantDesc := "我是赵大爷，电话***，也可打***或***，邮箱***，卡号***，门牌***号楼2单元***室楼道灯不亮。"
	wantDesc += strings.Repeat("灯", 99-len([]rune(wantDesc))) + "…"
	if n := len([]rune(wantDesc)); n != 100 {
		t.Fatalf("test: want description has %d characters", n)
	}
	check("repair", got, map[string]any{
		"description": wantDesc, "address": "3号楼2单元", "address_id": "3",
		"lat": 39.773, "long": 98.29, "status_notes": "已提交，待受理",
	})
	hidden("repair", body, "13800138000", "138-0013-8001", "８００２", "zhao@", "1234567", "123456", "单元201", "39.7733", "98.2896")

	// A short description is shown as written.
	short := post(url.Values{"service_code": {"sanitation"}, "address_id": {"5"}, "description": {"垃圾桶满了"}})
	got, _ = get(short)
	check("short", got, map[string]any{"description": "垃圾桶满了", "address": "5号楼", "address_id": "5", "lat": nil, "long": nil})

	// A location only: coordinates, or coordinates with a WeChat label
	// naming a room in a building that is not ours. The address is empty,
	// never the label; the coordinates are rounded.
	geo := post(url.Values{"service_code": {"sanitation"}, "lat": {"39.7735"}, "long": {"98.28949"}, "description": {"东门垃圾没清"}})
	got, body = get(geo)
	check("lat/long only", got, map[string]any{"address": "", "address_id": nil, "lat": 39.774, "long": 98.289, "description": "东门垃圾没清"})
	hidden("lat/long only", body, "位置", "39.7735", "98.28949")
	label := post(url.Values{"service_code": {"repair"}, "lat": {"39.1"}, "long": {"98.2"},
		"address_string": {"幸福小区12号楼1单元1203室(王家)"}, "description": {"漏水"}})
	got, body = get(label)
	check("location label", got, map[string]any{"address": "", "address_id": nil, "lat": 39.1, "long": 98.2})
	hidden("location label", body, "幸福小区", "1203室", "王家")

	// A public area shows as 公共区域 and no more.
	rc, err := r.svc.Submit(t.Context(), ticket.Draft{Name: "钱阿姨", Phone: "13800138009", Category: "sanitation",
		Description: "广场路灯坏了", Place: "公共区域：东门广场北侧钱阿姨家门口", Source: "staff"})
	if err != nil {
		t.Fatal(err)
	}
	got, body = get(rc.Ticket.Number)
	check("public area", got, map[string]any{"address": "公共区域", "address_id": nil, "lat": nil, "long": nil})
	hidden("public area", body, "东门广场", "钱阿姨")

	// Categories not public: no description, no coordinates, the building
	// without its unit, and nothing for a place outside our buildings.
	for _, code := range []string{"dispute", "assistance", "medical", "employment", "housing"} {
		desc := "我是孙小红，电话13800138005，和邻居李四吵架了"
		n := post(url.Values{"service_code": {code}, "address_string": {"3号楼2单元201室"}, "lat": {"39.773349"}, "long": {"98.289612"},
			"description": {desc}})
		got, body := get(n)
		check(code, got, map[string]any{"description": "（描述不公开）", "address": "3号楼", "address_id": "3",
			"lat": nil, "long": nil, "service_code": code, "status_notes": "已提交，待受理"})
		hidden(code, body, "孙小红", "13800138005", "李四", "吵架", "单元", "201室", "39.77", "98.28")
		n = post(url.Values{"service_code": {code}, "address_string": {"公共区域：东门"}, "description": {desc}})
		got, _ = get(n)
		check(code+" outside", got, map[string]any{"address": "", "address_id": nil, "lat": nil, "long": nil})
	}

	// The list shows the same items as the single request.
	code, list := r.get311("/open311/v2/requests.json?service_request_id=" + repair + "," + geo)
	if code != 200 || len(list) != 2 {
		t.Fatalf("list: %d %v", code, list)
	}
	for _, x := range list {
		one, _ := get(x["service_request_id"].(string))
		if diff := cmp.Diff(one, x); diff != "" {
			t.Errorf("list item differs from the single request (-one +list):\n%s", diff)
		}
	}
	_, _, all := r.do("GET", "/open311/v2/requests.json", nil)
	hidden("requests.json", string(all), "13800138000", "13800138005", "孙小红", "幸福小区", "钱阿姨", "39.7733", "1203室")
}

// TestOpen311StatusNotes walks a ticket through every status: the public
// note is a fixed sentence per status, never what staff wrote.
func TestOpen311StatusNotes(t *testing.T) {
	r := newRig(t)
	r.community()
	ctx := t.Context()
	const openid = "o-resident"
	rc, err := r.svc.Submit(ctx, ticket.Draft{OpenID: openid, Phone: "13800138000", Category: "repair",
		Description: "楼道灯不亮", Place: "公共区域：东门"})
	if err != nil {
		t.Fatal(err)
	}
	n := rc.Ticket.Number
	staffWords := []string{"张师傅", "13912345678", "赵大爷", "换灯"}
	step := func(status, open, want string) {
		t.Helper()
		code, raw := r.get311("/open311/v2/requests/" + n + ".json")
		if code != 200 || len(raw) != 1 {
			t.Fatalf("GET: %d %v", code, raw)
		}
		if raw[0]["status_notes"] != want || raw[0]["status"] != open {
			t.Errorf("%s: status %v, status_notes %q, want %s %q", status, raw[0]["status"], raw[0]["status_notes"], open, want)
		}
		_, _, body := r.do("GET", "/open311/v2/requests/"+n+".json", nil)
		_, _, list := r.do("GET", "/open311/v2/requests.json?service_request_id="+n, nil)
		for _, s := range staffWords {
			if strings.Contains(string(body), s) || strings.Contains(string(list), s) {
				t.Errorf("%s: shows staff's words %q: %s", status, s, body)
			}
		}
	}
	patch := func(p tickets.Patch) { r.patch(n, p) }
	step("submitted", "open", "已提交，待受理")
	patch(tickets.Patch{Status: ticket.Accepted, Note: "张师傅 13912345678 下午去"})
	step("accepted", "open", "已受理，处理中")
	patch(tickets.Patch{Note: "已联系赵大爷，张师傅明天换灯"})
	step("accepted with a note", "open", "已受理，处理中")
	patch(tickets.Patch{Status: ticket.Returned, Note: "不归张师傅管"})
	step("returned", "open", "已退回，重新分派中")
	patch(tickets.Patch{Status: ticket.Accepted, Note: "张师傅接了"})
	patch(tickets.Patch{Status: ticket.Resolved, Note: "张师傅已换灯，电话13912345678"})
	step("resolved", "closed", "已办结")
	if _, err := r.svc.Rate(ctx, openid, n, 3); err != nil {
		t.Fatal(err)
	}
	step("reopened", "open", "重新处理中")
	patch(tickets.Patch{Status: ticket.Resolved, Note: "张师傅又换了一次灯"})
	if _, err := r.svc.Rate(ctx, openid, n, 1); err != nil {
		t.Fatal(err)
	}
	step("closed", "closed", "已关闭")
}

// TestOpen311IDCap checks that service_request_id looks up at most 50
// distinct well-formed ids and ignores the rest; duplicates and malformed
// ids do not count. Anyone may ask, so one request must not cost a
// thousand lookups, nor load timelines Open311 never shows.
func TestOpen311IDCap(t *testing.T) {
	r := newRig(t)
	r.community()
	code, body := r.post311(url.Values{"api_key": {open311Key}, "service_code": {"repair"}, "address_id": {"3"},
		"description": {"灯坏了"}, "phone": {"13800138000"}})
	if code != 201 {
		t.Fatalf("POST: %d %v", code, body)
	}
	real := body[0]["service_request_id"].(string)
	query := func(unknown int, extra ...string) []map[string]any {
		t.Helper()
		ids := slices.Clone(extra)
		for i := 1; i <= unknown; i++ {
			ids = append(ids, strconv.Itoa(i)) // well-formed, no such ticket
		}
		ids = append(ids, real)
		code, out := r.get311("/open311/v2/requests.json?service_request_id=" + url.QueryEscape(strings.Join(ids, ",")))
		if code != 200 {
			t.Fatalf("%d ids: %d %v", len(ids), code, out)
		}
		return out
	}
	if out := query(49, "1", "1", "abc", "", " 2 ", "12345678901"); len(out) != 1 || out[0]["service_request_id"] != real {
		t.Errorf("49 unknown ids then a real one: %v, want the real one", out)
	}
	if out := query(50); len(out) != 0 {
		t.Errorf("50 unknown ids then a real one: %v, want the real one ignored", out)
	}
	if out := query(0, real, "1"); len(out) != 1 {
		t.Errorf("the real id twice: %v, want it once", out)
	}
	r.get311("/open311/v2/requests/" + real + ".json")
	r.get311("/open311/v2/requests.json")
	if n := r.gets.Load(); n != 0 {
		t.Errorf("Open311 loaded %d timelines, want none", n)
	}
}

// TestOpen311PostWithoutPhone: the spec makes phone optional, and a city
// platform's report is filed without one.
func TestOpen311PostWithoutPhone(t *testing.T) {
	r := newRig(t)
	r.community()
	for _, v := range []url.Values{
		{"api_key": {open311Key}, "service_code": {"repair"}, "address_id": {"3"}, "description": {"灯坏了"}},
		{"api_key": {open311Key}, "service_code": {"repair"}, "address_id": {"3"}, "description": {"灯坏了"}, "email": {"zhao@example.com"}},
	} {
		code, body := r.post311(v)
		if code != 201 {
			t.Errorf("POST without phone: %d %s, want 201", code, body)
		}
	}
	if n := r.total(); n != 2 {
		t.Errorf("POSTs without phone filed %d tickets, want 2", n)
	}
}

// TestOpen311PublicCategories: whether a request's description is
// published is its category's Public, so a category the operator adds and
// marks public is published, one left unmarked is not, and one no longer
// offered is not either, since nobody can say any more whether it was
// public.
func TestOpen311PublicCategories(t *testing.T) {
	cat := func(key, name string, public bool) ticket.Category {
		return ticket.Category{Key: key, Name: name, Role: community.RoleGridWorker, ResponseHours: 4, ResolveHours: 8, Public: public}
	}
	categories := []ticket.Category{
		cat("repair", "维修报修", true),
		cat("legal_aid", "法律援助", false),
		cat("noise", "噪音扰民", true),
		cat("dropped", "临时类别", true),
	}
	r := newRig(t, categories...)
	r.community()

	// Every category is a service, public or not: the city files them all.
	_, services := r.get311("/open311/v2/services.json")
	var codes []string
	for _, s := range services {
		codes = append(codes, s["service_code"].(string))
	}
	if diff := cmp.Diff([]string{"repair", "legal_aid", "noise", "dropped"}, codes); diff != "" {
		t.Errorf("services mismatch (-want +got):\n%s", diff)
	}

	const desc = "我是孙小红，和房东打官司"
	post := func(code string) string {
		t.Helper()
		c, body := r.post311(url.Values{"api_key": {open311Key}, "service_code": {code}, "address_string": {"3号楼2单元201室"},
			"lat": {"39.773349"}, "long": {"98.289612"}, "description": {desc}, "phone": {"13800138000"}})
		if c != 201 {
			t.Fatalf("POST %s: %d %v", code, c, body)
		}
		return body[0]["service_request_id"].(string)
	}
	legal, noise, dropped := post("legal_aid"), post("noise"), post("dropped")
	withheld := map[string]any{"description": "（描述不公开）", "address": "3号楼", "address_id": "3", "lat": nil, "long": nil}
	shown := map[string]any{"description": desc, "address": "3号楼2单元", "address_id": "3", "lat": 39.773, "long": 98.29}
	check := func(what, id string, want map[string]any) {
		t.Helper()
		_, raw := r.get311("/open311/v2/requests/" + id + ".json")
		for k, w := range want {
			if raw[0][k] != w {
				t.Errorf("%s: %s = %#v, want %#v", what, k, raw[0][k], w)
			}
		}
	}
	check("legal_aid (not public)", legal, withheld)
	check("noise (public)", noise, shown)
	check("dropped (public while offered)", dropped, shown)

	// The list shows the one not public no more than the single request.
	_, _, list := r.do("GET", "/open311/v2/requests.json?service_code=legal_aid", nil)
	for _, secret := range []string{"孙小红", "打官司", "单元", "39.77", "98.28"} {
		if strings.Contains(string(list), secret) {
			t.Errorf("requests.json?service_code=legal_aid shows %q: %s", secret, list)
		}
	}

	// After a restart without the dropped category, its tickets are
	// withheld; the others are as before.
	r.serve(slices.DeleteFunc(slices.Clone(categories), func(c ticket.Category) bool { return c.Key == "dropped" }))
	check("dropped (no longer offered)", dropped, withheld)
	check("legal_aid after the restart", legal, withheld)
	check("noise after the restart", noise, shown)
}

// TestOpen311PublishesNoFreeTextByDefault: the GET endpoints are public
// and the numbers sequential, so with the built-in categories what
// anyone can walk is category, status, building and dates only: no
// description (residents write names, phones and rooms into it), no unit
// and no coordinates.
func TestOpen311PublishesNoFreeTextByDefault(t *testing.T) {
	r := newRig(t)
	r.community()
	var ids []string
	for _, c := range r.svc.Categories() {
		code, body := r.post311(url.Values{"api_key": {open311Key}, "service_code": {c.Key}, "address_string": {"3号楼2单元201室"},
			"lat": {"39.773349"}, "long": {"98.289612"}, "description": {"我是赵大爷，电话138.0013.8000，楼道灯不亮"}})
		if code != 201 {
			t.Fatalf("POST %s: %d %v", c.Key, code, body)
		}
		ids = append(ids, body[0]["service_request_id"].(string))
	}
	for i, id := range ids {
		_, raw := r.get311("/open311/v2/requests/" + id + ".json")
		got := raw[0]
		for k, want := range map[string]any{"description": "（描述不公开）", "address": "3号楼", "address_id": "3", "lat": nil, "long": nil, "status": "open"} {
			if got[k] != want {
				t.Errorf("%s: %s = %#v, want %#v", r.svc.Categories()[i].Key, k, got[k], want)
			}
		}
	}
	_, _, list := r.do("GET", "/open311/v2/requests.json", nil)
	for _, secret := range []string{"赵大爷", "138.0013.8000", "楼道灯", "单元", "39.77"} {
		if strings.Contains(string(list), secret) {
			t.Errorf("requests.json shows %q", secret)
		}
	}
}

// TestOpen311MasksDescriptions: even in a public category, what residents
// type is published only after masking every run of five or more digits
// however they are separated, runs of Chinese numerals (phones are read
// out as 幺三八…), room numbers and contact handles (WeChat, QQ, e-mail,
// @names).
func TestOpen311MasksDescriptions(t *testing.T) {
	r := newRig(t, thingsPublic()...)
	r.community()
	for in, want := range map[string]string{
		// Digits with any separators.
		"电话138.0013.8000":     "电话***",
		"电话 138 0013 8000 找我": "电话 *** 找我",
		"打(0937)628-1234":     "打(***",
		"卡号6222/0212/3456":    "卡号***",
		"门牌123456":            "门牌***",
		"１３８ ００１３ ８００２":       "***",
		"楼道灯坏了3天，2024年5月报过":   "楼道灯坏了3天，2024年5月报过",
		"12:30到18:00停水":       "12:30到18:00停水",
		// Chinese numerals.
		"电话幺三八零零幺三八零零零":   "电话***",
		"电话一三八 零零一三 八零零零": "电话***",
		"壹叁捌零零壹叁捌零零零":     "***",
		"电话138零零13八000":   "电话***",
		"三三两两的人在楼下":       "三三两两的人在楼下",
		// Rooms.
		"3号楼2单元201室楼道灯不亮": "3号楼2单元***室楼道灯不亮",
		"住5栋1203，水管漏了":    "住5栋***，水管漏了",
		"二零一室门口灯坏了":       "***室门口灯坏了",
		"3-2-201门口灯坏了":    "***门口灯坏了",
		"隔壁3室2厅空着":        "隔壁3室2厅空着",
		// Contact handles.
		"微信：zhaody_1960":     "微信：***",
		"加我vx zhaodaye":      "加我vx ***",
		"V信号是zhao-da-ye":     "V信号是***",
		"QQ号 12345":          "QQ号 ***",
		"有事找@zhaodaye":       "有事找***",
		"邮箱zhao@example.com": "邮箱***",
		"我是zhaody1960，灯坏了":   "我是***，灯坏了",
		"ｗｘ：ｚｈａｏｄｙ":          "wx：***",
		"WiFi和iPhone都连不上":    "WiFi和iPhone都连不上",
	} {
		code, body := r.post311(url.Values{"api_key": {open311Key}, "service_code": {"repair"}, "address_id": {"3"}, "description": {in}})
		if code != 201 {
			t.Fatalf("POST %q: %d %v", in, code, body)
		}
		_, raw := r.get311("/open311/v2/requests/" + body[0]["service_request_id"].(string) + ".json")
		if got := raw[0]["description"]; got != want {
			t.Errorf("%q is published as %q, want %q", in, got, want)
		}
	}
}

// TestOpen311APIKeyInBodyOnly: an api_key in the URL ends up in proxy and
// access logs, and a key read from there lets whoever reads the logs
// file requests. Only the form body's counts.
func TestOpen311APIKeyInBodyOnly(t *testing.T) {
	r := newRig(t)
	r.community()
	form := url.Values{"service_code": {"repair"}, "address_id": {"3"}, "description": {"灯坏了"}}
	code, _, raw := r.do("POST", "/open311/v2/requests.json?api_key="+open311Key, form)
	var body []map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("POST: %d, not JSON: %s", code, raw)
	}
	isError(t, "POST with the api_key in the query", code, body, 403, "api_key")
	if n := r.total(); n != 0 {
		t.Errorf("a POST keyed in the query filed %d tickets", n)
	}
	form.Set("api_key", open311Key)
	if code, body := r.post311(form); code != 201 {
		t.Errorf("POST with the api_key in the body: %d %v", code, body)
	}
}

package handlers_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// numbersOf reads a JSON list of building numbers.
func numbersOf(t *testing.T, v any) []int {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("not a list: %v", v)
	}
	out := []int{}
	for _, x := range list {
		out = append(out, int(x.(float64)))
	}
	return out
}

// errorOf returns the code and message of an admin API error answer.
func errorOf(body map[string]any) (string, string) {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	return code, msg
}

// TestBuildingsAndGridsAPI: buildings are listed and read by number,
// grids answer with building numbers, both are patched field by field,
// a building never changes grid without "move": true, and deleting
// refuses what tickets still refer to.
func TestBuildingsAndGridsAPI(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newTicketRigOn(t, s)
		c := r.community() // 第一网格 with buildings 3 and 5 (row ids 1 and 2)
		other := id(r.must(201, "POST", "/api/v1/staff", map[string]any{"name": "孙网格", "phone": "13900000004", "roles": []string{"grid_worker"}})["id"])

		list := r.must(200, "GET", "/api/v1/buildings", nil)["buildings"].([]any)
		if len(list) != 2 {
			t.Fatalf("buildings: %v", list)
		}
		b3 := list[0].(map[string]any)
		if id(b3["number"]) != 3 || b3["name"] != "3号楼" || id(b3["grid_id"]) != c.grid || b3["grid_name"] != "第一网格" {
			t.Errorf("GET /api/v1/buildings [0] = %v", b3)
		}
		if b := r.must(200, "GET", "/api/v1/buildings/5", nil); id(b["number"]) != 5 || id(b["grid_id"]) != c.grid {
			t.Errorf("GET /api/v1/buildings/5 = %v", b)
		}
		gpath := fmt.Sprintf("/api/v1/grids/%d", c.grid)
		if g := r.must(200, "GET", gpath, nil); !slices.Equal(numbersOf(t, g["buildings"]), []int{3, 5}) {
			t.Errorf("GET %s buildings = %v, want the numbers [3 5]", gpath, g["buildings"])
		}
		grids := r.must(200, "GET", "/api/v1/grids", nil)["grids"].([]any)
		if got := numbersOf(t, grids[0].(map[string]any)["buildings"]); !slices.Equal(got, []int{3, 5}) {
			t.Errorf("GET /api/v1/grids buildings = %v, want [3 5]", got)
		}

		// A request filed in 3 while it is 第一网格's.
		n1, _ := r.file(repair("楼道灯不亮"))

		// No silent move: a new grid claiming 5, then 3 patched into it.
		code, body := r.api("POST", "/api/v1/grids", map[string]any{"name": "第二网格", "worker_id": other, "buildings": []int{5}})
		if ec, msg := errorOf(body); code != 409 || ec != "conflict" || !strings.HasPrefix(msg, "buildings: 5 号楼") ||
			!strings.Contains(msg, "第一网格") || !strings.Contains(msg, `"move": true`) {
			t.Errorf("POST a grid with 第一网格's building: %d %v", code, body)
		}
		g2 := r.must(201, "POST", "/api/v1/grids", map[string]any{"name": "第二网格", "worker_id": other, "buildings": []int{5}, "move": true})
		if !slices.Equal(numbersOf(t, g2["buildings"]), []int{5}) {
			t.Errorf("created 第二网格: %v", g2)
		}
		grid2 := id(g2["id"])
		code, body = r.api("PATCH", "/api/v1/buildings/3", map[string]any{"grid_id": grid2})
		if ec, msg := errorOf(body); code != 409 || ec != "conflict" || !strings.HasPrefix(msg, "grid_id: 3 号楼") ||
			!strings.Contains(msg, "第一网格") || !strings.Contains(msg, "1 件未办结") {
			t.Errorf("PATCH building 3 into 第二网格: %d %v", code, body)
		}
		code, body = r.api("PATCH", gpath, map[string]any{"buildings": []int{3, 5}})
		if ec, msg := errorOf(body); code != 409 || ec != "conflict" || !strings.Contains(msg, "第二网格") {
			t.Errorf("PATCH 第一网格 taking 5 back: %d %v", code, body)
		}
		b := r.must(200, "PATCH", "/api/v1/buildings/3", map[string]any{"grid_id": grid2, "move": true})
		if id(b["grid_id"]) != grid2 || b["grid_name"] != "第二网格" || b["name"] != "3号楼" {
			t.Errorf("moved building 3: %v", b)
		}
		if g := r.must(200, "GET", gpath, nil); len(numbersOf(t, g["buildings"])) != 0 {
			t.Errorf("第一网格 after both moved: %v", g)
		}

		// The request filed before the move stays with its handler and grid;
		// a new one goes to the new grid's worker.
		tk := r.must(200, "GET", "/api/v1/tickets/"+n1, nil)["ticket"].(map[string]any)
		if id(tk["assignee_id"]) != c.worker || id(tk["grid_id"]) != c.grid {
			t.Errorf("the request filed before the move: %v", tk)
		}
		_, out := r.file(repair("水管漏水"))
		if tk := out["ticket"].(map[string]any); id(tk["assignee_id"]) != other || id(tk["grid_id"]) != grid2 {
			t.Errorf("a request filed after the move: %v", tk)
		}

		// PATCH changes only what it is given.
		g := r.must(200, "PATCH", gpath, map[string]any{"name": "东区网格"})
		if g["name"] != "东区网格" || id(g["worker_id"]) != c.worker || id(g["supervisor_id"]) != c.supervisor {
			t.Errorf("PATCH grid name: %v", g)
		}
		b = r.must(200, "PATCH", "/api/v1/buildings/5", map[string]any{"name": "五号楼", "head_id": c.duty, "unit_heads": map[string]int64{"1": c.duty}})
		if b["name"] != "五号楼" || id(b["head_id"]) != c.duty || id(b["grid_id"]) != grid2 {
			t.Errorf("PATCH building 5: %v", b)
		}

		// Deleting: refused while tickets refer to it or it has buildings.
		code, body = r.api("DELETE", "/api/v1/buildings/3", nil)
		if ec, msg := errorOf(body); code != 409 || ec != "conflict" || !strings.Contains(msg, "2 件诉求") {
			t.Errorf("DELETE building 3 with two requests: %d %v", code, body)
		}
		code, body = r.api("DELETE", gpath, nil)
		if ec, msg := errorOf(body); code != 409 || ec != "conflict" || !strings.Contains(msg, "1 件诉求记录") {
			t.Errorf("DELETE 东区网格 with a request: %d %v", code, body)
		}
		code, body = r.api("DELETE", fmt.Sprintf("/api/v1/grids/%d", grid2), nil)
		if ec, msg := errorOf(body); code != 409 || ec != "conflict" || !strings.Contains(msg, "3、5 号楼") {
			t.Errorf("DELETE 第二网格 with buildings: %d %v", code, body)
		}
		r.must(201, "POST", "/api/v1/buildings", map[string]any{"number": 9})
		if code, _, raw := r.do("DELETE", "/api/v1/buildings/9", nil, true); code != 204 || len(raw) != 0 {
			t.Errorf("DELETE an unused building: %d %s", code, raw)
		}
		r.must(404, "GET", "/api/v1/buildings/9", nil)
		empty := id(r.must(201, "POST", "/api/v1/grids", map[string]any{"name": "空网格", "worker_id": other})["id"])
		if code, _, raw := r.do("DELETE", fmt.Sprintf("/api/v1/grids/%d", empty), nil, true); code != 204 {
			t.Errorf("DELETE an unused grid: %d %s", code, raw)
		}
		if code, _, _ := r.do("DELETE", gpath, nil, false); code != 401 {
			t.Errorf("DELETE without the token: %d", code)
		}

		for _, tc := range []struct {
			method, path, body string
			code               int
			field              string
		}{
			{"GET", "/api/v1/buildings/99", "", 404, ""},
			{"GET", "/api/v1/buildings/abc", "", 400, "number"},
			{"GET", "/api/v1/buildings/0", "", 400, "number"},
			{"GET", "/api/v1/grids/424242", "", 404, ""},
			{"GET", "/api/v1/grids/x", "", 400, "id"},
			{"PATCH", "/api/v1/buildings/99", `{"name":"x"}`, 404, ""},
			{"PATCH", "/api/v1/buildings/3", `{}`, 400, "body"},
			{"PATCH", "/api/v1/buildings/3", `{"number":4}`, 400, "number"},
			{"PATCH", "/api/v1/buildings/3", `{"grid_id":"二"}`, 400, "grid_id"},
			{"PATCH", "/api/v1/buildings/3", `{"grid_id":424242}`, 400, "grid_id"},
			{"PATCH", "/api/v1/buildings/3", `{"head_id":424242}`, 400, "head_id"},
			{"PATCH", "/api/v1/buildings/3", `{"unit_heads":{"一":1}}`, 400, "unit_heads"},
			{"PATCH", gpath, `{}`, 400, "body"},
			{"PATCH", gpath, `{"bogus":1}`, 400, "bogus"},
			{"PATCH", gpath, `{"buildings":[99]}`, 400, "buildings"},
			{"PATCH", gpath, `{"buildings":"3"}`, 400, "buildings"},
			{"PATCH", gpath, `{"worker_id":424242}`, 400, "worker_id"},
			{"PATCH", gpath, `{"name":"第二网格"}`, 400, "name"},
			{"PATCH", gpath, `{"name":""}`, 400, "name"},
			{"PATCH", "/api/v1/grids/424242", `{"name":"x"}`, 404, ""},
			{"DELETE", "/api/v1/buildings/99", "", 404, ""},
			{"DELETE", "/api/v1/grids/424242", "", 404, ""},
			{"DELETE", "/api/v1/grids/-1", "", 400, "id"},
		} {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			code, out := r.api(tc.method, tc.path, body)
			ec, msg := errorOf(out)
			if code != tc.code || ec == "" || msg == "" || !strings.HasPrefix(msg, tc.field) {
				t.Errorf("%s %s %s: %d %v, want %d naming %q", tc.method, tc.path, tc.body, code, out, tc.code, tc.field)
			}
		}
		if g := r.must(200, "GET", gpath, nil); g["name"] != "东区网格" || id(g["worker_id"]) != c.worker {
			t.Errorf("refused patches changed the grid: %v", g)
		}
	})
}

package handlers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/xuri/excelize/v2"
)

// column returns the index of the header that starts with name.
func column(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if strings.HasPrefix(h, name) {
			return i
		}
	}
	t.Fatalf("no column %q in %q", name, header)
	return -1
}

func TestExports(t *testing.T) {
	r := newTicketRig(t)
	r.community()
	n1, _ := r.file(repair("楼道灯不亮"))
	n2, _ := r.file(map[string]any{"name": "钱阿姨", "phone": "13800138001", "category": "sanitation", "description": "=HYPERLINK(\"x\")", "place": "公共区域：东门广场"})
	r.must(200, "PATCH", "/api/v1/tickets/"+n1, map[string]any{"status": "accepted"})
	r.must(200, "PATCH", "/api/v1/tickets/"+n1, map[string]any{"status": "resolved", "note": "已更换灯泡"})
	created := r.must(200, "GET", "/api/v1/tickets/"+n1, nil)["ticket"].(map[string]any)["created_at"].(string)
	createdAt, err := time.Parse(time.RFC3339, created)
	if err != nil {
		t.Fatal(err)
	}
	wantCreated := createdAt.In(bot.Shanghai).Format("2006-01-02 15:04")

	t.Run("csv", func(t *testing.T) {
		code, h, raw := r.do("GET", "/api/v1/tickets.csv", nil, true)
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv: %d %s", code, h.Get("Content-Type"))
		}
		if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".csv") {
			t.Errorf("Content-Disposition %q", cd)
		}
		if !bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")) {
			t.Fatalf("no UTF-8 BOM: % x", raw[:min(8, len(raw))])
		}
		recs, err := csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 {
			t.Fatalf("%d records, want a header and two rows", len(recs))
		}
		header := recs[0]
		num, status, phone, place, resolution, createdCol := column(t, header, "编号"), column(t, header, "状态 "), column(t, header, "电话"),
			column(t, header, "地点"), column(t, header, "办结说明"), column(t, header, "提交时间")
		desc := column(t, header, "描述")
		rows := map[string][]string{}
		for _, rec := range recs[1:] {
			if len(rec) != len(header) {
				t.Fatalf("row of %d fields under a header of %d", len(rec), len(header))
			}
			rows[rec[num]] = rec
		}
		a, b := rows[n1], rows[n2]
		if a == nil || b == nil {
			t.Fatalf("rows %v, want %s and %s", rows, n1, n2)
		}
		if a[status] != "已办结待评价" || a[phone] != "13800138000" || a[place] != "3号楼2单元201室" || a[resolution] != "已更换灯泡" || a[createdCol] != wantCreated {
			t.Errorf("row %s: %q", n1, a)
		}
		if b[desc] != `'=HYPERLINK("x")` {
			t.Errorf("a formula-looking description is exported as %q", b[desc])
		}
		// The list's filters apply.
		_, _, raw = r.do("GET", "/api/v1/tickets.csv?category=sanitation", nil, true)
		recs, err = csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
		if err != nil || len(recs) != 2 || recs[1][num] != n2 {
			t.Errorf("filtered csv: %v %q", err, recs)
		}
	})

	t.Run("xlsx", func(t *testing.T) {
		code, h, raw := r.do("GET", "/api/v1/tickets.xlsx", nil, true)
		if code != 200 || h.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("xlsx: %d %s", code, h.Get("Content-Type"))
		}
		if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".xlsx") {
			t.Errorf("Content-Disposition %q", cd)
		}
		x, err := excelize.OpenReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		if sheets := x.GetSheetList(); len(sheets) != 1 || sheets[0] != "诉求" {
			t.Fatalf("sheets %q, want [诉求]", sheets)
		}
		rows, err := x.GetRows("诉求")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 {
			t.Fatalf("%d rows, want a header and two", len(rows))
		}
		header := rows[0]
		_, _, csvRaw := r.do("GET", "/api/v1/tickets.csv", nil, true)
		csvHeader, err := csv.NewReader(bytes.NewReader(csvRaw[3:])).Read()
		if err != nil || strings.Join(header, "|") != strings.Join(csvHeader, "|") {
			t.Errorf("xlsx header %q, csv header %q", header, csvHeader)
		}
		num, phone, category, building := column(t, header, "编号"), column(t, header, "电话"), column(t, header, "类别 "), column(t, header, "楼栋")
		var a []string
		for _, row := range rows[1:] {
			if len(row) > num && row[num] == n1 {
				a = row
			}
		}
		if a == nil {
			t.Fatalf("no row for %s: %q", n1, rows)
		}
		if a[phone] != "13800138000" || a[category] != "维修报修" || a[building] != "3" {
			t.Errorf("row %s: %q", n1, a)
		}
		// The phone stays text, not a number Excel would mangle.
		cell, _ := excelize.CoordinatesToCellName(phone+1, 2)
		if typ, err := x.GetCellType("诉求", cell); err != nil || typ == excelize.CellTypeNumber {
			t.Errorf("phone cell type %v, %v", typ, err)
		}
	})
}

// TestExportsTakeEveryPage files more tickets than one page of the
// service holds: the export must still list each once.
func TestExportsTakeEveryPage(t *testing.T) {
	if testing.Short() {
		t.Skip("files over 500 tickets")
	}
	t.Parallel()
	r := newTicketRig(t)
	r.community()
	ctx := context.Background()
	b, err := r.dir.FindBuilding(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	const n = 523
	for i := range n {
		d := ticket.Draft{Name: "居民", Phone: fmt.Sprintf("139%08d", i), Category: "sanitation", Description: fmt.Sprintf("第%d件", i),
			BuildingID: b.ID, Place: "5号楼", Source: "staff"}
		if _, err := r.svc.Submit(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	r.file(repair("楼道灯不亮"))
	_, _, raw := r.do("GET", "/api/v1/tickets.csv?category=sanitation", nil, true)
	recs, err := csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	num := column(t, recs[0], "编号")
	seen := map[string]bool{}
	for _, rec := range recs[1:] {
		seen[rec[num]] = true
	}
	if len(recs) != n+1 || len(seen) != n {
		t.Errorf("csv of %d sanitation tickets: %d records, %d distinct numbers", n, len(recs)-1, len(seen))
	}
	_, _, raw = r.do("GET", "/api/v1/tickets.xlsx", nil, true)
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("诉求")
	if err != nil || len(rows) != n+2 {
		t.Errorf("xlsx of every ticket: %d rows (err %v), want %d", len(rows), err, n+2)
	}
}

func TestExportRoutes(t *testing.T) {
	r := newTicketRig(t)
	for _, path := range []string{"/api/v1/tickets.csv", "/api/v1/tickets.xlsx"} {
		if code, _, _ := r.do("GET", path, nil, false); code != 401 {
			t.Errorf("%s without a token: %d, want 401", path, code)
		}
		code, h, _ := r.do("GET", path, nil, true)
		if code != 200 || h.Get("Content-Disposition") == "" {
			t.Errorf("%s of no tickets: %d %v", path, code, h)
		}
	}
	if code, body := r.api("GET", "/api/v1/tickets.json", nil); code != 404 || body["error"].(map[string]any)["code"] != "not_found" {
		t.Errorf("tickets.json: %d %v", code, body)
	}
}

package console_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
)

// row returns the cells of the table row headed head in the table with
// id, "" when there is none.
func row(page, table, head string) string {
	i := strings.Index(page, `id="`+table+`"`)
	if i < 0 {
		return ""
	}
	page = page[i:]
	page = page[:strings.Index(page, "</table>")]
	re := regexp.MustCompile(`<tr>\s*<th scope="row">(?:<a[^>]*>)?` + regexp.QuoteMeta(head) + `(?:</a>)?</th>(.*?)</tr>`)
	m := re.FindStringSubmatch(strings.ReplaceAll(page, "\n", ""))
	if m == nil {
		return ""
	}
	return m[1]
}

// TestConsoleStats: the 三率 by month and by grid, in numbers and in
// charts; a grid worker's are their grid's only.
func TestConsoleStats(t *testing.T) {
	w := newWard(t)
	ctx := context.Background()
	// Grid A: one of two tickets accepted in time, resolved and rated
	// 满意; grid B: nothing done.
	for _, a := range []ticket.Action{{Kind: ticket.ActAccept, By: w.worker.ID}, {Kind: ticket.ActResolve, By: w.worker.ID, Note: "已修好"}} {
		a.Number = w.a
		if _, err := w.tickets.Act(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.tickets.Rate(ctx, "o-res-a", w.a, ticket.RatingSatisfied); err != nil {
		t.Fatal(err)
	}
	month := w.clock.Now().In(bot.Shanghai)
	label := fmt.Sprintf("%d年%d月", month.Year(), int(month.Month()))

	sup := w.as(w.sup).want("/console/stats", http.StatusOK)
	cells := func(page, table, head string) string {
		t.Helper()
		r := row(page, table, head)
		if r == "" {
			t.Errorf("no row %s in %s", head, table)
		}
		return r
	}
	want := func(who, got, wantCells string) {
		t.Helper()
		if got != wantCells {
			t.Errorf("%s: row %q, want %q", who, got, wantCells)
		}
	}
	// Tickets, open, overdue, response, resolution, satisfaction.
	want("supervisor, this month", cells(sup, "stats-months", label), "<td>4</td><td>3</td><td>0</td><td>25%</td><td>25%</td><td>100%</td>")
	want("supervisor, grid A", cells(sup, "stats-grids", "一网格"), "<td>2</td><td>1</td><td>0</td><td>50%</td><td>50%</td><td>100%</td>")
	want("supervisor, grid B", cells(sup, "stats-grids", "二网格"), "<td>2</td><td>2</td><td>0</td><td>0%</td><td>0%</td><td>0%</td>")
	// Six months, oldest first, the earlier ones empty.
	months := sup[strings.Index(sup, `id="stats-months"`):]
	if n := strings.Count(months[:strings.Index(months, "</table>")], `<th scope="row">`); n != 6 {
		t.Errorf("%d months listed, want 6", n)
	}
	// The charts: SVG with a title, a description and a bar per rate.
	for _, s := range []string{`<svg id="chart-months"`, `role="img"`, `<title id="chart-grids-title">` + label + `各网格三率</title>`,
		`<desc id="chart-grids-desc">`, `<title>一网格 响应率 50%（2 件）</title>`, `<title>` + label + ` 满意率 100%（4 件）</title>`} {
		if !strings.Contains(sup, s) {
			t.Errorf("the stats page lacks %s", s)
		}
	}

	// 张三: grid A only, its totals his grid's.
	zs := w.as(w.worker).want("/console/stats", http.StatusOK)
	want("张三, this month", cells(zs, "stats-months", label), "<td>2</td><td>1</td><td>0</td><td>50%</td><td>50%</td><td>100%</td>")
	want("张三, grid A", cells(zs, "stats-grids", "一网格"), "<td>2</td><td>1</td><td>0</td><td>50%</td><td>50%</td><td>100%</td>")
	if strings.Contains(zs, "二网格") {
		t.Error("张三's stats show grid B")
	}
	// The mediator has no statistics; a month outside the six is refused.
	if code, _, _ := w.as(w.mediator).get("/console/stats"); code != http.StatusForbidden {
		t.Errorf("the mediator's stats: %d", code)
	}
	if code, _, _ := w.as(w.sup).get("/console/stats?month=2001-01"); code != http.StatusBadRequest {
		t.Errorf("stats of 2001: %d", code)
	}
}

package console

import (
	"fmt"
	"net/http"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/tickets"
)

// statsMonths is how many months the statistics page covers, this one
// included.
const statsMonths = 6

// statsRoutes registers the statistics page: the 三率 (response,
// resolution, satisfaction) by month and by grid.
func (c *Console) statsRoutes(mux *http.ServeMux) {
	if c.Tickets == nil {
		return
	}
	mux.Handle("GET "+Path+"/stats", c.auth(http.HandlerFunc(c.stats)))
}

// SeesStats reports whether the nav shows this area to w.
func (w Who) SeesStats() bool { return w.Manages() || w.Has(community.RoleGridWorker) }

// statsData is stats.html's data.
type statsData struct {
	Page
	// Months are the last statsMonths months, oldest first.
	Months []monthStats
	// Month is the month whose grids are shown (?month=YYYY-MM).
	Month      monthStats
	MonthChart chart
	GridChart  chart
	// Scope says what a grid worker's figures cover.
	Scope string
}

// monthStats is one month's Stats.
type monthStats struct {
	Key   string // 2026-11
	Label string // 2026年11月
	tickets.Stats
}

// stats serves GET /console/stats?month=YYYY-MM: one Stats call per
// month (the service keeps a grid worker to their grids), charts drawn
// here as SVG with the same numbers in tables.
func (c *Console) stats(w http.ResponseWriter, r *http.Request) {
	who := WhoFrom(r.Context())
	if !who.SeesStats() {
		c.fail(w, r, ErrForbidden)
		return
	}
	d := statsData{Page: c.page(r, "统计", "stats")}
	y, m, _ := c.Now().In(bot.Shanghai).Date()
	first := time.Date(y, m, 1, 0, 0, 0, 0, bot.Shanghai)
	want := r.URL.Query().Get("month")
	for i := statsMonths - 1; i >= 0; i-- {
		from := first.AddDate(0, -i, 0)
		st, err := c.Tickets.StatsFor(r.Context(), who.Viewer(), from, from.AddDate(0, 1, 0))
		if err != nil {
			c.fail(w, r, err)
			return
		}
		ms := monthStats{Key: from.Format("2006-01"), Label: fmt.Sprintf("%d年%d月", from.Year(), int(from.Month())), Stats: st}
		d.Months = append(d.Months, ms)
		if ms.Key == want || (want == "" && i == 0) {
			d.Month = ms
		}
	}
	if d.Month.Key == "" {
		c.fail(w, r, bot.FieldError("month", fmt.Sprintf("只能查看最近 %d 个月。", statsMonths)))
		return
	}
	if !who.Viewer().SeesAll() {
		d.Scope = "您所负责网格"
	}
	var byMonth, byGrid []chartGroup
	for _, ms := range d.Months {
		byMonth = append(byMonth, chartGroup{Label: fmt.Sprintf("%d月", int(ms.From.In(bot.Shanghai).Month())), Name: ms.Label, Row: ms.Total})
	}
	for _, row := range d.Month.ByGrid {
		byGrid = append(byGrid, chartGroup{Label: shorten(row.Name, 5), Name: row.Name, Row: row})
	}
	d.MonthChart = drawChart("chart-months", "近 6 个月三率", "按月份的响应率、办结率和满意率", byMonth)
	d.GridChart = drawChart("chart-grids", d.Month.Label+"各网格三率", d.Month.Label+"按网格的响应率、办结率和满意率", byGrid)
	c.render(w, r, "stats.html", d)
}

// shorten cuts s to n characters for a chart's axis (the table has it
// whole).
func shorten(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}

// chart is a bar chart of the 三率 drawn as SVG on the server: groups
// (a month, a grid) of three bars each, 0–100%.
type chart struct {
	ID, Title, Desc string
	Width, Height   int
	// The plot area: bars stand on Bottom and reach up to Top at 100%.
	Left, Top, Right, Bottom float64
	// TickX is where the ticks' labels end; LabelY the groups' baseline.
	TickX, LabelY float64
	Ticks         []chartTick
	Groups        []chartGroup
	Legend        []chartLegend
}

// chartGroup is one group of bars: its axis label and the row drawn.
type chartGroup struct {
	Label  string // on the axis
	Name   string // in full, for the bars' titles
	Row    tickets.StatRow
	LabelX float64
	Bars   []chartBar
}

// chartBar is one bar.
type chartBar struct {
	X, Y, W, H float64
	Fill       string
	Title      string // 2026年11月 响应率 87%（23 件）
}

// chartTick is a horizontal grid line with its label.
type chartTick struct {
	Y, TextY float64
	Label    string
}

// chartLegend is one entry of the legend.
type chartLegend struct {
	X, TextX float64
	Fill     string
	Label    string
}

// The three rates, in the order they are drawn, with colours that stay
// apart for the colour-blind (blue, orange, green of different lightness).
var rateSeries = []struct {
	label string
	fill  string
	value func(tickets.StatRow) float64
}{
	{"响应率", "#1d5fb4", func(r tickets.StatRow) float64 { return r.ResponseRate }},
	{"办结率", "#e08a00", func(r tickets.StatRow) float64 { return r.ResolutionRate }},
	{"满意率", "#2e7d32", func(r tickets.StatRow) float64 { return r.SatisfactionRate }},
}

// drawChart lays out groups as a chart.
func drawChart(id, title, desc string, groups []chartGroup) chart {
	const (
		barW, gap    = 12.0, 12.0
		left, right  = 40.0, 10.0
		top, plotH   = 30.0, 150.0
		labelSpace   = 28.0
		minWidth     = 320.0
		groupW       = 3*barW + gap
		legendStride = 70.0
	)
	width := max(minWidth, left+right+float64(len(groups))*groupW)
	c := chart{ID: id, Title: title, Desc: desc, Width: int(width), Height: int(top + plotH + labelSpace),
		Left: left, Top: top, Right: width - right, Bottom: top + plotH, TickX: left - 4, LabelY: top + plotH + 16}
	for _, p := range []int{0, 25, 50, 75, 100} {
		y := c.Bottom - plotH*float64(p)/100
		c.Ticks = append(c.Ticks, chartTick{Y: y, TextY: y + 4, Label: fmt.Sprintf("%d%%", p)})
	}
	for i, s := range rateSeries {
		x := left + float64(i)*legendStride
		c.Legend = append(c.Legend, chartLegend{X: x, TextX: x + 14, Fill: s.fill, Label: s.label})
	}
	for gi, g := range groups {
		x0 := left + gap/2 + float64(gi)*groupW
		g.LabelX = x0 + 1.5*barW
		g.Bars = nil
		for si, s := range rateSeries {
			v := min(max(s.value(g.Row), 0), 1)
			h := plotH * v
			g.Bars = append(g.Bars, chartBar{X: x0 + float64(si)*barW, Y: c.Bottom - h, W: barW - 2, H: h, Fill: s.fill,
				Title: fmt.Sprintf("%s %s %.0f%%（%d 件）", g.Name, s.label, v*100, g.Row.Tickets)})
		}
		c.Groups = append(c.Groups, g)
	}
	return c
}

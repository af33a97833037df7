package handlers

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/tickets"
	"github.com/xuri/excelize/v2"
)

// exportPage is how many tickets an export asks the service for at a time.
const exportPage = 500

// exportSheet is the name of the Excel export's only sheet.
const exportSheet = "诉求"

// exportTime is how the exports show times: Asia/Shanghai, to the minute.
const exportTime = "2006-01-02 15:04"

// exportCtx is what the columns look up besides the ticket itself.
type exportCtx struct {
	now       time.Time
	buildings map[int64]community.Building
	grids     map[int64]community.Grid
}

// exportColumn is one column of the weekly report; value returns a string
// or a number (so that Excel can sum it).
type exportColumn struct {
	header string
	value  func(t ticket.Ticket, c *exportCtx) any
}

func shownTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(bot.Shanghai).Format(exportTime)
}

func shownTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return shownTime(*t)
}

func ratingLabel(r int) string {
	switch r {
	case ticket.RatingSatisfied:
		return "满意"
	case ticket.RatingBasically:
		return "基本满意"
	case ticket.RatingDissatisfied:
		return "不满意"
	}
	return ""
}

// overdue reports whether t is open and past a deadline: not accepted by
// its response deadline, or not resolved by its resolution deadline.
func overdue(t ticket.Ticket, now time.Time) bool {
	if !t.Status.Open() {
		return false
	}
	if t.AcceptedAt == nil && !t.ResponseDue.IsZero() && now.After(t.ResponseDue) {
		return true
	}
	return !t.ResolveDue.IsZero() && now.After(t.ResolveDue)
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// blankZero shows a zero number as an empty cell.
func blankZero[T int | int64 | float64](v T) any {
	if v == 0 {
		return ""
	}
	return v
}

// exportColumns are the columns of both exports: every field of a ticket,
// headed in Chinese and English.
var exportColumns = []exportColumn{
	{"序号 id", func(t ticket.Ticket, _ *exportCtx) any { return t.ID }},
	{"编号 number", func(t ticket.Ticket, _ *exportCtx) any { return t.Number }},
	{"状态 status", func(t ticket.Ticket, _ *exportCtx) any { return t.Status.Label() }},
	{"状态代码 status_code", func(t ticket.Ticket, _ *exportCtx) any { return string(t.Status) }},
	{"类别 category", func(t ticket.Ticket, _ *exportCtx) any { return t.CategoryName }},
	{"类别代码 category_key", func(t ticket.Ticket, _ *exportCtx) any { return t.Category }},
	{"描述 description", func(t ticket.Ticket, _ *exportCtx) any { return t.Description }},
	{"照片 photos", func(t ticket.Ticket, _ *exportCtx) any { return strings.Join(t.Photos, " ") }},
	{"楼栋 building", func(t ticket.Ticket, c *exportCtx) any {
		if b, ok := c.buildings[t.BuildingID]; ok {
			return b.Number
		}
		return blankZero(t.BuildingID)
	}},
	{"单元 unit", func(t ticket.Ticket, _ *exportCtx) any { return blankZero(t.Unit) }},
	{"地点 place", func(t ticket.Ticket, _ *exportCtx) any { return t.Place }},
	{"纬度 lat", func(t ticket.Ticket, _ *exportCtx) any { return blankZero(t.Lat) }},
	{"经度 lng", func(t ticket.Ticket, _ *exportCtx) any { return blankZero(t.Lng) }},
	{"网格 grid", func(t ticket.Ticket, c *exportCtx) any {
		if g, ok := c.grids[t.GridID]; ok {
			return g.Name
		}
		return blankZero(t.GridID)
	}},
	{"居民 name", func(t ticket.Ticket, _ *exportCtx) any { return t.Name }},
	{"电话 phone", func(t ticket.Ticket, _ *exportCtx) any { return t.Phone }},
	{"微信 openid", func(t ticket.Ticket, _ *exportCtx) any { return t.OpenID }},
	{"来源 source", func(t ticket.Ticket, _ *exportCtx) any { return t.Source }},
	{"处理人 assignee", func(t ticket.Ticket, _ *exportCtx) any { return t.AssigneeName }},
	{"处理人ID assignee_id", func(t ticket.Ticket, _ *exportCtx) any { return blankZero(t.AssigneeID) }},
	{"关联工单ID parent_id", func(t ticket.Ticket, _ *exportCtx) any { return blankZero(t.ParentID) }},
	{"提交时间 created_at", func(t ticket.Ticket, _ *exportCtx) any { return shownTime(t.CreatedAt) }},
	{"响应时限 response_due", func(t ticket.Ticket, _ *exportCtx) any { return shownTime(t.ResponseDue) }},
	{"办结时限 resolve_due", func(t ticket.Ticket, _ *exportCtx) any { return shownTime(t.ResolveDue) }},
	{"受理时间 accepted_at", func(t ticket.Ticket, _ *exportCtx) any { return shownTimePtr(t.AcceptedAt) }},
	{"办结时间 resolved_at", func(t ticket.Ticket, _ *exportCtx) any { return shownTimePtr(t.ResolvedAt) }},
	{"关闭时间 closed_at", func(t ticket.Ticket, _ *exportCtx) any { return shownTimePtr(t.ClosedAt) }},
	{"升级时间 escalated_at", func(t ticket.Ticket, _ *exportCtx) any { return shownTimePtr(t.EscalatedAt) }},
	{"催办时间 urged_at", func(t ticket.Ticket, _ *exportCtx) any { return shownTimePtr(t.UrgedAt) }},
	{"超时 overdue", func(t ticket.Ticket, c *exportCtx) any { return yesNo(overdue(t, c.now)) }},
	{"办结说明 resolution", func(t ticket.Ticket, _ *exportCtx) any { return t.Resolution }},
	{"评价 rating", func(t ticket.Ticket, _ *exportCtx) any { return ratingLabel(t.Rating) }},
	{"评价说明 rating_note", func(t ticket.Ticket, _ *exportCtx) any { return t.RatingNote }},
	{"更新时间 updated_at", func(t ticket.Ticket, _ *exportCtx) any { return shownTime(t.UpdatedAt) }},
}

// exportRows fetches every ticket f matches, a page at a time, with what
// the columns look up. A ticket that moves between pages while the export
// runs is listed once.
func (s *Server) exportRows(ctx context.Context, f tickets.Filter) ([]ticket.Ticket, *exportCtx, error) {
	var (
		rows []ticket.Ticket
		seen = map[int64]bool{}
	)
	f.Limit = exportPage
	for f.Offset = 0; ; f.Offset += exportPage {
		page, total, err := s.Tickets.List(ctx, f)
		if err != nil {
			return nil, nil, fmt.Errorf("export tickets (offset %d): %w", f.Offset, err)
		}
		for _, t := range page {
			if !seen[t.ID] {
				seen[t.ID] = true
				rows = append(rows, t)
			}
		}
		if len(page) < exportPage || f.Offset+len(page) >= total {
			break
		}
	}
	c := &exportCtx{now: time.Now(), buildings: map[int64]community.Building{}, grids: map[int64]community.Grid{}}
	bs, err := s.Community.Buildings(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("export tickets: buildings: %w", err)
	}
	for _, b := range bs {
		c.buildings[b.ID] = b
	}
	gs, err := s.Community.ListGrids(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("export tickets: grids: %w", err)
	}
	for _, g := range gs {
		c.grids[g.ID] = g
	}
	return rows, c, nil
}

// exportName is the download's file name, dated in Asia/Shanghai.
func exportName(ext string) string {
	return "tickets-" + time.Now().In(bot.Shanghai).Format("20060102-1504") + "." + ext
}

// csvCell renders v for the CSV export. Text a spreadsheet would take for a
// formula (=, +, -, @ first) is prefixed with a quote: residents write the
// descriptions.
func csvCell(v any) string {
	switch v := v.(type) {
	case string:
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			return "'" + v
		}
		return v
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// exportCSV serves GET /api/v1/tickets.csv: UTF-8 with a BOM so that Excel
// reads the Chinese right, every matching ticket, the list's filters.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request) {
	f, ok := s.ticketFilter(w, r)
	if !ok {
		return
	}
	rows, c, err := s.exportRows(r.Context(), f)
	if err != nil {
		s.fail(w, r, "export csv", err)
		return
	}
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	rec := make([]string, len(exportColumns))
	for i, col := range exportColumns {
		rec[i] = col.header
	}
	_ = cw.Write(rec)
	for _, t := range rows {
		for i, col := range exportColumns {
			rec[i] = csvCell(col.value(t, c))
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		s.internal(w, r, "export csv", fmt.Errorf("write csv: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+exportName("csv")+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// exportXLSX serves GET /api/v1/tickets.xlsx: one sheet "诉求" with the
// CSV's columns.
func (s *Server) exportXLSX(w http.ResponseWriter, r *http.Request) {
	f, ok := s.ticketFilter(w, r)
	if !ok {
		return
	}
	rows, c, err := s.exportRows(r.Context(), f)
	if err != nil {
		s.fail(w, r, "export xlsx", err)
		return
	}
	buf, err := writeXLSX(rows, c)
	if err != nil {
		s.internal(w, r, "export xlsx", err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+exportName("xlsx")+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// writeXLSX lays the tickets out, one row each, in writeTable's workbook.
func writeXLSX(rows []ticket.Ticket, c *exportCtx) (*bytes.Buffer, error) {
	header := make([]string, len(exportColumns))
	for i, col := range exportColumns {
		header[i] = col.header
	}
	table := make([][]any, len(rows))
	for n, t := range rows {
		vals := make([]any, len(exportColumns))
		for i, col := range exportColumns {
			vals[i] = col.value(t, c)
		}
		table[n] = vals
	}
	return writeTable(exportSheet, header, table)
}

// writeTable builds a one-sheet workbook in memory, with a bold frozen
// header, so that a failure is a clean 500 rather than half a file.
func writeTable(sheet string, header []string, rows [][]any) (*bytes.Buffer, error) {
	x := excelize.NewFile()
	defer func() { _ = x.Close() }()
	if err := x.SetSheetName(x.GetSheetName(0), sheet); err != nil {
		return nil, fmt.Errorf("xlsx: name sheet: %w", err)
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return nil, fmt.Errorf("xlsx: stream writer: %w", err)
	}
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, fmt.Errorf("xlsx: header style: %w", err)
	}
	if err := sw.SetColWidth(1, max(len(header), 1), 16); err != nil {
		return nil, fmt.Errorf("xlsx: column width: %w", err)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, fmt.Errorf("xlsx: freeze header: %w", err)
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return nil, fmt.Errorf("xlsx: header: %w", err)
	}
	for n, row := range rows {
		cell, err := excelize.CoordinatesToCellName(1, n+2)
		if err != nil {
			return nil, fmt.Errorf("xlsx: row %d: %w", n+2, err)
		}
		if err := sw.SetRow(cell, row); err != nil {
			return nil, fmt.Errorf("xlsx: row %d: %w", n+2, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, fmt.Errorf("xlsx: flush: %w", err)
	}
	buf, err := x.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("xlsx: write: %w", err)
	}
	return buf, nil
}

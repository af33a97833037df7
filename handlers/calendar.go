package handlers

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"

	ics "github.com/arran4/golang-ical"
	"github.com/tongxin/tongxin/bot"
)

// This file holds what the public calendars (events.ics, clinic.ics) and
// the CSV exports share.

// newCalendar starts a public calendar named name, published, in
// Asia/Shanghai, refreshed hourly.
func newCalendar(name string) *ics.Calendar {
	cal := ics.NewCalendarFor("tongxin")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRCalName(name)
	cal.SetXWRTimezone(bot.Shanghai.String())
	cal.SetRefreshInterval("PT1H")
	return cal
}

// serveCalendar writes cal as the public file name, cached five minutes.
func serveCalendar(w http.ResponseWriter, r *http.Request, s *Server, cal *ics.Calendar, name string) {
	var buf bytes.Buffer
	if err := cal.SerializeTo(&buf, ics.WithNewLineWindows); err != nil {
		s.internal(w, r, "calendar "+name, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// csvTable writes header and rows as the CSV exports do: UTF-8 with a BOM
// for Excel, CRLF, formula-like text quoted (csvCell; residents type it).
func csvTable(header []string, rows [][]any) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	_ = cw.Write(header)
	rec := make([]string, len(header))
	for _, row := range rows {
		for i, v := range row {
			rec[i] = csvCell(v)
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, fmt.Errorf("write csv: %w", err)
	}
	return &buf, nil
}

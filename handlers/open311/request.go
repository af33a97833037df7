package open311

// This file is what the public sees of a request. The GET endpoints are
// public and ticket numbers sequential, so anyone can walk them: nothing
// here may identify a resident.

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
)

// request is one item of requests.json. Every field of the spec is
// present, null when we have nothing for it. It carries no name or phone.
type request struct {
	ServiceRequestID  string   `json:"service_request_id"`
	Status            string   `json:"status"`
	StatusNotes       string   `json:"status_notes"`
	ServiceName       string   `json:"service_name"`
	ServiceCode       string   `json:"service_code"`
	Description       string   `json:"description"`
	AgencyResponsible string   `json:"agency_responsible"`
	ServiceNotice     *string  `json:"service_notice"`
	RequestedDatetime string   `json:"requested_datetime"`
	UpdatedDatetime   string   `json:"updated_datetime"`
	ExpectedDatetime  *string  `json:"expected_datetime"`
	Address           string   `json:"address"`
	AddressID         *string  `json:"address_id"`
	Zipcode           *string  `json:"zipcode"`
	Lat               *float64 `json:"lat"`
	Long              *float64 `json:"long"`
	MediaURL          *string  `json:"media_url"`
}

// publisher is what a request item shows besides the ticket: building
// numbers and names, grid names, and which categories may be published.
type publisher struct {
	buildings map[int64]community.Building
	grids     map[int64]community.Grid
	// public holds the keys of the categories marked public. A ticket of
	// a category no longer offered is not in it: nobody can say any more
	// whether it was public, so it is treated as not.
	public map[string]bool
}

// publisher loads what one answer needs, once for all its items.
func (h *Handler) publisher(ctx context.Context) (*publisher, error) {
	p := &publisher{buildings: map[int64]community.Building{}, grids: map[int64]community.Grid{}, public: map[string]bool{}}
	for _, c := range h.Tickets.Categories() {
		p.public[c.Key] = c.Public
	}
	bs, err := h.Community.Buildings(ctx)
	if err != nil {
		return nil, fmt.Errorf("open311: buildings: %w", err)
	}
	for _, b := range bs {
		p.buildings[b.ID] = b
	}
	gs, err := h.Community.ListGrids(ctx)
	if err != nil {
		return nil, fmt.Errorf("open311: grids: %w", err)
	}
	for _, g := range gs {
		p.grids[g.ID] = g
	}
	return p, nil
}

func w3c(t time.Time) string { return t.In(bot.Shanghai).Format(time.RFC3339) }

const (
	// withheld is the description of a request of a category not public.
	withheld = "（描述不公开）"
	// publicDesc is the most characters of a description shown.
	publicDesc = 100
	// publicArea is the address of a public-area request.
	publicArea = "公共区域"
)

// numeral is one digit as residents write them: any Unicode digit or
// number (１, ①) or a Chinese numeral, with the 幺 and 两 of phone numbers
// read out and the financial forms. Chinese numerals are letters to
// regexp, so they never count as separators below.
const numeral = `[\p{N}零〇一二三四五六七八九幺两壹贰叁肆伍陆柒捌玖]`

var (
	// longNumber is five or more numerals with up to three separators
	// (anything but a letter or numeral: spaces, dots, dashes, brackets,
	// slashes) between each two: a phone, ID, bank card, QQ number or a
	// dashed address (3-2-201), however it is written.
	longNumber = regexp.MustCompile(numeral + `(?:[^\p{L}\p{N}]{0,3}` + numeral + `){4,}`)
	// roomAfter is a room number after its unit or building (2单元201,
	// 5栋1203); roomBefore one before 室, 房 or 户 (201室, 二零一室). Three
	// numerals at least, since 3室2厅 is the size of a flat.
	roomAfter  = regexp.MustCompile(`(单元|号楼|栋|幢|座|楼|#)(\s*[-#]?\s*)` + numeral + `{3,}`)
	roomBefore = regexp.MustCompile(numeral + `{3,}(\s*(?:室|房|户))`)
	// email is an e-mail address.
	email = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// namedHandle is an account given with the name of its service
	// (微信：zhaody, vx zhaody, QQ号 12345), kept apart from a word that
	// merely ends in those letters.
	namedHandle = regexp.MustCompile(`(?i)((?:^|[^a-z0-9_])(?:微信|威信|薇信|v信|wx|vx|weixin|wechat|qq|扣扣|企鹅|抖音|快手|微博|钉钉|邮箱|e-?mail)号?(?:[\s:：=＝是为]{0,4}))[a-z0-9_\-.@]{3,}`)
	// atHandle is an @name.
	atHandle = regexp.MustCompile(`@[A-Za-z0-9_\-.]{2,}`)
	// asciiWord is a run of ASCII letters, digits, _ and -; one of six or
	// more that mixes letters with digits, _ or - is taken for an account
	// name (zhaody1960, zhao_dy) and masked.
	asciiWord = regexp.MustCompile(`[A-Za-z0-9_\-]{6,}`)
)

// description is what the public sees of a description: e-mail
// addresses, contact handles, long numbers and room numbers masked, then
// cut to 100 characters. Full-width letters and digits are read as
// half-width first, so ｗｘ：ｚｈａｏ is caught like wx：zhao. Names cannot
// be told apart from other words and stay, which is why descriptions are
// published only for public categories.
func description(d string) string {
	d = halfWidth(d)
	d = email.ReplaceAllLiteralString(d, mask)
	d = namedHandle.ReplaceAllString(d, "${1}"+mask)
	d = atHandle.ReplaceAllLiteralString(d, mask)
	d = asciiWord.ReplaceAllStringFunc(d, func(w string) string {
		if strings.IndexFunc(w, isLetter) >= 0 && strings.IndexFunc(w, func(r rune) bool { return !isLetter(r) }) >= 0 {
			return mask
		}
		return w
	})
	d = longNumber.ReplaceAllLiteralString(d, mask)
	d = roomAfter.ReplaceAllString(d, "${1}${2}"+mask)
	d = roomBefore.ReplaceAllString(d, mask+"${1}")
	if r := []rune(d); len(r) > publicDesc {
		d = string(r[:publicDesc-1]) + "…"
	}
	return d
}

// mask replaces what a description may not show.
const mask = "***"

func isLetter(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }

// halfWidth turns full-width letters and digits (ｗｘ１２３) and the
// marks of account names (＠＿－．) into ASCII; other full-width
// punctuation, which Chinese text uses as its own, stays.
func halfWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９', r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ', r == '＠', r == '＿', r == '－', r == '．':
			return r - 0xFEE0
		}
		return r
	}, s)
}

// statusNote is the public status note: one fixed sentence per status,
// never staff's own words (notes and resolutions may name people or give
// phone numbers).
func statusNote(s ticket.Status) string {
	switch s {
	case ticket.Submitted:
		return "已提交，待受理"
	case ticket.Accepted:
		return "已受理，处理中"
	case ticket.Resolved:
		return "已办结"
	case ticket.Closed:
		return "已关闭"
	case ticket.Returned:
		return "已退回，重新分派中"
	case ticket.Reopened:
		return "重新处理中"
	}
	return ""
}

// round rounds a coordinate to 3 decimals, about 100 m.
func round(x float64) *float64 {
	x = math.Round(x*1000) / 1000
	return &x
}

// request maps a ticket to a GeoReport request, showing nothing that
// identifies a resident: category, status, building, dates, the agency
// and fixed notes. Only requests of a public category
// (ticket.Category.Public) add the description, masked and cut, the unit,
// 公共区域 for a public area, and coordinates rounded; the place as typed
// or labelled is never shown.
func (p *publisher) request(t ticket.Ticket) request {
	status := "open"
	if !t.Status.Open() {
		status = "closed"
	}
	public := p.public[t.Category]
	agency := defaultAgency
	if g, ok := p.grids[t.GridID]; ok && g.Name != "" {
		agency = g.Name
	}
	out := request{
		ServiceRequestID:  t.Number,
		Status:            status,
		StatusNotes:       statusNote(t.Status),
		ServiceName:       t.CategoryName,
		ServiceCode:       t.Category,
		Description:       withheld,
		AgencyResponsible: agency,
		RequestedDatetime: w3c(t.CreatedAt),
		UpdatedDatetime:   w3c(t.UpdatedAt),
	}
	if public {
		out.Description = description(t.Description)
	}
	if !t.ResponseDue.IsZero() && t.Status.Open() && t.AcceptedAt == nil {
		n := "预计" + t.ResponseDue.In(bot.Shanghai).Format(shownTime) + "前受理"
		out.ServiceNotice = &n
	}
	if !t.ResolveDue.IsZero() {
		e := w3c(t.ResolveDue)
		out.ExpectedDatetime = &e
	}
	switch b, ok := p.buildings[t.BuildingID]; {
	case ok && t.BuildingID != 0:
		id := strconv.Itoa(b.Number)
		out.AddressID = &id
		out.Address = b.Name
		if t.Unit > 0 && public {
			out.Address += strconv.Itoa(t.Unit) + "单元"
		}
	case public && strings.HasPrefix(strings.TrimSpace(t.Place), publicArea):
		out.Address = publicArea
	}
	if (t.Lat != 0 || t.Lng != 0) && public {
		out.Lat, out.Long = round(t.Lat), round(t.Lng)
	}
	return out
}

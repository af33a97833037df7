package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/input"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
)

// sameIssueWindow is how far back an open ticket of the same place,
// category and a similar description counts as the same problem.
const sameIssueWindow = 24 * time.Hour

// UrgentResponse is the response deadline of an urgent ticket (a fire, a
// gas smell, a burst pipe), in minutes of the clock, not working hours.
const UrgentResponse = 15 * time.Minute

// sources are where tickets come from.
var sources = map[string]bool{"wechat": true, "staff": true, "open311": true}

// routing is where a new ticket goes.
type routing struct {
	assignee *community.Staff // nil: the duty staff's group
	gridID   int64
	note     string // for the timeline
}

// route picks the handler of a ticket of category cat in building b (nil
// when not in a building): the grid worker of the building's grid for
// grid_worker categories, the first staff member with the category's role
// for the others, and the duty staff when nobody matches.
func (s *Service) route(ctx context.Context, tx *storage.Tx, cat ticket.Category, b *community.Building) (routing, error) {
	var r routing
	if b != nil {
		r.gridID = b.GridID
	}
	switch {
	case cat.Role == community.RoleGridWorker && r.gridID != 0:
		g, err := tx.Grid(ctx, r.gridID)
		if err != nil {
			return routing{}, err
		}
		if r.assignee, err = staffOrNil(ctx, tx, g.WorkerID); err != nil {
			return routing{}, err
		}
	case cat.Role != community.RoleGridWorker && cat.Role != "":
		var err error
		if r.assignee, err = withRole(ctx, tx, cat.Role, 0); err != nil {
			return routing{}, err
		}
	}
	if r.assignee != nil {
		r.note = "派给 " + r.assignee.Title()
		return r, nil
	}
	duty, err := withRole(ctx, tx, community.RoleDuty, 0)
	if err != nil {
		return routing{}, err
	}
	r.assignee = duty
	if duty != nil {
		r.note = "无对应处理人，派给 " + duty.Title()
	} else {
		r.note = "无对应处理人，交社区值班人员分派"
	}
	return r, nil
}

// checkDraft validates what can be checked without the database.
func (s *Service) checkDraft(d *ticket.Draft) (ticket.Category, error) {
	cat, ok := s.cats[d.Category]
	if !ok {
		return ticket.Category{}, bot.FieldError("category", "请选择诉求类别。")
	}
	d.Description = strings.TrimSpace(d.Description)
	d.Phone = strings.TrimSpace(d.Phone)
	d.Place = strings.TrimSpace(d.Place)
	switch {
	case d.Description == "" && len(d.Photos) == 0:
		return cat, bot.FieldError("description", "请描述一下遇到的问题。")
	case len([]rune(d.Description)) > 1000:
		return cat, bot.FieldError("description", "问题描述太长了，请控制在 1000 字以内。")
	case len(d.Photos) > ticket.MaxPhotos:
		return cat, bot.FieldError("photos", fmt.Sprintf("最多附 %d 张照片。", ticket.MaxPhotos))
	case d.Voice != "" && (!strings.HasPrefix(d.Voice, "media:") || len(d.Voice) > 200):
		return cat, bot.FieldError("voice", "语音消息无法识别，请重新发送。")
	case d.Phone != "" && !input.IsMobile(d.Phone):
		return cat, bot.FieldError("phone", "手机号应为 11 位数字，以 1 开头。")
	case d.Phone == "" && d.OpenID == "" && d.Source != "open311":
		// Staff filing for a resident must leave a way back to them; a
		// city platform's report may come without one (Open311 makes the
		// phone optional).
		return cat, bot.FieldError("phone", "请留下居民的联系电话。")
	case d.Unit < 0:
		return cat, bot.FieldError("unit", "单元号不对。")
	}
	if d.Source == "" {
		d.Source = "wechat"
		if d.FiledBy != 0 {
			d.Source = "staff"
		}
	}
	if !sources[d.Source] {
		return cat, bot.FieldError("source", "来源应为 wechat、staff 或 open311。")
	}
	return cat, nil
}

// Submit files a ticket: numbers it, routes it, sets its deadlines, links
// it to open tickets of the same problem in the same building, and queues
// the notices to its handler and to the building's and unit's heads, all
// in one transaction. Bad input is a *bot.UserError wrapping a
// *FieldError.
//
// A draft whose Key filed a ticket before gets that ticket back, marked
// Repeat, with nothing filed or notified: the conversation retries Submit
// when it could not end after the first one committed.
func (s *Service) Submit(ctx context.Context, d ticket.Draft) (ticket.Receipt, error) {
	if rc, ok, err := s.filed(ctx, d); err != nil || ok {
		return rc, err
	}
	cat, err := s.checkDraft(&d)
	if err != nil {
		return ticket.Receipt{}, fmt.Errorf("tickets.Submit: %w", err)
	}
	var rc ticket.Receipt
	err = s.store.Transact(ctx, func(tx *storage.Tx) error {
		var err error
		rc, err = s.submit(ctx, tx, d, cat)
		return err
	})
	if errors.Is(err, bot.ErrConflict) {
		// A concurrent filing of the same draft committed first (the
		// draft key is unique): that one stands.
		if rc, ok, ferr := s.filed(ctx, d); ferr == nil && ok {
			return rc, nil
		}
	}
	if err != nil {
		return ticket.Receipt{}, fmt.Errorf("tickets.Submit: %w", err)
	}
	return rc, nil
}

// filed returns the receipt of the ticket d's Key filed before, and false
// when there is none (or d has no key). A key another resident's ticket
// holds is a conflict, never that ticket.
func (s *Service) filed(ctx context.Context, d ticket.Draft) (ticket.Receipt, bool, error) {
	if d.Key == "" {
		return ticket.Receipt{}, false, nil
	}
	t, err := s.store.TicketByDraftKey(ctx, d.Key)
	switch {
	case errors.Is(err, bot.ErrNotFound):
		return ticket.Receipt{}, false, nil
	case err != nil:
		return ticket.Receipt{}, false, fmt.Errorf("tickets.Submit: %w", err)
	case t.OpenID != d.OpenID:
		return ticket.Receipt{}, false, fmt.Errorf("tickets.Submit: draft key of another resident's ticket: %w", bot.ErrConflict)
	}
	return ticket.Receipt{Ticket: s.named(t), Repeat: true}, true, nil
}

func (s *Service) submit(ctx context.Context, tx *storage.Tx, d ticket.Draft, cat ticket.Category) (ticket.Receipt, error) {
	now := s.now()
	var b *community.Building
	if d.BuildingID != 0 {
		bb, err := tx.Building(ctx, d.BuildingID)
		if errors.Is(err, bot.ErrNotFound) {
			return ticket.Receipt{}, bot.FieldError("building_id", "没有这栋楼，请重新选择。")
		}
		if err != nil {
			return ticket.Receipt{}, err
		}
		b = &bb
	}
	actor := actorResident
	if d.FiledBy != 0 {
		st, err := tx.Staff(ctx, d.FiledBy)
		if errors.Is(err, bot.ErrNotFound) {
			return ticket.Receipt{}, bot.FieldError("filed_by", "登记人不是社区工作人员。")
		}
		if err != nil {
			return ticket.Receipt{}, err
		}
		actor = st.Title()
	}
	if d.Place == "" {
		d.Place = placeOf(b, d.Unit)
	}

	r, err := s.route(ctx, tx, cat, b)
	if err != nil {
		return ticket.Receipt{}, err
	}
	var households int
	var root *ticket.Ticket // what the new ticket is linked to
	if households, root, err = s.sameIssue(ctx, tx, d, cat.Key, now); err != nil {
		return ticket.Receipt{}, err
	}

	// The counter row is the one place concurrent filings queue: take it
	// last, so it is held for as short a time as possible.
	day := now.In(bot.Shanghai).Format("060102")
	seq, err := tx.NextTicketNumber(ctx, day)
	if err != nil {
		return ticket.Receipt{}, err
	}
	// Counted behind the counter's lock, the day's filings are all
	// committed or waiting: the limit holds however many arrive at once.
	if err := s.checkDailyLimit(ctx, tx, d, now); err != nil {
		return ticket.Receipt{}, err
	}
	if seq > ticket.MaxDailyCount {
		return ticket.Receipt{}, fmt.Errorf("more than %d tickets on %s: numbers would exceed 11 digits", ticket.MaxDailyCount, day)
	}
	t := ticket.Ticket{
		Number: ticket.FormatNumber(day, seq), OpenID: d.OpenID, Name: strings.TrimSpace(d.Name), Phone: d.Phone,
		Category: cat.Key, Description: d.Description, Photos: d.Photos,
		BuildingID: d.BuildingID, Unit: d.Unit, Place: d.Place, Lat: d.Lat, Lng: d.Lng,
		Status: ticket.Submitted, GridID: r.gridID, Source: d.Source, Urgent: d.Urgent,
		ResponseDue: s.due(now, cat.ResponseHours), ResolveDue: s.due(now, cat.ResolveHours),
		CreatedAt: now, UpdatedAt: now,
	}
	if d.Urgent {
		// An emergency waits for no office hours.
		t.ResponseDue = now.Add(UrgentResponse)
	}
	if r.assignee != nil {
		t.AssigneeID, t.AssigneeName = r.assignee.ID, r.assignee.Name
	}
	if root != nil {
		t.ParentID = root.ID
	}
	if err := tx.InsertTicket(ctx, &t, d.Key); err != nil {
		return ticket.Receipt{}, err
	}
	if refs := d.Media(); s.cfg.Media != nil && len(refs) > 0 {
		if err := s.cfg.Media.KeepTx(ctx, tx, t.ID, refs); err != nil {
			return ticket.Receipt{}, err
		}
	}

	filed := "提交诉求"
	if d.FiledBy != 0 || d.Source == "staff" {
		filed = "代居民登记诉求"
	}
	if d.FiledBy == 0 && d.Source == "staff" {
		// The operator (admin token, console or API) filed it, not the
		// resident: the timeline must not say the resident did.
		actor = actorAdmin
	}
	events := []ticket.Entry{{At: now, Actor: actor, Action: filed}, {At: now, Actor: actorSystem, Action: "派单", Note: r.note}}
	if root != nil {
		events = append(events, ticket.Entry{At: now, Actor: actorSystem, Action: "关联同类问题",
			Note: fmt.Sprintf("%s已有 %d 户反映同类问题，并入编号 %s 一并处理", here(t), households, root.Number)})
		if _, err := tx.AddTimelineEntry(ctx, root.ID, ticket.Entry{At: now, Actor: actorSystem, Action: "同类反映",
			Note: "编号 " + t.Number + " 反映同类问题"}); err != nil {
			return ticket.Receipt{}, err
		}
	}
	for _, e := range events {
		if _, err := tx.AddTimelineEntry(ctx, t.ID, e); err != nil {
			return ticket.Receipt{}, err
		}
	}

	if err := s.notifyNew(ctx, tx, t, r.assignee, b, households, now); err != nil {
		return ticket.Receipt{}, err
	}
	return ticket.Receipt{Ticket: s.named(t), SameIssue: households}, nil
}

// limited reports whether d counts towards its filer's daily limit: a
// resident filing for themselves through WeChat.
func (s *Service) limited(d ticket.Draft) bool {
	return s.cfg.DailyLimit > 0 && d.OpenID != "" && d.FiledBy == 0 && d.Source == "wechat" && !d.Urgent
}

// checkDailyLimit refuses d when its filer has filed the day's limit.
func (s *Service) checkDailyLimit(ctx context.Context, q dailyCounter, d ticket.Draft, now time.Time) error {
	if !s.limited(d) {
		return nil
	}
	n, err := q.CountTicketsFiled(ctx, d.OpenID, d.Source, startOfDay(now))
	if err != nil {
		return err
	}
	if n >= s.cfg.DailyLimit {
		return bot.Refuse("您今天已提交 %d 件诉求，达到每天的上限，请明天再提交。\n情况紧急请回复 人工 联系社区工作人员，或直接拨打社区电话。", n)
	}
	return nil
}

// dailyCounter counts filings, on the store or in a transaction.
type dailyCounter interface {
	CountTicketsFiled(ctx context.Context, openid, source string, since time.Time) (int, error)
}

// startOfDay is the start of t's day in Shanghai.
func startOfDay(t time.Time) time.Time {
	y, m, d := t.In(bot.Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, bot.Shanghai)
}

// MayFile tells a resident at the start of a conversation, rather than
// after it, that they have filed the day's limit: a *bot.UserError
// saying so, nil when they may file.
func (s *Service) MayFile(ctx context.Context, openid string) error {
	err := s.checkDailyLimit(ctx, s.store, ticket.Draft{OpenID: openid, Source: "wechat"}, s.now())
	if err != nil {
		return fmt.Errorf("tickets.MayFile: %w", err)
	}
	return nil
}

// household is who filed a ticket, as far as same-issue counting goes.
type household struct{ openid, phone string }

// same reports whether h and o are one household: the same openid when
// both have one, else the same phone.
func (h household) same(o household) bool {
	if h.openid != "" && o.openid != "" {
		return h.openid == o.openid
	}
	return h.phone != "" && h.phone == o.phone
}

// sameIssue finds the open tickets of the same problem as d filed in the
// last sameIssueWindow by other households than the filer's: the same
// category, the same place (samePlace) and a similar description
// (similarIssue). It returns how many households those are and the ticket
// to link the new one to: the root of the oldest of them (the ticket it is
// itself linked to, if any) while that root is open, else the oldest
// itself; nil when there are none.
func (s *Service) sameIssue(ctx context.Context, tx *storage.Tx, d ticket.Draft, category string, now time.Time) (int, *ticket.Ticket, error) {
	if d.Urgent {
		// An emergency is handled on its own: linked, it would be settled
		// with the older ticket, and nobody would confirm the rescue.
		return 0, nil, nil
	}
	since := now.Add(-sameIssueWindow)
	var found []ticket.Ticket
	var err error
	switch {
	case d.BuildingID != 0:
		found, err = tx.SameIssue(ctx, d.BuildingID, category, since)
	case d.Lat == 0 && d.Lng == 0 && d.Place != "":
		// A public place named in words; a shared location's label is
		// too loose to be one place.
		found, err = tx.SamePlaceIssue(ctx, d.Place, category, since)
	}
	if err != nil {
		return 0, nil, err
	}
	filer := household{d.OpenID, d.Phone}
	var others []household
	var oldest *ticket.Ticket
	for i, t := range found {
		h := household{t.OpenID, t.Phone}
		// Nor does an ordinary report join an emergency: the rescue done,
		// the lift may still be broken.
		if t.Urgent || filer.same(h) || !samePlace(d, t) || !similarIssue(d.Description, t.Description) {
			continue
		}
		if oldest == nil {
			oldest = &found[i]
		}
		if !slices.ContainsFunc(others, h.same) {
			others = append(others, h)
		}
	}
	if oldest == nil {
		return 0, nil, nil
	}
	root := *oldest
	// New tickets link to roots, so one step is enough; a few more cost
	// nothing and bound any chain older data may hold.
	for range 10 {
		if root.ParentID == 0 {
			break
		}
		if root, err = tx.TicketByID(ctx, root.ParentID); err != nil {
			return 0, nil, err
		}
	}
	if !root.Status.Open() {
		// Resolving a root resolves what is linked to it, so this is
		// data from before that: link to the open ticket instead.
		root = *oldest
	}
	return len(others), &root, nil
}

// samePlace reports whether ticket t is where draft d is: the same
// building and, when both name one, the same unit; or the same public
// place. (The store already matched the building or the place.)
func samePlace(d ticket.Draft, t ticket.Ticket) bool {
	if d.BuildingID != t.BuildingID {
		return false
	}
	if d.BuildingID == 0 {
		return d.Place != "" && d.Place == t.Place
	}
	return d.Unit == 0 || t.Unit == 0 || d.Unit == t.Unit
}

// due is the deadline hours working hours after from.
func (s *Service) due(from time.Time, hours float64) time.Time {
	return s.cal.Add(from, time.Duration(hours*float64(time.Hour))).UTC().Truncate(time.Microsecond)
}

// here names where t is in "本楼已有 N 户反映同类问题": its building, or
// the public place it names.
func here(t ticket.Ticket) string {
	if t.BuildingID == 0 {
		return "此处"
	}
	return "本楼"
}

// placeOf describes a building (and unit) for a ticket that gave no place.
func placeOf(b *community.Building, unit int) string {
	if b == nil {
		return "未说明地点"
	}
	name := b.Name
	if name == "" {
		name = strconv.Itoa(b.Number) + "号楼"
	}
	if unit > 0 {
		name += strconv.Itoa(unit) + "单元"
	}
	return name
}

// notifyNew tells the assignee of new ticket t, and copies the building's
// 楼栋长 and the unit's 单元长 (when bound and not the assignee).
func (s *Service) notifyNew(ctx context.Context, tx *storage.Tx, t ticket.Ticket, assignee *community.Staff, b *community.Building, same int, now time.Time) error {
	text := func(private bool) string {
		var text strings.Builder
		head := "【新诉求】"
		if t.Urgent {
			head = "【紧急诉求】"
		}
		fmt.Fprintf(&text, "%s编号 %s\n类别：%s\n地点：%s\n问题：%s\n居民：%s",
			head, t.Number, s.categoryName(t.Category), t.Place, cut(t.Description, 80), residentDesc(t, private))
		if len(t.Photos) > 0 {
			fmt.Fprintf(&text, "\n照片：%d 张", len(t.Photos))
		}
		if same > 0 {
			fmt.Fprintf(&text, "\n%s已有 %d 户反映同类问题。", here(t), same)
		}
		fmt.Fprintf(&text, "\n请于 %s 前受理：回复 受理 %s", bot.When(t.ResponseDue), t.Number)
		return text.String()
	}
	key := "ticket:" + t.Number + ":new:duty"
	if assignee != nil {
		key = fmt.Sprintf("ticket:%s:new:%d", t.Number, assignee.ID)
	}
	if err := s.toStaffPersonal(ctx, tx, assignee, t, NoticeNew, key, text, t.ResponseDue); err != nil {
		return err
	}
	if b == nil {
		return nil
	}
	heads := []int64{b.HeadID}
	if t.Unit > 0 {
		heads = append(heads, b.UnitHeads[t.Unit])
	}
	for i, id := range heads {
		if id == 0 || (assignee != nil && id == assignee.ID) || (i == 1 && id == heads[0]) {
			continue
		}
		head, err := staffOrNil(ctx, tx, id)
		if err != nil {
			return err
		}
		if head == nil || head.OpenID == "" {
			continue // a copy is not worth the duty staff's time
		}
		text := fmt.Sprintf("【抄送】您负责的 %s 有新诉求（编号 %s）：%s，%s。处理人：%s。",
			placeOf(b, t.Unit), t.Number, s.categoryName(t.Category), cut(t.Description, 40), handlerName(t))
		if err := s.toStaff(ctx, tx, head, t, NoticeCopy, fmt.Sprintf("ticket:%s:cc:%d", t.Number, id), text, now); err != nil {
			return err
		}
	}
	return nil
}

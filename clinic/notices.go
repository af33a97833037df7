package clinic

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/storage"
)

// bookingsPage is the resident's page of their bookings (handlers/mine), which
// their notices link to: relative, the outbox puts the public URL in
// front.
const bookingsPage = "/my/bookings"

// What a change of a booking, an aid application or an expert request
// sets off, called by the service in the change's transaction: notices
// in the outbox, and reminder jobs.
//
// A matter's description goes only into the Text of a notice to one
// person (the resident, or a provider linked to staff): Text goes out as
// a customer-service message to that person alone. The GroupText, which
// the WeCom group robot shows instead when a staff notice falls back to
// it, and the template Fields never carry it.

// Notice kinds (map a template to each in the configuration).
const (
	kindBooked = "clinic_booked"
	// kindCancelled tells providers; kindResidentCancelled the resident
	// whose booking the clinic cancelled.
	kindCancelled         = "clinic_cancelled"
	kindResidentCancelled = "clinic_cancelled_by_clinic"
	kindReminder          = "clinic_reminder"
	kindGone              = "clinic_gone"
	kindAid               = "clinic_aid"
	kindExpert            = "clinic_expert"
	kindPanel             = "clinic_panel"
	kindPatrol            = "clinic_patrol"
)

// goneOffered is how many free slots a resident whose slot went is
// offered (回复 1/2/3).
const goneOffered = 3

// bookingNews is the group (bot.Notice.Replaces) of a resident's news of
// one booking: the newest says where it stands. It names no openid,
// which would outlive an erasure (the notify hook blanks recipients, not
// groups).
func bookingNews(id int64) string { return fmt.Sprintf("clinic_booking:%d", id) }

// when formats a time as residents read it, as the conversation does
// (bot/flows/booking): "12月1日 周二 09:00".
func when(t time.Time) string { return dayLabel(t) + t.In(bot.Shanghai).Format(" 15:04") }

// dayLabel is a date as residents read it: "12月1日 周二".
func dayLabel(t time.Time) string { return bot.DayWeek(t) }

// fieldTime is a time as a template field shows it.
func fieldTime(t time.Time) string { return t.In(bot.Shanghai).Format("2006-01-02 15:04") }

// staffNotice is a notice to the provider's staff member about the
// resident about: Text for them alone, GroupText for a group robot.
func staffNotice(kind, key, to, about, text, group string, fields map[string]string) bot.Notice {
	return bot.Notice{Kind: kind, To: to, About: about, Staff: true, Text: text, GroupText: group, Fields: fields, Key: key}
}

// sessionContacts lists the providers linked to staff who can be told
// of booking b: the session's providers, and those who speak the
// language b asked for or represent minorities (when b asked for one),
// each staff member once.
func sessionContacts(ctx context.Context, tx *storage.Tx, b cl.Booking) ([]storage.ClinicContact, error) {
	sc, err := tx.ClinicSchedule(ctx, b.ScheduleID)
	if err != nil {
		return nil, err
	}
	ids := slices.Clone(sc.ProviderIDs)
	extra, err := tx.ClinicInterpreters(ctx, b.Language, b.NeedRep)
	if err != nil {
		return nil, err
	}
	for _, id := range extra {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return reachable(ctx, tx, ids)
}

// reachable returns, of providers ids, those active and linked to staff
// who can be told, each staff member once.
func reachable(ctx context.Context, tx *storage.Tx, ids []int64) ([]storage.ClinicContact, error) {
	all, err := tx.ClinicContacts(ctx, ids)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var out []storage.ClinicContact
	for _, c := range all {
		if c.Active && c.OpenID != "" && !seen[c.StaffID] {
			seen[c.StaffID] = true
			out = append(out, c)
		}
	}
	return out, nil
}

// onBooked queues, in tx, the pushes to the session's providers linked to
// staff (no description in anything but a 1:1 message) and plans the
// resident's reminders.
func (s *Service) onBooked(ctx context.Context, tx *storage.Tx, b cl.Booking) error {
	if s.outbox != nil {
		contacts, err := sessionContacts(ctx, tx, b)
		if err != nil {
			return err
		}
		for _, c := range contacts {
			n := staffNotice(kindBooked, fmt.Sprintf("%s:%d:%d", kindBooked, b.ID, c.StaffID), c.OpenID, b.OpenID,
				bookedText(b, true), bookedText(b, false), bookedFields(b))
			if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
				return fmt.Errorf("queueing %s: %w", kindBooked, err)
			}
		}
	}
	return s.planReminders(ctx, tx, b)
}

// bookedText is the provider's push of a new booking; private, it is the
// 1:1 message with the description and the full phone, else what a group
// may read (masked name and phone, no description).
func bookedText(b cl.Booking, private bool) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "新预约 %s %s（%s）", when(b.Start), b.Matter.Label(), b.Mode.Label())
	if b.Location != "" {
		sb.WriteString("\n地点：" + b.Location)
	}
	name, phone := b.Name, b.Phone
	if !private {
		name, phone = bot.MaskName(name), bot.MaskPhone(phone)
	}
	if name != "" || phone != "" {
		fmt.Fprintf(&sb, "\n居民：%s %s", name, phone)
	}
	if b.Language != "" {
		sb.WriteString("\n语言：" + b.Language)
	}
	if b.NeedRep {
		sb.WriteString("\n需要少数民族代表在场")
	}
	if b.TicketID != 0 {
		fmt.Fprintf(&sb, "\n关联诉求：%d", b.TicketID)
	}
	if private && b.Description != "" {
		sb.WriteString("\n事项：" + b.Description)
	}
	fmt.Fprintf(&sb, "\n预约码:%s", b.Code)
	if !private {
		sb.WriteString("\n详情请在公众号发送「今日预约」查看")
	}
	return sb.String()
}

// bookedFields are the push's template fields: no description.
func bookedFields(b cl.Booking) map[string]string {
	return map[string]string{
		"title": "新预约 " + b.Matter.Label(), "time": fieldTime(b.Start), "place": b.Location,
		"name": bot.MaskName(b.Name), "code": b.Code, "note": "详情请发送 今日预约",
	}
}

// onCancelled drops, in tx, the reminders of a booking cancelled or moved
// that quiet hours still hold, and any other news of it not yet sent (a
// reminder job still to run finds the booking cancelled and does
// nothing), and tells the providers who were pushed the booking that
// its seat is free.
func (s *Service) onCancelled(ctx context.Context, tx *storage.Tx, b cl.Booking) error {
	if s.outbox == nil {
		return nil
	}
	if b.OpenID != "" {
		groups := []string{bookingNews(b.ID)}
		for _, off := range s.cfg.Reminders {
			groups = append(groups, reminderGroup(b.ID, off))
		}
		for _, g := range groups {
			if _, err := s.outbox.Withdraw(ctx, tx, b.OpenID, g, "booking "+string(b.Status)); err != nil {
				return err
			}
		}
	}
	contacts, err := sessionContacts(ctx, tx, b)
	if err != nil {
		return err
	}
	for _, c := range contacts {
		n := staffNotice(kindCancelled, fmt.Sprintf("%s:%d:%d", kindCancelled, b.ID, c.StaffID), c.OpenID, b.OpenID,
			cancelledText(b, true), cancelledText(b, false),
			map[string]string{"title": "预约取消 " + b.Matter.Label(), "time": fieldTime(b.Start), "code": b.Code})
		if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
			return fmt.Errorf("queueing %s: %w", kindCancelled, err)
		}
	}
	return nil
}

// cancelledText tells a provider a booking of theirs was cancelled; the
// group's copy masks the name.
func cancelledText(b cl.Booking, private bool) string {
	name := b.Name
	if !private {
		name = bot.MaskName(name)
	}
	text := fmt.Sprintf("预约取消 %s %s", when(b.Start), b.Matter.Label())
	if name != "" {
		text += "\n居民：" + name
	}
	return text + "\n预约码:" + b.Code + "\n该时段已空出"
}

// tellCancelled tells the resident of b that the clinic (not they)
// cancelled it, and why: a staff change of the booking's status calls it
// after onCancelled.
func (s *Service) tellCancelled(ctx context.Context, tx *storage.Tx, b cl.Booking, why string) error {
	now := s.now()
	// A booking whose time has passed is not news.
	if s.outbox == nil || b.OpenID == "" || !b.Start.After(now) {
		return nil
	}
	text := fmt.Sprintf("您预约的%s（%s）已由法律诊所取消。", b.Matter.Label(), when(b.Start))
	if why != "" {
		text += "\n原因：" + why
	}
	if s.cfg.Phone != "" {
		text += "\n如有疑问请致电 " + s.cfg.Phone + "。"
	}
	text += "\n需要时可回复「法律」重新预约；公共法律服务热线 " + cl.Hotline + "。"
	n := bot.Notice{
		Kind: kindResidentCancelled, To: b.OpenID, About: b.OpenID, Text: text, URL: bookingsPage,
		Fields:   map[string]string{"title": "预约已取消", "time": fieldTime(b.Start), "status": cl.Cancelled.Label(), "note": why},
		Key:      fmt.Sprintf("%s:%d", kindResidentCancelled, b.ID),
		Replaces: bookingNews(b.ID),
		// Quiet hours must not keep the news until the slot has passed.
		Urgent: !s.cfg.Quiet.Release(now).Before(b.Start.Add(-time.Hour)),
	}
	if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
		return fmt.Errorf("queueing %s: %w", kindResidentCancelled, err)
	}
	return nil
}

// tellGone tells the resident of b, whose slot was closed (停诊) or
// vanished in a schedule change, why, with the next free slots (their
// booking stands until they choose): a bare 1, 2 or 3 moves it there
// (cl.QuestionClosed, the booking's id).
func (s *Service) tellGone(ctx context.Context, tx *storage.Tx, b cl.Booking, why string, next []cl.Slot) error {
	if s.outbox == nil || b.OpenID == "" {
		return nil
	}
	now := s.now()
	n := bot.Notice{
		Kind: kindGone, To: b.OpenID, About: b.OpenID, URL: bookingsPage,
		Text:     goneText(b, why, next, s.cfg.Phone),
		Fields:   map[string]string{"title": "预约时段有变", "time": fieldTime(b.Start), "status": why, "note": "请回复公众号改约"},
		Key:      fmt.Sprintf("%s:%d:%d", kindGone, b.ID, now.UnixMicro()),
		Replaces: bookingNews(b.ID),
		// Quiet hours must not keep the news until the slot has passed.
		Urgent: !s.cfg.Quiet.Release(now).Before(b.Start.Add(-time.Hour)),
	}
	if len(next) > 0 {
		n.Asks = bot.Ask(cl.QuestionClosed, strconv.FormatInt(b.ID, 10))
	}
	if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
		return fmt.Errorf("queueing %s: %w", kindGone, err)
	}
	return nil
}

// goneText is the news of a slot gone, with up to goneOffered numbered
// slots to move to.
func goneText(b cl.Booking, why string, next []cl.Slot, phone string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "您预约的%s（%s）无法按原时间进行，原预约暂时保留。", b.Matter.Label(), when(b.Start))
	if why != "" {
		sb.WriteString("\n原因：" + why)
	}
	if len(next) > goneOffered {
		next = next[:goneOffered]
	}
	if len(next) == 0 {
		sb.WriteString("\n近期暂无空闲时段，工作人员会与您联系。")
	} else {
		sb.WriteString("\n可改约到以下时段：")
		for i, sl := range next {
			fmt.Fprintf(&sb, "\n%d. %s", i+1, when(sl.Start))
			if sl.Location != "" {
				sb.WriteString(" " + sl.Location)
			}
		}
		nums := make([]string, len(next))
		for i := range next {
			nums[i] = strconv.Itoa(i + 1)
		}
		fmt.Fprintf(&sb, "\n回复 %s 改约到该时段；回复「取消预约」取消。", strings.Join(nums, "/"))
	}
	if phone != "" {
		sb.WriteString("\n咨询电话：" + phone)
	}
	fmt.Fprintf(&sb, "\n公共法律服务热线：%s", cl.Hotline)
	return sb.String()
}

// tellAid tells the applicant where their aid application stands (with
// the staff's note when declined or approved).
func (s *Service) tellAid(ctx context.Context, tx *storage.Tx, a cl.AidApplication) error {
	if s.outbox == nil || a.OpenID == "" {
		return nil
	}
	n := bot.Notice{
		Kind: kindAid, To: a.OpenID, About: a.OpenID, Text: aidText(a),
		Fields:   map[string]string{"title": "法律援助申请", "number": strconv.FormatInt(a.ID, 10), "status": a.Status.Label(), "note": a.Note},
		Key:      fmt.Sprintf("%s:%d:%s", kindAid, a.ID, a.Status),
		Replaces: fmt.Sprintf("%s:%d", kindAid, a.ID),
	}
	if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
		return fmt.Errorf("queueing %s: %w", kindAid, err)
	}
	return nil
}

// aidText is the step of the application as the resident reads it.
func aidText(a cl.AidApplication) string {
	head := fmt.Sprintf("您的法律援助申请（编号 %d）", a.ID)
	var text string
	switch a.Status {
	case cl.AidReceived:
		text = head + "已受理，司法所会尽快审查，结果会通知您。"
	case cl.AidReviewing:
		text = head + "正在审查中，如需补充材料工作人员会联系您。"
	case cl.AidApproved:
		text = head + "已批准，司法所工作人员会联系您安排承办律师。"
	case cl.AidDeclined:
		text = head + "经审查不予援助。"
	default:
		text = head + "：" + a.Status.Label()
	}
	if a.Note != "" {
		text += "\n说明：" + a.Note
	}
	if a.Status == cl.AidDeclined {
		text += fmt.Sprintf("\n如有疑问可拨打公共法律服务热线 %s，或回复「法律」预约咨询。", cl.Hotline)
	}
	return text
}

// tellExpert tells the resident (and, once scheduled, the panel's
// providers linked to staff) of an expert request's outcome.
func (s *Service) tellExpert(ctx context.Context, tx *storage.Tx, r cl.ExpertRequest) error {
	if s.outbox == nil || (r.Status != cl.ExpertScheduled && r.Status != cl.ExpertDeclined) {
		return nil
	}
	var panel []storage.ClinicContact
	if r.Status == cl.ExpertScheduled {
		var err error
		if panel, err = tx.ClinicContacts(ctx, r.ProviderIDs); err != nil {
			return err
		}
	}
	at := ""
	if r.At != nil {
		at = strconv.FormatInt(r.At.Unix(), 10)
	}
	if r.OpenID != "" {
		n := bot.Notice{
			Kind: kindExpert, To: r.OpenID, About: r.OpenID, Text: expertText(r, panel),
			Fields:   map[string]string{"title": "专家会诊", "status": r.Status.Label(), "place": r.Location, "note": r.Note},
			Key:      fmt.Sprintf("%s:%d:%s:%s", kindExpert, r.ID, r.Status, at),
			Replaces: fmt.Sprintf("%s:%d", kindExpert, r.ID),
		}
		if r.At != nil {
			n.Fields["time"] = fieldTime(*r.At)
		}
		if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
			return fmt.Errorf("queueing %s: %w", kindExpert, err)
		}
	}
	seen := map[int64]bool{}
	for _, c := range panel {
		if !c.Active || c.OpenID == "" || seen[c.StaffID] {
			continue
		}
		seen[c.StaffID] = true
		n := staffNotice(kindPanel, fmt.Sprintf("%s:%d:%d:%s", kindPanel, r.ID, c.StaffID, at), c.OpenID, r.OpenID,
			panelText(r, true), panelText(r, false), map[string]string{"title": "专家会诊 " + r.Matter.Label(), "place": r.Location})
		if r.At != nil {
			n.Fields["time"] = fieldTime(*r.At)
		}
		if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
			return fmt.Errorf("queueing %s: %w", kindPanel, err)
		}
	}
	return nil
}

// expertText is the outcome of the request as the resident reads it.
func expertText(r cl.ExpertRequest, panel []storage.ClinicContact) string {
	if r.Status == cl.ExpertDeclined {
		text := "您申请的专家会诊暂未能安排。"
		if r.Note != "" {
			text += "\n说明：" + r.Note
		}
		return text + fmt.Sprintf("\n可回复「法律」预约法律咨询，或拨打公共法律服务热线 %s。", cl.Hotline)
	}
	var sb strings.Builder
	sb.WriteString("您申请的专家会诊已安排：")
	if r.At != nil {
		sb.WriteString("\n时间：" + when(*r.At))
	}
	if r.Location != "" {
		sb.WriteString("\n地点：" + r.Location)
	}
	if len(panel) > 0 {
		names := make([]string, len(panel))
		for i, c := range panel {
			names[i] = cl.Kind(c.Kind).Label() + " " + c.Name
		}
		sb.WriteString("\n专家：" + strings.Join(names, "、"))
	}
	if r.Note != "" {
		sb.WriteString("\n说明：" + r.Note)
	}
	sb.WriteString("\n请带好相关材料按时到场。")
	return sb.String()
}

// panelText is a panel member's push: private, with the resident's
// description and phone.
func panelText(r cl.ExpertRequest, private bool) string {
	var sb strings.Builder
	sb.WriteString("专家会诊（" + r.Matter.Label() + "）")
	if r.At != nil {
		sb.WriteString("\n时间：" + when(*r.At))
	}
	if r.Location != "" {
		sb.WriteString("\n地点：" + r.Location)
	}
	name, phone := r.Name, r.Phone
	if !private {
		name, phone = bot.MaskName(name), bot.MaskPhone(phone)
	}
	fmt.Fprintf(&sb, "\n居民：%s %s", name, phone)
	if private && r.Description != "" {
		sb.WriteString("\n事项：" + r.Description)
	}
	return sb.String()
}

// announcePatrol queues, in tx, the announcement of a new 定期巡诊
// schedule's sessions to the residents of its building who follow the
// account and subscribed (clinic_subscriptions), called by
// CreateSchedule.
func (s *Service) announcePatrol(ctx context.Context, tx *storage.Tx, sc cl.Schedule) error {
	if s.outbox == nil || sc.Mode != cl.Patrol || !sc.Active {
		return nil
	}
	number, ok := buildingNumber(sc.Building)
	if !ok {
		return nil
	}
	to, err := tx.ClinicSubscribersIn(ctx, number)
	if err != nil {
		return err
	}
	text := patrolText(sc, number)
	for _, openid := range to {
		n := bot.Notice{
			Kind: kindPatrol, To: openid, About: openid, Text: text,
			Fields:   map[string]string{"title": fmt.Sprintf("%d号楼法律巡诊", number), "time": patrolWhen(sc), "place": sc.Location, "note": "回复 法律 预约"},
			Key:      fmt.Sprintf("%s:%d:%s", kindPatrol, sc.ID, openid),
			Replaces: fmt.Sprintf("%s:%d", kindPatrol, sc.ID),
		}
		if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
			return fmt.Errorf("queueing %s: %w", kindPatrol, err)
		}
	}
	return nil
}

// buildingNumber reads a schedule's building ("3", "3号楼", "3号楼东侧")
// as its number.
func buildingNumber(b string) (int, bool) {
	b = strings.TrimSpace(b)
	end := 0
	for end < len(b) && b[end] >= '0' && b[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(b[:end])
	return n, err == nil && n > 0
}

// patrolWhen is when a patrol schedule's sessions are: "12-05 周六
// 09:00-11:30" for one date, "每周二、周四 09:00-11:30" for weekdays.
func patrolWhen(sc cl.Schedule) string {
	hours := sc.Start + "-" + sc.End
	if sc.Date != "" {
		if d, err := time.ParseInLocation(cl.DateLayout, sc.Date, bot.Shanghai); err == nil {
			return dayLabel(d) + " " + hours
		}
		return sc.Date + " " + hours
	}
	return "每" + weekdaysLabel(sc.Weekdays) + " " + hours
}

// patrolText is the announcement.
func patrolText(sc cl.Schedule, number int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "法律诊所定期巡诊到 %d号楼：\n时间：%s", number, patrolWhen(sc))
	if sc.Date == "" && (sc.ValidFrom != "" || sc.ValidTo != "") {
		fmt.Fprintf(&sb, "（%s 至 %s）", orOpen(sc.ValidFrom, "即日"), orOpen(sc.ValidTo, "另行通知"))
	}
	if sc.Location != "" {
		sb.WriteString("\n地点：" + sc.Location)
	}
	if len(sc.Matters) > 0 {
		labels := make([]string, len(sc.Matters))
		for i, m := range sc.Matters {
			labels[i] = m.Label()
		}
		sb.WriteString("\n可办理：" + strings.Join(labels, "、"))
	}
	sb.WriteString("\n回复「法律」预约。")
	return sb.String()
}

func orOpen(s, open string) string {
	if s == "" {
		return open
	}
	return s
}

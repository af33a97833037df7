package clinic

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/storage"
)

// Admin methods, as handlers.ClinicAdmin lists them: what staff do
// through the admin API. Bad input is a *bot.UserError naming the field;
// unknown records are bot.ErrNotFound.

// Bounds of what staff type: what a push, a numbered list and the
// database carry.
const (
	maxName       = 50
	maxPhone      = 30
	maxLanguages  = 10
	maxLanguage   = 20
	maxLocation   = 200
	maxBuilding   = 50
	maxReason     = 200
	maxNote       = 500
	maxProviders  = 20
	maxSlotMinute = 480
	// maxSlotCapacity bounds the residents of one slot; a 集中义诊 session
	// is an activity, bounded as activities are.
	maxSlotCapacity = 100
)

// actorStaff is who the timeline says acted for a change through the
// admin API.
const actorStaff = "staff"

// Timeline actions of staff changes.
const (
	actionStatus    = "status"
	actionNote      = "note"
	actionSlotGone  = "slot_gone"
	actionScheduled = "scheduled"
)

// oneLine reports whether s is one line of at most n characters, free of
// control characters (a CR or a NUL would break a push or the database).
func oneLine(s string, n int) bool {
	return utf8.RuneCountInString(s) <= n && !strings.ContainsFunc(s, unicode.IsControl)
}

// noteText trims a note, makes CRLF and CR line breaks, and reports
// whether it is within maxNote and free of other control characters.
func noteText(s string) (string, bool) {
	s = strings.TrimSpace(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s))
	clean := !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' })
	return s, clean && utf8.RuneCountInString(s) <= maxNote
}

// checkNote trims *p (when set) in place and refuses a bad one.
func checkNote(p *string) error {
	if p == nil {
		return nil
	}
	n, ok := noteText(*p)
	if !ok {
		return bot.FieldError("note", fmt.Sprintf("备注最多 %d 字，不能含控制字符", maxNote))
	}
	*p = n
	return nil
}

// validPhone reports whether s looks like a phone number: digits with
// "-", "+", spaces or parentheses.
func validPhone(s string) bool {
	if s == "" || len(s) > maxPhone || strings.Trim(s, "0123456789-+ ()") != "" {
		return false
	}
	return strings.ContainsAny(s, "0123456789")
}

// parseDate reads a "YYYY-MM-DD" that is a real date.
func parseDate(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(cl.DateLayout, s, bot.Shanghai)
	return t, err == nil && t.Format(cl.DateLayout) == s
}

// parseClock reads "HH:MM" (24-hour) as minutes after midnight.
func parseClock(s string) (int, bool) {
	if len(s) != 5 {
		return 0, false
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// today is the date of now in Shanghai.
func (s *Service) today() string { return s.now().In(bot.Shanghai).Format(cl.DateLayout) }

// --- providers ---

// checkProvider trims p and refuses what it cannot be; its staff record
// must exist.
func checkProvider(ctx context.Context, q *storage.Tx, p *cl.Provider) error {
	p.Name, p.Phone = strings.TrimSpace(p.Name), strings.TrimSpace(p.Phone)
	switch {
	case p.Name == "":
		return bot.FieldError("name", "请填写姓名或名称")
	case !oneLine(p.Name, maxName):
		return bot.FieldError("name", fmt.Sprintf("姓名须为一行，最多 %d 字", maxName))
	case !p.Kind.Valid():
		return bot.FieldError("kind", "须为 judge, prosecutor, police, lawyer, justice_office, governance, mediator, minority_rep 之一")
	case !validPhone(p.Phone):
		return bot.FieldError("phone", fmt.Sprintf("请填写电话号码（数字，最多 %d 位）", maxPhone))
	case p.StaffID < 0:
		return bot.FieldError("staff_id", "须为工作人员编号")
	case len(p.Languages) > maxLanguages:
		return bot.FieldError("languages", fmt.Sprintf("最多 %d 种语言", maxLanguages))
	}
	langs := make([]string, 0, len(p.Languages))
	for _, l := range p.Languages {
		l = strings.TrimSpace(l)
		// Stored comma-separated: a comma would make two languages.
		if l == "" || !oneLine(l, maxLanguage) || strings.ContainsAny(l, ",，") || slices.Contains(langs, l) {
			return bot.FieldError("languages", fmt.Sprintf("每种语言须各不相同、为一行、最多 %d 字、不含逗号", maxLanguage))
		}
		langs = append(langs, l)
	}
	p.Languages = langs
	if p.StaffID != 0 {
		if _, err := q.Staff(ctx, p.StaffID); errors.Is(err, bot.ErrNotFound) {
			return bot.FieldError("staff_id", fmt.Sprintf("没有编号为 %d 的工作人员", p.StaffID))
		} else if err != nil {
			return err
		}
	}
	return nil
}

// CreateProvider adds a provider.
func (s *Service) CreateProvider(ctx context.Context, p cl.Provider) (cl.Provider, error) {
	now := s.now()
	p.ID, p.CreatedAt, p.UpdatedAt = 0, now, now
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		if err := checkProvider(ctx, tx, &p); err != nil {
			return err
		}
		return tx.InsertClinicProvider(ctx, &p)
	})
	if err != nil {
		return cl.Provider{}, err
	}
	return p, nil
}

// Providers lists every provider, active or not.
func (s *Service) Providers(ctx context.Context) ([]cl.Provider, error) {
	return s.store.ClinicProviders(ctx)
}

// Provider returns provider id.
func (s *Service) Provider(ctx context.Context, id int64) (cl.Provider, error) {
	return s.store.ClinicProvider(ctx, id)
}

// UpdateProvider changes a provider. A provider made inactive stays on
// the schedules naming them; new schedules and panels refuse them.
func (s *Service) UpdateProvider(ctx context.Context, id int64, p ProviderPatch) (cl.Provider, error) {
	var out cl.Provider
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		cur, err := tx.ClinicProvider(ctx, id)
		if err != nil {
			return err
		}
		if p.Name != nil {
			cur.Name = *p.Name
		}
		if p.Kind != nil {
			cur.Kind = *p.Kind
		}
		if p.Phone != nil {
			cur.Phone = *p.Phone
		}
		if p.StaffID != nil {
			cur.StaffID = *p.StaffID
		}
		if p.Languages != nil {
			cur.Languages = *p.Languages
		}
		if p.Active != nil {
			cur.Active = *p.Active
		}
		if err := checkProvider(ctx, tx, &cur); err != nil {
			return err
		}
		cur.UpdatedAt = s.now()
		if err := tx.UpdateClinicProvider(ctx, cur); err != nil {
			return err
		}
		out = cur
		return nil
	})
	return out, err
}

// --- schedules ---

// checkSchedule trims sc and refuses what it cannot be, reading the
// providers and the building in q. past allows a date before today (a
// schedule whose date did not change).
func (s *Service) checkSchedule(ctx context.Context, q *storage.Tx, sc *cl.Schedule, pastOK bool) error {
	sc.Location, sc.Building = strings.TrimSpace(sc.Location), strings.TrimSpace(sc.Building)
	sc.Date, sc.ValidFrom, sc.ValidTo = strings.TrimSpace(sc.Date), strings.TrimSpace(sc.ValidFrom), strings.TrimSpace(sc.ValidTo)
	if !sc.Mode.Valid() {
		return bot.FieldError("mode", "须为 daily, appointment, expert, patrol, free_clinic 之一")
	}
	// One date xor weekdays.
	switch {
	case sc.Date == "" && len(sc.Weekdays) == 0:
		return bot.FieldError("weekdays", "请填写每周几（1 = 周一 … 7 = 周日）或一个日期 date")
	case sc.Date != "" && len(sc.Weekdays) > 0:
		return bot.FieldError("date", "每周几 weekdays 和日期 date 只能填一个")
	case sc.Mode == cl.FreeClinic && sc.Date == "":
		return bot.FieldError("date", "集中义诊须填写日期")
	}
	if sc.Date != "" {
		if _, ok := parseDate(sc.Date); !ok {
			return bot.FieldError("date", "须为日期 YYYY-MM-DD")
		}
		if !pastOK && sc.Date < s.today() {
			return bot.FieldError("date", "不能早于今天")
		}
		if sc.ValidFrom != "" || sc.ValidTo != "" {
			return bot.FieldError("valid_from", "有效期只用于每周的排期；一天的排期请只填 date")
		}
	}
	days := make([]int, 0, len(sc.Weekdays))
	for _, d := range sc.Weekdays {
		if d < 1 || d > 7 || slices.Contains(days, d) {
			return bot.FieldError("weekdays", "须为 1（周一）到 7（周日）的不重复数字")
		}
		days = append(days, d)
	}
	slices.Sort(days)
	if len(days) > 0 {
		sc.Weekdays = days
	} else {
		sc.Weekdays = nil
	}
	for _, f := range []struct{ name, v string }{{"valid_from", sc.ValidFrom}, {"valid_to", sc.ValidTo}} {
		if f.v == "" {
			continue
		}
		if _, ok := parseDate(f.v); !ok {
			return bot.FieldError(f.name, "须为日期 YYYY-MM-DD")
		}
	}
	if sc.ValidFrom != "" && sc.ValidTo != "" && sc.ValidTo < sc.ValidFrom {
		return bot.FieldError("valid_to", "不能早于 valid_from")
	}
	start, ok := parseClock(sc.Start)
	if !ok {
		return bot.FieldError("start", "须为时间 HH:MM，如 09:00")
	}
	end, ok := parseClock(sc.End)
	if !ok {
		return bot.FieldError("end", "须为时间 HH:MM，如 11:30")
	}
	if end <= start {
		return bot.FieldError("end", "须晚于开始时间 start")
	}
	switch {
	case sc.SlotMinutes < 0 || sc.SlotMinutes > maxSlotMinute:
		return bot.FieldError("slot_minutes", fmt.Sprintf("须在 0 到 %d 之间", maxSlotMinute))
	case sc.SlotMinutes == 0 && (sc.Mode == cl.Appointment || sc.Mode == cl.Patrol):
		return bot.FieldError("slot_minutes", "预约问诊和定期巡诊须填写每个时段的分钟数")
	case sc.SlotMinutes > end-start:
		return bot.FieldError("slot_minutes", "不能长于开始到结束的时间")
	}
	maxCap := maxSlotCapacity
	if sc.Mode == cl.FreeClinic {
		maxCap = activities.MaxCapacity
	}
	switch {
	case sc.Capacity < 0 || sc.Capacity > maxCap:
		return bot.FieldError("capacity", fmt.Sprintf("须在 1 到 %d 之间", maxCap))
	case sc.Capacity == 0 && (sc.SlotMinutes > 0 || sc.Mode == cl.FreeClinic):
		return bot.FieldError("capacity", "可预约的时段须至少 1 个名额")
	}
	if !oneLine(sc.Location, maxLocation) {
		return bot.FieldError("location", fmt.Sprintf("地点须为一行，最多 %d 字", maxLocation))
	}
	if !oneLine(sc.Building, maxBuilding) {
		return bot.FieldError("building", fmt.Sprintf("楼栋须为一行，最多 %d 字", maxBuilding))
	}
	if sc.Mode == cl.Patrol {
		if err := checkBuilding(ctx, q, sc.Building); err != nil {
			return err
		}
		if sc.Location == "" {
			sc.Location = sc.Building
		}
	} else if sc.Building != "" {
		return bot.FieldError("building", "只有定期巡诊 patrol 在楼栋举行")
	}
	if sc.Location == "" {
		return bot.FieldError("location", "请填写地点")
	}
	if len(sc.Matters) == 0 && sc.Mode != cl.Expert {
		return bot.FieldError("matters", "请填写受理事项：consult, mediation, aid")
	}
	ms := make([]cl.Matter, 0, len(sc.Matters))
	for _, m := range sc.Matters {
		if !m.Valid() || slices.Contains(ms, m) {
			return bot.FieldError("matters", "须为 consult, mediation, aid 中不重复的几项")
		}
		ms = append(ms, m)
	}
	sc.Matters = ms
	return checkProviders(ctx, q, sc.ProviderIDs)
}

// checkProviders refuses an empty panel, or one naming a provider that
// does not exist or is inactive.
func checkProviders(ctx context.Context, q *storage.Tx, ids []int64) error {
	switch {
	case len(ids) == 0:
		return bot.FieldError("provider_ids", "请至少安排一位坐诊人员")
	case len(ids) > maxProviders:
		return bot.FieldError("provider_ids", fmt.Sprintf("最多 %d 位", maxProviders))
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			return bot.FieldError("provider_ids", fmt.Sprintf("%d 重复", id))
		}
		seen[id] = true
		p, err := q.ClinicProvider(ctx, id)
		if errors.Is(err, bot.ErrNotFound) {
			return bot.FieldError("provider_ids", fmt.Sprintf("没有编号为 %d 的坐诊人员", id))
		}
		if err != nil {
			return err
		}
		if !p.Active {
			return bot.FieldError("provider_ids", fmt.Sprintf("%s（%d）已停用", p.Name, id))
		}
	}
	return nil
}

// checkBuilding refuses a 巡诊 building that is not one of the
// community's: its number first ("3" or "3号楼").
func checkBuilding(ctx context.Context, q *storage.Tx, b string) error {
	end := 0
	for end < len(b) && b[end] >= '0' && b[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(b[:end])
	if b == "" || err != nil || n <= 0 {
		return bot.FieldError("building", "定期巡诊须填写楼栋号，如 3 或 3号楼")
	}
	if _, err := q.BuildingByNumber(ctx, n); errors.Is(err, bot.ErrNotFound) {
		return bot.FieldError("building", fmt.Sprintf("社区没有 %d 号楼", n))
	} else if err != nil {
		return err
	}
	return nil
}

// sessionTimes are a one-date schedule's start and end.
func sessionTimes(sc cl.Schedule) (time.Time, time.Time) {
	d, _ := parseDate(sc.Date)
	start, _ := parseClock(sc.Start)
	end, _ := parseClock(sc.End)
	return d.Add(time.Duration(start) * time.Minute), d.Add(time.Duration(end) * time.Minute)
}

// CreateSchedule adds a schedule. A 集中义诊 (free_clinic) one is planned
// first as an event sign-up with its capacity and waiting list; a 定期巡诊
// (patrol) one is announced to its building's subscribers.
func (s *Service) CreateSchedule(ctx context.Context, sc cl.Schedule) (Changed, error) {
	now := s.now()
	sc.ID, sc.ActivityID, sc.CreatedAt, sc.UpdatedAt = 0, 0, now, now
	if sc.Mode == cl.FreeClinic && s.cfg.Activities == nil {
		return Changed{}, bot.FieldError("mode", "集中义诊需要活动报名功能，本实例未开启")
	}
	// Checked before planning the activity, and again in the transaction.
	if err := s.store.Transact(ctx, func(tx *storage.Tx) error { return s.checkSchedule(ctx, tx, &sc, false) }); err != nil {
		return Changed{}, err
	}
	if sc.Mode == cl.FreeClinic {
		start, end := sessionTimes(sc)
		a, err := s.cfg.Activities.Plan(ctx, activity.Activity{
			Title: "集中义诊·" + sc.Location, Location: sc.Location, StartsAt: start.UTC(), EndsAt: end.UTC(),
			Capacity: sc.Capacity, MaxParty: 1, Description: freeClinicText(sc.Matters),
		})
		if err != nil {
			return Changed{}, fmt.Errorf("clinic: plan the free clinic: %w", err)
		}
		sc.ActivityID = a.ID
	}
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		if err := s.checkSchedule(ctx, tx, &sc, false); err != nil {
			return err
		}
		if err := tx.InsertClinicSchedule(ctx, &sc); err != nil {
			return err
		}
		if sc.Mode == cl.Patrol {
			return s.announcePatrol(ctx, tx, sc)
		}
		return nil
	})
	if err != nil {
		if sc.ActivityID != 0 {
			// The activity was planned for a schedule that is not: take it
			// back (nobody signed up yet).
			if _, cerr := s.cfg.Activities.CancelActivity(context.WithoutCancel(ctx), sc.ActivityID, "排期未保存"); cerr != nil {
				err = errors.Join(err, fmt.Errorf("clinic: cancel the free clinic's activity %d: %w", sc.ActivityID, cerr))
			}
		}
		return Changed{}, err
	}
	return Changed{Schedule: sc}, nil
}

// freeClinicText is the description of a 集中义诊's activity.
func freeClinicText(ms []cl.Matter) string {
	labels := make([]string, len(ms))
	for i, m := range ms {
		labels[i] = m.Label()
	}
	return "法律诊所集中义诊：" + strings.Join(labels, "、") + "，免费。公共法律服务热线 " + cl.Hotline + "。"
}

// Schedules lists every schedule, active or not.
func (s *Service) Schedules(ctx context.Context) ([]cl.Schedule, error) {
	return s.store.ClinicSchedules(ctx)
}

// Schedule returns schedule id.
func (s *Service) Schedule(ctx context.Context, id int64) (cl.Schedule, error) {
	return s.store.ClinicSchedule(ctx, id)
}

// UpdateSchedule changes a schedule. Existing bookings stand; the
// residents whose slot no longer exists are told, with the next free
// slots (Changed.Told); those whose slot stands but whose place changed
// are moved there and told. A 集中义诊's time, place and capacity are its
// activity's: they are changed there; ending the schedule cancels it.
func (s *Service) UpdateSchedule(ctx context.Context, id int64, p SchedulePatch) (Changed, error) {
	var out Changed
	cancelActivity := int64(0)
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		cur, err := tx.ClinicSchedule(ctx, id)
		if err != nil {
			return err
		}
		if cur.Mode == cl.FreeClinic {
			for _, f := range []struct {
				name string
				set  bool
			}{{"date", p.Date != nil}, {"weekdays", p.Weekdays != nil}, {"start", p.Start != nil}, {"end", p.End != nil},
				{"capacity", p.Capacity != nil}, {"location", p.Location != nil}, {"slot_minutes", p.SlotMinutes != nil}} {
				if f.set {
					return bot.FieldError(f.name, fmt.Sprintf("集中义诊的时间、地点和名额在活动报名中修改（活动 %d）", cur.ActivityID))
				}
			}
		}
		next, pastOK := cur, true
		if p.ProviderIDs != nil {
			next.ProviderIDs = *p.ProviderIDs
		}
		if p.Weekdays != nil {
			next.Weekdays = *p.Weekdays
		}
		if p.Date != nil {
			next.Date, pastOK = *p.Date, strings.TrimSpace(*p.Date) == cur.Date
		}
		if p.Start != nil {
			next.Start = *p.Start
		}
		if p.End != nil {
			next.End = *p.End
		}
		if p.SlotMinutes != nil {
			next.SlotMinutes = *p.SlotMinutes
		}
		if p.Capacity != nil {
			next.Capacity = *p.Capacity
		}
		if p.Location != nil {
			next.Location = *p.Location
		}
		if p.Building != nil {
			next.Building = *p.Building
		}
		if p.Matters != nil {
			next.Matters = *p.Matters
		}
		if p.ValidFrom != nil {
			next.ValidFrom = *p.ValidFrom
		}
		if p.ValidTo != nil {
			next.ValidTo = *p.ValidTo
		}
		if p.Active != nil {
			next.Active = *p.Active
		}
		if err := s.checkSchedule(ctx, tx, &next, pastOK); err != nil {
			return err
		}
		next.UpdatedAt = s.now()
		if err := tx.UpdateClinicSchedule(ctx, next); err != nil {
			return err
		}
		if cur.Mode == cl.FreeClinic && cur.Active && !next.Active && cur.ActivityID != 0 {
			cancelActivity = cur.ActivityID
		}
		why := "法律诊所排期有调整"
		if !next.Active {
			why = "该排期已停止"
		}
		told, err := s.tellOrphaned(ctx, tx, id, "", why)
		if err != nil {
			return err
		}
		out = Changed{Schedule: next, Told: told}
		if next.Location != cur.Location && next.Active {
			return s.moveBookings(ctx, tx, next)
		}
		return nil
	})
	if err != nil {
		return Changed{}, err
	}
	if cancelActivity != 0 {
		// The activity tells its own sign-ups.
		if _, err := s.cfg.Activities.CancelActivity(ctx, cancelActivity, "法律诊所集中义诊取消"); err != nil {
			return out, fmt.Errorf("clinic: schedule %d ended, but its activity %d was not cancelled: %w", id, cancelActivity, err)
		}
	}
	return out, nil
}

// actionMoved is the timeline action of a booking whose schedule moved
// to another place; kindMoved the notice telling its resident.
const (
	actionMoved = "location"
	kindMoved   = "clinic_moved"
)

// moveBookings moves, in tx, the coming bookings of sc whose slot still
// exists to sc's new location, and tells their residents: the place is
// what 我的预约, the reminders and the provider read from the booking.
func (s *Service) moveBookings(ctx context.Context, tx *storage.Tx, sc cl.Schedule) error {
	now := s.now()
	booked, err := tx.BookedClinicBookings(ctx, sc.ID, now)
	if err != nil {
		return err
	}
	gone, err := s.orphaned(ctx, tx, sc.ID)
	if err != nil {
		return err
	}
	for _, b := range booked {
		if b.Location == sc.Location || slices.ContainsFunc(gone, func(g cl.Booking) bool { return g.ID == b.ID }) {
			continue
		}
		if err := tx.SetClinicBookingLocation(ctx, b.ID, sc.Location, now); err != nil {
			return err
		}
		if _, err := tx.AddClinicEvent(ctx, b.ID, 0, 0, now, actorStaff, actionMoved, sc.Location); err != nil {
			return err
		}
		if s.outbox == nil || b.OpenID == "" {
			continue
		}
		text := fmt.Sprintf("您预约的%s（%s）改在：%s。\n时间不变，请按新地点前往。", b.Matter.Label(), when(b.Start), sc.Location)
		if s.cfg.Phone != "" {
			text += "\n咨询电话：" + s.cfg.Phone
		}
		n := bot.Notice{
			Kind: kindMoved, To: b.OpenID, About: b.OpenID, Text: text, URL: bookingsPage,
			Fields: map[string]string{"title": "预约地点变更", "time": fieldTime(b.Start),
				"status": cl.Booked.Label(), "note": sc.Location},
			Key:      fmt.Sprintf("%s:%d:%d", kindMoved, b.ID, now.UnixMicro()),
			Replaces: fmt.Sprintf("%s:%d", kindMoved, b.ID),
			Urgent:   !s.cfg.Quiet.Release(now).Before(b.Start.Add(-time.Hour)),
		}
		if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
			return fmt.Errorf("queueing %s: %w", kindMoved, err)
		}
	}
	return nil
}

// tellOrphaned tells, in tx, the residents whose booked slot (of
// schedule scheduleID, or any when 0; on day when not "") no longer
// exists why, with the next free slots for their matter, and notes it
// on each booking's timeline; a booking told before is not told again.
// It returns how many were told.
func (s *Service) tellOrphaned(ctx context.Context, tx *storage.Tx, scheduleID int64, day, why string) (int, error) {
	gone, err := s.orphaned(ctx, tx, scheduleID)
	if err != nil {
		return 0, err
	}
	told := 0
	for _, b := range gone {
		if day != "" && b.Day() != day {
			continue
		}
		tl, err := tx.ClinicEvents(ctx, b.ID, 0, 0)
		if err != nil {
			return told, err
		}
		if slices.ContainsFunc(tl, func(e storage.ClinicEvent) bool { return e.Action == actionSlotGone }) {
			continue
		}
		next, err := s.nextFree(ctx, tx, b.Matter, 3)
		if err != nil {
			return told, err
		}
		if err := s.tellGone(ctx, tx, b, why, next); err != nil {
			return told, err
		}
		if _, err := tx.AddClinicEvent(ctx, b.ID, 0, 0, s.now(), actorStaff, actionSlotGone, why); err != nil {
			return told, err
		}
		told++
	}
	return told, nil
}

// --- closures ---

// CreateClosure closes the clinic (停诊) on a date, or one provider's
// sessions, and tells at once every resident whose booking it closed,
// with the next free slots (Closed.Told); their bookings stand until they
// choose.
func (s *Service) CreateClosure(ctx context.Context, c cl.Closure) (Closed, error) {
	c.ID, c.CreatedAt = 0, s.now()
	c.Date, c.Reason = strings.TrimSpace(c.Date), strings.TrimSpace(c.Reason)
	if _, ok := parseDate(c.Date); !ok {
		return Closed{}, bot.FieldError("date", "须为日期 YYYY-MM-DD")
	}
	if c.Date < s.today() {
		return Closed{}, bot.FieldError("date", "不能早于今天")
	}
	if err := checkReason(c.Reason); err != nil {
		return Closed{}, err
	}
	if c.ProviderID < 0 {
		return Closed{}, bot.FieldError("provider_id", "须为坐诊人员编号")
	}
	var out Closed
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		if c.ProviderID != 0 {
			if _, err := tx.ClinicProvider(ctx, c.ProviderID); errors.Is(err, bot.ErrNotFound) {
				return bot.FieldError("provider_id", fmt.Sprintf("没有编号为 %d 的坐诊人员", c.ProviderID))
			} else if err != nil {
				return err
			}
		}
		if err := tx.InsertClinicClosure(ctx, &c); err != nil {
			return err
		}
		told, err := s.tellOrphaned(ctx, tx, 0, c.Date, "停诊："+c.Reason)
		out = Closed{Closure: c, Told: told}
		return err
	})
	if err != nil {
		return Closed{}, err
	}
	return out, nil
}

func checkReason(r string) error {
	switch {
	case r == "":
		return bot.FieldError("reason", "请填写停诊原因（会告知预约的居民）")
	case !oneLine(r, maxReason):
		return bot.FieldError("reason", fmt.Sprintf("原因须为一行，最多 %d 字", maxReason))
	}
	return nil
}

// Closures lists the closures dated from..to ("YYYY-MM-DD", "" open).
func (s *Service) Closures(ctx context.Context, from, to string) ([]cl.Closure, error) {
	for _, f := range []struct{ name, v string }{{"from", from}, {"to", to}} {
		if _, ok := parseDate(f.v); f.v != "" && !ok {
			return nil, bot.FieldError(f.name, "须为日期 YYYY-MM-DD")
		}
	}
	return s.store.ClinicClosures(ctx, from, to)
}

// UpdateClosure changes a closure's reason; its date and provider stay
// (the residents it told were told of those).
func (s *Service) UpdateClosure(ctx context.Context, id int64, p ClosurePatch) (cl.Closure, error) {
	if p.Reason == nil {
		return s.store.ClinicClosure(ctx, id)
	}
	reason := strings.TrimSpace(*p.Reason)
	if err := checkReason(reason); err != nil {
		return cl.Closure{}, err
	}
	var out cl.Closure
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		if err := tx.SetClinicClosureReason(ctx, id, reason); err != nil {
			return err
		}
		c, err := tx.ClinicClosure(ctx, id)
		out = c
		return err
	})
	return out, err
}

// --- bookings ---

// Bookings lists bookings on q.Day in q.Status, without descriptions.
func (s *Service) Bookings(ctx context.Context, q BookingQuery) ([]cl.Booking, error) {
	if _, ok := parseDate(q.Day); q.Day != "" && !ok {
		return nil, bot.FieldError("date", "须为日期 YYYY-MM-DD")
	}
	if q.Status != "" && !q.Status.Valid() {
		return nil, bot.FieldError("status", "须为 booked, cancelled, attended, no_show 之一")
	}
	list, err := s.store.ClinicBookingsOn(ctx, q.Day, q.Status)
	for i := range list {
		list[i] = RedactBooking(list[i]) // the list's query leaves it out; never let it through
	}
	return list, err
}

// entries are a timeline as the admin API shows it.
func entries(es []storage.ClinicEvent) []Entry {
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = Entry{At: e.At, Actor: e.Actor, Action: e.Action, Note: e.Note}
	}
	return out
}

// Booking returns one booking with its description and timeline; the
// admin API shows the description to clinic staff only.
func (s *Service) Booking(ctx context.Context, id int64) (cl.Booking, []Entry, error) {
	b, err := s.store.ClinicBooking(ctx, id)
	if err != nil {
		return cl.Booking{}, nil, err
	}
	tl, err := s.store.ClinicEvents(ctx, id, 0, 0)
	if err != nil {
		return cl.Booking{}, nil, err
	}
	return b, entries(tl), nil
}

// bookingMoves are the status changes staff may make: a booked one is
// cancelled (its seat freed), attended or a no-show; attended and no-show
// may be corrected into each other. A cancelled booking stays cancelled
// (its seat may be someone else's).
var bookingMoves = map[cl.Status][]cl.Status{
	cl.Booked:   {cl.Cancelled, cl.Attended, cl.NoShow},
	cl.Attended: {cl.NoShow},
	cl.NoShow:   {cl.Attended},
}

// UpdateBooking changes a booking's status or note. Cancelling frees its
// seat and drops its reminders.
func (s *Service) UpdateBooking(ctx context.Context, id int64, p BookingPatch) (cl.Booking, error) {
	if err := checkNote(p.Note); err != nil {
		return cl.Booking{}, err
	}
	if p.Status != nil && !p.Status.Valid() {
		return cl.Booking{}, bot.FieldError("status", "须为 booked, cancelled, attended, no_show 之一")
	}
	var out cl.Booking
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		b, err := tx.ClinicBooking(ctx, id)
		if err != nil {
			return err
		}
		now := s.now()
		if p.Status != nil && *p.Status != b.Status {
			to := *p.Status
			if !slices.Contains(bookingMoves[b.Status], to) {
				return &bot.UserError{Code: bot.CodeConflict, Field: "status",
					Message: fmt.Sprintf("%s的预约不能改为%s", b.Status.Label(), to.Label())}
			}
			if to == cl.Cancelled {
				// The resident's cancel path, then the resident is told.
				if err := s.cancelIn(ctx, tx, b, now, actorStaff, actionStatus, string(to)); err != nil {
					return err
				}
				why := ""
				if p.Note != nil {
					why = *p.Note
				}
				if err := s.tellCancelled(ctx, tx, b, why); err != nil {
					return err
				}
			} else {
				ok, err := tx.SetClinicBookingStatus(ctx, id, b.Status, to, now)
				if err != nil {
					return err
				}
				if !ok {
					return &bot.UserError{Code: bot.CodeConflict, Field: "status", Message: "预约刚被改动，请刷新后再试"}
				}
				if _, err := tx.AddClinicEvent(ctx, id, 0, 0, now, actorStaff, actionStatus, string(to)); err != nil {
					return err
				}
			}
		}
		if p.Note != nil && *p.Note != b.Note {
			if err := tx.SetClinicBookingNote(ctx, id, *p.Note, now); err != nil {
				return err
			}
			if _, err := tx.AddClinicEvent(ctx, id, 0, 0, now, actorStaff, actionNote, *p.Note); err != nil {
				return err
			}
		}
		out, err = tx.ClinicBooking(ctx, id)
		return err
	})
	return out, err
}

// --- 法律援助 ---

// AidApplications lists applications in status ("" any), without
// answers or descriptions.
func (s *Service) AidApplications(ctx context.Context, status cl.AidStatus) ([]cl.AidApplication, error) {
	if status != "" && status.Label() == string(status) {
		return nil, bot.FieldError("status", "须为 received, reviewing, approved, declined 之一")
	}
	list, err := s.store.ClinicAidByStatus(ctx, status)
	for i := range list {
		list[i] = RedactAid(list[i])
	}
	return list, err
}

// AidApplication returns one application with its answers and timeline;
// the admin API shows the answers to clinic staff only.
func (s *Service) AidApplication(ctx context.Context, id int64) (cl.AidApplication, []Entry, error) {
	a, err := s.store.ClinicAid(ctx, id)
	if err != nil {
		return cl.AidApplication{}, nil, err
	}
	tl, err := s.store.ClinicEvents(ctx, 0, id, 0)
	if err != nil {
		return cl.AidApplication{}, nil, err
	}
	return a, entries(tl), nil
}

// aidMoves are the steps of an application: received → reviewing →
// approved | declined. A decision is final.
var aidMoves = map[cl.AidStatus][]cl.AidStatus{
	cl.AidReceived:  {cl.AidReviewing},
	cl.AidReviewing: {cl.AidApproved, cl.AidDeclined},
}

// UpdateAid moves an application a step on (with a note; a decline needs
// one, the resident reads it) or changes its note, and tells the resident
// of each step.
func (s *Service) UpdateAid(ctx context.Context, id int64, p AidPatch) (cl.AidApplication, error) {
	if err := checkNote(p.Note); err != nil {
		return cl.AidApplication{}, err
	}
	var out cl.AidApplication
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		a, err := tx.ClinicAid(ctx, id)
		if err != nil {
			return err
		}
		to, note := a.Status, a.Note
		if p.Note != nil {
			note = *p.Note
		}
		if p.Status != nil {
			to = *p.Status
		}
		moved := to != a.Status
		if moved && !slices.Contains(aidMoves[a.Status], to) {
			return &bot.UserError{Code: bot.CodeConflict, Field: "status",
				Message: fmt.Sprintf("%s的申请不能改为%s（受理 → 审查 → 批准或不予援助）", a.Status.Label(), to.Label())}
		}
		if moved && to == cl.AidDeclined && note == "" {
			return bot.FieldError("note", "不予援助请填写原因（会告知申请人）")
		}
		if !moved && note == a.Note {
			out = a
			return nil
		}
		now := s.now()
		ok, err := tx.SetClinicAidStatus(ctx, id, a.Status, to, note, now)
		if err != nil {
			return err
		}
		if !ok {
			return &bot.UserError{Code: bot.CodeConflict, Field: "status", Message: "申请刚被改动，请刷新后再试"}
		}
		if moved {
			_, err = tx.AddClinicEvent(ctx, 0, id, 0, now, actorStaff, actionStatus, string(to))
		} else {
			_, err = tx.AddClinicEvent(ctx, 0, id, 0, now, actorStaff, actionNote, note)
		}
		if err != nil {
			return err
		}
		if out, err = tx.ClinicAid(ctx, id); err != nil {
			return err
		}
		if moved {
			return s.tellAid(ctx, tx, out)
		}
		return nil
	})
	return out, err
}

// --- 专家会诊 ---

// ExpertRequests lists requests in status ("" any), without
// descriptions.
func (s *Service) ExpertRequests(ctx context.Context, status cl.ExpertStatus) ([]cl.ExpertRequest, error) {
	if status != "" && status.Label() == string(status) {
		return nil, bot.FieldError("status", "须为 requested, scheduled, declined 之一")
	}
	list, err := s.store.ClinicExpertByStatus(ctx, status)
	for i := range list {
		list[i] = RedactExpert(list[i])
	}
	return list, err
}

// ExpertRequest returns one request with its description; the admin API
// shows it to clinic staff only.
func (s *Service) ExpertRequest(ctx context.Context, id int64) (cl.ExpertRequest, error) {
	return s.store.ClinicExpert(ctx, id)
}

// UpdateExpert schedules a request (at, in the future; location; a panel
// of active providers), moves a scheduled one, declines one with a note,
// or changes its note; the resident (and the panel) are told of a
// schedule or a decline.
func (s *Service) UpdateExpert(ctx context.Context, id int64, p ExpertPatch) (cl.ExpertRequest, error) {
	if err := checkNote(p.Note); err != nil {
		return cl.ExpertRequest{}, err
	}
	var out cl.ExpertRequest
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		r, err := tx.ClinicExpert(ctx, id)
		if err != nil {
			return err
		}
		from := r.Status
		next := r
		if p.Status != nil {
			next.Status = *p.Status
		}
		if p.At != nil {
			at := p.At.UTC().Truncate(time.Microsecond)
			next.At = &at
		}
		if p.Location != nil {
			next.Location = strings.TrimSpace(*p.Location)
		}
		if p.ProviderIDs != nil {
			next.ProviderIDs = *p.ProviderIDs
		}
		if p.Note != nil {
			next.Note = *p.Note
		}
		arranging := p.At != nil || p.Location != nil || p.ProviderIDs != nil
		switch {
		case next.Status == cl.ExpertRequested && from != cl.ExpertRequested:
			return &bot.UserError{Code: bot.CodeConflict, Field: "status", Message: "已处理的申请不能退回待安排"}
		case from == cl.ExpertDeclined && (next.Status != cl.ExpertDeclined || arranging):
			return &bot.UserError{Code: bot.CodeConflict, Field: "status", Message: "未安排的申请已结束，请居民重新申请"}
		case arranging && next.Status != cl.ExpertScheduled:
			return bot.FieldError("status", "安排时间、地点和专家时请把 status 设为 scheduled")
		case next.Status == cl.ExpertDeclined && next.Note == "":
			return bot.FieldError("note", "不予安排请填写原因（会告知居民）")
		}
		if next.Status == cl.ExpertScheduled {
			switch {
			case next.At == nil:
				return bot.FieldError("at", "请填写会诊时间")
			case p.At != nil && !next.At.After(s.now()):
				return bot.FieldError("at", "会诊时间须在将来")
			case next.Location == "":
				return bot.FieldError("location", "请填写会诊地点")
			case !oneLine(next.Location, maxLocation):
				return bot.FieldError("location", fmt.Sprintf("地点须为一行，最多 %d 字", maxLocation))
			}
			if p.ProviderIDs != nil || from != cl.ExpertScheduled {
				if err := checkProviders(ctx, tx, next.ProviderIDs); err != nil {
					return err
				}
			}
		} else {
			next.At, next.Location, next.ProviderIDs = nil, "", nil
		}
		changed := next.Status != from || arranging
		if !changed && next.Note == r.Note {
			out = r
			return nil
		}
		now := s.now()
		next.UpdatedAt = now
		ok, err := tx.UpdateClinicExpert(ctx, next, from)
		if err != nil {
			return err
		}
		if !ok {
			return &bot.UserError{Code: bot.CodeConflict, Field: "status", Message: "申请刚被改动，请刷新后再试"}
		}
		action, note := actionNote, next.Note
		switch {
		case next.Status == cl.ExpertScheduled && changed:
			action, note = actionScheduled, next.At.In(bot.Shanghai).Format("2006-01-02 15:04")+" "+next.Location
		case changed:
			action, note = actionStatus, string(next.Status)
		}
		if _, err := tx.AddClinicEvent(ctx, 0, 0, id, now, actorStaff, action, note); err != nil {
			return err
		}
		if out, err = tx.ClinicExpert(ctx, id); err != nil {
			return err
		}
		if changed {
			return s.tellExpert(ctx, tx, out)
		}
		return nil
	})
	return out, err
}

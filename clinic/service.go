package clinic

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/input"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
)

// Resident methods (clinic.Service) and the slot queries.
//
// A booking is one transaction: the slot is generated again for its day
// from the schedules and closures as they are in the transaction, the
// seat is taken by one conditional upsert of clinic_slots (never above
// the capacity, on either engine), and only then is the booking written.
// When the seat is gone the transaction rolls back: nothing is recorded
// and the resident is offered the next free slots.

// Timeline of a booking, an aid application or an expert request
// (clinic_events): who and what, as staff read it.
const (
	timelineResident = "居民"
	timelineBooked   = "预约"
	timelineCancel   = "取消"
	timelineMoved    = "改约"
	timelineAidFiled = "申请法律援助"
	timelineExpert   = "申请专家会诊"
	// timelineTicket is the line a mediation booking adds to its ticket.
	timelineTicket       = "预约调解"
	timelineTicketCancel = "取消调解预约"
)

// errFull is a slot full or gone at confirm (rolls the booking back).
var errFull = errors.New("clinic: slot full or gone")

var errNoBooking = &bot.UserError{Code: bot.CodeNotFound, Message: "没有找到这个预约。", Err: bot.ErrNotFound}

var errNoOld = &bot.UserError{Code: bot.CodeNotFound, Message: "原来的预约已不存在。", Err: bot.ErrNotFound}

// reader is what slot generation reads: the Store or a Tx.
type reader interface {
	ActiveClinicSchedules(ctx context.Context) ([]cl.Schedule, error)
	ClinicClosures(ctx context.Context, from, to string) ([]cl.Closure, error)
	ClinicSeats(ctx context.Context, from, to time.Time) (map[cl.SlotRef]int, error)
}

// slots generates the slots starting in [from, to) with the seats taken
// counted (Left), of every matter ("") or those taking matter.
func (s *Service) slots(ctx context.Context, r reader, from, to time.Time, matter cl.Matter) ([]cl.Slot, error) {
	schedules, err := r.ActiveClinicSchedules(ctx)
	if err != nil {
		return nil, err
	}
	closures, err := r.ClinicClosures(ctx, dayStart(from).Format(cl.DateLayout), to.In(bot.Shanghai).Format(cl.DateLayout))
	if err != nil {
		return nil, err
	}
	seats, err := r.ClinicSeats(ctx, from, to)
	if err != nil {
		return nil, err
	}
	taken := make(map[string]int, len(seats))
	for ref, n := range seats {
		taken[ref.String()] = n
	}
	var out []cl.Slot
	for _, sl := range generate(schedules, closures, s.cfg.Calendar, from, to) {
		if matter != "" && !takes(sl.Matters, matter) {
			continue
		}
		if !sl.WalkIn && sl.ActivityID == 0 {
			sl.Left = max(sl.Capacity-taken[sl.Ref().String()], 0)
		}
		out = append(out, sl)
	}
	return out, nil
}

// bookable reports whether a resident may book sl at now.
func (s *Service) bookable(sl cl.Slot, now time.Time) bool {
	return !sl.WalkIn && sl.ActivityID == 0 && sl.Mode != cl.Expert && sl.Left > 0 &&
		!sl.Start.Before(now.Add(s.cfg.MinNotice))
}

// Slots lists the slots for matter from now to the horizon (see the port).
func (s *Service) Slots(ctx context.Context, m cl.Matter) ([]cl.Slot, error) {
	now := s.now()
	// From the day's start: walk-in hours under way are still worth going to.
	all, err := s.slots(ctx, s.store, dayStart(now), now.Add(s.cfg.Horizon), m)
	if err != nil {
		return nil, fmt.Errorf("clinic.Slots: %w", err)
	}
	out := []cl.Slot{}
	for _, sl := range all {
		switch {
		case sl.WalkIn:
			if sl.End.After(now) {
				out = append(out, sl)
			}
		case sl.ActivityID != 0:
			if sl.Start.After(now) {
				out = append(out, sl)
			}
		case s.bookable(sl, now):
			out = append(out, sl)
		}
	}
	return out, nil
}

// SlotsBetween lists the slots starting in [from, to) with their seats
// left, of every matter ("") or those taking matter, whatever the notice.
func (s *Service) SlotsBetween(ctx context.Context, from, to time.Time, matter cl.Matter) ([]cl.Slot, error) {
	out, err := s.slots(ctx, s.store, from.UTC(), to.UTC(), matter)
	if err != nil {
		return nil, fmt.Errorf("clinic.SlotsBetween: %w", err)
	}
	if out == nil {
		out = []cl.Slot{}
	}
	return out, nil
}

// Sessions lists the sessions starting in [from, to) with the names of
// their providers, for the public calendar.
func (s *Service) Sessions(ctx context.Context, from, to time.Time) ([]Session, error) {
	schedules, err := s.store.ActiveClinicSchedules(ctx)
	if err != nil {
		return nil, fmt.Errorf("clinic.Sessions: %w", err)
	}
	closures, err := s.store.ClinicClosures(ctx, dayStart(from).Format(cl.DateLayout), to.In(bot.Shanghai).Format(cl.DateLayout))
	if err != nil {
		return nil, fmt.Errorf("clinic.Sessions: %w", err)
	}
	providers, err := s.store.ClinicProviders(ctx)
	if err != nil {
		return nil, fmt.Errorf("clinic.Sessions: %w", err)
	}
	names := map[int64]string{}
	for _, p := range providers {
		names[p.ID] = p.Name
	}
	out := []Session{}
	for _, st := range sittings(schedules, closures, s.cfg.Calendar, from, to) {
		ses := Session{ScheduleID: st.Schedule.ID, Mode: st.Schedule.Mode, Start: st.Start, End: st.End,
			Location: st.Schedule.Location, Providers: []string{}}
		for _, id := range st.Schedule.ProviderIDs {
			if n, ok := names[id]; ok {
				ses.Providers = append(ses.Providers, n)
			}
		}
		out = append(out, ses)
	}
	return out, nil
}

// nextFree lists, in tx, up to n free bookable slots for matter from now,
// soonest first (what a resident whose slot went is offered).
func (s *Service) nextFree(ctx context.Context, tx *storage.Tx, matter cl.Matter, n int) ([]cl.Slot, error) {
	now := s.now()
	all, err := s.slots(ctx, tx, now, now.Add(s.cfg.Horizon), matter)
	if err != nil {
		return nil, err
	}
	out := []cl.Slot{}
	for _, sl := range all {
		if len(out) == n {
			break
		}
		if s.bookable(sl, now) {
			out = append(out, sl)
		}
	}
	return out, nil
}

// orphaned lists, in tx, the booked (status booked, not yet started)
// bookings whose slot no longer exists in the schedules and closures as
// they are now in tx: after a schedule edit (scheduleID) or a closure
// (scheduleID 0: every schedule). Admin changes call it and then tellGone.
func (s *Service) orphaned(ctx context.Context, tx *storage.Tx, scheduleID int64) ([]cl.Booking, error) {
	now := s.now()
	booked, err := tx.BookedClinicBookings(ctx, scheduleID, now)
	if err != nil {
		return nil, err
	}
	if len(booked) == 0 {
		return []cl.Booking{}, nil
	}
	from, to := booked[0].Start, booked[0].Start
	for _, b := range booked {
		from, to = minTime(from, b.Start), maxTime(to, b.Start)
	}
	schedules, err := tx.ActiveClinicSchedules(ctx)
	if err != nil {
		return nil, err
	}
	closures, err := tx.ClinicClosures(ctx, dayStart(from).Format(cl.DateLayout), to.In(bot.Shanghai).Format(cl.DateLayout))
	if err != nil {
		return nil, err
	}
	exists := map[string]bool{}
	for _, sl := range generate(schedules, closures, s.cfg.Calendar, dayStart(from), to.Add(time.Minute)) {
		if !sl.WalkIn && sl.ActivityID == 0 {
			exists[sl.Ref().String()] = true
		}
	}
	out := []cl.Booking{}
	for _, b := range booked {
		if !exists[cl.SlotRef{ScheduleID: b.ScheduleID, Start: b.Start}.String()] {
			out = append(out, b)
		}
	}
	return out, nil
}

// findSlot generates, in tx, the slot ref names, with its schedule; ok is
// false when the slot does not exist (now).
func (s *Service) findSlot(ctx context.Context, tx *storage.Tx, ref cl.SlotRef) (cl.Slot, cl.Schedule, bool, error) {
	from := dayStart(ref.Start)
	slots, err := s.slots(ctx, tx, from, from.AddDate(0, 0, 1), "")
	if err != nil {
		return cl.Slot{}, cl.Schedule{}, false, err
	}
	for _, sl := range slots {
		if sl.ScheduleID == ref.ScheduleID && sl.Start.Equal(ref.Start) {
			sc, err := tx.ClinicSchedule(ctx, sl.ScheduleID)
			if err != nil {
				return cl.Slot{}, cl.Schedule{}, false, err
			}
			return sl, sc, true, nil
		}
	}
	return cl.Slot{}, cl.Schedule{}, false, nil
}

// Book books d in one transaction (see the port and Receipt).
func (s *Service) Book(ctx context.Context, d cl.Draft) (cl.Receipt, error) {
	if !d.Matter.Valid() {
		return cl.Receipt{}, &bot.UserError{Field: "matter", Message: "请选择要咨询的事项。"}
	}
	if d.OpenID == "" {
		return cl.Receipt{}, fmt.Errorf("clinic.Book: no resident")
	}
	if err := checkPerson(d.Name, d.Phone, d.Description); err != nil {
		return cl.Receipt{}, err
	}
	if d.Key != "" {
		if rec, ok, err := s.repeat(ctx, d.Key); err != nil || ok {
			return rec, err
		}
	}
	now := s.now()
	var rec cl.Receipt
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		rec = cl.Receipt{}
		var movedAid int64 // the application of the booking 改约 replaces
		slot, sc, ok, err := s.findSlot(ctx, tx, d.Slot)
		if err != nil {
			return err
		}
		if !ok {
			return errFull
		}
		if slot.WalkIn || slot.ActivityID != 0 || sc.Mode == cl.Expert {
			return &bot.UserError{Field: "slot", Message: "这个时段不用预约，请直接前往。"}
		}
		if !takes(sc.Matters, d.Matter) {
			return &bot.UserError{Code: bot.CodeConflict, Field: "matter", Message: fmt.Sprintf("这个时段不办理%s，请另选时段。", d.Matter.Label())}
		}
		if slot.Start.Before(now.Add(s.cfg.MinNotice)) {
			return &bot.UserError{Code: bot.CodeConflict, Field: "slot",
				Message: fmt.Sprintf("需提前 %s预约，请另选时段。", span(s.cfg.MinNotice))}
		}
		if d.Replaces != 0 {
			old, err := s.own(ctx, tx, d.OpenID, d.Replaces)
			if errors.Is(err, bot.ErrNotFound) || (err == nil && old.Status != cl.Booked) {
				return errNoOld
			}
			if err != nil {
				return err
			}
			if err := s.changeableIn(ctx, tx, old, now); err != nil {
				return err
			}
			if err := s.cancelIn(ctx, tx, old, now, timelineResident, timelineMoved, ""); err != nil {
				return err
			}
			movedAid = old.AidID
		}
		day := slot.Start.In(bot.Shanghai).Format(cl.DateLayout)
		if other, err := tx.ActiveClinicBookingOn(ctx, d.OpenID, day); err == nil {
			return oneADay(other)
		} else if !errors.Is(err, bot.ErrNotFound) {
			return err
		}
		if d.Matter == cl.Mediation && d.TicketID != 0 {
			t, err := tx.TicketByID(ctx, d.TicketID)
			if errors.Is(err, bot.ErrNotFound) || (err == nil && t.OpenID != d.OpenID) {
				return &bot.UserError{Code: bot.CodeNotFound, Field: "ticket_id", Message: "没有找到您的这件诉求。", Err: bot.ErrNotFound}
			}
			if err != nil {
				return err
			}
		}
		took, err := tx.TakeClinicSeat(ctx, sc.ID, slot.Start, sc.Capacity)
		if err != nil {
			return err
		}
		if !took {
			return errFull
		}
		code, err := newCode(ctx, tx)
		if err != nil {
			return err
		}
		b := cl.Booking{
			Code: code, ScheduleID: sc.ID, Start: slot.Start, End: slot.End, Mode: sc.Mode, Location: sc.Location,
			Matter: d.Matter, OpenID: d.OpenID, Name: d.Name, Phone: d.Phone, Description: d.Description,
			Language: d.Language, NeedRep: d.NeedRep, TicketID: d.TicketID, Status: cl.Booked,
			CreatedAt: now, UpdatedAt: now,
		}
		if d.Matter != cl.Mediation {
			b.TicketID = 0
		}
		if err := tx.InsertClinicBooking(ctx, &b, d.Key); err != nil {
			return err
		}
		note := ""
		if d.Replaces != 0 {
			note = fmt.Sprintf("改自预约 #%d", d.Replaces)
		}
		if _, err := tx.AddClinicEvent(ctx, b.ID, 0, 0, now, timelineResident, timelineBooked, note); err != nil {
			return err
		}
		if d.Matter == cl.Aid && d.Aid != nil {
			a := cl.AidApplication{OpenID: d.OpenID, Name: d.Name, Phone: d.Phone, Answers: d.Aid,
				Description: d.Description, BookingID: b.ID, Status: cl.AidReceived, CreatedAt: now, UpdatedAt: now}
			if err := s.fileAid(ctx, tx, &a, ""); err != nil {
				return err
			}
			if err := tx.SetClinicBookingAid(ctx, b.ID, a.ID); err != nil {
				return err
			}
			b.AidID = a.ID
			rec.Aid = &a
		}
		if movedAid != 0 && b.AidID == 0 {
			// 改约: the application follows its booking.
			if err := tx.SetClinicBookingAid(ctx, b.ID, movedAid); err != nil {
				return err
			}
			if err := tx.SetClinicAidBooking(ctx, movedAid, b.ID); err != nil {
				return err
			}
			b.AidID = movedAid
		}
		if b.TicketID != 0 {
			line := fmt.Sprintf("法律诊所 %s %s，预约码 %s", bot.When(b.Start), b.Location, b.Code)
			if _, err := tx.AddTimelineEntry(ctx, b.TicketID, ticket.Entry{At: now, Actor: timelineResident,
				Action: timelineTicket, Note: strings.TrimSpace(line)}); err != nil {
				return err
			}
		}
		if err := s.onBooked(ctx, tx, b); err != nil {
			return err
		}
		rec.Booking = b
		return nil
	})
	if err == nil {
		return rec, nil
	}
	// A copy of this very draft (a double tap on 确认, WeChat retrying a
	// slow reply) may have booked meanwhile and made this one fail, on the
	// seat, the day or the key: that booking is the resident's.
	if d.Key != "" {
		if rec, ok, rerr := s.repeat(ctx, d.Key); rerr != nil || ok {
			return rec, rerr
		}
	}
	switch {
	case errors.Is(err, errFull):
		var next []cl.Slot
		if err := s.store.Transact(ctx, func(tx *storage.Tx) error {
			var err error
			next, err = s.nextFree(ctx, tx, d.Matter, 3)
			return err
		}); err != nil {
			return cl.Receipt{}, fmt.Errorf("clinic.Book: %w", err)
		}
		return cl.Receipt{Taken: true, Next: next}, nil
	case errors.Is(err, bot.ErrConflict):
		// Another booking that day, made at the same moment.
		day := d.Slot.Start.In(bot.Shanghai).Format(cl.DateLayout)
		other, oerr := s.store.ActiveClinicBookingOn(ctx, d.OpenID, day)
		if oerr != nil {
			// Not another booking that day after all: a 预约码 drawn twice.
			return cl.Receipt{}, fmt.Errorf("clinic.Book: %w", err)
		}
		return cl.Receipt{}, oneADay(other)
	}
	var ue *bot.UserError
	if errors.As(err, &ue) {
		return cl.Receipt{}, err
	}
	return cl.Receipt{}, fmt.Errorf("clinic.Book: %w", err)
}

// oneADay refuses a second booking on the day of other.
func oneADay(other cl.Booking) error {
	return &bot.UserError{Code: bot.CodeConflict, Field: "slot",
		Message: "您当天已有一个预约（" + bot.When(other.Start) + "），每人每天只能约一次。"}
}

// repeat returns the booking made from the draft with key (ok), with its
// aid application.
func (s *Service) repeat(ctx context.Context, key string) (cl.Receipt, bool, error) {
	b, err := s.store.ClinicBookingByDraftKey(ctx, key)
	if errors.Is(err, bot.ErrNotFound) {
		return cl.Receipt{}, false, nil
	}
	if err != nil {
		return cl.Receipt{}, false, fmt.Errorf("clinic.Book: %w", err)
	}
	rec := cl.Receipt{Booking: b, Repeat: true}
	if b.AidID != 0 {
		a, err := s.store.ClinicAid(ctx, b.AidID)
		if err != nil {
			return cl.Receipt{}, false, fmt.Errorf("clinic.Book: %w", err)
		}
		rec.Aid = &a
	}
	return rec, true, nil
}

// newCode returns a six-digit 预约码 no booking has.
func newCode(ctx context.Context, tx *storage.Tx) (string, error) {
	for range 50 {
		code := fmt.Sprintf("%06d", rand.IntN(1_000_000))
		taken, err := tx.ClinicBookingCodeTaken(ctx, code)
		if err != nil {
			return "", err
		}
		if !taken {
			return code, nil
		}
	}
	return "", errors.New("no free booking code")
}

// own returns booking id if it is the resident's, else errNoBooking.
func (s *Service) own(ctx context.Context, tx *storage.Tx, openid string, id int64) (cl.Booking, error) {
	b, err := tx.ClinicBooking(ctx, id)
	if errors.Is(err, bot.ErrNotFound) || (err == nil && b.OpenID != openid) {
		return cl.Booking{}, errNoBooking
	}
	return b, err
}

// changeable is nil when the resident may still cancel or move b at now.
func (s *Service) changeable(b cl.Booking, now time.Time) error {
	if b.Status != cl.Booked {
		return &bot.UserError{Code: bot.CodeConflict, Message: fmt.Sprintf("这个预约%s，不能再取消或改约。", b.Status.Label())}
	}
	if now.After(b.Start.Add(-s.cfg.Cutoff)) {
		msg := fmt.Sprintf("距预约开始已不足 %s，不能在线取消或改约。", span(s.cfg.Cutoff))
		if s.cfg.Phone != "" {
			msg += "\n请致电 " + s.cfg.Phone + " 说明。"
		} else {
			msg += "\n请直接联系诊所说明。"
		}
		return &bot.UserError{Code: bot.CodeConflict, Message: msg}
	}
	return nil
}

// changeableIn is changeable, except that a booking whose slot is gone
// (停诊, or the schedule changed) may be moved or cancelled whatever the
// cut-off: the clinic, not the resident, changed it.
func (s *Service) changeableIn(ctx context.Context, tx *storage.Tx, b cl.Booking, now time.Time) error {
	err := s.changeable(b, now)
	if err == nil || b.Status != cl.Booked || !b.Start.After(now) {
		return err
	}
	_, _, exists, ferr := s.findSlot(ctx, tx, cl.SlotRef{ScheduleID: b.ScheduleID, Start: b.Start})
	if ferr != nil {
		return ferr
	}
	if !exists {
		return nil
	}
	return err
}

// cancelIn cancels b in tx: status, seat, timeline, the mediation
// ticket's timeline, reminders. It is the one cancel path: the resident
// (actor timelineResident: 取消预约, or 改约 with action timelineMoved,
// whose new booking writes its own ticket line) and staff through the
// admin API (actor actorStaff).
func (s *Service) cancelIn(ctx context.Context, tx *storage.Tx, b cl.Booking, now time.Time, actor, action, note string) error {
	ok, err := tx.SetClinicBookingStatus(ctx, b.ID, cl.Booked, cl.Cancelled, now)
	if err != nil {
		return err
	}
	if !ok {
		return &bot.UserError{Code: bot.CodeConflict, Field: "status", Message: "这个预约已取消或已变动。"}
	}
	if err := tx.ReleaseClinicSeat(ctx, b.ScheduleID, b.Start); err != nil {
		return err
	}
	if _, err := tx.AddClinicEvent(ctx, b.ID, 0, 0, now, actor, action, note); err != nil {
		return err
	}
	if b.TicketID != 0 && action != timelineMoved {
		if _, err := tx.AddTimelineEntry(ctx, b.TicketID, ticket.Entry{At: now, Actor: actor,
			Action: timelineTicketCancel, Note: fmt.Sprintf("法律诊所 %s，预约码 %s", bot.When(b.Start), b.Code)}); err != nil {
			return err
		}
	}
	b.Status, b.UpdatedAt = cl.Cancelled, now
	return s.onCancelled(ctx, tx, b)
}

// Cancel cancels the resident's booking before the cut-off.
func (s *Service) Cancel(ctx context.Context, openid string, id int64) (cl.Booking, error) {
	now := s.now()
	var out cl.Booking
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		b, err := s.own(ctx, tx, openid, id)
		if err != nil {
			return err
		}
		if err := s.changeableIn(ctx, tx, b, now); err != nil {
			return err
		}
		if err := s.cancelIn(ctx, tx, b, now, timelineResident, timelineCancel, ""); err != nil {
			return err
		}
		out, err = tx.ClinicBooking(ctx, id)
		return err
	})
	if err != nil {
		return cl.Booking{}, wrap("clinic.Cancel", err)
	}
	return out, nil
}

// CanChange reports whether the resident may still cancel or move the
// booking; the error is the UserError to show.
func (s *Service) CanChange(ctx context.Context, openid string, id int64) (cl.Booking, error) {
	var b cl.Booking
	var refusal error
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		var err error
		if b, err = s.own(ctx, tx, openid, id); err != nil {
			return err
		}
		refusal = s.changeableIn(ctx, tx, b, s.now())
		var ue *bot.UserError
		if refusal != nil && !errors.As(refusal, &ue) {
			return refusal
		}
		return nil
	})
	if err != nil {
		return cl.Booking{}, wrap("clinic.CanChange", err)
	}
	return b, refusal
}

// Latest is the resident's most recent booking, or bot.ErrNotFound.
func (s *Service) Latest(ctx context.Context, openid string) (cl.Booking, error) {
	b, err := s.store.LatestClinicBooking(ctx, openid)
	if err != nil {
		return cl.Booking{}, fmt.Errorf("clinic.Latest: %w", err)
	}
	return b, nil
}

// Mine lists the resident's active bookings not yet over, soonest first,
// their open aid applications and their pending or coming expert
// requests.
func (s *Service) Mine(ctx context.Context, openid string) (cl.Mine, error) {
	now := s.now()
	bs, err := s.store.ResidentClinicBookings(ctx, openid, cl.Booked, now.Add(-24*time.Hour))
	if err != nil {
		return cl.Mine{}, fmt.Errorf("clinic.Mine: %w", err)
	}
	out := cl.Mine{Bookings: []cl.Booking{}, Aid: []cl.AidApplication{}, Expert: []cl.ExpertRequest{}}
	for _, b := range bs {
		if b.End.After(now) {
			out.Bookings = append(out.Bookings, b)
		}
	}
	aid, err := s.store.ResidentClinicAid(ctx, openid)
	if err != nil {
		return cl.Mine{}, fmt.Errorf("clinic.Mine: %w", err)
	}
	for _, a := range aid {
		if a.Status == cl.AidReceived || a.Status == cl.AidReviewing {
			out.Aid = append(out.Aid, a)
		}
	}
	ex, err := s.store.ResidentClinicExpert(ctx, openid)
	if err != nil {
		return cl.Mine{}, fmt.Errorf("clinic.Mine: %w", err)
	}
	for _, r := range ex {
		if r.Status == cl.ExpertRequested || (r.Status == cl.ExpertScheduled && r.At != nil && r.At.After(now)) {
			out.Expert = append(out.Expert, r)
		}
	}
	return out, nil
}

// RequestExpert files a 专家会诊 request for staff to schedule; a key of
// an earlier request returns that one.
func (s *Service) RequestExpert(ctx context.Context, r cl.ExpertRequest, key string) (cl.ExpertRequest, error) {
	if !r.Matter.Valid() {
		return cl.ExpertRequest{}, &bot.UserError{Field: "matter", Message: "请选择要咨询的事项。"}
	}
	if r.OpenID == "" {
		return cl.ExpertRequest{}, errors.New("clinic.RequestExpert: no resident")
	}
	if err := checkPerson(r.Name, r.Phone, r.Description); err != nil {
		return cl.ExpertRequest{}, err
	}
	if key != "" {
		if got, err := s.store.ClinicExpertByDraftKey(ctx, key); err == nil {
			return got, nil
		} else if !errors.Is(err, bot.ErrNotFound) {
			return cl.ExpertRequest{}, fmt.Errorf("clinic.RequestExpert: %w", err)
		}
	}
	now := s.now()
	r.ID, r.Status, r.At, r.Location, r.ProviderIDs, r.Note = 0, cl.ExpertRequested, nil, "", []int64{}, ""
	r.CreatedAt, r.UpdatedAt = now, now
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		if err := tx.InsertClinicExpert(ctx, &r, key); err != nil {
			return err
		}
		_, err := tx.AddClinicEvent(ctx, 0, 0, r.ID, now, timelineResident, timelineExpert, "")
		return err
	})
	if errors.Is(err, bot.ErrConflict) && key != "" {
		if got, gerr := s.store.ClinicExpertByDraftKey(ctx, key); gerr == nil {
			return got, nil
		}
	}
	if err != nil {
		return cl.ExpertRequest{}, fmt.Errorf("clinic.RequestExpert: %w", err)
	}
	return r, nil
}

// ApplyAid files a 法律援助 application without a booking; a key of an
// earlier application returns that one.
func (s *Service) ApplyAid(ctx context.Context, a cl.AidApplication, key string) (cl.AidApplication, error) {
	if a.OpenID == "" {
		return cl.AidApplication{}, errors.New("clinic.ApplyAid: no resident")
	}
	if err := checkPerson(a.Name, a.Phone, a.Description); err != nil {
		return cl.AidApplication{}, err
	}
	if key != "" {
		if got, err := s.store.ClinicAidByDraftKey(ctx, key); err == nil {
			return got, nil
		} else if !errors.Is(err, bot.ErrNotFound) {
			return cl.AidApplication{}, fmt.Errorf("clinic.ApplyAid: %w", err)
		}
	}
	now := s.now()
	a.ID, a.BookingID, a.Status, a.Note, a.CreatedAt, a.UpdatedAt = 0, 0, cl.AidReceived, "", now, now
	err := s.store.Transact(ctx, func(tx *storage.Tx) error { return s.fileAid(ctx, tx, &a, key) })
	if errors.Is(err, bot.ErrConflict) && key != "" {
		if got, gerr := s.store.ClinicAidByDraftKey(ctx, key); gerr == nil {
			return got, nil
		}
	}
	if err != nil {
		return cl.AidApplication{}, fmt.Errorf("clinic.ApplyAid: %w", err)
	}
	return a, nil
}

// fileAid inserts a in tx, notes it on its timeline and tells the
// applicant.
func (s *Service) fileAid(ctx context.Context, tx *storage.Tx, a *cl.AidApplication, key string) error {
	if err := tx.InsertClinicAid(ctx, a, key); err != nil {
		return err
	}
	if _, err := tx.AddClinicEvent(ctx, 0, a.ID, 0, a.CreatedAt, timelineResident, timelineAidFiled, ""); err != nil {
		return err
	}
	return s.tellAid(ctx, tx, *a)
}

// Languages lists the languages the active providers speak besides
// Mandarin, in the order of the providers.
func (s *Service) Languages(ctx context.Context) ([]string, error) {
	ps, err := s.store.ClinicProviders(ctx)
	if err != nil {
		return nil, fmt.Errorf("clinic.Languages: %w", err)
	}
	out := []string{}
	for _, p := range ps {
		if !p.Active {
			continue
		}
		for _, l := range p.Languages {
			if l = strings.TrimSpace(l); l != "" && !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return out, nil
}

var errNotClinicStaff = &bot.UserError{Code: bot.CodeForbidden, Message: "仅限法律诊所工作人员。", Err: bot.ErrNotFound}

// Day lists the bookings (not cancelled) of day with descriptions: every
// session's for clinic staff, the sessions of their schedules for a
// provider linked to the staff record; anyone else is refused.
func (s *Service) Day(ctx context.Context, staffOpenID string, day time.Time) ([]cl.Booking, error) {
	st, err := s.store.StaffByOpenID(ctx, staffOpenID)
	if errors.Is(err, bot.ErrNotFound) || (err == nil && !st.Active) {
		return nil, errNotClinicStaff
	}
	if err != nil {
		return nil, fmt.Errorf("clinic.Day: %w", err)
	}
	date := day.In(bot.Shanghai).Format(cl.DateLayout)
	all, err := s.store.ClinicDayBookings(ctx, date)
	if err != nil {
		return nil, fmt.Errorf("clinic.Day: %w", err)
	}
	if st.Has(community.RoleClinic) {
		return all, nil
	}
	mine, err := s.store.ClinicProvidersByStaff(ctx, st.ID)
	if err != nil {
		return nil, fmt.Errorf("clinic.Day: %w", err)
	}
	if len(mine) == 0 {
		return nil, errNotClinicStaff
	}
	schedules, err := s.store.ClinicSchedules(ctx)
	if err != nil {
		return nil, fmt.Errorf("clinic.Day: %w", err)
	}
	theirs := map[int64]bool{}
	for _, sc := range schedules {
		for _, p := range mine {
			if slices.Contains(sc.ProviderIDs, p.ID) {
				theirs[sc.ID] = true
			}
		}
	}
	out := []cl.Booking{}
	for _, b := range all {
		if theirs[b.ScheduleID] {
			out = append(out, b)
		}
	}
	return out, nil
}

// Subscribe opts the resident in or out of the 巡诊 announcements; opting
// in needs a registered address (the building is read from it when an
// announcement goes out).
func (s *Service) Subscribe(ctx context.Context, openid string, on bool) error {
	if on {
		r, err := s.store.Resident(ctx, openid)
		if errors.Is(err, bot.ErrNotFound) || (err == nil && strings.TrimSpace(r.Address) == "") {
			return &bot.UserError{Field: "address", Message: "请先回复 登记 填写您的住址（楼栋），巡诊到您楼栋时才能通知您。"}
		}
		if err != nil {
			return fmt.Errorf("clinic.Subscribe: %w", err)
		}
	}
	if err := s.store.SetClinicSubscription(ctx, openid, on, s.now()); err != nil {
		return fmt.Errorf("clinic.Subscribe: %w", err)
	}
	return nil
}

// Info is the intro's place, walk-in hours, phone and hotline.
func (s *Service) Info(ctx context.Context) (cl.Info, error) {
	schedules, err := s.store.ActiveClinicSchedules(ctx)
	if err != nil {
		return cl.Info{}, fmt.Errorf("clinic.Info: %w", err)
	}
	return cl.Info{Place: s.cfg.Place, Phone: s.cfg.Phone, Hotline: cl.Hotline,
		WalkIn: walkInHours(schedules, s.now().In(bot.Shanghai).Format(cl.DateLayout))}, nil
}

// Topics are the 法律知识 topics, in the operator's order.
func (s *Service) Topics(ctx context.Context) []cl.Topic { return s.cfg.Topics }

// walkInHours summarises the weekday walk-in Daily schedules (no
// slots) valid today: "周一至周五 09:00-11:30、14:30-17:00；周六 09:00-11:00".
func walkInHours(schedules []cl.Schedule, today string) string {
	type group struct {
		days  string
		times []string
	}
	var groups []*group
	for _, sc := range schedules {
		// Not a schedule over or still to come, nor one cut into
		// bookable slots (those are listed as slots).
		if sc.Mode != cl.Daily || !sc.Active || sc.Date != "" || len(sc.Weekdays) == 0 || sc.SlotMinutes > 0 ||
			(sc.ValidTo != "" && sc.ValidTo < today) || (sc.ValidFrom != "" && sc.ValidFrom > today) {
			continue
		}
		days := weekdaysLabel(sc.Weekdays)
		hours := sc.Start + "-" + sc.End
		i := slices.IndexFunc(groups, func(g *group) bool { return g.days == days })
		if i < 0 {
			groups = append(groups, &group{days: days})
			i = len(groups) - 1
		}
		if !slices.Contains(groups[i].times, hours) {
			groups[i].times = append(groups[i].times, hours)
		}
	}
	parts := make([]string, len(groups))
	for i, g := range groups {
		slices.Sort(g.times)
		parts[i] = g.days + " " + strings.Join(g.times, "、")
	}
	return strings.Join(parts, "；")
}

// weekdaysLabel writes weekdays as read: "周一至周五", "周一、周三".
func weekdaysLabel(days []int) string {
	names := []string{"", "一", "二", "三", "四", "五", "六", "日"}
	ds := slices.Clone(days)
	slices.Sort(ds)
	ds = slices.Compact(ds)
	var parts []string
	for i := 0; i < len(ds); {
		j := i
		for j+1 < len(ds) && ds[j+1] == ds[j]+1 {
			j++
		}
		if ds[i] < 1 || ds[i] > 7 || ds[j] > 7 {
			i = j + 1
			continue
		}
		switch {
		case j-i >= 2:
			parts = append(parts, "周"+names[ds[i]]+"至周"+names[ds[j]])
		default:
			for k := i; k <= j; k++ {
				parts = append(parts, "周"+names[ds[k]])
			}
		}
		i = j + 1
	}
	return strings.Join(parts, "、")
}

// MaxDescription is the longest matter description kept, in characters.
const MaxDescription = 1000

// checkPerson refuses a booking or request without a name, with a number
// that is not a mainland mobile, or with an over-long description.
func checkPerson(name, phone, description string) error {
	if strings.TrimSpace(name) == "" {
		return &bot.UserError{Field: "name", Message: "请留下您的姓名。"}
	}
	if !input.IsMobile(phone) {
		return &bot.UserError{Field: "phone", Message: input.MsgBadPhone}
	}
	if utf8.RuneCountInString(description) > MaxDescription {
		return &bot.UserError{Field: "description", Message: fmt.Sprintf("情况说明请不超过 %d 字。", MaxDescription)}
	}
	return nil
}

// takes reports whether a schedule of matters takes m: one that lists
// none takes every matter.
func takes(matters []cl.Matter, m cl.Matter) bool {
	return len(matters) == 0 || slices.Contains(matters, m)
}

// span writes a duration as residents read it: "2 小时", "90 分钟".
func span(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d 小时", int(d/time.Hour))
	}
	return fmt.Sprintf("%d 分钟", int(d/time.Minute))
}

// wrap names op in an error unless it is a UserError meant for the person.
func wrap(op string, err error) error {
	var ue *bot.UserError
	if errors.As(err, &ue) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

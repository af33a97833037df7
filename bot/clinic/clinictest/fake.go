// Package clinictest is an in-memory clinic.Service for the tests of the
// conversations: slots with capacity, seats taken at confirm, one active
// booking a day, the minimum notice and the cut-off, moving a booking
// (Replaces), aid applications, expert requests, a provider's day and
// the 巡诊 subscriptions. It keeps the rules the port documents, not the
// schedules: a test lists the slots the schedules would generate.
package clinictest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
)

// Fake is an in-memory cl.Service. Set its fields before use; its
// methods are safe for concurrent use.
type Fake struct {
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// About is what Info returns (Hotline defaults to 12348).
	About cl.Info
	// TopicList is what Topics returns.
	TopicList []cl.Topic
	// Providers speak Languages; Languages lists those of active ones.
	Providers []cl.Provider
	// Cutoff and MinNotice default to 2 h and 1 h; Horizon to 14 days.
	Cutoff, MinNotice, Horizon time.Duration
	// Clinic are the openids of clinic staff (every session's bookings);
	// StaffProviders maps a provider's staff openid to their provider id.
	Clinic         map[string]bool
	StaffProviders map[string]int64
	// NoAddress are residents without a registered address (Subscribe
	// refuses them).
	NoAddress map[string]bool
	// NextN is how many next slots a refused booking offers (3).
	NextN int

	mu       sync.Mutex
	slots    []cl.Slot
	bookings []cl.Booking
	aid      []cl.AidApplication
	expert   []cl.ExpertRequest
	subs     map[string]bool
	keys     map[string]int64
}

var _ cl.Service = (*Fake)(nil)

func (f *Fake) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Fake) cutoff() time.Duration {
	if f.Cutoff > 0 {
		return f.Cutoff
	}
	return 2 * time.Hour
}

func (f *Fake) minNotice() time.Duration {
	if f.MinNotice > 0 {
		return f.MinNotice
	}
	return time.Hour
}

func (f *Fake) horizon() time.Duration {
	if f.Horizon > 0 {
		return f.Horizon
	}
	return 14 * 24 * time.Hour
}

// AddSlot adds a slot as the schedules would generate it; Left is set
// to Capacity when 0 for a bookable slot.
func (f *Fake) AddSlot(s cl.Slot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s.Left == 0 && !s.WalkIn && s.ActivityID == 0 {
		s.Left = s.Capacity
	}
	f.slots = append(f.slots, s)
	sort.SliceStable(f.slots, func(i, j int) bool { return f.slots[i].Start.Before(f.slots[j].Start) })
}

// Fill takes every seat left of the slot ref, as other residents
// booking it in the meantime would.
func (f *Fake) Fill(ref cl.SlotRef) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.slot(ref); s != nil {
		s.Left = 0
	}
}

// Remove drops the slot ref, as a closure or a schedule edit would; its
// bookings stand.
func (f *Fake) Remove(ref cl.SlotRef) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slots = slices.DeleteFunc(f.slots, func(s cl.Slot) bool { return same(s.Ref(), ref) })
}

// Bookings returns every booking made, in order.
func (f *Fake) Bookings() []cl.Booking {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bookings)
}

// AidApplications returns every aid application filed.
func (f *Fake) AidApplications() []cl.AidApplication {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.aid)
}

// ExpertRequests returns every expert request filed.
func (f *Fake) ExpertRequests() []cl.ExpertRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.expert)
}

// SetAidStatus moves an aid application, as the justice office would.
func (f *Fake) SetAidStatus(id int64, s cl.AidStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.aid {
		if f.aid[i].ID == id {
			f.aid[i].Status = s
		}
	}
}

// ScheduleExpert schedules an expert request, as staff would.
func (f *Fake) ScheduleExpert(id int64, at time.Time, location string, providers ...int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.expert {
		if f.expert[i].ID == id {
			f.expert[i].Status, f.expert[i].At, f.expert[i].Location, f.expert[i].ProviderIDs = cl.ExpertScheduled, &at, location, providers
		}
	}
}

// Subscribed reports whether openid opted in to 巡诊 announcements.
func (f *Fake) Subscribed(openid string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.subs[openid]
}

func (f *Fake) slot(ref cl.SlotRef) *cl.Slot {
	for i := range f.slots {
		if same(f.slots[i].Ref(), ref) {
			return &f.slots[i]
		}
	}
	return nil
}

// Info returns About, with the hotline.
func (f *Fake) Info(ctx context.Context) (cl.Info, error) {
	i := f.About
	if i.Hotline == "" {
		i.Hotline = cl.Hotline
	}
	return i, nil
}

// Topics returns TopicList.
func (f *Fake) Topics(ctx context.Context) []cl.Topic { return f.TopicList }

// bookable reports whether s can be booked at now.
func (f *Fake) bookable(s cl.Slot, now time.Time) bool {
	return !s.WalkIn && s.ActivityID == 0 && s.Left > 0 && !s.Start.Before(now.Add(f.minNotice()))
}

// Slots lists the slots for m up to the horizon: bookable ones with
// seats left and the minimum notice respected, walk-in blocks and
// free-clinic sessions.
func (f *Fake) Slots(ctx context.Context, m cl.Matter) ([]cl.Slot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.list(m, f.now(), cl.SlotRef{}, 0), nil
}

// list is Slots, without except, at most n bookable ones (0: all).
func (f *Fake) list(m cl.Matter, now time.Time, except cl.SlotRef, n int) []cl.Slot {
	var out []cl.Slot
	taken := 0
	for _, s := range f.slots {
		if !slices.Contains(s.Matters, m) || same(s.Ref(), except) || !s.End.After(now) || s.Start.After(now.Add(f.horizon())) {
			continue
		}
		switch {
		case s.WalkIn || s.ActivityID != 0:
			if n > 0 {
				continue
			}
		case !f.bookable(s, now):
			continue
		default:
			if n > 0 && taken == n {
				continue
			}
			taken++
		}
		out = append(out, s)
	}
	return out
}

// same reports whether a and b name one slot (times compare as instants).
func same(a, b cl.SlotRef) bool { return a.ScheduleID == b.ScheduleID && a.Start.Equal(b.Start) }

func refused(msg string) error { return &bot.UserError{Code: bot.CodeConflict, Message: msg} }

// refusedSlot is a refusal of the slot chosen, on field slot as the
// service's.
func refusedSlot(msg string) error {
	return &bot.UserError{Code: bot.CodeConflict, Field: "slot", Message: msg}
}

// Book books d: a repeat of its Key returns the first booking; a slot
// gone or full is Taken with the next free ones; the minimum notice, a
// matter the slot does not take and a second booking that day are
// refused; Replaces cancels the old booking with the new one.
func (f *Fake) Book(ctx context.Context, d cl.Draft) (cl.Receipt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if id, ok := f.keys[d.Key]; ok && d.Key != "" {
		for _, b := range f.bookings {
			if b.ID == id {
				return cl.Receipt{Booking: b, Repeat: true, Aid: f.aidOf(b.ID)}, nil
			}
		}
	}
	s := f.slot(d.Slot)
	next := func() []cl.Slot {
		n := f.NextN
		if n == 0 {
			n = 3
		}
		return f.list(d.Matter, now, d.Slot, n)
	}
	if s == nil || s.WalkIn || s.ActivityID != 0 || s.Left <= 0 {
		return cl.Receipt{Taken: true, Next: next()}, nil
	}
	if !slices.Contains(s.Matters, d.Matter) {
		return cl.Receipt{}, refusedSlot("这个时段不办理" + d.Matter.Label() + "，请另选时段。")
	}
	if s.Start.Before(now.Add(f.minNotice())) {
		return cl.Receipt{}, refusedSlot(fmt.Sprintf("需提前 %d 小时预约，请另选时段。", int(f.minNotice().Hours())))
	}
	var old *cl.Booking
	if d.Replaces != 0 {
		i := f.find(d.OpenID, d.Replaces)
		if i < 0 || f.bookings[i].Status != cl.Booked {
			return cl.Receipt{}, &bot.UserError{Code: bot.CodeNotFound, Message: "原来的预约已不存在。", Err: bot.ErrNotFound}
		}
		if err := f.changeable(f.bookings[i], now); err != nil {
			return cl.Receipt{}, err
		}
		old = &f.bookings[i]
	}
	day := s.Start.In(bot.Shanghai).Format(cl.DateLayout)
	for _, b := range f.bookings {
		if b.OpenID == d.OpenID && b.Status == cl.Booked && b.Day() == day && (old == nil || b.ID != old.ID) {
			return cl.Receipt{}, refusedSlot("您当天已有一个预约（" + bot.When(b.Start) + "），每人每天只能约一次。")
		}
	}
	if old != nil {
		old.Status, old.UpdatedAt = cl.Cancelled, now
		if os := f.slot(cl.SlotRef{ScheduleID: old.ScheduleID, Start: old.Start}); os != nil {
			os.Left++
		}
	}
	s.Left--
	id := int64(len(f.bookings) + 1)
	b := cl.Booking{
		ID: id, Code: fmt.Sprintf("%06d", 480000+id*37), ScheduleID: s.ScheduleID, Start: s.Start, End: s.End,
		Mode: s.Mode, Location: s.Location, Matter: d.Matter, OpenID: d.OpenID, Name: d.Name, Phone: d.Phone,
		Description: d.Description, Language: d.Language, NeedRep: d.NeedRep, TicketID: d.TicketID,
		Status: cl.Booked, CreatedAt: now, UpdatedAt: now,
	}
	var aid *cl.AidApplication
	if d.Matter == cl.Aid && d.Aid != nil {
		a := f.addAid(cl.AidApplication{OpenID: d.OpenID, Name: d.Name, Phone: d.Phone, Answers: d.Aid, Description: d.Description, BookingID: id}, now)
		b.AidID, aid = a.ID, &a
	}
	f.bookings = append(f.bookings, b)
	if d.Key != "" {
		if f.keys == nil {
			f.keys = map[string]int64{}
		}
		f.keys[d.Key] = id
	}
	return cl.Receipt{Booking: b, Aid: aid}, nil
}

func (f *Fake) aidOf(bookingID int64) *cl.AidApplication {
	for _, a := range f.aid {
		if a.BookingID == bookingID {
			return &a
		}
	}
	return nil
}

func (f *Fake) addAid(a cl.AidApplication, now time.Time) cl.AidApplication {
	a.ID = int64(len(f.aid) + 1)
	a.Status, a.CreatedAt, a.UpdatedAt = cl.AidReceived, now, now
	f.aid = append(f.aid, a)
	return a
}

// find is the index of openid's booking id, or -1.
func (f *Fake) find(openid string, id int64) int {
	for i, b := range f.bookings {
		if b.ID == id && b.OpenID == openid {
			return i
		}
	}
	return -1
}

// changeable refuses a booking within the cut-off.
func (f *Fake) changeable(b cl.Booking, now time.Time) error {
	if now.Add(f.cutoff()).After(b.Start) {
		msg := fmt.Sprintf("距预约开始已不足 %d 小时，不能在线取消或改约。", int(f.cutoff().Hours()))
		if f.About.Phone != "" {
			msg += "\n请致电 " + f.About.Phone + " 说明。"
		}
		return refused(msg)
	}
	return nil
}

// Mine lists openid's booked bookings not yet over, and their aid
// applications and expert requests.
func (f *Fake) Mine(ctx context.Context, openid string) (cl.Mine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	var m cl.Mine
	for _, b := range f.bookings {
		if b.OpenID == openid && b.Status == cl.Booked && b.End.After(now) {
			m.Bookings = append(m.Bookings, b)
		}
	}
	sort.SliceStable(m.Bookings, func(i, j int) bool { return m.Bookings[i].Start.Before(m.Bookings[j].Start) })
	for _, a := range f.aid {
		if a.OpenID == openid {
			m.Aid = append(m.Aid, a)
		}
	}
	for _, r := range f.expert {
		if r.OpenID == openid {
			m.Expert = append(m.Expert, r)
		}
	}
	return m, nil
}

func (f *Fake) booked(openid string, id int64) (int, error) {
	i := f.find(openid, id)
	if i < 0 || f.bookings[i].Status != cl.Booked {
		return -1, &bot.UserError{Code: bot.CodeNotFound, Message: "没有找到这个预约。", Err: bot.ErrNotFound}
	}
	return i, nil
}

// Cancel cancels openid's booking id before the cut-off.
func (f *Fake) Cancel(ctx context.Context, openid string, id int64) (cl.Booking, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.booked(openid, id)
	if err != nil {
		return cl.Booking{}, err
	}
	now := f.now()
	if err := f.changeable(f.bookings[i], now); err != nil {
		return cl.Booking{}, err
	}
	b := &f.bookings[i]
	b.Status, b.UpdatedAt = cl.Cancelled, now
	if s := f.slot(cl.SlotRef{ScheduleID: b.ScheduleID, Start: b.Start}); s != nil {
		s.Left++
	}
	return *b, nil
}

// CanChange reports whether booking id may still be cancelled or moved.
func (f *Fake) CanChange(ctx context.Context, openid string, id int64) (cl.Booking, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.booked(openid, id)
	if err != nil {
		return cl.Booking{}, err
	}
	return f.bookings[i], f.changeable(f.bookings[i], f.now())
}

// Latest is openid's most recent booking.
func (f *Fake) Latest(ctx context.Context, openid string) (cl.Booking, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.bookings) - 1; i >= 0; i-- {
		if f.bookings[i].OpenID == openid {
			return f.bookings[i], nil
		}
	}
	return cl.Booking{}, bot.ErrNotFound
}

func (f *Fake) repeat(key string) (int64, bool) {
	id, ok := f.keys[key]
	return id, ok && key != ""
}

func (f *Fake) remember(key string, id int64) {
	if key == "" {
		return
	}
	if f.keys == nil {
		f.keys = map[string]int64{}
	}
	f.keys[key] = id
}

// RequestExpert files r (a repeat of key returns the first).
func (f *Fake) RequestExpert(ctx context.Context, r cl.ExpertRequest, key string) (cl.ExpertRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.repeat("expert:" + key); ok {
		return f.expert[id-1], nil
	}
	now := f.now()
	r.ID = int64(len(f.expert) + 1)
	r.Status, r.CreatedAt, r.UpdatedAt = cl.ExpertRequested, now, now
	f.expert = append(f.expert, r)
	f.remember("expert:"+key, r.ID)
	return r, nil
}

// ApplyAid files a (a repeat of key returns the first).
func (f *Fake) ApplyAid(ctx context.Context, a cl.AidApplication, key string) (cl.AidApplication, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.repeat("aid:" + key); ok {
		return f.aid[id-1], nil
	}
	a = f.addAid(a, f.now())
	f.remember("aid:"+key, a.ID)
	return a, nil
}

// Languages lists the active providers' languages, in order of first
// appearance.
func (f *Fake) Languages(ctx context.Context) ([]string, error) {
	var out []string
	for _, p := range f.Providers {
		for _, l := range p.Languages {
			if p.Active && !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return out, nil
}

// Day lists the bookings of day: all of them for clinic staff, those of
// the provider's sessions for a provider, forbidden for anyone else.
func (f *Fake) Day(ctx context.Context, staffOpenID string, day time.Time) ([]cl.Booking, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pid, provider := f.StaffProviders[staffOpenID]
	if !f.Clinic[staffOpenID] && !provider {
		return nil, &bot.UserError{Code: bot.CodeForbidden, Message: "仅限法律诊所工作人员。", Err: bot.ErrNotFound}
	}
	d := day.In(bot.Shanghai).Format(cl.DateLayout)
	var out []cl.Booking
	for _, b := range f.bookings {
		if b.Day() != d || (b.Status != cl.Booked && b.Status != cl.Attended) {
			continue
		}
		if !f.Clinic[staffOpenID] {
			s := f.slot(cl.SlotRef{ScheduleID: b.ScheduleID, Start: b.Start})
			if s == nil || !slices.Contains(s.ProviderIDs, pid) {
				continue
			}
		}
		out = append(out, b)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// Subscribe opts openid in or out; residents in NoAddress are refused.
func (f *Fake) Subscribe(ctx context.Context, openid string, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if on && f.NoAddress[openid] {
		return &bot.UserError{Code: bot.CodeInvalid, Message: "请先回复 登记 填写您的住址（楼栋），巡诊到您楼栋时才能通知您。"}
	}
	if f.subs == nil {
		f.subs = map[string]bool{}
	}
	f.subs[openid] = on
	return nil
}

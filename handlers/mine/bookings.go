package mine

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
)

func (p *Pages) bookingRoutes(mux *http.ServeMux) {
	if p.Clinic == nil {
		return
	}
	mux.Handle("GET "+Path+"bookings", p.auth(p.bookings))
	mux.Handle("POST "+Path+"bookings/{id}/cancel", p.auth(p.cancelBooking))
	mux.Handle("GET "+Path+"bookings/{id}/change", p.auth(p.changePage))
	mux.Handle("POST "+Path+"bookings/{id}/change", p.auth(p.change))
}

type bookingsData struct {
	Page
	Bookings []cl.Booking
	Aid      []cl.AidApplication
	Expert   []cl.ExpertRequest
}

// bookings lists the resident's clinic bookings to come, soonest first,
// with their matter (theirs to read) and cancel and reschedule.
func (p *Pages) bookings(w http.ResponseWriter, r *http.Request, openid string) {
	m, err := p.Clinic.Mine(r.Context(), openid)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, "bookings.html", bookingsData{Page: p.page(r, "我的预约", "bookings"),
		Bookings: m.Bookings, Aid: m.Aid, Expert: m.Expert})
}

func bookingID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// cancelBooking is 取消预约: the same service call; the service checks the
// booking is theirs and before the cut-off (else says whom to call).
func (p *Pages) cancelBooking(w http.ResponseWriter, r *http.Request, openid string) {
	id, ok := bookingID(r)
	if !ok {
		p.fail(w, r, bot.ErrNotFound)
		return
	}
	b, err := p.Clinic.Cancel(r.Context(), openid, id)
	if bot.ErrorCode(err) == bot.CodeNotFound {
		p.fail(w, r, err)
		return
	}
	if err != nil {
		p.failTo(w, r, Path+"bookings", err)
		return
	}
	p.done(w, r, Path+"bookings", "已取消 "+when(b.Start)+" 的预约。")
}

// slotOption is a free slot a booking may move to.
type slotOption struct {
	// ID names the radio button; Ref is its value.
	ID   string
	Ref  string
	Slot cl.Slot
}

// slotDay is one day's free slots.
type slotDay struct {
	Day   time.Time
	Slots []slotOption
}

type changeData struct {
	Page
	Booking cl.Booking
	// Days are the free slots by day, soonest first.
	Days []slotDay
	// Key makes the move idempotent: a form sent twice moves once.
	Key string
}

// changePage lists the free slots the booking may move to, as 改约 does:
// the same matter, without its own slot, walk-in blocks and free-clinic
// sessions (booked through the event sign-up).
func (p *Pages) changePage(w http.ResponseWriter, r *http.Request, openid string) {
	id, ok := bookingID(r)
	if !ok {
		p.fail(w, r, bot.ErrNotFound)
		return
	}
	ctx := r.Context()
	b, err := p.Clinic.CanChange(ctx, openid, id)
	if err != nil {
		if bot.ErrorCode(err) == bot.CodeNotFound {
			p.fail(w, r, err)
			return
		}
		p.failTo(w, r, Path+"bookings", err)
		return
	}
	ss, err := p.Clinic.Slots(ctx, b.Matter)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	d := changeData{Page: p.page(r, "改约", "bookings"), Booking: b, Key: "web-change-" + randomToken(12)}
	n := 0
	for _, s := range ss {
		if s.WalkIn || s.ActivityID != 0 || s.Left <= 0 || (s.ScheduleID == b.ScheduleID && s.Start.Equal(b.Start)) {
			continue
		}
		o := slotOption{Ref: s.Ref().String(), Slot: s, ID: "slot-" + strconv.Itoa(n)}
		n++
		day := s.Start.In(bot.Shanghai).Format(time.DateOnly)
		if len(d.Days) == 0 || d.Days[len(d.Days)-1].Day.In(bot.Shanghai).Format(time.DateOnly) != day {
			d.Days = append(d.Days, slotDay{Day: s.Start})
		}
		last := &d.Days[len(d.Days)-1]
		last.Slots = append(last.Slots, o)
	}
	p.render(w, r, http.StatusOK, "change.html", d)
}

// change moves the booking to the chosen slot: a new booking replacing
// the old one in one transaction (Draft.Replaces), as 改约 books it.
func (p *Pages) change(w http.ResponseWriter, r *http.Request, openid string) {
	id, ok := bookingID(r)
	if !ok {
		p.fail(w, r, bot.ErrNotFound)
		return
	}
	ctx := r.Context()
	back := Path + "bookings/" + strconv.FormatInt(id, 10) + "/change"
	b, err := p.Clinic.CanChange(ctx, openid, id)
	if err != nil {
		if bot.ErrorCode(err) == bot.CodeNotFound {
			p.fail(w, r, err)
			return
		}
		p.failTo(w, r, Path+"bookings", err)
		return
	}
	ref, ok := parseRef(r.PostFormValue("slot"))
	if !ok {
		p.failTo(w, r, back, bot.FieldError("slot", "请选择要改到的时段。"))
		return
	}
	key := r.PostFormValue("key")
	if !strings.HasPrefix(key, "web-change-") {
		key = ""
	}
	rc, err := p.Clinic.Book(ctx, cl.Draft{
		Slot: ref, Matter: b.Matter, OpenID: openid, Name: b.Name, Phone: b.Phone, Description: b.Description,
		Language: b.Language, NeedRep: b.NeedRep, TicketID: b.TicketID, Key: key, Replaces: b.ID,
	})
	if err != nil {
		p.failTo(w, r, back, err)
		return
	}
	if rc.Taken {
		p.failTo(w, r, back, bot.Say("该时段刚被约满，请另选一个。原预约仍保留。"))
		return
	}
	p.done(w, r, Path+"bookings", "改约成功！原 "+when(b.Start)+" 的预约已取消，新的预约码 "+rc.Booking.Code+"。")
}

// parseRef reads a slot as cl.SlotRef.String writes it ("12@1764550800").
func parseRef(v string) (cl.SlotRef, bool) {
	sid, at, ok := strings.Cut(v, "@")
	if !ok {
		return cl.SlotRef{}, false
	}
	id, err1 := strconv.ParseInt(sid, 10, 64)
	unix, err2 := strconv.ParseInt(at, 10, 64)
	if err1 != nil || err2 != nil {
		return cl.SlotRef{}, false
	}
	return cl.SlotRef{ScheduleID: id, Start: time.Unix(unix, 0).UTC()}, true
}

// when is a time as the messages say it, in Shanghai.
func when(t time.Time) string { return t.In(bot.Shanghai).Format("1月2日 15:04") }

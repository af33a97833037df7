package mine

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/ticket"
)

// item is one line of 我的: a ticket, a sign-up or a clinic booking.
type item struct {
	Kind   string // 诉求, 活动, 法律诊所
	Title  string
	Status string
	// Class colours the status (warn: waiting for the resident).
	Class string
	// At is the time shown: when an event or booking starts, when a
	// ticket was filed.
	At   time.Time
	Note string
	Link string
	// Upcoming items are ordered by At, soonest first; the others
	// (tickets) follow, newest first.
	Upcoming bool
	// Waiting marks what asks something of the resident (a rating, an
	// offered seat): it comes first.
	Waiting bool
}

type homeData struct {
	Page
	// Profile is what they registered; nil when unknown or not wired.
	Profile *profile
	Items   []item
	// Failed names the parts that could not be listed just now.
	Failed []string
}

// profile is the resident's registration as 我的信息 shows it: the phone
// masked, as in the chat.
type profile struct {
	Name, Phone, Address string
}

// mineLimit bounds the tickets 我的 looks through.
const mineLimit = 50

// home is 我的: one list of everything the resident has open: tickets
// not closed, sign-ups for events not yet over, clinic bookings to come.
func (p *Pages) home(w http.ResponseWriter, r *http.Request, openid string) {
	ctx := r.Context()
	d := homeData{Page: p.page(r, "我的", "home")}
	if p.Residents != nil {
		res, err := p.Residents.Resident(ctx, openid)
		switch {
		case err == nil && res.Name != "":
			d.Profile = &profile{Name: res.Name, Phone: bot.MaskPhone(res.Phone), Address: res.Address}
		case err != nil && !errors.Is(err, bot.ErrNotFound):
			p.Logger.ErrorContext(ctx, "resident page: profile", "err", err)
		}
	}
	if p.Tickets != nil {
		ts, err := p.Tickets.Mine(ctx, openid, mineLimit)
		if err != nil {
			p.Logger.ErrorContext(ctx, "resident page: tickets", "err", err)
			d.Failed = append(d.Failed, "诉求")
		}
		for _, t := range ts {
			if t.Status == ticket.Closed {
				continue
			}
			it := item{Kind: "诉求", Title: t.CategoryName + " " + t.Number, Status: t.Status.Label(), Class: ticketStatusClass(t.Status),
				At: t.CreatedAt, Note: t.Place, Link: Path + "tickets/" + t.Number}
			if t.Status == ticket.Resolved {
				it.Status, it.Waiting = "已办结，请评价", true
			}
			d.Items = append(d.Items, it)
		}
	}
	if p.Activities != nil {
		bs, err := p.Activities.Mine(ctx, openid)
		if err != nil {
			p.Logger.ErrorContext(ctx, "resident page: sign-ups", "err", err)
			d.Failed = append(d.Failed, "活动报名")
		}
		for _, b := range bs {
			if !b.Signup.Status.Active() {
				continue
			}
			it := item{Kind: "活动", Title: b.Activity.Title, Status: b.Signup.Status.Label(), At: b.Activity.StartsAt,
				Note: b.Activity.Location, Link: Path + "signups#signup-" + strconv.FormatInt(b.Signup.ID, 10), Upcoming: true}
			if b.Signup.Status == activity.Offered {
				it.Class, it.Waiting = "warn", true
			}
			d.Items = append(d.Items, it)
		}
	}
	if p.Clinic != nil {
		m, err := p.Clinic.Mine(ctx, openid)
		if err != nil {
			p.Logger.ErrorContext(ctx, "resident page: clinic bookings", "err", err)
			d.Failed = append(d.Failed, "法律诊所预约")
		}
		for _, b := range m.Bookings {
			d.Items = append(d.Items, item{Kind: "法律诊所", Title: b.Matter.Label(), Status: b.Status.Label(), At: b.Start,
				Note: b.Location, Link: Path + "bookings#booking-" + strconv.FormatInt(b.ID, 10), Upcoming: true})
		}
		// Open aid applications and expert consultations are open
		// business too; the bookings page shows them.
		for _, a := range m.Aid {
			d.Items = append(d.Items, item{Kind: "法律诊所", Title: "法律援助申请", Status: a.Status.Label(), At: a.CreatedAt,
				Link: Path + "bookings#aid-" + strconv.FormatInt(a.ID, 10)})
		}
		for _, x := range m.Expert {
			it := item{Kind: "法律诊所", Title: "专家会诊", Status: x.Status.Label(), At: x.CreatedAt, Note: x.Location,
				Link: Path + "bookings#expert-" + strconv.FormatInt(x.ID, 10)}
			if x.At != nil {
				it.At, it.Upcoming = *x.At, true
			}
			d.Items = append(d.Items, it)
		}
	}
	slices.SortStableFunc(d.Items, func(a, b item) int {
		switch {
		case a.Waiting != b.Waiting:
			return order(a.Waiting)
		case a.Upcoming != b.Upcoming:
			return order(a.Upcoming)
		case a.Upcoming:
			return a.At.Compare(b.At)
		}
		return b.At.Compare(a.At)
	})
	p.render(w, r, http.StatusOK, "home.html", d)
}

// order puts true first.
func order(first bool) int {
	if first {
		return -1
	}
	return 1
}

package console

import (
	"net/http"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/clinic"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/tickets"
)

// dashboardEvents is how many upcoming events the dashboard lists.
const dashboardEvents = 5

// failedShown bounds the failed notifications counted: past it the card
// says "200+" and the notifications page has the rest.
const failedShown = 200

// dashboardData is dashboard.html's data. A card not Shown is not the
// person's (or its service is not wired); one whose service failed says
// so (its Error) rather than taking the whole page down.
type dashboardData struct {
	Page
	// Open and Overdue count the tickets the person sees (their grid's
	// and those assigned to them for a grid worker, all for managers).
	ShowTickets   bool
	Open, Overdue int
	TicketsError  string
	TicketsScope  string
	// Bookings counts today's clinic bookings not cancelled.
	ShowBookings  bool
	Bookings      int
	BookingsError string
	// Events are the next upcoming events, with how full they are.
	ShowEvents  bool
	Events      []eventFill
	EventsError string
	// Failed counts failed notifications (FailedMore: more than that).
	ShowFailed  bool
	Failed      int
	FailedMore  bool
	FailedError string
}

// eventFill is an upcoming event and how full it is.
type eventFill struct {
	activity.Activity
	// Percent of the seats taken, 0..100.
	Percent int
}

// dashboard is the first page after signing in: what needs attention,
// each card linking to its page.
func (c *Console) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	who := WhoFrom(ctx)
	d := dashboardData{Page: c.page(r, "概览", "dashboard")}
	if c.Tickets != nil && who.SeesTickets() {
		v := who.Viewer()
		switch {
		case v.SeesAll():
		case who.Staff.Has(community.RoleGridWorker):
			d.TicketsScope = "您网格的和派给您的"
		default:
			d.TicketsScope = "派给您的"
		}
		d.ShowTickets = true
		count := func(f tickets.Filter) (int, error) {
			f.Limit = 1
			_, n, err := c.Tickets.ListFor(ctx, v, f)
			return n, err
		}
		var err error
		if d.Open, err = count(tickets.Filter{Open: true}); err == nil {
			d.Overdue, err = count(tickets.Filter{Overdue: true})
		}
		if err != nil {
			d.TicketsError = c.message(r, err)
		}
	}
	if c.Clinic != nil && who.SeesClinic() {
		// Counted only: a booking's matter is for the clinic's pages.
		d.ShowBookings = true
		today := c.Now().In(bot.Shanghai).Format("2006-01-02")
		bs, err := c.Clinic.Bookings(ctx, clinic.BookingQuery{Day: today})
		if err != nil {
			d.BookingsError = c.message(r, err)
		} else {
			n := 0
			for _, b := range bs {
				if b.Status != cl.Cancelled {
					n++
				}
			}
			d.Bookings = n
		}
	}
	if c.Activities != nil && who.SeesEvents() {
		d.ShowEvents = true
		as, err := c.Activities.List(ctx, activities.View(storage.ViewUpcoming))
		if err != nil {
			d.EventsError = c.message(r, err)
		}
		// Only the events they may read: an organiser's own, everyone's
		// for those who manage (the policy, through activities).
		for _, a := range activities.Readable(who.Viewer(), as) {
			if len(d.Events) == dashboardEvents {
				break
			}
			e := eventFill{Activity: a}
			if a.Capacity > 0 {
				e.Percent = min(100, a.SeatsTaken*100/a.Capacity)
			}
			d.Events = append(d.Events, e)
		}
	}
	if c.Notifications != nil && who.SeesNotices() {
		d.ShowFailed = true
		ns, err := c.Notifications.ListNotifications(ctx, storage.NotificationFailed, failedShown+1, 0)
		if err != nil {
			d.FailedError = c.message(r, err)
		} else {
			d.Failed, d.FailedMore = min(len(ns), failedShown), len(ns) > failedShown
		}
	}
	c.render(w, r, "dashboard.html", d)
}

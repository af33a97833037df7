package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/storage"
)

// card returns the dashboard card with id, "" when it is not there.
func card(page, id string) string {
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(page[i:], "</a>")
	if k := strings.Index(page[i:], "</section>"); j < 0 || (k >= 0 && strings.HasPrefix(id, "card-events")) {
		j = k
	}
	return page[i : i+j]
}

// TestConsoleDashboard: each person's cards, counted for them, each
// linking to its page: a grid worker's open and overdue tickets are their
// grid's and theirs; managers see all, today's clinic bookings, upcoming
// events with how full they are and failed notifications.
func TestConsoleDashboard(t *testing.T) {
	w := newWard(t)
	ctx := context.Background()
	// The ward's clock is 09:00 on a working day: the clinic's session
	// this afternoon is ahead.
	day := w.clock.Now().In(bot.Shanghai)
	if day.Hour() != 9 {
		t.Fatalf("the ward starts at %v", day)
	}

	// A clinic session today with one booking, and one cancelled.
	p, err := w.clinic.CreateProvider(ctx, cl.Provider{Name: "王律师", Kind: cl.Lawyer, Phone: "13800000000", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := w.clinic.CreateSchedule(ctx, cl.Schedule{Mode: cl.Appointment, ProviderIDs: []int64{p.ID}, Date: day.Format("2006-01-02"),
		Start: "14:00", End: "16:00", SlotMinutes: 30, Capacity: 1, Location: "二楼调解室", Matters: []cl.Matter{cl.Consult}, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	const matter = "邻居占用楼道堆放杂物的法律问题"
	for i, openid := range []string{"o-b1", "o-b2"} {
		rc, err := w.clinic.Book(ctx, cl.Draft{Slot: cl.SlotRef{ScheduleID: ch.Schedule.ID, Start: day.Add(5*time.Hour + time.Duration(i)*30*time.Minute).UTC()},
			Matter: cl.Consult, OpenID: openid, Name: "居民", Phone: "13800000000", Description: matter})
		if err != nil || rc.Taken {
			t.Fatalf("Book: %+v, %v", rc, err)
		}
		if i == 1 {
			if _, err := w.clinic.Cancel(ctx, openid, rc.Booking.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	// An upcoming event, 1 of 30 seats taken.
	ev, err := w.acts.Create(ctx, activity.Activity{Title: "社区百家宴", Location: "广场", StartsAt: day.Add(48 * time.Hour),
		EndsAt: day.Add(50 * time.Hour), Capacity: 30, MaxParty: 3, Status: activity.ActivityOpen})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.acts.SignUp(ctx, activity.Draft{ActivityID: ev.ID, OpenID: "o-guest", Name: "客人", Phone: "13800000001", PartySize: 3}); err != nil {
		t.Fatal(err)
	}
	// One failed notification.
	ns, err := w.store.ListNotifications(ctx, "", 1, 0)
	if err != nil || len(ns) == 0 {
		t.Fatalf("notifications: %v", err)
	}
	if err := w.store.FinishNotification(ctx, ns[0].ID, storage.NotificationFailed, "", "48001 api unauthorized"); err != nil {
		t.Fatal(err)
	}

	// 张三: his grid's three tickets open (his, the dispute, the one
	// handed to him), none overdue; no clinic, events or notifications.
	zs := w.as(w.worker).want("/console", http.StatusOK)
	if c := card(zs, "card-open"); !strings.Contains(c, `href="/console/tickets?status=open"`) || !strings.Contains(c, ">3<") {
		t.Errorf("张三's open card: %q", c)
	}
	if c := card(zs, "card-overdue"); !strings.Contains(c, `href="/console/tickets?overdue=1"`) || !strings.Contains(c, ">0<") {
		t.Errorf("张三's overdue card: %q", c)
	}
	for _, id := range []string{"card-bookings", "card-failed"} {
		if card(zs, id) != "" {
			t.Errorf("张三 sees %s", id)
		}
	}
	// A grid worker may organise events of their own, so the card is
	// there, but it lists none of the events others organise.
	if c := card(zs, "card-events"); strings.Contains(c, "社区百家宴") {
		t.Errorf("张三 sees an event he does not organise: %q", c)
	}
	// The supervisor: all four, today's one booking (never its matter),
	// the event and the failed notification.
	sup := w.as(w.sup).want("/console", http.StatusOK)
	if c := card(sup, "card-open"); !strings.Contains(c, ">4<") {
		t.Errorf("the supervisor's open card: %q", c)
	}
	if c := card(sup, "card-bookings"); !strings.Contains(c, `href="/console/clinic"`) || !strings.Contains(c, ">1<") {
		t.Errorf("the supervisor's bookings card: %q", c)
	}
	if strings.Contains(sup, matter) {
		t.Error("the dashboard shows a booking's matter")
	}
	if c := card(sup, "card-failed"); !strings.Contains(c, `href="/console/notifications?status=failed"`) || !strings.Contains(c, ">1<") {
		t.Errorf("the supervisor's failed card: %q", c)
	}
	if c := card(sup, "card-events"); !strings.Contains(c, "社区百家宴") || !strings.Contains(c, "已报 3/30（10%）") ||
		!strings.Contains(c, `href="/console/events/`) {
		t.Errorf("the supervisor's events card: %q", c)
	}
	// Ten days on, the open tickets are overdue.
	w.clock.Advance(10 * 24 * time.Hour)
	if c := card(w.as(w.worker).want("/console", http.StatusOK), "card-overdue"); !strings.Contains(c, ">3<") {
		t.Errorf("张三's overdue card ten days on: %q", c)
	}
	// The clinic's own staff see the bookings, not the tickets.
	cb := w.as(w.staff("刘专干", community.RoleClinic)).want("/console", http.StatusOK)
	if card(cb, "card-bookings") == "" || card(cb, "card-open") != "" {
		t.Errorf("the clinic staff's dashboard:\n%s", cb)
	}
}

package activities_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
)

// t0 is a Thursday morning in Shanghai.
var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, bot.Shanghai)

type rig struct {
	t     *testing.T
	store *storage.Store
	svc   *activities.Service
	clock *bottest.Clock
}

func newRig(t *testing.T, s *storage.Store) *rig {
	t.Helper()
	r := &rig{t: t, store: s, clock: bottest.NewClock(t0)}
	box := notifytest.Queue(t, s, notify.Config{Now: r.clock.Now})
	r.svc = activities.New(s, box, activities.Config{Now: r.clock.Now})
	return r
}

// create adds an activity starting in start from t0, lasting two hours,
// with sign-up closing when it starts.
func (r *rig) create(capacity, maxParty int, start time.Duration, qs ...activity.Question) activity.Activity {
	r.t.Helper()
	a, err := r.svc.Create(context.Background(), activity.Activity{
		Title: "邻里荟", Location: "社区活动室", StartsAt: t0.Add(start), EndsAt: t0.Add(start + 2*time.Hour),
		Capacity: capacity, MaxParty: maxParty, Questions: qs,
	})
	if err != nil {
		r.t.Fatalf("Create: %v", err)
	}
	return a
}

// taken sums the seats the sign-ups of activity id hold, and checks that
// it is what the activity counts and within its capacity.
func (r *rig) taken(id int64) int {
	r.t.Helper()
	ctx := context.Background()
	a, err := r.svc.Activity(ctx, id)
	if err != nil {
		r.t.Fatal(err)
	}
	sus, err := r.svc.Signups(ctx, id)
	if err != nil {
		r.t.Fatal(err)
	}
	sum := 0
	for _, su := range sus {
		if su.Status.HoldsSeats() {
			sum += su.PartySize
		}
	}
	if sum != a.SeatsTaken || a.SeatsTaken > a.Capacity {
		r.t.Fatalf("seats: held %d, counted %d, capacity %d", sum, a.SeatsTaken, a.Capacity)
	}
	return sum
}

// notice is what a test checks of a queued notification.
type notice struct {
	Kind, To, Asks, Replaces, Status, Text string
}

// notices returns the notifications queued to openid, oldest first.
func (r *rig) notices(openid string) []notice {
	r.t.Helper()
	all, err := r.store.ListNotifications(context.Background(), "", 10000, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []notice
	for i := len(all) - 1; i >= 0; i-- {
		n := all[i]
		if n.Recipient != openid {
			continue
		}
		var p struct{ Text string }
		if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, notice{Kind: n.Kind, To: n.Recipient, Asks: n.Asks, Replaces: n.Replaces, Status: n.Status, Text: p.Text})
	}
	return out
}

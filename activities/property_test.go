package activities_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// model is what the service should do, kept in memory: the seats, and
// each sign-up's party, status and offer, in arrival order.
type model struct {
	capacity, taken int
	start           time.Time // sign-up closes when it starts
	hold            time.Duration
	signups         []*modelSignup
}

type modelSignup struct {
	id     int64
	openid string
	party  int
	status activity.SignupStatus
	until  time.Time
}

func (m *model) active(openid string) *modelSignup {
	for _, s := range m.signups {
		if s.openid == openid && s.status.Active() {
			return s
		}
	}
	return nil
}

// signUp returns fewer > 0 (nothing recorded), or the new sign-up's
// status (and true when an existing one was returned), or refused.
func (m *model) signUp(openid string, party int, waitlist bool, now time.Time) (fewer int, st activity.SignupStatus, existing, refused bool) {
	if s := m.active(openid); s != nil {
		return 0, s.status, true, false
	}
	if !now.Before(m.start) {
		return 0, "", false, true
	}
	left := m.capacity - m.taken
	switch {
	case party <= left:
		m.taken += party
		st = activity.Confirmed
	case left > 0 && !waitlist:
		return left, "", false, false
	default:
		st = activity.Waitlisted
	}
	m.signups = append(m.signups, &modelSignup{openid: openid, party: party, status: st})
	return 0, st, false, false
}

func (m *model) promote(now time.Time) {
	for {
		left := m.capacity - m.taken
		if left == 0 || !now.Before(m.start) {
			return
		}
		i := slices.IndexFunc(m.signups, func(s *modelSignup) bool { return s.status == activity.Waitlisted && s.party <= left })
		if i < 0 {
			return
		}
		s := m.signups[i]
		m.taken += s.party
		if m.start.Sub(now) < m.hold {
			s.status = activity.Confirmed
		} else {
			s.status, s.until = activity.Offered, now.Add(m.hold)
		}
	}
}

func (m *model) release(s *modelSignup, now time.Time) {
	if s.status.HoldsSeats() {
		m.taken -= s.party
	}
	s.status, s.until = activity.Cancelled, time.Time{}
	m.promote(now)
}

func (m *model) lapse(now time.Time) int {
	n := 0
	for {
		var due *modelSignup
		for _, s := range m.signups {
			if s.status == activity.Offered && !now.Before(s.until) && (due == nil || s.until.Before(due.until)) {
				due = s
			}
		}
		if due == nil {
			return n
		}
		m.release(due, now)
		n++
	}
}

// TestSignupsAgainstModel runs random sequences of sign-ups (parties of
// 1–3, some asking for the waiting list), cancellations, accepted,
// declined and lapsing offers, check-ins, capacity changes and the
// passing of time against the service and the model, and after every
// step compares each sign-up's status, place on the waiting list and
// offer, and the seats: held = counted ≤ capacity, and nobody waiting
// who fits the seats left while the activity promotes.
func TestSignupsAgainstModel(t *testing.T) {
	steps := 200
	if testing.Short() {
		steps = 80
	}
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		seen := map[string]int{}
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runModel(t, s, seed, steps, seen) })
		}
		t.Logf("paths reached: %v", seen)
		// The sequences must reach every path, or they prove little.
		if testing.Short() {
			return
		}
		for _, action := range []string{activity.ActionSignedUp, activity.ActionWaitlisted, activity.ActionOffered,
			activity.ActionPromoted, activity.ActionAccepted, activity.ActionDeclined, activity.ActionLapsed,
			activity.ActionCancelled, activity.ActionCapacity, activity.ActionCheckedIn, "fewer", "refused"} {
			if seen[action] == 0 {
				t.Errorf("no %s in any sequence (seen %v)", action, seen)
			}
		}
	})
}

func runModel(t *testing.T, s *storage.Store, seed uint64, steps int, seen map[string]int) {
	ctx := context.Background()
	r := newRig(t, s)
	rnd := rand.New(rand.NewPCG(seed, 99))
	a := r.create(6, 3, 45*time.Hour)
	m := &model{capacity: 6, start: a.StartsAt, hold: activity.DefaultHold}
	pick := func(st ...activity.SignupStatus) *modelSignup {
		var c []*modelSignup
		for _, s := range m.signups {
			if slices.Contains(st, s.status) {
				c = append(c, s)
			}
		}
		if len(c) == 0 {
			return nil
		}
		return c[rnd.IntN(len(c))]
	}
	for step := range steps {
		now := r.clock.Now()
		var op string
		switch k := rnd.IntN(100); {
		case k < 35:
			openid := fmt.Sprintf("o-%d", rnd.IntN(14))
			party, wl := 1+rnd.IntN(3), rnd.IntN(5) == 0
			op = fmt.Sprintf("signup %s party %d waitlist %v", openid, party, wl)
			fewer, st, existing, refused := m.signUp(openid, party, wl, now)
			rec, err := r.svc.SignUp(ctx, activity.Draft{ActivityID: a.ID, OpenID: openid, Name: "居民", Phone: "13800000000",
				PartySize: party, Waitlist: wl, Key: fmt.Sprintf("k-%d-%d", seed, step)})
			switch {
			case refused != (err != nil):
				t.Fatalf("step %d %s: error %v, model refused %v", step, op, err, refused)
			case refused:
				seen["refused"]++
			case rec.Fewer != fewer || rec.Existing != existing || (fewer == 0 && rec.Signup.Status != st):
				t.Fatalf("step %d %s: receipt %+v, model fewer %d status %s existing %v", step, op, rec, fewer, st, existing)
			case fewer == 0 && !existing:
				m.signups[len(m.signups)-1].id = rec.Signup.ID
			case fewer > 0:
				seen["fewer"]++
			}
		case k < 48:
			ms := pick(activity.Confirmed, activity.Waitlisted, activity.Offered, activity.Attended)
			if ms == nil {
				continue
			}
			op = fmt.Sprintf("cancel %d (%s)", ms.id, ms.status)
			refused := ms.status == activity.Attended || !now.Before(m.start)
			_, err := r.svc.Cancel(ctx, ms.openid, ms.id)
			if refused != (err != nil) {
				t.Fatalf("step %d %s: error %v, model refused %v", step, op, err, refused)
			}
			if !refused {
				m.release(ms, now)
			}
		case k < 54:
			ms := pick(activity.Offered)
			if ms == nil {
				continue
			}
			op = fmt.Sprintf("accept %d", ms.id)
			refused := !now.Before(ms.until)
			_, err := r.svc.Accept(ctx, ms.openid, ms.id)
			if refused != (err != nil) {
				t.Fatalf("step %d %s: error %v, model refused %v", step, op, err, refused)
			}
			if !refused {
				ms.status, ms.until = activity.Confirmed, time.Time{}
			}
		case k < 58:
			ms := pick(activity.Offered)
			if ms == nil {
				continue
			}
			op = fmt.Sprintf("decline %d", ms.id)
			if _, err := r.svc.Decline(ctx, ms.openid, ms.id); err != nil {
				t.Fatalf("step %d %s: %v", step, op, err)
			}
			m.release(ms, now)
		case k < 63:
			ms := pick(activity.Confirmed)
			if ms == nil {
				continue
			}
			op = fmt.Sprintf("checkin %d", ms.id)
			if _, err := r.svc.CheckinResident(ctx, a.ID, ms.openid); err != nil {
				t.Fatalf("step %d %s: %v", step, op, err)
			}
			ms.status = activity.Attended
		case k < 73:
			c := rnd.IntN(12)
			op = fmt.Sprintf("capacity %d", c)
			refused := c < m.taken
			_, err := r.svc.SetCapacity(ctx, a.ID, c)
			if refused != (err != nil) {
				t.Fatalf("step %d %s: error %v, model refused %v", step, op, err, refused)
			}
			if !refused {
				m.capacity = c
				m.promote(now)
			}
		case k < 85:
			d := time.Duration(1+rnd.IntN(4)) * time.Hour
			op = fmt.Sprint("advance ", d)
			r.clock.Advance(d)
		default:
			op = "lapse"
			want := m.lapse(now)
			got, err := r.svc.Lapse(ctx)
			if err != nil || got != want {
				t.Fatalf("step %d lapse: %d, %v; model lapsed %d", step, got, err, want)
			}
		}
		compare(t, r, a.ID, m, fmt.Sprintf("step %d %s", step, op))
	}
	tl, err := r.svc.Timeline(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tl {
		seen[e.Action]++
	}
}

func compare(t *testing.T, r *rig, id int64, m *model, at string) {
	t.Helper()
	ctx := context.Background()
	a, err := r.svc.Activity(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.SeatsTaken != m.taken || a.Capacity != m.capacity {
		t.Fatalf("%s: %d of %d seats taken, model %d of %d", at, a.SeatsTaken, a.Capacity, m.taken, m.capacity)
	}
	sus, err := r.svc.Signups(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	for _, su := range sus {
		if su.Status.HoldsSeats() {
			held += su.PartySize
		}
	}
	if held != a.SeatsTaken || held > a.Capacity {
		t.Fatalf("%s: sign-ups hold %d seats, the activity counts %d of %d", at, held, a.SeatsTaken, a.Capacity)
	}
	if len(sus) != len(m.signups) {
		t.Fatalf("%s: %d sign-ups, model %d", at, len(sus), len(m.signups))
	}
	pos, active := 0, map[string]bool{}
	for i, su := range sus {
		ms := m.signups[i]
		want := 0
		if ms.status == activity.Waitlisted {
			pos++
			want = pos
		}
		var until time.Time
		if su.OfferedUntil != nil {
			until = *su.OfferedUntil
		}
		if su.ID != ms.id || su.Status != ms.status || su.PartySize != ms.party || su.Position != want || !until.Equal(ms.until) {
			t.Fatalf("%s: sign-up %d is %s party %d position %d until %v; model %d %s party %d position %d until %v",
				at, su.ID, su.Status, su.PartySize, su.Position, until, ms.id, ms.status, ms.party, want, ms.until)
		}
		if su.Status.Active() {
			if active[su.OpenID] {
				t.Fatalf("%s: %s has two active sign-ups", at, su.OpenID)
			}
			active[su.OpenID] = true
		}
		if su.Status == activity.Waitlisted && m.start.After(r.clock.Now()) && su.PartySize <= m.capacity-m.taken {
			t.Fatalf("%s: sign-up %d (party %d) waits with %d seats left", at, su.ID, su.PartySize, m.capacity-m.taken)
		}
	}
}

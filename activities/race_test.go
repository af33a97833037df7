package activities_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// TestSignUpRace races 300 residents (parties of 1–3, a tenth of them
// tapping confirm twice at once) for 50 seats, one goroutine per sign-up
// attempt. Residents told that fewer seats are left sign up again with
// that many. At no time do the confirmed parties hold more than 50 seats;
// at the end they hold exactly 50, everyone else is waitlisted in arrival
// order (after every confirmed sign-up, positions 1..n), and nobody has two
// sign-ups.
func TestSignUpRace(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		// Transactions race on up to 8 connections; the goroutines beyond
		// them queue in the pool (PostgreSQL's connections are shared by
		// every test running on this machine).
		// SQLite keeps its bounded pool (storage.DefaultSQLiteConns): with
		// 8 connections its writers poll the lock, and on a loaded machine
		// one waited out busy_timeout (SQLITE_BUSY at BEGIN).
		if s.Engine() == storage.EnginePostgres {
			s.DB().SetMaxOpenConns(8)
		}
		r := newRig(t, s)
		ctx := context.Background()
		a := r.create(50, 3, 72*time.Hour)
		const residents = 300
		rnd := rand.New(rand.NewPCG(10, 10))
		party := make([]int, residents)
		for i := range party {
			party[i] = 1 + rnd.IntN(3)
		}

		var stop atomic.Bool
		watchErr := make(chan error, 1)
		go func() { // confirmed seats never above 50, read while racing
			defer close(watchErr)
			for !stop.Load() {
				sus, err := r.svc.Signups(ctx, a.ID)
				if err != nil {
					watchErr <- err
					return
				}
				held := 0
				for _, su := range sus {
					if su.Status.HoldsSeats() {
						held += su.PartySize
					}
				}
				if held > 50 {
					watchErr <- fmt.Errorf("%d seats held of 50", held)
					return
				}
			}
		}()

		var wg sync.WaitGroup
		errs := make(chan error, 2*residents)
		for i := range residents {
			taps := 1
			if i%10 == 0 {
				taps = 2
			}
			for tap := range taps {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d := activity.Draft{ActivityID: a.ID, OpenID: fmt.Sprintf("o-%03d", i), Name: "居民", Phone: "13800000000",
						PartySize: party[i], Key: fmt.Sprintf("draft-%d-%d", i, tap)}
					for {
						rec, err := r.svc.SignUp(ctx, d)
						if err != nil {
							errs <- fmt.Errorf("resident %d: %w", i, err)
							return
						}
						if rec.Fewer == 0 {
							return
						}
						if rec.Fewer >= d.PartySize {
							errs <- fmt.Errorf("resident %d: offered %d seats for a party of %d", i, rec.Fewer, d.PartySize)
							return
						}
						d.PartySize = rec.Fewer // accept fewer seats
					}
				}()
			}
		}
		wg.Wait()
		stop.Store(true)
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if err := <-watchErr; err != nil {
			t.Error(err)
		}

		if got := r.taken(a.ID); got != 50 {
			t.Errorf("seats held at the end = %d, want 50", got)
		}
		sus, err := r.svc.Signups(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(sus) != residents {
			t.Errorf("%d sign-ups for %d residents", len(sus), residents)
		}
		seen := map[string]bool{}
		var lastConfirmed int64
		var waiting []activity.Signup
		for _, su := range sus {
			if seen[su.OpenID] {
				t.Errorf("%s signed up twice", su.OpenID)
			}
			seen[su.OpenID] = true
			switch su.Status {
			case activity.Confirmed:
				lastConfirmed = max(lastConfirmed, su.ID)
				if len(su.CheckinCode) != activity.CheckinCodeLen {
					t.Errorf("confirmed sign-up %d has code %q", su.ID, su.CheckinCode)
				}
			case activity.Waitlisted:
				waiting = append(waiting, su)
			default:
				t.Errorf("sign-up %d is %s", su.ID, su.Status)
			}
		}
		if !sort.SliceIsSorted(waiting, func(i, j int) bool { return waiting[i].ID < waiting[j].ID }) {
			t.Error("waiting list not in id order")
		}
		for i, su := range waiting {
			if su.Position != i+1 {
				t.Errorf("waitlisted sign-up %d at position %d, want %d", su.ID, su.Position, i+1)
			}
			if su.ID < lastConfirmed {
				t.Errorf("sign-up %d waitlisted before confirmed sign-up %d arrived", su.ID, lastConfirmed)
			}
		}
		if len(waiting) == 0 {
			t.Error("nobody waitlisted")
		}
	})
}

package activities_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/privacy"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

const (
	herName   = "马秀兰"
	herPhone  = "13912345678"
	herAnswer = "对花生过敏"
)

func (r *rig) privacy(policy privacy.Policy) *privacy.Service {
	r.t.Helper()
	runner, err := jobs.New(r.store, jobs.Config{}, quietLog())
	if err != nil {
		r.t.Fatal(err)
	}
	svc, err := privacy.New(r.store, runner, privacy.Config{Policy: policy, Now: r.clock.Now, Log: quietLog()})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := svc.Register(privacy.ResidentsHook(), activities.PrivacyHook(), notify.PrivacyHook()); err != nil {
		r.t.Fatal(err)
	}
	return svc
}

// herSignups signs her up twice: confirmed for a, then waitlisted for b
// and promoted when a seat frees, so that notices name her too.
func (r *rig) herSignups(a, b activity.Activity) {
	r.t.Helper()
	ctx := context.Background()
	d := draft(a, "o-her", 2)
	d.Name, d.Phone = herName, herPhone
	d.Answers = map[string]string{"note": herAnswer}
	r.signUp(d)
	first := r.signUp(draft(b, "o-first", 1)).Signup
	d.ActivityID, d.PartySize = b.ID, 1
	if su := r.signUp(d).Signup; su.Status != activity.Waitlisted {
		r.t.Fatalf("her second sign-up: %+v", su)
	}
	if _, err := r.svc.Cancel(ctx, "o-first", first.ID); err != nil {
		r.t.Fatal(err)
	}
}

// TestEraseSignups: erasing a resident leaves her name, phone, answers
// and openid in no column of any table, and keeps her sign-ups' party
// sizes and statuses for the statistics.
func TestEraseSignups(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		note := activity.Question{Key: "note", Label: "备注", Optional: true}
		a := r.create(10, 3, 48*time.Hour, note)
		b := r.create(1, 1, 72*time.Hour, note)
		r.herSignups(a, b)
		secrets := []string{herName, herPhone, herAnswer, "o-her"}
		if got := leaks(storagetest.Dump(t, s), secrets); len(got) < len(secrets) {
			t.Fatalf("the data to erase is not all in the database (%v): the test would prove nothing", got)
		}
		before := r.taken(a.ID) + r.taken(b.ID)

		rep, err := r.privacy(privacy.Policy{}).Erase(ctx, "o-her", "test")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Counts["activity_signups"] != 2 {
			t.Errorf("report %v, want 2 sign-ups", rep.Counts)
		}
		if got := leaks(storagetest.Dump(t, s), secrets); len(got) > 0 {
			t.Errorf("left after erasure:\n%s", strings.Join(got, "\n"))
		}
		// Her seats (2 of a, 1 of b) are freed: nobody could reach her.
		if after := r.taken(a.ID) + r.taken(b.ID); after != before-3 {
			t.Errorf("seats taken %d after erasure, want %d", after, before-3)
		}
		sus, err := r.svc.Signups(ctx, a.ID)
		if err != nil || len(sus) != 1 || sus[0].PartySize != 2 || sus[0].Status != activity.Cancelled {
			t.Errorf("her sign-up after erasure: %+v, %v", sus, err)
		}
		again, err := r.privacy(privacy.Policy{}).Erase(ctx, "o-her", "test")
		if err != nil || again.Counts["activity_signups"] != 0 {
			t.Errorf("second erasure: %v, %v", again.Counts, err)
		}
	})
}

// TestExpireSignups: retention blanks the sign-ups of activities that
// ended longer ago than the records policy, and only those.
func TestExpireSignups(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		past := r.create(10, 3, 2*time.Hour)
		d := draft(past, "o-her", 1)
		d.Name, d.Phone = herName, herPhone
		r.signUp(d)
		current := r.create(10, 3, 20*24*time.Hour)
		r.signUp(draft(current, "o-other", 1))
		r.clock.Advance(10 * 24 * time.Hour)

		rep, err := r.privacy(privacy.Policy{Records: 7 * 24 * time.Hour}).Expire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Counts["activity_signups"] != 1 {
			t.Errorf("expired %v, want one sign-up", rep.Counts)
		}
		old, err := r.svc.Signups(ctx, past.ID)
		if err != nil || len(old) != 1 || old[0].Name != "" || old[0].Phone != "" || old[0].OpenID != "" || old[0].PartySize != 1 {
			t.Errorf("the past sign-up: %+v, %v", old, err)
		}
		kept, err := r.svc.Signups(ctx, current.ID)
		if err != nil || len(kept) != 1 || kept[0].OpenID != "o-other" || kept[0].Name == "" {
			t.Errorf("the current sign-up: %+v, %v", kept, err)
		}
	})
}

// leaks returns the secrets found in the dump, with the line.
func leaks(d string, secrets []string) []string {
	var out []string
	for _, s := range secrets {
		for _, line := range strings.Split(d, "\n") {
			if strings.Contains(line, s) {
				out = append(out, fmt.Sprintf("%q in %s", s, line))
				break
			}
		}
	}
	return out
}

// TestEraseFreesSeats: erasing a resident cancels her sign-ups for
// activities not yet started (nobody could tell her of an offer or
// check her in), and the next sweep offers her seats to the waiting
// list; sign-ups of activities over stay as they were, for the counts.
func TestEraseFreesSeats(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		a := r.create(1, 1, 48*time.Hour)
		r.signUp(draft(a, "o-her", 1))
		next := r.signUp(draft(a, "o-next", 1)).Signup
		if next.Status != activity.Waitlisted {
			t.Fatalf("second sign-up: %+v", next)
		}
		over := r.create(5, 1, time.Hour)
		r.signUp(draft(over, "o-her", 1))
		r.clock.Advance(3 * time.Hour) // over has started and ended

		if _, err := r.privacy(privacy.Policy{}).Erase(ctx, "o-her", "test"); err != nil {
			t.Fatal(err)
		}
		if got := r.taken(a.ID); got != 0 {
			t.Errorf("seats taken %d after her erasure, want 0", got)
		}
		if got := r.taken(over.ID); got != 1 {
			t.Errorf("seats of the activity over: %d, want 1 (kept for the counts)", got)
		}
		n, err := r.svc.Settle(ctx)
		if err != nil || n != 1 {
			t.Fatalf("Settle: %d, %v; want 1 activity", n, err)
		}
		sus, err := r.svc.Signups(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, su := range sus {
			if su.ID == next.ID && !su.Status.HoldsSeats() {
				t.Errorf("the next on the waiting list: %+v, want the freed seat", su)
			}
		}
		if n, err := r.svc.Settle(ctx); err != nil || n != 0 {
			t.Errorf("a second sweep: %d, %v; want nothing to do", n, err)
		}
	})
}

package activities_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

func draft(a activity.Activity, openid string, party int) activity.Draft {
	return activity.Draft{ActivityID: a.ID, OpenID: openid, Name: "王阿姨", Phone: "13800000000", PartySize: party}
}

func (r *rig) signUp(d activity.Draft) activity.Receipt {
	r.t.Helper()
	rec, err := r.svc.SignUp(context.Background(), d)
	if err != nil {
		r.t.Fatalf("SignUp(%s): %v", d.OpenID, err)
	}
	return rec
}

func wantCode(t *testing.T, err error, code bot.Code) {
	t.Helper()
	if got := bot.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

// TestSignUpReceipts covers a receipt's cases: confirmed with a code,
// fewer seats told (nothing recorded), waitlisted with a position, the
// existing sign-up on a second attempt, and a retried draft.
func TestSignUpReceipts(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		a := r.create(3, 3, 48*time.Hour)
		d := draft(a, "o-a", 2)
		d.Key = "draft-a"
		rec := r.signUp(d)
		if rec.Signup.Status != activity.Confirmed || len(rec.Signup.CheckinCode) != 6 || rec.SeatsLeft != 1 {
			t.Fatalf("first: %+v", rec)
		}
		if again := r.signUp(d); !again.Repeat || again.Signup.ID != rec.Signup.ID {
			t.Errorf("retried draft: %+v", again)
		}
		d.Key = "another"
		if again := r.signUp(d); !again.Existing || again.Signup.ID != rec.Signup.ID {
			t.Errorf("second sign-up: %+v", again)
		}
		if fewer := r.signUp(draft(a, "o-b", 3)); fewer.Fewer != 1 || fewer.Signup.ID != 0 {
			t.Errorf("party of 3 for 1 seat: %+v", fewer)
		}
		wl := draft(a, "o-b", 3)
		wl.Waitlist = true
		if rec := r.signUp(wl); rec.Signup.Status != activity.Waitlisted || rec.Signup.Position != 1 {
			t.Errorf("waitlist asked: %+v", rec)
		}
		r.signUp(draft(a, "o-c", 1))
		if rec := r.signUp(draft(a, "o-d", 1)); rec.Signup.Status != activity.Waitlisted || rec.Signup.Position != 2 {
			t.Errorf("full: %+v", rec)
		}
		_, err := r.svc.SignUp(context.Background(), draft(a, "o-e", 4))
		wantCode(t, err, bot.CodeInvalid)
	})
}

// TestSignUpCloses refuses sign-ups at the deadline, at the start, and
// for a cancelled or unknown activity, and checks the questions' answers.
func TestSignUpCloses(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		deadline := t0.Add(24 * time.Hour)
		a, err := r.svc.Create(ctx, activity.Activity{Title: "情浓百家宴", StartsAt: t0.Add(48 * time.Hour), EndsAt: t0.Add(50 * time.Hour),
			Capacity: 10, SignupDeadline: &deadline,
			Questions: []activity.Question{{Key: "民族", Label: "民族", Choices: []string{"汉族", "回族"}}, {Key: "饮食", Label: "饮食禁忌", Optional: true}}})
		if err != nil {
			t.Fatal(err)
		}
		d := draft(a, "o-a", 1)
		_, err = r.svc.SignUp(ctx, d)
		wantCode(t, err, bot.CodeInvalid) // 民族 not answered
		d.Answers = map[string]string{"民族": "满族"}
		_, err = r.svc.SignUp(ctx, d)
		wantCode(t, err, bot.CodeInvalid) // not a choice
		d.Answers = map[string]string{"民族": "回族", "饮食": " 清真 ", "x": "dropped"}
		if rec := r.signUp(d); rec.Signup.Answers["饮食"] != "清真" || len(rec.Signup.Answers) != 2 {
			t.Errorf("answers kept: %v", rec.Signup.Answers)
		}
		if ups, _ := r.svc.Upcoming(ctx); len(ups) != 1 {
			t.Errorf("upcoming before the deadline: %d", len(ups))
		}
		r.clock.Set(deadline)
		d = draft(a, "o-b", 1)
		d.Answers = map[string]string{"民族": "汉族"}
		_, err = r.svc.SignUp(ctx, d)
		wantCode(t, err, bot.CodeConflict)
		if ups, _ := r.svc.Upcoming(ctx); len(ups) != 0 {
			t.Errorf("upcoming after the deadline: %d", len(ups))
		}
		_, err = r.svc.SignUp(ctx, draft(activity.Activity{ID: 999}, "o-b", 1))
		wantCode(t, err, bot.CodeNotFound)
	})
}

// TestOffers: a cancellation offers the freed seats to the first waiting
// party that fits, with a 12-hour hold; a lapse passes them on; close to
// the start a promotion is confirmed at once; timeline entries record each.
func TestOffers(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		a := r.create(2, 3, 36*time.Hour)
		first := r.signUp(draft(a, "o-a", 2)).Signup
		big := r.signUp(activity.Draft{ActivityID: a.ID, OpenID: "o-big", PartySize: 3}).Signup
		one := r.signUp(draft(a, "o-one", 1)).Signup
		two := r.signUp(draft(a, "o-two", 1)).Signup
		if big.Position != 1 || one.Position != 2 || two.Position != 3 {
			t.Fatalf("positions %d %d %d", big.Position, one.Position, two.Position)
		}
		if _, err := r.svc.Cancel(ctx, "o-other", first.ID); bot.ErrorCode(err) != bot.CodeNotFound {
			t.Fatalf("cancel another's sign-up: %v", err)
		}
		if _, err := r.svc.Cancel(ctx, "o-a", first.ID); err != nil {
			t.Fatal(err)
		}
		sus, _ := r.svc.Signups(ctx, a.ID)
		// big (3) does not fit 2 seats; one and two are offered one each.
		if sus[1].Status != activity.Waitlisted || sus[2].Status != activity.Offered || sus[3].Status != activity.Offered {
			t.Fatalf("after cancel: %s %s %s", sus[1].Status, sus[2].Status, sus[3].Status)
		}
		if want := t0.Add(12 * time.Hour).UTC(); !sus[2].OfferedUntil.Equal(want) {
			t.Errorf("offer held until %v, want %v", sus[2].OfferedUntil, want)
		}
		offer := r.notices("o-one")
		if len(offer) != 1 || offer[0].Kind != "activity_offer" || offer[0].Asks != bot.Ask(activity.QuestionOffer, fmt.Sprint(one.ID)) ||
			offer[0].Replaces != fmt.Sprintf("activity:%d", a.ID) || !strings.Contains(offer[0].Text, "回复 1 或「接受」") {
			t.Fatalf("offer notice: %+v", offer)
		}
		if _, err := r.svc.Accept(ctx, "o-one", one.ID); err != nil {
			t.Fatal(err)
		}
		if got := r.notices("o-one"); got[0].Status != storage.NotificationDropped {
			t.Errorf("the answered offer not yet delivered is withdrawn: %+v", got)
		}
		if _, err := r.svc.Accept(ctx, "o-one", one.ID); err != nil {
			t.Errorf("accepting twice: %v", err)
		}
		r.clock.Advance(12 * time.Hour)
		if _, err := r.svc.Accept(ctx, "o-two", two.ID); bot.ErrorCode(err) != bot.CodeConflict {
			t.Errorf("accept after the hold: %v", err)
		}
		if n, err := r.svc.Lapse(ctx); err != nil || n != 1 {
			t.Fatalf("Lapse: %d, %v", n, err)
		}
		if got := r.notices("o-two"); len(got) != 2 || got[1].Kind != "activity_lapsed" || got[0].Status != storage.NotificationDropped {
			t.Errorf("lapse news replaces the pending offer: %+v", got)
		}
		late := r.signUp(draft(a, "o-late", 1)).Signup
		if late.Status != activity.Confirmed {
			t.Errorf("the lapsed seat, with big still not fitting, goes to a newcomer: %s", late.Status)
		}
		// At 30 h, 6 h before the start, less than the hold remains: the
		// seats a raise frees confirm big at once.
		r.clock.Advance(18 * time.Hour)
		if _, err := r.svc.SetCapacity(ctx, a.ID, 1); bot.ErrorCode(err) != bot.CodeConflict {
			t.Errorf("capacity below the seats held: %v", err)
		}
		if _, err := r.svc.SetCapacity(ctx, a.ID, 5); err != nil {
			t.Fatal(err)
		}
		got, _ := r.svc.Signups(ctx, a.ID)
		if got[1].Status != activity.Confirmed || got[1].OfferedUntil != nil {
			t.Errorf("big after the raise: %s until %v", got[1].Status, got[1].OfferedUntil)
		}
		if got := r.notices("o-big"); len(got) != 1 || got[0].Kind != "activity_promoted" || got[0].Asks != "" ||
			!strings.Contains(got[0].Text, "签到码:"+big.CheckinCode) {
			t.Errorf("promotion notice: %+v", got)
		}
		if r.taken(a.ID) != 5 {
			t.Errorf("seats held %d, want 5", r.taken(a.ID))
		}
		tl, _ := r.svc.Timeline(ctx, a.ID)
		var actions []string
		for _, e := range tl {
			if e.Action != activity.ActionSignedUp && e.Action != activity.ActionWaitlisted {
				actions = append(actions, e.Action)
			}
		}
		want := []string{"cancelled", "offered", "offered", "accepted", "lapsed", "capacity", "promoted"}
		if len(actions) != len(want) {
			t.Fatalf("timeline %v, want %v", actions, want)
		}
		for i := range want {
			if actions[i] != want[i] {
				t.Fatalf("timeline %v, want %v", actions, want)
			}
		}
	})
}

// TestCheckin: a confirmed code checks in once; an unknown code is
// not_found, a second check-in a conflict, a waitlisted resident is told.
func TestCheckin(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		a := r.create(1, 1, 2*time.Hour)
		su := r.signUp(draft(a, "o-a", 1)).Signup
		r.signUp(draft(a, "o-b", 1))
		_, err := r.svc.Checkin(ctx, a.ID, "000000x")
		wantCode(t, err, bot.CodeNotFound)
		got, err := r.svc.Checkin(ctx, a.ID, su.CheckinCode)
		if err != nil || got.Status != activity.Attended {
			t.Fatalf("Checkin: %+v, %v", got, err)
		}
		_, err = r.svc.Checkin(ctx, a.ID, su.CheckinCode)
		wantCode(t, err, bot.CodeConflict)
		_, err = r.svc.CheckinResident(ctx, a.ID, "o-b")
		wantCode(t, err, bot.CodeConflict)
		_, err = r.svc.CheckinResident(ctx, a.ID, "o-nobody")
		wantCode(t, err, bot.CodeNotFound)
		if _, err := r.svc.Cancel(ctx, "o-a", su.ID); bot.ErrorCode(err) != bot.CodeConflict {
			t.Errorf("cancel after check-in: %v", err)
		}
		mine, err := r.svc.Mine(ctx, "o-a")
		if err != nil || len(mine) != 1 || mine[0].Activity.ID != a.ID || mine[0].Signup.Status != activity.Attended {
			t.Errorf("Mine: %+v, %v", mine, err)
		}
	})
}

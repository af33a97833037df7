package activities_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/community"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

func ptr[T any](v T) *T { return &v }

// texts returns the texts of the notices queued to openid of kind.
func (r *rig) texts(openid, kind string) []string {
	r.t.Helper()
	var out []string
	for _, n := range r.notices(openid) {
		if n.Kind == kind {
			out = append(out, n.Text)
		}
	}
	return out
}

func TestUpdateCapacity(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		a := r.create(2, 2, 72*time.Hour)
		r.signUp(draft(a, "o-a", 2))
		w := draft(a, "o-b", 2)
		w.Waitlist = true
		if rec := r.signUp(w); rec.Signup.Status != activity.Waitlisted {
			t.Fatalf("o-b: %+v", rec)
		}

		_, err := r.svc.Update(ctx, a.ID, activities.Patch{Capacity: ptr(1)})
		wantCode(t, err, bot.CodeConflict)
		var ue *bot.UserError
		if !errors.As(err, &ue) || ue.Field != "capacity" || !strings.Contains(ue.Message, "2") {
			t.Errorf("lowering below the seats held: %v", err)
		}

		got, err := r.svc.Update(ctx, a.ID, activities.Patch{Capacity: ptr(4), Title: ptr(" 邻里荟（加场） ")})
		if err != nil {
			t.Fatalf("raise: %v", err)
		}
		if got.Capacity != 4 || got.Title != "邻里荟（加场）" || got.SeatsTaken != 4 {
			t.Errorf("after raising: %+v", got)
		}
		if n := r.texts("o-b", "activity_offer"); len(n) != 1 {
			t.Errorf("o-b was offered %d times, want once: the waiting list is promoted", len(n))
		}
		r.taken(a.ID)
		tl, err := r.svc.Timeline(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range tl {
			actions = append(actions, e.Action+":"+e.Note)
		}
		joined := strings.Join(actions, " ")
		if !strings.Contains(joined, "capacity:2 → 4") || !strings.Contains(joined, "edited:title") || !strings.Contains(joined, "offered:") {
			t.Errorf("timeline: %v", actions)
		}
	})
}

func TestUpdateValidation(t *testing.T) {
	r := newRig(t, storagetest.Open(t))
	ctx := context.Background()
	a := r.create(5, 1, 72*time.Hour)
	for name, tc := range map[string]struct {
		p     activities.Patch
		field string
	}{
		"title":     {activities.Patch{Title: ptr("  ")}, "title"},
		"ends":      {activities.Patch{EndsAt: ptr(a.StartsAt)}, "ends_at"},
		"capacity":  {activities.Patch{Capacity: ptr(-1)}, "capacity"},
		"party":     {activities.Patch{MaxParty: ptr(0)}, "max_party"},
		"deadline":  {activities.Patch{SetDeadline: true, SignupDeadline: ptr(a.StartsAt.Add(time.Minute))}, "signup_deadline"},
		"questions": {activities.Patch{Questions: &[]activity.Question{{Key: "a", Label: "甲"}, {Key: "a", Label: "乙"}}}, "questions"},
		"organizer": {activities.Patch{OrganizerID: ptr(int64(999))}, "organizer_id"},
	} {
		_, err := r.svc.Update(ctx, a.ID, tc.p)
		var ue *bot.UserError
		if !errors.As(err, &ue) || ue.Code != bot.CodeInvalid || ue.Field != tc.field {
			t.Errorf("%s: %v, want invalid %s", name, err, tc.field)
		}
	}
	_, err := r.svc.Update(ctx, 999, activities.Patch{Title: ptr("x")})
	wantCode(t, err, bot.CodeNotFound)
	// Clearing the deadline and the organiser.
	got, err := r.svc.Update(ctx, a.ID, activities.Patch{SetDeadline: true, OrganizerID: ptr(int64(0))})
	if err != nil || got.SignupDeadline != nil || got.OrganizerID != 0 {
		t.Errorf("clearing: %+v, %v", got, err)
	}
}

// What staff type is bounded and kept to what every place it shows can
// carry: a capacity the database column holds (PostgreSQL's INTEGER
// failed with a 500), one-line titles and places (they head pushes,
// template fields and the calendar, where a bare CR starts a line),
// questions the conversation can number.
func TestCreateLimits(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		q := func(key, label string, choices ...string) activity.Question {
			return activity.Question{Key: key, Label: label, Choices: choices}
		}
		many := make([]activity.Question, activity.MaxQuestions+1)
		for i := range many {
			many[i] = q(fmt.Sprintf("q%d", i), "问题")
		}
		for name, tc := range map[string]struct {
			edit  func(a *activity.Activity)
			field string
		}{
			"huge capacity":  {func(a *activity.Activity) { a.Capacity = 1 << 31 }, "capacity"},
			"huge party":     {func(a *activity.Activity) { a.MaxParty = 1000 }, "max_party"},
			"title newline":  {func(a *activity.Activity) { a.Title = "邻里荟\r\n地点：别处" }, "title"},
			"title CR":       {func(a *activity.Activity) { a.Title = "邻里荟\rX-INJECTED:1" }, "title"},
			"long title":     {func(a *activity.Activity) { a.Title = strings.Repeat("荟", 101) }, "title"},
			"location NUL":   {func(a *activity.Activity) { a.Location = "活动室\x00" }, "location"},
			"long location":  {func(a *activity.Activity) { a.Location = strings.Repeat("室", 201) }, "location"},
			"long desc":      {func(a *activity.Activity) { a.Description = strings.Repeat("好", 501) }, "description"},
			"desc control":   {func(a *activity.Activity) { a.Description = "带碗\x1b[31m" }, "description"},
			"many questions": {func(a *activity.Activity) { a.Questions = many }, "questions"},
			"empty choice":   {func(a *activity.Activity) { a.Questions = []activity.Question{q("m", "民族", "汉", " ")} }, "questions"},
			"same choice":    {func(a *activity.Activity) { a.Questions = []activity.Question{q("m", "民族", "汉", " 汉")} }, "questions"},
			"label newline":  {func(a *activity.Activity) { a.Questions = []activity.Question{q("m", "民族\n请选")} }, "questions"},
			"long key":       {func(a *activity.Activity) { a.Questions = []activity.Question{q(strings.Repeat("k", 65), "民族")} }, "questions"},
		} {
			a := activity.Activity{Title: "邻里荟", StartsAt: t0.Add(72 * time.Hour), EndsAt: t0.Add(74 * time.Hour), Capacity: 5}
			tc.edit(&a)
			_, err := r.svc.Create(ctx, a)
			var ue *bot.UserError
			if !errors.As(err, &ue) || ue.Code != bot.CodeInvalid || ue.Field != tc.field {
				t.Errorf("Create, %s: %v, want invalid %s", name, err, tc.field)
			}
		}
		// Within bounds: a description's lines are kept, its CRs dropped;
		// choices are trimmed.
		got, err := r.svc.Create(ctx, activity.Activity{Title: "百家宴", Description: "带碗筷\r\n\t清真另桌", StartsAt: t0.Add(72 * time.Hour),
			EndsAt: t0.Add(74 * time.Hour), Capacity: 100000, MaxParty: 10, Questions: []activity.Question{q("m", "民族", " 汉 ", "回")}})
		if err != nil {
			t.Fatal(err)
		}
		if got.Description != "带碗筷\n\t清真另桌" || got.Questions[0].Choices[0] != "汉" {
			t.Errorf("kept: %q %q", got.Description, got.Questions[0].Choices)
		}
		// An edit is held to the same bounds.
		_, err = r.svc.Update(ctx, got.ID, activities.Patch{Capacity: ptr(1 << 31)})
		var ue *bot.UserError
		if !errors.As(err, &ue) || ue.Field != "capacity" {
			t.Errorf("Update, huge capacity: %v", err)
		}
		_, err = r.svc.SetCapacity(ctx, got.ID, 1<<31)
		if !errors.As(err, &ue) || ue.Field != "capacity" || ue.Code != bot.CodeInvalid {
			t.Errorf("SetCapacity, huge: %v", err)
		}
		_, err = r.svc.Update(ctx, got.ID, activities.Patch{Location: ptr("A\nB")})
		if !errors.As(err, &ue) || ue.Field != "location" {
			t.Errorf("Update, location newline: %v", err)
		}
	})
}

// TestUpdatePlaceTellsParticipants: a new place is news to everyone
// coming, as a new time is; a retry tells nobody twice, and the notice
// names no resident in its group (an erasure blanks recipients, not
// groups).
func TestUpdatePlaceTellsParticipants(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		a := r.create(1, 1, 72*time.Hour)
		r.signUp(draft(a, "o-in", 1))
		r.signUp(draft(a, "o-wait", 1))
		p := activities.Patch{Location: ptr("二楼大厅")}
		for range 2 {
			if _, err := r.svc.Update(ctx, a.ID, p); err != nil {
				t.Fatal(err)
			}
		}
		for _, who := range []string{"o-in", "o-wait"} {
			n := r.texts(who, "activity_moved")
			if len(n) != 1 || !strings.Contains(n[0], "地点有变") || !strings.Contains(n[0], "二楼大厅") || !strings.Contains(n[0], a.Location) {
				t.Errorf("%s was told %q, want the old and the new place once", who, n)
			}
		}
		start := a.StartsAt.Add(time.Hour)
		if _, err := r.svc.Update(ctx, a.ID, activities.Patch{StartsAt: &start, Location: ptr("三楼")}); err != nil {
			t.Fatal(err)
		}
		n := r.texts("o-in", "activity_moved")
		if len(n) != 2 || !strings.Contains(n[1], "时间和地点有变") || !strings.Contains(n[1], "三楼") {
			t.Errorf("after time and place: %q", n)
		}
		for _, who := range []string{"o-in", "o-wait"} {
			for _, x := range r.notices(who) {
				if strings.Contains(x.Replaces, who) {
					t.Errorf("notice %s groups under %q, naming the resident", x.Kind, x.Replaces)
				}
			}
		}
	})
}

func TestUpdateTimeTellsParticipants(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		a := r.create(2, 1, 72*time.Hour)
		r.signUp(draft(a, "o-in", 1))
		gone := r.signUp(draft(a, "o-gone", 1))
		r.signUp(draft(a, "o-wait", 1))
		if _, err := r.svc.Cancel(ctx, "o-gone", gone.Signup.ID); err != nil {
			t.Fatal(err)
		}
		// o-wait is now offered o-gone's seat; o-late waits.
		r.signUp(draft(a, "o-late", 1))

		start := a.StartsAt.Add(24 * time.Hour)
		p := activities.Patch{StartsAt: &start, EndsAt: ptr(start.Add(3 * time.Hour))}
		got, err := r.svc.Update(ctx, a.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		if !got.StartsAt.Equal(start) {
			t.Errorf("starts %v, want %v", got.StartsAt, start)
		}
		for _, who := range []string{"o-in", "o-wait", "o-late"} {
			n := r.texts(who, "activity_moved")
			if len(n) != 1 || !strings.Contains(n[0], "11-29 周日 10:00-12:00") || !strings.Contains(n[0], "11-30 周一 10:00-13:00") {
				t.Errorf("%s was told %q, want the old and the new time once", who, n)
			}
		}
		if n := r.texts("o-gone", "activity_moved"); len(n) != 0 {
			t.Errorf("a cancelled sign-up was told: %q", n)
		}
		// The same change again (a retried request) tells nobody twice.
		if _, err := r.svc.Update(ctx, a.ID, p); err != nil {
			t.Fatal(err)
		}
		if n := r.texts("o-in", "activity_moved"); len(n) != 1 {
			t.Errorf("after a retry o-in was told %d times", len(n))
		}
		// A title alone tells nobody.
		if _, err := r.svc.Update(ctx, a.ID, activities.Patch{Description: ptr("带上碗筷")}); err != nil {
			t.Fatal(err)
		}
		if n := r.texts("o-in", "activity_moved"); len(n) != 1 {
			t.Errorf("after a description o-in was told %d times", len(n))
		}
	})
}

// A time moved there and back and there again is news each time: the
// third notice must not be taken for the first (same new time) and
// dropped, leaving residents with the second ("back to the old time").
func TestUpdateTimeMovedBackAndForth(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		a := r.create(2, 1, 72*time.Hour)
		r.signUp(draft(a, "o-in", 1))
		there := a.StartsAt.Add(24 * time.Hour)
		for i, start := range []time.Time{there, a.StartsAt, there} {
			if _, err := r.svc.Update(ctx, a.ID, activities.Patch{StartsAt: &start, EndsAt: ptr(start.Add(2 * time.Hour))}); err != nil {
				t.Fatalf("move %d: %v", i+1, err)
			}
		}
		var live []string
		for _, n := range r.notices("o-in") {
			if n.Kind == "activity_moved" && n.Status != storage.NotificationDropped {
				live = append(live, n.Text)
			}
		}
		if len(live) != 1 || !strings.Contains(live[0], "改为 11-30 周一 10:00-12:00") {
			t.Errorf("o-in will read %q, want the last move (to 11-30) only", live)
		}
		if n := r.texts("o-in", "activity_moved"); len(n) != 3 {
			t.Errorf("o-in was told of %d moves, want 3", len(n))
		}
	})
}

// A reason or a notice with a NUL was a 500 on PostgreSQL (the timeline
// note is TEXT); control characters other than line breaks and tabs are
// no text for a push.
func TestStaffTextControlCharacters(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		a := r.create(5, 1, 72*time.Hour)
		r.signUp(draft(a, "o-in", 1))
		var ue *bot.UserError
		if _, err := r.svc.Notify(ctx, a.ID, "带碗\x00", ""); !errors.As(err, &ue) || ue.Field != "text" {
			t.Errorf("Notify with a NUL: %v, want invalid text", err)
		}
		if _, err := r.svc.CancelActivity(ctx, a.ID, "下雨\x00"); !errors.As(err, &ue) || ue.Field != "reason" {
			t.Errorf("CancelActivity with a NUL: %v, want invalid reason", err)
		}
		n, err := r.svc.Notify(ctx, a.ID, "改到室内\r\n\t请带伞", "")
		if err != nil || n.Recipients != 1 {
			t.Fatalf("Notify on two lines: %+v, %v", n, err)
		}
		if got := r.texts("o-in", "activity_notice"); len(got) != 1 || !strings.Contains(got[0], "改到室内\n\t请带伞") {
			t.Errorf("o-in reads %q", got)
		}
	})
}

// An offer never outlasts sign-up, also when staff bring the deadline
// (or the start) forward: an offer held past the new close is confirmed
// at once, as a promotion with less than the hold left would be; before,
// it stayed open past the close, so the seat could be accepted, or
// lapse and go to nobody, after sign-up had closed.
func TestUpdateCloseBeforeAnOfferEnds(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		a := r.create(1, 1, 72*time.Hour)
		in := r.signUp(draft(a, "o-in", 1))
		r.signUp(draft(a, "o-next", 1))
		if _, err := r.svc.Cancel(ctx, "o-in", in.Signup.ID); err != nil {
			t.Fatal(err)
		}
		deadline := t0.Add(6 * time.Hour)
		got, err := r.svc.Update(ctx, a.ID, activities.Patch{SetDeadline: true, SignupDeadline: &deadline})
		if err != nil {
			t.Fatal(err)
		}
		sus, err := r.svc.Signups(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, su := range sus {
			if su.OpenID != "o-next" {
				continue
			}
			if su.Status != activity.Confirmed || su.OfferedUntil != nil {
				t.Errorf("o-next: %s until %v, want confirmed (sign-up closes %v)", su.Status, su.OfferedUntil, got.Closes())
			}
		}
		if n := r.texts("o-next", "activity_promoted"); len(n) != 1 || !strings.Contains(n[0], "签到码") {
			t.Errorf("o-next was told %q, want the promotion once", n)
		}
		r.taken(a.ID)
		// Nothing lapses later.
		r.clock.Advance(13 * time.Hour)
		if n, err := r.svc.Lapse(ctx); err != nil || n != 0 {
			t.Errorf("Lapse: %d, %v", n, err)
		}
	})
}

func TestCancelActivity(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		a := r.create(2, 1, 72*time.Hour)
		in := r.signUp(draft(a, "o-in", 1))
		gone := r.signUp(draft(a, "o-gone", 1))
		r.signUp(draft(a, "o-offered", 1))
		if _, err := r.svc.Cancel(ctx, "o-gone", gone.Signup.ID); err != nil {
			t.Fatal(err)
		}
		r.signUp(draft(a, "o-wait", 1))

		_, err := r.svc.CancelActivity(ctx, a.ID, "  ")
		wantCode(t, err, bot.CodeInvalid)
		got, err := r.svc.CancelActivity(ctx, a.ID, "台风预警")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != activity.ActivityCancelled || got.SeatsTaken != 1 {
			t.Errorf("cancelled: %+v (the offer's seat freed, o-in's kept)", got)
		}
		for _, who := range []string{"o-in", "o-offered", "o-wait"} {
			n := r.texts(who, "activity_cancelled")
			if len(n) != 1 || !strings.Contains(n[0], "台风预警") || !strings.Contains(n[0], "已取消") {
				t.Errorf("%s was told %q", who, n)
			}
		}
		if n := r.texts("o-gone", "activity_cancelled"); len(n) != 0 {
			t.Errorf("o-gone was told %q", n)
		}
		// The offer was withdrawn: it can neither be accepted nor lapse.
		sus, err := r.svc.Signups(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, su := range sus {
			if su.OpenID == "o-offered" && su.Status != activity.Cancelled {
				t.Errorf("offer after cancelling: %s", su.Status)
			}
		}
		r.clock.Advance(24 * time.Hour)
		if n, err := r.svc.Lapse(ctx); err != nil || n != 0 {
			t.Errorf("Lapse: %d, %v", n, err)
		}
		_, err = r.svc.CancelActivity(ctx, a.ID, "再取消")
		wantCode(t, err, bot.CodeConflict)
		// Seats freed afterwards promote nobody.
		if _, err := r.svc.Cancel(ctx, "o-in", in.Signup.ID); err != nil {
			t.Fatal(err)
		}
		if n := r.texts("o-wait", "activity_offer"); len(n) != 0 {
			t.Errorf("o-wait was offered a seat of a cancelled activity: %q", n)
		}
		_, err = r.svc.SignUp(ctx, draft(a, "o-new", 1))
		wantCode(t, err, bot.CodeConflict)
		_, err = r.svc.Update(ctx, a.ID, activities.Patch{Capacity: ptr(10)})
		wantCode(t, err, bot.CodeConflict)
		_, err = r.svc.Notify(ctx, a.ID, "还来吗", "")
		wantCode(t, err, bot.CodeConflict)
		_, err = r.svc.CancelActivity(ctx, 999, "x")
		wantCode(t, err, bot.CodeNotFound)
		r.taken(a.ID)
	})
}

// Nobody checks in to a cancelled activity: its confirmed sign-ups stay
// confirmed for the record, and a resident scanning the venue's poster
// must not read 签到成功 for an event that is off.
func TestCheckinCancelledActivity(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		a := r.create(5, 1, 72*time.Hour)
		in := r.signUp(draft(a, "o-in", 1))
		r.signUp(draft(a, "o-scan", 1))
		if _, err := r.svc.CancelActivity(ctx, a.ID, "台风预警"); err != nil {
			t.Fatal(err)
		}
		_, err := r.svc.Checkin(ctx, a.ID, in.Signup.CheckinCode)
		wantCode(t, err, bot.CodeConflict)
		_, err = r.svc.CheckinResident(ctx, a.ID, "o-scan")
		wantCode(t, err, bot.CodeConflict)
		if !strings.Contains(err.Error(), "已取消") {
			t.Errorf("the resident reads %q, want that it was cancelled", err)
		}
	})
}

func TestNotify(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		a := r.create(1, 1, 72*time.Hour)
		r.signUp(draft(a, "o-in", 1))
		r.signUp(draft(a, "o-wait", 1))

		_, err := r.svc.Notify(ctx, a.ID, " \n ", "")
		wantCode(t, err, bot.CodeInvalid)
		_, err = r.svc.Notify(ctx, 999, "x", "")
		wantCode(t, err, bot.CodeNotFound)

		got, err := r.svc.Notify(ctx, a.ID, "请自带碗筷", "")
		if err != nil || got.Recipients != 1 || got.Repeat {
			t.Fatalf("Notify: %+v, %v", got, err)
		}
		if n := r.texts("o-in", "activity_notice"); len(n) != 1 || n[0] != "【邻里荟】请自带碗筷" {
			t.Errorf("o-in got %q", n)
		}
		if n := r.texts("o-wait", "activity_notice"); len(n) != 0 {
			t.Errorf("the waiting list got %q", n)
		}
		// The request retried: nothing twice.
		got, err = r.svc.Notify(ctx, a.ID, "请自带碗筷", "")
		if err != nil || !got.Repeat {
			t.Errorf("retry: %+v, %v", got, err)
		}
		// With an idempotency key the same words may go out again.
		for range 2 {
			if _, err := r.svc.Notify(ctx, a.ID, "请自带碗筷", "second-reminder"); err != nil {
				t.Fatal(err)
			}
		}
		if n := r.texts("o-in", "activity_notice"); len(n) != 2 {
			t.Errorf("o-in got %d notices, want 2", len(n))
		}
		tl, err := r.svc.Timeline(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		notified := 0
		for _, e := range tl {
			if e.Action == "notified" {
				notified++
			}
		}
		if notified != 2 {
			t.Errorf("%d notified lines in the timeline, want 2", notified)
		}
	})
}

func TestListViews(t *testing.T) {
	r := newRig(t, storagetest.Open(t))
	ctx := context.Background()
	soon := r.create(5, 1, 48*time.Hour)
	later := r.create(5, 1, 96*time.Hour)
	gone := r.create(5, 1, 72*time.Hour)
	past := r.create(5, 1, 2*time.Hour)
	if _, err := r.svc.CancelActivity(ctx, gone.ID, "改期"); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(5 * time.Hour)
	ids := func(v activities.View) []int64 {
		t.Helper()
		as, err := r.svc.List(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	want := map[activities.View][]int64{
		"upcoming":  {soon.ID, later.ID},
		"past":      {past.ID},
		"cancelled": {gone.ID},
	}
	for v, w := range want {
		if got := ids(v); !equal(got, w) {
			t.Errorf("%s: %v, want %v", v, got, w)
		}
	}
	cal, err := r.svc.Calendar(ctx)
	if err != nil || len(cal) != 3 || cal[1].ID != gone.ID {
		t.Errorf("calendar: %v, %v", cal, err)
	}
	_, err = r.svc.List(ctx, "soon")
	wantCode(t, err, bot.CodeInvalid)
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPlanChecksOrganizer(t *testing.T) {
	s := storagetest.Open(t)
	r := newRig(t, s)
	ctx := context.Background()
	seeded := communitytest.Seed(t, s, r.clock.Now, communitytest.Spec{Staff: []communitytest.Member{
		{Name: "李主任", OpenID: "o-li", Roles: []community.Role{community.RoleAdmin}},
		{Name: "张离职", OpenID: "o-zhang", Roles: []community.Role{community.RoleDuty}},
	}})
	if _, err := seeded.Service.PatchStaff(ctx, seeded.Staff["张离职"].ID, cs.StaffPatch{Active: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	base := activity.Activity{Title: "百家宴", StartsAt: t0.Add(48 * time.Hour), EndsAt: t0.Add(50 * time.Hour), Capacity: 10}
	for _, id := range []int64{seeded.Staff["张离职"].ID, 12345, -1} {
		a := base
		a.OrganizerID = id
		_, err := r.svc.Plan(ctx, a)
		var ue *bot.UserError
		if !errors.As(err, &ue) || ue.Field != "organizer_id" {
			t.Errorf("organizer %d: %v", id, err)
		}
	}
	a := base
	a.OrganizerID = seeded.Staff["李主任"].ID
	got, err := r.svc.Plan(ctx, a)
	if err != nil || got.OrganizerID != a.OrganizerID || got.MaxParty != 1 {
		t.Errorf("Plan: %+v, %v", got, err)
	}
}

// fakeQR makes codes and counts them.
type fakeQR struct {
	scenes []string
	fail   error
}

func (f *fakeQR) PermanentQR(_ context.Context, scene string) (string, string, error) {
	if f.fail != nil {
		return "", "", f.fail
	}
	f.scenes = append(f.scenes, scene)
	return "gQ+ticket/" + scene + "==", "http://weixin.qq.com/q/" + scene, nil
}

// WeChat allows an account 100 000 permanent codes in all: none is spent
// on a poster for an activity that is cancelled or over; a code kept
// from before is still shown.
func TestQRCodeNotForCancelledOrEnded(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		qr := &fakeQR{}
		ad := &activities.Admin{Service: r.svc, QR: qr}
		gone := r.create(5, 1, 48*time.Hour)
		if _, err := ad.QRCode(ctx, gone.ID, "event"); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.CancelActivity(ctx, gone.ID, "台风"); err != nil {
			t.Fatal(err)
		}
		_, err := ad.QRCode(ctx, gone.ID, "checkin")
		wantCode(t, err, bot.CodeConflict)
		if _, err := ad.QRCode(ctx, gone.ID, "event"); err != nil {
			t.Errorf("the kept code of a cancelled activity: %v", err)
		}
		over := r.create(5, 1, time.Hour)
		r.clock.Advance(4 * time.Hour)
		_, err = ad.QRCode(ctx, over.ID, "event")
		wantCode(t, err, bot.CodeConflict)
		if len(qr.scenes) != 1 {
			t.Errorf("made %d codes, want 1", len(qr.scenes))
		}
	})
}

func TestQRCode(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		a := r.create(5, 1, 48*time.Hour)
		qr := &fakeQR{}
		ad := &activities.Admin{Service: r.svc, QR: qr, Offline: true}

		_, err := ad.QRCode(ctx, a.ID, "event")
		if !errors.Is(err, activities.ErrOffline) {
			t.Fatalf("offline: %v", err)
		}
		_, err = ad.QRCode(ctx, a.ID, "poster")
		wantCode(t, err, bot.CodeInvalid)
		_, err = ad.QRCode(ctx, 999, "event")
		wantCode(t, err, bot.CodeNotFound)

		ad.Offline = false
		qr.fail = errors.New("wechat api errcode 45009: quota")
		_, err = ad.QRCode(ctx, a.ID, "event")
		if !errors.Is(err, activities.ErrWeChat) {
			t.Fatalf("WeChat failing: %v", err)
		}
		qr.fail = nil
		for range 2 {
			got, err := ad.QRCode(ctx, a.ID, "checkin")
			if err != nil {
				t.Fatal(err)
			}
			scene := "checkin:" + itoa(a.ID)
			want := activities.QRCode{Scene: scene, Ticket: "gQ+ticket/" + scene + "==", URL: "http://weixin.qq.com/q/" + scene,
				ImageURL: "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQ%2Bticket%2F" + strings.ReplaceAll(scene, ":", "%3A") + "%3D%3D"}
			if got != want {
				t.Errorf("QRCode:\n got %+v\nwant %+v", got, want)
			}
		}
		if len(qr.scenes) != 1 {
			t.Errorf("made %d codes, want 1 (kept after the first)", len(qr.scenes))
		}
		// Kept codes are shown even offline.
		ad.Offline = true
		if _, err := ad.QRCode(ctx, a.ID, "checkin"); err != nil {
			t.Errorf("kept code offline: %v", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

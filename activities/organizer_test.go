package activities_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// organised seeds a bound organiser and an unbound one and returns
// their ids.
func organised(t *testing.T, r *rig) (bound, unbound int64) {
	t.Helper()
	seeded := communitytest.Seed(t, r.store, r.clock.Now, communitytest.Spec{Staff: []communitytest.Member{
		{Name: "张主任", OpenID: "o-zhang", Roles: []community.Role{community.RoleAdmin}},
		{Name: "李干事", Roles: []community.Role{community.RoleGridWorker}},
	}})
	return seeded.Staff["张主任"].ID, seeded.Staff["李干事"].ID
}

func (r *rig) createFor(organizer int64, capacity, maxParty int, qs ...activity.Question) activity.Activity {
	r.t.Helper()
	deadline := t0.Add(24 * time.Hour)
	a, err := r.svc.Create(context.Background(), activity.Activity{
		Title: "情浓百家宴", Location: "社区广场", StartsAt: t0.Add(48 * time.Hour), EndsAt: t0.Add(51 * time.Hour),
		Capacity: capacity, MaxParty: maxParty, SignupDeadline: &deadline, OrganizerID: organizer, Questions: qs,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return a
}

// TestOrganizerToldWhenFull: the organiser hears once that the activity
// filled; seats freed and taken again say nothing new, a capacity raised
// and filled again does. An organiser without WeChat is reached through
// the duty staff.
func TestOrganizerToldWhenFull(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		bound, unbound := organised(t, r)
		a := r.createFor(bound, 3, 3)
		r.signUp(draft(a, "o-a", 2))
		if got := r.notices("o-zhang"); len(got) != 0 {
			t.Fatalf("told before it was full: %+v", got)
		}
		last := r.signUp(draft(a, "o-b", 1)).Signup
		got := r.notices("o-zhang")
		if len(got) != 1 || got[0].Kind != "activity_full" || !strings.Contains(got[0].Text, "「情浓百家宴」") || !strings.Contains(got[0].Text, "已报满") {
			t.Fatalf("when full: %+v", got)
		}
		r.signUp(draft(a, "o-c", 1)) // waitlisted
		if _, err := r.svc.Cancel(ctx, "o-b", last.ID); err != nil {
			t.Fatal(err)
		}
		if got := r.notices("o-zhang"); len(got) != 1 {
			t.Errorf("refilled from the waiting list: %d pushes, want still 1", len(got))
		}
		if _, err := r.svc.SetCapacity(ctx, a.ID, 5); err != nil {
			t.Fatal(err)
		}
		r.signUp(draft(a, "o-d", 2))
		if got := r.notices("o-zhang"); len(got) != 2 || !strings.Contains(got[1].Text, "5 个名额") {
			t.Errorf("filled again after the capacity was raised: %+v", got)
		}

		other := r.createFor(unbound, 1, 1)
		r.signUp(draft(other, "o-a", 1))
		duty := r.notices(bot.DutyStaff)
		if len(duty) != 1 || !strings.Contains(duty[0].Text, "李干事 尚未绑定微信") {
			t.Errorf("unbound organiser: duty got %+v", duty)
		}
	})
}

// TestOrganizerSummary: when sign-up closes the organiser gets the
// numbers once, whichever instance and however often the periodic job
// runs, with the answers to choice questions counted in people and no
// resident named.
func TestOrganizerSummary(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		bound, _ := organised(t, r)
		a := r.createFor(bound, 6, 3,
			activity.Question{Key: "diet", Label: "饮食", Choices: []string{"清真", "素食", "无"}},
			activity.Question{Key: "note", Label: "备注", Optional: true})
		signUp := func(openid string, party int, diet, note string) {
			d := draft(a, openid, party)
			d.Name, d.Phone = "马"+openid, "1390000"+openid[2:]
			d.Answers = map[string]string{"diet": diet, "note": note}
			d.Waitlist = true
			r.signUp(d)
		}
		signUp("o-1111", 3, "清真", "带一个小孩")
		signUp("o-2222", 2, "无", "")
		signUp("o-3333", 1, "素食", "")
		signUp("o-4444", 2, "清真", "") // waitlisted
		if n, err := r.svc.Summaries(ctx); err != nil || n != 0 {
			t.Fatalf("before sign-up closed: %d, %v", n, err)
		}

		r.clock.Advance(25 * time.Hour)
		other := activities.New(s, notifytest.Queue(t, s, notify.Config{Now: r.clock.Now}), activities.Config{Now: r.clock.Now})
		for _, svc := range []*activities.Service{r.svc, other, r.svc} {
			if _, err := svc.Summaries(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var got []notice
		for _, n := range r.notices("o-zhang") {
			if n.Kind != "activity_full" {
				got = append(got, n)
			}
		}
		if len(got) != 1 || got[0].Kind != "activity_summary" {
			t.Fatalf("summaries: %+v, want one", got)
		}
		for _, want := range []string{"报名已截止", "报名成功：3 份 6 人", "候补：1 份 2 人", "饮食：清真 3 人，素食 1 人，无 2 人", "备注：1 份填写", "导出"} {
			if !strings.Contains(got[0].Text, want) {
				t.Errorf("summary %q lacks %q", got[0].Text, want)
			}
		}
		for _, private := range []string{"马o", "1390000", "小孩"} {
			if strings.Contains(got[0].Text, private) {
				t.Errorf("summary %q names a resident (%q)", got[0].Text, private)
			}
		}

		// A day after the close nobody runs it any more.
		r.clock.Advance(48 * time.Hour)
		if n, err := r.svc.Summaries(ctx); err != nil || n != 0 {
			t.Errorf("long after: %d, %v", n, err)
		}
	})
}

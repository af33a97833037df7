package clinic

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/privacy"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

const (
	herName     = "马秀兰"
	herPhone    = "13912345678"
	herCaseKind = "工地讨薪三个月"
	herExpert   = "宅基地继承纠纷牵涉三兄弟"
)

func (r *noticeRig) privacy(policy privacy.Policy) *privacy.Service {
	r.t.Helper()
	runner, err := jobs.New(r.store, jobs.Config{}, nquietLog())
	if err != nil {
		r.t.Fatal(err)
	}
	svc, err := privacy.New(r.store, runner, privacy.Config{Policy: policy, Now: r.clock.Now, Log: nquietLog()})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := svc.Register(privacy.ResidentsHook(), PrivacyHook(), notify.PrivacyHook()); err != nil {
		r.t.Fatal(err)
	}
	return svc
}

// taken is the seats counted for the slot (schedule, start).
func (r *noticeRig) taken(schedule int64, start time.Time) int {
	r.t.Helper()
	var n int
	err := r.store.DB().Get(&n, r.store.DB().Rebind(`SELECT COALESCE(SUM(taken), 0) FROM clinic_slots WHERE schedule_id = ? AND starts_at = ?`),
		schedule, start.UTC())
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// herRecords gives her, through the service, a booking on Friday with
// an aid application (her provider is pushed the description), an
// expert request and a 巡诊 subscription, and (as fixtures) a booking
// she attended last week. It returns the Friday booking and the past one.
func (r *noticeRig) herRecords() (cl.Booking, cl.Booking) {
	r.t.Helper()
	ctx := context.Background()
	lawyer := r.nfixStaff("王律师", "o-staff-lawyer")
	sc := r.nfixSchedule(cl.Appointment, itoa(r.nfixProvider("王律师", cl.Lawyer, lawyer, "")), "")
	friday := time.Date(2026, 11, 27, 9, 0, 0, 0, bot.Shanghai)
	rec, err := r.svc.Book(ctx, cl.Draft{Slot: cl.SlotRef{ScheduleID: sc, Start: friday.UTC()}, Matter: cl.Aid,
		OpenID: "o-her", Name: herName, Phone: herPhone, Description: secretMatter, Language: "维吾尔语",
		Aid: &cl.AidAnswers{CaseKind: herCaseKind, Hardship: true}, Key: "k-her"})
	if err != nil || rec.Booking.ID == 0 {
		r.t.Fatalf("Book: %+v, %v", rec, err)
	}
	if _, err := r.svc.RequestExpert(ctx, cl.ExpertRequest{OpenID: "o-her", Name: herName, Phone: herPhone, Matter: cl.Mediation,
		Description: herExpert}, "k-exp"); err != nil {
		r.t.Fatal(err)
	}
	r.nfixSubscribe("o-her")
	past := r.nfixBooking(sc, nt0.Add(-7*24*time.Hour), "o-her", herName, herPhone, "654321")
	if _, err := r.store.SetClinicBookingStatus(ctx, past.ID, cl.Booked, cl.Attended, nt0); err != nil {
		r.t.Fatal(err)
	}
	return rec.Booking, past
}

// TestEraseClinic: erasing a resident leaves her name, phone, matter,
// aid answers, expert description and openid in no column of any table,
// frees the seat of her booking to come, keeps her past booking's
// matter, mode, status and dates for the counts, and forgets her 巡诊
// subscription; a second erasure finds nothing.
func TestEraseClinic(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newNoticeRig(t, s, notify.QuietHours{})
		b, past := r.herRecords()
		secrets := []string{herName, herPhone, secretMatter, herCaseKind, herExpert, "o-her", "维吾尔语"}
		if got := leaks(storagetest.Dump(t, s), secrets); len(got) < len(secrets) {
			t.Fatalf("the data to erase is not all in the database (%v): the test would prove nothing", got)
		}
		if got := r.taken(b.ScheduleID, b.Start); got != 1 {
			t.Fatalf("seats before: %d", got)
		}

		rep, err := r.privacy(privacy.Policy{}).Erase(ctx, "o-her", "test")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"clinic_bookings": 2, "clinic_cancelled": 1, "clinic_aid": 1, "clinic_expert": 1, "clinic_subscriptions": 1}
		for k, n := range want {
			if rep.Counts[k] != n {
				t.Errorf("report %v: %s = %d, want %d", rep.Counts, k, rep.Counts[k], n)
			}
		}
		if got := leaks(storagetest.Dump(t, s), secrets); len(got) > 0 {
			t.Errorf("left after erasure:\n%s", strings.Join(got, "\n"))
		}
		if got := r.taken(b.ScheduleID, b.Start); got != 0 {
			t.Errorf("seats of her Friday slot after erasure: %d, want 0", got)
		}
		after, err := s.ClinicBooking(ctx, b.ID)
		if err != nil || after.Status != cl.Cancelled || after.Matter != cl.Aid || after.Mode != cl.Appointment || !after.Start.Equal(b.Start) {
			t.Errorf("her Friday booking after erasure: %+v, %v", after, err)
		}
		kept, err := s.ClinicBooking(ctx, past.ID)
		if err != nil || kept.Status != cl.Attended || kept.Matter != cl.Consult || kept.Name != "" || kept.Description != "" {
			t.Errorf("her past booking after erasure: %+v, %v", kept, err)
		}
		aid, err := s.ClinicAid(ctx, after.AidID)
		if err != nil || aid.Status != cl.AidReceived || aid.OpenID != "" || (aid.Answers != nil && aid.Answers.CaseKind != "") {
			t.Errorf("her aid application after erasure: %+v, %v", aid, err)
		}
		// Someone else may now take the seat she held.
		if rec, err := r.svc.Book(ctx, cl.Draft{Slot: cl.SlotRef{ScheduleID: b.ScheduleID, Start: b.Start}, Matter: cl.Consult,
			OpenID: "o-next", Name: "李四", Phone: "13900000000"}); err != nil || rec.Taken {
			t.Errorf("booking her freed seat: %+v, %v", rec, err)
		}
		again, err := r.privacy(privacy.Policy{}).Erase(ctx, "o-her", "test")
		if err != nil {
			t.Fatal(err)
		}
		for k := range want {
			if again.Counts[k] != 0 {
				t.Errorf("second erasure: %v", again.Counts)
				break
			}
		}
	})
}

// TestExpireClinic: retention blanks bookings ended longer ago than the
// records policy and settled requests last changed before it, and keeps
// the rest as they are.
func TestExpireClinic(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newNoticeRig(t, s, notify.QuietHours{})
		sc := r.nfixSchedule(cl.Appointment, "", "")
		old := r.nfixBooking(sc, nt0.Add(-30*24*time.Hour), "o-old", herName, herPhone, "111111")
		current := r.nfixBooking(sc, nt0.Add(15*24*time.Hour), "o-cur", "李四", "13900000000", "222222")
		settled, err := r.svc.ApplyAid(ctx, cl.AidApplication{OpenID: "o-old", Name: herName, Phone: herPhone, Description: secretMatter,
			Answers: &cl.AidAnswers{CaseKind: herCaseKind}}, "")
		if err != nil {
			t.Fatal(err)
		}
		open, err := r.svc.ApplyAid(ctx, cl.AidApplication{OpenID: "o-open", Name: "王五", Phone: "13800000000", Description: "open case"}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetClinicAidStatus(ctx, settled.ID, cl.AidReceived, cl.AidDeclined, "", nt0); err != nil {
			t.Fatal(err)
		}
		r.clock.Advance(20 * 24 * time.Hour)

		rep, err := r.privacy(privacy.Policy{Records: 10 * 24 * time.Hour}).Expire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Counts["clinic_bookings"] != 1 || rep.Counts["clinic_requests"] != 1 {
			t.Errorf("expired %v, want one booking and one request", rep.Counts)
		}
		if b, err := s.ClinicBooking(ctx, old.ID); err != nil || b.Name != "" || b.OpenID != "" || b.Description != "" || b.Status != cl.Booked {
			t.Errorf("the old booking: %+v, %v", b, err)
		}
		if b, err := s.ClinicBooking(ctx, current.ID); err != nil || b.Name != "李四" || b.Description != secretMatter {
			t.Errorf("the recent booking: %+v, %v", b, err)
		}
		if a, err := s.ClinicAid(ctx, settled.ID); err != nil || a.Name != "" || a.Description != "" || a.Status != cl.AidDeclined {
			t.Errorf("the settled application: %+v, %v", a, err)
		}
		if a, err := s.ClinicAid(ctx, open.ID); err != nil || a.Name != "王五" {
			t.Errorf("the open application: %+v, %v", a, err)
		}
		if strings.Contains(storagetest.Dump(t, s), herCaseKind) {
			t.Error("the settled application's answers outlived retention")
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

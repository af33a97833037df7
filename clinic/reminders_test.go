package clinic

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// planned returns the reminder jobs waiting in the queue.
func (r *noticeRig) planned() []reminderArgs {
	r.t.Helper()
	var raw []string
	query := `SELECT json(args) FROM river_job WHERE kind = 'clinic.reminder' AND state IN ('scheduled', 'available') ORDER BY id`
	if r.store.Engine() == storage.EnginePostgres {
		query = strings.Replace(query, "json(args)", "args::text", 1)
	}
	if err := r.store.DB().Select(&raw, query); err != nil {
		r.t.Fatal(err)
	}
	out := make([]reminderArgs, len(raw))
	for i, s := range raw {
		if err := json.Unmarshal([]byte(s), &out[i]); err != nil {
			r.t.Fatal(err)
		}
	}
	return out
}

func (r *noticeRig) remind(args reminderArgs) bool {
	r.t.Helper()
	sent, err := r.svc.remind(context.Background(), args)
	if err != nil {
		r.t.Fatal(err)
	}
	return sent
}

func (r *noticeRig) booked(b cl.Booking) {
	r.t.Helper()
	r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.onBooked(ctx, tx, b) })
}

// TestRemindersPlanned: booking plans one job per offset not yet past
// (the day before and an hour before), unique by booking, offset and
// start; a booking five hours ahead gets the hour-before one only.
func TestRemindersPlanned(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newNoticeRig(t, s, notify.QuietHours{})
		sc := r.nfixSchedule(cl.Appointment, "", "")
		later := r.nfixBooking(sc, nt0.Add(48*time.Hour), "o-a", "马秀兰", "13912345678", "111111")
		soon := r.nfixBooking(sc, nt0.Add(5*time.Hour), "o-b", "李桂兰", "13912345679", "222222")
		r.booked(later)
		r.booked(soon)
		r.booked(later) // again: nothing more
		want := []reminderArgs{
			{BookingID: later.ID, Offset: 24 * time.Hour, Start: later.Start.Unix()},
			{BookingID: later.ID, Offset: time.Hour, Start: later.Start.Unix()},
			{BookingID: soon.ID, Offset: time.Hour, Start: soon.Start.Unix()},
		}
		if got := r.planned(); !slices.Equal(got, want) {
			t.Fatalf("planned %+v, want %+v", got, want)
		}
		// Booked by staff for someone without WeChat: nobody to remind.
		walkin := r.nfixBooking(sc, nt0.Add(72*time.Hour), "", "王大爷", "", "333333")
		r.booked(walkin)
		if got := r.planned(); len(got) != len(want) {
			t.Errorf("a booking without openid planned reminders: %+v", got)
		}
	})
}

// TestRemindText: the reminder says the day in words, the time, the
// place and the code, never the matter's description, once however often
// its job runs; its key names booking, offset and start.
func TestRemindText(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newNoticeRig(t, s, notify.QuietHours{})
		sc := r.nfixSchedule(cl.Appointment, "", "")
		start := time.Date(2026, 11, 27, 9, 0, 0, 0, bot.Shanghai)
		b := r.nfixBooking(sc, start, "o-a", "马秀兰", "13912345678", "123456")
		args := reminderArgs{BookingID: b.ID, Offset: 24 * time.Hour, Start: start.Unix()}
		r.clock.Set(start.Add(-24 * time.Hour))
		for range 2 { // the job runs twice: one notice
			if !r.remind(args) {
				t.Fatal("not reminded")
			}
		}
		got := r.notices("o-a")
		if len(got) != 1 {
			t.Fatalf("%d reminders, want one: %+v", len(got), got)
		}
		n := got[0]
		for _, want := range []string{"明天 09:00 法律诊所预约", "法律咨询", "社区服务中心二楼", "预约码:123456", "取消预约"} {
			if !strings.Contains(n.Text, want) {
				t.Errorf("reminder %q lacks %q", n.Text, want)
			}
		}
		if strings.Contains(n.Text, secretMatter) || n.Subject != "o-a" || n.Kind != kindReminder || n.Replaces != reminderGroup(b.ID, 24*time.Hour) {
			t.Errorf("reminder %+v", n)
		}
		for k, v := range n.Fields {
			if len([]rune(v)) > notify.MaxFieldRunes {
				t.Errorf("field %s=%q is longer than a template allows", k, v)
			}
		}
		var key string
		if err := s.DB().Get(&key, s.DB().Rebind(`SELECT idem_key FROM notifications WHERE recipient = ?`), "o-a"); err != nil {
			t.Fatal(err)
		}
		if want := "clinic_reminder:" + itoa(b.ID) + ":1440m:" + itoa(start.Unix()); key != want {
			t.Errorf("key %q, want %q", key, want)
		}
		r.clock.Set(start.Add(-time.Hour))
		if !r.remind(reminderArgs{BookingID: b.ID, Offset: time.Hour, Start: start.Unix()}) {
			t.Fatal("the hour-before reminder was not queued")
		}
		if got := r.notices("o-a"); len(got) != 2 || !strings.Contains(got[1].Text, "今天 09:00") {
			t.Errorf("hour before: %+v", got)
		}
	})
}

// TestRemindMoot: a reminder whose booking was cancelled, moved (another
// start), erased or is over, or that a nearer reminder supersedes, or
// that quiet hours would hold until the start, queues nothing; one that
// quiet hours hold to before the start waits for their end.
func TestRemindMoot(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newNoticeRig(t, s, notify.DefaultQuietHours)
		sc := r.nfixSchedule(cl.Appointment, "", "")
		at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, bot.Shanghai) }
		day := 27
		book := func(openid string, start time.Time) cl.Booking {
			day++
			return r.nfixBooking(sc, start, openid, "马秀兰", "13912345678", "1234"+itoa(int64(day)))
		}
		remindAt := func(b cl.Booking, off time.Duration, now time.Time) bool {
			r.clock.Set(now)
			return r.remind(reminderArgs{BookingID: b.ID, Offset: off, Start: b.Start.Unix()})
		}

		cancelled := book("o-c", at(28, 10, 0))
		if _, err := s.SetClinicBookingStatus(ctx, cancelled.ID, cl.Booked, cl.Cancelled, nt0); err != nil {
			t.Fatal(err)
		}
		if remindAt(cancelled, 24*time.Hour, at(27, 10, 0)) {
			t.Error("reminded of a cancelled booking")
		}
		moved := book("o-m", at(28, 10, 0))
		if r.remind(reminderArgs{BookingID: moved.ID, Offset: time.Hour, Start: moved.Start.Add(-time.Hour).Unix()}) {
			t.Error("reminded of a start the booking no longer has")
		}
		if r.remind(reminderArgs{BookingID: 999999, Offset: time.Hour, Start: moved.Start.Unix()}) {
			t.Error("reminded of a booking that does not exist")
		}
		over := book("o-o", at(28, 10, 0))
		if remindAt(over, time.Hour, at(28, 10, 0)) {
			t.Error("reminded at the start")
		}
		late := book("o-l", at(28, 16, 0))
		if remindAt(late, 24*time.Hour, at(28, 15, 30)) {
			t.Error("a day-before reminder half an hour before: the hour-before one says it")
		}
		if !remindAt(late, time.Hour, at(28, 15, 30)) {
			t.Error("the hour-before reminder, late, was not queued")
		}
		early := book("o-e", at(28, 7, 0))
		if remindAt(early, time.Hour, at(28, 6, 0)) {
			t.Error("a reminder quiet hours hold past the start was queued")
		}
		held := book("o-h", at(28, 9, 0))
		if !remindAt(held, 24*time.Hour, at(27, 22, 30)) {
			t.Fatal("a reminder quiet hours hold to before the start was not queued")
		}
		got := r.notices("o-h")
		if len(got) != 1 || !got[0].NotBefore.Equal(at(28, 7, 0).UTC()) || !strings.Contains(got[0].Text, "今天 09:00") {
			t.Errorf("held reminder %+v: want it at 07:00 saying 今天", got)
		}
		for _, who := range []string{"o-c", "o-m", "o-o", "o-e"} {
			if n := r.notices(who); len(n) != 0 {
				t.Errorf("%s was told %+v", who, n)
			}
		}
		// Erased: the booking names nobody.
		erased := book("o-x", at(28, 11, 0))
		if _, err := s.DB().Exec(s.DB().Rebind(`UPDATE clinic_bookings SET openid = '' WHERE id = ?`), erased.ID); err != nil {
			t.Fatal(err)
		}
		if remindAt(erased, time.Hour, at(28, 10, 0)) {
			t.Error("reminded an erased resident")
		}
	})
}

func TestDayWord(t *testing.T) {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, bot.Shanghai) // Tuesday
	for _, c := range []struct {
		sent time.Time
		want string
	}{
		{time.Date(2026, 12, 1, 7, 0, 0, 0, bot.Shanghai), "今天"},
		{time.Date(2026, 11, 30, 23, 59, 0, 0, bot.Shanghai), "明天"},
		{time.Date(2026, 11, 30, 0, 1, 0, 0, bot.Shanghai), "明天"},
		{time.Date(2026, 11, 29, 9, 0, 0, 0, bot.Shanghai), "后天"},
		{time.Date(2026, 11, 28, 9, 0, 0, 0, bot.Shanghai), "12月1日 周二"},
		// UTC evening is already the next day in Shanghai.
		{time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC), "今天"},
	} {
		if got := dayWord(start, c.sent); got != c.want {
			t.Errorf("dayWord(%v) = %q, want %q", c.sent, got, c.want)
		}
	}
}

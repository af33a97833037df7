package clinic

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// The notices' tests build their records with plain SQL (nfix*), so that
// they test what is told, whatever the booking service does to get there.

// nt0 is a Thursday morning in Shanghai.
var nt0 = time.Date(2026, 11, 26, 10, 0, 0, 0, bot.Shanghai)

const secretMatter = "邻居装修把我家墙震裂了，想起诉"

type noticeRig struct {
	t      *testing.T
	store  *storage.Store
	svc    *Service
	clock  *bottest.Clock
	runner *jobs.Runner
}

func nquietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newNoticeRig is a service on s with an outbox that only queues, a job
// runner that only queues (tests run a job's work themselves) and quiet
// hours in both.
func newNoticeRig(t *testing.T, s *storage.Store, quiet notify.QuietHours) *noticeRig {
	t.Helper()
	r := &noticeRig{t: t, store: s, clock: bottest.NewClock(nt0)}
	s.Now = r.clock.Now
	box := notifytest.Queue(t, s, notify.Config{Now: r.clock.Now, Quiet: quiet})
	runner, err := jobs.New(s, jobs.Config{}, nquietLog())
	if err != nil {
		t.Fatal(err)
	}
	r.runner = runner
	r.svc = New(s, box, Config{Now: r.clock.Now, Jobs: runner, Quiet: quiet, Phone: "0937-6221234"})
	if err := r.svc.AddWorkers(); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *noticeRig) exec(query string, args ...any) int64 {
	r.t.Helper()
	var id int64
	if err := r.store.DB().QueryRowx(r.store.DB().Rebind(query+" RETURNING id"), args...).Scan(&id); err != nil {
		r.t.Fatalf("%s: %v", query, err)
	}
	return id
}

// nfixStaff adds an active staff member bound to openid ("" unbound).
func (r *noticeRig) nfixStaff(name, openid string) int64 {
	r.t.Helper()
	id, err := r.store.InsertStaff(context.Background(), community.Staff{Name: name, OpenID: openid, Roles: []community.Role{community.RoleClinic}}, "", nt0, nt0)
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

// nfixProvider adds a provider linked to staffID (0 none).
func (r *noticeRig) nfixProvider(name string, kind cl.Kind, staffID int64, languages string) int64 {
	var staff any
	if staffID != 0 {
		staff = staffID
	}
	return r.exec(`INSERT INTO clinic_providers (name, kind, phone, staff_id, languages, active, created_at, updated_at)
		VALUES (?, ?, '', ?, ?, TRUE, ?, ?)`, name, string(kind), staff, languages, nt0.UTC(), nt0.UTC())
}

// nfixSchedule adds an appointment schedule of providers (comma list).
func (r *noticeRig) nfixSchedule(mode cl.Mode, providers, building string) int64 {
	return r.exec(`INSERT INTO clinic_schedules (mode, provider_ids, weekdays, start_time, end_time, slot_minutes, capacity,
		location, building, matters, created_at, updated_at)
		VALUES (?, ?, '1,2,3,4,5', '09:00', '11:30', 30, 1, '社区服务中心二楼', ?, 'consult,mediation,aid', ?, ?)`,
		string(mode), providers, building, nt0.UTC(), nt0.UTC())
}

// nfixBooking books openid into schedule at start, holding a seat.
func (r *noticeRig) nfixBooking(schedule int64, start time.Time, openid, name, phone, code string) cl.Booking {
	r.t.Helper()
	b := cl.Booking{ScheduleID: schedule, Start: start.UTC(), End: start.Add(30 * time.Minute).UTC(), Mode: cl.Appointment,
		Location: "社区服务中心二楼", Matter: cl.Consult, OpenID: openid, Name: name, Phone: phone,
		Description: secretMatter, Code: code, Status: cl.Booked, CreatedAt: r.clock.Now().UTC(), UpdatedAt: r.clock.Now().UTC()}
	b.ID = r.exec(`INSERT INTO clinic_bookings (code, schedule_id, starts_at, ends_at, day, mode, location, matter, openid, name, phone,
		description, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'booked', ?, ?)`,
		b.Code, b.ScheduleID, b.Start, b.End, b.Day(), string(b.Mode), b.Location, string(b.Matter), openid, name, phone,
		b.Description, b.CreatedAt, b.UpdatedAt)
	if _, err := r.store.DB().Exec(r.store.DB().Rebind(`INSERT INTO clinic_slots (schedule_id, starts_at, capacity, taken) VALUES (?, ?, 1, 1)
		ON CONFLICT (schedule_id, starts_at) DO UPDATE SET taken = clinic_slots.taken + 1, capacity = clinic_slots.capacity + 1`),
		schedule, b.Start); err != nil {
		r.t.Fatal(err)
	}
	return b
}

// nfixSubscribe opts openid in to 巡诊 announcements.
func (r *noticeRig) nfixSubscribe(openid string) {
	r.t.Helper()
	if _, err := r.store.DB().Exec(r.store.DB().Rebind(`INSERT INTO clinic_subscriptions (openid, created_at) VALUES (?, ?)`), openid, nt0.UTC()); err != nil {
		r.t.Fatal(err)
	}
}

// tx runs fn in a transaction of the store.
func (r *noticeRig) tx(fn func(ctx context.Context, tx *storage.Tx) error) {
	r.t.Helper()
	ctx := context.Background()
	if err := r.store.Transact(ctx, func(tx *storage.Tx) error { return fn(ctx, tx) }); err != nil {
		r.t.Fatal(err)
	}
}

// nnotice is what a test checks of a queued notification.
type nnotice struct {
	Kind, To, Subject, Asks, Replaces, Status string
	Staff, Urgent                             bool
	Text, GroupText                           string
	Fields                                    map[string]string
	NotBefore                                 time.Time
}

// notices returns the notifications queued to to ("" all), oldest first.
func (r *noticeRig) notices(to string) []nnotice {
	r.t.Helper()
	all, err := r.store.ListNotifications(context.Background(), "", 10000, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []nnotice
	for i := len(all) - 1; i >= 0; i-- {
		n := all[i]
		if to != "" && n.Recipient != to {
			continue
		}
		var p struct {
			Text      string            `json:"text"`
			GroupText string            `json:"group_text"`
			Fields    map[string]string `json:"fields"`
		}
		if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, nnotice{Kind: n.Kind, To: n.Recipient, Subject: n.Subject, Asks: n.Asks, Replaces: n.Replaces,
			Status: n.Status, Staff: n.Staff, Urgent: n.Urgent, Text: p.Text, GroupText: p.GroupText, Fields: p.Fields, NotBefore: n.NotBefore})
	}
	return out
}

// TestBookedTellsLinkedProviders: a booking is pushed to each provider
// of its session linked to staff who bound WeChat, once per staff member,
// and to the provider who speaks the language the resident asked for;
// the description is in the 1:1 text only, never in the group text or
// the template fields.
func TestBookedTellsLinkedProviders(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newNoticeRig(t, s, notify.QuietHours{})
		lawyer := r.nfixStaff("王律师", "o-staff-lawyer")
		mediator := r.nfixStaff("李调解", "o-staff-mediator")
		unbound := r.nfixStaff("未绑定", "")
		p1 := r.nfixProvider("王律师", cl.Lawyer, lawyer, "")
		p2 := r.nfixProvider("王律师(兼)", cl.Mediator, lawyer, "") // same staff twice
		p3 := r.nfixProvider("张法官", cl.Judge, 0, "")            // not linked
		p4 := r.nfixProvider("赵民警", cl.Police, unbound, "")     // linked, not bound
		r.nfixProvider("李调解", cl.Mediator, mediator, "维吾尔语,哈萨克语")
		sc := r.nfixSchedule(cl.Appointment, ids(p1, p2, p3, p4), "")
		b := r.nfixBooking(sc, nt0.Add(48*time.Hour), "o-res", "马秀兰", "13912345678", "123456")
		b.Language = "维吾尔语"
		r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.onBooked(ctx, tx, b) })

		all := r.notices("")
		var to []string
		for _, n := range all {
			if n.Kind != kindBooked {
				t.Errorf("unexpected notice %+v", n)
				continue
			}
			to = append(to, n.To)
			if !n.Staff || n.Subject != "o-res" {
				t.Errorf("push to %s: staff %v, about %q; want a staff notice about the resident", n.To, n.Staff, n.Subject)
			}
			for _, want := range []string{"新预约", when(b.Start), "法律咨询", "马秀兰", "13912345678", secretMatter, "123456"} {
				if !strings.Contains(n.Text, want) {
					t.Errorf("1:1 push %q lacks %q", n.Text, want)
				}
			}
			if n.To == "o-staff-mediator" && !strings.Contains(n.Text, "维吾尔语") {
				t.Errorf("the interpreter's push does not say the language: %q", n.Text)
			}
			for _, leak := range []string{secretMatter, "马秀兰", "13912345678"} {
				if strings.Contains(n.GroupText, leak) {
					t.Errorf("group text %q carries %q", n.GroupText, leak)
				}
				for k, v := range n.Fields {
					if strings.Contains(v, leak) {
						t.Errorf("template field %s=%q carries %q", k, v, leak)
					}
				}
			}
		}
		if strings.Join(to, ",") != "o-staff-lawyer,o-staff-mediator" {
			t.Errorf("pushed to %v, want the lawyer once and the language's provider", to)
		}

		// Asking for a minority representative reaches the one linked to
		// staff; a language nobody speaks reaches nobody more.
		rep := r.nfixStaff("马代表", "o-staff-rep")
		r.nfixProvider("马代表", cl.MinorityRep, rep, "")
		b2 := r.nfixBooking(sc, nt0.Add(72*time.Hour), "o-res", "马秀兰", "13912345678", "223344")
		b2.NeedRep, b2.Language = true, "藏语"
		r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.onBooked(ctx, tx, b2) })
		if got := r.notices("o-staff-rep"); len(got) != 1 || !strings.Contains(got[0].Text, "需要少数民族代表在场") {
			t.Errorf("the representative: %+v", got)
		}
		if got := r.notices("o-staff-mediator"); len(got) != 1 {
			t.Errorf("the 维吾尔语 speaker got %d pushes, want only the first booking's", len(got))
		}
	})
}

func ids(v ...int64) string {
	s := make([]string, len(v))
	for i, id := range v {
		s[i] = itoa(id)
	}
	return strings.Join(s, ",")
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// TestGoneOffersNextSlots: a resident whose slot went is told why, with
// the next free slots numbered (at most three), asked cl.QuestionClosed
// about their booking so that a bare digit answers, in one group per
// booking that names no openid; with no free slot, nothing is asked.
func TestGoneOffersNextSlots(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newNoticeRig(t, s, notify.DefaultQuietHours)
		sc := r.nfixSchedule(cl.Appointment, "", "")
		b := r.nfixBooking(sc, nt0.Add(48*time.Hour), "o-res", "马秀兰", "13912345678", "123456")
		var next []cl.Slot
		for i := range 4 {
			next = append(next, cl.Slot{ScheduleID: sc, Start: nt0.Add(time.Duration(72+i) * time.Hour), Location: "社区服务中心二楼"})
		}
		r.tx(func(ctx context.Context, tx *storage.Tx) error {
			return r.svc.tellGone(ctx, tx, b, "法官开庭", next)
		})
		got := r.notices("o-res")
		if len(got) != 1 {
			t.Fatalf("notices %+v, want one", got)
		}
		n := got[0]
		if n.Kind != kindGone || n.Asks != bot.Ask(cl.QuestionClosed, itoa(b.ID)) || n.Replaces != bookingNews(b.ID) || strings.Contains(n.Replaces, "o-res") {
			t.Errorf("notice %+v: want asks %q, one group per booking without the openid", n, bot.Ask(cl.QuestionClosed, itoa(b.ID)))
		}
		for _, want := range []string{"您预约的法律咨询", when(b.Start), "法官开庭", "1. " + when(next[0].Start), "3. " + when(next[2].Start), "回复 1/2/3 改约", "12348"} {
			if !strings.Contains(n.Text, want) {
				t.Errorf("text %q lacks %q", n.Text, want)
			}
		}
		if strings.Contains(n.Text, "4. ") || strings.Contains(n.Text, secretMatter) {
			t.Errorf("text %q offers a fourth slot or carries the matter", n.Text)
		}
		if n.Urgent {
			t.Errorf("a slot two days ahead is not urgent news: %+v", n)
		}

		// Told again with no free slot: nothing is asked, and the news
		// replaces what is still held (nt0 is outside quiet hours, so
		// the first is due now; hold both by moving the clock).
		r.clock.Set(time.Date(2026, 11, 26, 23, 0, 0, 0, bot.Shanghai))
		r.tx(func(ctx context.Context, tx *storage.Tx) error {
			return r.svc.tellGone(ctx, tx, b, "排班调整", nil)
		})
		got = r.notices("o-res")
		if len(got) != 2 || got[1].Asks != "" || !strings.Contains(got[1].Text, "暂无空闲时段") || strings.Contains(got[1].Text, "回复 1") {
			t.Errorf("without slots: %+v", got)
		}
		if !got[1].NotBefore.Equal(time.Date(2026, 11, 27, 7, 0, 0, 0, bot.Shanghai).UTC()) {
			t.Errorf("held until %v, want 07:00", got[1].NotBefore)
		}

		// A slot starting before quiet hours end: urgent.
		soon := r.nfixBooking(sc, time.Date(2026, 11, 27, 7, 30, 0, 0, bot.Shanghai), "o-early", "", "", "654321")
		r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.tellGone(ctx, tx, soon, "停电", next) })
		if got := r.notices("o-early"); len(got) != 1 || !got[0].Urgent {
			t.Errorf("news of a slot at 07:30 told at 23:00: %+v, want urgent", got)
		}
	})
}

// TestCancelledWithdrawsHeldNews: cancelling drops the reminders and the
// news of the booking that quiet hours still hold, and nothing else.
func TestCancelledWithdrawsHeldNews(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newNoticeRig(t, s, notify.DefaultQuietHours)
		r.clock.Set(time.Date(2026, 11, 26, 23, 0, 0, 0, bot.Shanghai))
		sc := r.nfixSchedule(cl.Appointment, "", "")
		b := r.nfixBooking(sc, time.Date(2026, 11, 27, 10, 0, 0, 0, bot.Shanghai), "o-res", "马秀兰", "13912345678", "123456")
		other := r.nfixBooking(sc, time.Date(2026, 11, 28, 10, 30, 0, 0, bot.Shanghai), "o-res", "马秀兰", "13912345678", "223456")
		for _, x := range []cl.Booking{b, other} {
			if ok, err := r.svc.remind(context.Background(), reminderArgs{BookingID: x.ID, Offset: 24 * time.Hour, Start: x.Start.Unix()}); err != nil || !ok {
				t.Fatalf("remind: %v %v", ok, err)
			}
		}
		r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.tellGone(ctx, tx, b, "停诊", nil) })
		b.Status = cl.Cancelled
		r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.onCancelled(ctx, tx, b) })
		status := map[string]string{}
		for _, n := range r.notices("o-res") {
			status[n.Replaces] = n.Status
		}
		want := map[string]string{
			reminderGroup(b.ID, 24*time.Hour):     storage.NotificationDropped,
			bookingNews(b.ID):                     storage.NotificationDropped,
			reminderGroup(other.ID, 24*time.Hour): storage.NotificationPending,
		}
		for g, st := range want {
			if status[g] != st {
				t.Errorf("group %s is %q, want %q (all: %v)", g, status[g], st, status)
			}
		}
	})
}

// TestAidSteps: each step of an aid application is pushed to the
// applicant, the declined one with the staff's note, each step once.
func TestAidSteps(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newNoticeRig(t, s, notify.QuietHours{})
		a := cl.AidApplication{ID: 7, OpenID: "o-res", Name: "马秀兰", Description: secretMatter, Answers: &cl.AidAnswers{CaseKind: "讨薪", Hardship: true}}
		steps := []struct {
			status cl.AidStatus
			note   string
			want   string
		}{
			{cl.AidReceived, "", "已受理"},
			{cl.AidReviewing, "", "审查中"},
			{cl.AidDeclined, "不属于法律援助事项范围", "不予援助"},
		}
		for _, st := range steps {
			a.Status, a.Note = st.status, st.note
			r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.tellAid(ctx, tx, a) })
		}
		r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.tellAid(ctx, tx, a) }) // again: nothing new
		got := r.notices("o-res")
		if len(got) != len(steps) {
			t.Fatalf("%d notices, want %d: %+v", len(got), len(steps), got)
		}
		for i, st := range steps {
			n := got[i]
			if n.Kind != kindAid || !strings.Contains(n.Text, "编号 7") || !strings.Contains(n.Text, st.want) {
				t.Errorf("step %s: %+v", st.status, n)
			}
			if strings.Contains(n.Text, secretMatter) || strings.Contains(n.Text, "讨薪") {
				t.Errorf("step %s carries the matter: %q", st.status, n.Text)
			}
		}
		if !strings.Contains(got[2].Text, "说明：不属于法律援助事项范围") || !strings.Contains(got[2].Text, cl.Hotline) {
			t.Errorf("declined: %q, want the note and the hotline", got[2].Text)
		}
		// An application made by staff for nobody on WeChat tells nobody.
		a.OpenID, a.ID, a.Status = "", 8, cl.AidApproved
		r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.tellAid(ctx, tx, a) })
		if n := len(r.notices("")); n != len(steps) {
			t.Errorf("%d notices after one for nobody", n)
		}
	})
}

// TestExpertOutcome: a scheduled request tells the resident the time,
// place and panel, and the panel's providers linked to staff (with the
// description, 1:1); a declined one tells the resident why; a request
// still waiting tells nobody.
func TestExpertOutcome(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newNoticeRig(t, s, notify.QuietHours{})
		judge := r.nfixStaff("张法官", "o-staff-judge")
		p1 := r.nfixProvider("张法官", cl.Judge, judge, "")
		p2 := r.nfixProvider("王律师", cl.Lawyer, 0, "")
		at := nt0.Add(72 * time.Hour)
		req := cl.ExpertRequest{ID: 3, OpenID: "o-res", Name: "马秀兰", Phone: "13912345678", Matter: cl.Mediation,
			Description: secretMatter, Status: cl.ExpertRequested}
		r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.tellExpert(ctx, tx, req) })
		if got := r.notices(""); len(got) != 0 {
			t.Fatalf("a waiting request told %+v", got)
		}
		req.Status, req.At, req.Location, req.ProviderIDs = cl.ExpertScheduled, &at, "社区会议室", []int64{p1, p2}
		r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.tellExpert(ctx, tx, req) })
		res := r.notices("o-res")
		if len(res) != 1 {
			t.Fatalf("resident: %+v", res)
		}
		for _, want := range []string{"已安排", when(at), "社区会议室", "法官 张法官", "律师 王律师"} {
			if !strings.Contains(res[0].Text, want) {
				t.Errorf("resident's %q lacks %q", res[0].Text, want)
			}
		}
		panel := r.notices("o-staff-judge")
		if len(panel) != 1 || !panel[0].Staff || !strings.Contains(panel[0].Text, secretMatter) || strings.Contains(panel[0].GroupText, secretMatter) ||
			panel[0].Subject != "o-res" {
			t.Errorf("panel: %+v", panel)
		}
		req.Status, req.Note = cl.ExpertDeclined, "建议先行调解"
		r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.tellExpert(ctx, tx, req) })
		res = r.notices("o-res")
		if len(res) != 2 || !strings.Contains(res[1].Text, "未能安排") || !strings.Contains(res[1].Text, "建议先行调解") {
			t.Errorf("declined: %+v", res)
		}
	})
}

// TestAnnouncePatrol: a new 巡诊 schedule is announced to the residents
// of its building who follow the account and subscribed, nobody else;
// other modes and unknown buildings announce nothing.
func TestAnnouncePatrol(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newNoticeRig(t, s, notify.QuietHours{})
		ctx := context.Background()
		for _, res := range []struct {
			openid, address string
			follows, subs   bool
		}{
			{"o-in", "3号楼2单元201室", true, true},
			{"o-nosub", "3号楼1单元101室", true, false},
			{"o-left", "3号楼1单元102室", false, true},
			{"o-13", "13号楼1单元101室", true, true},
			{"o-5", "5号楼1单元101室", true, true},
		} {
			if err := s.SaveProfile(ctx, bot.Resident{OpenID: res.openid, Address: res.address}); err != nil {
				t.Fatal(err)
			}
			if err := s.SetSubscribed(ctx, res.openid, res.follows, nt0); err != nil {
				t.Fatal(err)
			}
			if res.subs {
				r.nfixSubscribe(res.openid)
			}
		}
		sc := cl.Schedule{ID: 9, Mode: cl.Patrol, Date: "2026-12-05", Start: "09:00", End: "11:30", Location: "3号楼前广场",
			Building: "3号楼", Matters: []cl.Matter{cl.Consult, cl.Mediation}, Active: true}
		r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.announcePatrol(ctx, tx, sc) })
		got := r.notices("")
		if len(got) != 1 || got[0].To != "o-in" || got[0].Kind != kindPatrol {
			t.Fatalf("announced %+v, want o-in only", got)
		}
		for _, want := range []string{"3号楼", "12月5日 周六 09:00-11:30", "3号楼前广场", "法律咨询、矛盾调解", "回复「法律」预约"} {
			if !strings.Contains(got[0].Text, want) {
				t.Errorf("announcement %q lacks %q", got[0].Text, want)
			}
		}
		weekly := sc
		weekly.ID, weekly.Date, weekly.Weekdays, weekly.Building = 10, "", []int{2, 4}, "5"
		r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.announcePatrol(ctx, tx, weekly) })
		if got := r.notices("o-5"); len(got) != 1 || !strings.Contains(got[0].Text, "每周二、周四 09:00-11:30") {
			t.Errorf("weekly: %+v", got)
		}
		for _, sc := range []cl.Schedule{
			{ID: 11, Mode: cl.Appointment, Building: "3", Active: true},
			{ID: 12, Mode: cl.Patrol, Building: "东区", Active: true},
			{ID: 13, Mode: cl.Patrol, Building: "3", Active: false},
		} {
			r.tx(func(ctx context.Context, tx *storage.Tx) error { return r.svc.announcePatrol(ctx, tx, sc) })
		}
		if n := len(r.notices("")); n != 2 {
			t.Errorf("%d announcements, want 2", n)
		}
	})
}

// TestCancelledTellsProviders: the providers who were pushed a booking
// hear it was cancelled (the group copy masks the name, and neither
// carries the description); a booking the clinic cancelled tells its
// resident why.
func TestCancelledTellsProviders(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newNoticeRig(t, s, notify.QuietHours{})
		lawyer := r.nfixStaff("王律师", "o-staff-lawyer")
		sc := r.nfixSchedule(cl.Appointment, itoa(r.nfixProvider("王律师", cl.Lawyer, lawyer, "")), "")
		b := r.nfixBooking(sc, nt0.Add(48*time.Hour), "o-res", "马秀兰", "13912345678", "123456")
		b.Status = cl.Cancelled
		r.tx(func(ctx context.Context, tx *storage.Tx) error {
			if err := r.svc.onCancelled(ctx, tx, b); err != nil {
				return err
			}
			return r.svc.tellCancelled(ctx, tx, b, "律师临时出庭")
		})
		staff := r.notices("o-staff-lawyer")
		if len(staff) != 1 || staff[0].Kind != kindCancelled || !staff[0].Staff || !strings.Contains(staff[0].Text, "预约取消") ||
			!strings.Contains(staff[0].Text, "马秀兰") || strings.Contains(staff[0].GroupText, "马秀兰") ||
			strings.Contains(staff[0].Text, secretMatter) || strings.Contains(staff[0].GroupText, secretMatter) {
			t.Errorf("the provider's news: %+v", staff)
		}
		res := r.notices("o-res")
		if len(res) != 1 || res[0].Kind != kindResidentCancelled || !strings.Contains(res[0].Text, "已由法律诊所取消") ||
			!strings.Contains(res[0].Text, "律师临时出庭") || !strings.Contains(res[0].Text, "0937-6221234") || res[0].Replaces != bookingNews(b.ID) {
			t.Errorf("the resident's news: %+v", res)
		}
	})
}

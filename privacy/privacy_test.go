package privacy_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/privacy"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// t0 is a Thursday morning in Shanghai, a working day.
var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, bot.Shanghai)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// her is the resident who asks to be erased; everything personal about her
// is listed in secrets.
const (
	her       = "oHerErase_0123456789abcdefgh"
	herName   = "古丽娜尔"
	herPhone  = "13912345678"
	herHome   = "3号楼2单元201"
	herNote   = "独居老人"
	herIssue  = "厨房水管漏水了"
	herPhoto  = "media-her-1"
	herAddOn  = "晚上八点后在家"
	neighbour = "oNeighbour_0123456789abcdefg"
)

var secrets = []string{her, herName, herPhone, bot.MaskPhone(herPhone), herHome, herNote, herIssue, herPhoto, herAddOn, "39.81", "98.29"}

// rig is a community with a grid worker, the ticket service over an
// outbox that only queues, sessions in Redis and the privacy service with
// the production hooks.
type rig struct {
	t        *testing.T
	store    *storage.Store
	clock    *bottest.Clock
	outbox   *notify.Outbox
	tickets  *tickets.Service
	sessions *redisstate.Sessions
	runner   *jobs.Runner
	privacy  *privacy.Service
	worker   community.Staff
	b3       community.Building
}

func newRig(t *testing.T, s *storage.Store, cfg privacy.Config) *rig {
	t.Helper()
	clock := bottest.NewClock(t0)
	s.Now = clock.Now
	outbox := notifytest.Queue(t, s, notify.Config{Now: clock.Now})
	client, prefix, _ := redistest.New(t)
	r := &rig{t: t, store: s, clock: clock, outbox: outbox,
		tickets:  tickets.New(s, outbox, workcal.Builtin(), tickets.Config{Now: clock.Now}),
		sessions: &redisstate.Sessions{Client: client, Prefix: prefix}}
	c := communitytest.Seed(t, s, clock.Now, communitytest.Spec{
		Staff: []communitytest.Member{
			{Name: "张三", OpenID: "o-worker", Roles: []community.Role{community.RoleGridWorker}},
			{Name: "王芳", OpenID: "o-sup", Roles: []community.Role{community.RoleSupervisor}},
		},
		Buildings: []communitytest.Building{{Number: 3}},
		Grids:     []communitytest.Grid{{Name: "一网格", Worker: "张三", Supervisor: "王芳", Buildings: []int{3}}},
	})
	r.worker, r.b3 = c.Staff["张三"], c.Buildings[3]
	runner, err := jobs.New(s, jobs.Config{PollInterval: 50 * time.Millisecond}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	r.runner = runner
	cfg.Sessions, cfg.Now, cfg.Log = r.sessions, clock.Now, quiet()
	r.privacy, err = privacy.New(s, runner, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.privacy.Register(privacy.ResidentsHook(), tickets.PrivacyHook(), notify.PrivacyHook()); err != nil {
		t.Fatal(err)
	}
	return r
}

// start starts the job runner until the test ends.
func (r *rig) start() {
	r.t.Helper()
	if err := r.runner.Start(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.runner.Stop(ctx); err != nil {
			r.t.Errorf("stop: %v", err)
		}
	})
}

func (r *rig) submit(openid, name, phone, desc string, unit int, photos ...string) ticket.Ticket {
	r.t.Helper()
	lat, lng := 39.70001, 98.20001
	if openid == her {
		lat, lng = 39.81234, 98.29876 // where her home is, in secrets
	}
	rc, err := r.tickets.Submit(context.Background(), ticket.Draft{
		OpenID: openid, Name: name, Phone: phone, Category: "repair", Description: desc, Photos: photos,
		BuildingID: r.b3.ID, Unit: unit, Place: fmt.Sprintf("3号楼%d单元%d01室", unit, unit), Lat: lat, Lng: lng,
		Source: "wechat",
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return rc.Ticket
}

func (r *rig) act(kind ticket.ActionKind, number string) {
	r.t.Helper()
	if _, err := r.tickets.Act(context.Background(), ticket.Action{Number: number, Kind: kind, By: r.worker.ID, Note: "已修好"}); err != nil {
		r.t.Fatal(err)
	}
}

// herData gives her everything tongxin can hold about a resident: a
// profile, a closed and rated ticket, an open one she added to, a
// request for a person, a late reply, a conversation under way. Her
// neighbour files a ticket too.
func (r *rig) herData() (closed, open, theirs ticket.Ticket) {
	r.t.Helper()
	ctx := context.Background()
	if err := r.store.SetSubscribed(ctx, her, true, r.clock.Now()); err != nil {
		r.t.Fatal(err)
	}
	if err := r.store.SaveProfile(ctx, bot.Resident{OpenID: her, Name: herName, Phone: herPhone, Address: herHome, Role: "户主", Note: herNote}); err != nil {
		r.t.Fatal(err)
	}
	closed = r.submit(her, herName, herPhone, herIssue, 2, herPhoto)
	r.act(ticket.ActAccept, closed.Number)
	r.act(ticket.ActResolve, closed.Number)
	if _, err := r.tickets.Rate(ctx, her, closed.Number, ticket.RatingSatisfied); err != nil {
		r.t.Fatal(err)
	}
	open = r.submit(her, herName, herPhone, herIssue+"，又漏了", 2)
	if _, err := r.tickets.Supplement(ctx, her, open.Number, herAddOn); err != nil {
		r.t.Fatal(err)
	}
	theirs = r.submit(neighbour, "马建国", "13700000000", "楼道灯坏了", 1)

	human := bot.HumanDesk{Duty: bot.Duty{Notifier: r.outbox, Robot: true}, Residents: r.store, Now: r.clock.Now}
	if _, err := human.Handle(ctx, &bot.Message{ID: "m1", OpenID: her, Kind: bot.KindText, Text: "人工"}); err != nil {
		r.t.Fatal(err)
	}
	if err := r.outbox.Notify(ctx, bot.Notice{Kind: "reply", To: her, Text: "您登记的手机：" + herPhone, Urgent: true, Key: "reply:m2"}); err != nil {
		r.t.Fatal(err)
	}
	if err := r.sessions.Save(ctx, &bot.Session{OpenID: her, Flow: "profile", Step: "phone",
		Answers: map[string]bot.Answer{"name": {Value: herName}}, StartedAt: r.clock.Now(), UpdatedAt: r.clock.Now()}); err != nil {
		r.t.Fatal(err)
	}
	return closed, open, theirs
}

func (r *rig) stats() tickets.Stats {
	r.t.Helper()
	st, err := r.tickets.Stats(context.Background(), t0.AddDate(0, -1, 0), t0.AddDate(0, 1, 0))
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

// leaks returns the lines of the dump that hold one of secrets.
func leaks(d string, secrets []string) []string {
	var out []string
	for _, line := range strings.Split(d, "\n") {
		for _, s := range secrets {
			if strings.Contains(line, s) {
				out = append(out, fmt.Sprintf("%q in %s", s, line))
			}
		}
	}
	return out
}

func TestEraseLeavesNothingPersonal(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s, privacy.Config{})
		closed, open, theirs := r.herData()
		before := r.stats()
		if got := leaks(storagetest.Dump(t, s), secrets); len(got) == 0 {
			t.Fatal("the data to erase is not in the database: the test would prove nothing")
		}

		rep, err := r.privacy.Erase(ctx, her, "test")
		if err != nil {
			t.Fatal(err)
		}
		// The closed ticket's timeline had her rating, the open one her
		// 补充 and its filing ... every note of hers is blanked.
		if rep.AuditID == 0 || rep.Counts["residents"] != 1 || rep.Counts["tickets"] != 2 ||
			rep.Counts["ticket_notes"] < 2 || rep.Counts["notifications"] < 5 {
			t.Errorf("report = %+v", rep)
		}
		d := storagetest.Dump(t, s)
		for _, l := range leaks(d, secrets) {
			t.Errorf("left after erasure: %s", l)
		}
		// The neighbour's data and the statistics stay.
		if got := leaks(d, []string{neighbour, "马建国", "13700000000", "楼道灯坏了"}); len(got) < 4 {
			t.Errorf("the neighbour's data went too: only %v", got)
		}
		if diff := cmp.Diff(before, r.stats()); diff != "" {
			t.Errorf("statistics changed (-before +after):\n%s", diff)
		}
		// What the statistics and staff still read of her tickets.
		for _, tk := range []ticket.Ticket{closed, open} {
			got, timeline, err := r.tickets.Get(ctx, tk.Number)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != map[string]ticket.Status{closed.Number: ticket.Closed, open.Number: ticket.Submitted}[tk.Number] ||
				got.Category != "repair" || got.GridID == 0 || got.BuildingID != r.b3.ID || got.Place != "3号楼" {
				t.Errorf("ticket %s after erasure: %+v", tk.Number, got)
			}
			if last := timeline[len(timeline)-1]; last.Action != "删除个人信息" || last.Actor != "系统" {
				t.Errorf("ticket %s: last timeline entry %+v, want the erasure", tk.Number, last)
			}
		}
		if got, _, _ := r.tickets.Get(ctx, closed.Number); got.Rating != ticket.RatingSatisfied {
			t.Errorf("the rating went: %d", got.Rating)
		}
		if got, _, _ := r.tickets.Get(ctx, theirs.Number); got.Name != "马建国" || got.OpenID != neighbour {
			t.Errorf("the neighbour's ticket changed: %+v", got)
		}
		// Her conversation went with her records.
		if _, expired, err := r.sessions.Load(ctx, her); !errors.Is(err, bot.ErrNotFound) || expired {
			t.Errorf("session after erasure: expired %v, %v; want none", expired, err)
		}
		// Her notifications are tombstones that keep their kind; those
		// still queued are dropped, with nothing left to send.
		list, err := s.ListNotifications(ctx, "", 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, n := range list {
			if n.Payload == storage.ErasedPayload {
				kinds = append(kinds, n.Kind+"/"+n.Status)
			}
		}
		if !slices.Contains(kinds, "human_request/dropped") || !slices.Contains(kinds, "reply/dropped") || !slices.Contains(kinds, "ticket_new/dropped") {
			t.Errorf("erased notifications: %v", kinds)
		}

		// Asked again: nothing left, nothing counted, and audited again.
		again, err := r.privacy.Erase(ctx, her, "test")
		if err != nil {
			t.Fatal(err)
		}
		if again.Total() != 0 || again.AuditID == rep.AuditID {
			t.Errorf("second erasure = %+v, want zero counts and an audit row of its own", again)
		}
		want := map[string]int{"residents": 0, "tickets": 0, "ticket_notes": 0, "notifications": 0}
		if diff := cmp.Diff(want, again.Counts); diff != "" {
			t.Errorf("second erasure counts (-want +got):\n%s", diff)
		}
		audit, err := r.privacy.Audit(ctx, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(audit) != 2 || audit[1].ID != rep.AuditID || audit[1].Action != storage.ErasureErase ||
			audit[1].Actor != "test" || !cmp.Equal(audit[1].Counts, rep.Counts) {
			t.Errorf("audit = %+v", audit)
		}
		if diff := cmp.Diff(before, r.stats()); diff != "" {
			t.Errorf("statistics changed by the second erasure (-before +after):\n%s", diff)
		}
	})
}

func TestEraseUnknownAndMalformed(t *testing.T) {
	r := newRig(t, storagetest.Open(t), privacy.Config{})
	ctx := context.Background()
	rep, err := r.privacy.Erase(ctx, "oNobody", "test")
	if err != nil || rep.Total() != 0 || rep.AuditID == 0 {
		t.Errorf("unknown resident: %+v, %v; want zero counts, audited", rep, err)
	}
	for _, bad := range []string{"", "o x", "o/../x", "o'; DROP TABLE residents; --", "开放", strings.Repeat("o", 65)} {
		if _, err := r.privacy.Erase(ctx, bad, "test"); bot.ErrorCode(err) != bot.CodeInvalid {
			t.Errorf("Erase(%q) = %v, want invalid", bad, err)
		}
	}
	if _, err := r.privacy.Erase(ctx, her, ""); bot.ErrorCode(err) != bot.CodeInvalid {
		t.Errorf("Erase without actor = %v, want invalid", err)
	}
}

// fakeBlobs is the blob store: the one edge of erasure outside the
// database and Redis.
type fakeBlobs struct {
	mu      sync.Mutex
	deleted []string
}

func (f *fakeBlobs) DeleteBlobs(_ context.Context, keys []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, keys...)
	return nil
}

func (f *fakeBlobs) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.deleted)
}

func TestEraseDeletesBlobsAfterCommit(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		blobs := &fakeBlobs{}
		r := newRig(t, s, privacy.Config{Blobs: blobs})
		fail := errors.New("hook failed")
		failing := false
		// media stands for the blob store's hook: it hands over the keys
		// of what the resident's records refer to.
		err := r.privacy.Register(privacy.Hook{Name: "media", Erase: func(ctx context.Context, tx *storage.Tx, openid string, run *privacy.Run) error {
			run.DeleteBlobs("photos/"+openid[:4], "voice/"+openid[:4])
			run.Count("files", 2)
			if failing {
				return fail
			}
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.privacy.Register(privacy.Hook{Name: "media"}); err == nil {
			t.Error("a second hook of the same name was registered")
		}
		r.herData()

		// A failing hook rolls back every hook's work, and queues nothing.
		failing = true
		if _, err := r.privacy.Erase(ctx, her, "test"); !errors.Is(err, fail) {
			t.Fatalf("Erase with a failing hook = %v", err)
		}
		if got := leaks(storagetest.Dump(t, s), []string{herName}); len(got) == 0 {
			t.Error("a failed erasure committed part of its work")
		}
		failing = false
		rep, err := r.privacy.Erase(ctx, her, "test")
		if err != nil || rep.Counts["files"] != 2 {
			t.Fatalf("Erase = %+v, %v", rep, err)
		}
		r.start()
		bottest.WaitFor(t, 30*time.Second, "the files to be deleted", func() bool { return len(blobs.got()) == 2 })
		if diff := cmp.Diff([]string{"photos/oHer", "voice/oHer"}, blobs.got()); diff != "" {
			t.Errorf("deleted files (-want +got):\n%s", diff)
		}
	})
}

func TestRetention(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s, privacy.Config{Batch: 2, Policy: privacy.Policy{Notifications: 30 * 24 * time.Hour, Records: 3 * 365 * 24 * time.Hour}})
		closed, open, _ := r.herData()
		// Some of what was queued went out at t0.
		list, err := s.ListNotifications(ctx, storage.NotificationPending, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range list[:5] {
			if err := s.FinishNotification(ctx, n.ID, storage.NotificationSent, "customer_service", ""); err != nil {
				t.Fatal(err)
			}
		}
		// Her tickets' news that newer news replaced, or her rating made
		// moot, was dropped at t0: its delivery ended too.
		dropped, err := s.CountNotifications(ctx, storage.NotificationDropped)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetSubscribed(ctx, neighbour, false, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		// Each pass leaves the statistics as they were (at the same time:
		// open tickets become overdue as time passes).
		erased := func() map[string]int {
			t.Helper()
			before := r.stats()
			rep, err := r.privacy.Expire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, r.stats()); diff != "" {
				t.Errorf("statistics changed (-before +after):\n%s", diff)
			}
			return rep.Counts
		}

		r.clock.Advance(29 * 24 * time.Hour)
		if got := erased(); (privacy.Report{Counts: got}).Total() != 0 {
			t.Errorf("after 29 days: %v, want nothing", got)
		}
		if audit, _ := r.privacy.Audit(ctx, 10, 0); len(audit) != 0 {
			t.Errorf("a pass that did nothing was audited: %v", audit)
		}
		r.clock.Advance(2 * 24 * time.Hour)
		if got := erased(); got["notifications"] != 5+dropped || got["tickets"] != 0 || got["residents"] != 0 {
			t.Errorf("after 31 days: %v, want the 5 sent and %d dropped notifications", got, dropped)
		}
		if got := erased(); (privacy.Report{Counts: got}).Total() != 0 {
			t.Errorf("again after 31 days: %v, want nothing", got)
		}
		r.clock.Advance(3 * 365 * 24 * time.Hour)
		got := erased()
		if got["tickets"] != 1 || got["residents"] != 1 {
			t.Errorf("after three years: %v, want her closed ticket and the unfollowed neighbour", got)
		}
		if c, _, _ := r.tickets.Get(ctx, closed.Number); c.Name != "" || c.Phone != "" || c.OpenID != "" || c.Description != "" {
			t.Errorf("closed ticket after three years: %+v", c)
		}
		if o, _, _ := r.tickets.Get(ctx, open.Number); o.Name != herName {
			t.Errorf("an open ticket was anonymised: %+v", o)
		}
		if _, err := s.Resident(ctx, neighbour); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("unfollowed three years ago: %v, want ErrNotFound", err)
		}
		if _, err := s.Resident(ctx, her); err != nil {
			t.Errorf("a follower was deleted: %v", err)
		}
		audit, err := r.privacy.Audit(ctx, 10, 0)
		if err != nil || len(audit) != 2 || audit[0].Action != storage.ErasureRetention || audit[0].Actor != "retention" {
			t.Errorf("audit = %+v, %v", audit, err)
		}
	})
}

func TestRetentionRunsOnTheJobRunner(t *testing.T) {
	s := storagetest.Open(t)
	r := newRig(t, s, privacy.Config{})
	ctx := context.Background()
	n := &storage.Notification{IdemKey: "k", Kind: "test", Recipient: her, Payload: `{"text":"` + herPhone + `"}`}
	if _, err := s.InsertNotification(ctx, n); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishNotification(ctx, n.ID, storage.NotificationSent, "customer_service", ""); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(31 * 24 * time.Hour)
	if err := r.privacy.Schedule(time.Hour); err != nil {
		t.Fatal(err)
	}
	// The first pass runs when the runner starts leading.
	r.start()
	bottest.WaitFor(t, 30*time.Second, "the retention pass", func() bool {
		got, err := s.Notification(ctx, n.ID)
		return err == nil && got.Payload == storage.ErasedPayload
	})
}

package report_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/flows/report"
	"github.com/tongxin/tongxin/bot/flows/staffdesk"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// community sets up the fixture every transcript runs on: staff bound to
// openids, a grid with three buildings, two buildings with no grid.
//
//	o-grid     张网格  grid worker of 一网格 (buildings 1-3)
//	o-boss     李主任  supervisor
//	o-duty     王值班  duty
//	o-mediate  赵调解  mediator
func community(t *testing.T, store *storage.Store, clock *bottest.Clock) *tickets.Service {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, store); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	runner, err := jobs.New(store, jobs.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	queue, err := notify.New(runner, store, nil, notify.Config{}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := tickets.New(store, queue, workcal.Builtin(), tickets.Config{Now: clock.Now})
	staff := map[string]int64{}
	for _, s := range []struct {
		openid, name string
		roles        []string
	}{
		{"o-grid", "张网格", []string{ticket.RoleGridWorker}},
		{"o-boss", "李主任", []string{ticket.RoleSupervisor}},
		{"o-duty", "王值班", []string{ticket.RoleDuty}},
		{"o-mediate", "赵调解", []string{ticket.RoleMediator}},
	} {
		st, code, err := svc.CreateStaff(ctx, tickets.StaffInput{Name: s.name, Phone: "13900000000", Roles: s.roles})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Bind(ctx, s.openid, code); err != nil {
			t.Fatal(err)
		}
		staff[s.openid] = st.ID
	}
	for n := 1; n <= 5; n++ {
		if _, err := svc.SaveBuilding(ctx, tickets.BuildingInput{Number: n}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.CreateGrid(ctx, tickets.GridInput{Name: "一网格", WorkerID: staff["o-grid"], SupervisorID: staff["o-boss"], Buildings: []int{1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	return svc
}

func router(t *testing.T, store *storage.Store, svc ticket.Service, clock *bottest.Clock) *bot.Router {
	t.Helper()
	r := bot.NewRouter(&bot.MemorySessions{Now: clock.Now})
	r.Now = clock.Now
	r.Residents = store
	if err := report.Register(r, svc, store); err != nil {
		t.Fatal(err)
	}
	if err := (&staffdesk.Desk{Svc: svc, Now: clock.Now}).Register(r); err != nil {
		t.Fatal(err)
	}
	if err := r.Menu(bot.MenuEntry{Key: "REPORT", Label: "报修/诉求", Handler: r.StartFlow(report.Name)}); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTranscripts replays testdata/*.txt, each on a fresh database of each
// engine. The clock starts on Thursday 2026-11-26 09:00 in Shanghai.
func TestTranscripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	engines := []struct {
		name string
		open func(testing.TB) *storage.Store
	}{{"sqlite", storagetest.Open}, {"postgres", storagetest.OpenPostgres}}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			for _, e := range engines {
				t.Run(e.name, func(t *testing.T) {
					store := e.open(t)
					clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, workcal.Shanghai))
					svc := community(t, store, clock)
					bottest.Transcript(t, router(t, store, svc, clock), clock, f)
				})
			}
		})
	}
}

package tickets_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// t0 is a Thursday morning in Shanghai, a working day.
var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, workcal.Shanghai)

// rig is the service on a real store with an outbox that only queues.
type rig struct {
	t     *testing.T
	store *storage.Store
	svc   *tickets.Service
	cal   *workcal.Calendar

	mu  sync.Mutex
	now time.Time

	// Staff of the standard community (see community).
	worker, worker2, sup, mediator, duty, head, unitHead ticket.Staff
	// Buildings: b3 in grid A (worker 张三, supervisor 王芳) with a 楼栋长
	// and a 单元长 for unit 2; b5 in no grid; b7 in grid B whose worker
	// has not bound WeChat.
	b3, b5, b7 ticket.Building
	gridA      ticket.Grid
}

func newRig(t *testing.T, s *storage.Store) *rig {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, s); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	runner, err := jobs.New(s, jobs.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	box, err := notify.New(runner, s, nil, notify.Config{}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, store: s, cal: workcal.Builtin(), now: t0}
	r.svc = tickets.New(s, box, r.cal, tickets.Config{Now: r.clock})
	return r
}

func (r *rig) clock() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

func (r *rig) set(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.now = now
}

// staff creates a staff member and, when openid is set, binds them with
// their code as they would from WeChat.
func (r *rig) staff(name, openid string, roles ...string) ticket.Staff {
	r.t.Helper()
	ctx := context.Background()
	st, code, err := r.svc.CreateStaff(ctx, tickets.StaffInput{Name: name, Phone: "13900000000", Roles: roles})
	if err != nil {
		r.t.Fatalf("CreateStaff(%s): %v", name, err)
	}
	if openid == "" {
		return st
	}
	bound, err := r.svc.Bind(ctx, openid, code)
	if err != nil {
		r.t.Fatalf("Bind(%s): %v", name, err)
	}
	return bound
}

// community builds the standard staff, grids and buildings.
func (r *rig) community() *rig {
	r.t.Helper()
	ctx := context.Background()
	r.worker = r.staff("张三", "o-worker", ticket.RoleGridWorker)
	r.worker2 = r.staff("李四", "", ticket.RoleGridWorker)
	r.sup = r.staff("王芳", "o-sup", ticket.RoleSupervisor)
	r.mediator = r.staff("马调解", "o-mediator", ticket.RoleMediator)
	r.duty = r.staff("赵值班", "o-duty", ticket.RoleDuty)
	r.head = r.staff("孙楼长", "o-head", ticket.RoleBuildingHead)
	r.unitHead = r.staff("周单元", "o-unit", ticket.RoleUnitHead)
	var err error
	save := func(in tickets.BuildingInput) ticket.Building {
		b, err := r.svc.SaveBuilding(ctx, in)
		if err != nil {
			r.t.Fatalf("SaveBuilding(%d): %v", in.Number, err)
		}
		return b
	}
	save(tickets.BuildingInput{Number: 3, HeadID: r.head.ID, UnitHeads: map[string]int64{"2": r.unitHead.ID}})
	save(tickets.BuildingInput{Number: 5})
	save(tickets.BuildingInput{Number: 7})
	if r.gridA, err = r.svc.CreateGrid(ctx, tickets.GridInput{Name: "一网格", WorkerID: r.worker.ID, SupervisorID: r.sup.ID, Buildings: []int{3}}); err != nil {
		r.t.Fatal(err)
	}
	if _, err = r.svc.CreateGrid(ctx, tickets.GridInput{Name: "二网格", WorkerID: r.worker2.ID, Buildings: []int{7}}); err != nil {
		r.t.Fatal(err)
	}
	for n, b := range map[int]*ticket.Building{3: &r.b3, 5: &r.b5, 7: &r.b7} {
		if *b, err = r.svc.FindBuilding(ctx, n); err != nil {
			r.t.Fatal(err)
		}
	}
	return r
}

// draft is a repair request from resident openid in building b (nil: no
// building), unit 2.
func draft(openid, category string, b *ticket.Building) ticket.Draft {
	d := ticket.Draft{
		OpenID: openid, Name: "阿依古丽", Phone: "13800138000", Category: category,
		Description: "楼道灯坏了，晚上看不见", Photos: []string{"media-1"}, Source: "wechat",
	}
	if b != nil {
		d.BuildingID, d.Unit, d.Place = b.ID, 2, b.Name+"2单元201室"
	}
	return d
}

func (r *rig) submit(d ticket.Draft) ticket.Receipt {
	r.t.Helper()
	rc, err := r.svc.Submit(context.Background(), d)
	if err != nil {
		r.t.Fatalf("Submit: %v", err)
	}
	return rc
}

func (r *rig) act(a ticket.Action) ticket.Ticket {
	r.t.Helper()
	t, err := r.svc.Act(context.Background(), a)
	if err != nil {
		r.t.Fatalf("Act(%s %s by %d): %v", a.Kind, a.Number, a.By, err)
	}
	return t
}

// notice is a ledger row as the tests compare it.
type notice struct {
	Kind, To string
	Staff    bool
}

// notices returns the queued notifications about ticket number, oldest
// first.
func (r *rig) notices(number string) []notice {
	r.t.Helper()
	var out []notice
	for _, n := range r.ledger(number) {
		out = append(out, notice{Kind: n.Kind, To: n.Recipient, Staff: n.Staff})
	}
	return out
}

func (r *rig) ledger(number string) []storage.Notification {
	r.t.Helper()
	all, err := r.store.ListNotifications(context.Background(), "", 10000, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []storage.Notification
	for _, n := range all {
		if strings.HasPrefix(n.IdemKey, "ticket:"+number+":") {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// payload is a queued notification's content.
type payload struct {
	Text      string            `json:"text"`
	GroupText string            `json:"group_text"`
	Fields    map[string]string `json:"fields"`
}

// text returns the text of the last notification of kind about number to
// recipient.
func (r *rig) text(number, kind, to string) string {
	r.t.Helper()
	return r.payload(number, kind, to).Text
}

// payload returns the content of the last notification of kind about
// number to recipient.
func (r *rig) payload(number, kind, to string) payload {
	r.t.Helper()
	ns := r.ledger(number)
	for i := len(ns) - 1; i >= 0; i-- {
		if ns[i].Kind == kind && ns[i].Recipient == to {
			var p payload
			if err := json.Unmarshal([]byte(ns[i].Payload), &p); err != nil {
				r.t.Fatal(err)
			}
			return p
		}
	}
	r.t.Fatalf("no %s notification to %s about %s", kind, to, number)
	return payload{}
}

// payloads returns the content of every notification about number, oldest
// first.
func (r *rig) payloads(number string) []payload {
	r.t.Helper()
	var out []payload
	for _, n := range r.ledger(number) {
		var p payload
		if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// cst is Shanghai time as a fixed zone, for literal expected times.
var cst = time.FixedZone("CST", 8*3600)

func (r *rig) timeline(number string) []string {
	r.t.Helper()
	_, events, err := r.svc.Get(context.Background(), number)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, e.Action)
	}
	return out
}

// userError returns the message of err's *bot.UserError, failing the test
// when there is none.
func userError(t *testing.T, err error) string {
	t.Helper()
	var ue *bot.UserError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v is not a *bot.UserError", err)
	}
	return ue.Message
}

// fieldError returns the field named by err's *tickets.FieldError.
func fieldError(t *testing.T, err error) string {
	t.Helper()
	var fe *tickets.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *tickets.FieldError", err)
	}
	return fe.Field
}

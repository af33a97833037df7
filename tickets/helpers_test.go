package tickets_test

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// t0 is a Thursday morning in Shanghai, a working day.
var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, bot.Shanghai)

// rig is the service on a real store with an outbox that only queues.
type rig struct {
	t     *testing.T
	store *storage.Store
	svc   *tickets.Service
	dir   *cs.Service
	cal   *workcal.Calendar
	// clock is the services' time; tests move it with Set.
	clock *bottest.Clock

	// Staff of the standard community (see community).
	worker, worker2, sup, mediator, duty, head, unitHead community.Staff
	// Buildings: b3 in grid A (worker 张三, supervisor 王芳) with a 楼栋长
	// and a 单元长 for unit 2; b5 in no grid; b7 in grid B whose worker
	// has not bound WeChat.
	b3, b5, b7 community.Building
	gridA      community.Grid
}

func newRig(t *testing.T, s *storage.Store) *rig {
	t.Helper()
	box := notifytest.Queue(t, s, notify.Config{})
	r := &rig{t: t, store: s, cal: workcal.Builtin(), clock: bottest.NewClock(t0)}
	r.svc = tickets.New(s, box, r.cal, tickets.Config{Now: r.clock.Now})
	r.dir = cs.New(s, cs.Config{Now: r.clock.Now})
	return r
}

// community builds the standard staff, grids and buildings.
func (r *rig) community() *rig {
	r.t.Helper()
	c := communitytest.Seed(r.t, r.store, r.clock.Now, communitytest.Spec{
		Staff: []communitytest.Member{
			{Name: "张三", OpenID: "o-worker", Roles: []community.Role{community.RoleGridWorker}},
			{Name: "李四", Roles: []community.Role{community.RoleGridWorker}},
			{Name: "王芳", OpenID: "o-sup", Roles: []community.Role{community.RoleSupervisor}},
			{Name: "马调解", OpenID: "o-mediator", Roles: []community.Role{community.RoleMediator}},
			{Name: "赵值班", OpenID: "o-duty", Roles: []community.Role{community.RoleDuty}},
			{Name: "孙楼长", OpenID: "o-head", Roles: []community.Role{community.RoleBuildingHead}},
			{Name: "周单元", OpenID: "o-unit", Roles: []community.Role{community.RoleUnitHead}},
		},
		Buildings: []communitytest.Building{
			{Number: 3, Head: "孙楼长", UnitHeads: map[int]string{2: "周单元"}},
			{Number: 5},
			{Number: 7},
		},
		Grids: []communitytest.Grid{
			{Name: "一网格", Worker: "张三", Supervisor: "王芳", Buildings: []int{3}},
			{Name: "二网格", Worker: "李四", Buildings: []int{7}},
		},
	})
	st := c.Staff
	r.worker, r.worker2, r.sup, r.mediator, r.duty, r.head, r.unitHead = st["张三"], st["李四"], st["王芳"], st["马调解"], st["赵值班"], st["孙楼长"], st["周单元"]
	r.b3, r.b5, r.b7 = c.Buildings[3], c.Buildings[5], c.Buildings[7]
	r.gridA = c.Grids["一网格"]
	return r
}

// draft is a repair request from resident openid in building b (nil: no
// building), unit 2.
func draft(openid, category string, b *community.Building) ticket.Draft {
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

// fieldError returns the field named by err's *bot.UserError.
func fieldError(t *testing.T, err error) string {
	t.Helper()
	var ue *bot.UserError
	if !errors.As(err, &ue) || ue.Field == "" {
		t.Fatalf("error %v is not a *bot.UserError naming a field", err)
	}
	return ue.Field
}

package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/blobs"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/media"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
	"github.com/tongxin/tongxin/workcal"
)

// ward is the rig with a small community: two grids with their workers,
// duty, a supervisor, a mediator and a volunteer 楼栋长, and tickets in
// both grids (each description names its grid, so that a page showing
// another grid's ticket is caught by its text).
type ward struct {
	*rig
	worker, worker2, duty, sup, mediator, head community.Staff
	b3, b7                                     community.Building
	gridA, gridB                               community.Grid
	// Tickets: a repair in grid A (张三's), a repair in grid B (李四's),
	// a sanitation request in grid B handed to 张三, a dispute in grid A
	// (the mediator's).
	a, b, lent, dispute string
}

const (
	descA       = "一网格三号楼楼道灯坏了"
	descB       = "二网格七号楼水管漏水"
	descLent    = "二网格七号楼垃圾没人清"
	descDispute = "一网格三号楼邻居噪音纠纷"
)

func newWard(t *testing.T) *ward {
	t.Helper()
	w := &ward{rig: newRig(t)}
	ctx := context.Background()
	// 09:00 on the next working day, whatever day the test runs: the
	// deadlines the pages show do not depend on it.
	cal := workcal.Builtin()
	y, m, d := time.Now().In(bot.Shanghai).Date()
	for day := time.Date(y, m, d+1, 9, 0, 0, 0, bot.Shanghai); ; day = day.AddDate(0, 0, 1) {
		if cal.IsWorkday(day) {
			w.clock.Set(day)
			break
		}
	}
	w.worker = w.staff("张三", community.RoleGridWorker)
	w.worker2 = w.staff("李四", community.RoleGridWorker)
	w.duty = w.staff("赵值班", community.RoleDuty)
	w.sup = w.staff("王督办", community.RoleSupervisor)
	w.mediator = w.staff("马调解", community.RoleMediator)
	w.head = w.staff("孙楼长", community.RoleBuildingHead)
	for _, n := range []int{3, 7} {
		b, err := w.dir.SaveBuilding(ctx, cs.BuildingInput{Number: n})
		if err != nil {
			t.Fatal(err)
		}
		if n == 3 {
			w.b3 = b
		} else {
			w.b7 = b
		}
	}
	var err error
	if w.gridA, err = w.dir.CreateGrid(ctx, cs.GridInput{Name: "一网格", WorkerID: w.worker.ID, Buildings: []int{3}}); err != nil {
		t.Fatal(err)
	}
	if w.gridB, err = w.dir.CreateGrid(ctx, cs.GridInput{Name: "二网格", WorkerID: w.worker2.ID, Buildings: []int{7}}); err != nil {
		t.Fatal(err)
	}
	w.a = w.file("o-res-a", "repair", w.b3, descA)
	w.b = w.file("o-res-b", "repair", w.b7, descB)
	w.lent = w.file("o-res-c", "sanitation", w.b7, descLent)
	w.dispute = w.file("o-res-d", "dispute", w.b3, descDispute)
	if _, err := w.tickets.Act(ctx, ticket.Action{Number: w.lent, Kind: ticket.ActTransfer, By: w.duty.ID, ToID: w.worker.ID}); err != nil {
		t.Fatal(err)
	}
	return w
}

// file files a resident's request in building b.
func (w *ward) file(openid, category string, b community.Building, desc string) string {
	w.t.Helper()
	rc, err := w.tickets.Submit(context.Background(), ticket.Draft{OpenID: openid, Name: "居民" + openid[len(openid)-1:],
		Phone: "13800138000", Category: category, Description: desc, BuildingID: b.ID, Unit: 1, Source: "wechat"})
	if err != nil {
		w.t.Fatal(err)
	}
	return rc.Ticket.Number
}

// get fetches path, failing unless it answers want.
func (b *browser) want(path string, want int) string {
	b.t.Helper()
	code, loc, body := b.get(path)
	if code != want {
		b.t.Fatalf("GET %s: %d (to %q), want %d\n%s", path, code, loc, want, body)
	}
	return body
}

// act posts an action on ticket number from its page and returns where
// the browser is sent and the page it then shows.
func (b *browser) act(number string, form url.Values) (int, string) {
	b.t.Helper()
	code, loc, body := b.post("/console/tickets/"+number+"/act", form)
	if code != http.StatusSeeOther {
		return code, body
	}
	if loc != "/console/tickets/"+number {
		b.t.Fatalf("after acting on %s: sent to %q", number, loc)
	}
	return code, b.want(loc, http.StatusOK)
}

// TestConsoleTicketsByGrid: a grid worker's list holds their grid's
// tickets and those handed to them, never another grid's; its page, its
// actions and its photos are refused them as if it did not exist. A
// manager sees them all, a volunteer nothing.
func TestConsoleTicketsByGrid(t *testing.T) {
	w := newWard(t)
	zs := w.as(w.worker)

	list := zs.want("/console/tickets", http.StatusOK)
	for _, n := range []string{w.a, w.lent, w.dispute} {
		if !strings.Contains(list, n) {
			t.Errorf("张三's list lacks %s", n)
		}
	}
	if strings.Contains(list, w.b) || strings.Contains(list, descB) {
		t.Errorf("张三's list shows grid B's ticket %s", w.b)
	}
	if !strings.Contains(list, "共 3 件") {
		t.Errorf("张三's list does not count 3 tickets:\n%s", list)
	}
	// Filtering grid B leaves only what was handed to him.
	gridB := zs.want("/console/tickets?grid="+itoa(w.gridB.ID), http.StatusOK)
	if !strings.Contains(gridB, w.lent) || strings.Contains(gridB, w.b) || !strings.Contains(gridB, "共 1 件") {
		t.Errorf("张三 filtering grid B:\n%s", gridB)
	}

	// Another grid's ticket: 404, and nothing of it on the page.
	code, _, body := zs.get("/console/tickets/" + w.b)
	if code != http.StatusNotFound || strings.Contains(body, descB) {
		t.Errorf("张三 opens grid B's ticket: %d\n%s", code, body)
	}
	code, body = zs.act(w.b, url.Values{"kind": {"accept"}})
	if code != http.StatusNotFound || strings.Contains(body, descB) {
		t.Errorf("张三 accepts grid B's ticket: %d\n%s", code, body)
	}
	if got, _, _ := w.tickets.Get(context.Background(), w.b); got.Status != ticket.Submitted {
		t.Errorf("grid B's ticket is %s after 张三's refused action", got.Status)
	}
	if code, _, _ := zs.get("/console/tickets/" + w.b + "/media/1"); code != http.StatusForbidden && code != http.StatusNotFound {
		t.Errorf("张三 fetches grid B's photo: %d", code)
	}
	// His grid's dispute he reads, without the resident's phone, but it is
	// the mediator's to work: no action forms.
	page := zs.want("/console/tickets/"+w.dispute, http.StatusOK)
	if !strings.Contains(page, descDispute) || strings.Contains(page, "13800138000") || strings.Contains(page, `id="act-accept"`) {
		t.Errorf("张三 on his grid's dispute:\n%s", page)
	}
	// The ticket handed to him he works.
	page = zs.want("/console/tickets/"+w.lent, http.StatusOK)
	if !strings.Contains(page, descLent) || !strings.Contains(page, "13800138000") || !strings.Contains(page, `id="act-accept"`) {
		t.Errorf("张三 on the ticket handed to him:\n%s", page)
	}

	// The mediator: only the dispute.
	ma := w.as(w.mediator).want("/console/tickets", http.StatusOK)
	if !strings.Contains(ma, w.dispute) || strings.Contains(ma, descA) || strings.Contains(ma, descB) {
		t.Errorf("the mediator's list:\n%s", ma)
	}
	// Managers and duty: everything.
	for name, b := range map[string]*browser{"supervisor": w.as(w.sup), "duty": w.as(w.duty), "operator": w.operator()} {
		body := b.want("/console/tickets", http.StatusOK)
		for _, n := range []string{w.a, w.b, w.lent, w.dispute} {
			if !strings.Contains(body, n) {
				t.Errorf("%s's list lacks %s", name, n)
			}
		}
		if body := b.want("/console/tickets/"+w.b, http.StatusOK); !strings.Contains(body, descB) {
			t.Errorf("%s cannot open grid B's ticket", name)
		}
	}
	// A volunteer 楼栋长 has no ticket pages at all.
	hd := w.as(w.head)
	if code, _, body := hd.get("/console/tickets"); code != http.StatusForbidden || strings.Contains(body, descA) {
		t.Errorf("a building head's list: %d", code)
	}
	if code, _, body := hd.get("/console/tickets/" + w.a); code != http.StatusForbidden || strings.Contains(body, descA) {
		t.Errorf("a building head's detail: %d", code)
	}
}

// TestConsoleTicketFilters: status, overdue, category, dates and pages.
func TestConsoleTicketFilters(t *testing.T) {
	w := newWard(t)
	op := w.operator()
	if _, err := w.tickets.Act(context.Background(), ticket.Action{Number: w.a, Kind: ticket.ActAccept}); err != nil {
		t.Fatal(err)
	}
	body := op.want("/console/tickets?status=accepted", http.StatusOK)
	if !strings.Contains(body, w.a) || strings.Contains(body, w.b) {
		t.Errorf("status accepted:\n%s", body)
	}
	body = op.want("/console/tickets?category=dispute", http.StatusOK)
	if !strings.Contains(body, w.dispute) || strings.Contains(body, w.a) {
		t.Errorf("category dispute:\n%s", body)
	}
	if body := op.want("/console/tickets?overdue=1", http.StatusOK); !strings.Contains(body, "共 0 件") {
		t.Errorf("overdue before any deadline:\n%s", body)
	}
	w.clock.Advance(10 * 24 * time.Hour)
	if body := op.want("/console/tickets?overdue=1", http.StatusOK); !strings.Contains(body, "共 4 件") || !strings.Contains(body, "超时") {
		t.Errorf("overdue ten days on:\n%s", body)
	}
	today := w.clock.Now().Add(-10 * 24 * time.Hour).In(bot.Shanghai).Format("2006-01-02")
	if body := op.want("/console/tickets?from="+today+"&to="+today, http.StatusOK); !strings.Contains(body, "共 4 件") {
		t.Errorf("filed today:\n%s", body)
	}
	if body := op.want("/console/tickets?to=2020-01-01", http.StatusOK); !strings.Contains(body, "共 0 件") {
		t.Errorf("filed before 2020:\n%s", body)
	}
	for i := range 21 {
		w.file(fmt.Sprintf("o-many-%d", i), "repair", w.b3, "很多件之一")
	}
	first := op.want("/console/tickets", http.StatusOK)
	if !strings.Contains(first, "共 25 件，第 1/2 页") || !strings.Contains(first, `id="page-next"`) {
		t.Errorf("first page:\n%s", first)
	}
	second := op.want("/console/tickets?page=2", http.StatusOK)
	if !strings.Contains(second, "第 2/2 页") || strings.Count(second, "<tr>") != 1+5 {
		t.Errorf("second page has %d rows", strings.Count(second, "<tr>")-1)
	}
	if code, _, _ := op.get("/console/tickets?status=nonsense"); code != http.StatusBadRequest {
		t.Errorf("an unknown status: %d", code)
	}
}

// TestConsoleTicketActions: the WeChat actions from the console change
// the ticket, show on its timeline and tell the resident; refusals are
// the service's words.
func TestConsoleTicketActions(t *testing.T) {
	w := newWard(t)
	zs := w.as(w.worker)
	_, page := zs.act(w.a, url.Values{"kind": {"resolve"}, "note": {"已修好"}})
	if !strings.Contains(page, "还未受理") {
		t.Errorf("resolving before accepting: the service's refusal is not shown\n%s", page)
	}
	_, page = zs.act(w.a, url.Values{"kind": {"accept"}})
	if !strings.Contains(page, "已受理") || !strings.Contains(page, "处理中") || !strings.Contains(timeline(page), "网格员 张三 <strong>受理</strong>") {
		t.Errorf("after accepting:\n%s", page)
	}
	_, page = zs.act(w.a, url.Values{"kind": {"resolve"}})
	if !strings.Contains(page, "请写明办理结果") {
		t.Errorf("resolving without a note:\n%s", page)
	}
	_, page = zs.act(w.a, url.Values{"kind": {"ask"}, "note": {"请问您几点在家？"}})
	if !strings.Contains(timeline(page), "询问居民") {
		t.Errorf("after asking: %s", timeline(page))
	}
	_, page = zs.act(w.a, url.Values{"kind": {"note"}, "note": {"已买灯泡"}})
	if !strings.Contains(timeline(page), "已买灯泡") {
		t.Errorf("after a note: %s", timeline(page))
	}
	_, page = zs.act(w.a, url.Values{"kind": {"resolve"}, "note": {"已更换楼道灯"}})
	if !strings.Contains(page, "已办结待评价") || !strings.Contains(timeline(page), "已更换楼道灯") || strings.Contains(page, `id="act-resolve"`) {
		t.Errorf("after resolving:\n%s", page)
	}
	// The resident was told each step that concerns them.
	told := notices(t, w.store, "o-res-a")
	for _, kind := range []string{tickets.NoticeAccepted, tickets.NoticeAsked, tickets.NoticeResolved} {
		if !told[kind] {
			t.Errorf("the resident was not told %s: %v", kind, told)
		}
	}

	// Transfer and return by the duty staff.
	duty := w.as(w.duty)
	_, page = duty.act(w.b, url.Values{"kind": {"transfer"}, "to_id": {itoa(w.mediator.ID)}, "note": {"请调解"}})
	if !strings.Contains(page, "已转派") || !strings.Contains(timeline(page), "转给 调解员 马调解：请调解") {
		t.Errorf("after transferring:\n%s", timeline(page))
	}
	_, page = duty.act(w.b, url.Values{"kind": {"transfer"}, "to_id": {itoa(w.head.ID)}})
	if !strings.Contains(page, "只能转给") {
		t.Errorf("transfer to a volunteer: the refusal is not shown\n%s", page)
	}
	mb := w.as(w.mediator)
	code, loc, _ := mb.post("/console/tickets/"+w.b+"/act", url.Values{"kind": {"return"}, "note": {"不是纠纷"}, "tell": {"1"}})
	if code != http.StatusSeeOther || loc != "/console/tickets" {
		t.Errorf("returning a ticket: %d to %q, want the list (it is no longer theirs)", code, loc)
	}
	if page := mb.want(loc, http.StatusOK); !strings.Contains(page, "已退回值班员重新分派") || strings.Contains(page, w.b) {
		t.Errorf("the mediator's list after returning:\n%s", page)
	}
	page = duty.want("/console/tickets/"+w.b, http.StatusOK)
	if !strings.Contains(page, "重新分派中") || !strings.Contains(timeline(page), "（已告知居民）不是纠纷") {
		t.Errorf("after returning:\n%s", timeline(page))
	}
	// Passed back, it is no longer the mediator's: they cannot read it.
	if code, _ := mb.act(w.b, url.Values{"kind": {"note"}, "note": {"x"}}); code != http.StatusNotFound {
		t.Errorf("the mediator acts on a ticket no longer theirs: %d", code)
	}
}

// TestConsoleFileOnBehalf: filing for a resident who phoned.
func TestConsoleFileOnBehalf(t *testing.T) {
	w := newWard(t)
	duty := w.as(w.duty)
	form := duty.want("/console/tickets/new", http.StatusOK)
	for _, id := range []string{`id="ticket-file"`, `id="file-category"`, `id="file-description"`, `id="file-building"`, `id="file-unit"`, `id="file-place"`, `id="file-name"`, `id="file-phone"`} {
		if !strings.Contains(form, id) {
			t.Errorf("the filing form lacks %s", id)
		}
	}
	in := url.Values{"category": {"repair"}, "description": {"家里水管爆了"}, "building": {itoa(w.b3.ID)},
		"unit": {"2"}, "place": {"201室"}, "name": {"王大爷"}}
	code, _, body := duty.post("/console/tickets", in)
	if code != http.StatusBadRequest || !strings.Contains(body, "请留下居民的联系电话") || !strings.Contains(body, "家里水管爆了") {
		t.Errorf("filing without a phone: %d\n%s", code, body)
	}
	in.Set("phone", "13900001111")
	code, loc, _ := duty.post("/console/tickets", in)
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/tickets/") {
		t.Fatalf("filing: %d to %q", code, loc)
	}
	page := duty.want(loc, http.StatusOK)
	for _, want := range []string{"已登记，编号", "家里水管爆了", "王大爷", "13900001111", "3号楼2单元201室", "代居民登记诉求", "值班员 赵值班", "派给 网格员 张三"} {
		if !strings.Contains(page, want) {
			t.Errorf("the filed ticket's page lacks %q", want)
		}
	}
	// It went to the grid's worker, who has it on their list.
	number := strings.TrimPrefix(loc, "/console/tickets/")
	if body := w.as(w.worker).want("/console/tickets", http.StatusOK); !strings.Contains(body, number) {
		t.Errorf("张三's list lacks the ticket filed for his grid")
	}
	// A volunteer may not file.
	if code, _, _ := w.as(w.head).post("/console/tickets", in); code != http.StatusForbidden {
		t.Errorf("a building head files: %d", code)
	}
}

// TestConsoleTicketPhotos: a ticket's photos, copied from WeChat by the
// media jobs, are served to those who may read the ticket only.
func TestConsoleTicketPhotos(t *testing.T) {
	w := newWard(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rdb, prefix, _ := redistest.New(t)
	wx, err := wechat.NewClient(wechat.ClientConfig{AppID: wechattest.AppID, Secret: wechattest.Secret, APIBase: w.fake.URL(), Redis: rdb, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := blobs.NewDir(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.New(w.store, jobs.Config{PollInterval: 20 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := media.New(runner, w.store, dir, wx, media.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	photo := wechattest.JPEG(5)
	w.fake.AddMedia("m-a", "image/jpeg", photo)
	w.fake.AddMedia("m-b", "image/jpeg", photo)
	for number, ref := range map[string]string{w.a: "media:m-a", w.b: "media:m-b"} {
		tk, _, err := w.tickets.Get(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.store.Transact(ctx, func(tx *storage.Tx) error {
			return ms.KeepTx(ctx, tx, tk.ID, []ticket.MediaRef{{Kind: ticket.MediaPhoto, Ref: ref}})
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(ctx)
	})
	w.console.Media = ms
	zs := w.as(w.worker)
	bottest.WaitFor(t, 10*time.Second, "the photo copied", func() bool {
		return strings.Contains(zs.want("/console/tickets/"+w.a, http.StatusOK), `src="/console/tickets/`+w.a+`/media/1"`)
	})
	code, _, body := zs.get("/console/tickets/" + w.a + "/media/1")
	if code != http.StatusOK || body != string(photo) {
		t.Errorf("张三's photo: %d, %d bytes", code, len(body))
	}
	if code, _, body := zs.get("/console/tickets/" + w.b + "/media/1"); code != http.StatusNotFound || body == string(photo) {
		t.Errorf("张三 fetches grid B's photo: %d", code)
	}
	sup := w.as(w.sup)
	// Each photo is copied by a job of its own: grid B's may come after A's.
	bottest.WaitFor(t, 10*time.Second, "grid B's photo copied", func() bool {
		return strings.Contains(sup.want("/console/tickets/"+w.b, http.StatusOK), `src="/console/tickets/`+w.b+`/media/1"`)
	})
	if code, _, body := sup.get("/console/tickets/" + w.b + "/media/1"); code != http.StatusOK || body != string(photo) {
		t.Errorf("the supervisor's photo of grid B: %d", code)
	}
	if code, _, _ := zs.get("/console/tickets/" + w.a + "/media/2"); code != http.StatusNotFound {
		t.Errorf("a photo that does not exist: %d", code)
	}
}

// timeline is the timeline of a ticket's page.
func timeline(page string) string {
	i := strings.Index(page, `id="ticket-timeline"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(page[i:], "</ol>")
	return page[i : i+j]
}

// notices returns the kinds of notification queued for openid.
func notices(t *testing.T, s *storage.Store, openid string) map[string]bool {
	t.Helper()
	ns, err := s.ListNotifications(context.Background(), "", 500, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, n := range ns {
		if n.Recipient == openid {
			out[n.Kind] = true
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

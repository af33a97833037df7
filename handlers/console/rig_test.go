package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/clinic"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/handlers/console"
	"github.com/tongxin/tongxin/handlers/web"
	"github.com/tongxin/tongxin/handlers/web/browsertest"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
	"github.com/tongxin/tongxin/workcal"
)

const adminToken = "console-admin-0123456789abcdef01234567"

// rig is the console over real services on a SQLite store of its own,
// a Redis (real with TONGXIN_TEST_REDIS_URL) and the fake WeChat API.
type rig struct {
	t       *testing.T
	url     string
	clock   *bottest.Clock
	store   *storage.Store
	dir     *cs.Service
	tickets *tickets.Service
	acts    *activities.Service
	admin   *activities.Admin
	clinic  *clinic.Service
	fake    *wechattest.FakeAPI
	console *console.Console
}

func newRig(t *testing.T) *rig {
	t.Helper()
	store := storagetest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clk := bottest.NewClock(time.Now())
	outbox := notifytest.Queue(t, store, notify.Config{LogOnly: true, Now: clk.Now})
	svc := tickets.New(store, outbox, workcal.Builtin(), tickets.Config{Now: clk.Now})
	dir := cs.New(store, cs.Config{Now: clk.Now})
	dir.OnDeactivate(svc.ReturnAssigned)
	acts := activities.New(store, outbox, activities.Config{Now: clk.Now})
	rdb, prefix, _ := redistest.New(t)
	fake := wechattest.NewFakeAPI(t)
	wx, err := wechat.NewClient(wechat.ClientConfig{AppID: wechattest.AppID, Secret: wechattest.Secret, APIBase: fake.URL(), Redis: rdb, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	admin := &activities.Admin{Service: acts, QR: wx}
	clin := clinic.New(store, outbox, clinic.Config{Now: clk.Now, Activities: admin,
		Place: "社区服务中心法律诊所", Phone: "0937-6220000"})
	c := &console.Console{
		Community: dir, Tickets: svc, Activities: admin, Clinic: clin,
		Notifications: store, Retrier: outbox,
		Redis: rdb, KeyPrefix: prefix, AdminToken: adminToken, Logger: log, Now: clk.Now,
	}
	mux := http.NewServeMux()
	h := c.Handler()
	mux.Handle(console.Path, h)
	mux.Handle(console.Path+"/", h)
	mux.Handle("GET "+web.AssetsPath, web.Assets())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c.PublicURL = srv.URL
	return &rig{t: t, url: srv.URL, clock: clk, store: store, dir: dir, tickets: svc, acts: acts, admin: admin,
		clinic: clin, fake: fake, console: c}
}

// staff creates an active staff member with roles, bound to a fresh
// openid.
func (r *rig) staff(name string, roles ...community.Role) community.Staff {
	r.t.Helper()
	ctx := context.Background()
	names := make([]string, len(roles))
	for i, ro := range roles {
		names[i] = string(ro)
	}
	_, code, err := r.dir.CreateStaff(ctx, cs.StaffInput{Name: name, Phone: fmt.Sprintf("139%08d", rand.IntN(1e8)), Roles: names})
	if err != nil {
		r.t.Fatal(err)
	}
	st, err := r.dir.Bind(ctx, fmt.Sprintf("o-staff-%08x", rand.Uint32()), code)
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

// browser is one person's browser: a cookie jar, no redirects followed
// unless asked.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (r *rig) browser() *browser {
	return &browser{t: r.t, base: r.url, c: browsertest.Jar(r.t)}
}

// as returns a browser signed in as st through a one-time link, as
// 登录后台 gives one.
func (r *rig) as(st community.Staff) *browser {
	r.t.Helper()
	link, err := r.console.IssueLink(context.Background(), st)
	if err != nil {
		r.t.Fatal(err)
	}
	b := r.browser()
	u, err := url.Parse(link)
	if err != nil {
		r.t.Fatal(err)
	}
	if code, _, _ := b.get(u.RequestURI()); code != http.StatusOK {
		r.t.Fatalf("link page: %d", code)
	}
	code, loc, body := b.post(console.Path+"/login/link", url.Values{"t": {u.Query().Get("t")}})
	if code != http.StatusSeeOther || loc != console.Path {
		r.t.Fatalf("link login: %d to %q\n%s", code, loc, body)
	}
	return b
}

// operator returns a browser signed in with the admin token.
func (r *rig) operator() *browser {
	r.t.Helper()
	b := r.browser()
	code, loc, _ := b.post(console.Path+"/login/token", url.Values{"token": {adminToken}})
	if code != http.StatusSeeOther || loc != console.Path {
		r.t.Fatalf("token login: %d to %q", code, loc)
	}
	return b
}

// get fetches path and returns the status, the redirect target and the
// body.
func (b *browser) get(path string) (int, string, string) {
	b.t.Helper()
	return b.do(http.MethodGet, path, nil)
}

// post submits form to path as a same-origin form would.
func (b *browser) post(path string, form url.Values) (int, string, string) {
	b.t.Helper()
	return b.do(http.MethodPost, path, form)
}

func (b *browser) do(method, path string, form url.Values) (int, string, string) {
	b.t.Helper()
	return browsertest.Send(b.t, b.c, b.base, method, path, "", form)
}

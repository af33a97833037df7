package mine_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/blobs"
	"github.com/tongxin/tongxin/bot/activity"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/clinic"
	"github.com/tongxin/tongxin/handlers/mine"
	"github.com/tongxin/tongxin/handlers/web"
	"github.com/tongxin/tongxin/handlers/web/browsertest"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/media"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
	"github.com/tongxin/tongxin/workcal"
)

// rig is the resident pages over real services on a SQLite store of its
// own, a Redis (real with TONGXIN_TEST_REDIS_URL), the media copies and
// the fake WeChat API, which also plays WeChat's web authorisation.
type rig struct {
	t       *testing.T
	url     string
	store   *storage.Store
	tickets *tickets.Service
	acts    *activities.Service
	clinic  *clinic.Service
	fake    *wechattest.FakeAPI
	pages   *mine.Pages
}

type rigOpt func(*mine.Pages)

// offline builds the pages as with development credentials.
func offline(p *mine.Pages) { p.Offline = true }

func newRig(t *testing.T, opts ...rigOpt) *rig {
	t.Helper()
	ctx := context.Background()
	store := storagetest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rdb, prefix, _ := redistest.New(t)
	fake := wechattest.NewFakeAPI(t)
	wx, err := wechat.NewClient(wechat.ClientConfig{AppID: wechattest.AppID, Secret: wechattest.Secret, APIBase: fake.URL(), Redis: rdb, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, store); err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.New(store, jobs.Config{PollInterval: 20 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := notify.New(runner, store, wx, notify.Config{LogOnly: true}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := blobs.NewDir(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := media.New(runner, store, bs, wx, media.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	svc := tickets.New(store, outbox, workcal.Builtin(), tickets.Config{Media: ms})
	acts := activities.New(store, outbox, activities.Config{})
	clin := clinic.New(store, outbox, clinic.Config{Activities: &activities.Admin{Service: acts, QR: wx},
		Place: "社区服务中心法律诊所", Phone: "0937-6220000"})
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(ctx)
	})
	p := &mine.Pages{Residents: store, Tickets: svc, Activities: acts, Clinic: clin, Media: ms,
		Redis: rdb, KeyPrefix: prefix, OAuth: wx, Logger: log}
	for _, o := range opts {
		o(p)
	}
	mux := http.NewServeMux()
	mux.Handle(mine.Path, p.Handler())
	mux.Handle("GET "+web.AssetsPath, web.Assets())
	// What the simulator does to open a page as its resident.
	mux.HandleFunc("POST /sim/open", func(w http.ResponseWriter, r *http.Request) {
		if err := p.SignInAs(w, r, r.PostFormValue("openid")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, r.PostFormValue("next"), http.StatusSeeOther)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.PublicURL = srv.URL
	return &rig{t: t, url: srv.URL, store: store, tickets: svc, acts: acts, clinic: clin, fake: fake, pages: p}
}

// resident is a fresh openid.
func resident(name string) string { return fmt.Sprintf("o-%s-%08x", name, rand.Uint32()) }

// file files a repair request for openid and returns it.
func (r *rig) file(openid, description string, photos ...string) ticket.Ticket {
	r.t.Helper()
	rc, err := r.tickets.Submit(context.Background(), ticket.Draft{OpenID: openid, Name: "阿依古丽", Phone: "13800138000",
		Category: "repair", Description: description, Place: "3号楼2单元201室", Photos: photos, Source: "wechat"})
	if err != nil {
		r.t.Fatal(err)
	}
	return rc.Ticket
}

// resolve accepts and resolves ticket number as the operator would.
func (r *rig) resolve(number string) {
	r.t.Helper()
	for _, k := range []ticket.ActionKind{ticket.ActAccept, ticket.ActResolve} {
		if _, err := r.tickets.Act(context.Background(), ticket.Action{Number: number, Kind: k, Note: "已更换灯泡"}); err != nil {
			r.t.Fatalf("%s %s: %v", k, number, err)
		}
	}
}

// event plans an activity starting in days and signs openid up.
func (r *rig) signUp(openid, title string, days int) activity.Signup {
	r.t.Helper()
	ctx := context.Background()
	start := time.Now().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Hour)
	a, err := r.acts.Create(ctx, activity.Activity{Title: title, Location: "社区活动室", StartsAt: start,
		EndsAt: start.Add(2 * time.Hour), Capacity: 20, MaxParty: 2})
	if err != nil {
		r.t.Fatal(err)
	}
	rc, err := r.acts.SignUp(ctx, activity.Draft{ActivityID: a.ID, OpenID: openid, Name: "王芳", Phone: "13900139000", PartySize: 1})
	if err != nil {
		r.t.Fatal(err)
	}
	return rc.Signup
}

// schedule opens appointment slots every day (30 minutes, one seat).
func (r *rig) schedule() {
	r.t.Helper()
	ctx := context.Background()
	pr, err := r.clinic.CreateProvider(ctx, cl.Provider{Name: "王律师", Kind: cl.Lawyer, Phone: "13600136000", Active: true})
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.clinic.CreateSchedule(ctx, cl.Schedule{Mode: cl.Appointment, ProviderIDs: []int64{pr.ID},
		Weekdays: []int{1, 2, 3, 4, 5, 6, 7}, Start: "09:00", End: "11:00", SlotMinutes: 30, Capacity: 1,
		Location: "二楼调解室", Matters: []cl.Matter{cl.Consult, cl.Mediation}, Active: true}); err != nil {
		r.t.Fatal(err)
	}
}

// book books the first free consultation slot for openid.
func (r *rig) book(openid string) cl.Booking {
	r.t.Helper()
	ctx := context.Background()
	ss, err := r.clinic.Slots(ctx, cl.Consult)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, s := range ss {
		if s.WalkIn || s.ActivityID != 0 || s.Left == 0 {
			continue
		}
		rc, err := r.clinic.Book(ctx, cl.Draft{Slot: s.Ref(), Matter: cl.Consult, OpenID: openid, Name: "李明",
			Phone: "13700137000", Description: "房屋漏水，邻居不修"})
		if err != nil || rc.Taken {
			continue
		}
		return rc.Booking
	}
	r.t.Fatal("no free slot to book")
	return cl.Booking{}
}

// browser is one phone's browser: a cookie jar; redirects are followed
// only by signIn.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (r *rig) browser() *browser {
	return &browser{t: r.t, base: r.url, c: browsertest.Jar(r.t)}
}

// as returns a browser of openid signed in through the web
// authorisation: /my/ sends it to the fake's authorisation page, which
// comes back with a code for openid.
func (r *rig) as(openid string) *browser {
	r.t.Helper()
	b := r.browser()
	r.fake.SetOAuthUser(openid)
	if code, _, body := b.follow(mine.Path); code != http.StatusOK || !strings.Contains(body, "<h1>我的</h1>") {
		r.t.Fatalf("signing in as %s: %d\n%s", openid, code, body)
	}
	return b
}

// follow gets path and follows redirects wherever they lead (the fake's
// authorisation included), returning the last answer.
func (b *browser) follow(path string) (int, string, string) {
	b.t.Helper()
	u := b.base + path
	for range 10 {
		code, loc, body := b.do(http.MethodGet, u, nil)
		if code/100 != 3 {
			return code, u, body
		}
		next, err := url.Parse(u)
		if err != nil {
			b.t.Fatal(err)
		}
		ref, err := next.Parse(loc)
		if err != nil {
			b.t.Fatal(err)
		}
		ref.Fragment = ""
		u = ref.String()
	}
	b.t.Fatalf("too many redirects from %s", path)
	return 0, "", ""
}

// get fetches path (of the pages, or a full URL) without following a
// redirect: the status, the redirect target and the body.
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

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

// Issue 13's multi-instance survival tests: three real `tongxin serve`
// processes on one PostgreSQL and one Redis, a driver spreading the
// residents' messages round-robin across them, one fake WeChat API
// counting what staff were pushed.
const (
	// instResidents each file a service request and sign up for the event.
	instResidents = 200
	// instInstances is how many servers run.
	instInstances = 3
	// instWorkers bounds the residents talking at once.
	instWorkers = 24
	// instBuildings are the buildings of the one grid residents live in.
	instBuildings = 4
	// instLockTTL is the webhook's per-resident lock TTL
	// (handlers.residentLockTTL): a dead instance's lock must not make a
	// resident busy for longer.
	instLockTTL = 3 * time.Second
	// instWeChatRetry is WeChat's interval between deliveries of a
	// message it got no answer to (it tries three more times).
	instWeChatRetry = 5 * time.Second
	// instBusyText is in the webhook's reply to a resident whose previous
	// message still holds their lock.
	instBusyText = "还在处理"
)

// instProblems are what residents report; none is urgent, so every
// ticket takes the ordinary path.
var instProblems = []string{"楼道灯不亮", "单元门禁刷不开", "下水道堵了", "楼梯扶手松了", "垃圾桶满了没人清", "路灯不亮", "墙皮脱落", "水表箱门坏了"}

// TestThreeInstances runs 200 residents through three real servers on one
// PostgreSQL and one Redis, each message to the next server in turn: each
// files a service request (报修 … 确认) and signs up for an event with a
// seat for everyone. Some messages are delivered twice with the same
// MsgId, the copy to another server (WeChat's retry), one after the other
// or both at once, confirmations included: both copies read the same
// reply (or one the empty "success" while the other works) and the
// message acts once. At the end the database holds exactly one ticket and
// one sign-up per resident, and the fake WeChat API got exactly one push
// per notification (the grid worker and the building head one per ticket,
// the organiser one "full"), with every row of the ledger sent: the
// servers share the delivery work without sending twice.
func TestThreeInstances(t *testing.T) {
	r := newInstRig(t, false, -1)
	people := r.residents()
	start := time.Now()
	r.run(t, people, 0)
	t.Logf("%d residents, %d messages (%d delivered twice) through %d instances in %v; %d late replies",
		len(people), r.answered.Load(), r.dups.Load(), instInstances, time.Since(start).Round(time.Millisecond), r.late.Load())
	if t.Failed() {
		return
	}
	r.checkRows(t, people)
	r.checkBusy(t, people, time.Time{})
	delivered := time.Now()
	r.waitLedger(t)
	t.Logf("the ledger emptied %v after the last message", time.Since(delivered).Round(time.Millisecond))
	r.logShare(t)
	r.stopAll()
	r.checkLedger(t)
	r.checkCustomPushes(t)
}

// TestKillOneInstance kills one of the three servers (SIGKILL) while the
// 200 residents are half-way: the driver sends to the survivors from then
// on, and a message in flight to the dead one is delivered again to a
// survivor with the same MsgId, as WeChat does 5 s after its first try.
// Its resident, given no answer, writes 帮助 at once; a survivor may tell
// them they are busy (the dead server's lock on them) only until the lock
// expires. In the end every ticket and sign-up is there exactly once and
// every notification reached its staff member exactly once, the killed
// server's deliveries taken up by the survivors. The kill lands while the
// victim sends a template message that WeChat accepts but the victim never
// hears of (instProxy), so a survivor sends it again once the row's lease
// ends. Staff are outside the 48-hour window here, so pushes go as
// template messages, whose client_msg_id lets WeChat drop that repeat (a
// customer-service text cut off the same way would go twice: nothing can
// tell WeChat it is the same).
func TestKillOneInstance(t *testing.T) {
	r := newInstRig(t, true, instInstances-1)
	people := r.residents()
	start := time.Now()
	r.run(t, people, int64(len(people)*11/2))
	t.Logf("%d residents, %d messages (%d delivered twice) through %d instances, one killed after %d answers, in %v; %d late replies; %d messages were in flight to the killed instance",
		len(people), r.answered.Load(), r.dups.Load(), instInstances, r.kill.after, time.Since(start).Round(time.Millisecond), r.late.Load(), r.inflight.Load())
	if r.kill.done.IsZero() {
		t.Fatal("the instance was never killed: the residents finished first")
	}
	if r.inflight.Load() == 0 {
		t.Log("no message was in flight to the killed instance: the retry path went unexercised this run")
	}
	r.checkBusy(t, people, r.kill.done)
	if t.Failed() {
		return
	}
	r.checkRows(t, people)
	waited := time.Now()
	r.waitLedger(t)
	t.Logf("the ledger emptied %v after the last message (%v after the kill)",
		time.Since(waited).Round(time.Millisecond), time.Since(r.kill.done).Round(time.Millisecond))
	r.logShare(t)
	r.stopAll()
	r.checkLedger(t)
	r.checkTemplatePushes(t)
}

// instRig is the servers of one test and what they share.
type instRig struct {
	env   *testEnv
	store *storage.Store
	bin   string
	bases []string
	cmds  []*exec.Cmd
	sims  []*wechat.Simulator
	dead  [instInstances]atomic.Bool
	rr    atomic.Uint64
	run4  string // tells this run's openids apart in a Redis that outlives it

	worker, head, organizer string // the staff's openids
	eventID                 int64

	answered atomic.Int64 // messages answered
	dups     atomic.Int64 // messages delivered twice
	late     atomic.Int64 // replies that came as a push after "success"
	inflight atomic.Int64 // messages whose delivery died with an instance
	// templateSends counts the template sends that reached the fake,
	// repeats included (with staffTemplates).
	templateSends atomic.Int64
	kill          instKill
}

// instKill says when to kill which instance, and records when it died.
type instKill struct {
	victim int
	after  int64 // answers before the kill
	fire   chan struct{}
	// armed asks the victim's proxy to catch its next template send;
	// midSend says it did, killed that the victim is dead.
	armed   atomic.Bool
	midSend chan struct{}
	killed  chan struct{}
	// caught is set when the kill hit the victim in mid-send.
	caught bool
	done   time.Time // when the process was reaped: its last lock renewal was before
}

// newInstRig starts instInstances servers on a fresh PostgreSQL database
// and a Redis of their own; victim is the one a run may kill (-1: none).
// With staffTemplates, customer-service texts to staff are refused as
// outside the 48-hour window (45015), so their notifications go as
// template messages.
func newInstRig(t *testing.T, staffTemplates bool, victim int) *instRig {
	t.Helper()
	if testing.Short() {
		t.Skip("runs three servers")
	}
	// PostgreSQL first: without it the test skips before building.
	dbURL := storagetest.PostgresURL(t)
	bin := testBinary(t)
	r := &instRig{bin: bin, run4: fmt.Sprintf("%04x", rand.Uint32()%0x10000)}
	r.worker, r.head, r.organizer = "o-inst-"+r.run4+"-worker", "o-inst-"+r.run4+"-head", "o-inst-"+r.run4+"-organizer"
	r.env = newEnv(t, dbURL)
	if u := instRedis(t); u != "" {
		r.env.vars["TONGXIN_REDIS_URL"] = u
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tongxin.toml")
	tpl := "[notify.templates.ticket_new]\nid = \"TPL-NEW\"\n[notify.templates.ticket_cc]\nid = \"TPL-CC\"\n[notify.templates.activity_full]\nid = \"TPL-FULL\"\n"
	if err := os.WriteFile(cfg, []byte(tpl), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"TONGXIN_CONFIG_FILE":         cfg,
		"TONGXIN_QUIET_HOURS":         "off",
		"TONGXIN_RATE_PER_MINUTE":     "0",
		"TONGXIN_DATABASE_MAX_CONNS":  "8",
		"TONGXIN_NOTIFY_JOB_TIMEOUT":  "2s",
		"TONGXIN_NOTIFY_RESCUE_AFTER": "3s",
		"TONGXIN_LOG_LEVEL":           "warn",
	} {
		r.env.vars[k] = v
	}

	ctx := context.Background()
	var err error
	if r.store, err = storage.Open(ctx, dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	// Migrate once, before three servers would race to.
	if err := migrateAll(ctx, r.store); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: instWorkers}}
	t.Cleanup(client.CloseIdleConnections)
	r.kill = instKill{victim: victim, midSend: make(chan struct{}, 1), killed: make(chan struct{})}
	for k := range instInstances {
		if staffTemplates {
			r.env.vars["TONGXIN_WECHAT_API_BASE"] = r.instProxy(t, k)
		}
		base, cmd := r.env.spawnAt(t, bin)
		sim := r.env.sim(base, wechat.ModeSafe)
		sim.HTTP = client
		r.bases, r.cmds, r.sims = append(r.bases, base), append(r.cmds, cmd), append(r.sims, sim)
	}
	r.setUp(t)
	return r
}

// instRedis starts a redis-server of the test's own on a free loopback
// port and returns its URL, or "" when there is no redis-server (the
// shared one configured by newEnv serves then: the test's keys name
// openids of this run only).
func instRedis(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return ""
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	_ = ln.Close()
	cmd := exec.Command(path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	u := "redis://127.0.0.1:" + port + "/0"
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	bottest.WaitFor(t, 10*time.Second, "the test's redis-server on "+port, func() bool {
		return c.Ping(context.Background()).Err() == nil
	})
	return u
}

// instProxy is what stands between an instance and the fake API (with
// staffTemplates): it refuses customer-service texts to staff (45015,
// outside the 48-hour window), counts template sends, repeats included,
// and, once the kill is armed, lets the victim's next template send reach
// the fake and then holds its answer until the victim is dead: WeChat
// has the message, the victim never learns it.
func (r *instRig) instProxy(t *testing.T, instance int) string {
	target, err := url.Parse(r.env.fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	staff := []string{r.worker, r.head, r.organizer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || (req.URL.Path != wechattest.PathCustomSend && req.URL.Path != wechattest.PathTemplate) {
			proxy.ServeHTTP(w, req)
			return
		}
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		if req.URL.Path == wechattest.PathCustomSend {
			var m struct {
				ToUser string `json:"touser"`
			}
			if json.Unmarshal(body, &m) == nil && slices.Contains(staff, m.ToUser) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"errcode":45015,"errmsg":"response out of time limit or subscription is canceled"}`))
				return
			}
			proxy.ServeHTTP(w, req)
			return
		}
		r.templateSends.Add(1)
		if instance != r.kill.victim || !r.kill.armed.CompareAndSwap(true, false) {
			proxy.ServeHTTP(w, req)
			return
		}
		// The victim's send: WeChat takes it, the answer never comes back.
		fwd, err := http.NewRequestWithContext(context.Background(), http.MethodPost, r.env.fake.URL()+req.URL.RequestURI(), bytes.NewReader(body))
		if err == nil {
			fwd.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(fwd); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		}
		r.kill.midSend <- struct{}{}
		<-r.kill.killed
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// setUp creates, through the admin API, the grid worker, the buildings'
// head and the event's organiser (each bound to their WeChat), the grid
// of instBuildings buildings, and the event with a seat for everyone.
func (r *instRig) setUp(t *testing.T) {
	t.Helper()
	base := r.bases[0]
	staff := func(name, phone, role, openid string) float64 {
		code, body := admin(t, base, "POST", "/api/v1/staff", map[string]any{"name": name, "phone": phone, "roles": []string{role}})
		if code != 201 {
			t.Fatalf("create staff %s: %d %v", name, code, body)
		}
		// Bind on the last instance: setting up spans the servers too.
		got := say(t, r.sims[len(r.sims)-1], wechat.SimMessage{OpenID: openid, Text: fmt.Sprintf("绑定 %v", body["bind_code"])})
		if !strings.Contains(got, "绑定成功") {
			t.Fatalf("bind %s: %q", name, got)
		}
		return body["id"].(float64)
	}
	worker := staff("张网格", "13900000001", "grid_worker", r.worker)
	head := staff("李楼长", "13900000002", "building_head", r.head)
	organizer := staff("王主任", "13900000003", "supervisor", r.organizer)
	var numbers []int
	for n := 1; n <= instBuildings; n++ {
		if code, body := admin(t, base, "POST", "/api/v1/buildings", map[string]any{"number": n}); code != 201 {
			t.Fatalf("building %d: %d %v", n, code, body)
		}
		numbers = append(numbers, n)
	}
	if code, body := admin(t, base, "POST", "/api/v1/grids", map[string]any{"name": "一网格", "worker_id": worker, "buildings": numbers}); code != 201 {
		t.Fatalf("grid: %d %v", code, body)
	}
	for _, n := range numbers {
		if code, body := admin(t, r.bases[n%len(r.bases)], "PATCH", fmt.Sprintf("/api/v1/buildings/%d", n), map[string]any{"head_id": head}); code != 200 {
			t.Fatalf("building %d's head: %d %v", n, code, body)
		}
	}
	starts := time.Now().Add(72 * time.Hour).In(bot.Shanghai).Truncate(time.Hour)
	code, ev := admin(t, r.bases[1], "POST", "/api/v1/events", map[string]any{
		"title": "邻里节", "description": "各家带一道家乡菜，一起包饺子。", "location": "社区广场",
		"starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(3 * time.Hour).Format(time.RFC3339),
		"capacity": instResidents, "max_party": 1, "organizer_id": organizer,
	})
	if code != 201 {
		t.Fatalf("event: %d %v", code, ev)
	}
	r.eventID = int64(ev["id"].(float64))
}

// residents makes the residents of a run.
func (r *instRig) residents() []*instResident {
	people := make([]*instResident, instResidents)
	for i := range people {
		b := 1 + i%instBuildings
		people[i] = &instResident{
			i: i, rig: r, openid: fmt.Sprintf("o-inst-%s-%03d", r.run4, i),
			name:  residentName(i),
			phone: fmt.Sprintf("139%08d", 20000000+i*7919%70000000),
			place: fmt.Sprintf("%d号楼%d单元%d", b, 1+i/instBuildings%3, 101+i/12),
			desc:  instProblems[i%len(instProblems)],
		}
	}
	return people
}

// run has every resident file a request and sign up, on instWorkers
// goroutines, and kills the rig's victim once killAfter messages were
// answered (0: never).
func (r *instRig) run(t *testing.T, people []*instResident, killAfter int64) {
	t.Helper()
	ctx := context.Background()
	killer := make(chan struct{})
	finished := make(chan struct{})
	if killAfter > 0 {
		r.kill.after, r.kill.fire = killAfter, make(chan struct{})
		go func() {
			defer close(killer)
			defer close(r.kill.killed)
			select {
			case <-r.kill.fire:
			case <-finished: // everyone finished first
				return
			}
			// Kill it in mid-send if it sends within a few seconds; the
			// timer only bounds the wait for one.
			r.kill.armed.Store(true)
			wait := time.NewTimer(5 * time.Second)
			select {
			case <-r.kill.midSend:
				r.kill.caught = true
			case <-wait.C:
				r.kill.armed.Store(false)
			}
			wait.Stop()
			r.dead[r.kill.victim].Store(true) // no new message goes there
			cmd := r.cmds[r.kill.victim]
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Errorf("kill: %v", err)
			}
			_ = cmd.Wait()
			r.kill.done = time.Now()
		}()
	} else {
		close(killer)
	}
	work := make(chan *instResident)
	errs := make(chan error, len(people))
	var wg sync.WaitGroup
	for range instWorkers {
		wg.Go(func() {
			for p := range work {
				if err := p.live(ctx); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, p := range people {
		work <- p
	}
	close(work)
	wg.Wait()
	close(finished)
	<-killer
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 5 {
			t.Error(err)
		}
	}
	if n > 5 {
		t.Errorf("and %d more residents failed", n-5)
	}
}

// answeredOne counts an answer and fires the kill once enough came.
func (r *instRig) answeredOne() {
	if n := r.answered.Add(1); r.kill.fire != nil && n == r.kill.after {
		close(r.kill.fire)
	}
}

// pick returns the next live instance in turn, other than not (-1: any).
func (r *instRig) pick(not int) int {
	for {
		k := int(r.rr.Add(1) % instInstances)
		if k != not && !r.dead[k].Load() {
			return k
		}
	}
}

// deliver posts sr to instance k and returns the reply text.
func (r *instRig) deliver(ctx context.Context, k int, sr *wechat.SimRequest) (string, error) {
	req, err := r.sims[k].NewHTTPRequest(ctx, sr)
	if err != nil {
		return "", err
	}
	reply, status, err := r.sims[k].Do(req)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("instance %d answered %d: %s", k, status, reply)
	}
	if err != nil {
		return "", &instDeliveryError{instance: k, err: err}
	}
	return reply, nil
}

// instDeliveryError is a delivery that got no answer from instance.
type instDeliveryError struct {
	instance int
	err      error
}

func (e *instDeliveryError) Error() string {
	return fmt.Sprintf("instance %d: %v", e.instance, e.err)
}

func (e *instDeliveryError) Unwrap() error { return e.err }

// killed reports whether err is a delivery that died with a killed
// instance.
func (r *instRig) killed(err error) bool {
	var de *instDeliveryError
	return errors.As(err, &de) && r.dead[de.instance].Load()
}

// instDup is how a message is delivered.
type instDup int

const (
	instOnce  instDup = iota
	instAgain         // then again to another instance, once answered
	instTwice         // to two instances at once
)

// instBusy is one busy reply a resident got.
type instBusy struct {
	sent, got time.Time
}

// instResident is one resident and what they were told.
type instResident struct {
	i                                int
	rig                              *instRig
	openid, name, phone, place, desc string

	script []string // what was said and answered, for failures
	pushes int      // customer-service texts to them already read
	number string   // the ticket number told
	code   string   // the 签到码 told
	busy   []instBusy
	// calm is when the first answer that was not busy came after the
	// first busy one.
	calm time.Time
	// helped is when 帮助 was answered, after a message of theirs died
	// with its instance.
	helped time.Time
}

var (
	instNumberRe  = regexp.MustCompile(`编号[:：]\s*(\d{10})`)
	instCheckinRe = regexp.MustCompile(`签到码[:：]\s*(\d{6})`)
	instStaffNoRe = regexp.MustCompile(`(\d{10})`)
)

func (p *instResident) fail(format string, args ...any) error {
	return fmt.Errorf("resident %d (%s): %s\n%s", p.i, p.openid, fmt.Sprintf(format, args...), strings.Join(p.script, "\n"))
}

// live files the resident's service request, then signs them up.
func (p *instResident) live(ctx context.Context) error {
	if err := p.report(ctx); err != nil {
		return err
	}
	return p.signUp(ctx)
}

// instPrompt is the step a reply asks for: after 继续： when the reply
// answered a keyword inside a form (帮助), else the whole reply.
func instPrompt(reply string) string {
	if _, after, ok := strings.Cut(reply, "继续："); ok {
		return after
	}
	return reply
}

// report walks the service request form by its prompts, up to its
// number. Every fifth resident's confirmation is delivered again to
// another instance once answered, every fifth but one both at once, and
// some descriptions twice at once.
func (p *instResident) report(ctx context.Context) error {
	reply, err := p.say(ctx, wechat.SimMessage{Text: "报修"}, instOnce)
	if err != nil {
		return p.fail("%v", err)
	}
	for range 12 {
		if m := instNumberRe.FindStringSubmatch(reply); m != nil && strings.Contains(reply, "已提交") {
			p.number = m[1]
			return nil
		}
		step := instPrompt(reply)
		var answer string
		dup := instOnce
		switch {
		case strings.Contains(step, "请核对") && strings.Contains(step, "回复 1 确认"):
			answer = "1"
			dup = []instDup{instAgain, instTwice, instOnce, instOnce, instOnce}[p.i%5]
		case strings.Contains(step, "请选择问题类型"):
			answer = "1"
		case strings.Contains(step, "描述问题"):
			answer = p.desc
			if p.i%7 == 3 {
				dup = instTwice
			}
		case strings.Contains(step, "照片"):
			answer = "跳过"
		case strings.Contains(step, "问题在哪里"):
			answer = p.place
		case strings.Contains(step, "联系电话"):
			answer = p.phone
		default:
			return p.fail("unexpected reply while reporting: %q", reply)
		}
		if reply, err = p.say(ctx, wechat.SimMessage{Text: answer}, dup); err != nil {
			return p.fail("%v", err)
		}
	}
	return p.fail("no ticket number after 12 answers")
}

// signUp scans the event's poster (half following the account by it)
// and answers every step up to the check-in code; every fifth resident's
// poster scan and confirmation are delivered again to another instance,
// every fifth but one's confirmation to two at once.
func (p *instResident) signUp(ctx context.Context) error {
	ev := wechat.SimMessage{Kind: bot.KindEvent, Event: bot.EventSubscribe, EventKey: fmt.Sprintf("event:%d", p.rig.eventID)}
	if p.i%2 == 1 {
		ev.Event = bot.EventScan
	}
	dup := instOnce
	if p.i%5 == 4 {
		dup = instAgain
	}
	reply, err := p.say(ctx, ev, dup)
	if err != nil {
		return p.fail("%v", err)
	}
	for range 10 {
		if m := instCheckinRe.FindStringSubmatch(reply); m != nil && strings.Contains(reply, "报名成功") {
			p.code = m[1]
			return nil
		}
		step := instPrompt(reply)
		var answer string
		dup := instOnce
		switch {
		case strings.Contains(step, "回复 1 确认"):
			answer = "1"
			dup = []instDup{instOnce, instOnce, instAgain, instTwice, instOnce}[p.i%5]
		case strings.Contains(step, "怎么称呼") || strings.Contains(step, "姓名"):
			answer = p.name
		case strings.Contains(step, "手机"):
			answer = p.phone
		case strings.Contains(step, "几位") || strings.Contains(step, "人数"):
			answer = "1"
		default:
			return p.fail("unexpected reply while signing up: %q", reply)
		}
		if reply, err = p.say(ctx, wechat.SimMessage{Text: answer}, dup); err != nil {
			return p.fail("%v", err)
		}
	}
	return p.fail("no check-in code after 10 answers")
}

// say sends m and returns what the resident reads. Told they are busy,
// the resident writes the same again (a new message), as the reply asks,
// until it is answered.
func (p *instResident) say(ctx context.Context, m wechat.SimMessage, dup instDup) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	var tick *time.Ticker
	for {
		sent := time.Now()
		reply, err := p.exchange(ctx, m, dup)
		if err != nil {
			return "", err
		}
		if !strings.Contains(reply, instBusyText) {
			if len(p.busy) > 0 && p.calm.IsZero() {
				p.calm = time.Now()
			}
			return reply, nil
		}
		p.busy = append(p.busy, instBusy{sent: sent, got: time.Now()})
		if time.Now().After(deadline) {
			return "", fmt.Errorf("still busy after 30 s of writing %q again", m.Text)
		}
		if tick == nil {
			tick = time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
		}
		<-tick.C
		dup = instOnce
		if m.Kind == bot.KindEvent {
			// An event is told apart from its retries by its CreateTime.
			m.CreateTime = time.Now().Add(time.Duration(len(p.busy)) * time.Second)
		}
	}
}

// exchange delivers m as dup says and returns the reply the resident
// reads: the webhook's, or when it answered "success" because the bot was
// slow, the customer-service message that follows.
func (p *instResident) exchange(ctx context.Context, m wechat.SimMessage, dup instDup) (string, error) {
	r := p.rig
	m.OpenID = p.openid
	sr, err := r.sims[0].Build(m)
	if err != nil {
		return "", err
	}
	sent := time.Now()
	what := m.Text
	if m.Kind == bot.KindEvent {
		what = fmt.Sprintf("[%s %s]", m.Event, m.EventKey)
	}
	var reply string
	switch dup {
	case instOnce:
		reply, err = r.deliver(ctx, r.pick(-1), sr)
		if err != nil && r.killed(err) {
			reply, err = p.redeliver(ctx, sr, sent)
		}
	case instAgain:
		r.dups.Add(1)
		a := r.pick(-1)
		first, err1 := r.deliver(ctx, a, sr)
		if err1 != nil && r.killed(err1) {
			first, err1 = p.redeliver(ctx, sr, sent)
		}
		if err1 != nil {
			return "", fmt.Errorf("send %s: %w", what, err1)
		}
		b := r.pick(a)
		again, err2 := r.deliver(ctx, b, sr)
		if err2 != nil && r.killed(err2) {
			again, err2 = r.deliver(ctx, r.pick(b), sr)
		}
		if err2 != nil {
			return "", fmt.Errorf("send %s again: %w", what, err2)
		}
		if again != first {
			return "", fmt.Errorf("send %s: the first delivery read %q, the retry on instance %d %q", what, first, b, again)
		}
		reply = first
	case instTwice:
		r.dups.Add(1)
		a := r.pick(-1)
		ks := []int{a, r.pick(a)}
		replies := make([]string, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for j, k := range ks {
			wg.Go(func() { replies[j], errs[j] = r.deliver(ctx, k, sr) })
		}
		wg.Wait()
		switch {
		case errs[0] == nil && errs[1] == nil:
			if x, y := replies[0], replies[1]; x != y && x != "" && y != "" {
				return "", fmt.Errorf("send %s to two instances at once: the copies read %q and %q", what, x, y)
			}
			reply = replies[0] + replies[1]
			if replies[0] == replies[1] {
				reply = replies[0]
			}
		case errs[0] == nil && r.killed(errs[1]) && replies[0] != "":
			reply = replies[0]
		case errs[1] == nil && r.killed(errs[0]) && replies[1] != "":
			reply = replies[1]
		case r.killed(errs[0]) || r.killed(errs[1]):
			// One copy died with its instance, and the other answered
			// "success" while the dead one held the message: WeChat,
			// which got no answer from the first, tries again.
			reply, err = p.redeliver(ctx, sr, sent)
		default:
			err = errors.Join(errs...)
		}
	}
	if err != nil {
		return "", fmt.Errorf("send %s: %w", what, err)
	}
	r.answeredOne()
	if reply == "" {
		r.late.Add(1)
		if reply, err = p.nextPush(ctx); err != nil {
			return "", fmt.Errorf("send %s: no reply and %w", what, err)
		}
	}
	p.script = append(p.script, "> "+what, reply)
	return reply, nil
}

// redeliver handles a message whose delivery died with its instance.
// The resident, given no answer, writes 帮助 at once (a new message,
// harmless inside a form); WeChat delivers the message again 5 s after
// its first try, and every 5 s after that up to three times, to a
// survivor, with the same MsgId.
func (p *instResident) redeliver(ctx context.Context, sr *wechat.SimRequest, sent time.Time) (string, error) {
	r := p.rig
	r.inflight.Add(1)
	p.script = append(p.script, "(the instance died with the message)")
	if _, err := p.say(ctx, wechat.SimMessage{Text: "帮助"}, instOnce); err != nil {
		return "", fmt.Errorf("帮助 after the instance died: %w", err)
	}
	if p.helped.IsZero() {
		p.helped = time.Now()
	}
	for try := 1; try <= 3; try++ {
		// WeChat's schedule, not a wait for something to happen.
		wait := time.NewTimer(time.Until(sent.Add(time.Duration(try) * instWeChatRetry)))
		select {
		case <-ctx.Done():
			wait.Stop()
			return "", ctx.Err()
		case <-wait.C:
		}
		reply, err := r.deliver(ctx, r.pick(-1), sr)
		if err == nil || !r.killed(err) {
			p.script = append(p.script, fmt.Sprintf("(WeChat's retry %d)", try))
			return reply, err
		}
	}
	return "", errors.New("three retries found no live instance")
}

// nextPush waits for the next customer-service text to the resident.
func (p *instResident) nextPush(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		n := 0
		for _, c := range p.rig.env.fake.CustomTexts() {
			if c.ToUser != p.openid {
				continue
			}
			if n++; n > p.pushes {
				p.pushes = n
				return c.Content, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", errors.New("no late reply either")
		case <-tick.C:
		}
	}
}

// checkRows checks that the database holds one ticket and one sign-up per
// resident, the ones they were told of.
func (r *instRig) checkRows(t *testing.T, people []*instResident) {
	t.Helper()
	ctx := context.Background()
	var tickets []struct {
		Number string `db:"number"`
		OpenID string `db:"openid"`
	}
	if err := r.store.DB().Select(&tickets, `SELECT number, openid FROM tickets`); err != nil {
		t.Fatal(err)
	}
	byOpenID := map[string][]string{}
	for _, tk := range tickets {
		byOpenID[tk.OpenID] = append(byOpenID[tk.OpenID], tk.Number)
	}
	if len(tickets) != len(people) {
		t.Errorf("%d tickets, want %d", len(tickets), len(people))
	}
	signups, err := r.store.ActivitySignups(ctx, r.eventID)
	if err != nil {
		t.Fatal(err)
	}
	if len(signups) != len(people) {
		t.Errorf("%d sign-ups, want %d", len(signups), len(people))
	}
	sus := map[string][]activity.Signup{}
	for _, su := range signups {
		sus[su.OpenID] = append(sus[su.OpenID], su)
	}
	for _, p := range people {
		switch got := byOpenID[p.openid]; {
		case len(got) != 1:
			t.Errorf("resident %d has tickets %v, want one", p.i, got)
		case got[0] != p.number:
			t.Errorf("resident %d was told 编号 %s, the database has %s", p.i, p.number, got[0])
		}
		switch got := sus[p.openid]; {
		case len(got) != 1:
			t.Errorf("resident %d has %d sign-ups, want one", p.i, len(got))
		case got[0].Status != activity.Confirmed || got[0].CheckinCode != p.code || got[0].PartySize != 1:
			t.Errorf("resident %d was told 签到码 %s; the database has %s, %s, party %d", p.i, p.code, got[0].Status, got[0].CheckinCode, got[0].PartySize)
		}
	}
	taken, held, err := seats(r.store.DB(), r.eventID)
	if err != nil {
		t.Fatal(err)
	}
	if taken != len(people) || held != len(people) {
		t.Errorf("seats_taken %d, sign-ups hold %d, want %d", taken, held, len(people))
	}
}

// checkBusy checks that no resident was told they were busy, but for a
// lock the killed instance held: only until that lock expired (killed
// is when the process was reaped; its last renewal was before). A busy
// reply takes the lock for its whole wait, so a message sent after the
// lock's expiry that is told busy met a lock that outlived its TTL.
func (r *instRig) checkBusy(t *testing.T, people []*instResident, killed time.Time) {
	t.Helper()
	busy, longest, who := 0, time.Duration(0), -1
	for _, p := range people {
		if len(p.busy) == 0 {
			continue
		}
		busy++
		if killed.IsZero() {
			t.Errorf("resident %d was told busy %d times with no instance killed\n%s", p.i, len(p.busy), strings.Join(p.script, "\n"))
			continue
		}
		for _, b := range p.busy {
			// Half a second for Redis to expire the key and the reply to
			// come back.
			if b.sent.After(killed.Add(instLockTTL + 500*time.Millisecond)) {
				t.Errorf("resident %d was told busy to a message sent %v after the kill, past the lock TTL %v",
					p.i, b.sent.Sub(killed).Round(time.Millisecond), instLockTTL)
			}
		}
		if d := p.calm.Sub(killed); d > longest {
			longest, who = d, p.i
		}
	}
	inflight, slowest := 0, time.Duration(0)
	for _, p := range people {
		if !p.helped.IsZero() {
			inflight++
			slowest = max(slowest, p.helped.Sub(killed))
		}
	}
	if !killed.IsZero() {
		t.Logf("%d residents whose message died with the instance wrote 帮助 at once: answered at most %v after the kill",
			inflight, slowest.Round(time.Millisecond))
		if busy == 0 {
			t.Log("no resident was told busy after the kill")
		} else {
			t.Logf("%d residents were told busy after the kill; the longest until an answer was resident %d's, %v after the kill (lock TTL %v)",
				busy, who, longest.Round(time.Millisecond), instLockTTL)
		}
	}
}

// waitLedger waits until no notification waits on the ledger and the
// fake API got the staff's pushes.
func (r *instRig) waitLedger(t *testing.T) {
	t.Helper()
	var last time.Time
	bottest.WaitFor(t, 120*time.Second, "every notification sent", func() bool {
		if time.Since(last) < 200*time.Millisecond {
			return false
		}
		last = time.Now()
		var n int
		if err := r.store.DB().Get(&n, `SELECT COUNT(*) FROM notifications WHERE status = 'pending'`); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
}

// logShare logs how many deliveries each River client made: the servers
// share the work (a view of River's own table, not a contract).
func (r *instRig) logShare(t *testing.T) {
	var rows []struct {
		By string `db:"by"`
		N  int    `db:"n"`
	}
	err := r.store.DB().Select(&rows, `SELECT COALESCE(attempted_by[array_length(attempted_by, 1)], '') AS by, COUNT(*) AS n
		FROM river_job WHERE kind = 'notify.deliver' GROUP BY 1 ORDER BY 1`)
	if err != nil {
		t.Logf("River's share of the work: %v", err)
		return
	}
	var parts []string
	for _, row := range rows {
		parts = append(parts, fmt.Sprintf("%s: %d", row.By, row.N))
	}
	t.Logf("delivery jobs by the River client that last ran them: %s", strings.Join(parts, ", "))
}

// stopAll stops the live servers, so that nothing is sent after the count.
func (r *instRig) stopAll() {
	for k, cmd := range r.cmds {
		if !r.dead[k].Load() {
			stop(cmd)
		}
	}
}

// checkLedger checks the notifications ledger: one row per expected
// notification, every row sent.
func (r *instRig) checkLedger(t *testing.T) {
	t.Helper()
	var rows []struct {
		Kind      string `db:"kind"`
		Recipient string `db:"recipient"`
		Status    string `db:"status"`
		Key       string `db:"idem_key"`
		Attempts  int    `db:"attempts"`
	}
	if err := r.store.DB().Select(&rows, `SELECT kind, recipient, status, idem_key, attempts FROM notifications`); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	keys := map[string]int{}
	retried := 0
	for _, n := range rows {
		kinds[n.Kind+" to "+n.Recipient]++
		keys[n.Key]++
		if n.Status != storage.NotificationSent {
			t.Errorf("notification %s (%s to %s) is %s, want sent", n.Key, n.Kind, n.Recipient, n.Status)
		}
		if n.Attempts > 1 {
			retried++
		}
	}
	for k, n := range keys {
		if n != 1 {
			t.Errorf("notification key %s is on the ledger %d times", k, n)
		}
	}
	want := map[string]int{
		"ticket_new to " + r.worker:       instResidents,
		"ticket_cc to " + r.head:          instResidents,
		"activity_full to " + r.organizer: 1,
		// Binding tells the duty staff's group, through the robot.
		"staff_bound to " + bot.DutyStaff: 3,
	}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("the ledger has %d of %s, want %d", kinds[k], k, n)
		}
	}
	for k, n := range kinds {
		if _, ok := want[k]; !ok && !strings.HasPrefix(k, "reply to ") {
			t.Errorf("the ledger has %d unexpected %s", n, k)
		}
	}
	t.Logf("ledger: %d rows, all checked; %d took more than one attempt", len(rows), retried)
}

// ticketNumbers returns the numbers of the tickets filed.
func (r *instRig) ticketNumbers(t *testing.T) []string {
	var numbers []string
	if err := r.store.DB().Select(&numbers, `SELECT number FROM tickets ORDER BY number`); err != nil {
		t.Fatal(err)
	}
	return numbers
}

// checkPushes checks that each staff member got exactly the pushes
// expected: one per ticket (by the number in it) for the grid worker and
// the head, one "full" for the organiser.
func (r *instRig) checkPushes(t *testing.T, got map[string][]string) {
	t.Helper()
	numbers := r.ticketNumbers(t)
	for _, to := range []string{r.worker, r.head} {
		seen := map[string]int{}
		for _, number := range got[to] {
			seen[number]++
		}
		for _, number := range numbers {
			if seen[number] != 1 {
				t.Errorf("%s got %d pushes of ticket %s, want 1", to, seen[number], number)
			}
		}
		if len(got[to]) != len(numbers) {
			t.Errorf("%s got %d pushes, want %d (one per ticket)", to, len(got[to]), len(numbers))
		}
	}
	if n := len(got[r.organizer]); n != 1 {
		t.Errorf("the organiser got %d pushes, want 1 (the event is full)", n)
	}
}

// checkCustomPushes checks the customer-service texts staff got.
func (r *instRig) checkCustomPushes(t *testing.T) {
	t.Helper()
	got := map[string][]string{}
	for _, c := range r.env.fake.CustomTexts() {
		switch c.ToUser {
		case r.worker, r.head:
			got[c.ToUser] = append(got[c.ToUser], instStaffNoRe.FindString(c.Content))
		case r.organizer:
			if !strings.Contains(c.Content, "已报满") {
				t.Errorf("the organiser got %q", c.Content)
			}
			got[c.ToUser] = append(got[c.ToUser], "full")
		}
	}
	r.checkPushes(t, got)
	r.checkRobot(t)
}

// checkTemplatePushes checks the template messages staff got, as WeChat
// shows them: a send repeated with the same client_msg_id is dropped.
func (r *instRig) checkTemplatePushes(t *testing.T) {
	t.Helper()
	got := map[string][]string{}
	for _, s := range r.env.fake.TemplateSends() {
		switch {
		case s.ToUser == r.organizer && s.TemplateID == "TPL-FULL":
			got[s.ToUser] = append(got[s.ToUser], "full")
		case s.ToUser == r.worker && s.TemplateID == "TPL-NEW", s.ToUser == r.head && s.TemplateID == "TPL-CC":
			got[s.ToUser] = append(got[s.ToUser], s.Data["number"])
		default:
			t.Errorf("unexpected template message %s to %s", s.TemplateID, s.ToUser)
		}
	}
	r.checkPushes(t, got)
	for _, c := range r.env.fake.CustomTexts() {
		if c.ToUser == r.worker || c.ToUser == r.head || c.ToUser == r.organizer {
			t.Errorf("%s got a customer-service text outside the window: %q", c.ToUser, c.Content)
		}
	}
	r.checkRobot(t)
	if !r.kill.caught {
		t.Log("the killed instance was not sending a template message when it died: the lease and client_msg_id went unexercised this run")
	}
	accepted, sent := r.env.fake.Count(wechattest.PathTemplate), r.templateSends.Load()
	t.Logf("template sends: %d made, %d accepted; %d repeated after the kill and dropped by their client_msg_id", sent, accepted, sent-int64(accepted))
}

// checkRobot checks the staff group robot got the three bindings, once
// each, and nothing else: every staff member is bound.
func (r *instRig) checkRobot(t *testing.T) {
	t.Helper()
	got := r.env.robot.got()
	names := map[string]int{}
	for _, text := range got {
		for _, name := range []string{"张网格", "李楼长", "王主任"} {
			if strings.Contains(text, name) {
				names[name]++
			}
		}
	}
	if len(got) != 3 || names["张网格"] != 1 || names["李楼长"] != 1 || names["王主任"] != 1 {
		t.Errorf("the staff group robot got %q, want the three bindings, once each", got)
	}
}

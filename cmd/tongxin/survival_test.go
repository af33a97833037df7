package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
)

// The survival tests of issue 13: a real tongxin process whose Redis or
// PostgreSQL stalls or stops while residents talk to it. Each asserts what
// residents read (the replies WeChat would show them, and that each came
// before WeChat's 5 s deadline) and what is stored afterwards.

// Texts the tests key on (the conversation contract of issue 13).
const (
	// apology is in the reply to a message the service could not work on
	// because a dependency is out of reach.
	apology = "稍后再试"
	// retryLater is in the reply to a confirmation the database refused.
	retryLater = "稍后"
	// startAgain is in the reply to a resident whose half-filled form
	// Redis lost.
	startAgain = "重新"
	// helpMark is in the reply to 帮助.
	helpMark = "请回复数字"
	// summaryMark ends every form's walk: the summary to confirm.
	summaryMark = "回复 1 确认"
)

// recoverWithin bounds how long the service may take to notice that a
// dependency is back (or gone); it only ends a broken run.
const recoverWithin = 20 * time.Second

// survivalDB is the database of a survival test whose database is not
// what breaks: the shared PostgreSQL when the run has one, else SQLite.
func survivalDB(t *testing.T) string {
	if os.Getenv("TONGXIN_TEST_POSTGRES_URL") != "" {
		return storagetest.PostgresURL(t)
	}
	return storagetest.SQLiteURL(t)
}

// survivalServer runs the real binary on dbURL and redisURL ("" keeps
// newEnv's) and returns its base URL and a safe-mode simulator for it.
func survivalServer(t *testing.T, dbURL, redisURL string) (*testEnv, string, *wechat.Simulator) {
	t.Helper()
	bin := testBinary(t)
	e := newEnv(t, dbURL)
	if redisURL != "" {
		e.vars["TONGXIN_REDIS_URL"] = redisURL
	}
	e.vars["TONGXIN_QUIET_HOURS"] = "off"
	// The residents here talk faster than people do; the rate limit is
	// not what is under test.
	e.vars["TONGXIN_RATE_PER_MINUTE"] = "0"
	base, _ := e.spawnAt(t, bin)
	if got := readyz(base); got != http.StatusOK {
		t.Fatalf("/readyz answered %d before anything broke", got)
	}
	return e, base, e.sim(base, wechat.ModeSafe)
}

// talker is one resident of a survival test and everything they read.
type talker struct {
	sim    *wechat.Simulator
	openid string
	name   string
	phone  string
	mu     sync.Mutex
	script []string
}

func newTalker(sim *wechat.Simulator, prefix string, i int) *talker {
	return &talker{sim: sim, openid: newOpenID(fmt.Sprintf("%s%02d", prefix, i)),
		name: residentName(i), phone: fmt.Sprintf("139%08d", 20000000+i*7919)}
}

// send delivers text (or an event, when m is not zero) and keeps the
// exchange for a failure's report.
func (p *talker) send(m wechat.SimMessage) call {
	m.OpenID = p.openid
	c := timedSend(p.sim, m)
	p.note(m, c)
	return c
}

func (p *talker) say(text string) call { return p.send(wechat.SimMessage{Text: text}) }

func (p *talker) note(m wechat.SimMessage, c call) {
	in := m.Text
	if m.Kind == bot.KindEvent {
		in = fmt.Sprintf("[%s %s]", m.Event, m.EventKey)
	}
	out := c.Reply
	if problem := c.answeredInTime(); problem != "" {
		out = "!! " + problem
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.script = append(p.script, "> "+in, out)
}

func (p *talker) transcript() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.script, "\n")
}

// served sends text until the service works on it: a reply that is
// neither the apology nor "your last message is still being processed",
// for within. Neither of those acted (the bot did not run), so sending
// again is what a resident does and cannot act twice. It returns the
// reply and how many sends it took.
func (p *talker) served(t *testing.T, text string, within time.Duration) (string, int) {
	t.Helper()
	var c call
	n := 0
	ok := waitUntil(within, func() bool {
		n++
		c = p.say(text)
		return c.answeredInTime() == "" && !strings.Contains(c.Reply, apology) && !strings.Contains(c.Reply, "稍等")
	})
	if !ok {
		t.Errorf("%s: %q was still not served after %v (%d sends); last: %s %q\n%s", p.openid, text, within, n, c.answeredInTime(), c.Reply, p.transcript())
	}
	return c.Reply, n
}

// walk answers the questions of a form, started by first, up to its
// summary.
func (p *talker) walk(first wechat.SimMessage, answer func(reply string) (string, bool)) error {
	c := p.send(first)
	for range 12 {
		if problem := c.answeredInTime(); problem != "" {
			return fmt.Errorf("%s\n%s", problem, p.transcript())
		}
		if strings.Contains(c.Reply, summaryMark) {
			return nil
		}
		next, ok := answer(c.Reply)
		if !ok {
			return fmt.Errorf("%s: unexpected reply %q\n%s", p.openid, c.Reply, p.transcript())
		}
		c = p.say(next)
	}
	return fmt.Errorf("%s: no summary after 12 answers\n%s", p.openid, p.transcript())
}

// walkReport files a repair request up to its summary.
func (p *talker) walkReport(place string) error {
	return p.walk(wechat.SimMessage{Text: "报修"}, func(reply string) (string, bool) {
		switch {
		case strings.Contains(reply, "请选择问题类型"):
			return "1", true
		case strings.Contains(reply, "描述"):
			return "楼道灯不亮", true
		case strings.Contains(reply, "照片"):
			return "跳过", true
		case strings.Contains(reply, "问题在哪里"):
			return place, true
		case phoneRe.MatchString(reply):
			return p.phone, true
		}
		return "", false
	})
}

// walkSignUp signs up for event a, by scanning its poster, up to the
// summary.
func (p *talker) walkSignUp(a activity.Activity) error {
	scan := wechat.SimMessage{Kind: bot.KindEvent, Event: bot.EventScan, EventKey: fmt.Sprintf("event:%d", a.ID)}
	return p.walk(scan, func(reply string) (string, bool) {
		switch {
		case partyRe.MatchString(reply):
			return "1", true
		case nameRe.MatchString(reply):
			return p.name, true
		case phoneRe.MatchString(reply):
			return p.phone, true
		}
		return "", false
	})
}

// parallel runs fn(0) to fn(n-1) at once and waits for all.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { fn(i) })
	}
	wg.Wait()
}

// checkApology fails t unless c was answered in time with the apology.
func checkApology(t *testing.T, c call) {
	t.Helper()
	if problem := c.answeredInTime(); problem != "" {
		t.Error(problem)
		return
	}
	if !strings.Contains(c.Reply, apology) {
		t.Errorf("%s sent %q and read %q (in %v), want an apology containing %s", c.Who, c.Text, c.Reply, c.Took.Round(time.Millisecond), apology)
	}
}

// countRows runs a count query on dbURL over a connection of its own, so
// that it works after the server it asks was restarted.
func countRows(t *testing.T, dbURL, query string, args ...any) int {
	t.Helper()
	store, err := storage.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("open %s to count: %v", dbURL, err)
	}
	defer store.Close()
	var n int
	if err := store.DB().QueryRowxContext(context.Background(), store.DB().Rebind(query), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestSurvivalRedisStalls pauses Redis (SIGSTOP: connections stay open,
// nothing answers) while residents talk. Every message must still be
// answered before WeChat gives up, with an apology, and once Redis
// continues the service works again without a restart: a keyword, and a
// form that picks up where it was.
func TestSurvivalRedisStalls(t *testing.T) {
	if testing.Short() {
		t.Skip("runs redis-server and the tongxin binary")
	}
	rd := startRedis(t, 0)
	_, base, sim := survivalServer(t, survivalDB(t), rd.URL())

	a, b := newTalker(sim, "stall", 0), newTalker(sim, "stall", 1)
	if c := a.say("帮助"); !strings.Contains(c.Reply, helpMark) {
		t.Fatalf("帮助 before the stall: %s %q", c.answeredInTime(), c.Reply)
	}
	b.say("报修")
	if c := b.say("1"); !strings.Contains(c.Reply, "描述") {
		t.Fatalf("the repair form before the stall:\n%s", b.transcript())
	}

	rd.Pause(t)
	stalled := true
	t.Cleanup(func() {
		if stalled {
			rd.Resume(t)
		}
	})
	// Residents keep talking while Redis stalls: a keyword, a form's
	// next answer, and newcomers.
	who, texts := []*talker{a, b}, []string{"帮助", "楼道灯不亮"}
	for i := 2; i < 6; i++ {
		who, texts = append(who, newTalker(sim, "stall", i)), append(texts, "帮助")
	}
	calls := make([]call, len(who))
	parallel(len(who), func(i int) { calls[i] = who[i].say(texts[i]) })
	var slowest time.Duration
	for _, c := range calls {
		checkApology(t, c)
		slowest = max(slowest, c.Took)
	}
	t.Logf("with Redis stalled: %d messages, slowest answered in %v: %q", len(calls), slowest.Round(time.Millisecond), calls[0].Reply)
	waitReadyz(t, base, http.StatusServiceUnavailable, recoverWithin)

	rd.Resume(t)
	stalled = false
	resumed := time.Now()
	if waitReadyz(t, base, http.StatusOK, recoverWithin) {
		t.Logf("/readyz 200 %v after SIGCONT", time.Since(resumed).Round(time.Millisecond))
	}
	// The stalled commands run once Redis continues (they were in its
	// socket buffers), so a resident's lock may still be held for its
	// short TTL: served resends while the service says so.
	if reply, n := a.served(t, "帮助", recoverWithin); !strings.Contains(reply, helpMark) {
		t.Errorf("帮助 after the stall (%d sends): %q", n, reply)
	} else {
		t.Logf("帮助 after the stall answered after %d send(s)", n)
	}
	// The answer sent during the stall was not acted on, so the form is
	// still at the description and takes it now.
	if reply, n := b.served(t, "楼道灯不亮", recoverWithin); !strings.Contains(reply, "照片") {
		t.Errorf("the form did not continue after the stall (%d sends): %q\n%s", n, reply, b.transcript())
	}
	if c := b.say("跳过"); !strings.Contains(c.Reply, "问题在哪里") {
		t.Errorf("the form's next step after the stall: %s %q\n%s", c.answeredInTime(), c.Reply, b.transcript())
	}
}

// TestSurvivalRedisStops kills Redis while 20 residents are in the
// middle of a repair request or an event sign-up and others keep
// messaging, then starts an empty one on the same port. Every webhook
// call is answered in time and never with a 5xx, /readyz turns red and
// green, the residents whose forms were lost are told to start again and
// can, and nothing is filed twice.
func TestSurvivalRedisStops(t *testing.T) {
	if testing.Short() {
		t.Skip("runs redis-server and the tongxin binary")
	}
	rd := startRedis(t, 0)
	dbURL := survivalDB(t)
	_, base, sim := survivalServer(t, dbURL, rd.URL())

	store, err := storage.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now().UTC()
	ev := activity.Activity{
		Title: "邻里荟", Description: "邻居们一起喝茶聊天。", Location: "社区活动室",
		StartsAt: now.Add(72 * time.Hour), EndsAt: now.Add(74 * time.Hour),
		Capacity: 100, MaxParty: 2, Status: activity.ActivityOpen, CreatedAt: now, UpdatedAt: now,
	}
	if err := store.InsertActivity(context.Background(), &ev); err != nil {
		t.Fatal(err)
	}

	// Ten residents are at a repair request's summary, ten at a sign-up's.
	const formers = 20
	people := make([]*talker, formers)
	for i := range people {
		people[i] = newTalker(sim, "stop", i)
	}
	reporter := func(i int) bool { return i%2 == 0 }
	start := func(i int) error {
		if reporter(i) {
			return people[i].walkReport(fmt.Sprintf("%d号楼", 1+i%5))
		}
		return people[i].walkSignUp(ev)
	}
	var walkErrs []error
	var mu sync.Mutex
	parallel(formers, func(i int) {
		if err := start(i); err != nil {
			mu.Lock()
			walkErrs = append(walkErrs, err)
			mu.Unlock()
		}
	})
	if len(walkErrs) > 0 {
		t.Fatalf("%d residents did not reach their summary before Redis stopped; first:\n%v", len(walkErrs), walkErrs[0])
	}

	// Others keep messaging throughout: every call they make is checked.
	chat := newChatter(sim, 6)
	chat.waitServed(t, 12)
	rd.Kill()
	killed := time.Now()

	// The residents at their summaries confirm while Redis is gone.
	confirms := make([]call, formers)
	parallel(formers, func(i int) { confirms[i] = people[i].say("1") })
	for _, c := range confirms {
		checkApology(t, c)
	}
	t.Logf("confirmations with Redis gone: first %q in %v", confirms[0].Reply, confirms[0].Took.Round(time.Millisecond))
	waitReadyz(t, base, http.StatusServiceUnavailable, recoverWithin)

	// An empty Redis on the same port: the data is lost.
	startRedis(t, rd.Port)
	if waitReadyz(t, base, http.StatusOK, recoverWithin) {
		t.Logf("ready again %v after the kill", time.Since(killed).Round(time.Millisecond))
	}
	// Nothing was filed while Redis was gone.
	if n := countRows(t, dbURL, "SELECT count(*) FROM tickets WHERE openid LIKE 'o-stop%'"); n != 0 {
		t.Errorf("%d tickets were filed while Redis was gone, want 0", n)
	}
	if n := countRows(t, dbURL, "SELECT count(*) FROM activity_signups WHERE openid LIKE 'o-stop%'"); n != 0 {
		t.Errorf("%d sign-ups were made while Redis was gone, want 0", n)
	}
	if !chat.waitServedSince(t, time.Now(), recoverWithin) {
		t.Error("no keyword was answered after Redis came back")
	}
	chat.stop()
	chat.check(t)

	// Their next answer, the confirmation again, finds the form gone: they
	// are told so, and to start again.
	again := make([]call, formers)
	parallel(formers, func(i int) { again[i] = people[i].say("1") })
	told := 0
	for i, c := range again {
		if problem := c.answeredInTime(); problem != "" {
			t.Error(problem)
			continue
		}
		if !strings.Contains(c.Reply, startAgain) {
			if told++; told <= 3 {
				t.Errorf("%s (mid-form when Redis lost its data) sent 1 and read %q, want it to say the form was lost and to start again (%s)", people[i].openid, c.Reply, startAgain)
			}
		}
	}
	if told > 3 {
		t.Errorf("and %d more residents were not told their form was lost", told-3)
	}

	// They start again and finish; each confirmation is delivered twice
	// (a WeChat retry of the same MsgId), which must not act twice.
	told2 := make([]string, formers)
	parallel(formers, func(i int) {
		p := people[i]
		if err := start(i); err != nil {
			t.Errorf("starting again after Redis came back: %v", err)
			return
		}
		sr, err := sim.Build(wechat.SimMessage{OpenID: p.openid, Text: "1"})
		if err != nil {
			t.Error(err)
			return
		}
		first, retry := deliver(sim, p.openid, "1", sr), deliver(sim, p.openid, "1 (retry)", sr)
		p.note(wechat.SimMessage{Text: "1"}, first)
		p.note(wechat.SimMessage{Text: "1 (same MsgId)"}, retry)
		for _, c := range []call{first, retry} {
			if problem := c.answeredInTime(); problem != "" {
				t.Error(problem)
			}
		}
		if retry.Reply != first.Reply {
			t.Errorf("%s: a retry of the confirmation read %q, the first delivery %q", p.openid, retry.Reply, first.Reply)
		}
		if reporter(i) {
			if m := numberRe.FindStringSubmatch(first.Reply); m != nil {
				told2[i] = m[1]
			}
		} else if confirmedRe.MatchString(first.Reply) && strings.Contains(first.Reply, "报名成功") {
			told2[i] = "signed up"
		}
		if told2[i] == "" {
			t.Errorf("%s: not filed after starting again:\n%s", p.openid, p.transcript())
		}
	})

	// Each resident's request or sign-up exists exactly once: nothing was
	// filed while Redis was gone, and no retry acted twice.
	for i, p := range people {
		if reporter(i) {
			if n := countRows(t, dbURL, "SELECT count(*) FROM tickets WHERE openid = ?", p.openid); n != 1 {
				t.Errorf("%s has %d tickets, want 1\n%s", p.openid, n, p.transcript())
			}
			if told2[i] != "" {
				if n := countRows(t, dbURL, "SELECT count(*) FROM tickets WHERE openid = ? AND number = ?", p.openid, told2[i]); n != 1 {
					t.Errorf("%s was told 编号 %s, which the database does not hold for them", p.openid, told2[i])
				}
			}
			continue
		}
		if n := countRows(t, dbURL, "SELECT count(*) FROM activity_signups WHERE openid = ? AND status <> 'cancelled'", p.openid); n != 1 {
			t.Errorf("%s has %d sign-ups, want 1\n%s", p.openid, n, p.transcript())
		}
	}
}

// chatter is residents sending 帮助 back to back until stopped, every
// call kept: the load that is flowing while a dependency breaks.
type chatter struct {
	quit  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	calls []call
	at    []time.Time // when each call was answered
}

func newChatter(sim *wechat.Simulator, n int) *chatter {
	ch := &chatter{quit: make(chan struct{})}
	for i := range n {
		p := newTalker(sim, "chat", i)
		ch.wg.Go(func() {
			for {
				select {
				case <-ch.quit:
					return
				default:
				}
				c := timedSend(p.sim, wechat.SimMessage{OpenID: p.openid, Text: "帮助"})
				ch.mu.Lock()
				ch.calls = append(ch.calls, c)
				ch.at = append(ch.at, time.Now())
				ch.mu.Unlock()
			}
		})
	}
	return ch
}

// served counts the help replies answered after since.
func (ch *chatter) served(since time.Time) int {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	n := 0
	for i, c := range ch.calls {
		if ch.at[i].After(since) && c.answeredInTime() == "" && strings.Contains(c.Reply, helpMark) {
			n++
		}
	}
	return n
}

// waitServed waits until n help replies came: the load is flowing.
func (ch *chatter) waitServed(t *testing.T, n int) {
	t.Helper()
	bottest.WaitFor(t, recoverWithin, fmt.Sprintf("%d keyword replies", n), func() bool { return ch.served(time.Time{}) >= n })
}

func (ch *chatter) waitServedSince(t *testing.T, since time.Time, within time.Duration) bool {
	t.Helper()
	return waitUntil(within, func() bool { return ch.served(since) > 0 })
}

func (ch *chatter) stop() {
	close(ch.quit)
	ch.wg.Wait()
}

// check fails t for every call that was not answered in time with the
// help or the apology.
func (ch *chatter) check(t *testing.T) {
	t.Helper()
	ch.mu.Lock()
	defer ch.mu.Unlock()
	bad, apologies, unserved := 0, 0, 0
	var slowest time.Duration
	for _, c := range ch.calls {
		slowest = max(slowest, c.Took)
		problem := c.answeredInTime()
		if problem == "" && strings.Contains(c.Reply, apology) {
			apologies++
		}
		if problem != "" || !strings.Contains(c.Reply, helpMark) {
			unserved++
		}
		if problem == "" && !strings.Contains(c.Reply, helpMark) && !strings.Contains(c.Reply, apology) {
			problem = fmt.Sprintf("%s sent 帮助 and read %q", c.Who, c.Reply)
		}
		if problem != "" {
			if bad++; bad <= 5 {
				t.Error(problem)
			}
		}
	}
	if bad > 5 {
		t.Errorf("and %d more keyword calls went wrong", bad-5)
	}
	t.Logf("keyword load: %d calls, %d apologies, %d wrong, slowest %v", len(ch.calls), apologies, bad, slowest.Round(time.Millisecond))
	if unserved == 0 {
		t.Error("every keyword call was answered with the help: the load did not run into the outage, so the test proves nothing")
	}
}

// TestSurvivalPostgresStops stops the database (a fast shutdown of a
// PostgreSQL of the test's own) just before a resident confirms a
// repair request. The confirmation is answered in time and asks them to
// try again later, nothing is half-written, /readyz turns red; once the
// database is back it turns green without a restart of tongxin, the
// resident's next 1 files the request, exactly one ticket, and its
// notification reaches the grid worker exactly once.
func TestSurvivalPostgresStops(t *testing.T) {
	if testing.Short() {
		t.Skip("runs PostgreSQL and the tongxin binary")
	}
	pg := startPostgres(t)
	e, base, sim := survivalServer(t, pg.URL(), "")

	// A grid worker for building 3, bound in WeChat, so that filing
	// queues a notification to them.
	code, w := admin(t, base, "POST", "/api/v1/staff", map[string]any{"name": "张网格", "phone": "13900000001", "roles": []string{"grid_worker"}})
	if code != 201 {
		t.Fatalf("create staff: %d %v", code, w)
	}
	if code, body := admin(t, base, "POST", "/api/v1/buildings", map[string]any{"number": 3}); code != 201 {
		t.Fatalf("building: %d %v", code, body)
	}
	if code, body := admin(t, base, "POST", "/api/v1/grids", map[string]any{"name": "一网格", "worker_id": w["id"], "buildings": []int{3}}); code != 201 {
		t.Fatalf("grid: %d %v", code, body)
	}
	worker := newTalker(sim, "pgworker", 0)
	if c := worker.say(fmt.Sprintf("绑定 %v", w["bind_code"])); !strings.Contains(c.Reply, "绑定成功") {
		t.Fatalf("bind: %s %q", c.answeredInTime(), c.Reply)
	}

	p := newTalker(sim, "pgres", 0)
	if err := p.walkReport("3号楼2单元201"); err != nil {
		t.Fatal(err)
	}
	notices := countRows(t, pg.URL(), "SELECT count(*) FROM notifications")

	pg.Stop(t)
	c := p.say("1")
	t.Logf("confirmation with PostgreSQL stopped: HTTP %d in %v: %q %v", c.Status, c.Took.Round(time.Millisecond), c.Reply, c.Err)
	if problem := c.answeredInTime(); problem != "" {
		t.Error(problem)
	} else if !strings.Contains(c.Reply, retryLater) {
		t.Errorf("the confirmation with the database down read %q, want it to ask to retry later (%s)", c.Reply, retryLater)
	}
	// Others message meanwhile: what needs the database apologises, in
	// time; a keyword may be answered or apologise, never a 5xx.
	other := newTalker(sim, "pgother", 1)
	if c := other.say("我的诉求"); c.answeredInTime() != "" {
		t.Error(c.answeredInTime())
	} else if !strings.Contains(c.Reply, retryLater) {
		t.Errorf("我的诉求 with the database down read %q, want it to ask to retry later (%s)", c.Reply, retryLater)
	} else {
		t.Logf("我的诉求 with PostgreSQL stopped: HTTP %d in %v: %q", c.Status, c.Took.Round(time.Millisecond), c.Reply)
	}
	if c := other.say("帮助"); c.answeredInTime() != "" {
		t.Error(c.answeredInTime())
	} else if !strings.Contains(c.Reply, helpMark) && !strings.Contains(c.Reply, retryLater) {
		t.Errorf("帮助 with the database down read %q", c.Reply)
	} else {
		t.Logf("帮助 with PostgreSQL stopped: HTTP %d in %v: %q", c.Status, c.Took.Round(time.Millisecond), c.Reply)
	}
	stopped := time.Now()
	if waitReadyz(t, base, http.StatusServiceUnavailable, recoverWithin) {
		t.Logf("/readyz 503 %v after the stop", time.Since(stopped).Round(time.Millisecond))
	}

	pg.Start(t)
	started := time.Now()
	if waitReadyz(t, base, http.StatusOK, recoverWithin) {
		t.Logf("/readyz 200 %v after the start", time.Since(started).Round(time.Millisecond))
	}
	// Nothing of the failed confirmation was written: no ticket, and no
	// notification without its ticket.
	if n := countRows(t, pg.URL(), "SELECT count(*) FROM tickets WHERE openid = ?", p.openid); n != 0 {
		t.Errorf("%d tickets after the failed confirmation, want 0", n)
	}
	if n := countRows(t, pg.URL(), "SELECT count(*) FROM notifications"); n != notices {
		t.Errorf("%d notifications after the failed confirmation, %d before", n, notices)
	}

	// The form was kept: 1 again files it. The same delivery again (a
	// WeChat retry) reads the same and does not file twice.
	sr, err := sim.Build(wechat.SimMessage{OpenID: p.openid, Text: "1"})
	if err != nil {
		t.Fatal(err)
	}
	first := deliver(sim, p.openid, "1", sr)
	retry := deliver(sim, p.openid, "1 (same MsgId)", sr)
	p.note(wechat.SimMessage{Text: "1"}, first)
	p.note(wechat.SimMessage{Text: "1 (same MsgId)"}, retry)
	for _, c := range []call{first, retry} {
		if problem := c.answeredInTime(); problem != "" {
			t.Error(problem)
		}
	}
	if retry.Reply != first.Reply {
		t.Errorf("a retry of the confirmation read %q, the first delivery %q", retry.Reply, first.Reply)
	}
	m := numberRe.FindStringSubmatch(first.Reply)
	if m == nil {
		t.Fatalf("1 after the database came back did not file the request:\n%s", p.transcript())
	}
	number := m[1]
	if n := countRows(t, pg.URL(), "SELECT count(*) FROM tickets WHERE openid = ?", p.openid); n != 1 {
		t.Errorf("%d tickets for the resident, want 1", n)
	}
	// The new ticket's notification to the worker is queued once, sent
	// once, and reaches WeChat once.
	pushes(t, e.fake, worker.openid, number)
	bottest.WaitFor(t, recoverWithin, "the ticket's notifications to leave the ledger's pending state", func() bool {
		return countRows(t, pg.URL(), "SELECT count(*) FROM notifications WHERE status = 'pending'") == 0
	})
	if n := countRows(t, pg.URL(), "SELECT count(*) FROM notifications WHERE recipient = ? AND status = 'sent'", worker.openid); n != 1 {
		t.Errorf("%d notifications sent to the worker, want 1", n)
	}
	got := 0
	for _, c := range e.fake.CustomTexts() {
		if c.ToUser == worker.openid && strings.Contains(c.Content, number) {
			got++
		}
	}
	for _, s := range e.fake.TemplateSends() {
		if s.ToUser == worker.openid {
			got++
		}
	}
	if got != 1 {
		t.Errorf("the worker got %d pushes about %s, want 1", got, number)
	}
}

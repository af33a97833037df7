package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
)

// The race the issue demands: raceResidents residents, parties of 1 to
// raceMaxParty, for raceSeats seats of one event, through the real
// webhook.
const (
	raceResidents = 300
	raceSeats     = 50
	raceMaxParty  = 3
	// raceWorkers bounds the residents talking at once: enough that
	// hundreds of confirmations race, few enough that a loaded test
	// machine answers each within the webhook's deadline.
	raceWorkers = 32
	// raceMaxConns is TONGXIN_DATABASE_MAX_CONNS on PostgreSQL: below
	// raceWorkers, so requests queue in the pool, and kind to a server
	// shared with other tests. SQLite runs with its default
	// (storage.DefaultSQLiteConns).
	raceMaxConns = 8
	// raceAppName marks the servers' PostgreSQL sessions, to count them.
	raceAppName = "tongxin-race"
)

// TestSignUpRaceWebhook races the residents through one server on each
// engine (SQLite always; PostgreSQL and real Redis with TONGXIN_TEST_*).
// Each scans the event's poster, answers every step and confirms; told
// that fewer seats are left, they take them. Every tenth confirmation is
// delivered twice at once, as WeChat retries. At no time do the parties
// hold more than 50 seats; at the end exactly 50, everyone else waits in
// arrival order, nobody has two sign-ups, each resident was told one
// outcome and it is the database's, and no name or phone is in the log.
func TestSignUpRaceWebhook(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		raceSignUps(t, dbURL, 1)
	})
}

// TestSignUpRaceTwoInstances races them through two servers on one
// database and one Redis, each request going to either at random: the
// seats are the database's to count, not a process's. PostgreSQL (with
// real Redis) is the set-up the issue names; SQLite runs too, so that a
// machine with nothing but Go checks it as well.
func TestSignUpRaceTwoInstances(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		raceSignUps(t, dbURL, 2)
	})
}

// lockedBuffer is a log sink shared by the servers' goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// raceRig is the servers of one race and what they share.
type raceRig struct {
	env   *testEnv
	store *storage.Store
	sims  []*wechat.Simulator
	// logs holds every line the servers logged, at every level.
	logs lockedBuffer
	// late counts replies that came as a customer-service message after
	// the webhook answered "success".
	late atomic.Int64
}

// newRaceRig starts instances servers on dbURL and one Redis.
func newRaceRig(t *testing.T, dbURL string, instances int) *raceRig {
	r := &raceRig{}
	serverURL := dbURL
	if strings.HasPrefix(dbURL, "postgres") {
		u, err := url.Parse(dbURL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("application_name", raceAppName)
		u.RawQuery = q.Encode()
		serverURL = u.String()
	}
	r.env = newEnv(t, serverURL)
	r.env.vars["TONGXIN_QUIET_HOURS"] = "off"
	if strings.HasPrefix(dbURL, "postgres") {
		r.env.vars["TONGXIN_DATABASE_MAX_CONNS"] = strconv.Itoa(raceMaxConns)
	}
	// One client for every request, keeping as many connections as
	// residents talk at once instead of a handshake per message.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: raceWorkers}}
	t.Cleanup(client.CloseIdleConnections)
	for range instances {
		sim := r.env.sim(r.startLogged(t), wechat.ModeSafe)
		sim.HTTP = client
		r.sims = append(r.sims, sim)
	}
	var err error
	if r.store, err = storage.Open(context.Background(), dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	return r
}

// startLogged is testEnv.start with the server's log kept, at debug
// level, in r.logs.
func (r *raceRig) startLogged(t *testing.T) string {
	t.Helper()
	cfg, err := config.Load(r.env.getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(&r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() { done <- serve(ctx, cfg, log, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve did not stop cleanly: %v", err)
			}
		})
		return "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	}
	return ""
}

// metric sums a counter over the instances' /metrics.
func (r *raceRig) metric(t *testing.T, name string) float64 {
	t.Helper()
	sum := 0.0
	for _, sim := range r.sims {
		resp, err := http.Get(strings.TrimSuffix(sim.URL, "/wechat") + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(body)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				sum += f
			}
		}
	}
	return sum
}

// resident is one resident of the race and what they were told.
type resident struct {
	i       int
	openid  string
	name    string
	phone   string
	party   int
	rnd     *rand.Rand
	sims    []*wechat.Simulator
	rig     *raceRig
	script  []string // what was said and answered, for failures
	pushes  int      // customer-service texts to them already read
	outcome string   // "confirmed" or "waitlisted"
	code    string   // the 签到码 told, when confirmed
	place   int      // the 候补 position told, when waitlisted
	// fewer is set once they were told 只剩 and took fewer seats.
	fewer bool
	// outcomes counts the replies that were an outcome: exactly one.
	outcomes int
}

// send posts m to a random instance and returns what the resident reads:
// the reply, or, when the webhook answered "success" because the bot took
// too long, the customer-service message that follows. With retry, m is
// delivered twice at once, each copy to a random instance, as WeChat
// retries a message whose reply is slow: both copies must read the same
// (or one of them "success" while the other works), and only one may act.
func (p *resident) send(ctx context.Context, m wechat.SimMessage, retry bool) (string, error) {
	m.OpenID = p.openid
	copies := 1
	if retry {
		copies = 2
	}
	sr, err := p.sims[0].Build(m)
	if err != nil {
		return "", err
	}
	replies := make([]string, copies)
	errs := make([]error, copies)
	var wg sync.WaitGroup
	for k := range copies {
		sim := p.sims[p.rnd.IntN(len(p.sims))]
		wg.Go(func() {
			req, err := sim.NewHTTPRequest(ctx, sr)
			if err != nil {
				errs[k] = err
				return
			}
			reply, status, err := sim.Do(req)
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("status %d", status)
			}
			replies[k], errs[k] = reply, err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", fmt.Errorf("send %q: %w", m.Text, err)
	}
	reply := replies[0]
	if retry {
		if a, b := replies[0], replies[1]; a != b && a != "" && b != "" {
			return "", fmt.Errorf("send %q twice: the copies read %q and %q", m.Text, a, b)
		}
		reply = replies[0] + replies[1] // at most one is not empty
		if replies[0] == replies[1] {
			reply = replies[0]
		}
	}
	if reply == "" {
		p.rig.late.Add(1)
		if reply, err = p.nextPush(ctx); err != nil {
			return "", fmt.Errorf("send %q: no reply and %w", m.Text, err)
		}
	}
	if m.Kind == bot.KindEvent {
		p.script = append(p.script, fmt.Sprintf("> [%s %s]", m.Event, m.EventKey), reply)
	} else {
		p.script = append(p.script, "> "+m.Text, reply)
	}
	return reply, nil
}

// nextPush waits for the next customer-service text to the resident.
func (p *resident) nextPush(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
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

func (p *resident) fail(format string, args ...any) error {
	return fmt.Errorf("resident %d (%s): %s\n%s", p.i, p.openid, fmt.Sprintf(format, args...), strings.Join(p.script, "\n"))
}

// Replies the race keys on (the shared conversation contract).
var (
	confirmedRe  = regexp.MustCompile(`签到码[:：]\s*(\d{6})`)
	waitlistedRe = regexp.MustCompile(`候补第\s*(\d+)\s*位`)
	partyRe      = regexp.MustCompile(`几位|几人|人数`)
	nameRe       = regexp.MustCompile(`怎么称呼|姓名`)
	phoneRe      = regexp.MustCompile(`手机|电话`)
)

// walk has the resident scan the event's poster and answer every step
// up to the summary. Half of them follow the account by the scan
// (subscribe with the scene), half already follow it (SCAN).
func (p *resident) walk(ctx context.Context, a activity.Activity) error {
	ev := wechat.SimMessage{Kind: bot.KindEvent, Event: bot.EventSubscribe, EventKey: fmt.Sprintf("event:%d", a.ID)}
	if p.i%2 == 1 {
		ev.Event = bot.EventScan
	}
	reply, err := p.send(ctx, ev, false)
	if err != nil {
		return p.fail("%v", err)
	}
	for range 10 {
		var answer string
		switch {
		case confirmedRe.MatchString(reply) || waitlistedRe.MatchString(reply):
			return p.fail("told an outcome before confirming: %q", reply)
		case strings.Contains(reply, "回复 1 确认"):
			return nil
		case partyRe.MatchString(reply):
			answer = strconv.Itoa(p.party)
		case strings.Contains(reply, a.Questions[0].Label):
			answer = "1" // 民族: the first choice
		case strings.Contains(reply, a.Questions[1].Label):
			answer = "跳过"
		case nameRe.MatchString(reply):
			answer = p.name
		case phoneRe.MatchString(reply):
			answer = p.phone
		default:
			return p.fail("unexpected reply %q", reply)
		}
		if reply, err = p.send(ctx, wechat.SimMessage{Text: answer}, false); err != nil {
			return p.fail("%v", err)
		}
	}
	return p.fail("no summary after 10 answers")
}

// confirm has the resident confirm the summary and take fewer seats
// whenever told that only fewer are left, until they are signed up or
// waitlisted.
func (p *resident) confirm(ctx context.Context) error {
	for try := range 2 * raceMaxParty {
		// Every tenth resident's confirmation is delivered twice.
		reply, err := p.send(ctx, wechat.SimMessage{Text: "1"}, try == 0 && p.i%10 == 0)
		if err != nil {
			return p.fail("%v", err)
		}
		if m := confirmedRe.FindStringSubmatch(reply); m != nil && strings.Contains(reply, "报名成功") {
			p.outcome, p.code = "confirmed", m[1]
			p.outcomes++
		}
		if m := waitlistedRe.FindStringSubmatch(reply); m != nil {
			p.outcome = "waitlisted"
			p.place, _ = strconv.Atoi(m[1])
			p.outcomes++
		}
		switch {
		case p.outcome != "":
			return nil
		case strings.Contains(reply, "只剩"):
			p.fewer = true
		default:
			return p.fail("unexpected reply %q", reply)
		}
	}
	return p.fail("neither signed up nor waitlisted")
}

// raceSignUps runs the race on dbURL through instances servers and
// checks its outcome.
func raceSignUps(t *testing.T, dbURL string, instances int) {
	r := newRaceRig(t, dbURL, instances)
	ctx := context.Background()
	now := time.Now().UTC()
	a := activity.Activity{
		Title: "情浓百家宴", Description: "各家带一道家乡菜，一起包饺子。", Location: "社区广场",
		StartsAt: now.Add(72 * time.Hour), EndsAt: now.Add(75 * time.Hour),
		Capacity: raceSeats, MaxParty: raceMaxParty, Status: activity.ActivityOpen,
		Questions: []activity.Question{
			{Key: "ethnicity", Label: "民族", Choices: []string{"汉族", "回族", "藏族", "其他"}},
			{Key: "diet", Label: "饮食禁忌", Optional: true},
		},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := r.store.InsertActivity(ctx, &a); err != nil {
		t.Fatal(err)
	}

	seed := rand.New(rand.NewPCG(10, 10))
	run := fmt.Sprintf("%08x", rand.Uint32()) // real Redis outlives the test
	people := make([]*resident, raceResidents)
	for i := range people {
		people[i] = &resident{
			i: i, openid: fmt.Sprintf("o-race-%s-%03d", run, i),
			name:  residentName(i),
			phone: fmt.Sprintf("139%08d", 10000000+i*7919%90000000),
			party: 1 + seed.IntN(raceMaxParty),
			rnd:   rand.New(rand.NewPCG(uint64(i), 10)),
			sims:  r.sims, rig: r,
		}
	}

	w := newSeatWatch(t, r, a.ID)
	start := time.Now()
	// Everyone walks up to the summary first, then all confirm at once:
	// the confirmations are what race for the seats.
	each(t, people, func(p *resident) error { return p.walk(ctx, a) })
	walked := time.Since(start)
	each(t, people, func(p *resident) error {
		defer w.poke()
		return p.confirm(ctx)
	})
	w.stop()
	t.Logf("%d residents on %d instance(s): walked to the summary in %v, confirmed in %v; %d late replies; at most %d server sessions on PostgreSQL",
		raceResidents, instances, walked.Round(time.Millisecond), (time.Since(start) - walked).Round(time.Millisecond), r.late.Load(), w.maxSessions)
	if t.Failed() {
		return
	}
	checkRace(t, r, a.ID, people)
	if strings.HasPrefix(dbURL, "postgres") && w.maxSessions > instances*raceMaxConns {
		t.Errorf("the servers held %d PostgreSQL sessions at once, want at most %d (TONGXIN_DATABASE_MAX_CONNS=%d on each of %d)",
			w.maxSessions, instances*raceMaxConns, raceMaxConns, instances)
	}
	if got, want := r.metric(t, "tongxin_duplicates_suppressed_total"), float64(raceResidents/10); got != want {
		t.Errorf("the servers suppressed %v retried confirmations, want %v (every tenth resident's)", got, want)
	}
	logs := r.logs.String()
	if n := strings.Count(logs, "message answered"); n < raceResidents {
		t.Errorf("the servers' log has %d answered messages, want one line per message: it was not captured", n)
	}
	leaked := 0
	for _, p := range people {
		if strings.Contains(logs, p.name) || strings.Contains(logs, p.phone) {
			if leaked++; leaked <= 3 {
				t.Errorf("the servers' log holds resident %d's name %s or phone %s", p.i, p.name, p.phone)
			}
		}
	}
	if leaked > 3 {
		t.Errorf("and %d more residents' names or phones", leaked-3)
	}
}

// each runs fn for every resident on raceWorkers goroutines and fails
// the test with every error.
func each(t *testing.T, people []*resident, fn func(p *resident) error) {
	t.Helper()
	work := make(chan *resident)
	errs := make(chan error, len(people))
	var wg sync.WaitGroup
	for range raceWorkers {
		wg.Go(func() {
			for p := range work {
				if err := fn(p); err != nil {
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
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 3 {
			t.Error(err)
		}
	}
	if n > 3 {
		t.Errorf("and %d more residents failed", n-3)
	}
}

// residentName is a distinct three-character name per resident, so that
// finding it in a log means it was logged.
func residentName(i int) string {
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	given := []rune("秀英桂兰玉梅建国志强淑珍德明海燕春华凤琴")
	return string([]rune{surnames[i%len(surnames)], given[(i/len(surnames))%len(given)], given[(i*7+3)%len(given)]})
}

// seatWatch reads the seats held while the race runs, after every
// confirmation, and the servers' PostgreSQL sessions.
type seatWatch struct {
	t           *testing.T
	kick        chan struct{}
	done        chan struct{}
	maxSessions int
	errs        []string
}

func newSeatWatch(t *testing.T, r *raceRig, id int64) *seatWatch {
	w := &seatWatch{t: t, kick: make(chan struct{}, 1), done: make(chan struct{})}
	pg := r.store.Engine() == storage.EnginePostgres
	go func() {
		defer close(w.done)
		for range w.kick {
			taken, held, err := seats(r.store.DB(), id)
			switch {
			case err != nil:
				w.errs = append(w.errs, err.Error())
			case taken > raceSeats || held > raceSeats || taken != held:
				w.errs = append(w.errs, fmt.Sprintf("seats_taken %d, parties holding seats %d, of %d", taken, held, raceSeats))
			}
			if pg {
				var n int
				err := r.store.DB().Get(&n, `SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`, raceAppName)
				if err != nil {
					w.errs = append(w.errs, err.Error())
				}
				w.maxSessions = max(w.maxSessions, n)
			}
		}
	}()
	return w
}

// poke asks for a reading unless one is already due.
func (w *seatWatch) poke() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *seatWatch) stop() {
	close(w.kick)
	<-w.done
	for _, e := range w.errs[:min(len(w.errs), 5)] {
		w.t.Errorf("while racing: %s", e)
	}
}

// seats reads, in one statement (one snapshot), the activity's
// seats_taken and the seats its sign-ups hold.
func seats(db *sqlx.DB, id int64) (taken, held int, err error) {
	err = db.QueryRowx(db.Rebind(`SELECT a.seats_taken, (SELECT COALESCE(SUM(s.party_size), 0) FROM activity_signups s
		WHERE s.activity_id = a.id AND s.status IN ('confirmed', 'offered', 'attended')) FROM activities a WHERE a.id = ?`), id).Scan(&taken, &held)
	return taken, held, err
}

// checkRace checks the end of the race against what residents were told.
func checkRace(t *testing.T, r *raceRig, id int64, people []*resident) {
	t.Helper()
	ctx := context.Background()
	taken, held, err := seats(r.store.DB(), id)
	if err != nil {
		t.Fatal(err)
	}
	if taken != raceSeats || held != raceSeats {
		t.Errorf("at the end seats_taken is %d and parties hold %d seats, want exactly %d", taken, held, raceSeats)
	}
	signups, err := r.store.ActivitySignups(ctx, id) // in arrival (id) order
	if err != nil {
		t.Fatal(err)
	}
	byOpenID := map[string]activity.Signup{}
	for _, su := range signups {
		if _, twice := byOpenID[su.OpenID]; twice {
			t.Errorf("%s signed up twice", su.OpenID)
		}
		byOpenID[su.OpenID] = su
	}
	if len(signups) != raceResidents {
		t.Errorf("%d sign-ups, want one for each of %d residents", len(signups), raceResidents)
	}

	var lastConfirmed int64
	var waitlist []activity.Signup
	for _, su := range signups {
		switch su.Status {
		case activity.Confirmed:
			lastConfirmed = su.ID
		case activity.Waitlisted:
			waitlist = append(waitlist, su)
		default:
			t.Errorf("sign-up %d is %s, want confirmed or waitlisted", su.ID, su.Status)
		}
	}
	// Arrival is the order the database gave the sign-ups (their ids,
	// taken under the activity's lock). No seat comes free in this race,
	// so the waiting list starts only once the seats ran out, and runs
	// 1..n in that order.
	for i, su := range waitlist {
		if su.Position != i+1 {
			t.Errorf("waitlisted sign-up %d is at %d, want %d (arrival order)", su.ID, su.Position, i+1)
		}
		if su.ID < lastConfirmed {
			t.Errorf("sign-up %d was waitlisted before sign-up %d was confirmed", su.ID, lastConfirmed)
		}
	}

	for _, p := range people {
		su, ok := byOpenID[p.openid]
		if p.outcomes != 1 {
			t.Errorf("resident %d was told %d outcomes, want exactly one\n%s", p.i, p.outcomes, strings.Join(p.script, "\n"))
		}
		if !ok {
			t.Errorf("resident %d has no sign-up", p.i)
			continue
		}
		if su.Name != p.name || su.Phone != p.phone {
			t.Errorf("resident %d's sign-up is %s %s, want %s %s", p.i, su.Name, su.Phone, p.name, p.phone)
		}
		if su.PartySize > p.party || (su.PartySize < p.party && !p.fewer) {
			t.Errorf("resident %d (party %d) holds %d seats; told fewer are left: %v", p.i, p.party, su.PartySize, p.fewer)
		}
		switch p.outcome {
		case "confirmed":
			if su.Status != activity.Confirmed || su.CheckinCode != p.code {
				t.Errorf("resident %d was told 报名成功 with 签到码 %s, the database has %s with %s", p.i, p.code, su.Status, su.CheckinCode)
			}
		case "waitlisted":
			if su.Status != activity.Waitlisted || su.Position != p.place {
				t.Errorf("resident %d was told 候补第 %d 位, the database has %s at %d", p.i, p.place, su.Status, su.Position)
			}
		}
	}
	codes := map[string]bool{}
	for _, su := range signups {
		if su.Status == activity.Confirmed {
			if codes[su.CheckinCode] {
				t.Errorf("check-in code %s given twice", su.CheckinCode)
			}
			codes[su.CheckinCode] = true
		}
	}
	fewer := 0
	for _, p := range people {
		if p.fewer {
			fewer++
		}
	}
	t.Logf("%d confirmed for %d seats (%d residents told 只剩 took fewer), %d waitlisted", len(codes), raceSeats, fewer, len(waitlist))
}

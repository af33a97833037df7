package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/wechat"
)

const benchUsage = `usage: tongxin bench [-url URL] [-n RESIDENTS] [-scenario NAME] [-duration D | -messages N] [-mode MODE] [-peer] [-json]

Plays RESIDENTS residents at once against a running tongxin serve, each
sending its next message as soon as the previous answer arrives, with
signatures (and in safe mode encryption) as WeChat makes them. Prints
messages per second, latency percentiles and errors: a non-200 answer, an
undecodable or empty reply, or a reply that is not what the step expects.

Scenarios:
  keyword   each resident sends 帮助 again and again
  profile   登记 through to 已保存, then again as a new resident
  request   报修 through to 已提交, then again as a new resident
  signup    报名 through to 报名成功, then again as a new resident; with an
            admin token an event is created when none has seats
  mix       each resident cycles keyword, profile, request, signup

The server limits each resident to TONGXIN_RATE_PER_MINUTE messages a
minute (20 by default): run it with TONGXIN_RATE_PER_MINUTE=1000000 so the
limiter still runs but never refuses. -peer also runs the keyword load
against an in-process silenceper/wechat echo server and a bare net/http
echo, and prints tongxin's figures as ratios of theirs (docs/PERFORMANCE.md).`

// benchScenarios are the -scenario values, mix last.
var benchScenarios = []string{"keyword", "profile", "request", "signup", "mix"}

// benchOptions is one bench run's settings.
type benchOptions struct {
	url        string
	residents  int
	scenario   string
	duration   time.Duration
	messages   int64
	timeout    time.Duration
	mode       wechat.Mode
	appID      string
	token      string
	aesKey     string
	adminToken string
	peer       bool
	peerRedis  string
	alternate  int
	json       bool
	cpuProfile string
}

func benchCommand(ctx context.Context, inv *invocation) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	env := func(k, def string) string {
		if v := inv.getenv(k); v != "" {
			return v
		}
		return def
	}
	var o benchOptions
	fs.StringVar(&o.url, "url", "", "webhook URL (default http://127.0.0.1<TONGXIN_HTTP_ADDR>/wechat)")
	fs.IntVar(&o.residents, "n", 64, "residents playing at once (one goroutine and one connection each)")
	fs.StringVar(&o.scenario, "scenario", "keyword", "keyword, profile, request, signup or mix")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long each run lasts (an upper bound with -messages)")
	fs.Int64Var(&o.messages, "messages", 0, "stop after this many messages per run (0: run for -duration)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "how long one answer may take before it counts as an error")
	modeName := fs.String("mode", env("TONGXIN_WECHAT_MODE", "safe"), "plain, compat or safe (the server must accept it: TONGXIN_WECHAT_MODE)")
	fs.StringVar(&o.appID, "appid", env("TONGXIN_WECHAT_APPID", config.DevWeChatAppID), "AppID (default: TONGXIN_WECHAT_APPID, else the development one serve uses)")
	fs.StringVar(&o.token, "token", env("TONGXIN_WECHAT_TOKEN", config.DevWeChatToken), "token that signs messages (default: TONGXIN_WECHAT_TOKEN, else the development one)")
	fs.StringVar(&o.aesKey, "aes-key", env("TONGXIN_WECHAT_AES_KEY", config.DevWeChatAESKey), "EncodingAESKey for safe and compat mode (default: TONGXIN_WECHAT_AES_KEY, else the development one)")
	fs.StringVar(&o.adminToken, "admin-token", inv.getenv("TONGXIN_ADMIN_TOKEN"), "admin API token, to create an event for signup (default: TONGXIN_ADMIN_TOKEN)")
	fs.BoolVar(&o.peer, "peer", false, "also run the keyword load against a silenceper/wechat echo server and a net/http echo, and print ratios")
	fs.StringVar(&o.peerRedis, "peer-redis", "", "with -peer, also run a third peer: the silenceper echo making tongxin's two Redis round trips a message (redisstate.Gate) on this Redis (redis://host:port/db): the ceiling of any webhook with those guarantees on this machine")
	fs.IntVar(&o.alternate, "alternate", 1, "with -peer, run tongxin and the peers in turn this many times, each for its share of -duration (and -messages)")
	fs.BoolVar(&o.json, "json", false, "print the summary as JSON on stdout")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write the bench's own CPU profile here (the generator's cost, and the in-process peers')")
	if done, err := flags(fs, inv, benchUsage, false); done {
		return err
	}
	var err error
	if o.mode, err = wechat.ParseMode(*modeName); err != nil {
		return err
	}
	switch {
	case !slices.Contains(benchScenarios, o.scenario):
		return fmt.Errorf("bench: -scenario %q: want one of %s", o.scenario, strings.Join(benchScenarios, ", "))
	case o.residents < 1:
		return errors.New("bench: -n must be at least 1")
	case o.duration <= 0:
		return errors.New("bench: -duration must be positive")
	case o.alternate < 1:
		return errors.New("bench: -alternate must be at least 1")
	}
	if o.mode != wechat.ModePlain {
		if err := wechat.CheckAESKey(o.aesKey); err != nil {
			return fmt.Errorf("bench: -aes-key: %w", err)
		}
	}
	if o.url == "" {
		o.url = chatURL(env("TONGXIN_HTTP_ADDR", ":8080"))
	}
	return runBench(ctx, o, inv.stdout, inv.stderr)
}

// benchSummary is one run's result; its JSON is what -json prints.
type benchSummary struct {
	Target    string  `json:"target"`
	URL       string  `json:"url"`
	Scenario  string  `json:"scenario"`
	Mode      string  `json:"mode"`
	Residents int     `json:"residents"`
	Seconds   float64 `json:"seconds"`
	Messages  int64   `json:"messages"`
	MsgPerSec float64 `json:"msg_per_s"`
	// Rounds is how many flows (or keyword messages) ran to their end.
	Rounds    int64          `json:"rounds"`
	Waitlist  int64          `json:"waitlisted,omitempty"`
	LatencyMS benchLatency   `json:"latency_ms"`
	Errors    benchErrors    `json:"errors"`
	Samples   []string       `json:"error_samples,omitempty"`
	Peers     []benchSummary `json:"peers,omitempty"`
	Ratios    []benchRatio   `json:"ratios,omitempty"`
}

// benchLatency holds the percentiles of the answer times, in milliseconds.
type benchLatency struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

// benchErrors counts failed messages by cause.
type benchErrors struct {
	Total int64 `json:"total"`
	// Transport: no answer (refused, reset, timed out).
	Transport int64 `json:"transport"`
	// Status: an answer other than 200.
	Status int64 `json:"status"`
	// Decode: a 200 whose body is no valid (signed, decryptable) reply.
	Decode int64 `json:"decode"`
	// Empty: "success" or an empty body where a reply was due.
	Empty int64 `json:"empty"`
	// Unexpected: a reply that is not what the step should get; the
	// rate-limit and busy answers are counted here and apart.
	Unexpected  int64 `json:"unexpected"`
	RateLimited int64 `json:"rate_limited"`
	Busy        int64 `json:"busy"`
}

// benchRatio is tongxin's figures over a peer's in the same run.
type benchRatio struct {
	Peer      string  `json:"peer"`
	Scenario  string  `json:"scenario"`
	MsgPerSec float64 `json:"msg_per_s"`
	P99       float64 `json:"p99"`
}

func runBench(ctx context.Context, o benchOptions, stdout, stderr io.Writer) error {
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	b := newBencher(o, stderr)
	defer b.client.CloseIdleConnections()
	if o.scenario == "signup" || o.scenario == "mix" {
		if err := b.ensureEvent(ctx, false); err != nil {
			return err
		}
	}
	// With -peer the targets take turns, -alternate times each for a
	// share of the duration and of the messages, so that a load that
	// comes and goes on the machine weighs on all of them alike.
	k := 1
	var peers []benchPeer
	if o.peer {
		k = max(1, o.alternate)
		var stop func() error
		var err error
		if peers, stop, err = startPeers(b.o); err != nil {
			return err
		}
		defer func() {
			if err := stop(); err != nil {
				fmt.Fprintln(stderr, err)
			}
		}()
	}
	b.o.duration = o.duration / time.Duration(k)
	if o.messages > 0 {
		b.o.messages = max(1, o.messages/int64(k))
	}
	var tally benchTally
	peerTally := make([]benchTally, len(peers))
	for range k {
		if ctx.Err() != nil {
			break
		}
		tally.add(b.run(ctx, "tongxin", o.url, o.scenario, replyDecoded, "请回复数字"))
		for i, p := range peers {
			if ctx.Err() != nil {
				break
			}
			peerTally[i].add(b.run(ctx, p.name, p.url, "keyword", p.check, p.want))
			b.client.CloseIdleConnections()
		}
	}
	sum := tally.summary()
	for i := range peers {
		if peerTally[i].s.Target == "" {
			continue // interrupted before its turn
		}
		p := peerTally[i].summary()
		sum.Peers = append(sum.Peers, p)
		sum.Ratios = append(sum.Ratios, benchRatio{Peer: p.Target, Scenario: sum.Scenario,
			MsgPerSec: ratio(sum.MsgPerSec, p.MsgPerSec), P99: ratio(sum.LatencyMS.P99, p.LatencyMS.P99)})
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		printSummary(stdout, sum)
	}
	return ctx.Err()
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func printSummary(w io.Writer, s benchSummary) {
	line := func(s benchSummary) {
		fmt.Fprintf(w, "%s %s: %d residents, %s mode, %.1f s, %s\n", s.Target, s.Scenario, s.Residents, s.Mode, s.Seconds, s.URL)
		fmt.Fprintf(w, "  messages  %d (%.0f msg/s), rounds %d", s.Messages, s.MsgPerSec, s.Rounds)
		if s.Waitlist > 0 {
			fmt.Fprintf(w, ", %d of them waitlisted (event full)", s.Waitlist)
		}
		l := s.LatencyMS
		fmt.Fprintf(w, "\n  latency   p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms\n", l.P50, l.P95, l.P99, l.P999, l.Max)
		e := s.Errors
		fmt.Fprintf(w, "  errors    %d (transport %d, non-200 %d, undecodable %d, empty %d, unexpected %d: rate-limited %d, busy %d)\n",
			e.Total, e.Transport, e.Status, e.Decode, e.Empty, e.Unexpected, e.RateLimited, e.Busy)
		for _, m := range s.Samples {
			fmt.Fprintf(w, "    %s\n", m)
		}
		if e.RateLimited > 0 {
			fmt.Fprintln(w, "  the server refused messages as too fast: run it with TONGXIN_RATE_PER_MINUTE=1000000")
		}
	}
	line(s)
	for _, p := range s.Peers {
		line(p)
	}
	if len(s.Ratios) > 0 {
		var mps, p99 []string
		for _, r := range s.Ratios {
			mps = append(mps, fmt.Sprintf("%.2f× %s", r.MsgPerSec, r.Peer))
			p99 = append(p99, fmt.Sprintf("%.2f× %s", r.P99, r.Peer))
		}
		fmt.Fprintf(w, "tongxin ÷ peer, same load:\n  msg/s  %s %s\n  p99    %s %s\n",
			s.Scenario, strings.Join(mps, ", "), s.Scenario, strings.Join(p99, ", "))
	}
}

// replyCheck is how a run reads answers: decoded as WeChat would
// (replyDecoded) or only required to be a non-empty 200 (replyRaw, for
// the net/http echo, whose fixed answer is no signed reply).
type replyCheck int

const (
	replyDecoded replyCheck = iota
	replyRaw
)

// bencher holds what every run of one invocation shares: the settings,
// the HTTP client and the MsgId counter.
type bencher struct {
	o      benchOptions
	stderr io.Writer
	client *http.Client
	// msgID is the last MsgId sent. It starts at the start time in
	// microseconds, so runs never reuse one another's IDs (the server
	// would answer a reused one from its dedup store).
	msgID atomic.Int64
	// runID makes openids unique to this invocation, so that a form left
	// half-filled by an earlier one never meets a new round; runs counts
	// the runs (targets and -alternate slices) for the same reason.
	runs  atomic.Int64
	runID string
	// eventMu serialises the admin API calls that make sure an event has
	// seats; creating says a refill is under way, so residents who find
	// the event full ask for one new event, not one each.
	eventMu  sync.Mutex
	creating atomic.Bool
}

func newBencher(o benchOptions, stderr io.Writer) *bencher {
	// One idle connection per resident, so that no answer waits for a
	// new TCP connection once all residents have made theirs.
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        o.residents * 2,
		MaxIdleConnsPerHost: o.residents * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	b := &bencher{o: o, stderr: stderr, client: &http.Client{Transport: tr, Timeout: o.timeout}}
	now := time.Now()
	b.msgID.Store(now.UnixMicro())
	b.runID = strconv.FormatUint(rand.Uint64()>>24, 36)
	return b
}

// benchRun is one run's shared counters.
type benchRun struct {
	// run numbers the runs of one invocation: a resident's openid has it,
	// so that no run meets the forms an earlier one left half-filled.
	run    int64
	target string
	url    string
	check  replyCheck
	// keywordWant is what the answer to 帮助 must contain: the menu from
	// tongxin, the text itself from an echo, nothing for replyRaw.
	keywordWant string
	sim         wechat.Simulator
	deadline    time.Time
	// sent reserves messages against the -messages limit; over is set
	// once the run has ended for every resident.
	sent     atomic.Int64
	over     atomic.Bool
	done     atomic.Int64
	failed   atomic.Int64
	rounds   atomic.Int64
	waitlist atomic.Int64
	errs     benchErrorCounts
	samples  struct {
		sync.Mutex
		list []string
	}
}

type benchErrorCounts struct {
	transport, status, decode, empty, unexpected, rateLimited, busy atomic.Int64
}

// benchResident is one simulated resident: its goroutine's own buffers, so
// that a message costs as few allocations as the signing allows.
type benchResident struct {
	b       *bencher
	r       *benchRun
	index   int
	round   int
	openid  string
	body    bytes.Buffer
	latency []time.Duration
	sb      strings.Builder
}

// run plays o.residents residents against url until the duration or the
// message budget is spent, and summarises.
func (b *bencher) run(ctx context.Context, target, u, scenario string, check replyCheck, keywordWant string) benchTally {
	r := &benchRun{run: b.runs.Add(1), target: target, url: u, check: check, keywordWant: keywordWant,
		sim: wechat.Simulator{URL: u, AppID: b.o.appID, Token: b.o.token, AESKey: b.o.aesKey, Mode: b.o.mode}}
	start := time.Now()
	r.deadline = start.Add(b.o.duration)
	residents := make([]*benchResident, b.o.residents)
	var wg sync.WaitGroup
	for i := range residents {
		res := &benchResident{b: b, r: r, index: i, latency: make([]time.Duration, 0, 4096)}
		residents[i] = res
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.play(ctx, scenario)
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	b.progress(r, scenario, start, finished)
	elapsed := time.Since(start)

	t := benchTally{s: benchSummary{Target: target, URL: u, Scenario: scenario, Mode: b.o.mode.String(), Residents: b.o.residents,
		Seconds: elapsed.Seconds(), Messages: r.done.Load(), Rounds: r.rounds.Load(), Waitlist: r.waitlist.Load()}}
	for _, res := range residents {
		t.latency = append(t.latency, res.latency...)
	}
	e := &r.errs
	t.s.Errors = benchErrors{Transport: e.transport.Load(), Status: e.status.Load(), Decode: e.decode.Load(),
		Empty: e.empty.Load(), Unexpected: e.unexpected.Load(), RateLimited: e.rateLimited.Load(), Busy: e.busy.Load()}
	t.s.Samples = r.samples.list
	return t
}

// benchTally is what one target's runs counted, before the percentiles.
type benchTally struct {
	s       benchSummary
	latency []time.Duration
}

// add counts o's run into t, for a target run in several slices.
func (t *benchTally) add(o benchTally) {
	if t.s.Target == "" {
		*t = o
		return
	}
	t.s.Seconds += o.s.Seconds
	t.s.Messages += o.s.Messages
	t.s.Rounds += o.s.Rounds
	t.s.Waitlist += o.s.Waitlist
	e, f := &t.s.Errors, o.s.Errors
	e.Transport += f.Transport
	e.Status += f.Status
	e.Decode += f.Decode
	e.Empty += f.Empty
	e.Unexpected += f.Unexpected
	e.RateLimited += f.RateLimited
	e.Busy += f.Busy
	for _, m := range o.s.Samples {
		if len(t.s.Samples) < 5 {
			t.s.Samples = append(t.s.Samples, m)
		}
	}
	t.latency = append(t.latency, o.latency...)
}

// summary computes the rates and percentiles of everything counted.
func (t *benchTally) summary() benchSummary {
	s := t.s
	slices.Sort(t.latency)
	all := t.latency
	if s.Seconds > 0 {
		s.MsgPerSec = float64(s.Messages) / s.Seconds
	}
	s.LatencyMS = benchLatency{P50: quantileMS(all, 0.50), P95: quantileMS(all, 0.95), P99: quantileMS(all, 0.99), P999: quantileMS(all, 0.999)}
	if len(all) > 0 {
		s.LatencyMS.Max = ms(all[len(all)-1])
	}
	e := &s.Errors
	e.Total = e.Transport + e.Status + e.Decode + e.Empty + e.Unexpected
	return s
}

// progress overwrites one line on stderr each second until finished.
func (b *bencher) progress(r *benchRun, scenario string, start time.Time, finished <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-finished:
			fmt.Fprintf(b.stderr, "\r%-100s\r", "")
			return
		case <-t.C:
			n := r.done.Load()
			fmt.Fprintf(b.stderr, "\r%s %s: %3.0f s  %d messages  %d msg/s  %d errors     ",
				r.target, scenario, time.Since(start).Seconds(), n, n-last, r.failed.Load())
			last = n
		}
	}
}

// quantileMS is the q quantile of sorted, in milliseconds (nearest rank).
func quantileMS(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return ms(sorted[i])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// more reserves the next message; false once the run is over.
func (r *benchRun) more(ctx context.Context, limit int64) bool {
	if r.over.Load() {
		return false
	}
	if ctx.Err() != nil || !time.Now().Before(r.deadline) || (limit > 0 && r.sent.Add(1) > limit) {
		r.over.Store(true)
		return false
	}
	return true
}

// errKind is why one message failed.
type errKind int

const (
	errNone errKind = iota
	errTransport
	errStatus
	errDecode
	errEmpty
	errUnexpected
)

// failure says why one message failed, for the counters and the samples.
type failure struct {
	kind errKind
	msg  string
}

func (f *failure) Error() string { return f.msg }

func (r *benchRun) fail(f *failure, reply string) {
	r.failed.Add(1)
	e := &r.errs
	switch f.kind {
	case errTransport:
		e.transport.Add(1)
	case errStatus:
		e.status.Add(1)
	case errDecode:
		e.decode.Add(1)
	case errEmpty:
		e.empty.Add(1)
	default:
		e.unexpected.Add(1)
		switch {
		case strings.Contains(reply, "发送得太快"):
			e.rateLimited.Add(1)
		case strings.Contains(reply, "还在处理"):
			e.busy.Add(1)
		}
	}
	r.samples.Lock()
	if len(r.samples.list) < 5 {
		r.samples.list = append(r.samples.list, f.msg)
	}
	r.samples.Unlock()
}

// send posts text as the resident and returns the reply text, timing the
// round trip. A failure is counted before it is returned.
func (res *benchResident) send(ctx context.Context, text string) (string, bool) {
	r := res.r
	if !r.more(ctx, res.b.o.messages) {
		return "", false
	}
	reply, lat, f := res.post(ctx, text)
	if lat > 0 {
		res.latency = append(res.latency, lat)
	}
	r.done.Add(1)
	if f != nil {
		r.fail(f, reply)
		return reply, false
	}
	return reply, true
}

func (res *benchResident) post(ctx context.Context, text string) (string, time.Duration, *failure) {
	r := res.r
	id := res.b.msgID.Add(1)
	sr, err := r.sim.Build(wechat.SimMessage{OpenID: res.openid, Kind: bot.KindText, Text: text, MsgID: id})
	if err != nil {
		return "", 0, &failure{errTransport, "build: " + err.Error()}
	}
	res.sb.Reset()
	res.sb.WriteString(r.url)
	res.sb.WriteByte('?')
	res.sb.WriteString(sr.Query.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, res.sb.String(), bytes.NewReader(sr.Body))
	if err != nil {
		return "", 0, &failure{errTransport, "request: " + err.Error()}
	}
	req.Header.Set("Content-Type", "text/xml")
	start := time.Now()
	resp, err := res.b.client.Do(req)
	if err != nil {
		return "", time.Since(start), &failure{errTransport, err.Error()}
	}
	res.body.Reset()
	_, err = res.body.ReadFrom(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	lat := time.Since(start)
	switch {
	case err != nil:
		return "", lat, &failure{errTransport, "read reply: " + err.Error()}
	case resp.StatusCode != http.StatusOK:
		return "", lat, &failure{errStatus, fmt.Sprintf("HTTP %d to %q: %.80s", resp.StatusCode, text, res.body.String())}
	}
	if r.check == replyRaw {
		if res.body.Len() == 0 {
			return "", lat, &failure{errEmpty, fmt.Sprintf("empty answer to %q", text)}
		}
		return text, lat, nil
	}
	reply, err := decodeReply(&r.sim, res.openid, sr.Encrypt != "", res.body.Bytes())
	switch {
	case err != nil:
		return "", lat, &failure{errDecode, fmt.Sprintf("reply to %q: %v", text, err)}
	case reply == "":
		return "", lat, &failure{errEmpty, fmt.Sprintf("no reply to %q", text)}
	}
	return reply, lat, nil
}

// newResident gives the resident a fresh openid: each flow round is a
// new resident, so that a finished form, a remembered profile or an
// existing sign-up never changes the dialogue.
func (res *benchResident) newResident() {
	res.round++
	res.openid = "o-bench-" + res.b.runID + "-" + strconv.FormatInt(res.r.run, 10) + "-" + strconv.Itoa(res.index) + "-" + strconv.Itoa(res.round)
}

// play runs rounds of scenario until the run is over.
func (res *benchResident) play(ctx context.Context, scenario string) {
	res.newResident()
	for i := res.index; ; i++ {
		sc := scenario
		if sc == "mix" {
			sc = benchScenarios[i%4]
		}
		var ok bool
		switch sc {
		case "keyword":
			ok = res.keyword(ctx)
		case "signup":
			ok = res.signup(ctx)
		default:
			ok = res.script(ctx, benchScripts[sc])
		}
		if ok {
			res.r.rounds.Add(1)
		}
		if res.r.over.Load() {
			return
		}
		if sc != "keyword" {
			res.newResident()
		}
	}
}

// benchStep is one message of a scripted flow and what its reply must
// contain.
type benchStep struct{ send, want string }

// benchScripts are the scripted flows, as `tongxin chat` shows them for a
// resident the service has not seen before.
var benchScripts = map[string][]benchStep{
	"profile": {
		{"登记", "请问您怎么称呼"},
		{"王芳", "手机号"},
		{"13800138000", "住在哪里"},
		{"3号楼2单元201", "1 户主"},
		{"1", "特别关照"},
		{"跳过", "请核对"},
		{"1", "已保存"},
	},
	"request": {
		{"报修", "请选择问题类型"},
		{"1", "请简单描述问题"},
		{"楼道灯不亮", "照片"},
		{"跳过", "问题在哪里"},
		{benchPlace, "联系电话"},
		{"13800138000", "请核对"},
		{"1", "已提交"},
	},
}

// benchPlace stands for the resident's own place in a script: one of 60
// buildings by resident, so that the 同类问题 check meets neighbours'
// reports as it would, rather than every request of the run at one place
// (which measured how that check scales with one place's open tickets:
// it loads them all, inside the filing transaction).
const benchPlace = "{place}"

func (res *benchResident) place() string {
	return strconv.Itoa(res.index%60+1) + "号楼" + strconv.Itoa(res.round%6+1) + "单元"
}

// keyword sends 帮助 once; the reply must be the menu.
func (res *benchResident) keyword(ctx context.Context) bool {
	reply, ok := res.send(ctx, "帮助")
	if !ok {
		return false
	}
	if want := res.r.keywordWant; !strings.Contains(reply, want) {
		res.r.fail(&failure{errUnexpected, fmt.Sprintf("帮助: want %s, got %.80q", want, reply)}, reply)
		return false
	}
	return true
}

// script walks steps, abandoning the round at the first reply that is
// not what its step expects.
func (res *benchResident) script(ctx context.Context, steps []benchStep) bool {
	for _, s := range steps {
		send := s.send
		if send == benchPlace {
			send = res.place()
		}
		reply, ok := res.send(ctx, send)
		if !ok {
			return false
		}
		if !strings.Contains(reply, s.want) {
			res.r.fail(&failure{errUnexpected, fmt.Sprintf("%s: want %s, got %.80q", send, s.want, reply)}, reply)
			return false
		}
	}
	return true
}

// signup signs up for the event with the most seats, answering whatever
// the event asks (party size, its questions, name, phone) by what the
// reply says; a waitlisted sign-up completes the round too.
func (res *benchResident) signup(ctx context.Context) bool {
	reply, ok := res.send(ctx, "报名")
	if !ok {
		return false
	}
	if !strings.Contains(reply, "目前可以报名的活动") {
		if strings.Contains(reply, "没有可以报名的活动") {
			res.b.refillEvent(ctx)
		}
		res.r.fail(&failure{errUnexpected, fmt.Sprintf("报名: want the list of events, got %.80q", reply)}, reply)
		return false
	}
	choice, full := pickEvent(reply)
	if full {
		res.b.refillEvent(ctx)
	}
	send := choice
	for range 12 {
		if reply, ok = res.send(ctx, send); !ok {
			return false
		}
		switch {
		case strings.Contains(reply, "报名成功"):
			return true
		case strings.Contains(reply, "候补第"):
			res.r.waitlist.Add(1)
			res.b.refillEvent(ctx)
			return true
		case strings.Contains(reply, "请核对"):
			send = "1"
		case strings.Contains(reply, "几位参加"), strings.Contains(reply, "只剩"):
			send = "1"
		case strings.Contains(reply, "姓名"):
			send = "张三"
		case strings.Contains(reply, "手机号"):
			send = "13800138000"
		case strings.Contains(reply, "跳过"):
			send = "跳过"
		case strings.Contains(reply, "请回复数字"):
			send = "1"
		default:
			res.r.fail(&failure{errUnexpected, fmt.Sprintf("报名 %s: unexpected reply %.80q", send, reply)}, reply)
			return false
		}
	}
	res.r.fail(&failure{errUnexpected, "报名: no 报名成功 after 12 answers, last " + fmt.Sprintf("%.80q", reply)}, reply)
	return false
}

// pickEvent returns the number of the listed event with the most seats
// left, and whether every listed event is full.
func pickEvent(list string) (choice string, full bool) {
	best, bestSeats := "", -1
	cur := ""
	for line := range strings.SplitSeq(list, "\n") {
		line = strings.TrimSpace(line)
		if n, _, ok := strings.Cut(line, " "); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			cur = n
			if best == "" {
				best = n
			}
			continue
		}
		if cur == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "余 "); ok {
			if seats, err := strconv.Atoi(strings.TrimSuffix(rest, " 位")); err == nil && seats > bestSeats {
				best, bestSeats = cur, seats
			}
		}
	}
	if best == "" {
		best = "1"
	}
	return best, bestSeats <= 0
}

// adminBase is the server's root URL, from the webhook URL.
func (b *bencher) adminBase() string {
	u, err := url.Parse(b.o.url)
	if err != nil {
		return b.o.url
	}
	u.Path, u.RawQuery = "", ""
	return u.String()
}

// ensureEvent makes sure an event open for sign-up has seats: through the
// admin API when there is a token (creating one with the largest capacity
// allowed unless force is false and one with 1,000 seats or more is
// open); without a token it only checks that the list is not empty.
func (b *bencher) ensureEvent(ctx context.Context, force bool) error {
	b.eventMu.Lock()
	defer b.eventMu.Unlock()
	if b.o.adminToken == "" {
		return nil // the residents will say so if no event is open
	}
	api := b.adminBase() + "/api/v1/events"
	call := func(method string, body any, out any) error {
		var rd io.Reader
		if body != nil {
			raw, _ := json.Marshal(body)
			rd = bytes.NewReader(raw)
		}
		req, err := http.NewRequestWithContext(ctx, method, api, rd)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+b.o.adminToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := b.client.Do(req)
		if err != nil {
			return fmt.Errorf("bench: admin API: %w", err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("bench: admin API %s %s: HTTP %d: %.200s", method, api, resp.StatusCode, raw)
		}
		return json.Unmarshal(raw, out)
	}
	if !force {
		var list struct {
			Events []struct {
				Status       string    `json:"status"`
				SeatsLeft    int       `json:"seats_left"`
				SignupCloses time.Time `json:"signup_closes"`
			} `json:"events"`
		}
		if err := call(http.MethodGet, nil, &list); err != nil {
			return err
		}
		for _, e := range list.Events {
			if e.Status == "open" && e.SeatsLeft >= 1000 && e.SignupCloses.After(time.Now().Add(time.Hour)) {
				return nil
			}
		}
	}
	// A month ahead, so that sign-up stays open whatever the bench's
	// length; capacity at the API's maximum so seats outlast a long run.
	starts := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Hour)
	ev := map[string]any{
		"title":     "压测活动 " + b.runID,
		"location":  "社区活动室",
		"starts_at": starts.Format(time.RFC3339),
		"ends_at":   starts.Add(2 * time.Hour).Format(time.RFC3339),
		"capacity":  100000,
		"max_party": 1,
	}
	var created struct {
		ID int64 `json:"id"`
	}
	if err := call(http.MethodPost, ev, &created); err != nil {
		return err
	}
	fmt.Fprintf(b.stderr, "\rcreated event %d for the signup scenario (capacity 100000)\n", created.ID)
	return nil
}

// refillEvent creates a new event when the open ones ran out of seats,
// once at a time; residents meanwhile go on the waitlist.
func (b *bencher) refillEvent(ctx context.Context) {
	if b.o.adminToken == "" || !b.creating.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer b.creating.Store(false)
		if err := b.ensureEvent(context.WithoutCancel(ctx), false); err != nil {
			fmt.Fprintf(b.stderr, "\r%v\n", err)
		}
	}()
}

// decodeReply is wechat.Simulator.DecodeReply with the same checks (the
// msg_signature, the decryption, a text reply addressed to openID from
// the account) but without encoding/xml, which took a quarter of the
// generator's CPU: a passive reply is flat, so its fields are found by
// their tags, CDATA or escaped text alike.
func decodeReply(s *wechat.Simulator, openID string, encrypted bool, body []byte) (string, error) {
	if b := bytes.TrimSpace(body); len(b) == 0 || string(b) == "success" {
		return "", nil
	}
	plain := body
	if encrypted {
		enc, ok1 := xmlField(body, "Encrypt")
		sig, ok2 := xmlField(body, "MsgSignature")
		ts, ok3 := xmlField(body, "TimeStamp")
		nonce, ok4 := xmlField(body, "Nonce")
		switch {
		case !ok1 || enc == "":
			return "", errors.New("reply to an encrypted message is not encrypted")
		case !ok2 || !ok3 || !ok4:
			return "", errors.New("encrypted reply lacks MsgSignature, TimeStamp or Nonce")
		case !s.ReplySigned(sig, ts, nonce, enc):
			return "", errors.New("reply MsgSignature does not match")
		}
		var err error
		if plain, err = s.DecryptReply(enc); err != nil {
			return "", fmt.Errorf("decrypt reply: %w", err)
		}
	}
	account := s.Account
	if account == "" {
		account = wechat.DefaultSimAccount
	}
	msgType, _ := xmlField(plain, "MsgType")
	to, _ := xmlField(plain, "ToUserName")
	from, _ := xmlField(plain, "FromUserName")
	created, _ := xmlField(plain, "CreateTime")
	content, ok := xmlField(plain, "Content")
	switch {
	case msgType != "text":
		return "", fmt.Errorf("reply MsgType %q, want text", msgType)
	case to != openID:
		return "", errors.New("reply addressed to another user")
	case from != account:
		return "", errors.New("reply FromUserName is not the account")
	case created == "" || created == "0":
		return "", errors.New("reply has no CreateTime")
	case !ok:
		return "", errors.New("text reply has no Content")
	}
	return content, nil
}

// xmlField returns the text of the first <name> element of a flat XML
// document: a CDATA section's content as is, other text unescaped.
func xmlField(doc []byte, name string) (string, bool) {
	open := "<" + name + ">"
	i := bytes.Index(doc, []byte(open))
	if i < 0 {
		return "", false
	}
	rest := doc[i+len(open):]
	j := bytes.Index(rest, []byte("</"+name+">"))
	if j < 0 {
		return "", false
	}
	v := rest[:j]
	if !bytes.Contains(v, []byte("<![CDATA[")) {
		return html.UnescapeString(string(v)), true
	}
	var out strings.Builder
	for len(v) > 0 {
		k := bytes.Index(v, []byte("<![CDATA["))
		if k < 0 {
			out.WriteString(html.UnescapeString(string(v)))
			break
		}
		out.WriteString(html.UnescapeString(string(v[:k])))
		v = v[k+len("<![CDATA["):]
		end := bytes.Index(v, []byte("]]>"))
		if end < 0 {
			return "", false
		}
		out.Write(v[:end])
		v = v[end+len("]]>"):]
	}
	return out.String(), true
}

package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq" // the database/sql driver the PostgreSQL probe uses

	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/wechat"
)

// Process helpers for the survival tests: dependencies the tests own and
// may break (pause, kill, restart), never the shared services of the
// test run, which other packages' tests are using at the same time.

// startupWait bounds how long a dependency or tongxin may take to come
// up on a loaded 2-core test machine; it only ends a broken run.
const startupWait = 60 * time.Second

// requireServices reports whether a missing service binary is a failure
// rather than a reason to skip (CI sets TONGXIN_TEST_REQUIRE_SERVICES=1).
func requireServices() bool { return os.Getenv("TONGXIN_TEST_REQUIRE_SERVICES") == "1" }

// skipOrFail skips the test for a missing dependency, or fails it when
// the run requires every service.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if requireServices() {
		t.Fatalf(format+" (TONGXIN_TEST_REQUIRE_SERVICES=1)", args...)
	}
	t.Skipf(format, args...)
}

// freePort returns a loopback port nobody listened on a moment ago. As
// in spawnAt, another process could take it in between; on loopback in a
// test run that does not happen in practice.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// logTail keeps what a child process printed, for a failing test's log.
type logTail struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 1<<20 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// redisProc is a redis-server child process on a port of the test's own.
type redisProc struct {
	Port int
	cmd  *exec.Cmd
	done chan struct{}
	log  *logTail
}

// URL is what TONGXIN_REDIS_URL is set to for this server.
func (r *redisProc) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.Port) }

// startRedis runs an empty, non-persistent redis-server on port (0 for a
// free one) until the test ends, and returns once it answers PING.
func startRedis(t *testing.T, port int) *redisProc {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		skipOrFail(t, "redis-server is not installed: %v", err)
	}
	if port == 0 {
		port = freePort(t)
	}
	r := &redisProc{Port: port, done: make(chan struct{}), log: &logTail{}}
	// No snapshot and no append-only file: a restarted server is empty,
	// as a Redis that lost its data is.
	r.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		r.Kill()
		if t.Failed() {
			t.Logf("redis-server on %d:\n%s", port, r.log.String())
		}
	})
	bottest.WaitFor(t, startupWait, fmt.Sprintf("redis-server on port %d to answer PING", port), func() bool {
		select {
		case <-r.done:
			t.Fatalf("redis-server on port %d exited:\n%s", port, r.log.String())
		default:
		}
		return redisPing(r.Port) == nil
	})
	return r
}

// redisPing sends one PING over a fresh connection, with a short bound so
// that a paused server reads as not answering.
func redisPing(port int) error {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// Pause stops the server's process (SIGSTOP): connections stay open and
// nothing answers, the stall a refused connection does not show.
func (r *redisProc) Pause(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("pause redis-server: %v", err)
	}
}

// Resume continues a paused server (SIGCONT).
func (r *redisProc) Resume(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("resume redis-server: %v", err)
	}
}

// Kill ends the server at once (SIGKILL, so a paused one too) and waits
// until it is gone and its port is free. Calling it again is harmless.
func (r *redisProc) Kill() {
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
}

// pgProc is a PostgreSQL server of the test's own, in a temporary data
// directory on a free port, that the test may stop and start again.
type pgProc struct {
	Port int
	bin  string
	dir  string // owned by the server's user; holds data/ and the socket
	cred *syscall.Credential
	cmd  *exec.Cmd
	done chan struct{}
	log  *logTail
}

// URL is the server's postgres database as the tongxin user sees it.
func (p *pgProc) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
}

// postgresBin returns the directory of the newest installed PostgreSQL's
// server binaries, or "" when there is none.
func postgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return va - vb
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

// startPostgres initialises a cluster in a temporary directory and runs
// it on a free loopback port until the test ends. initdb and postgres
// refuse to run as root, so under root (as in CI) they run as the
// postgres user, in a directory that user owns.
func startPostgres(t *testing.T) *pgProc {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a PostgreSQL server")
	}
	bin := postgresBin()
	if bin == "" {
		skipOrFail(t, "no PostgreSQL server binaries (initdb, postgres) in /usr/lib/postgresql/*/bin or on PATH")
	}
	dir, err := os.MkdirTemp("", "tongxin-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	p := &pgProc{Port: freePort(t), bin: bin, dir: dir, log: &logTail{}}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			skipOrFail(t, "running as root and there is no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"),
		"-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		skipOrFail(t, "initdb: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		p.stop(syscall.SIGQUIT)
		if t.Failed() {
			t.Logf("postgres on %d:\n%s", p.Port, p.log.String())
		}
	})
	p.Start(t)
	return p
}

// Start runs the server on its data directory and port (again, after
// Stop) and returns once it accepts queries.
func (p *pgProc) Start(t *testing.T) {
	t.Helper()
	// Durability is not what these tests are about: no fsync keeps a
	// loaded machine fast. The socket goes to the test's own directory.
	p.cmd = exec.Command(filepath.Join(p.bin, "postgres"), "-D", filepath.Join(p.dir, "data"),
		"-p", strconv.Itoa(p.Port), "-k", p.dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=50")
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	p.cmd.Dir = p.dir
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.done = make(chan struct{})
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start postgres: %v", err)
	}
	done := p.done
	go func() { _ = p.cmd.Wait(); close(done) }()
	db, err := sql.Open("postgres", p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bottest.WaitFor(t, startupWait, fmt.Sprintf("postgres on port %d to accept queries", p.Port), func() bool {
		select {
		case <-done:
			t.Fatalf("postgres on port %d exited:\n%s", p.Port, p.log.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return db.PingContext(ctx) == nil
	})
}

// Stop shuts the server down as an operator's fast shutdown does
// (SIGINT: sessions are ended, transactions rolled back) and waits until
// it has exited.
func (p *pgProc) Stop(t *testing.T) {
	t.Helper()
	p.stop(syscall.SIGINT)
}

func (p *pgProc) stop(sig syscall.Signal) {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	<-p.done
}

// readyz returns the status /readyz answers at base (0 when it does not
// answer at all).
func readyz(base string) int {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(base + "/readyz")
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// waitReadyz waits until /readyz at base answers want and reports
// (t.Errorf, so the test goes on to show what else is wrong) when it
// still does not after within.
func waitReadyz(t *testing.T, base string, want int, within time.Duration) bool {
	t.Helper()
	last := 0
	if waitUntil(within, func() bool { last = readyz(base); return last == want }) {
		return true
	}
	t.Errorf("/readyz answered %d after %v, want %d", last, within, want)
	return false
}

// waitUntil polls cond until it holds or within has passed, and reports
// whether it held: bottest.WaitFor for a condition whose failure the test
// records and goes on from instead of stopping.
func waitUntil(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

// call is one webhook delivery as WeChat saw it: the answer and how long
// it took to come.
type call struct {
	Who    string
	Text   string // what the resident sent
	Reply  string
	Status int
	Err    error
	Took   time.Duration
}

// wechatDeadline is how long WeChat waits for a webhook's answer before
// it drops the connection and retries; a reply after it is lost.
const wechatDeadline = 5 * time.Second

// callTimeout is how long a test waits for one webhook answer. It is
// well past WeChat's deadline, so an answer that comes too late is
// measured and reported rather than cut off, but a hung server does not
// hold the test for a minute.
const callTimeout = 12 * time.Second

// timedClient is the HTTP client of measured calls.
var timedClient = &http.Client{Timeout: callTimeout}

// deliver posts sr as WeChat would and measures how long the answer took.
func deliver(sim *wechat.Simulator, who, text string, sr *wechat.SimRequest) call {
	c := call{Who: who, Text: text}
	s := *sim
	s.HTTP = timedClient
	req, err := s.NewHTTPRequest(context.Background(), sr)
	if err != nil {
		c.Err = err
		return c
	}
	start := time.Now()
	c.Reply, c.Status, c.Err = s.Do(req)
	c.Took = time.Since(start)
	return c
}

// timedSend builds m and delivers it once.
func timedSend(sim *wechat.Simulator, m wechat.SimMessage) call {
	sr, err := sim.Build(m)
	if err != nil {
		return call{Who: m.OpenID, Text: m.Text, Err: err}
	}
	return deliver(sim, m.OpenID, m.Text, sr)
}

// answeredInTime reports what is wrong with c as WeChat sees it: an
// answer that is not HTTP 200 (WeChat treats a 5xx as a failed delivery
// and the resident sees nothing) or that came after WeChat stopped
// waiting. "" when it is fine.
//
// Timing a call is usually a speed assertion, which belongs in
// benchmarks. Here it is correctness: WeChat drops the connection at 5 s
// and the reply is lost, so "answered before WeChat's deadline" is part
// of what the resident sees. The bound is the deadline itself, not a
// target latency: the server is meant to answer in about 1.5 s when
// Redis stalls, so a loaded machine has ample room.
func (c call) answeredInTime() string {
	switch {
	case c.Err != nil:
		return fmt.Sprintf("%s sent %q: no answer after %v: %v", c.Who, c.Text, c.Took.Round(time.Millisecond), c.Err)
	case c.Status != http.StatusOK:
		return fmt.Sprintf("%s sent %q: HTTP %d after %v (%q)", c.Who, c.Text, c.Status, c.Took.Round(time.Millisecond), strings.TrimSpace(c.Reply))
	case c.Took >= wechatDeadline:
		return fmt.Sprintf("%s sent %q: answered after %v, past WeChat's %v deadline (%q)", c.Who, c.Text, c.Took.Round(time.Millisecond), wechatDeadline, c.Reply)
	}
	return ""
}

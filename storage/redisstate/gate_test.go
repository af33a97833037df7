package redisstate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
)

// gateRig is a Gate on a test's own key prefix, with the bot-side stores
// that take part in its turns.
type gateRig struct {
	c        *redis.Client
	prefix   string
	gate     *redisstate.Gate
	sessions *redisstate.Sessions
	recent   *redisstate.Recent
	lists    *redisstate.Lists
}

func newGate(t *testing.T) *gateRig {
	t.Helper()
	c, prefix, _ := redistest.New(t)
	s := &redisstate.Sessions{Client: c, Prefix: prefix}
	g := &redisstate.Gate{Client: c, Sessions: s, Limit: 3, Window: time.Minute, PollInterval: time.Millisecond, RetryInterval: time.Millisecond}
	if err := g.Init(t.Context()); err != nil {
		t.Fatal(err)
	}
	return &gateRig{c: c, prefix: prefix, gate: g, sessions: s,
		recent: &redisstate.Recent{Client: c, Prefix: prefix}, lists: &redisstate.Lists{Client: c, Prefix: prefix}}
}

func arrival(openid, id string) redisstate.Arrival {
	return redisstate.Arrival{OpenID: openid, ID: id, Signature: "sig-" + id, Timestamp: "1", Nonce: "n", Body: []byte("body " + id), Limit: true}
}

// begin runs Begin and fails the test on error.
func (r *gateRig) begin(t *testing.T, a redisstate.Arrival) *redisstate.Turn {
	t.Helper()
	turn, err := r.gate.Begin(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	return turn
}

// step is one message through the gate: the bot's part is fn, run with the
// turn's context as the webhook runs the bot.
func (r *gateRig) step(t *testing.T, a redisstate.Arrival, fn func(ctx context.Context)) *redisstate.Turn {
	t.Helper()
	turn := r.begin(t, a)
	if turn.Admission != redisstate.Admitted || !turn.Locked() {
		t.Fatalf("admission %v, locked %v", turn.Admission, turn.Locked())
	}
	fn(turn.Context(t.Context()))
	if err := turn.Finish(t.Context(), true, []byte("reply "+a.ID)); err != nil {
		t.Fatal(err)
	}
	return turn
}

func (r *gateRig) keys(t *testing.T) []string {
	t.Helper()
	var out []string
	iter := r.c.Scan(t.Context(), 0, r.prefix+"*", 100).Iterator()
	for iter.Next(t.Context()) {
		if k := strings.TrimPrefix(iter.Val(), r.prefix); k != "epoch" {
			out = append(out, k)
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGateKeepsTheSessionAcrossTurns(t *testing.T) {
	r := newGate(t)
	r.step(t, arrival("o1", "m1"), func(ctx context.Context) {
		s, expired, err := r.sessions.Load(ctx, "o1")
		if s != nil || expired || !errors.Is(err, bot.ErrNotFound) {
			t.Fatalf("first load: %v %v %v", s, expired, err)
		}
		s = &bot.Session{OpenID: "o1", Flow: "report", Step: "where"}
		if err := r.sessions.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
		// A second save in the same turn goes over the first.
		s.Step = "phone"
		if err := r.sessions.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
		// Nothing is written before Finish.
		if n, _ := r.c.Exists(ctx, r.prefix+"session:{o1}").Result(); n != 0 {
			t.Error("the session was written before the turn ended")
		}
		if err := r.recent.Remember(ctx, "o1", "楼道灯不亮"); err != nil {
			t.Fatal(err)
		}
		if err := r.lists.Remember(ctx, "o1", []string{"a", "b"}); err != nil {
			t.Fatal(err)
		}
	})
	r.step(t, arrival("o1", "m2"), func(ctx context.Context) {
		s, _, err := r.sessions.Load(ctx, "o1")
		if err != nil || s.Step != "phone" || s.Rev != 2 {
			t.Fatalf("second load: %+v %v", s, err)
		}
		items, err := r.lists.Recall(ctx, "o1")
		if err != nil || len(items) != 2 || items[1] != "b" {
			t.Errorf("list in the next turn: %v %v", items, err)
		}
		// A stale revision is refused inside a turn as outside.
		stale := *s
		stale.Rev = 1
		if err := r.sessions.Save(ctx, &stale); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("stale save: %v, want ErrConflict", err)
		}
		if err := r.sessions.Delete(ctx, "o1"); err != nil {
			t.Fatal(err)
		}
	})
	// Outside any turn, the stores see what the turns wrote.
	if s, _, err := r.sessions.Load(t.Context(), "o1"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("after Delete in a turn: %+v %v", s, err)
	}
	texts, err := r.recent.Recent(t.Context(), "o1")
	if err != nil || len(texts) != 1 || texts[0] != "楼道灯不亮" {
		t.Errorf("recent: %v %v", texts, err)
	}
	// The lock is released and the replies are stored.
	for _, k := range r.keys(t) {
		if strings.HasPrefix(k, "lock:") {
			t.Errorf("lock left behind: %s", k)
		}
	}
	if v, _ := r.c.Get(t.Context(), r.prefix+"dedup:{o1}:m1").Result(); v != "dreply m1" {
		t.Errorf("stored reply %q", v)
	}
}

func TestGateDuplicateGetsTheStoredReplyAndTakesNothing(t *testing.T) {
	r := newGate(t)
	r.step(t, arrival("o1", "m1"), func(context.Context) {})
	turn := r.begin(t, arrival("o1", "m1"))
	if turn.Admission != redisstate.Duplicate || !turn.HasResult() || string(turn.Result()) != "reply m1" {
		t.Fatalf("retry: admission %v, result %q", turn.Admission, turn.Result())
	}
	if turn.Locked() {
		t.Error("a duplicate holds the resident")
	}
	if n, _ := r.c.Exists(t.Context(), r.prefix+"lock:{o1}").Result(); n != 0 {
		t.Error("a duplicate left the resident locked")
	}
	if v, _ := r.c.Get(t.Context(), r.prefix+"rate:{o1}").Int(); v != 1 {
		t.Errorf("rate count %d after a message and its retry, want 1", v)
	}
}

func TestGateDuplicateWaitsForTheFirstDelivery(t *testing.T) {
	r := newGate(t)
	first := r.begin(t, arrival("o1", "m1"))
	retry := r.begin(t, arrival("o1", "m1"))
	if retry.Admission != redisstate.Duplicate || retry.HasResult() {
		t.Fatalf("retry while the first runs: %v, has result %v", retry.Admission, retry.HasResult())
	}
	got := make(chan string, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		v, err := retry.WaitResult(ctx)
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(v)
	}()
	if err := first.Finish(t.Context(), true, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != "first" {
		t.Errorf("retry got %q", v)
	}
}

func TestGateReplayTouchesNothing(t *testing.T) {
	r := newGate(t)
	r.step(t, arrival("o1", "m1"), func(context.Context) {})
	before := r.keys(t)
	forged := arrival("o2", "m9")
	forged.Signature, forged.Body = "sig-m1", []byte("forged")
	turn := r.begin(t, forged)
	if turn.Admission != redisstate.Replayed {
		t.Fatalf("forged body under a used query: %v", turn.Admission)
	}
	after := r.keys(t)
	// The forged message's rate counter may remain at zero; nothing else.
	var extra []string
	for _, k := range after {
		if !contains(before, k) {
			if v, _ := r.c.Get(t.Context(), r.prefix+k).Result(); k == "rate:{o2}" && v == "0" {
				continue
			}
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		t.Errorf("a replay left keys: %v", extra)
	}
	// The genuine message's real retry is still a duplicate, not a replay.
	if turn := r.begin(t, arrival("o1", "m1")); turn.Admission != redisstate.Duplicate {
		t.Errorf("genuine retry: %v", turn.Admission)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestGateRateLimit(t *testing.T) {
	r := newGate(t)
	for i := range 3 {
		r.step(t, arrival("o1", "m"+string(rune('a'+i))), func(context.Context) {})
	}
	turn := r.begin(t, arrival("o1", "m-over"))
	if turn.Admission != redisstate.Limited {
		t.Fatalf("fourth message in a minute with a limit of 3: %v", turn.Admission)
	}
	if err := turn.Finish(t.Context(), true, []byte("slow down")); err != nil {
		t.Fatal(err)
	}
	if n, _ := r.c.Exists(t.Context(), r.prefix+"lock:{o1}").Result(); n != 0 {
		t.Error("a limited message left the resident locked")
	}
	// Another resident is not limited.
	r.step(t, arrival("o2", "m1"), func(context.Context) {})
}

func TestGateSecondMessageWaitsForTheFirst(t *testing.T) {
	r := newGate(t)
	first := r.begin(t, arrival("o1", "m1"))
	second := r.begin(t, arrival("o1", "m2"))
	if second.Admission != redisstate.Admitted || second.Locked() {
		t.Fatalf("second message while the first runs: %v, locked %v", second.Admission, second.Locked())
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var step string
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := second.Lock(ctx); err != nil {
			step = err.Error()
			return
		}
		s, _, err := r.sessions.Load(second.Context(ctx), "o1")
		if err != nil {
			step = err.Error()
			return
		}
		step = s.Step
		// The numbered list too is the one the first message left.
		if items, _ := r.lists.Recall(second.Context(ctx), "o1"); len(items) != 1 || items[0] != "2612010001" {
			step += fmt.Sprintf(", list %v", items)
		}
		_ = second.Finish(ctx, true, nil)
	}()
	ctx := first.Context(t.Context())
	if err := r.sessions.Save(ctx, &bot.Session{OpenID: "o1", Flow: "report", Step: "where"}); err != nil {
		t.Fatal(err)
	}
	if err := r.lists.Remember(ctx, "o1", []string{"2612010001"}); err != nil {
		t.Fatal(err)
	}
	if err := first.Finish(t.Context(), true, nil); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if step != "where" {
		t.Errorf("the second message read %q, want the session (and list) the first left", step)
	}
}

func TestGateLostLockRefusesTheWrite(t *testing.T) {
	r := newGate(t)
	r.gate.LockTTL = time.Hour
	turn := r.begin(t, arrival("o1", "m1"))
	if err := r.sessions.Save(turn.Context(t.Context()), &bot.Session{OpenID: "o1", Flow: "report"}); err != nil {
		t.Fatal(err)
	}
	// Another message took the resident (the lock lapsed meanwhile).
	if err := r.c.Set(t.Context(), r.prefix+"lock:{o1}", "someone-else", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	err := turn.Finish(t.Context(), true, []byte("reply"))
	if !errors.Is(err, bot.ErrConflict) {
		t.Errorf("finish after losing the lock: %v, want ErrConflict", err)
	}
	if n, _ := r.c.Exists(t.Context(), r.prefix+"session:{o1}").Result(); n != 0 {
		t.Error("the session was written without the lock")
	}
	if v, _ := r.c.Get(t.Context(), r.prefix+"lock:{o1}").Result(); v != "someone-else" {
		t.Errorf("the other holder's lock became %q", v)
	}
	if v, _ := r.c.Get(t.Context(), r.prefix+"dedup:{o1}:m1").Result(); v != "dreply" {
		t.Errorf("the reply was not stored: %q", v)
	}
}

func TestGateExpiryIsToldOnce(t *testing.T) {
	r := newGate(t)
	// A form whose session timed out leaves its marker behind.
	if err := r.c.Set(t.Context(), r.prefix+"session-expired:{o1}", "1", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	r.step(t, arrival("o1", "m1"), func(ctx context.Context) {
		_, expired, err := r.sessions.Load(ctx, "o1")
		if !expired || !errors.Is(err, bot.ErrNotFound) || errors.Is(err, bot.ErrStateLost) {
			t.Errorf("load after expiry: %v %v", expired, err)
		}
	})
	r.step(t, arrival("o1", "m2"), func(ctx context.Context) {
		if _, expired, _ := r.sessions.Load(ctx, "o1"); expired {
			t.Error("the expiry was told twice")
		}
	})
}

func TestGateTellsOfLostDataOncePerResident(t *testing.T) {
	r := newGate(t)
	now := time.Now()
	r.gate.Now = func() time.Time { return now }
	r.step(t, arrival("o1", "m1"), func(ctx context.Context) {
		if _, expired, err := r.sessions.Load(ctx, "o1"); expired || errors.Is(err, bot.ErrStateLost) {
			t.Errorf("before any loss: %v %v", expired, err)
		}
	})
	// Redis restarts empty.
	if err := redistest.DeletePrefix(t.Context(), r.c, r.prefix); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"o1", "o2"} {
		r.step(t, arrival(who, "m2"), func(ctx context.Context) {
			if _, expired, err := r.sessions.Load(ctx, who); !expired || !errors.Is(err, bot.ErrStateLost) {
				t.Errorf("%s after the loss: %v %v", who, expired, err)
			}
		})
		r.step(t, arrival(who, "m3"), func(ctx context.Context) {
			if _, expired, err := r.sessions.Load(ctx, who); expired || errors.Is(err, bot.ErrStateLost) {
				t.Errorf("%s told twice: %v %v", who, expired, err)
			}
		})
	}
	// Past the window, nobody is told.
	now = now.Add(redisstate.DefaultLostWindow + time.Minute)
	r.step(t, arrival("o3", "m4"), func(ctx context.Context) {
		if _, expired, err := r.sessions.Load(ctx, "o3"); expired || errors.Is(err, bot.ErrStateLost) {
			t.Errorf("o3 after the window: %v %v", expired, err)
		}
	})
}

func TestGateReadsLegacySessions(t *testing.T) {
	r := newGate(t)
	r.gate.Legacy = true
	legacy := `{"v":1,"rev":4,"openid":"o1","flow":"report","step":"where","started_at":"2026-12-01T00:00:00Z","updated_at":"2026-12-01T00:00:00Z"}`
	if err := r.c.Set(t.Context(), r.prefix+"session:o1", legacy, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	r.step(t, arrival("o1", "m1"), func(ctx context.Context) {
		s, _, err := r.sessions.Load(ctx, "o1")
		if err != nil || s.Step != "where" {
			t.Fatalf("legacy session: %+v %v", s, err)
		}
		s.Step = "phone"
		if err := r.sessions.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
	})
	if n, _ := r.c.Exists(t.Context(), r.prefix+"session:o1").Result(); n != 0 {
		t.Error("the legacy key survived the move")
	}
	s, _, err := r.sessions.Load(t.Context(), "o1")
	if err != nil || s.Step != "phone" || s.Rev != 5 {
		t.Errorf("moved session: %+v %v", s, err)
	}
}

func TestGateDownIsAnError(t *testing.T) {
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = down.Close() })
	g := &redisstate.Gate{Client: down, Sessions: &redisstate.Sessions{Client: down}}
	if _, err := g.Begin(t.Context(), arrival("o1", "m1")); err == nil {
		t.Error("Begin with Redis down: no error")
	}
}

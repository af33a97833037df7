package redisstate_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
)

func TestLockerMutualExclusion(t *testing.T) {
	c, prefix, _ := redistest.New(t)
	lockers := []*redisstate.Locker{
		{Client: c, Prefix: prefix, RetryInterval: time.Millisecond},
		{Client: secondClient(t, c), Prefix: prefix, RetryInterval: time.Millisecond},
	}
	const workers, rounds = 6, 15
	var (
		counter int // deliberately not atomic: the lock is what protects it
		inside  atomic.Int32
		overlap atomic.Int32
		wg      sync.WaitGroup
	)
	for w := range workers {
		l := lockers[w%len(lockers)]
		wg.Go(func() {
			for range rounds {
				unlock, err := l.Lock(t.Context(), "o1", time.Minute)
				if err != nil {
					t.Errorf("Lock: %v", err)
					return
				}
				if inside.Add(1) != 1 {
					overlap.Add(1)
				}
				v := counter
				runtime.Gosched()
				counter = v + 1
				inside.Add(-1)
				unlock()
			}
		})
	}
	wg.Wait()
	if n := overlap.Load(); n != 0 {
		t.Errorf("%d times two holders were inside the lock at once", n)
	}
	if counter != workers*rounds {
		t.Errorf("counter = %d, want %d", counter, workers*rounds)
	}
}

func TestLockerExpiredLockCanBeTaken(t *testing.T) {
	t.Parallel()
	c, prefix, advance := redistest.New(t)
	l := &redisstate.Locker{Client: c, Prefix: prefix}
	ctx := t.Context()

	unlockA, err := l.Lock(ctx, "o1", time.Second)
	if err != nil {
		t.Fatalf("Lock A: %v", err)
	}
	advance(1500 * time.Millisecond) // A crashed or overran its TTL.
	unlockB, err := l.Lock(ctx, "o1", time.Minute)
	if err != nil {
		t.Fatalf("Lock B after A expired: %v", err)
	}

	// A's late unlock must not release B's lock.
	unlockA()
	if n, err := c.Exists(ctx, prefix+"lock:o1").Result(); err != nil || n != 1 {
		t.Fatalf("EXISTS after A's late unlock = %d, %v; want 1, nil", n, err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := l.Lock(short, "o1", time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock while B holds it: err = %v, want DeadlineExceeded", err)
	}

	unlockB()
	unlockB() // harmless
	unlockC, err := l.Lock(ctx, "o1", time.Minute)
	if err != nil {
		t.Fatalf("Lock after B unlocked: %v", err)
	}
	unlockC()
}

func TestLockerHonoursContext(t *testing.T) {
	c, prefix, _ := redistest.New(t)
	l := &redisstate.Locker{Client: c, Prefix: prefix}
	unlock, err := l.Lock(t.Context(), "o1", time.Minute)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	defer unlock()

	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error)
	go func() {
		_, err := l.Lock(ctx, "o1", time.Minute)
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Lock with a cancelled context: err = %v, want Canceled", err)
	}
	// Other keys are not blocked.
	other, err := l.Lock(t.Context(), "o2", time.Minute)
	if err != nil {
		t.Fatalf("Lock of another key: %v", err)
	}
	other()
}

func TestLockerRejectsZeroTTL(t *testing.T) {
	c, prefix, _ := redistest.New(t)
	l := &redisstate.Locker{Client: c, Prefix: prefix}
	if unlock, err := l.Lock(t.Context(), "o1", 0); err == nil {
		unlock()
		t.Error("Lock with ttl 0 succeeded, want an error")
	}
}

// TestLockerHoldOutlivesItsTTLButNotItsHolder: a held lock is renewed
// while its holder works, however long past its TTL; once the holder
// dies (here: its connection closes, so Redis hears no more from it) the
// lock ends within the TTL. Time is the server's: miniredis, whose clock
// the test moves; renewals run on the real clock every TTL/3.
func TestLockerHoldOutlivesItsTTLButNotItsHolder(t *testing.T) {
	mr, c := redistest.Miniredis(t)
	const ttl = 150 * time.Millisecond
	l := &redisstate.Locker{Client: c, Prefix: "p:", RetryInterval: time.Millisecond}
	ctx := t.Context()
	unlock, err := l.Hold(ctx, "o1", ttl)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		mr.FastForward(ttl - 10*time.Millisecond)
		bottest.WaitFor(t, 10*time.Second, "the lock to be renewed", func() bool {
			return mr.TTL("p:lock:o1") > ttl/2
		})
	}
	unlock()
	unlock() // harmless
	if mr.Exists("p:lock:o1") {
		t.Fatal("the lock survived unlock")
	}

	doomed := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	dying := &redisstate.Locker{Client: doomed, Prefix: "p:"}
	unlockDead, err := dying.Hold(ctx, "o1", ttl)
	if err != nil {
		t.Fatal(err)
	}
	defer unlockDead()
	doomed.Close()
	mr.FastForward(ttl)
	short, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	next, err := l.Lock(short, "o1", time.Minute)
	if err != nil {
		t.Fatalf("Lock after its holder died: %v", err)
	}
	next()
}

package redisstate_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
)

func TestDedupConcurrentBegin(t *testing.T) {
	c, prefix, _ := redistest.New(t)
	instances := []*redisstate.Dedup{
		{Client: c, Prefix: prefix},
		{Client: secondClient(t, c), Prefix: prefix},
	}
	const callers = 20
	var claimed atomic.Int32
	var wg sync.WaitGroup
	for i := range callers {
		d := instances[i%len(instances)]
		wg.Go(func() {
			c, err := d.Begin(t.Context(), "msg-1", 0)
			if err != nil {
				t.Errorf("Begin: %v", err)
			}
			if c != redisstate.Taken {
				claimed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := claimed.Load(); got != 1 {
		t.Errorf("%d of %d concurrent Begin calls claimed the message, want 1", got, callers)
	}
}

func TestDedupWaitGetsResultFromOtherInstance(t *testing.T) {
	tests := []struct {
		name   string
		result []byte
	}{
		{name: "reply", result: []byte("<xml>您的报修已受理</xml>")},
		{name: "empty reply", result: []byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, prefix, _ := redistest.New(t)
			first := &redisstate.Dedup{Client: c, Prefix: prefix}
			retry := &redisstate.Dedup{Client: secondClient(t, c), Prefix: prefix}
			ctx := t.Context()

			if c, err := first.Begin(ctx, "msg-1", time.Hour); err != nil || c != redisstate.Claimed {
				t.Fatalf("first Begin = %v, %v; want Claimed, nil", c, err)
			}
			if c, err := retry.Begin(ctx, "msg-1", time.Hour); err != nil || c != redisstate.Taken {
				t.Fatalf("retry Begin = %v, %v; want Taken, nil", c, err)
			}
			if _, ok, err := retry.Result(ctx, "msg-1"); err != nil || ok {
				t.Errorf("Result while pending = %v, %v; want false, nil", ok, err)
			}

			type waited struct {
				res []byte
				err error
			}
			done := make(chan waited)
			go func() {
				res, err := retry.Wait(ctx, "msg-1")
				done <- waited{res, err}
			}()
			if err := first.Finish(ctx, "msg-1", tt.result); err != nil {
				t.Fatalf("Finish: %v", err)
			}
			got := <-done
			if got.err != nil {
				t.Fatalf("Wait: %v", got.err)
			}
			if diff := cmp.Diff(tt.result, got.res); diff != "" {
				t.Errorf("Wait result mismatch (-want +got):\n%s", diff)
			}

			// A later retry cannot claim the finished message and gets the
			// same result straight away.
			if c, err := retry.Begin(ctx, "msg-1", time.Nanosecond); err != nil || c != redisstate.Taken {
				t.Errorf("Begin after Finish = %v, %v; want Taken, nil (a result is never taken over)", c, err)
			}
			res, ok, err := retry.Result(ctx, "msg-1")
			if err != nil || !ok {
				t.Fatalf("Result after Finish = %v, %v; want true, nil", ok, err)
			}
			if diff := cmp.Diff(tt.result, res); diff != "" {
				t.Errorf("Result mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDedupResultUnknown(t *testing.T) {
	c, prefix, _ := redistest.New(t)
	d := &redisstate.Dedup{Client: c, Prefix: prefix}
	res, ok, err := d.Result(t.Context(), "never-seen")
	if err != nil || ok || res != nil {
		t.Errorf("Result = %q, %v, %v; want nil, false, nil", res, ok, err)
	}
}

func TestDedupWaitHonoursContext(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func(context.Context) (context.Context, context.CancelFunc)
		wantErr error
	}{
		{
			name: "deadline",
			ctx: func(ctx context.Context) (context.Context, context.CancelFunc) {
				return context.WithTimeout(ctx, 100*time.Millisecond)
			},
			wantErr: context.DeadlineExceeded,
		},
		{
			name: "already cancelled",
			ctx: func(ctx context.Context) (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				return ctx, cancel
			},
			wantErr: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, prefix, _ := redistest.New(t)
			d := &redisstate.Dedup{Client: c, Prefix: prefix}
			if c, err := d.Begin(t.Context(), "msg-1", 0); err != nil || c != redisstate.Claimed {
				t.Fatalf("Begin = %v, %v; want Claimed, nil", c, err)
			}
			ctx, cancel := tt.ctx(t.Context())
			defer cancel()
			res, err := d.Wait(ctx, "msg-1")
			if !errors.Is(err, tt.wantErr) || res != nil {
				t.Errorf("Wait = %q, %v; want nil, %v", res, err, tt.wantErr)
			}
		})
	}
}

func TestDedupPendingExpires(t *testing.T) {
	t.Parallel()
	c, prefix, advance := redistest.New(t)
	d := &redisstate.Dedup{Client: c, Prefix: prefix, PendingTTL: time.Second}
	ctx := t.Context()
	var got []redisstate.Claim
	for _, step := range []time.Duration{0, 0, 1500 * time.Millisecond, 0} {
		advance(step)
		c, err := d.Begin(ctx, "msg-1", 0)
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		got = append(got, c)
	}
	// Claimed, blocked, claimed again after the crashed owner's claim
	// expired, blocked by the new owner.
	want := []redisstate.Claim{redisstate.Claimed, redisstate.Taken, redisstate.Claimed, redisstate.Taken}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Begin results mismatch (-want +got):\n%s", diff)
	}
}

func TestDedupResultExpires(t *testing.T) {
	t.Parallel()
	c, prefix, advance := redistest.New(t)
	d := &redisstate.Dedup{Client: c, Prefix: prefix, ResultTTL: time.Second}
	ctx := t.Context()
	if err := d.Finish(ctx, "msg-1", []byte("r")); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	advance(1500 * time.Millisecond)
	if _, ok, err := d.Result(ctx, "msg-1"); err != nil || ok {
		t.Errorf("Result after ResultTTL = %v, %v; want false, nil", ok, err)
	}
}

// TestDedupReclaimsADeadClaim: a claim still pending when its owner
// would have stored a result is taken over by the next delivery, once;
// a younger claim, a result, or a marker without its age are not. Time
// is the server's: miniredis, whose clock the test moves.
func TestDedupReclaimsADeadClaim(t *testing.T) {
	mr, c := redistest.Miniredis(t)
	d := &redisstate.Dedup{Client: c, Prefix: "p:"}
	retry := &redisstate.Dedup{Client: secondClient(t, c), Prefix: "p:"}
	ctx := t.Context()
	const deadline = 4 * time.Second
	var got []redisstate.Claim
	for _, step := range []time.Duration{0, 3 * time.Second, 2 * time.Second, 0, 2 * time.Second} {
		mr.FastForward(step)
		c, err := retry.Begin(ctx, "msg-1", deadline)
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		got = append(got, c)
	}
	// Claimed at 0; at 3 s its owner may still answer; at 5 s it is
	// dead and the retry takes over; that claim is as young as any.
	want := []redisstate.Claim{redisstate.Claimed, redisstate.Taken, redisstate.Reclaimed, redisstate.Taken, redisstate.Taken}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Begin results mismatch (-want +got):\n%s", diff)
	}

	if err := d.Finish(ctx, "msg-2", []byte("r")); err != nil {
		t.Fatal(err)
	}
	// A marker from before claims carried their age (a rolling deploy).
	if err := c.Set(ctx, "p:dedup:msg-3", "p", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	mr.FastForward(10 * time.Second)
	for _, id := range []string{"msg-2", "msg-3"} {
		if c, err := retry.Begin(ctx, id, deadline); err != nil || c != redisstate.Taken {
			t.Errorf("Begin(%s) = %v, %v; want Taken", id, c, err)
		}
	}
}

// TestDedupReclaimOnTheServer runs the take-over on the configured Redis
// (a real server in CI): the claim's age is read off the server's clock,
// so a claim a few milliseconds old is taken over for a threshold of one.
func TestDedupReclaimOnTheServer(t *testing.T) {
	// A real server only: miniredis's clock stands still unless moved, so
	// the claim would never age (the miniredis test above steers its clock).
	c, prefix, _ := redistest.Real(t)
	d := &redisstate.Dedup{Client: c, Prefix: prefix}
	ctx := t.Context()
	if got, err := d.Begin(ctx, "msg-1", time.Hour); err != nil || got != redisstate.Claimed {
		t.Fatalf("Begin = %v, %v; want Claimed", got, err)
	}
	if got, err := d.Begin(ctx, "msg-1", time.Hour); err != nil || got != redisstate.Taken {
		t.Fatalf("Begin of a young claim = %v, %v; want Taken", got, err)
	}
	bottest.WaitFor(t, 10*time.Second, "the claim to be taken over", func() bool {
		got, err := d.Begin(ctx, "msg-1", time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		return got == redisstate.Reclaimed
	})
}

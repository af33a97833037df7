package redisstate_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
			ok, err := d.Begin(t.Context(), "msg-1")
			if err != nil {
				t.Errorf("Begin: %v", err)
			}
			if ok {
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

			if ok, err := first.Begin(ctx, "msg-1"); err != nil || !ok {
				t.Fatalf("first Begin = %v, %v; want true, nil", ok, err)
			}
			if ok, err := retry.Begin(ctx, "msg-1"); err != nil || ok {
				t.Fatalf("retry Begin = %v, %v; want false, nil", ok, err)
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
			if ok, err := retry.Begin(ctx, "msg-1"); err != nil || ok {
				t.Errorf("Begin after Finish = %v, %v; want false, nil", ok, err)
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
			if ok, err := d.Begin(t.Context(), "msg-1"); err != nil || !ok {
				t.Fatalf("Begin = %v, %v; want true, nil", ok, err)
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
	var got []bool
	for _, step := range []time.Duration{0, 0, 1500 * time.Millisecond, 0} {
		advance(step)
		ok, err := d.Begin(ctx, "msg-1")
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		got = append(got, ok)
	}
	// Claimed, blocked, claimed again after the crashed owner's claim
	// expired, blocked by the new owner.
	if diff := cmp.Diff([]bool{true, false, true, false}, got); diff != "" {
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

package redisstate_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
)

func TestRateLimiter(t *testing.T) {
	// A call is a key to count, after letting some time pass.
	type call struct {
		wait time.Duration
		key  string
	}
	const window = time.Second
	tests := []struct {
		name  string
		limit int
		calls []call
		want  []bool
	}{
		{
			name:  "limit+1th call refused",
			limit: 3,
			calls: []call{{0, "a"}, {0, "a"}, {0, "a"}, {0, "a"}, {0, "a"}},
			want:  []bool{true, true, true, false, false},
		},
		{
			name:  "other key unaffected",
			limit: 2,
			calls: []call{{0, "a"}, {0, "a"}, {0, "a"}, {0, "b"}, {0, "b"}, {0, "b"}},
			want:  []bool{true, true, false, true, true, false},
		},
		{
			name:  "new window allows again",
			limit: 2,
			calls: []call{{0, "a"}, {0, "a"}, {0, "a"}, {window + window/2, "a"}, {0, "a"}, {0, "a"}},
			want:  []bool{true, true, false, true, true, false},
		},
		{
			name:  "limit 0 allows all",
			limit: 0,
			calls: []call{{0, "a"}, {0, "a"}, {0, "a"}, {0, "a"}, {0, "a"}},
			want:  []bool{true, true, true, true, true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, prefix, advance := redistest.New(t)
			rl := &redisstate.RateLimiter{Client: c, Prefix: prefix, Limit: tt.limit, Window: window}
			var got []bool
			for _, cl := range tt.calls {
				if cl.wait > 0 {
					advance(cl.wait)
				}
				ok, err := rl.Allow(t.Context(), cl.key)
				if err != nil {
					t.Fatalf("Allow(%q): %v", cl.key, err)
				}
				got = append(got, ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Allow results mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRateLimiterAcrossInstances(t *testing.T) {
	c, prefix, _ := redistest.New(t)
	a := &redisstate.RateLimiter{Client: c, Prefix: prefix, Limit: 2, Window: time.Minute}
	b := &redisstate.RateLimiter{Client: secondClient(t, c), Prefix: prefix, Limit: 2, Window: time.Minute}
	var got []bool
	for _, rl := range []*redisstate.RateLimiter{a, b, a, b} {
		ok, err := rl.Allow(t.Context(), "o1")
		if err != nil {
			t.Fatalf("Allow: %v", err)
		}
		got = append(got, ok)
	}
	if diff := cmp.Diff([]bool{true, true, false, false}, got); diff != "" {
		t.Errorf("Allow results mismatch (-want +got):\n%s", diff)
	}
}

func TestRateLimiterZeroWindow(t *testing.T) {
	c, prefix, _ := redistest.New(t)
	rl := &redisstate.RateLimiter{Client: c, Prefix: prefix, Limit: 1}
	if ok, err := rl.Allow(t.Context(), "a"); err == nil || ok {
		t.Errorf("Allow with no window = %v, %v; want false and an error", ok, err)
	}
}

func TestCounter(t *testing.T) {
	c, prefix, _ := redistest.New(t)
	a := &redisstate.Counter{Client: c, Prefix: prefix, Window: time.Hour}
	b := &redisstate.Counter{Client: secondClient(t, c), Prefix: prefix, Window: time.Hour}
	ctx := t.Context()
	if n, err := a.Count(ctx, "bind:o1"); err != nil || n != 0 {
		t.Fatalf("Count before any event = %d, %v", n, err)
	}
	for i, ctr := range []*redisstate.Counter{a, b, a} {
		if n, err := ctr.Add(ctx, "bind:o1"); err != nil || n != i+1 {
			t.Fatalf("Add #%d = %d, %v", i+1, n, err)
		}
	}
	if n, _ := b.Count(ctx, "bind:o1"); n != 3 {
		t.Errorf("Count on another instance = %d, want 3", n)
	}
	if n, _ := a.Count(ctx, "bind:o2"); n != 0 {
		t.Errorf("another key counted %d", n)
	}
	// The count lives for the window from its first event (checked on
	// the key, not by waiting an hour).
	if ttl := c.PTTL(ctx, prefix+"count:bind:o1").Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("count expires in %v, want within the hour's window", ttl)
	}
	if _, err := (&redisstate.Counter{Client: c, Prefix: prefix}).Add(ctx, "x"); err == nil {
		t.Error("Add with no window succeeded")
	}
}

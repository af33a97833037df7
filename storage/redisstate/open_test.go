package redisstate_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot/bottest"

	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
)

func TestOpenEmbedded(t *testing.T) {
	ctx := t.Context()
	c, closeFn, err := redisstate.Open(ctx, "")
	if err != nil {
		t.Fatalf("Open(\"\"): %v", err)
	}
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET on the embedded redis: %v", err)
	}
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Errorf("GET = %q, %v; want \"v\", nil", got, err)
	}
	if err := closeFn(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := c.Ping(ctx).Err(); err == nil {
		t.Error("Ping after close succeeded")
	}
}

// TestOpenEmbeddedExpires: keys of the embedded Redis expire in real time,
// as on a real server. miniredis only moves its clock when told to, and
// without that a rate limit, a lock or a session set in development never
// ends: a resident who once sent 21 messages in a minute was told to slow
// down until the restart.
func TestOpenEmbeddedExpires(t *testing.T) {
	ctx := t.Context()
	c, closeFn, err := redisstate.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if err := c.Set(ctx, "k", "v", 50*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	bottest.WaitFor(t, 5*time.Second, "the key with a 50 ms TTL to expire", func() bool {
		return c.Exists(ctx, "k").Val() == 0
	})
}

func TestOpenEmbeddedInstancesAreSeparate(t *testing.T) {
	ctx := t.Context()
	a, closeA, err := redisstate.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeA()
	b, closeB, err := redisstate.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeB()
	if err := a.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS on the other embedded redis = %d, %v; want 0, nil", n, err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  string
		// notIn must not appear in the error: the password.
		notIn string
	}{
		{name: "bad scheme", url: "http://127.0.0.1:6379/0"},
		{name: "bad url keeps password out", url: "redis://user:s3cret@[::1/0", notIn: "s3cret"},
		{name: "nobody listening keeps password out", url: "redis://user:s3cret@127.0.0.1:1/0", notIn: "s3cret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, closeFn, err := redisstate.Open(t.Context(), tt.url)
			if err == nil {
				closeFn()
				t.Fatalf("Open(%q) succeeded, want an error", tt.url)
			}
			if c != nil || closeFn != nil {
				t.Errorf("Open returned a client or close function with error %v", err)
			}
			if tt.notIn != "" && strings.Contains(err.Error(), tt.notIn) {
				t.Errorf("error %q reveals the password", err)
			}
		})
	}
}

func TestOpenURL(t *testing.T) {
	redistest.Real(t) // skips without a real server
	ctx := t.Context()
	c, closeFn, err := redisstate.Open(ctx, os.Getenv(redistest.EnvURL))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer closeFn()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

package redistest_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/storage/redisstate/redistest"
)

func TestDeletePrefix(t *testing.T) {
	mr, c := redistest.Miniredis(t)
	for _, k := range []string{"p:[x]*:1", "p:[x]*:2", "p:[x]x:1", "p:other", "q:1"} {
		mr.Set(k, "v")
	}
	if err := redistest.DeletePrefix(t.Context(), c, "p:[x]*:"); err != nil {
		t.Fatalf("DeletePrefix: %v", err)
	}
	got := mr.Keys()
	sort.Strings(got)
	if diff := cmp.Diff([]string{"p:[x]x:1", "p:other", "q:1"}, got); diff != "" {
		t.Errorf("keys left mismatch (-want +got):\n%s", diff)
	}
}

func TestNewIsolatesTests(t *testing.T) {
	c1, p1, _ := redistest.New(t)
	_, p2, _ := redistest.New(t)
	if p1 == p2 || !strings.HasPrefix(p1, "tongxin-test:") {
		t.Fatalf("prefixes %q and %q: want two distinct tongxin-test: prefixes", p1, p2)
	}
	if err := c1.Ping(t.Context()).Err(); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestNewAdvanceExpiresKeys(t *testing.T) {
	c, prefix, advance := redistest.New(t)
	ctx := t.Context()
	if err := c.Set(ctx, prefix+"k", "v", time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	advance(1500 * time.Millisecond)
	if n, err := c.Exists(ctx, prefix+"k").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS after advance = %d, %v; want 0, nil", n, err)
	}
}

func TestRealCleansUp(t *testing.T) {
	var prefix string
	t.Run("inner", func(t *testing.T) {
		c, p, _ := redistest.Real(t)
		prefix = p
		if err := c.Set(t.Context(), p+"k", "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	})
	if prefix == "" {
		t.Skip("no real redis")
	}
	c, _, _ := redistest.Real(t)
	if n, err := c.Exists(t.Context(), prefix+"k").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS after the test ended = %d, %v; want 0, nil", n, err)
	}
}

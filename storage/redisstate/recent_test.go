package redisstate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
)

// TestRecent: the last five messages are kept, oldest first, per
// resident, for the TTL after the last one; Forget erases them.
func TestRecent(t *testing.T) {
	c, prefix, advance := redistest.New(t)
	r := &redisstate.Recent{Client: c, Prefix: prefix, TTL: 300 * time.Millisecond}
	ctx := context.Background()
	for i := range 7 {
		if err := r.Remember(ctx, "o-a", fmt.Sprintf("消息%d", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Remember(ctx, "o-b", "别人的"); err != nil {
		t.Fatal(err)
	}
	got, err := r.Recent(ctx, "o-a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"消息3", "消息4", "消息5", "消息6", "消息7"}, got); diff != "" {
		t.Errorf("Recent mismatch (-want +got):\n%s", diff)
	}
	if n, err := r.Forget(ctx, "o-a"); err != nil || n != 5 {
		t.Errorf("Forget = %d, %v; want 5", n, err)
	}
	if got, _ := r.Recent(ctx, "o-a"); len(got) != 0 {
		t.Errorf("after Forget: %q", got)
	}
	advance(400 * time.Millisecond)
	if got, _ := r.Recent(ctx, "o-b"); len(got) != 0 {
		t.Errorf("past the TTL: %q", got)
	}
}

package redisstate_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
)

// TestLists: a list is recalled as remembered, by its own person, until
// it expires; remembering again replaces it.
func TestLists(t *testing.T) {
	c, prefix, advance := redistest.New(t)
	ctx := context.Background()
	l := &redisstate.Lists{Client: c, Prefix: prefix, TTL: time.Second}
	if got, err := l.Recall(ctx, "o-a"); err != nil || got != nil {
		t.Fatalf("Recall before Remember = %v, %v", got, err)
	}
	if err := l.Remember(ctx, "o-a", []string{"2611260001", "2611260002"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Remember(ctx, "o-b", []string{"2611260003"}); err != nil {
		t.Fatal(err)
	}
	got, err := l.Recall(ctx, "o-a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2611260001", "2611260002"}, got); diff != "" {
		t.Errorf("Recall mismatch (-want +got):\n%s", diff)
	}
	if err := l.Remember(ctx, "o-a", []string{"2611260002"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.Recall(ctx, "o-a"); !cmp.Equal(got, []string{"2611260002"}) {
		t.Errorf("after a second Remember: %v", got)
	}
	advance(1100 * time.Millisecond)
	if got, err := l.Recall(ctx, "o-a"); err != nil || got != nil {
		t.Errorf("Recall after the TTL = %v, %v", got, err)
	}
}

package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
)

// lostStore is a session store that lost its data: its first Load for each
// resident reports ErrStateLost, as redisstate's does after a Redis restart.
type lostStore struct {
	bot.MemorySessions
	told map[string]bool
}

func (l *lostStore) Load(ctx context.Context, openid string) (*bot.Session, bool, error) {
	if !l.told[openid] {
		l.told[openid] = true
		return nil, true, bot.ErrStateLost
	}
	return l.MemorySessions.Load(ctx, openid)
}

// TestLostStateIsToldHonestly: a resident answering a form that the store
// lost ("1" to a summary nobody remembers) is told it is gone and to start
// again, and their "1" does not start menu item 1; a keyword still works.
func TestLostStateIsToldHonestly(t *testing.T) {
	clock := bottest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	r, submitted, obs := newDemoRouter(t, clock)
	store := &lostStore{MemorySessions: bot.MemorySessions{Now: clock.Now}, told: map[string]bool{}}
	r.Sessions = store
	reply, err := r.Handle(context.Background(), &bot.Message{OpenID: "o-a", Kind: bot.KindText, Text: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reply.Text, "重新开始") || strings.Contains(reply.Text, "超过一天") {
		t.Errorf("reply to a lost form's answer: %q", reply.Text)
	}
	if _, _, err := store.MemorySessions.Load(context.Background(), "o-a"); err == nil {
		t.Error("the stray 1 started a flow")
	}
	reply, err = r.Handle(context.Background(), &bot.Message{OpenID: "o-b", Kind: bot.KindText, Text: "登记"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reply.Text, "重新开始") || len(*submitted) != 0 {
		t.Errorf("keyword after a loss: %q", reply.Text)
	}
	if s, _, err := store.MemorySessions.Load(context.Background(), "o-b"); err != nil || s.Flow != "demo" {
		t.Errorf("the keyword did not start its flow: %+v %v", s, err)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if !slices.Contains(obs.events, "lost ") {
		t.Errorf("observer saw %v, want a lost end", obs.events)
	}
}

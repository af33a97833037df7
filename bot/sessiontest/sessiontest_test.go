package sessiontest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/sessiontest"
)

// clock is a fake clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestMemorySessions(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T, ttl time.Duration) (bot.SessionStore, func(time.Duration)) {
		c := &clock{now: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)}
		return &bot.MemorySessions{Now: c.Now, TTL: ttl}, c.Advance
	})
}

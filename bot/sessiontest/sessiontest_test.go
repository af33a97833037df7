package sessiontest_test

import (
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/sessiontest"
)

func TestMemorySessions(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T, ttl, draftTTL time.Duration) (bot.SessionStore, func(time.Duration)) {
		c := bottest.NewClock(time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC))
		return &bot.MemorySessions{Now: c.Now, TTL: ttl, DraftTTL: draftTTL}, c.Advance
	})
}

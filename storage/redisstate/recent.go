package redisstate

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tongxin/tongxin/bot"
)

// Recent keeps each resident's last few text messages (bot.RecentKept) in
// a Redis list that expires TTL after the last one, so that the staff a
// 人工 request reaches know what it is about. An erasure deletes it
// (Forget); it implements bot.Recent.
type Recent struct {
	Client Client
	// Prefix starts every key; DefaultPrefix when empty.
	Prefix string
	// TTL is how long the messages are kept after the last one
	// (RecentTTL when zero).
	TTL time.Duration
}

// RecentTTL is how long a resident's last messages are kept: a day, long
// enough for a 人工 request about this morning's problem.
const RecentTTL = 24 * time.Hour

var _ bot.Recent = (*Recent)(nil)

func (r *Recent) key(openid string) string { return recentKey(prefixOr(r.Prefix), openid) }

// recentKey carries the openid as hash tag, so that a Gate's turn writes it
// with the resident's other keys.
func recentKey(prefix, openid string) string { return prefix + "recent:{" + openid + "}" }

// Remember adds text as openid's newest message and keeps the last few.
func (r *Recent) Remember(ctx context.Context, openid, text string) error {
	if openid == "" || text == "" {
		return nil
	}
	ttl := r.TTL
	if ttl <= 0 {
		ttl = RecentTTL
	}
	if t := turnFor(ctx, r.Client, r.Prefix, openid); t != nil {
		// Inside a webhook's turn: written with the rest after the bot.
		t.keep(text, ttl)
		return nil
	}
	k := r.key(openid)
	_, err := r.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, k, text)
		p.LTrim(ctx, k, 0, bot.RecentKept-1)
		p.PExpire(ctx, k, ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstate: remember: %w", err)
	}
	return nil
}

// Recent returns openid's kept messages, oldest first.
func (r *Recent) Recent(ctx context.Context, openid string) ([]string, error) {
	out, err := r.Client.LRange(ctx, r.key(openid), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstate: recent: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

// Forget deletes openid's kept messages and reports how many there were.
func (r *Recent) Forget(ctx context.Context, openid string) (int, error) {
	k := r.key(openid)
	// Kept before keys carried hash tags: goes too.
	old := prefixOr(r.Prefix) + "recent:" + openid
	var n, m *redis.IntCmd
	_, err := r.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
		n = p.LLen(ctx, k)
		m = p.LLen(ctx, old)
		p.Del(ctx, k, old)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("redisstate: forget recent: %w", err)
	}
	return int(n.Val() + m.Val()), nil
}

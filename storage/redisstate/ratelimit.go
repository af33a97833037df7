package redisstate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// RateLimiter allows at most Limit calls per key in each fixed Window,
// counted in Redis so the limit holds across instances. A fixed window may
// let up to 2×Limit through around a window boundary; that is fine for
// keeping a resident or a client from flooding the service.
type RateLimiter struct {
	Client Client
	// Prefix starts every key; DefaultPrefix when empty.
	Prefix string
	// Limit is the number of calls allowed per window; 0 allows all.
	Limit int
	// Window is the length of a window; it must be positive when Limit is.
	Window time.Duration
}

// rateScript counts a hit and starts the window on the first one. It also
// repairs a counter without expiry, which would otherwise block its key for
// good.
var rateScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
`)

// Allow counts one call for key and reports whether it is within the limit.
func (r *RateLimiter) Allow(ctx context.Context, key string) (bool, error) {
	if r.Limit <= 0 {
		return true, nil
	}
	if r.Window <= 0 {
		return false, errors.New("redisstate: rate limit: window must be positive")
	}
	n, err := rateScript.Run(ctx, r.Client, []string{prefixOr(r.Prefix) + "rate:" + key}, r.Window.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("redisstate: rate limit: %w", err)
	}
	return n <= int64(r.Limit), nil
}

// Counter counts events per key in a fixed Window in Redis, so a count
// holds across instances: failed staff binds, to lock an openid out after
// a few. Unlike RateLimiter it can be read without counting.
type Counter struct {
	Client Client
	// Prefix starts every key; DefaultPrefix when empty.
	Prefix string
	// Window is how long a count lives from its first event.
	Window time.Duration
}

func (c *Counter) key(key string) string { return prefixOr(c.Prefix) + "count:" + key }

// Count returns the events counted for key in its current window.
func (c *Counter) Count(ctx context.Context, key string) (int, error) {
	n, err := c.Client.Get(ctx, c.key(key)).Int()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redisstate: count %s: %w", key, err)
	}
	return n, nil
}

// Add counts one event for key and returns the new count.
func (c *Counter) Add(ctx context.Context, key string) (int, error) {
	if c.Window <= 0 {
		return 0, errors.New("redisstate: counter: window must be positive")
	}
	n, err := rateScript.Run(ctx, c.Client, []string{c.key(key)}, c.Window.Milliseconds()).Int()
	if err != nil {
		return 0, fmt.Errorf("redisstate: count %s: %w", key, err)
	}
	return n, nil
}

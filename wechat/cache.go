package wechat

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"
)

// redisCache is the SDK's cache.ContextCache over go-redis v9, for any SDK
// path that caches (tickets, the default token handle): the SDK's own
// memory cache has a data race and its Redis cache uses go-redis v8.
type redisCache struct {
	rdb    redis.Cmdable
	prefix string
}

var _ cache.ContextCache = (*redisCache)(nil)

// Get returns the value as a string, as the SDK's own Redis cache does, or
// nil when missing or on error (the interface has no error).
func (c *redisCache) Get(key string) interface{} { return c.GetContext(context.Background(), key) }

// GetContext is Get with a context.
func (c *redisCache) GetContext(ctx context.Context, key string) interface{} {
	v, err := c.rdb.Get(ctx, c.prefix+key).Result()
	if err != nil {
		return nil
	}
	return v
}

// Set stores val (a string, []byte or number) for timeout; zero means no
// expiry.
func (c *redisCache) Set(key string, val interface{}, timeout time.Duration) error {
	return c.SetContext(context.Background(), key, val, timeout)
}

// SetContext is Set with a context.
func (c *redisCache) SetContext(ctx context.Context, key string, val interface{}, timeout time.Duration) error {
	return c.rdb.Set(ctx, c.prefix+key, val, timeout).Err()
}

// IsExist reports whether key is set.
func (c *redisCache) IsExist(key string) bool { return c.IsExistContext(context.Background(), key) }

// IsExistContext is IsExist with a context.
func (c *redisCache) IsExistContext(ctx context.Context, key string) bool {
	n, err := c.rdb.Exists(ctx, c.prefix+key).Result()
	return err == nil && n > 0
}

// Delete removes key.
func (c *redisCache) Delete(key string) error { return c.DeleteContext(context.Background(), key) }

// DeleteContext is Delete with a context.
func (c *redisCache) DeleteContext(ctx context.Context, key string) error {
	return c.rdb.Del(ctx, c.prefix+key).Err()
}

package redisstate_test

import (
	"testing"

	"github.com/redis/go-redis/v9"
)

// secondClient is another connection pool to the same server, standing in
// for a second instance of the service.
func secondClient(t *testing.T, c *redis.Client) *redis.Client {
	t.Helper()
	c2 := redis.NewClient(c.Options())
	t.Cleanup(func() { c2.Close() })
	return c2
}

package redisstate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultNonceTTL outlives the webhook's accepted timestamp skew (5 min
// either way), so a signature cannot be reused while its timestamp passes.
const DefaultNonceTTL = 11 * time.Minute

// Nonces binds each signed webhook request (its signature, timestamp and
// nonce) to the body it first came with. WeChat's plain-mode signature does
// not cover the body, so without this anyone who saw one request URL could
// post other XML under it; a genuine retry carries the same body and passes.
type Nonces struct {
	Client Client
	// Prefix starts every key; DefaultPrefix when empty.
	Prefix string
	// TTL is how long a binding is kept; DefaultNonceTTL when zero.
	TTL time.Duration
}

var nonceScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if cur == ARGV[1] then return 1 end
return 0
`)

// Check reports whether body may be processed under the signed query
// (signature, timestamp, nonce): true the first time and for the same
// body again, false for a different body.
func (n *Nonces) Check(ctx context.Context, signature, timestamp, nonce string, body []byte) (bool, error) {
	ttl := n.TTL
	if ttl <= 0 {
		ttl = DefaultNonceTTL
	}
	key := prefixOr(n.Prefix) + "nonce:" + signature + ":" + timestamp + ":" + nonce
	sum := sha256.Sum256(body)
	ok, err := nonceScript.Run(ctx, n.Client, []string{key}, hex.EncodeToString(sum[:]), ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("redisstate.Nonces.Check: %w", err)
	}
	return ok == 1, nil
}

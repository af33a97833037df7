// Package redisstate keeps the short-lived state that every instance of
// tongxin must share through one Redis: residents' conversation sessions
// (a bot.SessionStore), the webhook's retry guard (Dedup), fixed-window rate
// limits (RateLimiter), per-key mutual exclusion (Locker), and Gate, which
// does the webhook's part of all of these for one message in two round
// trips.
//
// Every type takes a key Prefix ("tongxin:" when empty) so that several
// deployments, or tests on a shared server, can use one Redis side by side.
// Checks that must hold across instances (session revisions, expiry notices,
// lock ownership, first-hit expiry of a rate window) are atomic on the
// server: single commands (SET … NX GET, PEXPIRE … NX) or Lua scripts,
// rather than racy read-then-write sequences. It needs Redis 7.0 or later.
//
// It does not keep anything durable: records, notifications and capacity
// live in PostgreSQL or SQLite (package storage). A resident's keys carry
// their openid as a hash tag ("session:{openid}"), so that on Redis Cluster
// they live on one shard and a script can touch them together; the other
// keys (nonce bindings, the loss epoch, access tokens) are each on their
// own. Open can start an embedded in-process Redis (miniredis) for
// development and single-instance use; that state is lost on exit.
package redisstate

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is the key prefix used when a type's Prefix is empty.
const DefaultPrefix = "tongxin:"

func prefixOr(p string) string {
	if p == "" {
		return DefaultPrefix
	}
	return p
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Client is what the types of this package need from go-redis; *redis.Client
// (including a Sentinel failover client) satisfies it.
type Client = redis.UniversalClient

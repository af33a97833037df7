package redisstate

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRetryInterval is how often Lock retries a taken lock.
const DefaultRetryInterval = 20 * time.Millisecond

// unlockTimeout bounds an unlock whose caller's context is already done.
const unlockTimeout = 5 * time.Second

// Locker hands out locks that exclude each other across instances, so that
// one resident's messages are processed one at a time wherever they land.
//
// A lock is {Prefix}lock:{key} holding a random token. It expires after its
// TTL, so a crashed holder cannot block a key for good; a holder that runs
// longer than the TTL loses the lock without being told, so pick a TTL
// longer than the work, or take it with Hold, which renews it.
type Locker struct {
	Client Client
	// Prefix starts every key; DefaultPrefix when empty.
	Prefix string
	// RetryInterval is how often Lock retries; DefaultRetryInterval when
	// zero.
	RetryInterval time.Duration
}

// unlockScript deletes the lock only if it still holds our token: after our
// lock expired, another holder's must survive our late unlock.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// extendScript renews the lock only if it still holds our token: a lock
// we lost belongs to its new holder.
var extendScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// Lock waits until it holds the lock on key for ttl, or until ctx is done
// (then the error wraps ctx.Err()). unlock releases it if it is still ours;
// calling unlock more than once is harmless.
func (l *Locker) Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error) {
	k, token, err := l.acquire(ctx, key, ttl)
	if err != nil {
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() { l.release(context.WithoutCancel(ctx), k, token) })
	}, nil
}

// Hold is Lock for work of unknown length: it waits for the lock like
// Lock, then renews it every ttl/3 until unlock. A holder keeps the lock
// as long as it works, while one that dies (kill -9) blocks the key for
// at most ttl, not for the longest the work could take. Renewal stops
// when the lock turns out to be lost; ctx only bounds the wait.
func (l *Locker) Hold(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error) {
	k, token, err := l.acquire(ctx, key, ttl)
	if err != nil {
		return nil, err
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	bg := context.WithoutCancel(ctx)
	go func() {
		defer close(done)
		tick := time.NewTicker(max(ttl/3, time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			rctx, cancel := context.WithTimeout(bg, ttl/3)
			n, err := extendScript.Run(rctx, l.Client, []string{k}, token, ttl.Milliseconds()).Int()
			cancel()
			if err == nil && n == 0 {
				return // lost: expired while Redis was out of reach
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			l.release(bg, k, token)
		})
	}, nil
}

// acquire waits until it sets key's lock to a token of its own for ttl,
// and returns the lock's Redis key and the token.
func (l *Locker) acquire(ctx context.Context, key string, ttl time.Duration) (k, token string, err error) {
	if ttl <= 0 {
		return "", "", errors.New("redisstate: lock: ttl must be positive")
	}
	k = prefixOr(l.Prefix) + "lock:" + key
	token = rand.Text()
	if err := l.acquireKey(ctx, k, token, ttl); err != nil {
		return "", "", err
	}
	return k, token, nil
}

// acquireKey waits until it sets the lock at Redis key k to token for ttl.
func (l *Locker) acquireKey(ctx context.Context, k, token string, ttl time.Duration) error {
	var t *time.Timer
	for {
		ok, err := l.Client.SetNX(ctx, k, token, ttl).Result()
		if ctx.Err() != nil {
			if ok {
				l.release(context.WithoutCancel(ctx), k, token)
			}
			return fmt.Errorf("redisstate: lock: %w", ctx.Err())
		}
		if err != nil {
			return fmt.Errorf("redisstate: lock: %w", err)
		}
		if ok {
			return nil
		}
		d := durationOr(l.RetryInterval, DefaultRetryInterval)
		if t == nil {
			t = time.NewTimer(d)
			defer t.Stop()
		} else {
			t.Reset(d)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redisstate: lock: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// release is best effort: if it fails, the lock still ends with its TTL.
func (l *Locker) release(ctx context.Context, k, token string) {
	ctx, cancel := context.WithTimeout(ctx, unlockTimeout)
	defer cancel()
	_ = unlockScript.Run(ctx, l.Client, []string{k}, token).Err()
}

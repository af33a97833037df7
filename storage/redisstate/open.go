package redisstate

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Open connects to the Redis at url, or, when url is empty, starts an
// embedded in-process Redis and connects to it over TCP, so that development
// runs the same go-redis code path as production. closeFn closes the client
// and stops the embedded server, if any.
//
// Open pings the server so that a wrong URL fails at start-up rather than on
// a resident's first message.
func Open(ctx context.Context, url string) (client *redis.Client, closeFn func() error, err error) {
	if url == "" {
		mr, err := miniredis.Run()
		if err != nil {
			return nil, nil, fmt.Errorf("redisstate: start embedded redis: %w", err)
		}
		opt := &redis.Options{Addr: mr.Addr()}
		Bound(opt)
		c := redis.NewClient(opt)
		if err := c.Ping(ctx).Err(); err != nil {
			c.Close()
			mr.Close()
			return nil, nil, fmt.Errorf("redisstate: ping embedded redis: %w", err)
		}
		stop := keepTime(mr)
		return c, func() error {
			err := c.Close()
			stop()
			mr.Close()
			return err
		}, nil
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		// The URL may carry a password: keep url.Parse from echoing it.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("redisstate: parse redis url: %w", err)
	}
	Bound(opt)
	c := redis.NewClient(opt)
	if err := c.Ping(ctx).Err(); err != nil {
		return nil, nil, errors.Join(
			fmt.Errorf("redisstate: redis at %s (db %d) does not answer: %w", opt.Addr, opt.DB, err),
			closeErr(c.Close()))
	}
	return c, c.Close, nil
}

// Bounds of every Redis call, where the URL does not set its own: a
// stalled server (a paused process, a network black hole) then costs a
// call about a second, and the webhook's deadline before the bot
// (handlers.DefaultPreDeadline) applies as a context deadline. go-redis's
// defaults (3 s reads, three retries with backoff) kept a message about
// 25 s, past WeChat's 5 s, and it was lost.
const (
	DialTimeout = time.Second
	IOTimeout   = time.Second
	PoolTimeout = time.Second
	MaxRetries  = 1
)

// Bound gives opt the bounds above where it has none, and makes go-redis
// honour context deadlines on the connection.
func Bound(opt *redis.Options) {
	if opt.DialTimeout == 0 {
		opt.DialTimeout = DialTimeout
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = IOTimeout
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = IOTimeout
	}
	if opt.PoolTimeout == 0 {
		opt.PoolTimeout = PoolTimeout
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = MaxRetries
	}
	opt.ContextTimeoutEnabled = true
}

// closeErr keeps a failed Close from hiding the error that mattered.
func closeErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("redisstate: close client: %w", err)
}

// expiryTick is how often the embedded Redis's clock is moved on.
const expiryTick = 20 * time.Millisecond

// keepTime moves mr's clock with the real one until stop is called.
// miniredis counts TTLs down only when fast-forwarded; left alone, a
// resident's rate limit, a per-resident lock or a session would never
// expire in development.
func keepTime(mr *miniredis.Miniredis) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(expiryTick)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				mr.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

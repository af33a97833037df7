package redisstate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of Dedup.
const (
	// DefaultPendingTTL bounds how long a claim blocks retries when its
	// owner crashed before Finish.
	DefaultPendingTTL = 30 * time.Second
	// DefaultResultTTL keeps a reply well past WeChat's last retry (three
	// retries, 5 s apart).
	DefaultResultTTL = 10 * time.Minute
	// DefaultPollInterval is how often Wait looks for the result.
	DefaultPollInterval = 25 * time.Millisecond
)

// Dedup is the webhook's retry guard. WeChat re-sends a message it got no
// answer to within 5 s, up to three times and possibly to another instance:
// the first delivery claims the message ID with Begin and stores its reply
// with Finish; a retry fails to claim and Waits for that reply instead of
// acting twice.
//
// Each ID has one key, {Prefix}dedup:{id}, holding either the pending
// marker or the result, so a retry arriving after Finish cannot claim again.
type Dedup struct {
	Client Client
	// Prefix starts every key; DefaultPrefix when empty.
	Prefix string
	// PendingTTL is how long a claim lasts without Finish;
	// DefaultPendingTTL when zero.
	PendingTTL time.Duration
	// ResultTTL is how long a result is kept; DefaultResultTTL when zero.
	ResultTTL time.Duration
	// PollInterval is how often Wait polls; DefaultPollInterval when zero.
	PollInterval time.Duration
}

// Stored values start with a tag byte so that an empty result ("no reply")
// is told apart from the pending marker.
const (
	dedupPending = "p"
	dedupDone    = "d"
)

func (d *Dedup) key(id string) string { return prefixOr(d.Prefix) + "dedup:" + id }

// Begin claims id. It returns true for exactly one caller among all
// instances until the claim expires (PendingTTL) without Finish; once Finish
// stored a result, it returns false until the result expires.
func (d *Dedup) Begin(ctx context.Context, id string) (claimed bool, err error) {
	ok, err := d.Client.SetNX(ctx, d.key(id), dedupPending, durationOr(d.PendingTTL, DefaultPendingTTL)).Result()
	if err != nil {
		return false, fmt.Errorf("redisstate: dedup begin: %w", err)
	}
	return ok, nil
}

// Finish stores the result of id for ResultTTL, for retries to pick up.
// A nil or empty result is stored as such (the bot had nothing to say).
func (d *Dedup) Finish(ctx context.Context, id string, result []byte) error {
	v := make([]byte, 0, len(dedupDone)+len(result))
	v = append(append(v, dedupDone...), result...)
	if err := d.Client.Set(ctx, d.key(id), v, durationOr(d.ResultTTL, DefaultResultTTL)).Err(); err != nil {
		return fmt.Errorf("redisstate: dedup finish: %w", err)
	}
	return nil
}

// Result returns the stored result of id, and false when there is none yet
// (pending, expired or never begun).
func (d *Dedup) Result(ctx context.Context, id string) ([]byte, bool, error) {
	v, err := d.Client.Get(ctx, d.key(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("redisstate: dedup result: %w", err)
	}
	if len(v) == 0 || string(v[:1]) != dedupDone {
		return nil, false, nil
	}
	return v[1:], true, nil
}

// Wait polls until the result of id is stored and returns it, or returns
// ctx.Err() when ctx is done first. Give it a deadline: when the owner
// crashed, no result ever comes.
func (d *Dedup) Wait(ctx context.Context, id string) ([]byte, error) {
	t := time.NewTicker(durationOr(d.PollInterval, DefaultPollInterval))
	defer t.Stop()
	for {
		res, ok, err := d.Result(ctx, id)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("redisstate: dedup wait: %w", err)
		}
		if ok {
			return res, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

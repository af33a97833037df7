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
	// DefaultPendingTTL bounds how long a claim lives without Finish when
	// no retry takes it over (Begin).
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
//
// A claim whose owner died (kill -9, a lost host) before Finish would
// block retries until PendingTTL, and they would get nothing: Begin lets
// a retry take over a claim older than the owner could have kept it
// pending alive (see Begin).
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
// is told apart from the pending marker. The pending marker carries the
// claim's TTL in milliseconds ("p30000"), so that its age can be read off
// the key's remaining TTL on the server's own clock, whichever instance
// asks and however its clock is set.
const (
	dedupPending = "p"
	dedupDone    = "d"
)

func (d *Dedup) key(id string) string { return prefixOr(d.Prefix) + "dedup:" + id }

// Claim is what Begin got.
type Claim int

// Claims.
const (
	// Taken: another delivery holds the claim or stored its result.
	Taken Claim = iota
	// Claimed: the caller is the first delivery of the ID.
	Claimed
	// Reclaimed: the caller took over the claim of a delivery that died.
	Reclaimed
)

// claimScript claims KEYS[1] for ARGV[1] ms when it is free, or when it
// holds a pending marker at least ARGV[2] ms old (0: never take one
// over). A result is never taken over, nor a marker without its TTL.
var claimScript = redis.NewScript(`
local mark = 'p' .. ARGV[1]
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], mark, 'PX', ARGV[1])
  return 1
end
local after = tonumber(ARGV[2])
if after > 0 and string.sub(v, 1, 1) == 'p' then
  local digits = string.match(v, '^p(%d+)')
  local ttl = digits and tonumber(digits)
  local left = redis.call('PTTL', KEYS[1])
  if ttl and left >= 0 and ttl - left >= after then
    redis.call('SET', KEYS[1], mark, 'PX', ARGV[1])
    return 2
  end
end
return 0
`)

// Begin claims id for one caller among all instances. A claim that stays
// pending (no Finish) for reclaimAfter or longer is taken over by the
// next Begin: pass how long a live owner can keep it pending (the
// webhook's deadline, after which it stores its "late" result), so that
// only a dead owner's claim is taken. Zero never takes one over; a claim
// ends anyway after PendingTTL. Once Finish stored a result, Begin
// returns Taken until the result expires.
func (d *Dedup) Begin(ctx context.Context, id string, reclaimAfter time.Duration) (Claim, error) {
	return d.beginKey(ctx, d.key(id), reclaimAfter)
}

// beginKey is Begin on a key of the caller's naming (Gate's, for a retry
// taking over a dead delivery's claim).
func (d *Dedup) beginKey(ctx context.Context, key string, reclaimAfter time.Duration) (Claim, error) {
	ttl := durationOr(d.PendingTTL, DefaultPendingTTL).Milliseconds()
	var after int64
	if reclaimAfter > 0 {
		after = max(reclaimAfter.Milliseconds(), 1)
	}
	n, err := claimScript.Run(ctx, d.Client, []string{key}, ttl, after).Int()
	if err != nil {
		return Taken, fmt.Errorf("redisstate: dedup begin: %w", err)
	}
	return Claim(n), nil
}

// Finish stores the result of id for ResultTTL, for retries to pick up.
// A nil or empty result is stored as such (the bot had nothing to say).
func (d *Dedup) Finish(ctx context.Context, id string, result []byte) error {
	return d.finishKey(ctx, d.key(id), result)
}

func (d *Dedup) finishKey(ctx context.Context, key string, result []byte) error {
	v := make([]byte, 0, len(dedupDone)+len(result))
	v = append(append(v, dedupDone...), result...)
	if err := d.Client.Set(ctx, key, v, durationOr(d.ResultTTL, DefaultResultTTL)).Err(); err != nil {
		return fmt.Errorf("redisstate: dedup finish: %w", err)
	}
	return nil
}

// Result returns the stored result of id, and false when there is none yet
// (pending, expired or never begun).
func (d *Dedup) Result(ctx context.Context, id string) ([]byte, bool, error) {
	return d.resultKey(ctx, d.key(id))
}

func (d *Dedup) resultKey(ctx context.Context, key string) ([]byte, bool, error) {
	v, err := d.Client.Get(ctx, key).Bytes()
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
	return d.waitKey(ctx, d.key(id))
}

func (d *Dedup) waitKey(ctx context.Context, key string) ([]byte, error) {
	t := time.NewTicker(durationOr(d.PollInterval, DefaultPollInterval))
	defer t.Stop()
	for {
		res, ok, err := d.resultKey(ctx, key)
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

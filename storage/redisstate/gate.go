package redisstate

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of Gate.
const (
	// DefaultLockTTL bounds how long a dead instance's hold on a resident
	// outlives it; a live one renews it while the bot works.
	DefaultLockTTL = 3 * time.Second
	// DefaultNonceTTL outlives the webhook's accepted timestamp skew (5
	// min either way), so a signature cannot be reused with another body
	// while its timestamp passes.
	DefaultNonceTTL = 11 * time.Minute
	// DefaultLostWindow is how long after Redis lost its data a resident
	// without a conversation is told that what they were filling in may be
	// gone (once).
	DefaultLostWindow = 2 * time.Hour
)

// Gate is the webhook's Redis work for one message in two round trips:
// Begin, one pipeline before the bot runs (the nonce binding, the retry
// guard's claim, the rate count, the resident's lock and their session),
// and Turn.Finish, one script after it (the session as the bot left it,
// the unlock and the reply stored for WeChat's retries). The pieces keep
// the guarantees Dedup, RateLimiter, Locker and Sessions give on their
// own; only contention (a retry, a resident's second message while the
// first runs) and failures take more round trips.
//
// The nonce binding ties each signed query to its body: WeChat's
// plain-mode signature does not cover the body, so without it anyone who
// saw one request URL could post other XML under it; a genuine retry
// carries the same body and passes.
//
// Every key of a resident carries their openid as a hash tag
// ("session:{openid}"), so that on Redis Cluster a resident's keys live on
// one shard and the script after the bot can touch them together.
//
// Begin needs Redis 7.0 or later (SET … NX GET, PEXPIRE … NX).
type Gate struct {
	Client Client
	// Sessions gives the session keys' prefix and lifetimes; the bot's
	// store must be the same Sessions, so that Load and Save inside a turn
	// read and write the turn.
	Sessions *Sessions
	// NonceTTL is how long a signed query stays bound to its body;
	// DefaultNonceTTL when zero.
	NonceTTL time.Duration
	// PendingTTL and ResultTTL are the retry guard's (see Dedup);
	// DefaultPendingTTL and DefaultResultTTL when zero.
	PendingTTL time.Duration
	ResultTTL  time.Duration
	// Limit messages per resident per Window; 0 allows all.
	Limit  int
	Window time.Duration
	// LockTTL is the resident lock's lifetime, renewed while the bot runs;
	// DefaultLockTTL when zero.
	LockTTL time.Duration
	// RetryInterval is how often a message waiting for the resident's
	// previous one tries the lock; DefaultRetryInterval when zero.
	RetryInterval time.Duration
	// PollInterval is how often a retry looks for the first delivery's
	// reply; DefaultPollInterval when zero.
	PollInterval time.Duration
	// LostWindow is how long after Redis lost its data residents are told
	// their form may be gone; DefaultLostWindow when zero.
	LostWindow time.Duration
	// Legacy also reads sessions stored before keys carried hash tags
	// ({prefix}session:openid), moving them on their next write. Only for a
	// single Redis: on a cluster that key is on another shard.
	Legacy bool
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	// watching is set by Init: only then does a missing epoch mean the
	// data was lost (before, it may just never have been set).
	watching atomic.Bool
}

// Arrival is one delivery as the webhook received it.
type Arrival struct {
	OpenID string
	// ID is the message's ID (MsgId, or the event's identity).
	ID string
	// Signature, Timestamp and Nonce are the signed query; the body is
	// bound to them for NonceTTL. An empty Signature skips the binding.
	Signature, Timestamp, Nonce string
	Body                        []byte
	// Limit counts the message against the resident's rate limit.
	Limit bool
	// ReclaimAfter is how long a live first delivery can keep its claim
	// pending (see Dedup.Begin); a retry takes over an older one.
	ReclaimAfter time.Duration
}

// Admission is what Begin decided about a delivery.
type Admission int

// Admissions.
const (
	// Admitted: the caller is the first delivery (or took over a dead
	// one's), within the rate limit; Turn.Locked says whether it holds the
	// resident yet.
	Admitted Admission = iota
	// Replayed: the signed query came before with another body.
	Replayed
	// Duplicate: another delivery of the ID claimed it; Turn.Result is its
	// reply when stored (Turn.HasResult), else wait with Turn.WaitResult.
	Duplicate
	// Limited: over the rate limit; Finish with the slow-down reply.
	Limited
)

// Turn is one delivery's hold on the resident's state between Begin and
// Finish. Inside it (the context from Turn.Context), the gate's Sessions
// read the session Begin read and keep writes for Finish.
type Turn struct {
	g           *Gate
	openid, id  string
	Admission   Admission
	Reclaimed   bool
	result      []byte
	hasResult   bool
	claimedByUs bool
	counted     bool
	token       string
	locked      bool
	renew       *time.Timer
	mu          sync.Mutex
	stopped     bool
	readRev     int64
	raw         []byte // the session as stored; nil when none
	legacy      bool   // raw came from the legacy key
	markerSeen  bool   // an expiry marker without its session
	lostAt      int64  // when Redis lost its data (unix ms), within LostWindow
	lostSeen    bool   // this resident was already told
	lostTold    bool   // Load reported the loss in this turn
	expiredTold bool   // Load reported the expiry in this turn
	op          byte   // 'k' keep, 's' save, 'd' delete
	value       []byte // what Save wrote
	holdsForm   bool
	rev         int64 // the revision the turn's view has
	loadedOnce  bool
	finished    bool
	list        []byte // Lists' value, as read or written in the turn
	listSet     bool
	listTTL     time.Duration
	remember    []string // texts for Recent
	rememberTTL time.Duration
}

type turnKey struct{}

// Context returns ctx carrying t, for the bot's session store.
func (t *Turn) Context(ctx context.Context) context.Context {
	return context.WithValue(ctx, turnKey{}, t)
}

// turnFrom is the turn in ctx for s, the gate's own Sessions (whose
// lifetimes Finish applies), when it is openid's.
func turnFrom(ctx context.Context, s *Sessions, openid string) *Turn {
	if t := turnFor(ctx, s.Client, s.Prefix, openid); t != nil && t.g.Sessions == s {
		return t
	}
	return nil
}

// turnFor is the turn in ctx when it is openid's on the same Redis and
// prefix: a store of another deployment or resident goes its own way.
func turnFor(ctx context.Context, c Client, prefix, openid string) *Turn {
	t, _ := ctx.Value(turnKey{}).(*Turn)
	if t == nil || t.g.Client != c || t.g.prefix() != prefixOr(prefix) || t.openid != openid || !t.locked || t.finished {
		return nil
	}
	return t
}

// Locked reports whether the turn holds the resident.
func (t *Turn) Locked() bool { return t.locked }

// HasResult reports whether a duplicate found the first delivery's reply.
func (t *Turn) HasResult() bool { return t.hasResult }

// Result is the first delivery's reply, for a duplicate (HasResult).
func (t *Turn) Result() []byte { return t.result }

func (g *Gate) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Gate) prefix() string { return prefixOr(g.Sessions.Prefix) }

// tagged is a resident's key: {prefix}{kind}:{openid}.
func (g *Gate) tagged(kind, openid string) string {
	return g.prefix() + kind + ":{" + openid + "}"
}

func (g *Gate) epochKey() string { return g.prefix() + "epoch" }

// Init marks the data set as known (the loss detector's epoch, left as
// it is when set), starts watching for its loss, and loads the script
// Finish runs, so that the first message does not pay for it. Call it at
// start-up. Without Init, a loss goes unnoticed; a loss while every
// instance was down does too (the first to start marks the empty data
// set as known).
func (g *Gate) Init(ctx context.Context) error {
	if err := g.Client.SetNX(ctx, g.epochKey(), "0", 0).Err(); err != nil {
		return fmt.Errorf("redisstate: gate init: %w", err)
	}
	if err := finishScript.Load(ctx, g.Client).Err(); err != nil {
		return fmt.Errorf("redisstate: gate init: %w", err)
	}
	g.watching.Store(true)
	return nil
}

// Begin does, in one pipeline: the nonce binding, the claim of the
// message ID, the rate count, the resident's lock and the read of their
// session. What it took and should not have (the lock of a duplicate,
// the count of a replay) is given back before it returns, at the cost of
// a second round trip on those paths only. An error means nothing can be
// vouched for: the caller must not run the bot.
func (g *Gate) Begin(ctx context.Context, a Arrival) (*Turn, error) {
	if a.Limit && g.Limit > 0 && g.Window <= 0 {
		return nil, errors.New("redisstate: gate: window must be positive")
	}
	t := &Turn{g: g, openid: a.OpenID, id: a.ID, op: 'k'}
	p := g.prefix()
	nowMS := g.now().UnixMilli()
	pending := durationOr(g.PendingTTL, DefaultPendingTTL)
	lockTTL := durationOr(g.LockTTL, DefaultLockTTL)
	t.token = rand.Text()
	var nonceCmd, claimCmd, lockCmd, epochCmd *redis.StatusCmd
	var pttlCmd *redis.DurationCmd
	var incrCmd *redis.IntCmd
	var seenCmd *redis.IntCmd
	var r reads
	var hash string
	// The claim and the lock carry the turn's token, and are set with GET:
	// when go-redis retries the pipeline after a timeout, the commands may
	// have run once already, and finding its own token the turn knows the
	// claim and the lock are its own (not another delivery's).
	mark := dedupPending + strconv.FormatInt(pending.Milliseconds(), 10) + ":" + t.token
	cmds, err := g.Client.Pipelined(ctx, func(pl redis.Pipeliner) error {
		if a.Signature != "" {
			sum := sha256.Sum256(a.Body)
			hash = hex.EncodeToString(sum[:])
			// Not under the resident's hash tag: the openid is in the
			// body, which is what a forger would change.
			nonceCmd = pl.SetArgs(ctx, p+"nonce:"+a.Signature+":"+a.Timestamp+":"+a.Nonce, hash,
				redis.SetArgs{Mode: "NX", Get: true, TTL: durationOr(g.NonceTTL, DefaultNonceTTL)})
		}
		dk := g.dedupKey(a.OpenID, a.ID)
		claimCmd = pl.SetArgs(ctx, dk, mark,
			redis.SetArgs{Mode: "NX", Get: true, TTL: pending})
		pttlCmd = pl.PTTL(ctx, dk)
		if a.Limit && g.Limit > 0 {
			rk := g.tagged("rate", a.OpenID)
			incrCmd = pl.Incr(ctx, rk)
			pl.Do(ctx, "PEXPIRE", rk, g.Window.Milliseconds(), "NX")
		}
		lockCmd = pl.SetArgs(ctx, g.tagged("lock", a.OpenID), t.token, redis.SetArgs{Mode: "NX", Get: true, TTL: lockTTL})
		r = t.queueReads(ctx, pl)
		if g.watching.Load() {
			epochCmd = pl.SetArgs(ctx, g.epochKey(), strconv.FormatInt(nowMS, 10), redis.SetArgs{Mode: "NX", Get: true})
			seenCmd = pl.Exists(ctx, g.tagged("lost-told", a.OpenID))
		}
		return nil
	})
	if err = pipelineErr(cmds, err); err != nil {
		return nil, fmt.Errorf("redisstate: gate begin: %w", err)
	}

	// The lock and the session.
	if old, err := lockCmd.Result(); errors.Is(err, redis.Nil) || (err == nil && old == t.token) {
		t.locked = true
	}
	if t.locked {
		t.startRenewal()
	}
	t.applyReads(r)
	if epochCmd != nil {
		t.readLoss(epochCmd, seenCmd, nowMS)
	}

	// The nonce binding decides first: a replay touches nothing.
	if nonceCmd != nil {
		old, err := nonceCmd.Result()
		if err == nil && old != hash {
			t.Admission = Replayed
			t.claimedByUs = claimCmd.Err() == redis.Nil
			t.counted = incrCmd != nil
			return t, t.giveBack(ctx)
		}
	}
	// The claim (pipelineErr let through no error but redis.Nil).
	old, err := claimCmd.Result()
	switch {
	case errors.Is(err, redis.Nil) || old == mark:
		t.claimedByUs = true
	case len(old) > 0 && old[:1] == dedupDone:
		t.Admission = Duplicate
		t.result, t.hasResult = []byte(old[1:]), true
	case a.ReclaimAfter > 0 && len(old) > 0 && old[:1] == dedupPending && reclaimable(old, pttlCmd.Val(), a.ReclaimAfter):
		// The first delivery died holding the claim: take it over, as
		// Dedup.Begin does (the script checks again on the server).
		c, err := (&Dedup{Client: g.Client, Prefix: p, PendingTTL: pending}).beginKey(ctx, g.dedupKey(a.OpenID, a.ID), a.ReclaimAfter)
		if err != nil {
			_ = t.giveBack(ctx)
			return nil, err
		}
		if c == Taken {
			t.Admission = Duplicate
		} else {
			t.Reclaimed, t.claimedByUs = true, true
		}
	default:
		t.Admission = Duplicate
	}
	if t.Admission == Duplicate {
		t.counted = incrCmd != nil
		return t, t.giveBack(ctx)
	}
	if incrCmd != nil && incrCmd.Val() > int64(g.Limit) {
		t.Admission = Limited
	}
	return t, nil
}

func (g *Gate) dedupKey(openid, id string) string { return g.tagged("dedup", openid) + ":" + id }

// pipelineErr is the first error of a pipeline's commands other than
// redis.Nil (a key not there, an expected answer). Pipelined returns the
// first error of all, so a nil reply ahead of a broken connection would
// hide it.
func pipelineErr(cmds []redis.Cmder, err error) error {
	if err == nil {
		return nil
	}
	for _, c := range cmds {
		if e := c.Err(); e != nil && !errors.Is(e, redis.Nil) {
			return e
		}
	}
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
}

// reclaimable reports whether a pending marker ("p30000", or
// "p30000:token") with left of its TTL has been pending at least after.
func reclaimable(mark string, left, after time.Duration) bool {
	digits, _, _ := strings.Cut(mark[1:], ":")
	ttl, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || left < 0 {
		return false
	}
	return ttl-left.Milliseconds() >= after.Milliseconds()
}

package redisstate

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tongxin/tongxin/bot"
)

// reads are the commands that read the resident's state: Begin queues
// them with the rest of its pipeline, and Lock again once the resident's
// previous message has left it.
type reads struct {
	sess, legacy, list *redis.StringCmd
	marker             *redis.IntCmd
}

func (t *Turn) queueReads(ctx context.Context, pl redis.Pipeliner) reads {
	g := t.g
	sessKey, markerKey := g.Sessions.taggedKeys(t.openid)
	r := reads{
		sess:   pl.Get(ctx, sessKey),
		marker: pl.Exists(ctx, markerKey),
		list:   pl.Get(ctx, listKey(g.prefix(), t.openid)),
	}
	if g.Legacy {
		r.legacy = pl.Get(ctx, g.prefix()+"session:"+t.openid)
	}
	return r
}

// applyReads keeps what the reads found: the session (or the legacy one),
// the expiry marker of a session gone, the numbered list.
func (t *Turn) applyReads(r reads) {
	t.raw, t.legacy, t.markerSeen, t.list, t.readRev = nil, false, false, nil, 0
	if v, err := r.sess.Bytes(); err == nil {
		t.raw = v
	} else if r.legacy != nil {
		if v, err := r.legacy.Bytes(); err == nil {
			t.raw, t.legacy = v, true
		}
	}
	if t.raw == nil && r.marker.Val() == 1 {
		t.markerSeen = true
	}
	if t.raw != nil {
		var head struct {
			V   int   `json:"v"`
			Rev int64 `json:"rev"`
		}
		if json.Unmarshal(t.raw, &head) == nil && head.V == bot.SessionVersion {
			t.readRev = head.Rev
		}
	}
	t.rev = t.readRev
	if v, err := r.list.Bytes(); err == nil {
		t.list = v
	}
}

// readLoss notices that Redis lost its data: the epoch Init leaves (or
// the first message after a loss sets, to the time it noticed) is gone.
func (t *Turn) readLoss(epoch *redis.StatusCmd, seen *redis.IntCmd, nowMS int64) {
	at := nowMS
	if v, err := epoch.Result(); err == nil {
		at, _ = strconv.ParseInt(v, 10, 64)
	}
	window := durationOr(t.g.LostWindow, DefaultLostWindow).Milliseconds()
	if at > 0 && nowMS-at < window {
		t.lostAt = at
		t.lostSeen = seen.Val() == 1
	}
}

// giveBack undoes what Begin's pipeline took for a delivery it did not
// admit: the lock, the rate count, the claim of a replay.
func (t *Turn) giveBack(ctx context.Context) error {
	t.stopRenewal()
	unclaim := t.claimedByUs && t.Admission == Replayed
	if !t.locked && !t.counted && !unclaim {
		return nil
	}
	g := t.g
	err := giveBackScript.Run(ctx, g.Client,
		[]string{g.tagged("lock", t.openid), g.tagged("rate", t.openid), g.dedupKey(t.openid, t.id)},
		t.token, flag(t.locked), flag(t.counted), flag(unclaim)).Err()
	t.locked = false
	if err != nil {
		return fmt.Errorf("redisstate: gate give back: %w", err)
	}
	return nil
}

var giveBackScript = redis.NewScript(`
if ARGV[2] == '1' and redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
if ARGV[3] == '1' and (tonumber(redis.call('GET', KEYS[2])) or 0) > 0 then
  redis.call('DECR', KEYS[2])
end
if ARGV[4] == '1' then
  local v = redis.call('GET', KEYS[3])
  if v and string.sub(v, 1, 1) == 'p' then
    redis.call('DEL', KEYS[3])
  end
end
return 1
`)

// WaitResult polls until the first delivery's reply is stored, or ctx is
// done (then the error wraps ctx.Err()).
func (t *Turn) WaitResult(ctx context.Context) ([]byte, error) {
	d := &Dedup{Client: t.g.Client, PollInterval: t.g.PollInterval}
	return d.waitKey(ctx, t.g.dedupKey(t.openid, t.id))
}

// Lock waits for the resident's previous message to finish, when Begin
// found it still running, then reads the session and the numbered list as
// it left them: ctx bounds the wait. A turn that holds the resident returns at once.
func (t *Turn) Lock(ctx context.Context) error {
	if t.locked {
		return nil
	}
	g := t.g
	l := &Locker{Client: g.Client, RetryInterval: g.RetryInterval}
	key := g.tagged("lock", t.openid)
	if err := l.acquireKey(ctx, key, t.token, durationOr(g.LockTTL, DefaultLockTTL)); err != nil {
		return err
	}
	t.locked = true
	t.startRenewal()
	var r reads
	cmds, err := g.Client.Pipelined(ctx, func(pl redis.Pipeliner) error {
		r = t.queueReads(ctx, pl)
		return nil
	})
	if err = pipelineErr(cmds, err); err != nil {
		_ = t.Abandon(context.WithoutCancel(ctx))
		return fmt.Errorf("redisstate: gate read session: %w", err)
	}
	t.applyReads(r)
	return nil
}

// startRenewal keeps the lock while the bot works: a dead instance's
// lock ends after LockTTL, a live one's lasts as long as its work.
func (t *Turn) startRenewal() {
	ttl := durationOr(t.g.LockTTL, DefaultLockTTL)
	every := max(ttl/3, time.Millisecond)
	key := t.g.tagged("lock", t.openid)
	token := t.token
	client := t.g.Client
	renew := func() {
		ctx, cancel := context.WithTimeout(context.Background(), every)
		n, err := extendScript.Run(ctx, client, []string{key}, token, ttl.Milliseconds()).Int()
		cancel()
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.stopped || (err == nil && n == 0) {
			return // finished, or lost while Redis was out of reach
		}
		t.renew.Reset(every)
	}
	t.mu.Lock()
	t.stopped = false
	t.renew = time.AfterFunc(every, renew)
	t.mu.Unlock()
}

func (t *Turn) stopRenewal() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	if t.renew != nil {
		t.renew.Stop()
	}
}

// finishScript ends a turn: it writes the session as the bot left it
// (only while the turn still holds the resident, or, when the lock
// lapsed and nobody took it, over the revision Begin read), releases the
// lock, and stores the reply for retries. Returns 1 when the session
// write was refused (the lock was lost to another message).
//
// KEYS: session, expiry marker, lock, dedup, told-of-loss, recent texts,
// numbered list.
// ARGV: token, op (k keep, s save, d delete), value, ttl ms, marker ttl ms,
// holds a form (1/0), revision read, schema version, store reply (1/0),
// reply, reply ttl ms, expiry marker seen (1/0), told-of-loss ttl ms,
// recent texts kept, their ttl ms, the list to keep (see Lists; empty:
// none), its ttl ms, then the texts to remember (see Recent), oldest
// first.
var finishScript = redis.NewScript(`
local lock = redis.call('GET', KEYS[3])
local ours = lock == ARGV[1]
local conflict = 0
local write = false
if ARGV[2] ~= 'k' then
  if ours then
    write = true
  elseif not lock then
    local rev = 0
    local cur = redis.call('GET', KEYS[1])
    if ARGV[2] == 's' and cur == ARGV[3] then
      -- This very script ran already (go-redis retried it after a
      -- timeout): the write is done.
      rev = tonumber(ARGV[7])
    elseif cur then
      local ok, s = pcall(cjson.decode, cur)
      if ok and type(s) == 'table' and s.v == tonumber(ARGV[8]) then
        rev = tonumber(s.rev) or 0
      end
    end
    write = rev == tonumber(ARGV[7])
  end
  if not write then conflict = 1 end
end
if write then
  if ARGV[2] == 's' then
    redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
    if ARGV[6] == '1' then
      redis.call('SET', KEYS[2], '1', 'PX', ARGV[5])
    else
      redis.call('DEL', KEYS[2])
    end
  else
    redis.call('DEL', KEYS[1], KEYS[2])
  end
elseif ARGV[12] == '1' and (ours or not lock) then
  redis.call('DEL', KEYS[2])
end
if ours then
  redis.call('DEL', KEYS[3])
end
if ARGV[9] == '1' then
  redis.call('SET', KEYS[4], 'd' .. ARGV[10], 'PX', ARGV[11])
end
if tonumber(ARGV[13]) > 0 then
  redis.call('SET', KEYS[5], '1', 'PX', ARGV[13])
end
if ARGV[16] ~= '' then
  redis.call('SET', KEYS[7], ARGV[16], 'PX', ARGV[17])
end
if #ARGV > 17 then
  for i = 18, #ARGV do
    redis.call('LPUSH', KEYS[6], ARGV[i])
  end
  redis.call('LTRIM', KEYS[6], 0, tonumber(ARGV[14]) - 1)
  redis.call('PEXPIRE', KEYS[6], ARGV[15])
end
return conflict
`)

// Finish ends the turn in one round trip: the session as the bot left it,
// the unlock, and, when store is set, result kept for the ID's retries.
// It returns bot.ErrConflict (wrapped) when the lock was lost to another
// message and the session was not written; the reply stands. Only the
// turn's first end counts; later calls do nothing.
func (t *Turn) Finish(ctx context.Context, store bool, result []byte) error {
	if t.finished {
		return nil
	}
	t.finished = true
	t.stopRenewal()
	g := t.g
	s := g.Sessions
	sessKey, markerKey := s.taggedKeys(t.openid)
	ttl := durationOr(s.TTL, bot.SessionTTL)
	if t.holdsForm {
		ttl = durationOr(s.DraftTTL, bot.DraftTTL)
	}
	notice := ttl + durationOr(s.NoticeTTL, DefaultNoticeTTL)
	op := t.op
	if !t.locked {
		op = 'k' // never write without having held the resident
	}
	var told int64
	if t.lostTold && t.lostAt > 0 {
		told = max(t.lostAt+durationOr(g.LostWindow, DefaultLostWindow).Milliseconds()-g.now().UnixMilli(), 1)
	}
	token := ""
	if t.locked {
		token = t.token
	}
	args := make([]any, 0, 17+len(t.remember))
	args = append(args, token, string(op), t.value, ttl.Milliseconds(), notice.Milliseconds(), flag(t.holdsForm), t.readRev,
		bot.SessionVersion, flag(store), result, durationOr(g.ResultTTL, DefaultResultTTL).Milliseconds(),
		flag(t.markerSeen && t.expiredTold), told, bot.RecentKept, t.rememberTTL.Milliseconds(), "", 0)
	if t.listSet {
		args[15], args[16] = t.list, t.listTTL.Milliseconds()
	}
	for _, text := range t.remember {
		args = append(args, text)
	}
	res, err := finishScript.Run(ctx, g.Client,
		[]string{sessKey, markerKey, g.tagged("lock", t.openid), g.dedupKey(t.openid, t.id), g.tagged("lost-told", t.openid),
			recentKey(g.prefix(), t.openid), listKey(g.prefix(), t.openid)},
		args...).Int()
	t.locked = false
	if err != nil {
		return fmt.Errorf("redisstate: gate finish: %w", err)
	}
	if t.legacy && op != 'k' {
		// Moved to the tagged key (or ended): the old one must not come back.
		if err := g.Client.Del(ctx, g.prefix()+"session:"+t.openid).Err(); err != nil {
			return fmt.Errorf("redisstate: gate drop legacy session: %w", err)
		}
	}
	if res == 1 {
		return fmt.Errorf("redisstate: gate finish: session not written, the resident's lock was lost: %w", bot.ErrConflict)
	}
	return nil
}

// Store keeps result for the ID's retries without ending the turn: the
// reply that missed the deadline ("late") while the bot still works.
func (t *Turn) Store(ctx context.Context, result []byte) error {
	d := &Dedup{Client: t.g.Client, ResultTTL: t.g.ResultTTL}
	return d.finishKey(ctx, t.g.dedupKey(t.openid, t.id), result)
}

// Abandon ends a turn whose bot never ran: the lock is released, nothing
// written, nothing stored.
func (t *Turn) Abandon(ctx context.Context) error {
	if t.finished {
		return nil
	}
	t.finished = true
	t.counted = false
	return t.giveBack(ctx)
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// load is Sessions.Load inside the turn.
func (t *Turn) load() (*bot.Session, bool, error) {
	first := !t.loadedOnce
	t.loadedOnce = true
	var raw []byte
	switch t.op {
	case 's':
		raw = t.value
	case 'k':
		raw = t.raw
	}
	if raw != nil {
		var sess bot.Session
		if err := json.Unmarshal(raw, &sess); err == nil && sess.V == bot.SessionVersion {
			return &sess, false, nil
		}
		// Unreadable or of another schema: dropped, without a notice.
		t.op, t.value, t.rev = 'd', nil, 0
		return nil, false, fmt.Errorf("redisstate: load session: %w", bot.ErrNotFound)
	}
	if first && t.op == 'k' {
		if t.markerSeen {
			t.expiredTold = true
			return nil, true, fmt.Errorf("redisstate: load session: %w", bot.ErrNotFound)
		}
		if t.lostAt > 0 && !t.lostSeen {
			t.lostTold = true
			return nil, true, fmt.Errorf("redisstate: load session: %w", bot.ErrStateLost)
		}
	}
	return nil, false, fmt.Errorf("redisstate: load session: %w", bot.ErrNotFound)
}

// save is Sessions.Save inside the turn: checked against the turn's
// view, written by Finish.
func (t *Turn) save(sess *bot.Session) error {
	if sess.Rev != t.rev {
		return fmt.Errorf("redisstate: save session: stale revision %d: %w", sess.Rev, bot.ErrConflict)
	}
	next := *sess
	next.V = bot.SessionVersion
	next.Rev++
	data, err := json.Marshal(&next)
	if err != nil {
		return fmt.Errorf("redisstate: encode session: %w", err)
	}
	t.op, t.value, t.rev, t.holdsForm = 's', data, next.Rev, sess.HoldsForm()
	sess.V, sess.Rev = next.V, next.Rev
	return nil
}

// keep is Recent.Remember inside the turn: written by Finish.
func (t *Turn) keep(text string, ttl time.Duration) {
	t.remember = append(t.remember, text)
	t.rememberTTL = ttl
}

// del is Sessions.Delete inside the turn.
func (t *Turn) del() {
	t.op, t.value, t.rev, t.holdsForm = 'd', nil, 0, false
}

package redisstate

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tongxin/tongxin/bot"
)

// DefaultNoticeTTL is how long after a session expires the resident is still
// told so, when Sessions.NoticeTTL is zero: a resident who comes back the
// next day is still told why the form they were filling in is gone.
const DefaultNoticeTTL = 24 * time.Hour

// Sessions is a bot.SessionStore in Redis, shared by every instance.
//
// A session is one JSON value at {Prefix}session:{openid} (the braces are
// Redis Cluster's hash tag, kept in the key) that expires
// DraftTTL after the last Save when it holds a form (bot.Session.HoldsForm),
// TTL otherwise. Each Save of a session holding a form also leaves a marker at
// {Prefix}session-expired:{openid} that outlives the session by NoticeTTL;
// finding the marker without the session is how Load knows the conversation
// timed out rather than never existed.
//
// Inside a Gate's turn (the context from Turn.Context, for the turn's
// resident) Load, Save and Delete read the session the turn read and leave
// their writes to Turn.Finish, so that a message costs two round trips.
type Sessions struct {
	Client Client
	// Prefix starts every key; DefaultPrefix when empty.
	Prefix string
	// TTL is how long an idle session without a form lives;
	// bot.SessionTTL when zero.
	TTL time.Duration
	// DraftTTL is how long an idle session holding a form lives;
	// bot.DraftTTL when zero.
	DraftTTL time.Duration
	// NoticeTTL is how long after expiry Load still reports it;
	// DefaultNoticeTTL when zero.
	NoticeTTL time.Duration
}

var _ bot.SessionStore = (*Sessions)(nil)

// keys are the session's and its expiry marker's; the openid is their
// hash tag (see Gate).
func (s *Sessions) keys(openid string) []string {
	k, m := s.taggedKeys(openid)
	return []string{k, m}
}

func (s *Sessions) taggedKeys(openid string) (session, marker string) {
	p := prefixOr(s.Prefix)
	return p + "session:{" + openid + "}", p + "session-expired:{" + openid + "}"
}

// loadScript returns {1, value} for a live session, {2} when only the expiry
// marker is left (consuming it, so that exactly one Load reports the expiry)
// and {0} otherwise.
var loadScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  return {1, cur}
end
if redis.call('DEL', KEYS[2]) == 1 then
  return {2}
end
return {0}
`)

// dropScript deletes a session Load could not use, unless a Save replaced it
// in the meantime, together with its marker: a dropped session was not
// abandoned by the resident, so it must not produce an expiry notice.
var dropScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0
`)

// saveScript writes ARGV[2] if the stored revision equals ARGV[1]. A value
// that does not decode or has another schema version counts as no session,
// as it does for Load. ARGV: expected rev, new value, ttl ms, marker ttl ms,
// schema version, "1" when the session holds a form (only then is the
// marker left: a session between forms expires silently).
var saveScript = redis.NewScript(`
local rev = 0
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, s = pcall(cjson.decode, cur)
  if ok and type(s) == 'table' and s.v == tonumber(ARGV[5]) then
    rev = tonumber(s.rev) or 0
  end
end
if rev ~= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if ARGV[6] == '1' then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])
else
  redis.call('DEL', KEYS[2])
end
return 1
`)

// maxLoadAttempts bounds the retries when a session Load wants to drop is
// replaced concurrently; the replacement is valid, so one retry is normally
// enough.
const maxLoadAttempts = 3

// Load implements bot.SessionStore. A stored session of another schema
// version, or one that does not decode, is deleted and reported as
// bot.ErrNotFound without an expiry notice.
func (s *Sessions) Load(ctx context.Context, openid string) (*bot.Session, bool, error) {
	if t := turnFrom(ctx, s, openid); t != nil {
		return t.load()
	}
	keys := s.keys(openid)
	for range maxLoadAttempts {
		res, err := loadScript.Run(ctx, s.Client, keys).Slice()
		if err != nil {
			return nil, false, fmt.Errorf("redisstate: load session: %w", err)
		}
		if len(res) == 0 {
			return nil, false, fmt.Errorf("redisstate: load session: empty script reply")
		}
		switch status, _ := res[0].(int64); status {
		case 0:
			return nil, false, fmt.Errorf("redisstate: load session: %w", bot.ErrNotFound)
		case 2:
			return nil, true, fmt.Errorf("redisstate: load session: %w", bot.ErrNotFound)
		case 1:
		default:
			return nil, false, fmt.Errorf("redisstate: load session: unexpected script status %v", res[0])
		}
		if len(res) < 2 {
			return nil, false, fmt.Errorf("redisstate: load session: script reply without value")
		}
		raw, ok := res[1].(string)
		if !ok {
			return nil, false, fmt.Errorf("redisstate: load session: unexpected value type %T", res[1])
		}
		var sess bot.Session
		if err := json.Unmarshal([]byte(raw), &sess); err == nil && sess.V == bot.SessionVersion {
			return &sess, false, nil
		}
		dropped, err := dropScript.Run(ctx, s.Client, keys, raw).Int()
		if err != nil {
			return nil, false, fmt.Errorf("redisstate: drop unreadable session: %w", err)
		}
		if dropped == 1 {
			return nil, false, fmt.Errorf("redisstate: load session: %w", bot.ErrNotFound)
		}
		// A Save replaced the value between our read and the drop: read again.
	}
	return nil, false, fmt.Errorf("redisstate: load session: value keeps changing: %w", bot.ErrConflict)
}

// Save implements bot.SessionStore. As with bot.MemorySessions, a successful
// Save sets sess.V and increments sess.Rev; a failed one leaves sess as it
// was. After a network error the outcome is unknown: the caller should Load
// again rather than retry with the same Rev.
func (s *Sessions) Save(ctx context.Context, sess *bot.Session) error {
	if t := turnFrom(ctx, s, sess.OpenID); t != nil {
		return t.save(sess)
	}
	next := *sess
	next.V = bot.SessionVersion
	next.Rev++
	data, err := json.Marshal(&next)
	if err != nil {
		return fmt.Errorf("redisstate: encode session: %w", err)
	}
	ttl := durationOr(s.TTL, bot.SessionTTL)
	if sess.HoldsForm() {
		ttl = durationOr(s.DraftTTL, bot.DraftTTL)
	}
	notice := ttl + durationOr(s.NoticeTTL, DefaultNoticeTTL)
	ok, err := saveScript.Run(ctx, s.Client, s.keys(sess.OpenID),
		sess.Rev, data, ttl.Milliseconds(), notice.Milliseconds(), bot.SessionVersion, activeFlag(sess)).Int()
	if err != nil {
		return fmt.Errorf("redisstate: save session: %w", err)
	}
	if ok != 1 {
		return fmt.Errorf("redisstate: save session: stale revision %d: %w", sess.Rev, bot.ErrConflict)
	}
	sess.V, sess.Rev = next.V, next.Rev
	return nil
}

// activeFlag is the script's argument saying whether sess holds a form.
func activeFlag(sess *bot.Session) string {
	if sess.HoldsForm() {
		return "1"
	}
	return "0"
}

// Delete implements bot.SessionStore. It removes the expiry marker too, so a
// finished or cancelled conversation is never reported as timed out.
func (s *Sessions) Delete(ctx context.Context, openid string) error {
	if t := turnFrom(ctx, s, openid); t != nil {
		t.del()
		return nil
	}
	// The key of sessions stored before keys carried hash tags goes too:
	// an erasure must not leave it behind.
	if err := s.Client.Del(ctx, append(s.keys(openid), prefixOr(s.Prefix)+"session:"+openid)...).Err(); err != nil {
		return fmt.Errorf("redisstate: delete session: %w", err)
	}
	return nil
}

package wechat

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/credential"
)

// tokenURL is the SDK's constant URL; the transport sends it to the base.
const tokenURL = "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s"

// tokenMargin is how long before WeChat's expiry the token is dropped, so
// no instance uses one that expires in flight.
const tokenMargin = 5 * time.Minute

// tokenPoll is how often an instance waiting for another one's refresh
// re-reads Redis.
const tokenPoll = 50 * time.Millisecond

// delIfEqual deletes KEYS[1] only if it still holds ARGV[1]: a slow refresh
// must not release a lock another instance took after expiry, and an
// instance reporting a stale token must not discard a fresh one.
var delIfEqual = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// tokenStore is the access_token shared by every instance through Redis:
// one instance refreshes under a short lock while the others wait for it,
// because each fetch from WeChat invalidates the previous token.
type tokenStore struct {
	rdb     redis.Cmdable
	appID   string
	secret  string
	key     string
	lockKey string
	lockTTL time.Duration
}

func newTokenStore(rdb redis.Cmdable, prefix, appID, secret string, timeout time.Duration) *tokenStore {
	key := prefix + "wechat:access_token:" + appID
	return &tokenStore{
		rdb:    rdb,
		appID:  appID,
		secret: secret,
		key:    key,
		// The lock must outlive the fetch it protects.
		lockKey: key + ":lock",
		lockTTL: timeout + 5*time.Second,
	}
}

// GetAccessToken implements credential.AccessTokenHandle for SDK paths
// that do not pass a context.
func (ts *tokenStore) GetAccessToken() (string, error) {
	return ts.GetAccessTokenContext(context.Background())
}

// GetAccessTokenContext implements credential.AccessTokenContextHandle.
func (ts *tokenStore) GetAccessTokenContext(ctx context.Context) (string, error) {
	tok, err := ts.read(ctx)
	if err != nil || tok != "" {
		return tok, err
	}
	// Bounded so a wedged Redis lock cannot hang a caller without a
	// deadline.
	giveUp := time.Now().Add(2 * ts.lockTTL)
	for {
		owner := hex.EncodeToString(randBytes(16))
		locked, err := ts.rdb.SetNX(ctx, ts.lockKey, owner, ts.lockTTL).Result()
		if err != nil {
			return "", fmt.Errorf("wechat: access token: lock: %w", &stageError{stage: stageRedis, err: err})
		}
		if locked {
			return ts.refreshLocked(ctx, owner)
		}
		timer := time.NewTimer(tokenPoll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return "", fmt.Errorf("wechat: access token: wait for refresh: %w", ctx.Err())
		case <-timer.C:
		}
		if tok, err := ts.read(ctx); err != nil || tok != "" {
			return tok, err
		}
		if time.Now().After(giveUp) {
			return "", errors.New("wechat: access token: another instance holds the refresh lock for too long")
		}
	}
}

func (ts *tokenStore) read(ctx context.Context) (string, error) {
	tok, err := ts.rdb.Get(ctx, ts.key).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("wechat: access token: redis get: %w", &stageError{stage: stageRedis, err: err})
	}
	return tok, nil
}

func (ts *tokenStore) refreshLocked(ctx context.Context, owner string) (string, error) {
	defer func() {
		// Release even when ctx is done, or the others wait for the TTL.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = delIfEqual.Run(uctx, ts.rdb, []string{ts.lockKey}, owner).Err()
	}()
	// Another instance may have refreshed between our miss and our lock.
	if tok, err := ts.read(ctx); err != nil || tok != "" {
		return tok, err
	}
	res, err := credential.GetTokenFromServerContext(ctx, fmt.Sprintf(tokenURL, url.QueryEscape(ts.appID), url.QueryEscape(ts.secret)))
	if err != nil {
		return "", fmt.Errorf("wechat: access token: fetch: %w", &stageError{stage: stageFetch, err: classify(err)})
	}
	if res.AccessToken == "" {
		return "", errors.New("wechat: access token: fetch: empty access_token")
	}
	if err := ts.rdb.Set(ctx, ts.key, res.AccessToken, tokenTTL(res.ExpiresIn)).Err(); err != nil {
		return "", fmt.Errorf("wechat: access token: redis set: %w", &stageError{stage: stageRedis, err: err})
	}
	return res.AccessToken, nil
}

// tokenTTL is expires_in minus the margin, with a floor for the odd short
// lifetime so the token is still cached for a while.
func tokenTTL(expiresIn int64) time.Duration {
	full := time.Duration(expiresIn) * time.Second
	if ttl := full - tokenMargin; ttl >= full/2 && ttl > 0 {
		return ttl
	}
	if full/2 > time.Second {
		return full / 2
	}
	return time.Minute
}

func (ts *tokenStore) invalidate(ctx context.Context, bad string) error {
	var err error
	if bad == "" {
		err = ts.rdb.Del(ctx, ts.key).Err()
	} else {
		err = delIfEqual.Run(ctx, ts.rdb, []string{ts.key}, bad).Err()
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("wechat: access token: invalidate: %w", &stageError{stage: stageRedis, err: err})
	}
	return nil
}

// callToken hands the SDK the token for one call, with the caller's
// context, and remembers which token it handed out.
type callToken struct {
	ctx  context.Context
	ts   *tokenStore
	used string
}

func (h *callToken) GetAccessToken() (string, error) { return h.GetAccessTokenContext(h.ctx) }

func (h *callToken) GetAccessTokenContext(ctx context.Context) (string, error) {
	tok, err := h.ts.GetAccessTokenContext(ctx)
	h.used = tok
	return tok, err
}

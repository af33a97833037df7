package redisstate

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// WebSessions keeps the browser sessions of the staff console and the
// resident pages (github.com/alexedwards/scs/v2's Store and CtxStore),
// shared by every instance. Each session is one string key under
// Prefix+token that expires with the session.
type WebSessions struct {
	Client Client
	// Prefix names the keys ("console:session:"); sessions of different
	// managers must not share one.
	Prefix string
}

// FindCtx returns the session stored under token; found is false when it
// does not exist or has expired.
func (s *WebSessions) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	b, err := s.Client.Get(ctx, s.Prefix+token).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// CommitCtx stores b under token until expiry.
func (s *WebSessions) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	ttl := time.Until(expiry)
	if ttl <= 0 {
		return s.DeleteCtx(ctx, token)
	}
	return s.Client.Set(ctx, s.Prefix+token, b, ttl).Err()
}

// DeleteCtx forgets the session under token; an unknown token is no error.
func (s *WebSessions) DeleteCtx(ctx context.Context, token string) error {
	return s.Client.Del(ctx, s.Prefix+token).Err()
}

// Find is FindCtx without a context (scs.Store).
func (s *WebSessions) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is CommitCtx without a context (scs.Store).
func (s *WebSessions) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete is DeleteCtx without a context (scs.Store).
func (s *WebSessions) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

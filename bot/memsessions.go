package bot

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// MemorySessions is a SessionStore in process memory, for tests and
// single-process tools. It follows the same contract as the Redis store,
// including the TTL and the one-time expiry notice.
type MemorySessions struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// TTL is how long an idle session without a form lives; SessionTTL
	// when zero.
	TTL time.Duration
	// DraftTTL is how long an idle session holding a form lives; DraftTTL
	// when zero.
	DraftTTL time.Duration

	mu      sync.Mutex
	entries map[string]memEntry
	expired map[string]bool
}

type memEntry struct {
	data    []byte
	rev     int64
	expires time.Time
	// notice: the session held a form, so its expiry is told.
	notice bool
}

func (m *MemorySessions) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *MemorySessions) ttl(s *Session) time.Duration {
	if s.HoldsForm() {
		if m.DraftTTL > 0 {
			return m.DraftTTL
		}
		return DraftTTL
	}
	if m.TTL > 0 {
		return m.TTL
	}
	return SessionTTL
}

// Load implements SessionStore.
func (m *MemorySessions) Load(_ context.Context, openid string) (*Session, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[openid]
	if ok && !m.now().Before(e.expires) {
		delete(m.entries, openid)
		if m.expired == nil {
			m.expired = map[string]bool{}
		}
		m.expired[openid] = e.notice
		ok = false
	}
	if !ok {
		was := m.expired[openid]
		delete(m.expired, openid)
		return nil, was, ErrNotFound
	}
	var s Session
	if err := json.Unmarshal(e.data, &s); err != nil {
		return nil, false, err
	}
	if s.V != SessionVersion {
		delete(m.entries, openid)
		return nil, false, ErrNotFound
	}
	return &s, false, nil
}

// Save implements SessionStore.
func (m *MemorySessions) Save(_ context.Context, s *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[string]memEntry{}
	}
	cur, ok := m.entries[s.OpenID]
	if ok && !m.now().Before(cur.expires) {
		ok = false
	}
	var stored int64
	if ok {
		stored = cur.rev
	}
	if stored != s.Rev {
		return ErrConflict
	}
	s.V = SessionVersion
	s.Rev++
	data, err := json.Marshal(s)
	if err != nil {
		s.Rev--
		return err
	}
	m.entries[s.OpenID] = memEntry{data: data, rev: s.Rev, expires: m.now().Add(m.ttl(s)), notice: s.HoldsForm()}
	delete(m.expired, s.OpenID)
	return nil
}

// Delete implements SessionStore.
func (m *MemorySessions) Delete(_ context.Context, openid string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, openid)
	delete(m.expired, openid)
	return nil
}

package bot

import (
	"context"
	"sync"
	"time"
)

// ListTTL is how long a numbered list a person was shown is remembered:
// a staff member who read their 待办 list in the morning still means its
// first item by "受理 1" in the afternoon, and not the next day.
const ListTTL = 24 * time.Hour

// Lists remembers the numbered list of records (ticket numbers) a person
// was last shown, so that "受理 1" means the item they saw even after the
// list changed. Implementations: storage/redisstate (shared by every
// instance) and MemoryLists.
type Lists interface {
	// Remember replaces the list shown to openid; it expires after a TTL.
	Remember(ctx context.Context, openid string, items []string) error
	// Recall returns the list last shown to openid; nil when there is none
	// or it expired.
	Recall(ctx context.Context, openid string) ([]string, error)
}

// MemoryLists is Lists in process memory, for tests and single-process
// tools.
type MemoryLists struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// TTL is how long a list lives; ListTTL when zero.
	TTL time.Duration

	mu    sync.Mutex
	lists map[string]memList
}

type memList struct {
	items   []string
	expires time.Time
}

var _ Lists = (*MemoryLists)(nil)

func (m *MemoryLists) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Remember implements Lists.
func (m *MemoryLists) Remember(_ context.Context, openid string, items []string) error {
	ttl := m.TTL
	if ttl <= 0 {
		ttl = ListTTL
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lists == nil {
		m.lists = map[string]memList{}
	}
	m.lists[openid] = memList{items: append([]string(nil), items...), expires: m.now().Add(ttl)}
	return nil
}

// Recall implements Lists.
func (m *MemoryLists) Recall(_ context.Context, openid string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.lists[openid]
	if !ok || !m.now().Before(l.expires) {
		delete(m.lists, openid)
		return nil, nil
	}
	return append([]string(nil), l.items...), nil
}

package resizer

import (
	"sync"
	"time"
)

// memo remembers values for a while, up to a number of entries: the hot
// path reads owner records and originals' headers from it instead of
// storage. When full it forgets everything at once, which keeps it small
// and plain; the values are cheap to read again.
type memo[V any] struct {
	mu      sync.Mutex
	entries map[string]memoEntry[V]
	max     int
	ttl     time.Duration
}

type memoEntry[V any] struct {
	v       V
	expires time.Time
}

func newMemo[V any](max int, ttl time.Duration) *memo[V] {
	return &memo[V]{entries: map[string]memoEntry[V]{}, max: max, ttl: ttl}
}

func (m *memo[V]) get(key string) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok || time.Now().After(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (m *memo[V]) set(key string, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) >= m.max {
		clear(m.entries)
	}
	m.entries[key] = memoEntry[V]{v: v, expires: time.Now().Add(m.ttl)}
}

func (m *memo[V]) forget(key string) {
	m.mu.Lock()
	delete(m.entries, key)
	m.mu.Unlock()
}

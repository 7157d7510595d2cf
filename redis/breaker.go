package redis

import (
	"log/slog"
	"sync/atomic"
	"time"
)

// breaker keeps a cache that is down from costing every request a timeout.
// After a failure it stays open for retryAfter: calls are refused at once,
// without touching the network. Then it lets one call through at a time as
// a probe; the first success closes it again. It is lock-free so the hot
// path (closed) costs one atomic load.
type breaker struct {
	retryAfter time.Duration
	log        *slog.Logger
	open       atomic.Bool
	until      atomic.Int64 // unix nanoseconds before which an open breaker refuses
	probing    atomic.Bool  // one probe at a time once until has passed
	now        func() time.Time
}

func newBreaker(retryAfter time.Duration, log *slog.Logger) *breaker {
	return &breaker{retryAfter: retryAfter, log: log, now: time.Now}
}

// allow reports whether a call may go to the network. When it returns true
// the caller must report the outcome with success or failure, which ends a
// probe.
func (b *breaker) allow() bool {
	if !b.open.Load() {
		return true
	}
	if b.now().UnixNano() < b.until.Load() {
		return false
	}
	return b.probing.CompareAndSwap(false, true)
}

// success closes the breaker; the state change is logged once.
func (b *breaker) success() {
	if b.open.Load() && b.open.CompareAndSwap(true, false) {
		b.log.Info("redis answers again; using the cache")
	}
	if b.probing.Load() { // a load, not a store, on the hot path
		b.probing.Store(false)
	}
}

// failure opens the breaker (or keeps it open) for another retryAfter.
// Only the call that opens it logs, so a flood of failing requests writes
// one line.
func (b *breaker) failure(err error) {
	b.until.Store(b.now().Add(b.retryAfter).UnixNano())
	if b.open.CompareAndSwap(false, true) {
		b.log.Warn("redis unavailable; skipping the cache until it answers",
			"err", err, "retry_after", b.retryAfter)
	}
	b.probing.Store(false)
}

// abandon ends a call whose outcome says nothing about Redis (its caller
// gave up), so a probe may be tried again.
func (b *breaker) abandon() { b.probing.Store(false) }

// isOpen reports whether calls are being skipped (for tests and status).
func (b *breaker) isOpen() bool { return b.open.Load() }

package resizer

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// ServiceConfig is what a Service is built from: its ports and its bounds.
type ServiceConfig struct {
	Store  Store
	Engine Engine
	Tiers  []Tier // fastest first: memory, then Redis
	// Locker, when set, makes one instance of several compute a cold
	// variant; the others wait up to LockWait for its stored result.
	Locker   Locker
	LockWait time.Duration
	// Queue carries batch items to workers; nil disables batches.
	Queue Queue
	// Originals, when set, keeps recently used originals in memory: an
	// image is usually resized several times soon after its upload (a
	// page's sizes, a batch's presets), and a worker then skips storage.
	Originals Cache
	Observer  Observer
	Limits    Limits
	// Workers is the number of transforms at once; QueueLength how many more
	// may wait for one before requests are refused as unavailable.
	Workers, QueueLength int
	// TransformTimeout bounds the wait for a worker plus the transform.
	TransformTimeout time.Duration
	// TempDir holds uploads while they are checked; "" is the system's.
	TempDir string
}

// Tier is one named cache level.
type Tier struct {
	Name  string
	Cache Cache
	// MaxItem is the largest value the tier takes; larger variants skip it.
	MaxItem int
}

// Validate reports a configuration that cannot work.
func (c ServiceConfig) Validate() error {
	switch {
	case c.Store == nil || c.Engine == nil:
		return errors.New("service: a store and an engine are required")
	case c.Workers < 1 || c.QueueLength < 0:
		return errors.New("service: workers must be at least 1 and the queue not negative")
	case c.TransformTimeout <= 0:
		return errors.New("service: the transform timeout must be positive")
	case c.Locker != nil && c.LockWait <= 0:
		return errors.New("service: with a locker, the lock wait must be positive")
	}
	return c.Limits.Validate()
}

// Service is the application: uploads, the per-owner library and variants.
// It knows only ports, so tests run it with fakes and cmd/ with real backends.
type Service struct {
	cfg      ServiceConfig
	obs      Observer
	flight   singleflight.Group
	slots    chan struct{}
	loads    chan struct{} // originals loaded ahead of a free worker
	admitted atomic.Int64  // running plus waiting transforms
	// metas remembers originals' headers and records owners' images:
	// every variant request needs both. Records expire after a while, so a
	// delete made on another instance is seen here within recordTTL.
	metas   *memo[Meta]
	records *memo[ImageInfo]
	batches sync.Map // batch id → *Batch (manifests never change)
	running sync.Map // Task → struct{}: items this instance works on now
	now     func() time.Time
}

// memoSize bounds each in-process memo (about 200 bytes an entry).
const memoSize = 100_000

// recordTTL is how long an owner's record is trusted without reading storage.
const recordTTL = 30 * time.Second

// NewService checks cfg and returns a Service.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Observer == nil {
		cfg.Observer = NopObserver{}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, obs: cfg.Observer, slots: make(chan struct{}, cfg.Workers),
		loads: make(chan struct{}, cfg.Workers), now: time.Now,
		metas: newMemo[Meta](memoSize, recordTTL), records: newMemo[ImageInfo](memoSize, recordTTL)}, nil
}

// Ready reports whether the service can work: its store answers.
func (s *Service) Ready(ctx context.Context) error {
	if err := s.cfg.Store.Ping(ctx); err != nil {
		return Errorf(EUNAVAILABLE, "storage is unreachable")
	}
	return nil
}

// Limits returns the limits uploads are checked against.
func (s *Service) Limits() Limits { return s.cfg.Limits }

// admit takes a place among the transforms running or waiting. Past the
// queue length it refuses at once: an overloaded instance answers 503
// quickly instead of piling up memory. The place is only a ticket: the
// caller then loads what it needs and waits for a worker (work).
func (s *Service) admit() (release func(), err error) {
	if s.admitted.Add(1) > int64(s.cfg.QueueLength)+int64(s.cfg.Workers) {
		s.admitted.Add(-1)
		return nil, Errorf(EUNAVAILABLE, "the server is busy; retry shortly")
	}
	return func() { s.admitted.Add(-1) }, nil
}

// prefetch bounds the originals held in memory ahead of a free worker to one
// per worker: enough to keep every worker busy, few enough that a queue of
// waiting requests does not hold a queue of large originals.
func (s *Service) prefetch(ctx context.Context) (release func(), err error) {
	select {
	case s.loads <- struct{}{}:
		return func() { <-s.loads }, nil
	case <-ctx.Done():
		return nil, Errorf(EUNAVAILABLE, "the server is busy; retry shortly")
	}
}

// work waits for a worker slot.
func (s *Service) work(ctx context.Context) (release func(), err error) {
	s.obs.TransformsQueued(1)
	defer s.obs.TransformsQueued(-1)
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, Errorf(EUNAVAILABLE, "the server is busy; retry shortly")
	}
	s.obs.TransformsInFlight(1)
	return func() {
		<-s.slots
		s.obs.TransformsInFlight(-1)
	}, nil
}

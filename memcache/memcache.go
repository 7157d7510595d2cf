// Package memcache is the first cache tier: variants in process memory,
// bounded in bytes (otter, with a weigher), evicting what is least likely
// to be asked for again.
package memcache

import (
	"context"
	"errors"

	"github.com/maypok86/otter/v2"

	resizer "github.com/cloudresizer/cloudresizer"
)

// Config sizes the cache.
type Config struct {
	MaxBytes uint64 // total size of the values kept
	// MaxItem is the largest value kept; larger ones are not cached here, so
	// one huge variant cannot evict hundreds of thumbnails.
	MaxItem int
}

// DefaultConfig keeps 256 MiB of variants of at most 8 MiB each.
func DefaultConfig() Config { return Config{MaxBytes: 256 << 20, MaxItem: 8 << 20} }

// Validate reports sizes that cannot work.
func (c Config) Validate() error {
	if c.MaxBytes == 0 || c.MaxItem <= 0 || uint64(c.MaxItem) > c.MaxBytes {
		return errors.New("memcache: sizes must be positive and an item no larger than the cache")
	}
	return nil
}

// Cache is a resizer.Cache in memory.
type Cache struct {
	c       *otter.Cache[string, []byte]
	maxItem int
}

var _ resizer.Cache = (*Cache)(nil)

// New returns an empty cache.
func New(cfg Config) (*Cache, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c, err := otter.New(&otter.Options[string, []byte]{
		MaximumWeight: cfg.MaxBytes,
		// Keys and bookkeeping cost too: count them so small items add up right.
		Weigher: func(k string, v []byte) uint32 { return uint32(len(k) + len(v) + 64) },
	})
	if err != nil {
		return nil, err
	}
	return &Cache{c: c, maxItem: cfg.MaxItem}, nil
}

// Get returns the value under key.
func (c *Cache) Get(_ context.Context, key string) ([]byte, bool) { return c.c.GetIfPresent(key) }

// Set keeps value under key unless it is larger than MaxItem. Values are
// never modified after Set, so they are shared, not copied.
func (c *Cache) Set(_ context.Context, key string, value []byte) {
	if len(value) <= c.maxItem {
		c.c.Set(key, value)
	}
}

// Len is the number of values kept (for tests and metrics).
func (c *Cache) Len() int { return c.c.EstimatedSize() }

// Weight is the bytes kept, as the weigher counts them.
func (c *Cache) Weight() uint64 { return c.c.WeightedSize() }

// Package resizer is Cloud Resizer's domain: image formats and their sniffing,
// resize options and the geometry they mean, limits, error codes, and the
// ports (interfaces) that the adapter packages implement.
//
// Two flows run through it. Serving a variant parses and canonicalises the
// options, derives a variant key, looks it up tier by tier (memory, Redis,
// storage) and on a miss computes it once with the Engine. Uploading sniffs
// the bytes, reads the header, refuses what is over the Limits before
// anything is decoded, and stores the original under its content hash.
//
// The root package imports only the standard library; adapters (vips,
// storage, redis, …) import it and never each other; cmd/ wires them.
package resizer

import (
	"context"
	"io"
	"time"
)

// Engine decodes, resizes and encodes images. The vips package implements it.
type Engine interface {
	// Probe reads the header of src (never its pixels) and checks it
	// against the engine's limits.
	Probe(ctx context.Context, src []byte) (Meta, error)
	// ProbeFile does the same for a file, reading only its header.
	ProbeFile(ctx context.Context, path string) (Meta, error)
	// Transform makes one output per options from a single decode where the
	// options share a geometry. Every Options has a concrete output format
	// or none (the default for the source).
	Transform(ctx context.Context, src []byte, opts ...Options) ([]Output, error)
}

// Output is one encoded image.
type Output struct {
	Format        Format
	Width, Height int // of one frame
	Frames        int
	Bytes         []byte
}

// Store keeps blobs under string keys: originals, owner indexes, variants.
// Writes are atomic: a reader sees the whole object or none of it.
type Store interface {
	// Put stores everything r yields under key, replacing any object there.
	Put(ctx context.Context, key string, r io.Reader, contentType string) error
	// Get returns the whole object; ENOTFOUND when there is none.
	Get(ctx context.Context, key string) ([]byte, error)
	// Open streams the object and returns its size; ENOTFOUND when there is none.
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	// Exists reports whether key holds an object.
	Exists(ctx context.Context, key string) (bool, error)
	// Delete removes key; deleting what is not there is not an error.
	Delete(ctx context.Context, key string) error
	// List returns up to limit keys under prefix in lexical order, starting
	// after the key "after" (all from the start when after is "").
	List(ctx context.Context, prefix, after string, limit int) ([]string, error)
	// Ping checks that the store answers (for readiness).
	Ping(ctx context.Context) error
}

// Cache is one tier of the variant cache. It never fails a request: a
// backend error is a miss, and the tier counts and logs it itself.
type Cache interface {
	Get(ctx context.Context, key string) ([]byte, bool)
	Set(ctx context.Context, key string, value []byte)
}

// Observer receives the service's measurements; the metrics package
// implements it. Every method must be cheap and safe for concurrent use.
type Observer interface {
	CacheResult(tier string, hit bool)
	Transformed(d time.Duration, err error)
	TransformsInFlight(delta int)
	TransformsQueued(delta int)
	BytesIn(n int)
	BytesOut(n int)
}

// NopObserver ignores every measurement.
type NopObserver struct{}

func (NopObserver) CacheResult(string, bool)         {}
func (NopObserver) Transformed(time.Duration, error) {}
func (NopObserver) TransformsInFlight(int)           {}
func (NopObserver) TransformsQueued(int)             {}
func (NopObserver) BytesIn(int)                      {}
func (NopObserver) BytesOut(int)                     {}

// Locker lets instances agree that one of them computes a cold variant while
// the others wait for its stored result. The redis package implements it.
type Locker interface {
	// TryLock takes key for ttl unless another holder has it. held is false
	// when someone else holds it; unlock releases only a lock this call took.
	TryLock(ctx context.Context, key string, ttl time.Duration) (unlock func(), held bool, err error)
}

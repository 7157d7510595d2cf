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

import "context"

// Engine decodes, resizes and encodes images. The vips package implements it.
type Engine interface {
	// Probe reads the header of src (never its pixels) and checks it
	// against the engine's limits.
	Probe(ctx context.Context, src []byte) (Meta, error)
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

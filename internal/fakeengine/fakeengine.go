// Package fakeengine is a resizer.Engine for tests of everything around the
// engine: it reads the format from the bytes, calls every image 100x100,
// counts its transforms and can be made slow.
package fakeengine

import (
	"context"
	"os"
	"sync/atomic"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
)

// Engine is the fake. Its zero value is ready and fast.
type Engine struct {
	Delay time.Duration // how long each transform takes
	runs  atomic.Int64
}

var _ resizer.Engine = (*Engine)(nil)

// Runs is the number of transforms so far.
func (e *Engine) Runs() int64 { return e.runs.Load() }

// Probe accepts any decodable format as a 100x100 image.
func (e *Engine) Probe(_ context.Context, src []byte) (resizer.Meta, error) {
	f := resizer.Sniff(src)
	if !f.Decodable() {
		return resizer.Meta{}, resizer.Errorf(resizer.EUNSUPPORTED, "not an image")
	}
	return resizer.Meta{Format: f, Width: 100, Height: 100, Frames: 1}, nil
}

// ProbeFile probes the file's bytes.
func (e *Engine) ProbeFile(ctx context.Context, path string) (resizer.Meta, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return resizer.Meta{}, err
	}
	return e.Probe(ctx, b)
}

// Transform waits Delay and answers the bytes "variant" for each options.
func (e *Engine) Transform(_ context.Context, _ []byte, opts ...resizer.Options) ([]resizer.Output, error) {
	e.runs.Add(1)
	time.Sleep(e.Delay)
	out := make([]resizer.Output, len(opts))
	for i, o := range opts {
		out[i] = resizer.Output{Format: o.Format, Width: 1, Height: 1, Frames: 1, Bytes: []byte("variant")}
	}
	return out, nil
}

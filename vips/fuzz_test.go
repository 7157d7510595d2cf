package vips

import (
	"context"
	"testing"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/internal/corpus"
)

// FuzzTransform feeds mutated corpus files to the engine: whatever the bytes,
// it must answer with an image or a client error, never crash or call its
// own failure internal.
func FuzzTransform(f *testing.F) {
	entries, err := corpus.Entries()
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if b, err := corpus.Read(e.File); err == nil && len(b) < 100_000 {
			f.Add(b)
		}
	}
	cfg := DefaultConfig()
	cfg.Limits.MaxPixels = 4_000_000 // keeps each run fast; the bounds logic is the same
	eng, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		outs, err := eng.Transform(context.Background(), src,
			resizer.Options{Width: 64, Height: 48}, resizer.Options{Width: 32, Format: resizer.PNG, Fit: resizer.FitContain})
		if err != nil {
			if code := resizer.ErrorCode(err); code == resizer.EINTERNAL {
				t.Fatalf("internal error: %v", err)
			}
			return
		}
		for _, o := range outs {
			if len(o.Bytes) == 0 || o.Width < 1 || o.Height < 1 {
				t.Fatalf("empty output %+v", o)
			}
		}
	})
}

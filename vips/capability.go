package vips

import (
	"context"
	_ "embed"
	"sync"

	resizer "github.com/cloudresizer/cloudresizer"
)

// capabilityHEIC is a 16x16 HEIC (HEVC) image. Some libvips builds (sharp's
// among them) read HEIF containers but carry no HEVC decoder: decoding this
// once tells which kind we run on, so HEIC uploads are refused cleanly at the
// header instead of failing at decode time.
//
//go:embed capability.heic
var capabilityHEIC []byte

var (
	heicOnce sync.Once
	heicOK   bool
)

// CanDecode reports whether this libvips build decodes f.
func (e *Engine) CanDecode(f resizer.Format) bool {
	if f != resizer.HEIC {
		return f.Decodable()
	}
	heicOnce.Do(func() {
		plan := []*job{{meta: resizer.Meta{Format: resizer.HEIC, Width: 16, Height: 16, Frames: 1},
			geo: resizer.Geometry{ResizeW: 8, ResizeH: 8, CanvasW: 8, CanvasH: 8}, bg: resizer.White,
			outputs: []output{{format: resizer.PNG, opts: resizer.Options{}.Normalize()}}}}
		_, err := runLocked(context.Background(), capabilityHEIC, plan)
		heicOK = err == nil
	})
	return heicOK
}

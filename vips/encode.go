package vips

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"unsafe"

	resizer "github.com/cloudresizer/cloudresizer"
)

// Default qualities, as sharp chose them: they are what users of the
// original design are used to, and they hold up under a perceptual check.
const (
	defaultJPEGQuality = 80
	defaultWebPQuality = 80
	defaultAVIFQuality = 50
	pngCompression     = 6 // zlib level: the usual balance of time and size
	webpEffort         = 4
	avifEffort         = 4
)

// encode writes im in format f with every piece of metadata stripped.
func encode(im *vimage, f resizer.Format, o resizer.Options) ([]byte, error) {
	var buf unsafe.Pointer
	var n C.size_t
	var rc C.int
	switch f {
	case resizer.JPEG:
		rc = C.cr_jpegsave(im.p, &buf, &n, C.int(quality(o, defaultJPEGQuality)), cbool(o.Progressive))
	case resizer.PNG:
		rc = C.cr_pngsave(im.p, &buf, &n, pngCompression, cbool(o.Progressive))
	case resizer.WebP:
		rc = C.cr_webpsave(im.p, &buf, &n, C.int(quality(o, defaultWebPQuality)), cbool(o.Lossless), webpEffort)
	case resizer.AVIF:
		q := quality(o, defaultAVIFQuality)
		if o.Lossless {
			q = 100
		}
		rc = C.cr_avifsave(im.p, &buf, &n, C.int(q), avifEffort)
	case resizer.GIF:
		rc = C.cr_gifsave(im.p, &buf, &n)
	default:
		return nil, errors.New("no encoder for " + string(f))
	}
	if rc != 0 {
		return nil, errors.New(takeError())
	}
	defer C.g_free(C.gpointer(buf))
	return C.GoBytes(buf, C.int(n)), nil
}

func quality(o resizer.Options, def int) int {
	if o.Quality > 0 {
		return o.Quality
	}
	return def
}

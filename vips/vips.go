// Package vips is the image engine: it reads headers, resizes and encodes
// with libvips. It is the only package that uses cgo.
//
// It builds against whichever libvips pkg-config finds: Debian's libvips-dev
// or the build sharp ships on npm (see docs/engine.md and `make vips-npm`).
package vips

/*
#cgo pkg-config: vips
#include "shim.h"
*/
import "C"

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

var (
	initOnce sync.Once
	initErr  error
)

// startup initialises libvips once per process. Untrusted loaders are
// blocked twice: by the environment (read by libvips at start) and by call.
func startup() error {
	initOnce.Do(func() {
		os.Setenv("VIPS_BLOCK_UNTRUSTED", "1")
		name := C.CString("cloudresizer")
		defer C.free(unsafe.Pointer(name))
		if C.cr_init(name) != 0 {
			initErr = errors.New("vips: cannot start libvips: " + takeError())
		}
	})
	return initErr
}

// Version is the version of the libvips the engine runs on.
func Version() string {
	if err := startup(); err != nil {
		return "unknown"
	}
	return C.GoString(C.cr_version())
}

// takeError returns (and clears) libvips' error text on one line, bounded:
// its later lines often hold the real cause ("no HEVC decoder").
func takeError() string {
	cs := C.cr_take_error()
	defer C.g_free(C.gpointer(cs))
	s := strings.Join(strings.Fields(C.GoString(cs)), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// vimage owns one VipsImage reference.
type vimage struct{ p *C.VipsImage }

func (im *vimage) close() {
	if im != nil && im.p != nil {
		C.g_object_unref(C.gpointer(im.p))
		im.p = nil
	}
}

func (im *vimage) width() int  { return int(im.p.Xsize) }
func (im *vimage) height() int { return int(im.p.Ysize) }
func (im *vimage) bands() int  { return int(im.p.Bands) }
func (im *vimage) pageHeight() int {
	return int(C.cr_page_height(im.p))
}

// apply runs one libvips operation that turns im into a new image, and
// replaces im with it.
func (im *vimage) apply(op func(in *C.VipsImage, out **C.VipsImage) C.int) error {
	var out *C.VipsImage
	if op(im.p, &out) != 0 {
		return errors.New(takeError())
	}
	im.close()
	im.p = out
	return nil
}

// threadDone frees libvips' per-thread state; call it on a locked OS thread
// at the end of the work done there.
func threadDone() {
	C.vips_thread_shutdown()
	runtime.UnlockOSThread()
}

package vips

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"unsafe"

	resizer "github.com/cloudresizer/cloudresizer"
)

// Config is the engine's configuration.
type Config struct {
	Limits resizer.Limits
	// Concurrency bounds the transforms running at once; 0 means one per CPU
	// the process may use (GOMAXPROCS, which follows a container's CPU limit).
	Concurrency int
	// Threads is libvips' worker threads per transform. 0 means 1: with one
	// transform per CPU already, more threads only add contention.
	Threads int
}

// DefaultConfig is the configuration used when nothing is set.
func DefaultConfig() Config {
	return Config{Limits: resizer.DefaultLimits, Concurrency: runtime.GOMAXPROCS(0), Threads: 1}
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	if c.Concurrency < 0 || c.Threads < 0 {
		return errors.New("vips: concurrency and threads must not be negative")
	}
	return c.Limits.Validate()
}

// Engine implements resizer.Engine with libvips.
type Engine struct {
	cfg   Config
	slots chan struct{}
}

var _ resizer.Engine = (*Engine)(nil)

// New starts libvips (once per process) and returns an engine.
func New(cfg Config) (*Engine, error) {
	if cfg.Concurrency == 0 {
		cfg.Concurrency = runtime.GOMAXPROCS(0)
	}
	if cfg.Threads == 0 {
		cfg.Threads = 1
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := startup(); err != nil {
		return nil, err
	}
	C.vips_concurrency_set(C.int(cfg.Threads))
	return &Engine{cfg: cfg, slots: make(chan struct{}, cfg.Concurrency)}, nil
}

// Limits returns the limits the engine enforces.
func (e *Engine) Limits() resizer.Limits { return e.cfg.Limits }

// Probe reads and checks the header of src without decoding its pixels.
func (e *Engine) Probe(_ context.Context, src []byte) (resizer.Meta, error) {
	if len(src) == 0 {
		return resizer.Meta{}, resizer.Errorf(resizer.EUNSUPPORTED, "the file is empty")
	}
	if err := e.cfg.Limits.CheckBytes(int64(len(src))); err != nil {
		return resizer.Meta{}, err
	}
	f := resizer.Sniff(src)
	if !e.CanDecode(f) {
		return resizer.Meta{}, refusedFormat(f)
	}
	m, err := readHeader(src, f)
	if err != nil {
		return resizer.Meta{}, err
	}
	return m, e.cfg.Limits.Check(m)
}

// ProbeFile reads and checks the header of the file at path. libvips opens
// files lazily, so this reads the header only, whatever the file's size.
func (e *Engine) ProbeFile(_ context.Context, path string) (resizer.Meta, error) {
	f, err := os.Open(path)
	if err != nil {
		return resizer.Meta{}, err
	}
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	st, err := f.Stat()
	f.Close()
	if err != nil {
		return resizer.Meta{}, err
	}
	if n == 0 {
		return resizer.Meta{}, resizer.Errorf(resizer.EUNSUPPORTED, "the file is empty")
	}
	if err := e.cfg.Limits.CheckBytes(st.Size()); err != nil {
		return resizer.Meta{}, err
	}
	format := resizer.Sniff(head[:n])
	if !e.CanDecode(format) {
		return resizer.Meta{}, refusedFormat(format)
	}
	m, err := readHeaderFile(path, format)
	if err != nil {
		return resizer.Meta{}, err
	}
	return m, e.cfg.Limits.Check(m)
}

func refusedFormat(f resizer.Format) error {
	if f == resizer.FormatUnknown {
		return resizer.Errorf(resizer.EUNSUPPORTED,
			"the content is not an image we read (jpeg, png, webp, gif, avif, heic, tiff)")
	}
	if f == resizer.HEIC {
		return resizer.Errorf(resizer.EUNSUPPORTED, "this server's libvips has no HEIC (HEVC) decoder")
	}
	return resizer.Errorf(resizer.EUNSUPPORTED, "%s images are not accepted", f)
}

// loaderName is part of the name of the libvips loader each format must be
// read by (such as VipsForeignLoadJpegBuffer); a file whose bytes start like
// one format but that libvips reads as another is refused.
var loaderName = map[resizer.Format]string{
	resizer.JPEG: "jpeg", resizer.PNG: "png", resizer.WebP: "webp", resizer.GIF: "gif",
	resizer.AVIF: "heif", resizer.HEIC: "heif", resizer.TIFF: "tiff",
}

func readHeader(src []byte, f resizer.Format) (resizer.Meta, error) {
	return header(f, func(h *C.cr_header) C.int {
		return C.cr_read_header(unsafe.Pointer(&src[0]), C.size_t(len(src)), h)
	})
}

func readHeaderFile(path string, f resizer.Format) (resizer.Meta, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return header(f, func(h *C.cr_header) C.int { return C.cr_read_header_file(cpath, h) })
}

// header runs one header read and turns its result into Meta, checking
// that libvips picked the loader of the sniffed format.
func header(f resizer.Format, read func(*C.cr_header) C.int) (resizer.Meta, error) {
	if err := startup(); err != nil {
		return resizer.Meta{}, err
	}
	var h C.cr_header
	runtime.LockOSThread()
	rc := read(&h)
	var msg string
	if rc != 0 {
		msg = takeError()
	}
	threadDone()
	if rc != 0 {
		return resizer.Meta{}, resizer.Errorf(resizer.EUNSUPPORTED, "not a readable %s image: %s", f, msg)
	}
	loader := strings.ToLower(C.GoString(&h.loader[0]))
	if !strings.Contains(loader, loaderName[f]) {
		return resizer.Meta{}, resizer.Errorf(resizer.EUNSUPPORTED, "the content is not a valid %s image", f)
	}
	m := resizer.Meta{
		Format: f, Width: int(h.width), Height: int(h.height), Frames: max(1, int(h.pages)),
		Orientation: int(h.orientation), HasAlpha: h.has_alpha != 0, CMYK: h.cmyk != 0, ICC: h.has_icc != 0,
	}
	if m.Orientation >= 5 && m.Orientation <= 8 {
		m.Width, m.Height = m.Height, m.Width
	}
	return m, nil
}

// Transform decodes src once per distinct geometry and encodes one output per
// options, in order.
func (e *Engine) Transform(ctx context.Context, src []byte, opts ...resizer.Options) ([]resizer.Output, error) {
	m, err := e.Probe(ctx, src)
	if err != nil {
		return nil, err
	}
	jobs, err := e.plan(m, opts)
	if err != nil {
		return nil, err
	}
	if err := e.acquire(ctx); err != nil {
		return nil, err
	}
	defer func() { <-e.slots }()
	return runLocked(ctx, src, jobs)
}

// runLocked runs jobs on one locked OS thread, whose libvips state is freed after.
func runLocked(_ context.Context, src []byte, jobs []*job) ([]resizer.Output, error) {
	runtime.LockOSThread()
	defer threadDone()
	n := 0
	for _, j := range jobs {
		n += len(j.outputs)
	}
	return runJobs(src, jobs, n)
}

func (e *Engine) acquire(ctx context.Context) error {
	select {
	case e.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return resizer.Errorf(resizer.EUNAVAILABLE, "gave up waiting for a free engine slot: %v", ctx.Err())
	}
}

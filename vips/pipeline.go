package vips

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	resizer "github.com/cloudresizer/cloudresizer"
)

// job is one decode of the source and the outputs encoded from it. Outputs
// whose options lead to the same pixels share a job.
type job struct {
	src     []byte
	meta    resizer.Meta
	geo     resizer.Geometry
	animate bool // keep every frame
	alpha   bool // every output of the job can carry transparency
	gravity resizer.Gravity
	bg      resizer.Colour
	outputs []output
	im      *vimage
}

type output struct {
	index int // position in the caller's options
	opts  resizer.Options
	// format is the concrete output format.
	format resizer.Format
}

// step is one named stage of the pipeline; a failure names the stage.
type step struct {
	name string
	run  func(*job) error
}

// pipeline is every stage an image goes through between decode and encode.
var pipeline = []step{
	{"load", load},
	{"colour", toSRGB},
	{"crop", crop},
	{"pad", pad},
	{"flatten", flatten},
}

// plan groups the options into jobs, one per distinct decoded result.
func (e *Engine) plan(m resizer.Meta, opts []resizer.Options) ([]*job, error) {
	var jobs []*job
	byKey := map[string]*job{}
	for i, o := range opts {
		o = o.Normalize()
		if err := o.Validate(); err != nil {
			return nil, err
		}
		if o.Format == resizer.FormatAuto {
			return nil, resizer.Errorf(resizer.EINVALID, "format=auto must be resolved before the engine")
		}
		j, err := e.newJob(m, o)
		if err != nil {
			return nil, err
		}
		key := fmt.Sprintf("%+v|%t|%t|%s|%s", j.geo, j.animate, j.alpha, j.gravity, j.bg)
		if prev, ok := byKey[key]; ok {
			j = prev
		} else {
			byKey[key] = j
			jobs = append(jobs, j)
		}
		j.outputs = append(j.outputs, output{index: i, opts: o, format: o.OutputFormat(m)})
	}
	return jobs, nil
}

func (e *Engine) newJob(m resizer.Meta, o resizer.Options) (*job, error) {
	f := o.OutputFormat(m)
	// Alpha matters only where there is some to keep: opaque sources share
	// one decode between JPEG and the formats that could carry alpha.
	keepAlpha := f.HasAlpha() && (m.HasAlpha || o.Background.A < 255)
	j := &job{meta: m, animate: m.Frames > 1 && f.CanAnimate(), alpha: keepAlpha, gravity: o.Gravity, bg: o.Background}
	if j.animate && (o.Gravity == resizer.GravityAttention || o.Gravity == resizer.GravityEntropy) {
		// A smart crop would pick a different region in every frame.
		o.Gravity = resizer.GravityCentre
	}
	geo, err := resizer.Plan(m.Width, m.Height, o, e.cfg.Limits.MaxSide)
	j.geo = geo
	return j, err
}

// runJobs runs every job and returns the outputs in the caller's order.
func runJobs(src []byte, jobs []*job, n int) ([]resizer.Output, error) {
	out := make([]resizer.Output, n)
	for _, j := range jobs {
		j.src = src
		err := j.run(out)
		j.im.close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (j *job) run(out []resizer.Output) error {
	for _, s := range pipeline {
		if err := s.run(j); err != nil {
			return resizer.Errorf(resizer.EUNSUPPORTED, "the image could not be processed (%s): %v", s.name, err)
		}
	}
	if len(j.outputs) > 1 {
		// libvips pipelines are lazy and read their source once: render
		// to memory so that each encode reads the finished pixels.
		if err := j.im.apply(func(in *C.VipsImage, o **C.VipsImage) C.int { return C.cr_copy_memory(in, o) }); err != nil {
			// Pixels are decoded here, lazily: a failure is the file's.
			return resizer.Errorf(resizer.EUNSUPPORTED, "the image could not be decoded: %v", err)
		}
	}
	for _, o := range j.outputs {
		b, err := encode(j.im, o.format, o.opts)
		if err != nil {
			return resizer.Errorf(resizer.EUNSUPPORTED, "the image could not be encoded as %s: %v", o.format, err)
		}
		out[o.index] = resizer.Output{Format: o.format, Width: j.im.width(), Height: j.im.pageHeight(),
			Frames: j.im.height() / j.im.pageHeight(), Bytes: b}
	}
	return nil
}

// load decodes with shrink-on-load straight to the planned size, upright and
// in sRGB (embedded profiles applied; CMYK without one gets a generic profile).
func load(j *job) error {
	j.im = &vimage{}
	return j.im.apply(func(_ *C.VipsImage, out **C.VipsImage) C.int {
		return C.cr_thumbnail(unsafe.Pointer(&j.src[0]), C.size_t(len(j.src)), out,
			C.int(j.geo.ResizeW), C.int(j.geo.ResizeH), cbool(j.animate), cbool(j.meta.CMYK), cbool(j.meta.ICC))
	})
}

// toSRGB makes 8-bit sRGB of grey, 16-bit and profile-less images.
func toSRGB(j *job) error {
	return j.im.apply(func(in *C.VipsImage, out **C.VipsImage) C.int { return C.cr_to_srgb(in, out) })
}

func crop(j *job) error {
	c := j.geo.Crop
	if c.Empty() {
		return nil
	}
	// Clamp to what load produced, in case libvips rounded a side down.
	c.W, c.H = min(c.W, j.im.width()), min(c.H, j.im.pageHeight())
	c.X, c.Y = min(c.X, j.im.width()-c.W), min(c.Y, j.im.pageHeight()-c.H)
	if j.geo.Smart != "" {
		interesting := C.int(C.VIPS_INTERESTING_ATTENTION)
		if j.geo.Smart == resizer.GravityEntropy {
			interesting = C.VIPS_INTERESTING_ENTROPY
		}
		return j.im.apply(func(in *C.VipsImage, out **C.VipsImage) C.int {
			return C.cr_smartcrop(in, out, C.int(c.W), C.int(c.H), interesting)
		})
	}
	return j.im.apply(func(in *C.VipsImage, out **C.VipsImage) C.int {
		return C.cr_crop(in, out, C.int(c.X), C.int(c.Y), C.int(c.W), C.int(c.H))
	})
}

// pad places the image on a canvas of the background colour (fit=contain).
func pad(j *job) error {
	if j.geo.CanvasW == j.im.width() && j.geo.CanvasH == j.im.pageHeight() {
		return nil
	}
	if j.alpha && j.bg.A < 255 && !hasAlpha(j.im) {
		if err := j.im.apply(func(in *C.VipsImage, out **C.VipsImage) C.int { return C.cr_add_alpha(in, out) }); err != nil {
			return err
		}
	}
	bg := j.bg
	return j.im.apply(func(in *C.VipsImage, out **C.VipsImage) C.int {
		return C.cr_embed(in, out, C.int(compass[j.gravity]), C.int(j.geo.CanvasW), C.int(j.geo.CanvasH),
			C.double(bg.R), C.double(bg.G), C.double(bg.B), C.double(bg.A))
	})
}

// flatten blends transparency onto the background for outputs without alpha.
func flatten(j *job) error {
	if j.alpha || !hasAlpha(j.im) {
		return nil
	}
	bg := j.bg
	return j.im.apply(func(in *C.VipsImage, out **C.VipsImage) C.int {
		return C.cr_flatten(in, out, C.double(bg.R), C.double(bg.G), C.double(bg.B))
	})
}

func hasAlpha(im *vimage) bool { return im.bands() == 2 || im.bands() == 4 }

var compass = map[resizer.Gravity]C.VipsCompassDirection{
	resizer.GravityCentre: C.VIPS_COMPASS_DIRECTION_CENTRE, resizer.GravityAttention: C.VIPS_COMPASS_DIRECTION_CENTRE,
	resizer.GravityEntropy: C.VIPS_COMPASS_DIRECTION_CENTRE, resizer.GravityNorth: C.VIPS_COMPASS_DIRECTION_NORTH,
	resizer.GravityNorthEast: C.VIPS_COMPASS_DIRECTION_NORTH_EAST, resizer.GravityEast: C.VIPS_COMPASS_DIRECTION_EAST,
	resizer.GravitySouthEast: C.VIPS_COMPASS_DIRECTION_SOUTH_EAST, resizer.GravitySouth: C.VIPS_COMPASS_DIRECTION_SOUTH,
	resizer.GravitySouthWest: C.VIPS_COMPASS_DIRECTION_SOUTH_WEST, resizer.GravityWest: C.VIPS_COMPASS_DIRECTION_WEST,
	resizer.GravityNorthWest: C.VIPS_COMPASS_DIRECTION_NORTH_WEST,
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

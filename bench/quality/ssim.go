// Package quality measures how far a thumbnail is from a reference, so that
// a benchmark never buys speed with quality. It is plain Go: SSIM on luma
// with Gaussian windows (Wang et al. 2004: 11x11, sigma 1.5, K1 0.01, K2 0.03).
package quality

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
)

// Backdrop is the grey that transparent pixels are composited on before luma
// is taken: mid-grey shows both light and dark content of an alpha image.
const Backdrop = 128

const (
	radius = 5 // an 11x11 window
	sigma  = 1.5
	c1     = (0.01 * 255) * (0.01 * 255)
	c2     = (0.03 * 255) * (0.03 * 255)
)

// plane is one channel of floats, row by row.
type plane struct {
	w, h int
	v    []float64
}

// luma returns the BT.601 luma of img composited on Backdrop.
func luma(img image.Image) plane {
	b := img.Bounds()
	p := plane{w: b.Dx(), h: b.Dy(), v: make([]float64, b.Dx()*b.Dy())}
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			l := 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)
			a := float64(c.A) / 255
			p.v[y*p.w+x] = l*a + Backdrop*(1-a)
		}
	}
	return p
}

// SSIM returns the mean structural similarity of the luma of a and b, which
// must have the same size: 1 means identical, higher is better.
func SSIM(a, b image.Image) (float64, error) {
	if a.Bounds().Size() != b.Bounds().Size() {
		return 0, fmt.Errorf("quality: sizes differ: %v and %v", a.Bounds().Size(), b.Bounds().Size())
	}
	return ssimPlanes(luma(a), luma(b))
}

func ssimPlanes(x, y plane) (float64, error) {
	if x.w == 0 || x.h == 0 {
		return 0, errors.New("quality: empty image")
	}
	k := kernel()
	mx, my := blur(x, k), blur(y, k)
	sxx, syy, sxy := blur(mul(x, x), k), blur(mul(y, y), k), blur(mul(x, y), k)
	var sum float64
	for i := range x.v {
		ux, uy := mx.v[i], my.v[i]
		vx, vy, cxy := sxx.v[i]-ux*ux, syy.v[i]-uy*uy, sxy.v[i]-ux*uy
		sum += ((2*ux*uy + c1) * (2*cxy + c2)) / ((ux*ux + uy*uy + c1) * (vx + vy + c2))
	}
	return sum / float64(len(x.v)), nil
}

// kernel is the normalised 1-D Gaussian of the window.
func kernel() []float64 {
	k := make([]float64, 2*radius+1)
	var sum float64
	for i := range k {
		d := float64(i - radius)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}

func mul(a, b plane) plane {
	out := plane{w: a.w, h: a.h, v: make([]float64, len(a.v))}
	for i := range a.v {
		out.v[i] = a.v[i] * b.v[i]
	}
	return out
}

// blur convolves p with k across then down, clamping at the edges.
func blur(p plane, k []float64) plane {
	return pass(pass(p, k, 1, 0), k, 0, 1)
}

func pass(p plane, k []float64, dx, dy int) plane {
	out := plane{w: p.w, h: p.h, v: make([]float64, len(p.v))}
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			var s float64
			for i, w := range k {
				sx := clamp(x+(i-radius)*dx, p.w)
				sy := clamp(y+(i-radius)*dy, p.h)
				s += w * p.v[sy*p.w+sx]
			}
			out.v[y*p.w+x] = s
		}
	}
	return out
}

func clamp(v, n int) int { return min(max(v, 0), n-1) }

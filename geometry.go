package resizer

import "math"

// Geometry is what a resize does to the pixels, worked out from the source
// size and the options before any decoding. The engine only carries it out.
type Geometry struct {
	// ResizeW x ResizeH is the size the whole (upright) image is scaled to.
	ResizeW, ResizeH int
	// Crop, when not empty, is the rectangle kept of the resized image.
	Crop Rect
	// Smart asks the engine to choose the crop itself (attention, entropy).
	Smart Gravity
	// CanvasW x CanvasH is the output size; larger than the resized (or
	// cropped) image only for fit=contain, which pads.
	CanvasW, CanvasH int
}

// Rect is a rectangle in pixels.
type Rect struct{ X, Y, W, H int }

// Empty reports whether r has no area.
func (r Rect) Empty() bool { return r.W <= 0 || r.H <= 0 }

// Plan works out the geometry for an upright source of srcW x srcH pixels.
// maxSide bounds the output: an explicit request beyond it is an error, the
// implicit "keep the original size" is scaled down to fit.
func Plan(srcW, srcH int, o Options, maxSide int) (Geometry, error) {
	o = o.Normalize()
	tw, th := scaled(o.Width, o.DPR), scaled(o.Height, o.DPR)
	if tw > maxSide || th > maxSide {
		return Geometry{}, Errorf(EINVALID, "the output would be %dx%d; the largest side allowed is %d", tw, th, maxSide)
	}
	var g Geometry
	switch {
	case tw == 0 && th == 0:
		g = inside(srcW, srcH, maxSide, maxSide, false)
	case tw == 0 || th == 0:
		g = oneSide(srcW, srcH, tw, th, o.Enlarge)
	case o.Fit == FitFill:
		g = fill(srcW, srcH, tw, th, o.Enlarge)
	case o.Fit == FitInside:
		g = inside(srcW, srcH, tw, th, o.Enlarge)
	case o.Fit == FitOutside:
		g = outside(srcW, srcH, tw, th, o.Enlarge)
	case o.Fit == FitContain:
		g = inside(srcW, srcH, tw, th, o.Enlarge)
		g.CanvasW, g.CanvasH = tw, th
	default:
		g = cover(srcW, srcH, tw, th, o.Enlarge, o.Gravity)
	}
	if g.CanvasW > maxSide || g.CanvasH > maxSide {
		return Geometry{}, Errorf(EINVALID, "the output would be %dx%d; the largest side allowed is %d", g.CanvasW, g.CanvasH, maxSide)
	}
	return g, nil
}

func scaled(n int, dpr float64) int { return int(math.Round(float64(n) * dpr)) }

// atLeast1 rounds a scaled side, never to zero: a 4000x20 strip made 300 wide
// is 300x2, not 300x0.
func atLeast1(f float64) int { return max(1, int(math.Round(f))) }

func noEnlarge(s float64, enlarge bool) float64 {
	if enlarge {
		return s
	}
	return min(s, 1)
}

func resizeBy(srcW, srcH int, s float64) Geometry {
	w, h := atLeast1(float64(srcW)*s), atLeast1(float64(srcH)*s)
	return Geometry{ResizeW: w, ResizeH: h, CanvasW: w, CanvasH: h}
}

// oneSide scales to the one given side, the other following the aspect ratio.
func oneSide(srcW, srcH, tw, th int, enlarge bool) Geometry {
	s := float64(tw) / float64(srcW)
	if tw == 0 {
		s = float64(th) / float64(srcH)
	}
	return resizeBy(srcW, srcH, noEnlarge(s, enlarge))
}

func inside(srcW, srcH, tw, th int, enlarge bool) Geometry {
	s := min(float64(tw)/float64(srcW), float64(th)/float64(srcH))
	return resizeBy(srcW, srcH, noEnlarge(s, enlarge))
}

func outside(srcW, srcH, tw, th int, enlarge bool) Geometry {
	s := max(float64(tw)/float64(srcW), float64(th)/float64(srcH))
	return resizeBy(srcW, srcH, noEnlarge(s, enlarge))
}

func fill(srcW, srcH, tw, th int, enlarge bool) Geometry {
	if !enlarge {
		tw, th = min(tw, srcW), min(th, srcH)
	}
	return Geometry{ResizeW: tw, ResizeH: th, CanvasW: tw, CanvasH: th}
}

// cover scales until the box is filled, then crops the overflow. Without
// enlarge a small source is not scaled up: the box shrinks to what it has.
func cover(srcW, srcH, tw, th int, enlarge bool, gravity Gravity) Geometry {
	s := noEnlarge(max(float64(tw)/float64(srcW), float64(th)/float64(srcH)), enlarge)
	g := resizeBy(srcW, srcH, s)
	g.ResizeW, g.ResizeH = max(g.ResizeW, min(tw, srcW)), max(g.ResizeH, min(th, srcH))
	if enlarge {
		g.ResizeW, g.ResizeH = max(g.ResizeW, tw), max(g.ResizeH, th)
	}
	cw, ch := min(tw, g.ResizeW), min(th, g.ResizeH)
	g.CanvasW, g.CanvasH = cw, ch
	if cw == g.ResizeW && ch == g.ResizeH {
		return g
	}
	if gravity == GravityAttention || gravity == GravityEntropy {
		g.Smart = gravity
		g.Crop = Rect{W: cw, H: ch}
		return g
	}
	fx, fy := gravity.Position()
	g.Crop = Rect{
		X: int(math.Round(fx * float64(g.ResizeW-cw))),
		Y: int(math.Round(fy * float64(g.ResizeH-ch))),
		W: cw, H: ch,
	}
	return g
}

// Position gives where along each axis the gravity sits, 0 (left or top) to
// 1 (right or bottom); the smart gravities sit in the centre.
func (g Gravity) Position() (x, y float64) {
	x, y = 0.5, 0.5
	switch g {
	case GravityNorth, GravityNorthEast, GravityNorthWest:
		y = 0
	case GravitySouth, GravitySouthEast, GravitySouthWest:
		y = 1
	}
	switch g {
	case GravityWest, GravityNorthWest, GravitySouthWest:
		x = 0
	case GravityEast, GravityNorthEast, GravitySouthEast:
		x = 1
	}
	return x, y
}

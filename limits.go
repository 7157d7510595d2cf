package resizer

// Limits bound what an image may cost before we decode it. libvips has no
// limits of its own, so they are checked against the header alone.
type Limits struct {
	MaxBytes  int64 // size of the encoded input
	MaxPixels int64 // pixels of one frame, and of all frames together
	MaxFrames int   // frames of an animation
	MaxSide   int   // longest side of an output
}

// DefaultLimits are generous for photographs and small enough that one
// decode stays within a few hundred megabytes.
var DefaultLimits = Limits{
	MaxBytes:  50 << 20,
	MaxPixels: 100_000_000,
	MaxFrames: 100,
	MaxSide:   8192,
}

// Validate reports a limit that cannot work.
func (l Limits) Validate() error {
	if l.MaxBytes <= 0 || l.MaxPixels <= 0 || l.MaxFrames <= 0 || l.MaxSide <= 0 {
		return Errorf(EINVALID, "every limit must be positive")
	}
	return nil
}

// CheckBytes refuses an input larger than MaxBytes.
func (l Limits) CheckBytes(n int64) error {
	if n > l.MaxBytes {
		return Errorf(ETOOLARGE, "the image is %d bytes; the limit is %d", n, l.MaxBytes)
	}
	return nil
}

// Check refuses an image whose header promises more than the limits allow.
// Animations over MaxFrames are refused rather than cut to their first
// frames: a silently shortened animation is a wrong answer.
func (l Limits) Check(m Meta) error {
	px := int64(m.Width) * int64(m.Height)
	switch {
	case m.Width <= 0 || m.Height <= 0:
		return Errorf(EUNSUPPORTED, "the image has no pixels")
	case px > l.MaxPixels:
		return Errorf(EREFUSED, "the image is %dx%d (%d megapixels); the limit is %d megapixels",
			m.Width, m.Height, px/1_000_000, l.MaxPixels/1_000_000)
	case m.Frames > l.MaxFrames:
		return Errorf(EREFUSED, "the animation has %d frames; the limit is %d", m.Frames, l.MaxFrames)
	case px*int64(max(m.Frames, 1)) > l.MaxPixels:
		return Errorf(EREFUSED, "the animation has %d frames of %dx%d; the limit is %d megapixels in all",
			m.Frames, m.Width, m.Height, l.MaxPixels/1_000_000)
	}
	return nil
}

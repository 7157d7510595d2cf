package vips

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"testing"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/internal/corpus"
)

func read(t testing.TB, name string) []byte { return corpus.MustRead(t, name) }

func transform(t testing.TB, e *Engine, src []byte, o resizer.Options) resizer.Output {
	t.Helper()
	outs, err := e.Transform(context.Background(), src, o)
	if err != nil {
		t.Fatalf("transform %+v: %v", o, err)
	}
	return outs[0]
}

// pixels resizes src to a w x h PNG and decodes it with Go's own decoder, so
// that pixel checks do not depend on the engine under test to read results.
func pixels(t testing.TB, e *Engine, src []byte, w, h int, o resizer.Options) image.Image {
	t.Helper()
	o.Width, o.Height, o.Format, o.Fit = w, h, resizer.PNG, resizer.FitFill
	o.Enlarge = true
	im, err := png.Decode(bytes.NewReader(transform(t, e, src, o).Bytes))
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// distance is the mean absolute difference of two images' RGB channels, 0..255.
func distance(a, b image.Image) float64 {
	r := a.Bounds()
	var sum, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ca, cb := color.NRGBAModel.Convert(a.At(x, y)).(color.NRGBA), color.NRGBAModel.Convert(b.At(x, y)).(color.NRGBA)
			sum += abs(int(ca.R)-int(cb.R)) + abs(int(ca.G)-int(cb.G)) + abs(int(ca.B)-int(cb.B))
			n += 3
		}
	}
	return sum / n
}

func abs(d int) float64 {
	if d < 0 {
		return float64(-d)
	}
	return float64(d)
}

func TestFitDimensions(t *testing.T) {
	e := newEngine(t)
	inputs := map[string][]byte{
		"landscape": read(t, "photos/ladybird_baseline420.jpg"),       // 2560x1600
		"portrait":  read(t, "orientation/portrait_orient6_full.jpg"), // displays 2056x3088
	}
	want := map[string]map[resizer.Fit][2]int{
		"landscape": {resizer.FitCover: {300, 200}, resizer.FitContain: {300, 200}, resizer.FitFill: {300, 200},
			resizer.FitInside: {300, 188}, resizer.FitOutside: {320, 200}},
		"portrait": {resizer.FitCover: {300, 200}, resizer.FitContain: {300, 200}, resizer.FitFill: {300, 200},
			resizer.FitInside: {133, 200}, resizer.FitOutside: {300, 451}},
	}
	for name, src := range inputs {
		for fit, wh := range want[name] {
			t.Run(fmt.Sprintf("%s/%s", name, fit), func(t *testing.T) {
				out := transform(t, e, src, resizer.Options{Width: 300, Height: 200, Fit: fit})
				if out.Width != wh[0] || out.Height != wh[1] {
					t.Errorf("got %dx%d, want %dx%d", out.Width, out.Height, wh[0], wh[1])
				}
				m, err := e.Probe(context.Background(), out.Bytes)
				if err != nil || m.Width != wh[0] || m.Height != wh[1] {
					t.Errorf("encoded file is %dx%d (%v), want %dx%d", m.Width, m.Height, err, wh[0], wh[1])
				}
			})
		}
	}
}

func TestOrientation(t *testing.T) {
	e := newEngine(t)
	want := pixels(t, e, read(t, "orientation/orient_1.jpg"), 64, 36, resizer.Options{})
	for n := 2; n <= 8; n++ {
		got := pixels(t, e, read(t, fmt.Sprintf("orientation/orient_%d.jpg", n)), 64, 36, resizer.Options{})
		if d := distance(want, got); d > 6 {
			t.Errorf("orient_%d differs from orient_1 by %.1f/255", n, d)
		}
	}
	// A mirrored picture must differ: the check above can fail.
	mirrored := pixels(t, e, read(t, "orientation/orient_1.jpg"), 64, 36, resizer.Options{})
	flipped := image.NewNRGBA(mirrored.Bounds())
	for y := 0; y < 36; y++ {
		for x := 0; x < 64; x++ {
			flipped.Set(63-x, y, mirrored.At(x, y))
		}
	}
	if d := distance(want, flipped); d < 12 {
		t.Errorf("a mirrored picture is only %.1f/255 away; the tolerance is meaningless", d)
	}
	out := transform(t, e, read(t, "orientation/portrait_orient6_full.jpg"), resizer.Options{Width: 400})
	if out.Height <= out.Width {
		t.Errorf("portrait_orient6_full came out %dx%d, want portrait", out.Width, out.Height)
	}
}

// TestCMYK compares both CMYK files with the RGB photo they were made from.
func TestCMYK(t *testing.T) {
	e := newEngine(t)
	want := pixels(t, e, read(t, "photos/paintbrushes_444_q99_progressive.jpg"), 64, 50, resizer.Options{})
	for _, f := range []string{"formats/cmyk_with_icc.jpg", "formats/cmyk_no_profile.jpg"} {
		got := pixels(t, e, read(t, f), 64, 50, resizer.Options{})
		if d := distance(want, got); d > 30 {
			t.Errorf("%s is %.1f/255 away from the RGB original (inverted or wrong colours)", f, d)
		}
		inverted := image.NewNRGBA(got.Bounds())
		for y := 0; y < 50; y++ {
			for x := 0; x < 64; x++ {
				c := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
				inverted.Set(x, y, color.NRGBA{255 - c.R, 255 - c.G, 255 - c.B, 255})
			}
		}
		if d := distance(want, inverted); d < 60 {
			t.Errorf("%s: an inverted picture is only %.1f/255 away; the check cannot fail", f, d)
		}
	}
}

func TestAlpha(t *testing.T) {
	e := newEngine(t)
	src := read(t, "formats/alpha_vignette_photo.png") // transparent corners
	for _, f := range []resizer.Format{resizer.PNG, resizer.WebP} {
		out := transform(t, e, src, resizer.Options{Width: 100, Format: f})
		m, err := e.Probe(context.Background(), out.Bytes)
		if err != nil || !m.HasAlpha {
			t.Errorf("%s: alpha lost (%+v, %v)", f, m, err)
		}
	}
	red := resizer.Colour{R: 255, A: 255}
	jpg := transform(t, e, src, resizer.Options{Width: 100, Format: resizer.JPEG, Background: red})
	corner := pixels(t, e, jpg.Bytes, 100, 63, resizer.Options{}).At(0, 0)
	if c := color.NRGBAModel.Convert(corner).(color.NRGBA); c.R < 200 || c.G > 60 || c.B > 60 {
		t.Errorf("JPEG corner is %v, want the red background", c)
	}
}

func TestContainPadsWithBackground(t *testing.T) {
	e := newEngine(t)
	src := read(t, "photos/ladybird_baseline420.jpg")
	im := pixels(t, e, transform(t, e, src, resizer.Options{Width: 200, Height: 200, Fit: resizer.FitContain,
		Format: resizer.PNG, Background: resizer.Colour{B: 255, A: 255}}).Bytes, 200, 200, resizer.Options{})
	if c := color.NRGBAModel.Convert(im.At(100, 2)).(color.NRGBA); c.B < 240 || c.R > 15 {
		t.Errorf("padding is %v, want blue", c)
	}
}

func TestAnimationKept(t *testing.T) {
	e := newEngine(t)
	for _, f := range []string{"formats/animated_16frames.gif", "formats/animated_16frames.webp"} {
		outs, err := e.Transform(context.Background(), read(t, f),
			resizer.Options{Width: 100, Height: 100, Format: resizer.WebP},
			resizer.Options{Width: 100, Height: 100, Format: resizer.GIF},
			resizer.Options{Width: 100, Height: 100, Format: resizer.JPEG})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []int{16, 16, 1} {
			m, err := e.Probe(context.Background(), outs[i].Bytes)
			if err != nil || m.Frames != want || m.Width != 100 || m.Height != 100 {
				t.Errorf("%s → %s: %+v %v, want %d frames of 100x100", f, outs[i].Format, m, err, want)
			}
		}
	}
}

func TestManyOutputsFromOneDecode(t *testing.T) {
	e := newEngine(t)
	src := read(t, "photos/storm_canon_exif.jpg")
	opts := []resizer.Options{{Width: 120, Format: resizer.JPEG}, {Width: 120, Format: resizer.WebP},
		{Width: 120, Format: resizer.AVIF}, {Width: 60, Format: resizer.PNG}}
	outs, err := e.Transform(context.Background(), src, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range opts {
		if outs[i].Format != o.Format || outs[i].Width != o.Width {
			t.Errorf("output %d: %s %d wide, want %s %d", i, outs[i].Format, outs[i].Width, o.Format, o.Width)
		}
	}
	if len(mustPlan(t, e, src, opts)) != 2 {
		t.Errorf("want 2 decodes for 2 distinct sizes")
	}
}

func mustPlan(t *testing.T, e *Engine, src []byte, opts []resizer.Options) []*job {
	m, err := e.Probe(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := e.plan(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func TestMetadataStripped(t *testing.T) {
	e := newEngine(t)
	out := transform(t, e, read(t, "photos/storm_canon_exif.jpg"), resizer.Options{Width: 200, Format: resizer.JPEG})
	for _, marker := range []string{"Exif", "Canon", "http://ns.adobe.com"} {
		if bytes.Contains(out.Bytes, []byte(marker)) {
			t.Errorf("output still holds %q", marker)
		}
	}
}

func TestLimits(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Limits.MaxPixels = 1_000_000
	cfg.Limits.MaxFrames = 10
	cfg.Limits.MaxBytes = 1 << 20
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file, code string
	}{
		{"photos/ladybird_baseline420.jpg", resizer.EREFUSED},   // 4 MP
		{"formats/animated_16frames.gif", resizer.EREFUSED},     // 16 frames
		{"photos/kleiber_20mp_baseline.jpg", resizer.ETOOLARGE}, // 4.4 MB
		{"bad/text.jpg", resizer.EUNSUPPORTED},
	}
	for _, tt := range tests {
		_, err := e.Probe(context.Background(), read(t, tt.file))
		if resizer.ErrorCode(err) != tt.code {
			t.Errorf("%s: got %v, want %s", tt.file, err, tt.code)
		}
	}
	if _, err := e.Transform(context.Background(), read(t, "edge/pixel_1x1.png"), resizer.Options{Width: 9000}); resizer.ErrorCode(err) != resizer.EINVALID {
		t.Errorf("width over the max side: got %v", err)
	}
}

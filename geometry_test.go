package resizer

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlanDimensions(t *testing.T) {
	const landscapeW, landscapeH = 6028, 3391
	const portraitW, portraitH = 2056, 3088
	tests := []struct {
		name         string
		srcW, srcH   int
		o            Options
		wantW, wantH int
	}{
		{"cover landscape", landscapeW, landscapeH, Options{Width: 300, Height: 300}, 300, 300},
		{"cover portrait", portraitW, portraitH, Options{Width: 300, Height: 200}, 300, 200},
		{"contain landscape", landscapeW, landscapeH, Options{Width: 300, Height: 300, Fit: FitContain}, 300, 300},
		{"contain portrait", portraitW, portraitH, Options{Width: 400, Height: 300, Fit: FitContain}, 400, 300},
		{"fill landscape", landscapeW, landscapeH, Options{Width: 300, Height: 300, Fit: FitFill}, 300, 300},
		{"fill portrait", portraitW, portraitH, Options{Width: 123, Height: 456, Fit: FitFill}, 123, 456},
		{"inside landscape", landscapeW, landscapeH, Options{Width: 300, Height: 300, Fit: FitInside}, 300, 169},
		{"inside portrait", portraitW, portraitH, Options{Width: 300, Height: 300, Fit: FitInside}, 200, 300},
		{"outside landscape", landscapeW, landscapeH, Options{Width: 300, Height: 300, Fit: FitOutside}, 533, 300},
		{"outside portrait", portraitW, portraitH, Options{Width: 300, Height: 300, Fit: FitOutside}, 300, 451},
		{"width only", landscapeW, landscapeH, Options{Width: 600}, 600, 338},
		{"height only", portraitW, portraitH, Options{Height: 600}, 399, 600},
		{"dpr doubles", landscapeW, landscapeH, Options{Width: 300, Height: 200, DPR: 2}, 600, 400},
		{"no size keeps the original", 640, 360, Options{}, 640, 360},
		{"no size shrinks to the max side", 10000, 5000, Options{}, 8192, 4096},
		{"thin strip keeps one pixel", 4000, 20, Options{Width: 300, Height: 300, Fit: FitInside}, 300, 2},
		{"tall column keeps one pixel", 20, 3168, Options{Height: 100}, 1, 100},
		{"no enlarge inside", 640, 360, Options{Width: 1280, Height: 1280, Fit: FitInside}, 640, 360},
		{"enlarge inside", 640, 360, Options{Width: 1280, Height: 1280, Fit: FitInside, Enlarge: true}, 1280, 720},
		{"no enlarge cover crops to what exists", 1000, 100, Options{Width: 300, Height: 300}, 300, 100},
		{"enlarge cover", 100, 100, Options{Width: 300, Height: 200, Enlarge: true}, 300, 200},
		{"no enlarge fill", 100, 100, Options{Width: 300, Height: 50, Fit: FitFill}, 100, 50},
		{"1x1 cover", 1, 1, Options{Width: 300, Height: 300}, 1, 1},
		{"1x1 enlarge", 1, 1, Options{Width: 30, Height: 20, Enlarge: true}, 30, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Plan(tt.srcW, tt.srcH, tt.o, 8192)
			if err != nil {
				t.Fatal(err)
			}
			if g.CanvasW != tt.wantW || g.CanvasH != tt.wantH {
				t.Errorf("got %dx%d, want %dx%d (%+v)", g.CanvasW, g.CanvasH, tt.wantW, tt.wantH, g)
			}
			checkConsistent(t, g)
		})
	}
}

// checkConsistent verifies the invariants the engine relies on.
func checkConsistent(t *testing.T, g Geometry) {
	t.Helper()
	if g.ResizeW < 1 || g.ResizeH < 1 {
		t.Errorf("empty resize %+v", g)
	}
	if !g.Crop.Empty() {
		if g.Crop.X < 0 || g.Crop.Y < 0 || g.Crop.X+g.Crop.W > g.ResizeW || g.Crop.Y+g.Crop.H > g.ResizeH {
			t.Errorf("crop outside the resized image: %+v", g)
		}
		if g.Crop.W != g.CanvasW || g.Crop.H != g.CanvasH {
			t.Errorf("crop is not the canvas: %+v", g)
		}
	}
}

func TestPlanGravity(t *testing.T) {
	tests := []struct {
		g    Gravity
		want Rect
	}{
		{GravityCentre, Rect{X: 100, Y: 0, W: 100, H: 100}},
		{GravityWest, Rect{X: 0, Y: 0, W: 100, H: 100}},
		{GravityEast, Rect{X: 200, Y: 0, W: 100, H: 100}},
		{GravityNorthEast, Rect{X: 200, Y: 0, W: 100, H: 100}},
		{GravitySouthWest, Rect{X: 0, Y: 0, W: 100, H: 100}},
	}
	for _, tt := range tests {
		g, err := Plan(3000, 1000, Options{Width: 100, Height: 100, Gravity: tt.g}, 8192)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, g.Crop); diff != "" {
			t.Errorf("%s: crop (-want +got):\n%s", tt.g, diff)
		}
	}
	g, _ := Plan(1000, 3000, Options{Width: 100, Height: 100, Gravity: GravitySouth}, 8192)
	if want := (Rect{X: 0, Y: 200, W: 100, H: 100}); g.Crop != want {
		t.Errorf("south on portrait: got %+v, want %+v", g.Crop, want)
	}
	g, _ = Plan(1000, 3000, Options{Width: 100, Height: 100, Gravity: GravityAttention}, 8192)
	if g.Smart != GravityAttention || g.Crop.W != 100 {
		t.Errorf("attention: got %+v", g)
	}
}

func TestPlanRefusesOversizedOutput(t *testing.T) {
	for _, o := range []Options{{Width: 9000}, {Width: 5000, DPR: 2}, {Width: 8000, Height: 10, Fit: FitOutside, Enlarge: true}} {
		_, err := Plan(100, 200, o, 8192)
		if ErrorCode(err) != EINVALID {
			t.Errorf("%+v: got %v, want invalid", o, err)
		}
	}
}

// FuzzPlan checks that no valid request yields an impossible geometry.
func FuzzPlan(f *testing.F) {
	f.Add(6028, 3391, 300, 300, 0, false)
	f.Add(4000, 20, 300, 0, 3, true)
	f.Add(1, 1, 0, 1, 4, true)
	fits := []Fit{FitCover, FitContain, FitFill, FitInside, FitOutside}
	f.Fuzz(func(t *testing.T, srcW, srcH, w, h, fit int, enlarge bool) {
		if srcW < 1 || srcH < 1 || srcW > 1<<16 || srcH > 1<<16 || w < 0 || h < 0 || w > 1<<16 || h > 1<<16 {
			t.Skip()
		}
		o := Options{Width: w, Height: h, Fit: fits[(fit%5+5)%5], Enlarge: enlarge, Gravity: GravitySouthEast}
		g, err := Plan(srcW, srcH, o, 8192)
		if err != nil {
			return
		}
		checkConsistent(t, g)
		if g.CanvasW < 1 || g.CanvasH < 1 || g.CanvasW > 8192 || g.CanvasH > 8192 {
			t.Fatalf("bad canvas %+v", g)
		}
	})
}

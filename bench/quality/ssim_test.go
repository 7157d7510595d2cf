package quality

import (
	"image"
	"image/color"
	"math/rand"
	"testing"
)

func noise(seed int64, w, h int) *image.NRGBA {
	r := rand.New(rand.NewSource(seed))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.Intn(256))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	return img
}

func TestSSIMIdentical(t *testing.T) {
	a := noise(1, 40, 30)
	s, err := SSIM(a, a)
	if err != nil || s < 0.9999 {
		t.Fatalf("SSIM(a, a) = %v, %v; want 1", s, err)
	}
}

func TestSSIMOrdersDistortion(t *testing.T) {
	a := noise(1, 64, 64)
	mild, strong := image.NewNRGBA(a.Rect), image.NewNRGBA(a.Rect)
	r := rand.New(rand.NewSource(2))
	for i := range a.Pix {
		d := r.Intn(41) - 20
		mild.Pix[i] = uint8(min(max(int(a.Pix[i])+d/4, 0), 255))
		strong.Pix[i] = uint8(min(max(int(a.Pix[i])+d*3, 0), 255))
		if i%4 == 3 {
			mild.Pix[i], strong.Pix[i] = 255, 255
		}
	}
	sm, _ := SSIM(a, mild)
	ss, _ := SSIM(a, strong)
	if !(1 > sm && sm > ss) {
		t.Fatalf("want 1 > SSIM(mild)=%v > SSIM(strong)=%v", sm, ss)
	}
}

func TestSSIMSizeMismatch(t *testing.T) {
	if _, err := SSIM(noise(1, 4, 4), noise(1, 5, 4)); err == nil {
		t.Fatal("want an error for different sizes")
	}
}

func TestLumaBackdrop(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.NRGBA{255, 255, 255, 0})
	if v := luma(img).v[0]; v != Backdrop {
		t.Fatalf("transparent pixel luma = %v, want %v", v, Backdrop)
	}
}

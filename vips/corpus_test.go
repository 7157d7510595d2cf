package vips

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/internal/corpus"
)

// policy overrides the manifest's expectation where the product decided
// otherwise: SVG is refused because its loader is unsafe on uploads.
var policy = map[string]string{"formats/logo.svg": "reject"}

func newEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCorpus(t *testing.T) {
	e := newEngine(t)
	entries, err := corpus.Entries()
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range entries {
		t.Run(ent.File, func(t *testing.T) {
			src, err := corpus.Read(ent.File)
			if err != nil {
				t.Fatal(err)
			}
			expect := ent.Expect
			if p, ok := policy[ent.File]; ok {
				expect = p
			}
			if f := resizer.Sniff(src); f == resizer.HEIC && !e.CanDecode(f) {
				t.Logf("libvips %s has no HEVC decoder: HEIC must be refused cleanly", Version())
				expect = "reject"
			}
			switch expect {
			case "ok":
				checkResizesInEveryFormat(t, e, src)
			case "reject":
				checkRefused(t, e, src)
			default: // either, ok-or-reject: any outcome but a crash or a 5xx-class error
				_, err := e.Transform(context.Background(), src, resizer.Options{Width: 200, Height: 200})
				if code := resizer.ErrorCode(err); code == resizer.EINTERNAL {
					t.Errorf("internal error: %v", err)
				}
			}
		})
	}
}

func checkResizesInEveryFormat(t *testing.T, e *Engine, src []byte) {
	m, err := e.Probe(context.Background(), src)
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	var opts []resizer.Options
	for _, f := range resizer.OutputFormats {
		opts = append(opts, resizer.Options{Width: 160, Height: 120, Fit: resizer.FitCover, Format: f, Enlarge: true})
	}
	outs, err := e.Transform(context.Background(), src, opts...)
	if err != nil {
		t.Fatalf("transform: %v", err)
	}
	for i, out := range outs {
		f := opts[i].Format
		got, err := e.Probe(context.Background(), out.Bytes)
		if err != nil {
			t.Errorf("%s: output unreadable: %v", f, err)
			continue
		}
		if got.Format != f || got.Width != 160 || got.Height != 120 {
			t.Errorf("%s: got %s %dx%d, want %s 160x120", f, got.Format, got.Width, got.Height, f)
		}
		if wantFrames := framesFor(m, f); got.Frames != wantFrames {
			t.Errorf("%s: %d frames, want %d", f, got.Frames, wantFrames)
		}
	}
}

func framesFor(m resizer.Meta, f resizer.Format) int {
	if f.CanAnimate() {
		return m.Frames
	}
	return 1
}

func checkRefused(t *testing.T, e *Engine, src []byte) {
	_, err := e.Transform(context.Background(), src, resizer.Options{Width: 200})
	switch resizer.ErrorCode(err) {
	case resizer.EUNSUPPORTED, resizer.EREFUSED, resizer.ETOOLARGE:
	default:
		t.Errorf("want a refusal, got %v", err)
	}
}

// TestProbeFileAgreesWithProbe reads every corpus file both ways.
func TestProbeFileAgreesWithProbe(t *testing.T) {
	e := newEngine(t)
	entries, err := corpus.Entries()
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range entries {
		src, _ := corpus.Read(ent.File)
		m1, err1 := e.Probe(context.Background(), src)
		m2, err2 := e.ProbeFile(context.Background(), filepath.Join(corpus.Dir(), ent.File))
		if m1 != m2 || resizer.ErrorCode(err1) != resizer.ErrorCode(err2) {
			t.Errorf("%s: Probe %+v %v, ProbeFile %+v %v", ent.File, m1, err1, m2, err2)
		}
	}
}

// TestHEICCapability pins the capability check on the default build:
// Debian's libvips (8.14) decodes HEIC, so a false answer there is a bug.
func TestHEICCapability(t *testing.T) {
	e := newEngine(t)
	if strings.HasPrefix(Version(), "8.14.") && !e.CanDecode(resizer.HEIC) {
		t.Fatal("Debian's libvips decodes HEIC, but the capability check says no")
	}
	t.Logf("libvips %s decodes HEIC: %t", Version(), e.CanDecode(resizer.HEIC))
}

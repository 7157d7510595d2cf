package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudresizer/cloudresizer/internal/corpus"
)

// runCLI runs the command in process and returns its status and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, env{stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

// copyCorpus copies corpus files into a fresh folder under new names.
func copyCorpus(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for dst, src := range files {
		b, err := corpus.Read(src)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, dst)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestResizeFolder(t *testing.T) {
	in := copyCorpus(t, map[string]string{
		"a/photo.jpg":      "photos/storm_canon_exif.jpg",
		"a/b/alpha.png":    "formats/alpha_vignette_photo.png",
		"a/b/phone.heic":   "formats/photo.heic",
		"a/notes.txt":      "tools/manifest.py",
		"a/broken.jpg":     "bad/jpeg_header_65000x65000.jpg",
		"a/b/animated.gif": "formats/animated_16frames.gif",
	})
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI(t, "resize", "--width", "120", "--fit", "inside", "--out", out, filepath.Join(in, "a"))
	if code != exitFailed {
		t.Errorf("exit %d, want %d (one bad file)", code, exitFailed)
	}
	if !strings.Contains(stderr, "broken.jpg") || !strings.Contains(stderr, "megapixels") {
		t.Errorf("stderr does not name the bad file and its reason:\n%s", stderr)
	}
	if !strings.Contains(stderr, "notes.txt: skipped") {
		t.Errorf("non-image not reported as skipped:\n%s", stderr)
	}
	if !strings.Contains(stdout, "4 resized, 1 failed, 1 skipped") {
		t.Errorf("summary missing:\n%s", stdout)
	}
	for _, name := range []string{"photo.jpg", "alpha.png", "phone.jpg", "animated.gif"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestResizeAllGoodExitsZero(t *testing.T) {
	in := copyCorpus(t, map[string]string{"x.jpg": "photos/storm_canon_exif.jpg"})
	code, _, stderr := runCLI(t, "resize", "-w", "50", "--format", "webp", "--out", in, filepath.Join(in, "x.jpg"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(in, "x.webp")); err != nil {
		t.Error(err)
	}
}

func TestResizeNeverOverwritesInputs(t *testing.T) {
	in := copyCorpus(t, map[string]string{"x.jpg": "photos/storm_canon_exif.jpg", "x.png": "edge/pixel_1x1.png"})
	before, _ := os.ReadFile(filepath.Join(in, "x.jpg"))
	code, _, stderr := runCLI(t, "resize", "-w", "50", "--format", "jpeg", "--out", in, in)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	after, _ := os.ReadFile(filepath.Join(in, "x.jpg"))
	if !bytes.Equal(before, after) {
		t.Error("an input was overwritten")
	}
	for _, name := range []string{"x-2.jpg", "x-3.jpg"} {
		if _, err := os.Stat(filepath.Join(in, name)); err != nil {
			t.Errorf("want unique output %s: %v", name, err)
		}
	}
}

func TestResizeBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"resize", "--out", "x"},                       // no input
		{"resize", "x.jpg"},                            // no --out
		{"resize", "--fit", "crop", "--out", "o", "x"}, // bad enum
		{"resize", "--format", "bmp", "--out", "o", "x"},
		{"resize", "--quality", "101", "-w", "1", "--out", "o", "x"},
		{"resize", "--dpr", "9", "--out", "o", "x"},
		{"frobnicate"},
	} {
		if code, _, _ := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/internal/corpus"
	"github.com/cloudresizer/cloudresizer/internal/testserver"
	"github.com/cloudresizer/cloudresizer/storage"
	"github.com/cloudresizer/cloudresizer/vips"
)

// uploads are the source deployment's images: two owners sharing one.
var uploads = []struct{ owner, file string }{
	{"alice", "photos/storm_canon_exif.jpg"},
	{"alice", "formats/alpha_vignette_photo.png"},
	{"bob", "photos/storm_canon_exif.jpg"},
	{"bob", "formats/animated_16frames.gif"},
}

// thumb is the variant made on the source and expected from the copy.
var thumb = resizer.Options{Width: 100, Format: resizer.WebP}.Normalize()

// TestMigrateDiskToS3AndBack copies a deployment made by the real service
// from disk to S3 and back to disk, and checks that nothing changed.
func TestMigrateDiskToS3AndBack(t *testing.T) {
	s3 := testserver.StartS3(t)
	first, last := "file://"+t.TempDir()+"/first", "file://"+t.TempDir()+"/last"
	want := makeDeployment(t, first)
	all := keys(t, first)
	for _, prefix := range []string{"originals/", "owners/", "refs/", "system/", "variants/"} {
		if !hasPrefix(all, prefix) {
			t.Fatalf("nothing under %s: the test's deployment is incomplete", prefix)
		}
	}
	n := len(all)

	migrate(t, exitOK, fmt.Sprintf("%d copied, 0 skipped, 0 failed", n), "--from", first, "--to", s3.URL(testserver.DefaultBucket), "--variants")
	migrate(t, exitOK, fmt.Sprintf("%d copied, 0 skipped, 0 failed", n), "--from", s3.URL(testserver.DefaultBucket), "--to", last, "--variants")
	sameObjects(t, first, last)

	// A second run finds everything in place.
	migrate(t, exitOK, fmt.Sprintf("0 copied, %d skipped, 0 failed", n), "--from", first, "--to", s3.URL(testserver.DefaultBucket), "--variants")
	migrate(t, exitOK, fmt.Sprintf("0 copied, %d skipped, 0 failed", n), "--from", s3.URL(testserver.DefaultBucket), "--to", last, "--variants")

	checkService(t, last, want)
}

// deployment is what the source's service shows: each owner's library and
// the bytes of one variant.
type deployment struct {
	libraries map[string][]resizer.ImageInfo
	variantOf string // image id
	variant   []byte
}

// makeDeployment uploads the corpus images through a real service on url,
// makes a variant, keeps a signing secret, and adds a 20 MB object so that
// the copy to S3 goes through a multipart upload.
func makeDeployment(t *testing.T, url string) deployment {
	ctx := context.Background()
	store, svc := openService(t, url)
	d := deployment{libraries: map[string][]resizer.ImageInfo{}}
	for _, u := range uploads {
		b, err := corpus.Read(u.file)
		if err != nil {
			t.Fatal(err)
		}
		info, err := svc.Upload(ctx, u.owner, filepath.Base(u.file), bytes.NewReader(b))
		if err != nil {
			t.Fatalf("upload %s: %v", u.file, err)
		}
		d.variantOf = info.ID
	}
	v, err := svc.Variant(ctx, d.variantOf, thumb)
	if err != nil || v.Source != "miss" {
		t.Fatalf("variant: %v (from %q)", err, v.Source)
	}
	d.variant = v.Bytes
	if _, err := loadSecret(ctx, "", store, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 20<<20)
	rand.Read(big)
	if err := store.Put(ctx, "originals/large-test-object", bytes.NewReader(big), "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	for _, owner := range []string{"alice", "bob"} {
		d.libraries[owner] = library(t, svc, owner)
	}
	return d
}

func openService(t *testing.T, url string) (*storage.Store, *resizer.Service) {
	t.Helper()
	store, err := storage.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	engine, err := vips.New(vips.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := resizer.NewService(resizer.ServiceConfig{Store: store, Engine: engine, Limits: resizer.DefaultLimits,
		Workers: 2, QueueLength: 4, TransformTimeout: time.Minute, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return store, svc
}

func library(t *testing.T, svc *resizer.Service, owner string) []resizer.ImageInfo {
	t.Helper()
	images, _, err := svc.List(context.Background(), owner, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return images
}

// migrate runs the command and checks its status and summary line.
func migrate(t *testing.T, wantCode int, wantSummary string, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"migrate"}, args...)...)
	if code != wantCode || !strings.Contains(stdout, wantSummary) {
		t.Fatalf("migrate %v: exit %d (want %d)\nwant summary %q\nstdout:\n%s\nstderr:\n%s",
			args, code, wantCode, wantSummary, tail(stdout), stderr)
	}
	return stderr
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-5):], "\n")
}

// keys lists every object of the store at url.
func keys(t *testing.T, url string) []string {
	t.Helper()
	s, err := storage.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []string
	err = s.Walk(context.Background(), "", func(o storage.Object) error { out = append(out, o.Key); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameObjects checks that two stores hold the same keys with the same bytes.
func sameObjects(t *testing.T, a, b string) {
	t.Helper()
	ka, kb := keys(t, a), keys(t, b)
	if diff := cmp.Diff(ka, kb); diff != "" {
		t.Fatalf("keys differ (-first +last):\n%s", diff)
	}
	sa, sb := mustOpen(t, a), mustOpen(t, b)
	for _, k := range ka {
		if !bytes.Equal(read(t, sa, k), read(t, sb, k)) {
			t.Errorf("%s: bytes differ", k)
		}
	}
}

func hasPrefix(keys []string, prefix string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func mustOpen(t *testing.T, url string) *storage.Store {
	t.Helper()
	s, err := storage.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func read(t *testing.T, s *storage.Store, key string) []byte {
	t.Helper()
	b, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkService opens a service on the copy: same libraries, and the variant
// comes from storage (it was copied), byte for byte.
func checkService(t *testing.T, url string, want deployment) {
	t.Helper()
	_, svc := openService(t, url)
	for owner, images := range want.libraries {
		if diff := cmp.Diff(images, library(t, svc, owner), cmp.AllowUnexported(resizer.ImageInfo{})); diff != "" {
			t.Errorf("%s's library differs (-source +copy):\n%s", owner, diff)
		}
	}
	v, err := svc.Variant(context.Background(), want.variantOf, thumb)
	if err != nil || v.Source != "storage" || !bytes.Equal(v.Bytes, want.variant) {
		t.Errorf("variant: %v, from %q, same bytes %v", err, v.Source, bytes.Equal(v.Bytes, want.variant))
	}
}

// TestMigrateCountsFailures: an object the target cannot take is reported
// by key, the rest is copied, and the exit status is 1.
func TestMigrateCountsFailures(t *testing.T) {
	src, dstDir := t.TempDir(), t.TempDir()
	store := mustOpen(t, "file://"+src)
	for _, k := range []string{"originals/a", "originals/b", "owners/x/images/a.json"} {
		if err := store.Put(context.Background(), k, strings.NewReader(k), "text/plain"); err != nil {
			t.Fatal(err)
		}
	}
	// A folder where the target should write originals/b: disk cannot.
	if err := os.MkdirAll(filepath.Join(dstDir, "originals", "b", "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	stderr := migrate(t, exitFailed, "2 copied, 0 skipped, 1 failed", "--from", "file://"+src, "--to", "file://"+dstDir)
	if !strings.Contains(stderr, "error: originals/b:") {
		t.Errorf("the failed key is not named:\n%s", stderr)
	}
}

func TestMigrateMissingBucket(t *testing.T) {
	s3 := testserver.StartS3(t)
	code, _, stderr := runCLI(t, "migrate", "--from", "file://"+t.TempDir(), "--to", s3.URL("no-such-bucket"))
	if code != exitTrouble || !strings.Contains(stderr, `bucket "no-such-bucket" does not exist or is not reachable at `+s3.Endpoint()) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestMigrateSameStore(t *testing.T) {
	u := "file://" + t.TempDir()
	if code, _, _ := runCLI(t, "migrate", "--from", u, "--to", u); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
}

func TestContentType(t *testing.T) {
	jpeg, _ := corpus.Read("photos/storm_canon_exif.jpg")
	for key, want := range map[string]string{
		"originals/abc.json":                "application/json",
		"originals/abc":                     "image/jpeg",
		"variants/abc/k":                    "image/jpeg",
		"refs/abc/owner":                    "text/plain",
		"owners/h/recent/1-abc":             "text/plain",
		"system/signing-secret":             "application/octet-stream",
		"batches/b/results/000001-done.png": "image/jpeg",
	} {
		if got := contentType(key, jpeg[:512]); got != want {
			t.Errorf("%s: %s, want %s", key, got, want)
		}
	}
	if got := contentType("originals/x", []byte("not an image")); got != "application/octet-stream" {
		t.Errorf("unknown bytes: %s", got)
	}
}

// TestMigrateRecopiesChanged: a target object of the right size but other
// bytes is not taken for a copy.
func TestMigrateRecopiesChanged(t *testing.T) {
	s3 := testserver.StartS3(t)
	src, dst := "file://"+t.TempDir(), s3.URL(testserver.DefaultBucket)
	store := mustOpen(t, src)
	for _, k := range []string{"originals/a", "originals/b", "refs/a/x"} {
		if err := store.Put(context.Background(), k, strings.NewReader("body of "+k), "text/plain"); err != nil {
			t.Fatal(err)
		}
	}
	migrate(t, exitOK, "3 copied, 0 skipped, 0 failed", "--from", src, "--to", dst)
	if err := mustOpen(t, dst).Put(context.Background(), "originals/b", strings.NewReader("BODY OF originals/b"), "text/plain"); err != nil {
		t.Fatal(err)
	}
	migrate(t, exitOK, "1 copied, 2 skipped, 0 failed", "--from", src, "--to", dst)
	sameObjects(t, src, dst)
}

package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/internal/corpus"
	"github.com/cloudresizer/cloudresizer/vips"
)

// policy overrides the manifest where the product decided otherwise.
var policy = map[string]string{"formats/logo.svg": "reject"}

// wantStatus is what a refused corpus file must get, by error code.
var refusalStatus = map[string]int{"unsupported": 415, "refused": 422, "too_large": 413}

// TestCorpusOverHTTP uploads every corpus file; ok files must resize right
// in every output format, reject files get a 4xx with a code, and nothing
// gets a 5xx.
func TestCorpusOverHTTP(t *testing.T) {
	e := start(t, options{storeURL: "file://" + t.TempDir()})
	c := e.apiClient(testKey)
	probe, _ := vips.New(vips.DefaultConfig())
	entries, err := corpus.Entries()
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range entries {
		t.Run(ent.File, func(t *testing.T) {
			b, _ := corpus.Read(ent.File)
			status, ur := c.upload(map[string][]byte{ent.File: b})
			expect := ent.Expect
			if p, ok := policy[ent.File]; ok {
				expect = p
			}
			if f := resizer.Sniff(b); !probe.CanDecode(f) && f.Decodable() {
				expect = "reject" // a libvips build without this decoder (HEIC on sharp's)
			}
			if status >= 500 {
				t.Fatalf("upload: %d %+v", status, ur)
			}
			switch {
			case expect == "reject":
				if ur.Error == nil || refusalStatus[ur.Error.Code] != status {
					t.Fatalf("want a refusal, got %d %+v", status, ur)
				}
			case expect == "ok" && status != http.StatusCreated:
				t.Fatalf("upload refused: %d %+v", status, ur)
			}
			if status == http.StatusCreated {
				checkVariants(t, c, probe, ur.Images[0], expect == "ok")
			}
		})
	}
}

func checkVariants(t *testing.T, c *client, probe *vips.Engine, img resizer.ImageInfo, mustWork bool) {
	for _, f := range []string{"jpeg", "png", "webp", "avif", "gif"} {
		status, h, body := c.get(fmt.Sprintf("/api/v1/images/%s/resize?w=120&h=90&format=%s&enlarge=1", img.ID, f), nil)
		if status >= 500 || (mustWork && status != 200) {
			t.Errorf("%s: status %d %s", f, status, body)
			continue
		}
		if status != 200 {
			continue
		}
		m, err := probe.Probe(context.Background(), body)
		if err != nil || string(m.Format) != f || m.Width != 120 || m.Height != 90 {
			t.Errorf("%s: got %+v %v, want 120x90", f, m, err)
		}
		if h.Get("Content-Type") != resizer.Format(f).MIME() {
			t.Errorf("%s: Content-Type %s", f, h.Get("Content-Type"))
		}
	}
}

func TestBadInputNeverFails5xx(t *testing.T) {
	e := start(t, options{})
	c := e.apiClient(testKey)
	img := c.uploadOne("a.jpg", read(t, "photos/storm_canon_exif.jpg"))
	paths := []string{
		"/api/v1/images/" + img.ID + "/resize?w=abc", "/api/v1/images/" + img.ID + "/resize?w=99999",
		"/api/v1/images/" + img.ID + "/resize?fit=crop", "/api/v1/images/" + img.ID + "/resize?w=1&w=2",
		"/api/v1/images/" + img.ID + "/resize?bogus=1", "/api/v1/images/../../etc/passwd",
		"/api/v1/images/zzz/resize?w=10", "/api/v1/images/" + strings.Repeat("a", 32) + "/resize?w=1",
		"/api/v1/images?limit=0", "/api/v1/images?cursor=nonsense", "/r/abc/def?w=1", "/nowhere",
	}
	for _, p := range paths {
		status, _, body := c.get(p, nil)
		if status < 400 || status >= 500 || (status != 404 && errorCode(body) == "") {
			t.Errorf("%s: %d %s", p, status, body)
		}
	}
	for _, body := range []string{"", "not multipart", "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc"} {
		resp := c.do("POST", "/api/v1/images", strings.NewReader(body), map[string]string{"Content-Type": "multipart/form-data; boundary=x"})
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("body %q: %d", body, resp.StatusCode)
		}
	}
}

func TestUploadLimits(t *testing.T) {
	e := start(t, options{maxBytes: 100_000})
	c := e.apiClient(testKey)
	status, ur := c.upload(map[string][]byte{"big.jpg": read(t, "photos/storm_canon_exif.jpg")})
	if status != http.StatusRequestEntityTooLarge || ur.Error.Code != "too_large" {
		t.Errorf("too large: %d %+v", status, ur)
	}
	// One good and one bad file: 201, the bad one listed with its reason.
	status, ur = c.upload(map[string][]byte{"ok.png": read(t, "edge/pixel_1x1.png"), "bad.txt": []byte("hello")})
	if status != http.StatusCreated || len(ur.Images) != 1 || len(ur.Errors) != 1 || ur.Errors[0].Code != "unsupported" {
		t.Errorf("mixed: %d %+v", status, ur)
	}
}

func TestIsolation(t *testing.T) {
	e := start(t, options{})
	alice, bob, browser := e.apiClient(testKey), e.apiClient("other-key-0123456789"), e.browser()
	img := alice.uploadOne("a.jpg", read(t, "photos/storm_canon_exif.jpg"))
	mine := browser.uploadOne("b.png", read(t, "edge/palette_with_alpha.png"))
	for _, other := range []*client{bob, browser} {
		for _, p := range []string{"", "/resize?w=10", "/link?w=10", "/original"} {
			if status, _, _ := other.get("/api/v1/images/"+img.ID+p, nil); status != http.StatusNotFound {
				t.Errorf("another owner got %d for %s", status, p)
			}
		}
		resp := other.do("DELETE", "/api/v1/images/"+img.ID, nil, nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("another owner's delete: %d", resp.StatusCode)
		}
	}
	_, _, list := bob.get("/api/v1/images", nil)
	if strings.Contains(string(list), img.ID) {
		t.Error("bob lists alice's image")
	}
	_, _, list = browser.get("/api/v1/images", nil)
	if !strings.Contains(string(list), mine.ID) || strings.Contains(string(list), img.ID) {
		t.Errorf("the browser's list is wrong: %s", list)
	}
	if status, _, _ := alice.get("/api/v1/images/"+img.ID+"/original", nil); status != 200 {
		t.Errorf("owner cannot read the original: %d", status)
	}
	// The same bytes uploaded by two owners are one original, deleted with the last.
	bob.uploadOne("same.jpg", read(t, "photos/storm_canon_exif.jpg"))
	alice.do("DELETE", "/api/v1/images/"+img.ID, nil, nil).Body.Close()
	if status, _, _ := bob.get("/api/v1/images/"+img.ID+"/resize?w=20", nil); status != 200 {
		t.Errorf("bob lost his copy when alice deleted hers: %d", status)
	}
	if status, _, _ := alice.get("/api/v1/images/"+img.ID, nil); status != 404 {
		t.Errorf("alice still sees her deleted image: %d", status)
	}
}

func TestDeviceCookie(t *testing.T) {
	e := start(t, options{})
	b := e.browser()
	img := b.uploadOne("a.png", read(t, "edge/pixel_1x1.png"))
	resp := b.do("GET", "/api/v1/images", nil, nil)
	resp.Body.Close()
	if status, _, _ := b.get("/api/v1/images/"+img.ID, nil); status != 200 {
		t.Errorf("the same browser lost its image: %d", status)
	}
	fresh := e.browser()
	if status, _, _ := fresh.get("/api/v1/images/"+img.ID, nil); status != 404 {
		t.Errorf("a new browser sees the image: %d", status)
	}
	forged := &http.Cookie{Name: "cr_device", Value: "AAAAAAAAAAAAAAAAAAAAAA.forged"}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/images", nil)
	req.AddCookie(forged)
	r2, _ := http.DefaultClient.Do(req)
	r2.Body.Close()
	if !strings.Contains(r2.Header.Get("Set-Cookie"), "cr_device=") || strings.Contains(r2.Header.Get("Set-Cookie"), "forged") {
		t.Errorf("a forged cookie was accepted: %q", r2.Header.Get("Set-Cookie"))
	}
	if c := r2.Header.Get("Set-Cookie"); !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
		t.Errorf("cookie flags: %s", c)
	}
}

func TestCrossSiteRefused(t *testing.T) {
	e := start(t, options{})
	b := e.browser()
	img := b.uploadOne("a.png", read(t, "edge/pixel_1x1.png"))
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
		resp := b.do("DELETE", "/api/v1/images/"+img.ID, nil, h)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%v: %d", h, resp.StatusCode)
		}
	}
	resp := b.do("DELETE", "/api/v1/images/"+img.ID, nil, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": e.srv.URL})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("same-origin delete: %d", resp.StatusCode)
	}
}

func TestVariantHeadersAndTiers(t *testing.T) {
	dir := t.TempDir()
	e := start(t, options{storeURL: "file://" + dir})
	c := e.apiClient(testKey)
	img := c.uploadOne("a.jpg", read(t, "photos/storm_canon_exif.jpg"))
	path := "/api/v1/images/" + img.ID + "/resize?w=100&h=100"
	var etag string
	for i, want := range []string{"miss", "memory"} {
		status, h, _ := c.get(path, nil)
		if status != 200 || h.Get("X-Cache") != want {
			t.Fatalf("request %d: %d X-Cache=%q, want %s", i, status, h.Get("X-Cache"), want)
		}
		etag = h.Get("ETag")
	}
	if status, _, _ := c.get(path, map[string]string{"If-None-Match": etag}); status != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", status)
	}
	// Same options spelled differently: the same variant.
	if _, h, _ := c.get("/api/v1/images/"+img.ID+"/resize?height=100&width=100&fit=cover&g=center", nil); h.Get("ETag") != etag {
		t.Errorf("equivalent options gave another ETag")
	}
	// A new process on the same storage finds the stored variant.
	e2 := start(t, options{storeURL: "file://" + dir})
	if _, h, _ := e2.apiClient(testKey).get(path, nil); h.Get("X-Cache") != "storage" {
		t.Errorf("after restart: X-Cache=%q, want storage", h.Get("X-Cache"))
	}
	// format=auto follows Accept and says so.
	_, h, _ := c.get("/api/v1/images/"+img.ID+"/resize?w=50&format=auto", map[string]string{"Accept": "image/avif,image/webp,*/*"})
	if h.Get("Content-Type") != "image/avif" || h.Get("Vary") != "Accept" {
		t.Errorf("auto with avif: %s, Vary %q", h.Get("Content-Type"), h.Get("Vary"))
	}
	_, h, _ = c.get("/api/v1/images/"+img.ID+"/resize?w=50&format=auto", map[string]string{"Accept": "image/webp"})
	if h.Get("Content-Type") != "image/webp" {
		t.Errorf("auto with webp: %s", h.Get("Content-Type"))
	}
	_, h, _ = c.get("/api/v1/images/"+img.ID+"/resize?w=50&format=auto", nil)
	if h.Get("Content-Type") != "image/jpeg" {
		t.Errorf("auto without Accept: %s", h.Get("Content-Type"))
	}
}

// TestConcurrentColdRequestsTransformOnce asks 50 times at once for one
// variant nobody has made yet: the engine must run once.
func TestConcurrentColdRequestsTransformOnce(t *testing.T) {
	e := start(t, options{workers: 2, queue: 100})
	c := e.apiClient(testKey)
	img := c.uploadOne("a.jpg", read(t, "photos/kleiber_20mp_baseline.jpg"))
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _, _ = c.get("/api/v1/images/"+img.ID+"/resize?w=300&format=webp", nil)
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Errorf("request %d: %d", i, s)
		}
	}
	if n := e.metric("cloudresizer_transform_duration_seconds_count", ""); n != 1 {
		t.Errorf("%v transforms, want 1", n)
	}
}

func read(t testing.TB, name string) []byte { return corpus.MustRead(t, name) }

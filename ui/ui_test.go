package ui_test

import (
	"archive/zip"
	"bytes"
	"html"
	"image"
	_ "image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cloudresizer/cloudresizer/ui"
)

func TestHandler(t *testing.T) {
	h := ui.Handler()
	for _, tc := range []struct {
		path, wantType string
		wantStatus     int
	}{
		{"/", "text/html; charset=utf-8", 200},
		{"/static/js/main.js", "text/javascript; charset=utf-8", 200},
		{"/static/css/app.css", "text/css; charset=utf-8", 200},
		{"/static/favicon.svg", "image/svg+xml", 200},
		{"/static/nothing.js", "", 404},
		{"/static/../ui.go", "", 404},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if rec.Code != tc.wantStatus {
			t.Errorf("%s: status %d, want %d", tc.path, rec.Code, tc.wantStatus)
			continue
		}
		if tc.wantStatus != 200 {
			continue
		}
		hd := rec.Header()
		if got := hd.Get("Content-Type"); got != tc.wantType {
			t.Errorf("%s: Content-Type %q, want %q", tc.path, got, tc.wantType)
		}
		if csp := hd.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", tc.path, csp)
		}
		if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Cache-Control") == "" || hd.Get("ETag") == "" {
			t.Errorf("%s: headers %v", tc.path, hd)
		}
		again := httptest.NewRecorder()
		req := httptest.NewRequest("GET", tc.path, nil)
		req.Header.Set("If-None-Match", hd.Get("ETag"))
		h.ServeHTTP(again, req)
		if again.Code != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d, want 304", tc.path, again.Code)
		}
	}
}

// TestPageHasNoExternalResources keeps the page usable offline.
func TestPageHasNoExternalResources(t *testing.T) {
	rec := httptest.NewRecorder()
	ui.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	for _, bad := range []string{"http://", "https://", "//cdn", "<script>", "style="} {
		if strings.Contains(rec.Body.String(), bad) {
			t.Errorf("index.html contains %q", bad)
		}
	}
}

// TestOneImage uploads one photo, resizes it to 300 pixels wide and
// downloads the result.
func TestOneImage(t *testing.T) {
	srv := startServer(t, t.TempDir())
	p := newPage(t)
	p.open(srv.URL)
	checkAccessibility(t, p)

	p.addFiles("photos/ladybird_baseline420.jpg") // 2560 × 1600
	p.waitFor(`!document.querySelector('#result').hidden && document.querySelector('#result-state').innerText.startsWith('Done')`)

	p.do(chromedp.Click(chromedp.CSS(`input[name="size"][value="custom"]`)))
	p.setField("#w", "300")
	p.setField("#format", "jpeg")
	p.waitFor(`document.querySelector('#resized-facts').innerText.startsWith('300 × 188') &&
		document.querySelector('#resized-facts').innerText.includes('JPEG') &&
		document.querySelector('#result-state').innerText.startsWith('Done')`)
	if got := p.text("#original-facts"); !strings.HasPrefix(got, "2560 × 1600") {
		t.Errorf("original facts %q", got)
	}
	if got := p.text("#saving"); !strings.HasSuffix(got, "% smaller") {
		t.Errorf("saving %q", got)
	}

	b := p.download("#download")
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || format != "jpeg" || cfg.Width != 300 || cfg.Height != 188 {
		t.Errorf("downloaded %d bytes: %s %dx%d, %v; want jpeg 300x188", len(b), format, cfg.Width, cfg.Height, err)
	}
	if name := eval[string](p, `document.querySelector('#download').download`); name != "ladybird_baseline420-300x188.jpg" {
		t.Errorf("download name %q", name)
	}
	checkShare(t, p, srv.URL)

	// A phone's width: everything reflows, nothing scrolls sideways.
	p.do(chromedp.EmulateViewport(360, 740))
	if w := eval[[]int](p, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
		t.Errorf("at 360 pixels the page is %d pixels wide", w[0])
	}
	p.checkConsole(false)
}

// checkShare checks the public link works without the browser's cookie and
// the snippet has both densities.
func checkShare(t *testing.T, p *page, base string) {
	t.Helper()
	link := eval[string](p, `document.querySelector('#link-out').value`)
	if !strings.HasPrefix(link, base+"/r/") {
		t.Fatalf("link %q", link)
	}
	resp, err := http.Get(link) // no cookie: anyone with the link
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(body)); resp.StatusCode != 200 || err != nil || cfg.Width != 300 {
		t.Errorf("link answered %d, %dx%d, %v", resp.StatusCode, cfg.Width, cfg.Height, err)
	}
	snippet := eval[string](p, `document.querySelector('#snippet-out').value`)
	attr := html.EscapeString(link) // & is &amp; in an attribute
	for _, want := range []string{`src="` + attr + `"`, attr + " 1x", "dpr=2", " 2x\"", `width="300"`, `height="188"`, `alt="ladybird_baseline420"`} {
		if !strings.Contains(snippet, want) {
			t.Errorf("snippet %q lacks %q", snippet, want)
		}
	}
}

// checkAccessibility checks what a machine can: every control has a
// label, every image a text alternative, and the picker is a real button.
func checkAccessibility(t *testing.T, p *page) {
	t.Helper()
	unlabelled := eval[[]string](p, `[...document.querySelectorAll('input, select, textarea, button')]
		.filter((c) => c.getAttribute('aria-hidden') !== 'true')
		.filter((c) => !(c.labels && c.labels.length) && !c.getAttribute('aria-label') && !c.innerText.trim())
		.map((c) => c.outerHTML)`)
	for _, c := range unlabelled {
		t.Errorf("control without a label: %s", c)
	}
	if n := p.count("img:not([alt])"); n > 0 {
		t.Errorf("%d images without alt", n)
	}
	if tag := eval[string](p, `document.querySelector('#pick').tagName`); tag != "BUTTON" {
		t.Errorf("the picker is a %s, not a button", tag)
	}
}

// TestBatch sends five files, one of them not an image: four results, one
// clear refusal, and a ZIP of four.
func TestBatch(t *testing.T) {
	srv := startServer(t, t.TempDir())
	p := newPage(t)
	p.open(srv.URL)
	p.addFiles("photos/freshflower_progressive_q75.jpg", "orientation/orient_1.jpg", "bad/text.jpg",
		"photos/paintbrushes_444_q99_progressive.jpg", "edge/palette_with_alpha.png")
	p.waitFor(`document.querySelectorAll('#queue .entry.ready').length === 4 &&
		document.querySelectorAll('#queue .entry.refused').length === 1 && !document.querySelector('#resize').disabled`)
	refusal := p.text("#queue .entry.refused .error")
	if !strings.Contains(refusal, "image") {
		t.Errorf("the refusal says %q", refusal)
	}
	if got := p.text("#resize"); got != "Resize 4 images" {
		t.Errorf("button %q", got)
	}

	p.do(chromedp.Click(chromedp.CSS("#resize")))
	p.waitFor(`!document.querySelector('#batch-zip').hidden`)
	if done, refused := p.count("#batch-items .item.done"), p.count("#batch-items .item.refused"); done != 4 || refused != 1 {
		t.Errorf("%d done and %d refused, want 4 and 1:\n%s", done, refused, p.text("#batch"))
	}
	if got := p.text("#batch-items .item.refused .error"); !strings.Contains(got, refusal) || !strings.Contains(got, "cannot be retried") {
		t.Errorf("the refused item says %q", got)
	}
	if got := p.text("#batch-summary"); !strings.HasPrefix(got, "Finished: 4 of 4 images resized, 1 file refused") {
		t.Errorf("summary %q", got)
	}
	if v := eval[float64](p, `document.querySelector('#batch-progress').value / document.querySelector('#batch-progress').max`); v != 1 {
		t.Errorf("progress at %v at the end", v)
	}

	b := p.download("#batch-zip")
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 4 {
		t.Errorf("the ZIP has %d entries, want 4", len(zr.File))
	}
	p.checkConsole(true) // the refused upload is a 415 on purpose
}

// TestRetry: items that failed in the workers are sent again, as a new
// batch to the same target, by one button.
func TestRetry(t *testing.T) {
	srv := startServer(t, t.TempDir())
	p := newPage(t)
	p.open(srv.URL)
	srv.engine.fail.Store(true)
	p.addFiles("orientation/orient_1.jpg", "photos/freshflower_progressive_q75.jpg")
	p.waitFor(`document.querySelectorAll('#queue .entry.ready').length === 2 && !document.querySelector('#resize').disabled`)
	p.do(chromedp.Click(chromedp.CSS("#resize")))
	p.waitFor(`!document.querySelector('#batch-retry').hidden`)
	if n := p.count("#batch-items .item.failed .error"); n != 2 {
		t.Errorf("%d failed items with a reason, want 2:\n%s", n, p.text("#batch"))
	}
	if !eval[bool](p, `document.querySelector('#batch-zip').hidden`) {
		t.Error("a ZIP is offered for a batch with no output")
	}

	srv.engine.fail.Store(false)
	p.do(chromedp.Click(chromedp.CSS("#batch-retry")))
	p.waitFor(`!document.querySelector('#batch-zip').hidden && document.querySelectorAll('#batch-items .item.done').length === 2`)
	if got := p.text("#batch-summary"); !strings.HasPrefix(got, "Finished: 2 of 2 images resized.") {
		t.Errorf("summary after the retry %q", got)
	}
	p.checkConsole(true) // thumbnails fail while the engine is off
}

// allThumbnails is true once the library's pictures have loaded.
const allThumbnails = `[...document.querySelectorAll('#library-list img')].every((i) => i.complete && i.naturalWidth > 0)`

// TestLibrary: the images survive a reload and a restart of the server,
// delete works, and another browser sees none of them.
func TestLibrary(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir)
	p := newPage(t)
	p.open(srv.URL)
	if !eval[bool](p, `!document.querySelector('#library-empty').hidden`) {
		t.Error("a new browser's library does not say it is empty")
	}
	p.addFiles("orientation/orient_1.jpg", "photos/freshflower_progressive_q75.jpg")
	p.waitFor(`document.querySelectorAll('#queue .entry.ready').length === 2`)
	if n := p.count("#library-list .card"); n != 2 {
		t.Errorf("%d cards after the uploads, want 2", n)
	}

	p.open(srv.URL)
	p.waitFor(`document.querySelectorAll('#library-list .card').length === 2`)
	p.waitFor(allThumbnails) // before the server stops under them
	srv.stop()
	srv = startServer(t, dir) // another port: cookies are per host, not per port
	p.open(srv.URL)
	p.waitFor(`document.querySelectorAll('#library-list .card').length === 2`)
	p.waitFor(allThumbnails)

	// By keyboard: the first Tab reaches the skip link, the second the picker;
	// Enter on a focused Delete deletes, and the focus stays in the list.
	p.do(chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"))
	if id := eval[string](p, `document.activeElement.id`); id != "pick" {
		t.Errorf("the second Tab focuses #%s, want #pick", id)
	}
	name := p.text("#library-list .card .name")
	p.do(chromedp.Focus(chromedp.CSS("#library-list .card .danger")), chromedp.KeyEvent("\r"))
	p.waitFor(`document.querySelectorAll('#library-list .card').length === 1`)
	if !eval[bool](p, `document.activeElement.matches('#library-list .danger')`) {
		t.Error("after a deletion the focus left the library")
	}
	p.open(srv.URL)
	p.waitFor(`document.querySelectorAll('#library-list .card').length === 1`)
	if got := p.text("#library-list .card .name"); got == name {
		t.Errorf("%s is still there after its deletion", name)
	}
	p.checkConsole(false)

	other := newPage(t)
	other.open(srv.URL)
	if n := other.count("#library-list .card"); n != 0 {
		t.Errorf("another browser sees %d images", n)
	}
	other.checkConsole(false)
}

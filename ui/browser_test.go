package ui_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/cloudresizer/cloudresizer/internal/corpus"
)

// page is one browser profile (its own cookies) with one tab, and what
// its console said.
type page struct {
	t         *testing.T
	ctx       context.Context
	downloads string

	mu       sync.Mutex
	errors   []string // console errors and uncaught exceptions
	network  []string // failed requests, as the browser log reports them
	stopRead context.CancelFunc
}

// newPage starts Debian's chromium with a fresh profile. A missing
// chromium fails the test: `make test` installs it (scripts/setup.sh).
func newPage(t *testing.T) *page {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run scripts/setup.sh (make test does) or apt-get install chromium")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests may run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	p := &page{t: t, ctx: ctx, downloads: t.TempDir()}
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	p.readConsole()
	_, err = chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: p.downloads, EventsEnabled: ptr(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ptr[T any](v T) *T { return &v }

// readConsole keeps every console error, exception and failed request.
func (p *page) readConsole() {
	ctx, cancel := context.WithCancel(p.ctx)
	p.stopRead = cancel
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleError && !m.IsException() {
				continue
			}
			p.mu.Lock()
			line := fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line)
			if m.Source == "network" {
				p.network = append(p.network, line)
			} else {
				p.errors = append(p.errors, line)
			}
			p.mu.Unlock()
		}
	}()
}

// checkConsole fails the test on any console error or exception, and on
// failed requests unless the test caused some on purpose.
func (p *page) checkConsole(allowFailedRequests bool) {
	p.t.Helper()
	time.Sleep(100 * time.Millisecond) // let the last messages arrive
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.errors {
		p.t.Errorf("console: %s", e)
	}
	for _, e := range p.network {
		if allowFailedRequests {
			p.t.Logf("console (expected): %s", e)
		} else {
			p.t.Errorf("console: %s", e)
		}
	}
}

// do runs actions, failing the test on an error.
func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatal(err)
	}
}

// open loads the page and waits until it has loaded the library and the presets.
func (p *page) open(url string) {
	p.t.Helper()
	p.do(chromedp.Navigate(url))
	p.waitFor(`document.body.dataset.ready === 'true'`)
}

// waitFor waits until the JavaScript expression is true.
func (p *page) waitFor(expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		p.t.Fatalf("waiting for %s: %v\nthe page says: %s", expr, err, p.text("main"))
	}
}

// eval returns the value of a JavaScript expression.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// text is the visible text of the first element matching a CSS selector.
func (p *page) text(selector string) string {
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](
		fmt.Sprintf(`(document.querySelector(%q) || {innerText: ''}).innerText`, selector)))
	if err != nil {
		return err.Error()
	}
	return v
}

// count is the number of elements matching a CSS selector.
func (p *page) count(selector string) int {
	p.t.Helper()
	return eval[int](p, fmt.Sprintf(`document.querySelectorAll(%q).length`, selector))
}

// addFiles gives corpus files to the page's file picker, as a person who
// chose them would.
func (p *page) addFiles(names ...string) {
	p.t.Helper()
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join(corpus.Dir(), n)
	}
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#file-input"), paths, chromedp.NodeReady))
}

// setField sets a form control and tells the page, as typing would.
func (p *page) setField(selector, value string) {
	p.t.Helper()
	eval[chromedp.Void](p, fmt.Sprintf(`(() => {
		const f = document.querySelector(%q);
		f.value = %q;
		f.dispatchEvent(new Event('input', {bubbles: true}));
		f.dispatchEvent(new Event('change', {bubbles: true}));
	})()`, selector, value))
}

// download clicks a link and returns the bytes the browser saved.
func (p *page) download(selector string) []byte {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	p.do(chromedp.Click(chromedp.CSS(selector)))
	for ev, err := range progress {
		if err != nil {
			p.t.Fatalf("download from %s: %v", selector, err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			b, err := os.ReadFile(filepath.Join(p.downloads, ev.GUID))
			if err != nil {
				p.t.Fatal(err)
			}
			return b
		case browser.DownloadProgressStateCanceled:
			p.t.Fatalf("download from %s was cancelled", selector)
		}
	}
	return nil
}

// screenshot writes a PNG of the viewport, or of the whole page, to
// docs/screenshots when UI_SCREENSHOTS is set.
func (p *page) screenshot(name string, full bool) {
	p.t.Helper()
	if os.Getenv("UI_SCREENSHOTS") == "" {
		return
	}
	time.Sleep(300 * time.Millisecond) // images finish drawing, smooth scrolls end
	action := chromedp.CaptureScreenshot()
	if full {
		action = chromedp.FullScreenshot(100)
	}
	b, err := chromedp.Run(p.ctx, action)
	if err != nil {
		p.t.Fatal(err)
	}
	path := filepath.Join("..", "docs", "screenshots", name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("wrote %s", path)
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}

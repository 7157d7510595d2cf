package ui_test

import (
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestScreenshots walks through the page's main states and saves each as
// docs/screenshots/*.png, shown in the README. It runs only with
// UI_SCREENSHOTS=1, so that `make test` does not rewrite tracked files:
//
//	UI_SCREENSHOTS=1 go test -run TestScreenshots ./ui/
func TestScreenshots(t *testing.T) {
	if os.Getenv("UI_SCREENSHOTS") == "" {
		t.Skip("set UI_SCREENSHOTS=1 to write docs/screenshots")
	}
	srv := startServer(t, t.TempDir())
	p := newPage(t)
	p.open(srv.URL)
	p.screenshot("empty.png", true)

	p.throttleUploads(300_000)
	p.addFiles("photos/dragonfly_13mp_progressive.jpg", "photos/seeding_16mp_progressive.jpg",
		"photos/storm_canon_exif.jpg", "photos/wood_minolta_exif.jpg", "formats/logo.svg",
		"photos/paintbrushes_444_q99_progressive.jpg")
	p.waitFor(`[...document.querySelectorAll('#queue progress')].some((b) => b.value > 0.3)`)
	p.screenshot("uploading.png", false)
	p.throttleUploads(-1)
	p.waitFor(`document.querySelectorAll('#queue .entry.ready').length === 5 && !document.querySelector('#resize').disabled`)

	srv.engine.delay.Store(int64(1500 * time.Millisecond))
	p.do(chromedp.Click(chromedp.CSS("#resize")))
	p.waitFor(`document.querySelectorAll('#batch-items .item.done').length >= 2`)
	p.screenshot("batch.png", false)
	srv.engine.delay.Store(0)
	p.waitFor(`!document.querySelector('#batch-zip').hidden`)

	p.do(chromedp.Click(chromedp.CSS("#clear")))
	p.do(chromedp.Click(chromedp.CSS(`input[name="size"][value="small"]`)))
	p.addFiles("photos/ladybird_baseline420.jpg")
	p.waitFor(`document.querySelector('#result-state').innerText.startsWith('Done')`)
	p.scrollTo("#result")
	p.screenshot("results.png", false)

	p.scrollTo("#library")
	p.waitFor(allThumbnails)
	p.screenshot("library.png", false)

	p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	_, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p.open(srv.URL)
	p.addFiles("photos/freshflower_progressive_q75.jpg")
	p.waitFor(`document.querySelector('#result-state').innerText.startsWith('Done')`)
	p.scrollTo("#library")
	p.waitFor(allThumbnails)
	p.scrollTo("#result")
	p.screenshot("phone.png", false)
	p.checkConsole(true) // the SVG is refused on purpose, but in the page
}

// throttleUploads limits what the browser sends, in bytes a second (-1: no limit).
func (p *page) throttleUploads(rate float64) {
	p.t.Helper()
	_, err := chromedp.Call(p.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: rate}},
	})
	if err != nil {
		p.t.Fatal(err)
	}
}

// scrollTo brings an element to the top of the viewport at once.
func (p *page) scrollTo(selector string) {
	p.t.Helper()
	eval[chromedp.Void](p, `document.querySelector(`+jsString(selector)+`).scrollIntoView({block: 'start', behavior: 'instant'})`)
}

package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/internal/form"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Scenario is one cold resize: a source image and the variant asked of it.
type Scenario struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Input   string `json:"input"` // relative to the repository root
	Width   int    `json:"width"` // fit inside Width × h, h from Width up: the output is Width wide
	Format  string `json:"format"`
	Quality int    `json:"quality"`
}

// coldScenarios are the rows of the cold resize table. Both sources are
// landscape, so a box of Width × h with h ≥ Width always gives the same
// output: h only makes every request a new variant.
var coldScenarios = []Scenario{
	{ID: "20mp-jpeg300", Title: "20 MP JPEG → 300 px JPEG q80", Input: "testdata/corpus/photos/kleiber_20mp_baseline.jpg", Width: 300, Format: "jpeg", Quality: 80},
	{ID: "20mp-webp300", Title: "20 MP JPEG → 300 px WebP q80", Input: "testdata/corpus/photos/kleiber_20mp_baseline.jpg", Width: 300, Format: "webp", Quality: 80},
	{ID: "2mp-jpeg800", Title: "2.5 MP JPEG → 800 px JPEG q80", Input: "testdata/corpus/photos/storm_canon_exif.jpg", Width: 800, Format: "jpeg", Quality: 80},
}

// uploadInput is the file of the upload scenario (4.4 MB, 20 MP).
const uploadInput = "testdata/corpus/photos/kleiber_20mp_baseline.jpg"

// hitScenario is the variant served from the memory cache.
var hitScenario = coldScenarios[0]

// maxSide is the largest box side the server accepts.
var maxSide = resizer.DefaultLimits.MaxSide

// sourceName is how the sharp server names an input: its file name.
func sourceName(input string) string { return filepath.Base(input) }

// variantQuery is the query of the n-th request of a cold cell. h walks from
// Width to the largest side; past that, bg (which a JPEG source without
// alpha never uses) tells the keys apart, so no key repeats within a cell.
func (sc Scenario) variantQuery(n uint64) url.Values {
	span := uint64(maxSide - sc.Width + 1)
	q := url.Values{}
	q.Set("w", strconv.Itoa(sc.Width))
	q.Set("h", strconv.Itoa(sc.Width+int(n%span)))
	q.Set("fit", "inside")
	q.Set("format", sc.Format)
	q.Set("q", strconv.Itoa(sc.Quality))
	if n >= span {
		q.Set("bg", fmt.Sprintf("%06x", n/span))
	}
	return q
}

// hitQuery is the one query of the memory-hit scenario.
func (sc Scenario) hitQuery() url.Values {
	return sc.variantQuery(0)
}

// options is the engine request equal to the HTTP request of sc.
func (sc Scenario) options() resizer.Options {
	return resizer.Options{Width: sc.Width, Height: sc.Width, Fit: resizer.FitInside,
		Format: resizer.Format(sc.Format), Quality: sc.Quality}
}

// oursPath is the resize path of image id on our server.
func oursPath(id string) string { return "/api/v1/images/" + id + "/resize" }

// coldTargets returns a targeter that asks base+path for a new variant of sc
// on every call; extra holds query parameters of the server (sharp's src).
func coldTargets(base, path string, extra url.Values, sc Scenario, hdr http.Header) vegeta.Targeter {
	var n atomic.Uint64
	return func(t *vegeta.Target) error {
		q := sc.variantQuery(n.Add(1) - 1)
		for k, v := range extra {
			q[k] = v
		}
		*t = vegeta.Target{Method: http.MethodGet, URL: base + path + "?" + q.Encode(), Header: hdr}
		return nil
	}
}

// fixedTarget returns a targeter that sends the same request every time.
func fixedTarget(t vegeta.Target) vegeta.Targeter {
	return vegeta.NewStaticTargeter(t)
}

// uploadBody builds a multipart body with one file part holding input.
func uploadBody(input string) (body []byte, contentType string, err error) {
	src, err := os.ReadFile(input)
	if err != nil {
		return nil, "", err
	}
	return multipartFile(filepath.Base(input), src)
}

// multipartFile builds a multipart body with one file part, called name,
// holding src.
func multipartFile(name string, src []byte) (body []byte, contentType string, err error) {
	b, ctype := form.Body(map[string][]byte{name: src}, nil)
	return b.Bytes(), ctype, nil
}

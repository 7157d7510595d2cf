package httpapi_test

import (
	"context"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
)

// slowEngine is a fake engine whose transforms take a while, to fill the
// worker slots and the queue on purpose.
type slowEngine struct {
	delay time.Duration
	runs  atomic.Int64
}

func (e *slowEngine) Probe(_ context.Context, src []byte) (resizer.Meta, error) {
	f := resizer.Sniff(src)
	if !f.Decodable() {
		return resizer.Meta{}, resizer.Errorf(resizer.EUNSUPPORTED, "not an image")
	}
	return resizer.Meta{Format: f, Width: 100, Height: 100, Frames: 1}, nil
}

func (e *slowEngine) ProbeFile(ctx context.Context, path string) (resizer.Meta, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return resizer.Meta{}, err
	}
	return e.Probe(ctx, b)
}

func (e *slowEngine) Transform(_ context.Context, _ []byte, opts ...resizer.Options) ([]resizer.Output, error) {
	e.runs.Add(1)
	time.Sleep(e.delay)
	return []resizer.Output{{Format: opts[0].Format, Width: 1, Height: 1, Bytes: []byte("fake")}}, nil
}

// TestOverloadSheds sends 40 different cold requests at once to 1 worker
// with a queue of 3: the excess must get 503 with Retry-After at once.
func TestOverloadSheds(t *testing.T) {
	eng := &slowEngine{delay: 200 * time.Millisecond}
	e := start(t, options{engine: eng, workers: 1, queue: 3})
	c := e.apiClient(testKey)
	img := c.uploadOne("a.png", read(t, "edge/pixel_1x1.png"))
	var wg sync.WaitGroup
	var ok, shed atomic.Int64
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, h, _ := c.get("/api/v1/images/"+img.ID+"/resize?w="+itoa(i+1), nil)
			switch {
			case status == 200:
				ok.Add(1)
			case status == http.StatusServiceUnavailable && h.Get("Retry-After") != "":
				shed.Add(1)
			default:
				t.Errorf("status %d", status)
			}
		}()
	}
	wg.Wait()
	if ok.Load() < 4 || shed.Load() == 0 || ok.Load()+shed.Load() != 40 {
		t.Errorf("%d served, %d shed", ok.Load(), shed.Load())
	}
	if eng.runs.Load() != ok.Load() {
		t.Errorf("%d transforms for %d answers", eng.runs.Load(), ok.Load())
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

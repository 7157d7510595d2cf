package httpapi_test

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudresizer/cloudresizer/internal/fakeengine"
)

// TestOverloadSheds sends 40 different cold requests at once to 1 worker
// with a queue of 3: the excess must get 503 with Retry-After at once.
func TestOverloadSheds(t *testing.T) {
	eng := &fakeengine.Engine{Delay: 200 * time.Millisecond}
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
	if eng.Runs() != ok.Load() {
		t.Errorf("%d transforms for %d answers", eng.Runs(), ok.Load())
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

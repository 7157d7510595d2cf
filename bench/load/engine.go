package main

import (
	"context"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudresizer/cloudresizer/vips"
)

// EngineStats is the engine alone doing a cold scenario's work.
type EngineStats struct {
	Threads int     `json:"threads"`
	Ops     int     `json:"ops"`
	Seconds float64 `json:"seconds"`
	OpsPerS float64 `json:"opsPerSec"`
}

// timeEngine calls vips.Engine.Transform with the options of sc in a loop on
// one goroutine per CPU (the engine's default: as many slots, one libvips
// thread each) for d, in this process, with no HTTP in between.
func timeEngine(ctx context.Context, sc Scenario, d time.Duration) (EngineStats, error) {
	src, err := os.ReadFile(sc.Input)
	if err != nil {
		return EngineStats{}, err
	}
	e, err := vips.New(vips.DefaultConfig())
	if err != nil {
		return EngineStats{}, err
	}
	if _, err := e.Transform(ctx, src, sc.options()); err != nil { // warm-up
		return EngineStats{}, err
	}
	threads := runtime.NumCPU()
	var ops atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range threads {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if _, err := e.Transform(ctx, src, sc.options()); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				ops.Add(1)
			}
		})
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return EngineStats{}, err
	}
	el := time.Since(start).Seconds()
	return EngineStats{Threads: threads, Ops: int(ops.Load()), Seconds: el, OpsPerS: float64(ops.Load()) / el}, nil
}

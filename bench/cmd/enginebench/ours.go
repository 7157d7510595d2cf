package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/vips"
)

// runOurs times our engine: one transform at a time, then one per CPU, with
// one libvips thread per transform (the production configuration).
func runOurs(args []string) error {
	f, err := parseTiming("ours", args)
	if err != nil {
		return err
	}
	scenarios, err := loadScenarios(f.scenarios, f.only)
	if err != nil {
		return err
	}
	rep := Report{Tool: "ours", Version: "cloudresizer, libvips " + vips.Version()}
	for _, sc := range scenarios {
		rs, err := benchOurs(sc, f)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.ID, err)
		}
		rep.Results = append(rep.Results, rs...)
	}
	return printReport(rep)
}

// options is the engine request of a scenario.
func (sc Scenario) options() resizer.Options {
	return resizer.Options{Width: sc.Size, Height: sc.Size, Fit: resizer.FitInside,
		Format: resizer.Format(sc.Format), Quality: sc.Quality}
}

// benchOurs writes the sample and the reference of sc, then times it.
func benchOurs(sc Scenario, f timingFlags) ([]Result, error) {
	src, err := os.ReadFile(sc.Input)
	if err != nil {
		return nil, err
	}
	if err := writeSamples(sc, src, f); err != nil {
		return nil, err
	}
	var out []Result
	for _, threads := range []int{1, runtime.NumCPU()} {
		r, err := timeEngine(sc, src, threads, f.seconds)
		if err != nil {
			return nil, err
		}
		logCell("ours", r)
		out = append(out, r)
	}
	return out, nil
}

// writeSamples writes our output of sc (also the warm-up) and, with -ref,
// the lossless PNG reference: the same resize, no lossy encode.
func writeSamples(sc Scenario, src []byte, f timingFlags) error {
	e, err := vips.New(vips.Config{Limits: resizer.DefaultLimits, Concurrency: 1, Threads: 1})
	if err != nil {
		return err
	}
	outs, err := e.Transform(context.Background(), src, sc.options())
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(f.out, sc.ID+"."+sc.Format), outs[0].Bytes, 0o644); err != nil {
		return err
	}
	if f.ref == "" {
		return nil
	}
	o := sc.options()
	o.Format, o.Quality = resizer.PNG, 0
	if outs, err = e.Transform(context.Background(), src, o); err != nil {
		return err
	}
	if err := os.MkdirAll(f.ref, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(f.ref, sc.ID+".png"), outs[0].Bytes, 0o644)
}

// timeEngine runs sc on threads goroutines against an engine of that many
// slots until seconds have passed, and counts the finished transforms.
func timeEngine(sc Scenario, src []byte, threads int, seconds float64) (Result, error) {
	e, err := vips.New(vips.Config{Limits: resizer.DefaultLimits, Concurrency: threads, Threads: 1})
	if err != nil {
		return Result{}, err
	}
	var ops, bytes atomic.Int64
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	deadline := start.Add(time.Duration(seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for range threads {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				outs, err := e.Transform(context.Background(), src, sc.options())
				if err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
					return
				}
				ops.Add(1)
				bytes.Store(int64(len(outs[0].Bytes)))
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return Result{}, firstErr
	}
	return cell(sc.ID, threads, int(ops.Load()), time.Since(start), int(bytes.Load())), nil
}

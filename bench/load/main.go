// Command load is the load harness of `make load` (bench/load/run.sh; the
// method and the results are in docs/benchmarks.md). It starts
// cloudresizer, a sharp server (bench/sharp/server.js, the peer to beat) and
// a bare net/http server (bench/load/bare, the limit of the HTTP layer) on
// free ports of 127.0.0.1, one fresh process per cell, drives each with
// vegeta at a fixed concurrency, reads its peak RSS from /proc, and writes
// the tables between the load markers of the benchmarks page.
//
//	load -bin bin/cloudresizer -bare BARE -work DIR [-doc docs/benchmarks.md]
//	     [-seconds 3] [-levels 4,16,64] [-workers N] [-queue Q]
//
// It runs from the repository root: the corpus and the sharp server are
// found by relative paths.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is the harness's flags.
type config struct {
	bin, bare, work, doc string
	seconds              time.Duration
	levels               []int
	workers, queue       int
	rounds               int
	redis, versitygw     string // redis-server and versitygw binaries
	batchImages          int    // originals in the batch scenario
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(1)
}

// parseFlags reads the flags; LOAD_SECONDS is the default of -seconds.
func parseFlags(args []string) (config, error) {
	var c config
	var levels string
	var seconds float64
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.StringVar(&c.bin, "bin", "bin/cloudresizer", "the cloudresizer binary")
	fs.StringVar(&c.bare, "bare", "", "the bare net/http server (go build ./bench/load/bare)")
	fs.StringVar(&c.work, "work", "", "folder for storages, logs and results.json")
	fs.StringVar(&c.doc, "doc", "", "page to write the tables into, between the load markers")
	fs.Float64Var(&seconds, "seconds", envFloat("LOAD_SECONDS", 3), "seconds per cell")
	fs.StringVar(&levels, "levels", "4,16,64", "concurrencies, comma-separated")
	fs.IntVar(&c.workers, "workers", runtime.NumCPU(), "cloudresizer --workers")
	fs.IntVar(&c.queue, "queue", 16, "cloudresizer --queue")
	fs.IntVar(&c.rounds, "rounds", int(envFloat("LOAD_ROUNDS", 2)), "rounds; the best round of each cell is kept")
	fs.StringVar(&c.redis, "redis-server", "redis-server", "the redis-server binary (Redis-hit cells)")
	fs.StringVar(&c.versitygw, "versitygw", "", "the versitygw binary (S3 cells; none: skipped)")
	fs.IntVar(&c.batchImages, "batch-images", int(envFloat("LOAD_BATCH_IMAGES", 100)), "originals in the batch scenario")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.bare == "" || c.work == "" || seconds <= 0 || c.rounds < 1 || c.batchImages < 1 {
		return c, fmt.Errorf("-bare, -work, a positive -seconds, -rounds and -batch-images are required")
	}
	c.seconds = time.Duration(seconds * float64(time.Second))
	var err error
	if c.levels, err = parseLevels(levels); err != nil {
		return c, err
	}
	for _, p := range []*string{&c.bin, &c.bare, &c.work, &c.versitygw} {
		if *p == "" {
			continue
		}
		if *p, err = filepath.Abs(*p); err != nil {
			return c, err
		}
	}
	return c, os.MkdirAll(c.work, 0o755)
}

// envFloat returns the number in the environment variable name, or def.
func envFloat(name string, def float64) float64 {
	f, err := strconv.ParseFloat(os.Getenv(name), 64)
	if err != nil || f <= 0 {
		return def
	}
	return f
}

// parseLevels reads a comma-separated list of concurrencies.
func parseLevels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-levels: bad concurrency %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// run measures every cell, then writes results.json into the work folder,
// the tables on stdout and, with -doc, into the page.
func run(ctx context.Context, cfg config) error {
	start, load := time.Now(), loadAverage()
	h, err := newHarness(ctx, cfg)
	if err != nil {
		return err
	}
	defer h.close()
	rep := Report{Env: environment(cfg, h), Engine: map[string]EngineStats{}}
	rep.Env.LoadStart = load
	steps := []func(context.Context, *harness, *Report, int) error{runCold, runStorage, runHits, runUploads, runBatch}
	for round := range cfg.rounds {
		fmt.Fprintf(os.Stderr, "load: round %d of %d, %v per cell\n", round+1, cfg.rounds, cfg.seconds)
		for _, step := range steps {
			if err := step(ctx, h, &rep, round); err != nil {
				return err
			}
		}
	}
	rep.Env.Minutes = time.Since(start).Minutes()
	rep.Env.LoadEnd, rep.Env.Redis = loadAverage(), h.redisVer
	return writeResults(cfg, rep)
}

// loadAverage returns the 1, 5 and 15 minute load averages of the machine,
// or "?" where /proc/loadavg cannot be read.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if err != nil || len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " / ")
}

// environment describes the run for the report.
func environment(cfg config, h *harness) Env {
	return Env{Date: time.Now().UTC().Format("2006-01-02"), CPUs: runtime.NumCPU(), Go: runtime.Version(),
		Libvips: h.versions[0], Workers: cfg.workers, Queue: cfg.queue, Seconds: cfg.seconds.Seconds(),
		Rounds: cfg.rounds, Levels: cfg.levels}
}

// runCold measures the cold scenarios: the engine alone and ours at
// concurrency = workers, then ours and sharp at every level, taking turns in
// an order that flips from level to level and from round to round so that
// bursts of other work on the machine hit both alike.
func runCold(ctx context.Context, h *harness, rep *Report, round int) error {
	for _, sc := range coldScenarios {
		if err := runEngineVsHTTP(ctx, h, rep, sc); err != nil {
			return err
		}
		for i, c := range h.cfg.levels {
			order := []string{"ours", "sharp"}
			if (i+round)%2 == 1 {
				order = []string{"sharp", "ours"}
			}
			for _, who := range order {
				measure := h.coldOurs
				if who == "sharp" {
					measure = h.coldSharp
				}
				cell, err := measure(ctx, sc, c)
				if err != nil {
					return err
				}
				rep.keep(cell)
			}
		}
	}
	if h.versions[1] != "" {
		rep.Env.Sharp = h.versions[1]
	}
	return nil
}

// runEngineVsHTTP times the engine alone, then ours over HTTP at
// concurrency = workers, on sc; the best round of each is kept.
func runEngineVsHTTP(ctx context.Context, h *harness, rep *Report, sc Scenario) error {
	e, err := timeEngine(ctx, sc, h.cfg.seconds)
	if err != nil {
		return fmt.Errorf("engine %s: %w", sc.ID, err)
	}
	fmt.Fprintf(os.Stderr, "load: %-13s engine %d goroutines %8.1f ops/s\n", sc.ID, e.Threads, e.OpsPerS)
	if e.OpsPerS > rep.Engine[sc.ID].OpsPerS {
		rep.Engine[sc.ID] = e
	}
	cell, err := h.coldOurs(ctx, sc, h.cfg.workers)
	if err != nil {
		return err
	}
	cell.Server = "ours-http"
	rep.keep(cell)
	return nil
}

// runHits measures memory-cache hits on ours and on the bare server, and
// Redis hits on ours, taking turns in an order that rotates from level to
// level and from round to round.
func runHits(ctx context.Context, h *harness, rep *Report, round int) error {
	for i, c := range h.cfg.levels {
		measures := []func(context.Context, int) (Cell, error){h.hitOurs, h.hitBare, h.hitRedis}
		k := (i + round) % len(measures)
		for _, m := range append(measures[k:], measures[:k]...) {
			cell, err := m(ctx, c)
			if err != nil {
				return err
			}
			rep.keep(cell)
		}
	}
	return nil
}

// runUploads measures uploads on ours.
func runUploads(ctx context.Context, h *harness, rep *Report, _ int) error {
	for _, c := range h.cfg.levels {
		cell, err := h.uploadOurs(ctx, c)
		if err != nil {
			return err
		}
		rep.keep(cell)
	}
	return nil
}

// writeResults writes results.json, prints the tables and fills the page.
func writeResults(cfg config, rep Report) error {
	b, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(cfg.work, "results.json"), b, 0o644); err != nil {
		return err
	}
	mds := []string{rep.markdown(), rep.cloudMarkdown(), rep.batchMarkdown()}
	fmt.Print(strings.Join(mds, "\n"))
	if cfg.doc == "" {
		return nil
	}
	return writeSections(cfg.doc, mds)
}

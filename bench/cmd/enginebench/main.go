// Command enginebench is the Go side of `make bench` (see bench/run.sh and
// docs/benchmarks.md). It has three subcommands:
//
//	enginebench ours -scenarios F -seconds S -out DIR -ref DIR [-only ID]   time our engine
//	enginebench cli  -scenarios F -seconds S -out DIR [-only ID]            time Debian's vipsthumbnail
//	enginebench report -scenarios F -results DIR -doc FILE                  SSIM, ratios, markdown table
//
// The timing subcommands print a JSON report on stdout and write one output
// per scenario to -out for the quality check. The report merges every
// DIR/runs/<tool>-*.json, keeping the best round of each cell.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"
)

// Scenario is one row of the benchmark: an input and the thumbnail made of it.
type Scenario struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Input   string `json:"input"`   // relative to the repository root
	Size    int    `json:"size"`    // the box: size x size, fit inside
	Format  string `json:"format"`  // jpeg, webp, avif, png
	Quality int    `json:"quality"` // 0 for png
}

// Result is one timed cell: a scenario run by one tool with some threads.
type Result struct {
	ID        string  `json:"id"`
	Threads   int     `json:"threads"`
	Ops       int     `json:"ops"`
	Seconds   float64 `json:"seconds"`
	OpsPerSec float64 `json:"opsPerSec"`
	Bytes     int     `json:"bytes"`
}

// Report is what a timing run prints: the same shape for every tool.
type Report struct {
	Tool    string   `json:"tool"`
	Version string   `json:"version"`
	Results []Result `json:"results"`
}

func main() {
	if len(os.Args) < 2 {
		fatal(fmt.Errorf("usage: enginebench ours|cli|report [flags]"))
	}
	cmds := map[string]func([]string) error{"ours": runOurs, "cli": runCLI, "report": runReport}
	cmd, ok := cmds[os.Args[1]]
	if !ok {
		fatal(fmt.Errorf("unknown subcommand %q: want ours, cli or report", os.Args[1]))
	}
	if err := cmd(os.Args[2:]); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "enginebench:", err)
	os.Exit(1)
}

// timingFlags are the flags of the timing subcommands.
type timingFlags struct {
	scenarios string
	seconds   float64
	out       string
	ref       string
	only      string
}

func parseTiming(name string, args []string) (timingFlags, error) {
	var f timingFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&f.scenarios, "scenarios", "bench/scenarios.json", "scenario list (JSON)")
	fs.Float64Var(&f.seconds, "seconds", 2, "seconds per cell")
	fs.StringVar(&f.out, "out", "", "folder for one output sample per scenario")
	fs.StringVar(&f.ref, "ref", "", "folder for the lossless PNG references (ours only)")
	fs.StringVar(&f.only, "only", "", "run only the scenario with this id")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if f.out == "" || f.seconds <= 0 {
		return f, fmt.Errorf("%s: -out and a positive -seconds are required", name)
	}
	return f, os.MkdirAll(f.out, 0o755)
}

// loadScenarios reads the scenario list, or only the scenario with id only
// when it is not empty.
func loadScenarios(path, only string) ([]Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s []Scenario
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if only == "" {
		return s, nil
	}
	for _, sc := range s {
		if sc.ID == only {
			return []Scenario{sc}, nil
		}
	}
	return nil, fmt.Errorf("%s: no scenario %q", path, only)
}

// printReport writes r as indented JSON on stdout.
func printReport(r Report) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	return enc.Encode(r)
}

// cell builds the Result of ops done by threads workers in elapsed time.
func cell(id string, threads, ops int, elapsed time.Duration, bytes int) Result {
	s := elapsed.Seconds()
	return Result{ID: id, Threads: threads, Ops: ops, Seconds: s, OpsPerSec: float64(ops) / s, Bytes: bytes}
}

// logCell reports progress on stderr.
func logCell(tool string, r Result) {
	fmt.Fprintf(os.Stderr, "%s %s threads=%d: %.1f ops/s (%d ops)\n", tool, r.ID, r.Threads, r.OpsPerSec, r.Ops)
}

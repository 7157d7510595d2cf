package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/bench/quality"
	"github.com/cloudresizer/cloudresizer/vips"
)

// Markers delimit the generated part of the benchmarks page. BENCH_SECTION
// names the part, so that runs against each libvips build keep their own
// table (make bench VIPS=npm writes "bench-npm").
var (
	section     = cmp.Or(os.Getenv("BENCH_SECTION"), "bench")
	startMarker = "<!-- " + section + ":start -->"
	endMarker   = "<!-- " + section + ":end -->"
)

// tools in table order; ours is compared with the first peer.
var tools = []string{"ours", "sharp", cliTool}

// sample is one tool's output of one scenario, as judged against the reference.
type sample struct {
	w, h  int
	bytes int
	ssim  float64
}

// runReport computes the quality of every sample and writes the tables into
// the marked section of the benchmarks page.
func runReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	scenarioFile := fs.String("scenarios", "bench/scenarios.json", "scenario list (JSON)")
	dir := fs.String("results", "", "folder with <tool>.json, <tool>/ samples and ref/")
	doc := fs.String("doc", "docs/benchmarks.md", "page whose marked section is replaced")
	seconds := fs.Float64("seconds", 0, "seconds per cell and round, for the record")
	rounds := fs.Int("rounds", 1, "rounds run, for the record")
	if err := fs.Parse(args); err != nil {
		return err
	}
	scenarios, err := loadScenarios(*scenarioFile, "")
	if err != nil {
		return err
	}
	reports, err := loadReports(*dir)
	if err != nil {
		return err
	}
	samples, err := judgeAll(scenarios, *dir)
	if err != nil {
		return err
	}
	md := render(scenarios, reports, samples, *seconds, *rounds)
	fmt.Print(md)
	return splice(*doc, md)
}

// loadReports merges every round of every tool found in dir/runs, keeping
// the best cell of each (scenario, threads): on a shared, noisy machine the
// fastest round is the one least disturbed by other work.
func loadReports(dir string) (map[string]Report, error) {
	out := map[string]Report{}
	for _, t := range tools {
		files, err := filepath.Glob(filepath.Join(dir, "runs", t+"-*.json"))
		if err != nil || len(files) == 0 {
			return nil, fmt.Errorf("no results of %s in %s/runs: %v", t, dir, err)
		}
		var merged Report
		for _, f := range files {
			r, err := readReport(f)
			if err != nil {
				return nil, err
			}
			merged = mergeBest(merged, r)
		}
		out[t] = merged
	}
	return out, nil
}

func readReport(path string) (Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Report{}, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return Report{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// mergeBest adds r's cells to into, keeping the faster of two equal cells.
func mergeBest(into, r Report) Report {
	into.Tool, into.Version = r.Tool, r.Version
	for _, c := range r.Results {
		i := slices.IndexFunc(into.Results, func(x Result) bool { return x.ID == c.ID && x.Threads == c.Threads })
		switch {
		case i < 0:
			into.Results = append(into.Results, c)
		case c.OpsPerSec > into.Results[i].OpsPerSec:
			into.Results[i] = c
		}
	}
	return into
}

// judgeAll returns the samples of every tool, by scenario id then tool.
func judgeAll(scenarios []Scenario, dir string) (map[string]map[string]sample, error) {
	e, err := vips.New(vips.Config{Limits: resizer.DefaultLimits, Concurrency: 1, Threads: 1})
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]sample{}
	for _, sc := range scenarios {
		ref, err := decodePNGFile(filepath.Join(dir, "ref", sc.ID+".png"))
		if err != nil {
			return nil, err
		}
		out[sc.ID] = map[string]sample{}
		for _, t := range tools {
			s, err := judge(e, ref, filepath.Join(dir, t, sc.ID+"."+sc.Format))
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", t, sc.ID, err)
			}
			out[sc.ID][t] = s
		}
	}
	return out, nil
}

// judge converts the sample at path losslessly to PNG at the reference's
// size with our engine (a no-op resample when the sizes agree; it is how
// WebP and AVIF get decoded) and measures its SSIM against ref.
func judge(e *vips.Engine, ref image.Image, path string) (sample, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return sample{}, err
	}
	m, err := e.Probe(context.Background(), b)
	if err != nil {
		return sample{}, err
	}
	size := ref.Bounds().Size()
	outs, err := e.Transform(context.Background(), b, resizer.Options{Width: size.X, Height: size.Y,
		Fit: resizer.FitFill, Enlarge: true, Format: resizer.PNG})
	if err != nil {
		return sample{}, err
	}
	img, err := png.Decode(bytes.NewReader(outs[0].Bytes))
	if err != nil {
		return sample{}, err
	}
	ssim, err := quality.SSIM(ref, img)
	return sample{w: m.Width, h: m.Height, bytes: len(b), ssim: ssim}, err
}

func decodePNGFile(path string) (image.Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return png.Decode(bytes.NewReader(b))
}

// render returns the generated section: run facts, the speed table and the
// quality table.
func render(scenarios []Scenario, reports map[string]Report, samples map[string]map[string]sample, seconds float64, rounds int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n<!-- generated by `make bench` (bench/run.sh); do not edit by hand -->\n\n", startMarker)
	fmt.Fprintf(&b, "Run of %s: %s, %d CPUs as Go sees them, best of %d rounds of %.1f s per cell.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), cpuModel(), runtime.NumCPU(), rounds, seconds)
	for _, t := range tools {
		fmt.Fprintf(&b, "%s: %s.\n", t, reports[t].Version)
	}
	b.WriteString("\n" + speedTable(scenarios, reports, samples))
	b.WriteString("\n" + qualityTable(scenarios, samples))
	fmt.Fprintf(&b, "\n%s\n", endMarker)
	return b.String()
}

// speedTable has one row per scenario and thread count.
func speedTable(scenarios []Scenario, reports map[string]Report, samples map[string]map[string]sample) string {
	var b strings.Builder
	b.WriteString("| scenario | threads | ours ops/s | sharp ops/s | vipsthumbnail ops/s¹ | ours/sharp | bytes ours/sharp | SSIM ours/sharp |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|\n")
	wins, rows := 0, 0
	for _, sc := range scenarios {
		for _, r := range reports["ours"].Results {
			if r.ID != sc.ID {
				continue
			}
			sh, vt := find(reports["sharp"], r.ID, r.Threads), find(reports[cliTool], r.ID, r.Threads)
			ratio := r.OpsPerSec / sh.OpsPerSec
			rows++
			if !below(ratio) {
				wins++
			}
			s := samples[sc.ID]
			fmt.Fprintf(&b, "| %s | %s | %.1f | %.1f | %.1f | %s | %d / %d | %.4f / %.4f |\n",
				sc.Title, threadLabel(r.Threads), r.OpsPerSec, sh.OpsPerSec, vt.OpsPerSec, ratioCell(ratio),
				s["ours"].bytes, s["sharp"].bytes, s["ours"].ssim, s["sharp"].ssim)
		}
	}
	fmt.Fprintf(&b, "\nOurs is at least 1.0× sharp on %d of %d rows (ratios below 1.0 in bold).\n", wins, rows)
	b.WriteString("¹ vipsthumbnail times whole processes, each thumbnailing many copies of the input, so its start-up is included but amortised.\n")
	return b.String()
}

// qualityTable compares every tool's output of each scenario.
func qualityTable(scenarios []Scenario, samples map[string]map[string]sample) string {
	var b strings.Builder
	b.WriteString("| scenario | size ours / sharp / vipsthumbnail | bytes ours / sharp / vipsthumbnail | SSIM ours / sharp / vipsthumbnail |\n")
	b.WriteString("|---|---|--:|--:|\n")
	for _, sc := range scenarios {
		var size, byt, ssim []string
		for _, t := range tools {
			s := samples[sc.ID][t]
			size = append(size, fmt.Sprintf("%d×%d", s.w, s.h))
			byt = append(byt, fmt.Sprint(s.bytes))
			ssim = append(ssim, fmt.Sprintf("%.4f", s.ssim))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", sc.Title,
			strings.Join(size, " / "), strings.Join(byt, " / "), strings.Join(ssim, " / "))
	}
	return b.String()
}

func find(r Report, id string, threads int) Result {
	for _, x := range r.Results {
		if x.ID == id && x.Threads == threads {
			return x
		}
	}
	return Result{}
}

func threadLabel(n int) string {
	if n == 1 {
		return "1"
	}
	return fmt.Sprintf("all (%d)", n)
}

// below says whether ratio r shows as less than 1.00×.
func below(r float64) bool { return math.Round(r*100) < 100 }

func ratioCell(r float64) string {
	if below(r) {
		return fmt.Sprintf("**%.2f×**", r)
	}
	return fmt.Sprintf("%.2f×", r)
}

// cpuModel names the processor, from /proc/cpuinfo where there is one.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOOS + "/" + runtime.GOARCH
}

// splice replaces the marked section of the page at path with md, keeping
// the rest; a page without markers gets the section appended.
func splice(path, md string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(old)
	i, j := strings.Index(s, startMarker), strings.Index(s, endMarker)
	switch {
	case i >= 0 && j > i:
		s = s[:i] + strings.TrimSuffix(md, "\n") + s[j+len(endMarker):]
	default:
		s = strings.TrimRight(s, "\n") + "\n\n" + md
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

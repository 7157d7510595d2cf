package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// Env describes the run.
type Env struct {
	Date    string  `json:"date"`
	CPUs    int     `json:"cpus"`
	Go      string  `json:"go"`
	Libvips string  `json:"libvips"` // ours
	Sharp   string  `json:"sharp"`   // sharp and its libvips
	Redis   string  `json:"redis"`   // redis-server's version
	Workers int     `json:"workers"`
	Queue   int     `json:"queue"`
	Seconds float64 `json:"seconds"`
	Rounds  int     `json:"rounds"`
	Levels  []int   `json:"levels"`
	Minutes float64 `json:"minutes"`
	// LoadStart and LoadEnd are /proc/loadavg's 1, 5 and 15 minute load
	// averages at the start and at the end of the run.
	LoadStart string `json:"loadStart"`
	LoadEnd   string `json:"loadEnd"`
}

// Report is everything one run measured.
type Report struct {
	Env    Env                    `json:"env"`
	Cells  []Cell                 `json:"cells"`
	Engine map[string]EngineStats `json:"engine"` // by cold scenario id
	// Batch is the batch scenario on ours, BatchEngine its transforms with
	// the engine alone.
	Batch       *BatchStats `json:"batch,omitempty"`
	BatchEngine EngineStats `json:"batchEngine"`
}

// find returns the cell of scenario, server and concurrency c, or nil.
func (r *Report) find(scenario, server string, c int) *Cell {
	for i := range r.Cells {
		if x := &r.Cells[i]; x.Scenario == scenario && x.Server == server && x.C == c {
			return x
		}
	}
	return nil
}

// keep records a round's cell: the round with the most req/s stays, but
// with the highest peak RSS and the most errors of any round, so that a
// lucky round hides neither memory nor failures.
func (r *Report) keep(c Cell) {
	old := r.find(c.Scenario, c.Server, c.C)
	if old == nil {
		r.Cells = append(r.Cells, c)
		return
	}
	best := *old
	if c.RPS > old.RPS {
		best = c
	}
	best.PeakRSS = max(old.PeakRSS, c.PeakRSS)
	best.ServerErr = max(old.ServerErr, c.ServerErr)
	best.OtherErr = max(old.OtherErr, c.OtherErr)
	best.CacheOff = max(old.CacheOff, c.CacheOff)
	*old = best
}

// sections are the parts of the benchmarks page this harness writes, each
// between its markers, in page order.
var sections = []string{"load", "load-cloud", "load-batch"}

// markers returns the start and end markers of a section.
func markers(section string) (start, end string) {
	return "<!-- " + section + ":start -->", "<!-- " + section + ":end -->"
}

// writeSections replaces what lies between each section's markers of the
// page at path with its markdown in mds (in the order of sections). A
// section without markers is added after the one before it, or at the end
// of the page.
func writeSections(path string, mds []string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	page := string(b)
	for k, name := range sections {
		page = replaceSection(page, name, k, mds[k])
	}
	return os.WriteFile(path, []byte(page), 0o644)
}

// replaceSection puts md between the markers of section name, the k-th of
// sections, in page.
func replaceSection(page, name string, k int, md string) string {
	start, end := markers(name)
	i, j := strings.Index(page, start), strings.Index(page, end)
	if i < 0 || j < i {
		at := len(strings.TrimRight(page, "\n"))
		if k > 0 {
			_, prevEnd := markers(sections[k-1])
			if p := strings.Index(page, prevEnd); p >= 0 {
				at = p + len(prevEnd)
			}
		}
		page = page[:at] + "\n\n" + start + "\n" + end + "\n" + strings.TrimLeft(page[at:], "\n")
		i, j = strings.Index(page, start), strings.Index(page, end)
	}
	return page[:i+len(start)] + "\n" + md + page[j:]
}

// markdown renders the section: method, tables and goals.
func (r *Report) markdown() string {
	var b strings.Builder
	r.writeMethod(&b)
	r.writeCold(&b)
	r.writeEngine(&b)
	r.writeHits(&b)
	r.writeUploads(&b)
	r.writeGoals(&b)
	return b.String()
}

// num formats a rate: one decimal below 100.
func num(f float64) string {
	if f < 100 {
		return fmt.Sprintf("%.1f", f)
	}
	return fmt.Sprintf("%.0f", f)
}

// ms formats a latency in milliseconds; "–" when there was no answer.
func ms(f float64) string {
	switch {
	case f < 0:
		return "–"
	case f < 10:
		return fmt.Sprintf("%.2f", f)
	case f < 100:
		return fmt.Sprintf("%.1f", f)
	}
	return fmt.Sprintf("%.0f", f)
}

// ratio formats a/b as "1.23×", "–" when b is zero.
func ratio(a, b float64) string {
	if b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// errs formats the error counts of a cell: 503s, then other 5xx and the rest.
func errs(c *Cell) string {
	s := fmt.Sprintf("%d / %d / %d", c.Shed, c.ServerErr, c.OtherErr)
	if c.CacheOff > 0 {
		s += fmt.Sprintf(" (%d with another X-Cache)", c.CacheOff)
	}
	return s
}

// verdict is PASS or FAIL in bold.
func verdict(ok bool) string {
	if ok {
		return "**PASS**"
	}
	return "**FAIL**"
}

func (r *Report) writeMethod(b *strings.Builder) {
	e := r.Env
	fmt.Fprintf(b, `## Load: the HTTP service under concurrency

`+"`make load`"+` (`+"`bench/load/run.sh`"+`) drives the service over HTTP with
[vegeta](https://github.com/tsenart/vegeta) used as a library (`+"`bench/load`"+`),
and does the same cold resizes, in the same run, with a small Node server on
sharp (`+"`bench/sharp/server.js`"+`), the peer to beat. Everything runs on
127.0.0.1 of the same machine, the load generator included.

- **Closed loop.** Each cell keeps *c* requests in flight (vegeta with *c*
  workers and no rate limit) for %.0f s (`+"`LOAD_SECONDS`"+`). *req/s* counts 2xx
  answers only; p50 and p99 are over 2xx answers; 503s are counted apart
  (columns *503 / 5xx / other*: 503, other 5xx, 4xx and transport errors).
- **Fresh process per cell.** Each cell starts its server anew, so the
  *peak RSS* (`+"`VmHWM`"+` from `+"`/proc/PID/status`"+`) belongs to that cell alone.
- **Rounds.** The whole list runs %d times (`+"`LOAD_ROUNDS`"+`); ours and its peer
  take turns on each cell, in an order that flips from level to level and
  from round to round. Each cell keeps its round with the most req/s, but
  the highest peak RSS and the most errors of all its rounds.
- **ours**: `+"`cloudresizer serve --workers %d --queue %d`"+` (%d CPUs). The queue
  is set so that c = 16 fits: %d requests are admitted, the next get 503 at once.
- **Cold resize.** Every request asks for a new variant: `+"`w=W&h=H&fit=inside`"+`
  with H counting up from W (the sources are landscape, so output and work stay
  the same), from a fresh copy of a storage that holds only the originals,
  with a 1 MiB memory cache. Every 2xx of ours is checked to be
  `+"`X-Cache: miss`"+`. The variant is still written to storage, as in production.
- **sharp**: `+"`node:http`"+`, the sources read into memory at start,
  `+"`sharp.cache(false)`"+`, `+"`UV_THREADPOOL_SIZE`"+` = CPUs and sharp's default
  concurrency; `+"`rotate().resize(W, H, {fit: 'inside'})`"+` then `+"`jpeg({quality})`"+`
  or `+"`webp({quality, effort: 4})`"+`, the same URL shape, no cache of any kind.
  Its sources are in memory, while ours reads the original from storage (the
  local disk) on every miss and writes the variant back: part of the service.
- **Overload.** At the highest *c*, ours admits %d requests and answers the
  others 503 at once (`+"`Retry-After: 2`"+`). vegeta does not wait: its workers
  send shed request after shed request, and that storm takes CPU from the
  transforms on the same cores. sharp has no admission limit and queues every
  request. Read req/s at that level as throughput under a storm of retries.
- **HTTP layer against the engine**: ours at c = workers against
  `+"`vips.Engine.Transform`"+` called in a loop in the harness process (one
  goroutine per CPU, `+"`vips.DefaultConfig()`"+`, the same options), one right
  after the other in each round.
- **Memory hit**: one variant (20 MP → 300 px JPEG) asked again and again
  with a 256 MiB cache; every 2xx is checked to be `+"`X-Cache: memory`"+`. The
  **bare** server (`+"`bench/load/bare`"+`, its own process) is the limit of the
  HTTP layer: a plain `+"`net/http`"+` handler that serves the same bytes from a map
  keyed by the URL path, with the same headers.
- **Upload**: `+"`POST /api/v1/images`"+` of a 4.4 MB 20 MP JPEG in one multipart
  part. The bytes are the same every time, so after the warm-up each upload
  streams, hashes and probes the file and finds it stored (uploads are
  idempotent).
- The machine has **%d cores, shared with other work, and is noisy**; the load
  generator takes its share of them too (most at the highest req/s, equally
  for ours and the bare server). Compare ratios within a run, not absolute
  numbers across runs.

Reproduce: `+"`make load`"+` (or `+"`bash bench/load/run.sh`"+`); `+"`LOAD_SECONDS=10`"+` for longer,
steadier cells; `+"`LOAD_KEEP=out/load`"+` keeps the logs, storages and `+"`results.json`"+`;
`+"`LOAD_LEVELS`"+` and `+"`LOAD_QUEUE`"+` change the concurrencies and the queue.

Run of %s: %s, ours on libvips %s, %s; %.0f s per cell, %.1f minutes in all
(this section and the two after it, which come from the same run); load
average (1, 5, 15 min) %s at the start, %s at the end.

`, e.Seconds, e.Rounds, e.Workers, e.Queue, e.CPUs, e.Workers+e.Queue, e.Workers+e.Queue, e.CPUs, e.Date, e.Go, e.Libvips, e.Sharp, e.Seconds, e.Minutes,
		e.LoadStart, e.LoadEnd)
}

func (r *Report) writeCold(b *strings.Builder) {
	b.WriteString("### Cold resize: ours against sharp\n\n")
	b.WriteString("| scenario | c | ours req/s | p50 ms | p99 ms | peak RSS MiB | 503 / 5xx / other | sharp req/s | p50 ms | p99 ms | peak RSS MiB | ours / sharp req/s |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, sc := range coldScenarios {
		for _, c := range r.Env.Levels {
			o, s := r.find(sc.ID, "ours", c), r.find(sc.ID, "sharp", c)
			if o == nil || s == nil {
				continue
			}
			fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %.0f | %s | %s | %s | %s | %.0f | %s |\n", sc.Title, c,
				num(o.RPS), ms(o.P50), ms(o.P99), o.PeakRSS, errs(o), num(s.RPS), ms(s.P50), ms(s.P99), s.PeakRSS, ratio(o.RPS, s.RPS))
		}
	}
	b.WriteString("\n")
}

func (r *Report) writeEngine(b *strings.Builder) {
	b.WriteString("### Cold resize: the HTTP layer against the engine alone\n\n")
	fmt.Fprintf(b, "| scenario | engine alone ops/s | ours over HTTP req/s (c = %d) | p50 ms | p99 ms | HTTP / engine |\n", r.Env.Workers)
	b.WriteString("|---|--:|--:|--:|--:|--:|\n")
	for _, sc := range coldScenarios {
		o, e := r.find(sc.ID, "ours-http", r.Env.Workers), r.Engine[sc.ID]
		if o == nil {
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", sc.Title, num(e.OpsPerS), num(o.RPS), ms(o.P50), ms(o.P99), ratio(o.RPS, e.OpsPerS))
	}
	b.WriteString("\n")
}

func (r *Report) writeHits(b *strings.Builder) {
	b.WriteString("### Memory-cache hits: ours against a bare net/http handler\n\n")
	b.WriteString("| c | ours req/s | p50 ms | p99 ms | peak RSS MiB | 503 / 5xx / other | bare req/s | p50 ms | p99 ms | peak RSS MiB | ours / bare req/s |\n")
	b.WriteString("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, c := range r.Env.Levels {
		o, x := r.find("memory-hit", "ours", c), r.find("memory-hit", "bare", c)
		if o == nil || x == nil {
			continue
		}
		fmt.Fprintf(b, "| %d | %s | %s | %s | %.0f | %s | %s | %s | %s | %.0f | %s |\n", c,
			num(o.RPS), ms(o.P50), ms(o.P99), o.PeakRSS, errs(o), num(x.RPS), ms(x.P50), ms(x.P99), x.PeakRSS, ratio(o.RPS, x.RPS))
	}
	b.WriteString("\n")
}

func (r *Report) writeUploads(b *strings.Builder) {
	b.WriteString("### Upload of a 4.4 MB JPEG\n\n")
	b.WriteString("| c | req/s | MB/s | p50 ms | p99 ms | peak RSS MiB | 503 / 5xx / other |\n")
	b.WriteString("|--:|--:|--:|--:|--:|--:|--:|\n")
	size := fileMB(uploadInput)
	for _, c := range r.Env.Levels {
		if o := r.find("upload", "ours", c); o != nil {
			fmt.Fprintf(b, "| %d | %s | %.0f | %s | %s | %.0f | %s |\n", c, num(o.RPS), o.RPS*size, ms(o.P50), ms(o.P99), o.PeakRSS, errs(o))
		}
	}
	b.WriteString("\n")
}

// fileMB is the size of a file in MB (10⁶ bytes), 0 when it cannot be read.
func fileMB(path string) float64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return float64(fi.Size()) / 1e6
}

func (r *Report) writeGoals(b *strings.Builder) {
	b.WriteString("### Goals\n\n")
	for _, g := range []func() string{r.goalCold, r.goalEngine, r.goalHits, r.goalOverload} {
		b.WriteString("- " + g() + "\n")
	}
	b.WriteString("\n")
}

// goalCold: cold resize at least 1.1× sharp's req/s with no more peak memory,
// in every cell.
func (r *Report) goalCold() string {
	var fails []string
	n := 0
	for _, sc := range coldScenarios {
		for _, c := range r.Env.Levels {
			o, s := r.find(sc.ID, "ours", c), r.find(sc.ID, "sharp", c)
			if o == nil || s == nil {
				continue
			}
			n++
			if o.RPS < 1.1*s.RPS || o.PeakRSS > s.PeakRSS {
				fails = append(fails, fmt.Sprintf("%s c=%d (%s req/s, RSS %.0f / %.0f MiB)", sc.ID, c, ratio(o.RPS, s.RPS), o.PeakRSS, s.PeakRSS))
			}
		}
	}
	s := fmt.Sprintf("%s cold resize ≥ 1.1× sharp's req/s with no more peak RSS: %d of %d cells meet it", verdict(len(fails) == 0), n-len(fails), n)
	if len(fails) > 0 {
		s += "; short: " + strings.Join(fails, ", ")
	}
	return s + "."
}

// goalEngine: the HTTP layer costs under 5 % against the engine alone.
func (r *Report) goalEngine() string {
	var parts []string
	ok := true
	for _, sc := range coldScenarios {
		o, e := r.find(sc.ID, "ours-http", r.Env.Workers), r.Engine[sc.ID]
		if o == nil || e.OpsPerS == 0 {
			continue
		}
		ok = ok && o.RPS >= 0.95*e.OpsPerS
		parts = append(parts, fmt.Sprintf("%s %s", sc.ID, ratio(o.RPS, e.OpsPerS)))
	}
	return fmt.Sprintf("%s the HTTP layer costs < 5 %% against the engine (HTTP req/s ≥ 0.95× engine ops/s): %s.",
		verdict(ok && len(parts) > 0), strings.Join(parts, ", "))
}

// goalHits: memory hits at least 0.8× the bare handler at every level, and
// p99 under 5 ms at the highest level.
func (r *Report) goalHits() string {
	var parts []string
	ok := true
	for _, c := range r.Env.Levels {
		o, x := r.find("memory-hit", "ours", c), r.find("memory-hit", "bare", c)
		if o == nil || x == nil {
			continue
		}
		ok = ok && o.RPS >= 0.8*x.RPS && o.CacheOff == 0
		parts = append(parts, fmt.Sprintf("c=%d %s", c, ratio(o.RPS, x.RPS)))
	}
	top := slices.Max(r.Env.Levels)
	p99 := -1.0
	if o := r.find("memory-hit", "ours", top); o != nil {
		p99 = o.P99
	}
	okP99 := p99 >= 0 && p99 < 5
	return fmt.Sprintf("%s memory hits ≥ 0.8× the bare net/http handler's req/s: %s. %s p99 < 5 ms at c=%d: %s ms.",
		verdict(ok && len(parts) > 0), strings.Join(parts, ", "), verdict(okP99), top, ms(p99))
}

// goalOverload: at the highest level, cold requests are shed with 503, no
// other 5xx, and the peak RSS stays within 1.25× that of the level below
// (which fits in workers + queue): memory does not grow with the load.
func (r *Report) goalOverload() string {
	lv := r.Env.Levels
	if len(lv) < 2 {
		return "overload: needs two levels or more."
	}
	top, below := lv[len(lv)-1], lv[len(lv)-2]
	var parts []string
	ok := true
	for _, sc := range coldScenarios {
		o, ref := r.find(sc.ID, "ours", top), r.find(sc.ID, "ours", below)
		if o == nil || ref == nil {
			continue
		}
		ok = ok && o.Shed > 0 && o.ServerErr == 0 && o.PeakRSS <= 1.25*ref.PeakRSS
		parts = append(parts, fmt.Sprintf("%s: %d × 503 (p99 %s ms), %d other 5xx, peak RSS %.0f MiB at c=%d against %.0f at c=%d",
			sc.ID, o.Shed, ms(o.Shed99), o.ServerErr, o.PeakRSS, top, ref.PeakRSS, below))
	}
	return fmt.Sprintf("%s overload (c=%d on cold requests) sheds with 503 and no other 5xx, peak RSS within 1.25× of c=%d: %s.",
		verdict(ok && len(parts) > 0), top, below, strings.Join(parts, "; "))
}

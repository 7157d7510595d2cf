package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/vips"
)

// resizeCmd resizes local files with the same engine the service uses.
type resizeCmd struct {
	Width       int      `short:"w" help:"Width in pixels."`
	Height      int      `short:"h" help:"Height in pixels."`
	Fit         string   `default:"cover" enum:"cover,contain,fill,inside,outside" help:"How to fit the box: ${enum}."`
	Gravity     string   `default:"centre" help:"What a crop keeps: centre, north, northeast, …, attention, entropy."`
	Format      string   `help:"Output format: jpeg, png, webp, avif, gif (default: the input's, else jpeg, or png with alpha)."`
	Quality     int      `short:"q" help:"Quality 1-100 (default: per format)."`
	DPR         float64  `default:"1" help:"Device pixel ratio 1-4: multiplies width and height."`
	Background  string   `default:"ffffff" help:"Background colour for contain and for flattening alpha, hex."`
	Enlarge     bool     `help:"Allow scaling up past the original size."`
	Progressive bool     `help:"Progressive JPEG / interlaced PNG."`
	Lossless    bool     `help:"Lossless WebP."`
	Workers     int      `help:"Files resized at once (default: one per CPU)."`
	MaxPixels   int64    `default:"100000000" help:"Refuse images with more pixels than this."`
	Out         string   `short:"o" required:"" help:"Output folder (created if missing)."`
	Inputs      []string `arg:"" name:"input" help:"Image files or folders (walked recursively)."`
}

// task is one input file and where its output goes.
type task struct {
	path     string
	explicit bool // named on the command line, not found in a folder
}

// resizeStats is the run's summary.
type resizeStats struct {
	mu                    sync.Mutex
	done, failed, skipped int
	bytesIn, bytesOut     int64
}

// Run resizes every input and returns exit status 1 if any failed.
func (c *resizeCmd) Run(ctx context.Context, e env) error {
	opts, err := c.options()
	if err != nil {
		fmt.Fprintln(e.stderr, "cloudresizer resize:", resizer.ErrorMessage(err))
		return exitCode(exitUsage)
	}
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return err
	}
	engine, err := c.engine()
	if err != nil {
		return err
	}
	r := &resizeRun{cmd: c, env: e, opts: opts, engine: engine, names: newNamer(c.Out), progress: newProgress(e)}
	tasks := r.collect()
	start := time.Now()
	r.progress.start(len(tasks))
	r.runAll(ctx, tasks)
	r.progress.finish()
	r.summary(time.Since(start))
	if r.stats.failed > 0 {
		return exitCode(exitFailed)
	}
	return nil
}

func (c *resizeCmd) options() (resizer.Options, error) {
	bg, err := resizer.ParseColour(c.Background)
	if err != nil {
		return resizer.Options{}, err
	}
	o := resizer.Options{
		Width: c.Width, Height: c.Height, Fit: resizer.Fit(c.Fit), Gravity: resizer.Gravity(c.Gravity),
		Quality: c.Quality, DPR: c.DPR, Background: bg, Enlarge: c.Enlarge,
		Progressive: c.Progressive, Lossless: c.Lossless,
	}
	if c.Format != "" {
		if o.Format = resizer.ParseFormat(c.Format); !o.Format.Encodable() {
			return o, resizer.Errorf(resizer.EINVALID, "format must be one of jpeg, png, webp, avif, gif")
		}
	}
	o = o.Normalize()
	return o, o.Validate()
}

func (c *resizeCmd) engine() (*vips.Engine, error) {
	cfg := vips.DefaultConfig()
	cfg.Limits.MaxPixels = c.MaxPixels
	cfg.Limits.MaxBytes = 1 << 30 // local files: only the pixel limit matters
	if c.Workers > 0 {
		cfg.Concurrency = c.Workers
	}
	return vips.New(cfg)
}

// resizeRun is the state of one resize command.
type resizeRun struct {
	cmd      *resizeCmd
	env      env
	opts     resizer.Options
	engine   *vips.Engine
	names    *namer
	progress *progress
	stats    resizeStats
}

// collect expands the inputs into files. A missing input is a failure; files
// inside folders that are not images are skipped with a warning.
func (r *resizeRun) collect() []task {
	var tasks []task
	for _, in := range r.cmd.Inputs {
		info, err := os.Stat(in)
		switch {
		case err != nil:
			r.fail(in, err.Error())
		case info.IsDir():
			tasks = append(tasks, r.walk(in)...)
		default:
			tasks = append(tasks, task{path: in, explicit: true})
		}
	}
	for _, t := range tasks {
		r.names.reserveInput(t.path)
	}
	return tasks
}

func (r *resizeRun) walk(dir string) []task {
	var tasks []task
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			r.fail(path, err.Error())
			return nil
		}
		if d.Type().IsRegular() {
			tasks = append(tasks, task{path: path})
		}
		return nil
	})
	if err != nil {
		r.fail(dir, err.Error())
	}
	return tasks
}

func (r *resizeRun) runAll(ctx context.Context, tasks []task) {
	work := make(chan task)
	var wg sync.WaitGroup
	for range max(1, min(r.workers(), len(tasks))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				r.one(ctx, t)
				r.progress.step()
			}
		}()
	}
	for _, t := range tasks {
		if ctx.Err() != nil {
			r.fail(t.path, "interrupted")
			continue
		}
		work <- t
	}
	close(work)
	wg.Wait()
}

func (r *resizeRun) workers() int {
	if r.cmd.Workers > 0 {
		return r.cmd.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// one resizes a single file and records the outcome.
func (r *resizeRun) one(ctx context.Context, t task) {
	src, err := os.ReadFile(t.path)
	if err != nil {
		r.fail(t.path, err.Error())
		return
	}
	if !t.explicit && len(src) > 0 && resizer.Sniff(src) == resizer.FormatUnknown {
		r.skip(t.path)
		return
	}
	outs, err := r.engine.Transform(ctx, src, r.opts)
	if err != nil {
		r.fail(t.path, resizer.ErrorMessage(err))
		return
	}
	out := outs[0]
	dst, err := r.names.claim(t.path, out.Format)
	if err == nil {
		err = writeAtomic(dst, out.Bytes)
	}
	if err != nil {
		r.fail(t.path, err.Error())
		return
	}
	r.stats.mu.Lock()
	r.stats.done++
	r.stats.bytesIn += int64(len(src))
	r.stats.bytesOut += int64(len(out.Bytes))
	r.stats.mu.Unlock()
	r.progress.line(fmt.Sprintf("%s → %s (%dx%d, %s)", t.path, dst, out.Width, out.Height, humanBytes(int64(len(out.Bytes)))))
}

func (r *resizeRun) fail(path, reason string) {
	r.stats.mu.Lock()
	r.stats.failed++
	r.stats.mu.Unlock()
	r.progress.errorf("error: %s: %s", path, reason)
}

func (r *resizeRun) skip(path string) {
	r.stats.mu.Lock()
	r.stats.skipped++
	r.stats.mu.Unlock()
	r.progress.errorf("warning: %s: skipped, not an image", path)
}

func (r *resizeRun) summary(d time.Duration) {
	s := &r.stats
	fmt.Fprintf(r.env.stdout, "%d resized, %d failed, %d skipped; %s in, %s out; %s\n",
		s.done, s.failed, s.skipped, humanBytes(s.bytesIn), humanBytes(s.bytesOut), d.Round(time.Millisecond))
}

// writeAtomic writes through a temporary file and a rename, so an interrupted
// run never leaves half an image under the final name.
func writeAtomic(dst string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(dst), ".tmp-"+filepath.Base(dst)+"-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), dst)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// namer hands out output file names: <base>.<ext> in the output folder, made
// unique with -2, -3… so no output lands on an input or on another output.
type namer struct {
	mu    sync.Mutex
	dir   string
	taken map[string]bool
}

func newNamer(dir string) *namer { return &namer{dir: dir, taken: map[string]bool{}} }

func (n *namer) reserveInput(path string) {
	if abs, err := filepath.Abs(path); err == nil {
		n.mu.Lock()
		n.taken[abs] = true
		n.mu.Unlock()
	}
}

func (n *namer) claim(input string, f resizer.Format) (string, error) {
	base := strings.TrimSuffix(filepath.Base(input), filepath.Ext(input))
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		p := filepath.Join(n.dir, name+"."+f.Ext())
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		if !n.taken[abs] {
			n.taken[abs] = true
			return p, nil
		}
	}
}

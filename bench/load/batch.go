package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/internal/form"
	"github.com/cloudresizer/cloudresizer/vips"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// batchSources are the photos the batch originals are made of, in turn.
var batchSources = []string{
	"testdata/corpus/photos/kleiber_20mp_baseline.jpg",
	"testdata/corpus/photos/seeding_16mp_progressive.jpg",
	"testdata/corpus/photos/dragonfly_13mp_progressive.jpg",
}

// batchPresets are the presets every original of the batch is made into.
var batchPresets = []string{"thumb", "small", "large"}

// batchTimeout bounds one batch, from the upload of the first original.
const batchTimeout = 20 * time.Minute

// BatchStats is one batch on ours: images × presets, from the request that
// creates it to the status that says it is done.
type BatchStats struct {
	Images        int     `json:"images"`
	Items         int     `json:"items"`
	Failed        int     `json:"failed"`
	UploadSeconds float64 `json:"uploadSeconds"` // the originals' uploads, before the batch
	Seconds       float64 `json:"seconds"`
	ImagesPerS    float64 `json:"imagesPerSec"`
	ItemsPerS     float64 `json:"itemsPerSec"`
	PeakRSS       float64 `json:"peakRSS"` // MiB
}

// batchOriginal is the i-th original of the batch: a source photo with a
// unique tail after its end-of-image marker, which decoders ignore, so that
// every original has its own id and shares no variant.
func batchOriginal(srcs [][]byte, i int) []byte {
	src := srcs[i%len(srcs)]
	tail := fmt.Sprintf("cloudresizer-load original %d", i)
	return append(src[:len(src):len(src)], tail...)
}

// readBatchSources reads the source photos.
func readBatchSources() ([][]byte, error) {
	var out [][]byte
	for _, p := range batchSources {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// presetOptions returns the engine options of the named default preset,
// with the JPEG output that a JPEG original gets.
func presetOptions(name string) (resizer.Options, error) {
	for _, p := range resizer.DefaultPresets {
		if p.Name == name {
			o := p.Options
			o.Format = resizer.Format("jpeg")
			return o, nil
		}
	}
	return resizer.Options{}, fmt.Errorf("no default preset %q", name)
}

// batchOurs uploads n distinct originals to a fresh cloudresizer, then
// times one batch of them into every preset.
func (h *harness) batchOurs(ctx context.Context, n int) (BatchStats, error) {
	storage, _ := h.next("storage")
	defer os.RemoveAll(storage)
	s, err := h.startOurs(ctx, storage, warmCache)
	if err != nil {
		return BatchStats{}, err
	}
	defer s.stop()
	ctx, cancel := context.WithTimeout(ctx, batchTimeout)
	defer cancel()
	st := BatchStats{Images: n}
	start := time.Now()
	ids, err := uploadOriginals(ctx, s.base, n)
	if err != nil {
		return st, err
	}
	st.UploadSeconds = time.Since(start).Seconds()
	if err := runOneBatch(ctx, s.base, ids, &st); err != nil {
		return st, fmt.Errorf("batch: %w\n%s", err, s.logTail())
	}
	if st.PeakRSS, err = s.peakRSS(); err != nil || s.exited() {
		return st, fmt.Errorf("cloudresizer died during the batch: %v\n%s", err, s.logTail())
	}
	fmt.Fprintf(os.Stderr, "load: batch         ours  %d × %d in %.1f s: %.2f images/s, %.2f items/s, %d failed, rss %.1f MiB\n",
		st.Images, len(batchPresets), st.Seconds, st.ImagesPerS, st.ItemsPerS, st.Failed, st.PeakRSS)
	return st, nil
}

// uploadOriginals uploads the n originals of the batch and returns their ids.
func uploadOriginals(ctx context.Context, base string, n int) ([]string, error) {
	srcs, err := readBatchSources()
	if err != nil {
		return nil, err
	}
	ids := make([]string, n)
	seen := map[string]bool{}
	for i := range n {
		name := fmt.Sprintf("original-%03d.jpg", i)
		if ids[i], err = uploadBytes(ctx, base, name, batchOriginal(srcs, i)); err != nil {
			return nil, err
		}
		if seen[ids[i]] {
			return nil, fmt.Errorf("%s got the id of an earlier original: %s", name, ids[i])
		}
		seen[ids[i]] = true
	}
	return ids, nil
}

// batchStatus is what GET /api/v1/batches/{id} says, less the items.
type batchStatus struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Total  int    `json:"total"`
	Done   int    `json:"done"`
	Failed int    `json:"failed"`
}

// runOneBatch creates a batch of ids × batchPresets and polls it until it
// is done, filling the timing and counts of st.
func runOneBatch(ctx context.Context, base string, ids []string, st *BatchStats) error {
	body, ctype, err := batchForm(ids)
	if err != nil {
		return err
	}
	t := vegeta.Target{Method: http.MethodPost, URL: base + "/api/v1/batches", Body: body, Header: authHeader()}
	t.Header.Set("Content-Type", ctype)
	start := time.Now()
	resp, b, err := do(ctx, t)
	if err != nil {
		return err
	}
	var created batchStatus
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(b, &created) != nil || created.Total != len(ids)*len(batchPresets) {
		return fmt.Errorf("create: %s %.300s", resp.Status, b)
	}
	final, err := pollBatch(ctx, base, created.ID)
	if err != nil {
		return err
	}
	el := time.Since(start).Seconds()
	st.Items, st.Failed, st.Seconds = final.Total, final.Failed, el
	st.ImagesPerS, st.ItemsPerS = float64(len(ids))/el, float64(final.Total)/el
	return nil
}

// batchForm builds the multipart body of a batch: one image_id field per
// id and one preset field per preset.
func batchForm(ids []string) ([]byte, string, error) {
	b, ctype := form.Body(nil, map[string][]string{"image_id": ids, "preset": batchPresets})
	return b.Bytes(), ctype, nil
}

// pollBatch asks for the batch's status every 100 ms until it is done.
func pollBatch(ctx context.Context, base, id string) (batchStatus, error) {
	t := vegeta.Target{Method: http.MethodGet, URL: base + "/api/v1/batches/" + id, Header: authHeader()}
	for {
		resp, b, err := do(ctx, t)
		if err != nil {
			return batchStatus{}, err
		}
		var st batchStatus
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &st) != nil {
			return batchStatus{}, fmt.Errorf("status: %s %.300s", resp.Status, b)
		}
		if st.State == "done" {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("%d of %d done, %d failed: %w", st.Done, st.Total, st.Failed, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// batchJob is one transform of the engine's share of the batch.
type batchJob struct {
	src  []byte
	opts resizer.Options
}

// batchJobs lists the batch's transforms for n originals, in the order the
// batch lists its items: every preset of the first original, and so on.
func batchJobs(n int) ([]batchJob, error) {
	srcs, err := readBatchSources()
	if err != nil {
		return nil, err
	}
	var jobs []batchJob
	for i := range n {
		for _, p := range batchPresets {
			o, err := presetOptions(p)
			if err != nil {
				return nil, err
			}
			jobs = append(jobs, batchJob{src: srcs[i%len(srcs)], opts: o})
		}
	}
	return jobs, nil
}

// timeBatchEngine does the batch's transforms with vips.Engine in this
// process, one goroutine per CPU taking the next job, and returns the
// items per second: the ceiling of the batch on this machine.
func timeBatchEngine(ctx context.Context, n int) (EngineStats, error) {
	jobs, err := batchJobs(n)
	if err != nil {
		return EngineStats{}, err
	}
	e, err := vips.New(vips.DefaultConfig())
	if err != nil {
		return EngineStats{}, err
	}
	if _, err := e.Transform(ctx, jobs[0].src, jobs[0].opts); err != nil { // warm-up
		return EngineStats{}, err
	}
	threads := runtime.NumCPU()
	var next atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for range threads {
		wg.Go(func() {
			for i := next.Add(1) - 1; int(i) < len(jobs) && ctx.Err() == nil; i = next.Add(1) - 1 {
				if _, err := e.Transform(ctx, jobs[i].src, jobs[i].opts); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return EngineStats{}, err
	}
	if err := ctx.Err(); err != nil {
		return EngineStats{}, err
	}
	el := time.Since(start).Seconds()
	return EngineStats{Threads: threads, Ops: len(jobs), Seconds: el, OpsPerS: float64(len(jobs)) / el}, nil
}

// runBatch times the engine's share of the batch, then the batch on ours,
// one right after the other; the best round of each is kept (with the
// highest peak RSS and the most failures of all rounds).
func runBatch(ctx context.Context, h *harness, rep *Report, _ int) error {
	n := h.cfg.batchImages
	e, err := timeBatchEngine(ctx, n)
	if err != nil {
		return fmt.Errorf("batch engine: %w", err)
	}
	fmt.Fprintf(os.Stderr, "load: batch         engine %d goroutines, %d items in %.1f s: %.2f items/s\n", e.Threads, e.Ops, e.Seconds, e.OpsPerS)
	if e.OpsPerS > rep.BatchEngine.OpsPerS {
		rep.BatchEngine = e
	}
	st, err := h.batchOurs(ctx, n)
	if err != nil {
		return err
	}
	rep.keepBatch(st)
	return nil
}

// keepBatch records a round's batch: the fastest stays, with the highest
// peak RSS and the most failures of any round.
func (r *Report) keepBatch(st BatchStats) {
	old := r.Batch
	if old == nil {
		r.Batch = &st
		return
	}
	best := *old
	if st.ImagesPerS > old.ImagesPerS {
		best = st
	}
	best.PeakRSS = max(old.PeakRSS, st.PeakRSS)
	best.Failed = max(old.Failed, st.Failed)
	*r.Batch = best
}

// batchInputs describes the sources for the report.
func batchInputs() string {
	var names []string
	for _, p := range batchSources {
		names = append(names, "`"+filepath.Base(p)+"`")
	}
	return fmt.Sprintf("%s, %s and %s", names[0], names[1], names[2])
}

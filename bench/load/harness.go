package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The identity and signing secret of every cloudresizer the harness starts.
const (
	apiKey = "load-harness-key-0123456789"
	secret = "load-harness-secret-0123456789abcdef"
)

// Cache sizes: cold cells get a cache too small to matter (keys never
// repeat anyway), the others the production default.
const (
	coldCache = "1MiB"
	warmCache = "256MiB"
)

// Cell is one measurement: a server under a scenario at a concurrency.
type Cell struct {
	Scenario string `json:"scenario"`
	Server   string `json:"server"` // ours, sharp or bare
	C        int    `json:"c"`
	Stats
}

// hitVariant is the variant of the memory-hit scenario, as ours serves it.
type hitVariant struct {
	path, query, file, contentType, etag string
}

// harness starts the servers and runs the cells.
type harness struct {
	cfg      config
	template string            // storage holding the uploaded sources
	ids      map[string]string // input path → image id
	hit      hitVariant
	n        int       // servers started so far: names their folders and logs
	versions [2]string // libvips of ours, sharp and its libvips
	s3       *s3Server // started by the first S3 cell, stopped by close
	redisVer string    // redis-server's version, from its log
}

// close stops the servers that live across cells.
func (h *harness) close() {
	if h.s3 != nil {
		h.s3.stop()
	}
}

// newHarness uploads the sources into a template storage and keeps the
// memory-hit variant for the bare server.
func newHarness(ctx context.Context, cfg config) (*harness, error) {
	h := &harness{cfg: cfg, template: filepath.Join(cfg.work, "template"), ids: map[string]string{}}
	s, err := h.startOurs(ctx, h.template, warmCache)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	for _, sc := range coldScenarios {
		if _, ok := h.ids[sc.Input]; ok {
			continue
		}
		if h.ids[sc.Input], err = upload(ctx, s.base, sc.Input); err != nil {
			return nil, err
		}
	}
	if err := h.keepHitVariant(ctx, s.base); err != nil {
		return nil, err
	}
	h.versions[0] = logMatch(s, `libvips=(\S+)`)
	s.stop()
	// The template holds the originals only: fetching the hit variant
	// stored it under variants/ of the disk storage, so that the first
	// request of a cell would find it there instead of computing it.
	return h, os.RemoveAll(filepath.Join(h.template, "variants"))
}

// authHeader is the header of every request to ours.
func authHeader() http.Header {
	return http.Header{"Authorization": {"Bearer " + apiKey}}
}

// upload sends input to ours and returns its image id.
func upload(ctx context.Context, base, input string) (string, error) {
	src, err := os.ReadFile(input)
	if err != nil {
		return "", err
	}
	return uploadBytes(ctx, base, filepath.Base(input), src)
}

// uploadBytes sends src, as a file called name, to ours and returns its
// image id.
func uploadBytes(ctx context.Context, base, name string, src []byte) (string, error) {
	body, ctype, err := multipartFile(name, src)
	if err != nil {
		return "", err
	}
	t := vegeta.Target{Method: http.MethodPost, URL: base + "/api/v1/images", Body: body, Header: authHeader()}
	t.Header.Set("Content-Type", ctype)
	resp, b, err := do(ctx, t)
	if err != nil {
		return "", err
	}
	var r struct{ Images []struct{ ID string } }
	if err := json.Unmarshal(b, &r); err != nil || len(r.Images) != 1 || resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("upload %s: %s %s", name, resp.Status, b)
	}
	return r.Images[0].ID, nil
}

// do sends one request outside an attack and returns the answer, whole.
func do(ctx context.Context, t vegeta.Target) (*http.Response, []byte, error) {
	req, err := t.Request()
	if err != nil {
		return nil, nil, err
	}
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// keepHitVariant fetches the memory-hit variant from ours into a file.
func (h *harness) keepHitVariant(ctx context.Context, base string) error {
	sc := hitScenario
	v := hitVariant{path: oursPath(h.ids[sc.Input]), query: sc.hitQuery().Encode(),
		file: filepath.Join(h.cfg.work, "hit-variant."+sc.Format)}
	resp, b, err := do(ctx, vegeta.Target{Method: http.MethodGet, URL: base + v.path + "?" + v.query, Header: authHeader()})
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("hit variant: %s %s", resp.Status, b)
	}
	v.contentType, v.etag = resp.Header.Get("Content-Type"), resp.Header.Get("ETag")
	h.hit = v
	return os.WriteFile(v.file, b, 0o644)
}

// next returns a new folder name and log file for the next server.
func (h *harness) next(kind string) (dir, log string) {
	h.n++
	base := filepath.Join(h.cfg.work, fmt.Sprintf("%03d-%s", h.n, kind))
	return base, base + ".log"
}

// startOurs starts cloudresizer on the disk storage folder storage with a
// memory cache of cache.
func (h *harness) startOurs(ctx context.Context, storage, cache string) (*server, error) {
	return h.startOursWith(ctx, oursOpts{storage: "file://" + storage, cache: cache})
}

// oursOpts is how to start cloudresizer: a storage URL, a memory cache size,
// optionally a Redis URL, and extra environment (the S3 keys).
type oursOpts struct {
	storage, cache, redis string
	env                   []string
}

// startOursWith starts cloudresizer with o.
func (h *harness) startOursWith(ctx context.Context, o oursOpts) (*server, error) {
	_, log := h.next("ours")
	argv := []string{h.cfg.bin, "serve", "--addr", "127.0.0.1:{port}", "--storage", o.storage,
		"--cache-size", o.cache, "--workers", strconv.Itoa(h.cfg.workers), "--queue", strconv.Itoa(h.cfg.queue),
		"--api-keys", apiKey + "=load", "--secret", secret, "--log-format", "text"}
	if o.redis != "" {
		argv = append(argv, "--redis", o.redis)
	}
	return startServer(ctx, "cloudresizer", "/healthz", log, argv, o.env)
}

// startSharp starts bench/sharp/server.js with the cold scenarios' inputs,
// one libuv thread per CPU.
func (h *harness) startSharp(ctx context.Context) (*server, error) {
	_, log := h.next("sharp")
	argv := []string{"node", filepath.Join("bench", "sharp", "server.js"), "{port}"}
	seen := map[string]bool{}
	for _, sc := range coldScenarios {
		if !seen[sc.Input] {
			seen[sc.Input] = true
			argv = append(argv, sc.Input)
		}
	}
	env := []string{"UV_THREADPOOL_SIZE=" + strconv.Itoa(runtime.NumCPU())}
	s, err := startServer(ctx, "sharp", "/healthz", log, argv, env)
	if err == nil && h.versions[1] == "" {
		h.versions[1] = logMatch(s, `^(sharp \S+ \(libvips \S+\))`)
	}
	return s, err
}

// startBare starts the bare net/http server with the memory-hit variant.
func (h *harness) startBare(ctx context.Context) (*server, error) {
	_, log := h.next("bare")
	argv := []string{h.cfg.bare, "-addr", "127.0.0.1:{port}", "-path", h.hit.path, "-file", h.hit.file,
		"-type", h.hit.contentType, "-etag", h.hit.etag}
	return startServer(ctx, "bare", "/healthz", log, argv, nil)
}

// freshStorage copies the template storage into a new folder.
func (h *harness) freshStorage() (string, error) {
	dir, _ := h.next("storage")
	return dir, os.CopyFS(dir, os.DirFS(h.template))
}

// logMatch returns the first group of re in the server's log, or "?".
func logMatch(s *server, re string) string {
	b, _ := os.ReadFile(s.log)
	m := regexp.MustCompile("(?m)" + re).FindSubmatch(b)
	if m == nil {
		return "?"
	}
	return string(m[1])
}

// measure warms s up with warm requests of tr, runs the attack and reads
// the server's peak RSS, then stops it.
func (h *harness) measure(ctx context.Context, s *server, scenario string, c int, tr vegeta.Targeter, warm int, expect string) (Cell, error) {
	defer s.stop()
	for range warm {
		var t vegeta.Target
		tr(&t)
		if resp, b, err := do(ctx, t); err != nil || resp.StatusCode/100 != 2 {
			return Cell{}, fmt.Errorf("%s %s warm-up: %v %s", s.name, scenario, err, b)
		}
	}
	st := attack(ctx, tr, c, h.cfg.seconds, expect)
	rss, err := s.peakRSS()
	if err != nil || s.exited() {
		return Cell{}, fmt.Errorf("%s died during %s c=%d: %v\n%s", s.name, scenario, c, err, s.logTail())
	}
	st.PeakRSS = rss
	cell := Cell{Scenario: scenario, Server: serverKey(s.name), C: c, Stats: st}
	logCell(cell)
	return cell, ctx.Err()
}

// serverKey is the short name of a server in the report.
func serverKey(name string) string {
	if name == "cloudresizer" {
		return "ours"
	}
	return name
}

// logCell reports progress on stderr.
func logCell(c Cell) {
	fmt.Fprintf(os.Stderr, "load: %-13s %-5s c=%-3d %8.1f req/s p50 %7.1f ms p99 %7.1f ms rss %6.1f MiB 503 %d err %d/%d\n",
		c.Scenario, c.Server, c.C, c.RPS, c.P50, c.P99, c.PeakRSS, c.Shed, c.ServerErr, c.OtherErr)
}

// coldOurs measures sc on a fresh cloudresizer: new variants only.
func (h *harness) coldOurs(ctx context.Context, sc Scenario, c int) (Cell, error) {
	storage, err := h.freshStorage()
	if err != nil {
		return Cell{}, err
	}
	defer os.RemoveAll(storage)
	s, err := h.startOurs(ctx, storage, coldCache)
	if err != nil {
		return Cell{}, err
	}
	tr := coldTargets(s.base, oursPath(h.ids[sc.Input]), nil, sc, authHeader())
	return h.measure(ctx, s, sc.ID, c, tr, 1, "miss")
}

// coldSharp measures sc on a fresh sharp server.
func (h *harness) coldSharp(ctx context.Context, sc Scenario, c int) (Cell, error) {
	s, err := h.startSharp(ctx)
	if err != nil {
		return Cell{}, err
	}
	tr := coldTargets(s.base, "/resize", url.Values{"src": {sourceName(sc.Input)}}, sc, nil)
	return h.measure(ctx, s, sc.ID, c, tr, 1, "")
}

// hitOurs measures memory-cache hits of one variant on a fresh cloudresizer.
// Two warm-up requests: the first computes the variant and fills the cache.
func (h *harness) hitOurs(ctx context.Context, c int) (Cell, error) {
	storage, err := h.freshStorage()
	if err != nil {
		return Cell{}, err
	}
	defer os.RemoveAll(storage)
	s, err := h.startOurs(ctx, storage, warmCache)
	if err != nil {
		return Cell{}, err
	}
	tr := fixedTarget(vegeta.Target{Method: http.MethodGet, URL: s.base + h.hit.path + "?" + h.hit.query, Header: authHeader()})
	return h.measure(ctx, s, "memory-hit", c, tr, 2, "memory")
}

// hitBare measures the bare net/http server on the same URL and bytes.
func (h *harness) hitBare(ctx context.Context, c int) (Cell, error) {
	s, err := h.startBare(ctx)
	if err != nil {
		return Cell{}, err
	}
	tr := fixedTarget(vegeta.Target{Method: http.MethodGet, URL: s.base + h.hit.path + "?" + h.hit.query, Header: authHeader()})
	return h.measure(ctx, s, "memory-hit", c, tr, 1, "memory")
}

// uploadOurs measures uploads of the same file on a fresh, empty
// cloudresizer; the warm-up stores it, the attack's uploads find it stored.
func (h *harness) uploadOurs(ctx context.Context, c int) (Cell, error) {
	storage, _ := h.next("storage")
	defer os.RemoveAll(storage)
	s, err := h.startOurs(ctx, storage, warmCache)
	if err != nil {
		return Cell{}, err
	}
	body, ctype, err := uploadBody(uploadInput)
	if err != nil {
		s.stop()
		return Cell{}, err
	}
	t := vegeta.Target{Method: http.MethodPost, URL: s.base + "/api/v1/images", Body: body, Header: authHeader()}
	t.Header.Set("Content-Type", ctype)
	return h.measure(ctx, s, "upload", c, fixedTarget(t), 1, "")
}

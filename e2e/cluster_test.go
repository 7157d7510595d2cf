package e2e

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudresizer/cloudresizer/internal/testserver"
)

// cluster is the deployment of the design on one machine: three serve
// instances behind nginx (round robin), sharing one Redis and one S3
// server. Every instance runs batch workers.
type cluster struct {
	t     *testing.T
	nodes []*instance
	lb    *nginx
	api   *instance // the API through nginx
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	s3 := testserver.StartS3(t)
	rd := testserver.StartRedis(t)
	c := &cluster{t: t}
	var addrs []string
	for range 3 {
		// Same --secret for all (startInstance sets it): links and cookies
		// made by one instance are valid on the others.
		in := startInstance(t, s3.Env(), "--storage", s3.URL(testserver.DefaultBucket), "--redis", rd.URL())
		c.nodes = append(c.nodes, in)
		addrs = append(addrs, in.addr)
	}
	c.lb = startNginx(t, addrs...)
	c.api = c.lb.client()
	return c
}

// metrics reads name (samples whose labels contain match, summed) on every
// node still running; a dead node counts 0.
func (c *cluster) metrics(name, match string, dead ...*instance) []float64 {
	out := make([]float64, len(c.nodes))
	for i, n := range c.nodes {
		if !among(dead, n) {
			out[i] = metric(c.t, n.url("/metrics"), name, match)
		}
	}
	return out
}

func among(list []*instance, in *instance) bool {
	for _, x := range list {
		if x == in {
			return true
		}
	}
	return false
}

func sumOf(vals []float64) float64 {
	var s float64
	for _, v := range vals {
		s += v
	}
	return s
}

const transformsMetric = "cloudresizer_transform_duration_seconds_count"

// requestsMetric names the count of requests a node answered on route with status.
func requestsMetric(route, status string) (string, string) {
	return "cloudresizer_http_request_duration_seconds_count", `route="` + route + `",status="` + status + `"`
}

// batchFiles are 20 distinct corpus images; with 3 presets, 60 items.
func batchFiles(t *testing.T) map[string][]byte {
	files := photos(t)
	for _, f := range []string{"orientation/orient_1.jpg", "orientation/orient_2.jpg", "orientation/orient_3.jpg",
		"orientation/orient_4.jpg", "orientation/orient_5.jpg", "orientation/orient_6.jpg", "orientation/orient_7.jpg",
		"orientation/orient_8.jpg", "orientation/portrait_orient6_full.jpg", "formats/adobergb_icc_photo.jpg",
		"formats/grayscale_photo.jpg", "formats/photo_lossy.webp"} {
		files[f[strings.LastIndex(f, "/")+1:]] = read(t, f)
	}
	if len(files) != 20 {
		t.Fatalf("%d batch files, want 20", len(files))
	}
	return files
}

// createBigBatch posts batchFiles for three presets: 60 items.
func createBigBatch(t *testing.T, api *instance, presets ...string) string {
	t.Helper()
	status, body := api.post("/api/v1/batches", batchFiles(t), map[string][]string{"preset": presets})
	var st batchStatus
	if status != 202 || json.Unmarshal(body, &st) != nil || st.Total != 60 {
		t.Fatalf("batch: %d %s", status, body)
	}
	return st.ID
}

// waitBatch waits until the batch is done and checks every item succeeded.
func waitBatch(t *testing.T, api *instance, id string, total int, limit time.Duration) {
	t.Helper()
	eventually(t, limit, "batch "+id+" to finish", func() bool { return api.batch(id).State == "done" })
	if st := api.batch(id); st.Done != total || st.Failed != 0 {
		t.Errorf("batch %s: %+v, want %d done, none failed", id, st, total)
	}
}

// zipEntries fetches the batch's ZIP and returns its file names.
func zipEntries(t *testing.T, api *instance, id string) []string {
	t.Helper()
	status, h, body := api.get("/api/v1/batches/"+id+"/zip", nil)
	if status != 200 || h.Get("Content-Type") != "application/zip" {
		t.Fatalf("zip: %d %s", status, h.Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("zip: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	return names
}

// signLink asks in for a signed link to the variant.
func signLink(t *testing.T, in *instance, id, query string) string {
	t.Helper()
	status, _, body := in.get("/api/v1/images/"+id+"/link?"+query, nil)
	var r struct{ URL string }
	if status != 200 || json.Unmarshal(body, &r) != nil || !strings.HasPrefix(r.URL, "/r/") {
		t.Fatalf("link: %d %s", status, body)
	}
	return r.URL
}

// getPublic fetches a signed link with no credentials at all.
func getPublic(in *instance, path string) (int, []byte) {
	resp, err := http.Get(in.url(path))
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

// TestClusterBehindNginx checks that the API works whichever instance
// answers, that instances share originals, links and variants, that a
// cold variant asked of all three at once is computed once, and that a
// batch is spread over the instances.
func TestClusterBehindNginx(t *testing.T) {
	c := startCluster(t)
	api := c.api

	// Each step runs 3 times in a row: round robin sends one to each
	// instance, whatever the offset. The metrics below prove it.
	var ids []string
	for _, f := range []string{"photos/storm_canon_exif.jpg", "formats/alpha_vignette_photo.png", "photos/wood_minolta_exif.jpg"} {
		ids = append(ids, api.upload(f[strings.Index(f, "/")+1:], read(t, f)))
	}
	for _, id := range ids {
		for range 3 {
			status, h, body := api.get("/api/v1/images/"+id+"/resize?w=160&format=webp", nil)
			if status != 200 || h.Get("Content-Type") != "image/webp" || len(body) == 0 {
				t.Errorf("resize %s through nginx: %d %s", id, status, h.Get("Content-Type"))
			}
		}
	}
	var links []string
	for range 3 {
		links = append(links, signLink(t, api, ids[0], "w=120"))
	}
	if links[0] != links[1] || links[1] != links[2] {
		t.Errorf("instances sign differently: %q", links)
	}
	for range 3 {
		if status, body := getPublic(api, links[0]); status != 200 || len(body) == 0 {
			t.Errorf("signed link through nginx: %d", status)
		}
	}
	var batches []string
	for range 3 {
		status, body := api.post("/api/v1/batches", map[string][]byte{"a.jpg": read(t, "photos/ladybird_baseline420.jpg")},
			map[string][]string{"image_id": ids, "preset": {"thumb"}})
		var st batchStatus
		if status != 202 || json.Unmarshal(body, &st) != nil || st.Total != 4 {
			t.Fatalf("batch through nginx: %d %s", status, body)
		}
		batches = append(batches, st.ID)
	}
	for _, id := range batches {
		waitBatch(t, api, id, 4, time.Minute)
	}
	for range 3 {
		if names := zipEntries(t, api, batches[0]); len(names) != 4 {
			t.Errorf("zip through nginx: %q, want 4 files", names)
		}
	}
	if events := sse(t, api, batches[1]); strings.Count(events, "event: item") != 4 || !strings.Contains(events, "event: done") {
		t.Errorf("events through nginx:\n%s", events)
	}
	for _, route := range []string{"POST /api/v1/images", "GET /api/v1/images/{id}/resize", "GET /api/v1/images/{id}/link",
		"GET /r/{sig}/{id}", "GET /api/v1/batches/{id}/zip"} {
		name, match := requestsMetric(route, "200")
		if route == "POST /api/v1/images" {
			name, match = requestsMetric(route, "201")
		}
		if n := c.metrics(name, match); n[0] == 0 || n[1] == 0 || n[2] == 0 {
			t.Errorf("%s answered per instance: %s; want every instance", route, perInstance(n))
		}
	}
	name, match := requestsMetric("POST /api/v1/batches", "202")
	if n := c.metrics(name, match); n[0] == 0 || n[1] == 0 || n[2] == 0 {
		t.Errorf("batches created per instance: %s; want every instance", perInstance(n))
	}

	t.Run("shared", func(t *testing.T) { sharedAcrossInstances(t, c) })
	t.Run("cold variant once", func(t *testing.T) { coldVariantOnce(t, c) })
	t.Run("batch spread", func(t *testing.T) { batchSpread(t, c) })
}

// sse reads a batch's event stream until it ends.
func sse(t *testing.T, in *instance, id string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", in.url("/api/v1/batches/"+id+"/events"), nil)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	client := &http.Client{Timeout: time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("events: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var out strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
	}
	return out.String()
}

// sharedAcrossInstances uploads to one instance and reads from the others:
// the original, a variant, the owner's list and a link signed elsewhere.
func sharedAcrossInstances(t *testing.T, c *cluster) {
	a, b, d := c.nodes[0], c.nodes[1], c.nodes[2]
	orig := read(t, "photos/paintbrushes_444_q99_progressive.jpg")
	id := a.upload("brushes.jpg", orig)
	for i, other := range []*instance{b, d} {
		if status, _, got := other.get("/api/v1/images/"+id+"/original", nil); status != 200 || !bytes.Equal(got, orig) {
			t.Errorf("instance %d: original %d, %d bytes, want the uploaded %d", i+1, status, len(got), len(orig))
		}
		if status, _, got := other.get("/api/v1/images/"+id+"/resize?w=200", nil); status != 200 || len(got) == 0 {
			t.Errorf("instance %d: resize %d", i+1, status)
		}
		if status, _, got := other.get("/api/v1/images", nil); status != 200 || !bytes.Contains(got, []byte(id)) {
			t.Errorf("instance %d: the owner's list lacks %s: %d", i+1, id, status)
		}
	}
	signed := signLink(t, b, id, "w=90&format=png")
	for i, other := range c.nodes {
		if status, got := getPublic(other, signed); status != 200 || !bytes.HasPrefix(got, []byte("\x89PNG")) {
			t.Errorf("instance %d: link signed by instance 1: %d", i, status)
		}
	}
}

// coldVariantOnce asks all three instances at once for one variant nobody
// made yet: they answer the same bytes, and one transform was run in all.
func coldVariantOnce(t *testing.T, c *cluster) {
	id := c.nodes[0].upload("kleiber.jpg", read(t, "photos/kleiber_20mp_baseline.jpg"))
	path := "/api/v1/images/" + id + "/resize?w=1800&format=webp&q=77"
	before := sumOf(c.metrics(transformsMetric, ""))
	start := make(chan struct{})
	bodies := make([][]byte, len(c.nodes))
	xcache := make([]string, len(c.nodes))
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, h, body := n.get(path, nil)
			if status != 200 || len(body) == 0 {
				t.Errorf("instance %d: %d %s", i, status, body)
			}
			bodies[i], xcache[i] = body, h.Get("X-Cache")
		}()
	}
	close(start)
	wg.Wait()
	if !bytes.Equal(bodies[0], bodies[1]) || !bytes.Equal(bodies[1], bodies[2]) {
		t.Errorf("instances answered different bytes (%d, %d, %d)", len(bodies[0]), len(bodies[1]), len(bodies[2]))
	}
	if got := sumOf(c.metrics(transformsMetric, "")) - before; got != 1 {
		t.Errorf("transforms across the cluster: %v, want 1 (X-Cache %q)", got, xcache)
	}
	t.Logf("X-Cache per instance: %q", xcache)
	if strings.Count(strings.Join(xcache, ","), "miss") != 1 {
		t.Errorf("X-Cache %q, want one miss", xcache)
	}
}

// batchSpread runs a batch of 60 items: every instance works on some, each
// item is made once, and the ZIP holds every output.
func batchSpread(t *testing.T, c *cluster) {
	before := c.metrics(transformsMetric, "")
	// Not "thumb": earlier steps made thumbs of some of these images.
	id := createBigBatch(t, c.api, "small", "medium", "large")
	waitBatch(t, c.api, id, 60, 3*time.Minute)
	after := c.metrics(transformsMetric, "")
	made := make([]float64, len(after))
	for i := range after {
		made[i] = after[i] - before[i]
	}
	t.Logf("batch items made per instance: %s", perInstance(made))
	if made[0] == 0 || made[1] == 0 || made[2] == 0 {
		t.Errorf("items made per instance: %s; want every instance to take part", perInstance(made))
	}
	if sumOf(made) != 60 {
		t.Errorf("items made in all: %v, want 60 (each once)", sumOf(made))
	}
	if names := zipEntries(t, c.api, id); len(names) != 60 {
		t.Errorf("zip: %d files, want 60", len(names))
	}
}

// steadyLoad sends requests through nginx until stopped, and counts failures.
type steadyLoad struct {
	stop     chan struct{}
	wg       sync.WaitGroup
	gets     atomic.Int64
	getFails atomic.Int64
	posts    atomic.Int64
	mu       sync.Mutex
	failed   []string          // what failed, for the message
	acked    map[string][]byte // uploads answered 201: id → bytes
	postFail []string
}

// startLoad runs three GET loops (cached and cold variants, signed links)
// and, when uploads, one loop of small uploads, all through api.
func startLoad(t *testing.T, api *instance, ids []string, signed string, uploads bool) *steadyLoad {
	l := &steadyLoad{stop: make(chan struct{}), acked: map[string][]byte{}}
	for g := range 3 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				path := signed
				switch i % 3 {
				case 0: // warm: a handful of sizes
					path = "/api/v1/images/" + ids[i%len(ids)] + "/resize?w=" + itoa(100+10*(i%5))
				case 1: // cold, mostly: a new size each time
					path = "/api/v1/images/" + ids[i%len(ids)] + "/resize?w=" + itoa(200+(g*300+i)%900)
				}
				status, _, body := api.get(path, nil)
				l.gets.Add(1)
				if status != 200 {
					l.getFails.Add(1)
					l.note(&l.failed, "GET "+path+": "+itoa(status)+" "+string(body))
				}
				time.Sleep(10 * time.Millisecond) // steady, not flat out: the machine has other work
			}
		}()
	}
	if uploads {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			base := read(t, "edge/pixel_1x1.png")
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				b := append(append([]byte{}, base...), []byte(time.Now().String()+itoa(i))...)
				status, body := api.post("/api/v1/images", map[string][]byte{"p.png": b}, nil)
				l.posts.Add(1)
				var r struct{ Images []struct{ ID string } }
				if status == 201 && json.Unmarshal(body, &r) == nil && len(r.Images) == 1 {
					l.mu.Lock()
					l.acked[r.Images[0].ID] = b
					l.mu.Unlock()
				} else {
					l.note(&l.postFail, "POST: "+itoa(status)+" "+string(body))
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	return l
}

func (l *steadyLoad) note(list *[]string, s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(*list) < 10 {
		*list = append(*list, s)
	}
}

// end stops the load and checks that no GET failed.
func (l *steadyLoad) end(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	t.Logf("load: %d GETs (%d failed), %d uploads (%d acknowledged)", l.gets.Load(), l.getFails.Load(), l.posts.Load(), len(l.acked))
	if l.getFails.Load() > 0 {
		t.Errorf("%d of %d GETs through nginx failed: %q", l.getFails.Load(), l.gets.Load(), l.failed)
	}
}

// checkAcked reads back every acknowledged upload through api.
func (l *steadyLoad) checkAcked(t *testing.T, api *instance) {
	t.Helper()
	for id, b := range l.acked {
		if status, _, got := api.get("/api/v1/images/"+id+"/original", nil); status != 200 || !bytes.Equal(got, b) {
			t.Errorf("acknowledged upload %s: %d, %d bytes", id, status, len(got))
		}
	}
}

// TestClusterKillMidBatch kills one instance (SIGKILL) in the middle of a
// 60-item batch: the batch still completes on the others (asynq hands the
// dead worker's items to another once their lease expires), the others
// keep answering through nginx, and nothing acknowledged is lost.
func TestClusterKillMidBatch(t *testing.T) {
	c := startCluster(t)
	api := c.api
	ids := []string{api.upload("a.jpg", read(t, "photos/storm_canon_exif.jpg")),
		api.upload("b.png", read(t, "formats/alpha_vignette_photo.png"))}
	signed := signLink(t, api, ids[0], "w=150")
	id := createBigBatch(t, api, "thumb", "small", "large")
	// Kill the victim while it works on an item (no other requests run
	// yet, so a transform in flight there is a batch item).
	victim := c.nodes[2]
	eventually(t, 2*time.Minute, "the victim to work on an item", func() bool {
		return api.batch(id).State == "done" ||
			metric(t, victim.url("/metrics"), "cloudresizer_transforms_in_flight", "") > 0 && api.batch(id).Done > 0
	})
	if st := api.batch(id); st.Done+st.Failed >= st.Total {
		t.Skipf("the batch finished before the kill (%+v); the machine is faster than this test assumes", st)
	}
	victim.kill()
	killed := time.Now()
	l := startLoad(t, api, ids, signed, true)
	for i, n := range c.nodes[:2] {
		if status, _, _ := n.get("/api/v1/images/"+ids[0]+"/resize?w=77", nil); status != 200 {
			t.Errorf("instance %d after the kill: %d", i, status)
		}
	}
	// Recovery of the items the dead instance held waits for asynq's
	// lease (30 s) plus its 30 s margin and its recoverer's round (1 min).
	waitBatch(t, api, id, 60, 4*time.Minute)
	t.Logf("the batch finished %v after the kill", time.Since(killed).Round(time.Second))
	l.end(t)
	if len(l.postFail) > 0 {
		t.Errorf("uploads failed after the kill: %q", l.postFail)
	}
	l.checkAcked(t, api)
	if names := zipEntries(t, api, id); len(names) != 60 {
		t.Errorf("zip: %d files, want 60", len(names))
	}
	status, _, body := api.get("/api/v1/batches/"+id, nil)
	var st struct {
		Items []struct {
			ImageID string `json:"image_id"`
		}
	}
	if status != 200 || json.Unmarshal(body, &st) != nil || len(st.Items) != 60 {
		t.Fatalf("batch status: %d %.300s", status, body)
	}
	for _, it := range st.Items {
		if status, _, _ := api.get("/api/v1/images/"+it.ImageID, nil); status != 200 {
			t.Errorf("source %s of the batch: %d", it.ImageID, status)
		}
	}
}

// TestClusterStopWithOpenEventStream stops an instance (SIGTERM) while a
// client watches an unfinished batch through its event stream, as the web
// page does: the stream must not hold the instance until the shutdown
// bound, and the exit code must be 0.
func TestClusterStopWithOpenEventStream(t *testing.T) {
	// A batch far longer than the shutdown bound (16 slow items on one
	// worker), while one item takes well under it.
	in := startInstance(t, nil, "--storage", "file://"+t.TempDir(), "--workers", "1", "--shutdown-timeout", "8s",
		"--presets", "a=w=3000&format=avif;b=w=2800&format=avif")
	status, body := in.post("/api/v1/batches", photos(t), map[string][]string{"preset": {"a", "b"}})
	var st batchStatus
	if status != 202 || json.Unmarshal(body, &st) != nil {
		t.Fatalf("batch: %d %s", status, body)
	}
	req, _ := http.NewRequest("GET", in.url("/api/v1/batches/"+st.ID+"/events"), nil)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("events: %v", err)
	}
	defer resp.Body.Close()
	ended := make(chan struct{})
	go func() { io.Copy(io.Discard, resp.Body); close(ended) }()
	if code := in.stop(); code != 0 {
		t.Errorf("exit code %d after SIGTERM with an event stream open, want 0; log:\n%s", code, in.log)
	}
	<-ended
}

// TestClusterRollingRestart stops and restarts each instance in turn
// (SIGTERM) under a steady load through nginx: each exits 0 after
// finishing what it was doing, no GET fails, every acknowledged upload is
// there, and a batch running across the restarts completes.
func TestClusterRollingRestart(t *testing.T) {
	c := startCluster(t)
	api := c.api
	ids := []string{api.upload("a.jpg", read(t, "photos/storm_canon_exif.jpg")),
		api.upload("b.png", read(t, "formats/alpha_vignette_photo.png"))}
	signed := signLink(t, api, ids[0], "w=150")
	slowID := api.upload("kleiber.jpg", read(t, "photos/kleiber_20mp_baseline.jpg"))

	t.Run("SIGTERM finishes in-flight work", func(t *testing.T) { sigtermFinishes(t, c.nodes[0], slowID) })

	batch, total := createBatch(t, api)
	l := startLoad(t, api, ids, signed, true)
	for i, n := range c.nodes {
		name, match := requestsMetric("GET /api/v1/images/{id}/resize", "200")
		if code := n.stop(); code != 0 {
			t.Errorf("instance %d: exit code %d after SIGTERM, want 0; log:\n%s", i, code, n.log)
		}
		n.start()
		// nginx takes it back once its fail_timeout (2 s) is over: wait
		// until it answers load again before stopping the next one.
		eventually(t, 30*time.Second, "nginx to send requests to the restarted instance", func() bool {
			return metric(t, n.url("/metrics"), name, match) > 0
		})
	}
	time.Sleep(time.Second)
	l.end(t)
	if len(l.postFail) > 0 {
		// nginx does not resend a POST it has sent; see the report.
		t.Logf("uploads that failed during the rolling restart: %q", l.postFail)
	}
	l.checkAcked(t, api)
	waitBatch(t, api, batch, total, 3*time.Minute)
}

// sigtermFinishes sends SIGTERM to n while it computes a slow variant: n
// refuses new connections, the request in flight completes, and n exits 0.
func sigtermFinishes(t *testing.T, n *instance, id string) {
	type result struct {
		status int
		body   []byte
	}
	res := make(chan result, 1)
	go func() {
		status, _, body := n.get("/api/v1/images/"+id+"/resize?w=3000&format=avif", nil)
		res <- result{status, body}
	}()
	eventually(t, 30*time.Second, "the slow transform to start", func() bool {
		return metric(t, n.url("/metrics"), "cloudresizer_transforms_in_flight", "") > 0
	})
	code := make(chan int, 1)
	go func() { code <- n.stop() }()
	eventually(t, 30*time.Second, "the stopping instance to refuse connections", func() bool {
		_, err := http.Get(n.url("/healthz"))
		return err != nil
	})
	r := <-res
	if r.status != 200 || !bytes.Contains(r.body[:min(len(r.body), 32)], []byte("ftyp")) {
		t.Errorf("request in flight at SIGTERM: %d %.200s", r.status, r.body)
	}
	if got := <-code; got != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0; log:\n%s", got, n.log)
	}
	if !strings.Contains(n.log.String(), "stopped") {
		t.Errorf("no clean stop in the log:\n%s", n.log)
	}
	n.start()
}

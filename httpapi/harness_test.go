package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/httpapi"
	"github.com/cloudresizer/cloudresizer/internal/form"
	"github.com/cloudresizer/cloudresizer/internal/scrape"
	"github.com/cloudresizer/cloudresizer/memcache"
	"github.com/cloudresizer/cloudresizer/metrics"
	"github.com/cloudresizer/cloudresizer/queue"
	"github.com/cloudresizer/cloudresizer/storage"
	"github.com/cloudresizer/cloudresizer/vips"
)

const testKey = "test-key-0123456789"

// env is one running server and what tests look at.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	metrics *metrics.Metrics
}

type options struct {
	storeURL string
	engine   resizer.Engine
	workers  int
	queue    int
	maxBytes int64
	// noWorkers leaves batch tasks queued: a process that died after 202.
	noWorkers bool
}

// start runs the whole HTTP stack over the real engine (unless o.engine is
// set) on the storage at o.storeURL (a fresh memory store when empty).
func start(t *testing.T, o options) *env {
	t.Helper()
	if o.storeURL == "" {
		o.storeURL = "mem://"
	}
	limits := resizer.DefaultLimits
	if o.maxBytes > 0 {
		limits.MaxBytes = o.maxBytes
	}
	if o.engine == nil {
		e, err := vips.New(vips.Config{Limits: limits, Concurrency: 2, Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		o.engine = e
	}
	if o.workers == 0 {
		o.workers, o.queue = 2, 8
	}
	store, err := storage.Open(context.Background(), o.storeURL)
	if err != nil {
		t.Fatal(err)
	}
	mem, _ := memcache.New(memcache.DefaultConfig())
	m := metrics.New()
	q := queue.NewLocal(queue.RetryPolicy{Attempts: 3, Backoff: 50 * time.Millisecond}, slog.Default())
	svc, err := resizer.NewService(resizer.ServiceConfig{
		Store: store, Engine: o.engine, Observer: m, Limits: limits, Queue: q,
		Tiers:   []resizer.Tier{{Name: "memory", Cache: mem}},
		Workers: o.workers, QueueLength: o.queue, TransformTimeout: 20 * time.Second, TempDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Config{Service: svc, Secret: []byte("0123456789abcdef0123456789abcdef"),
		APIKeys: map[string]string{testKey: "alice", "other-key-0123456789": "bob"}, MaxBody: 200 << 20,
		Metrics: m, MetricsHandler: m.Handler(), OpenAPI: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	ctx, stop := context.WithCancel(context.Background())
	workersDone := make(chan struct{})
	go func() {
		if !o.noWorkers {
			q.Run(ctx, o.workers, svc.RunItem)
		}
		close(workersDone)
	}()
	if _, err := svc.ResumePending(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(); stop(); <-workersDone; store.Close() })
	return &env{t: t, srv: srv, metrics: m}
}

// client is one identity: an API key, or a browser with a cookie jar.
type client struct {
	e    *env
	hc   *http.Client
	auth string
}

func (e *env) apiClient(key string) *client {
	return &client{e: e, hc: &http.Client{}, auth: "Bearer " + key}
}

func (e *env) browser() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar}}
}

func (c *client) do(method, path string, body io.Reader, header map[string]string) *http.Response {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.srv.URL+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return resp
}

// get fetches path and returns the status, headers and body.
func (c *client) get(path string, header map[string]string) (int, http.Header, []byte) {
	resp := c.do("GET", path, nil, header)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

type uploadResponse struct {
	Images []resizer.ImageInfo `json:"images"`
	Errors []struct {
		Filename, Code, Message string
	} `json:"errors"`
	Error *struct{ Code, Message string } `json:"error"`
}

// upload posts files (name → bytes) in one multipart request.
func (c *client) upload(files map[string][]byte) (int, uploadResponse) {
	c.e.t.Helper()
	body, ctype := form.Body(files, nil)
	resp := c.do("POST", "/api/v1/images", body, map[string]string{"Content-Type": ctype})
	defer resp.Body.Close()
	var ur uploadResponse
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &ur); err != nil {
		c.e.t.Fatalf("upload answer %d is not JSON: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, ur
}

// uploadOne uploads one file and fails the test unless it was stored.
func (c *client) uploadOne(name string, b []byte) resizer.ImageInfo {
	c.e.t.Helper()
	status, ur := c.upload(map[string][]byte{name: b})
	if status != http.StatusCreated || len(ur.Images) != 1 {
		c.e.t.Fatalf("upload %s: %d %+v", name, status, ur)
	}
	return ur.Images[0]
}

// metric returns the sum of the samples of a metric whose line contains match.
func (e *env) metric(name, match string) float64 {
	e.t.Helper()
	v, err := scrape.Sum(e.srv.URL+"/metrics", name, match)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

// errorCode reads the code of an error body.
func errorCode(b []byte) string {
	var e struct{ Error struct{ Code string } }
	json.Unmarshal(b, &e)
	return e.Error.Code
}

package ui_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/httpapi"
	"github.com/cloudresizer/cloudresizer/memcache"
	"github.com/cloudresizer/cloudresizer/metrics"
	"github.com/cloudresizer/cloudresizer/queue"
	"github.com/cloudresizer/cloudresizer/storage"
	"github.com/cloudresizer/cloudresizer/ui"
	"github.com/cloudresizer/cloudresizer/vips"
)

// secret is fixed so that a restarted server accepts the cookies of the
// one before.
var secret = []byte("ui-test-secret-0123456789abcdef!")

// server is the whole service, as `cloudresizer serve` runs it, with the page.
type server struct {
	*httptest.Server
	engine *slowEngine
	stop   func()
}

// startServer runs the stack on the storage folder dir (file://), so that a
// second server on the same folder sees what the first one stored.
func startServer(t *testing.T, dir string) *server {
	t.Helper()
	limits := resizer.DefaultLimits
	e, err := vips.New(vips.Config{Limits: limits, Concurrency: 2, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	engine := &slowEngine{Engine: e}
	store, err := storage.Open(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	mem, _ := memcache.New(memcache.DefaultConfig())
	m := metrics.New()
	q := queue.NewLocal(queue.RetryPolicy{Attempts: 2, Backoff: 50 * time.Millisecond}, slog.Default())
	svc, err := resizer.NewService(resizer.ServiceConfig{
		Store: store, Engine: engine, Observer: m, Limits: limits, Queue: q,
		Tiers:   []resizer.Tier{{Name: "memory", Cache: mem}},
		Workers: 2, QueueLength: 16, TransformTimeout: 30 * time.Second, TempDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Config{Service: svc, Secret: secret, MaxBody: 200 << 20,
		Metrics: m, MetricsHandler: m.Handler(), OpenAPI: []byte(`{}`), UI: ui.Handler()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	ctx, cancel := context.WithCancel(context.Background())
	workersDone := make(chan struct{})
	go func() {
		q.Run(ctx, 2, svc.RunItem)
		close(workersDone)
	}()
	if _, err := svc.ResumePending(ctx); err != nil {
		t.Fatal(err)
	}
	s := &server{Server: srv, engine: engine}
	var once atomic.Bool
	s.stop = func() {
		if once.CompareAndSwap(false, true) {
			srv.CloseClientConnections()
			srv.Close()
			cancel()
			<-workersDone
			store.Close()
		}
	}
	t.Cleanup(s.stop)
	return s
}

// slowEngine can make every transform take longer, so that a screenshot
// catches a batch half done, or fail, so that a batch has items to retry.
type slowEngine struct {
	resizer.Engine
	delay atomic.Int64 // nanoseconds
	fail  atomic.Bool
}

func (e *slowEngine) Transform(ctx context.Context, src []byte, opts ...resizer.Options) ([]resizer.Output, error) {
	if e.fail.Load() {
		return nil, resizer.Errorf(resizer.EUNAVAILABLE, "the engine is switched off for this test")
	}
	if d := time.Duration(e.delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return e.Engine.Transform(ctx, src, opts...)
}

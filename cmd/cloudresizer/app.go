package main

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/memcache"
	"github.com/cloudresizer/cloudresizer/metrics"
	"github.com/cloudresizer/cloudresizer/queue"
	"github.com/cloudresizer/cloudresizer/redis"
	"github.com/cloudresizer/cloudresizer/storage"
	"github.com/cloudresizer/cloudresizer/vips"
)

// backendFlags are the settings that serve and worker share.
type backendFlags struct {
	Storage          string        `default:"file://./data" help:"Storage URL: file:///path, s3://bucket?region=…&endpoint=…, mem://."`
	CacheSize        byteSize      `default:"256MiB" help:"Memory cache size (variants)."`
	OriginalsCache   byteSize      `default:"64MiB" help:"Memory kept for recently used originals, so that a worker need not read them from storage again."`
	MaxUpload        byteSize      `default:"50MiB" help:"Largest file accepted."`
	MaxPixels        int64         `default:"100000000" help:"Largest image accepted, in pixels."`
	MaxFrames        int           `default:"100" help:"Most frames in an animation."`
	Workers          int           `help:"Transforms at once (default: one per CPU)."`
	Queue            int           `help:"Transforms that may wait for a worker before requests get 503 (default: 4 per worker)."`
	TransformTimeout time.Duration `default:"30s" help:"Longest wait for a worker plus the transform."`
	BatchWorkers     int           `help:"Batch items worked on at once (default: as --workers; -1: none, for front ends beside separate workers)."`
	Redis            string        `help:"Redis URL (redis:// or rediss://): adds the shared cache tier, the cross-instance lock and the durable batch queue."`
	RedisTTL         time.Duration `default:"168h" help:"How long a variant stays in Redis."`
	RedisMaxItem     byteSize      `default:"8MiB" help:"Largest variant kept in Redis."`
	LockWait         time.Duration `default:"10s" help:"How long an instance waits for another that computes the same variant."`
	LogFormat        string        `default:"json" enum:"json,text" help:"Log format: ${enum}."`
	LogLevel         slog.Level    `default:"info" help:"Log level: debug, info, warn, error."`
}

// app is everything a command wires together from backendFlags.
type app struct {
	log     *slog.Logger
	store   *storage.Store
	svc     *resizer.Service
	metrics *metrics.Metrics
	queue   batchQueue
	workers int
	closers []func()
}

// batchQueue is a queue that also runs the workers: queue.Local or queue.Asynq.
type batchQueue interface {
	resizer.Queue
	Run(ctx context.Context, workers int, h queue.Handler) error
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

func (f *backendFlags) logger(e env) *slog.Logger {
	opts := &slog.HandlerOptions{Level: f.LogLevel}
	if f.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(e.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(e.stderr, opts))
}

func (f *backendFlags) limits() resizer.Limits {
	return resizer.Limits{MaxBytes: int64(f.MaxUpload), MaxPixels: f.MaxPixels, MaxFrames: f.MaxFrames,
		MaxSide: resizer.DefaultLimits.MaxSide}
}

// build opens every backend and makes the service. Storage must answer at
// start: a missing bucket is a start-up error, not a failure later.
func (f *backendFlags) build(ctx context.Context, log *slog.Logger) (*app, error) {
	a := &app{log: log, metrics: metrics.New(), workers: f.Workers}
	if a.workers <= 0 {
		a.workers = runtime.GOMAXPROCS(0)
	}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()
	engine, err := vips.New(vips.Config{Limits: f.limits(), Concurrency: a.workers, Threads: 1})
	if err != nil {
		return nil, err
	}
	if a.store, err = openStore(ctx, f.Storage); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { a.store.Close() })
	cfg, err := f.serviceConfig(a, engine)
	if err != nil {
		return nil, err
	}
	if a.svc, err = resizer.NewService(cfg); err != nil {
		return nil, err
	}
	ok = true
	return a, nil
}

func (f *backendFlags) serviceConfig(a *app, engine resizer.Engine) (resizer.ServiceConfig, error) {
	maxItem := min(int(f.CacheSize)/16, 16<<20)
	mem, err := memcache.New(memcache.Config{MaxBytes: uint64(f.CacheSize), MaxItem: maxItem})
	if err != nil {
		return resizer.ServiceConfig{}, err
	}
	originals, err := memcache.New(memcache.Config{MaxBytes: uint64(f.OriginalsCache), MaxItem: int(f.OriginalsCache) / 4})
	if err != nil {
		return resizer.ServiceConfig{}, err
	}
	queueLen := f.Queue
	if queueLen <= 0 {
		queueLen = 4 * a.workers
	}
	cfg := resizer.ServiceConfig{
		Originals: originals,
		Store:     a.store, Engine: engine, Observer: a.metrics, Limits: f.limits(),
		Tiers:   []resizer.Tier{{Name: "memory", Cache: mem, MaxItem: maxItem}},
		Workers: a.workers, QueueLength: queueLen, TransformTimeout: f.TransformTimeout,
		TempDir: os.TempDir(),
	}
	if f.Redis == "" {
		a.queue = queue.NewLocal(queue.DefaultRetry, a.log)
		cfg.Queue = a.queue
		return cfg, nil
	}
	return cfg, f.withRedis(a, &cfg)
}

// withRedis adds the Redis tier, the cross-instance lock and the durable
// queue. Redis being down at start is a warning, not an error: the service
// works without it and uses it once it answers.
func (f *backendFlags) withRedis(a *app, cfg *resizer.ServiceConfig) error {
	rcfg := redis.DefaultConfig()
	rcfg.URL, rcfg.TTL, rcfg.MaxItem = f.Redis, f.RedisTTL, int(f.RedisMaxItem)
	rc, err := redis.New(rcfg, a.log)
	if err != nil {
		return err
	}
	a.closers = append(a.closers, func() { rc.Close() })
	if !rc.Available() {
		a.log.Warn("redis does not answer; serving without it until it does", "redis", rcfg.RedactedURL())
	}
	cfg.Tiers = append(cfg.Tiers, resizer.Tier{Name: "redis", Cache: rc, MaxItem: rcfg.MaxItem})
	cfg.Locker, cfg.LockWait = rc, f.LockWait
	q, err := queue.NewAsynq(queue.AsynqConfig{URL: f.Redis, Retry: queue.DefaultRetry,
		Poll: time.Second, ShutdownTimeout: f.TransformTimeout}, a.log)
	if err != nil {
		return err
	}
	a.closers = append(a.closers, func() { q.Close() })
	a.queue, cfg.Queue = q, q
	return nil
}

// startWorkers runs the batch workers until ctx ends, after re-queueing
// what a previous run left unfinished; wait returns once they stopped.
func (f *backendFlags) startWorkers(ctx context.Context, a *app) (wait func()) {
	n := f.BatchWorkers
	if n < 0 {
		return func() {}
	}
	if n == 0 {
		n = a.workers
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.queue.Run(ctx, n, a.svc.RunItem); err != nil {
			a.log.Error("batch workers stopped", "err", err)
		}
	}()
	if resumed, err := a.svc.ResumePending(ctx); err != nil {
		a.log.Error("resuming unfinished batches", "err", err)
	} else if resumed > 0 {
		a.log.Info("resumed unfinished batch items", "items", resumed)
	}
	return wg.Wait
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/docs"
	"github.com/cloudresizer/cloudresizer/httpapi"
	"github.com/cloudresizer/cloudresizer/memcache"
	"github.com/cloudresizer/cloudresizer/metrics"
	"github.com/cloudresizer/cloudresizer/storage"
	"github.com/cloudresizer/cloudresizer/vips"
)

// serveCmd runs the HTTP API. With no flags it needs nothing outside the
// process: disk storage under ./data and an in-memory cache.
type serveCmd struct {
	Addr             string        `default:":8080" help:"Address to listen on."`
	Storage          string        `default:"file://./data" help:"Storage URL: file:///path, s3://bucket?region=…, mem://."`
	CacheSize        byteSize      `default:"256MiB" help:"Memory cache size."`
	Secret           string        `help:"Key that signs public links and device cookies (default: generated once and kept in storage)."`
	APIKeys          []string      `name:"api-keys" sep:"," help:"API keys as key=owner pairs, comma-separated."`
	MaxUpload        byteSize      `default:"50MiB" help:"Largest file accepted."`
	MaxBody          byteSize      `default:"1GiB" help:"Largest request body (several files in one upload)."`
	MaxPixels        int64         `default:"100000000" help:"Largest image accepted, in pixels."`
	MaxFrames        int           `default:"100" help:"Most frames in an animation."`
	Workers          int           `help:"Transforms at once (default: one per CPU)."`
	Queue            int           `help:"Transforms that may wait for a worker before requests get 503 (default: 4 per worker)."`
	TransformTimeout time.Duration `default:"30s" help:"Longest wait for a worker plus the transform."`
	ReadTimeout      time.Duration `default:"5m" help:"Longest time to read a request, body included."`
	ShutdownTimeout  time.Duration `default:"25s" help:"On SIGTERM, how long in-flight requests may take to finish."`
	LogFormat        string        `default:"json" enum:"json,text" help:"Log format: ${enum}."`
	LogLevel         slog.Level    `default:"info" help:"Log level: debug, info, warn, error."`
}

// Run serves until the context ends (SIGTERM, SIGINT), then shuts down
// gracefully: no new connections, in-flight requests finish within a bound.
func (c *serveCmd) Run(ctx context.Context, e env) error {
	log := c.logger(e)
	app, err := c.build(ctx, log)
	if err != nil {
		return err
	}
	defer app.close()
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           app.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       c.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("serving", "addr", ln.Addr().String(), "storage", app.store.String(), "libvips", vips.Version())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", c.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func (c *serveCmd) logger(e env) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(e.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(e.stderr, opts))
}

// app is everything serve wires together.
type app struct {
	store   *storage.Store
	handler http.Handler
}

func (a *app) close() { a.store.Close() }

func (c *serveCmd) build(ctx context.Context, log *slog.Logger) (*app, error) {
	limits := resizer.Limits{MaxBytes: int64(c.MaxUpload), MaxPixels: c.MaxPixels, MaxFrames: c.MaxFrames,
		MaxSide: resizer.DefaultLimits.MaxSide}
	workers := c.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	queue := c.Queue
	if queue <= 0 {
		queue = 4 * workers
	}
	engine, err := vips.New(vips.Config{Limits: limits, Concurrency: workers, Threads: 1})
	if err != nil {
		return nil, err
	}
	store, err := storage.Open(ctx, c.Storage)
	if err != nil {
		return nil, err
	}
	if err := store.Ping(ctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("storage %s is not usable: %w", store, err)
	}
	handler, err := c.handler(ctx, log, store, engine, limits, workers, queue)
	if err != nil {
		store.Close()
		return nil, err
	}
	return &app{store: store, handler: handler}, nil
}

func (c *serveCmd) handler(ctx context.Context, log *slog.Logger, store *storage.Store, engine resizer.Engine,
	limits resizer.Limits, workers, queue int) (http.Handler, error) {
	mem, err := memcache.New(memcache.Config{MaxBytes: uint64(c.CacheSize), MaxItem: min(int(c.CacheSize)/16, 16<<20)})
	if err != nil {
		return nil, err
	}
	m := metrics.New()
	svc, err := resizer.NewService(resizer.ServiceConfig{
		Store: store, Engine: engine, Observer: m, Limits: limits,
		Tiers:   []resizer.Tier{{Name: "memory", Cache: mem, MaxItem: min(int(c.CacheSize)/16, 16<<20)}},
		Workers: workers, QueueLength: queue, TransformTimeout: c.TransformTimeout, TempDir: os.TempDir(),
	})
	if err != nil {
		return nil, err
	}
	secret, err := loadSecret(ctx, c.Secret, store, log)
	if err != nil {
		return nil, err
	}
	keys, err := parseAPIKeys(c.APIKeys)
	if err != nil {
		return nil, err
	}
	return httpapi.New(httpapi.Config{
		Service: svc, Secret: secret, APIKeys: keys, MaxBody: int64(c.MaxBody),
		Metrics: m, MetricsHandler: m.Handler(), OpenAPI: docs.OpenAPI, Logger: log,
	})
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/cloudresizer/cloudresizer/docs"
	"github.com/cloudresizer/cloudresizer/httpapi"
	"github.com/cloudresizer/cloudresizer/ui"
	"github.com/cloudresizer/cloudresizer/vips"
)

// serveCmd runs the HTTP API and the batch workers. With no flags it needs
// nothing outside the process: disk storage under ./data, an in-memory
// cache and an in-process queue.
type serveCmd struct {
	backendFlags    `embed:""`
	Addr            string        `default:":8080" help:"Address to listen on."`
	Secret          string        `help:"Key that signs public links and device cookies (default: generated once and kept in storage)."`
	APIKeys         []string      `name:"api-keys" sep:"," help:"API keys as key=owner pairs, comma-separated."`
	MaxBody         byteSize      `default:"1GiB" help:"Largest request body (several files in one upload)."`
	ReadTimeout     time.Duration `default:"5m" help:"Longest time to read a request, body included."`
	ShutdownTimeout time.Duration `default:"25s" help:"On SIGTERM, how long in-flight requests and batch items may take to finish."`
	Presets         string        `help:"Batch presets as name=query pairs separated by ';', e.g. 'thumb=w=300&h=300;hero=w=1600&format=webp' (replaces the defaults)."`
}

// Run serves until the context ends (SIGTERM, SIGINT), then shuts down
// gracefully: no new connections, in-flight requests and batch items finish
// within a bound.
func (c *serveCmd) Run(ctx context.Context, e env) error {
	log := c.logger(e)
	a, err := c.build(ctx, log)
	if err != nil {
		return err
	}
	defer a.close()
	api, err := c.handler(ctx, a)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	waitWorkers := c.startWorkers(workCtx, a)
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       c.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// On shutdown, event streams end and batch workers stop taking items
	// while in-flight requests drain, all within one bound.
	srv.RegisterOnShutdown(api.CloseStreams)
	srv.RegisterOnShutdown(stopWork)
	log.Info("serving", "addr", ln.Addr().String(), "storage", a.store.String(), "libvips", vips.Version())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	return c.shutdown(srv, waitWorkers, log)
}

func (c *serveCmd) shutdown(srv *http.Server, waitWorkers func(), log *slog.Logger) error {
	log.Info("shutting down", "timeout", c.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx) // also stops the workers and the streams (RegisterOnShutdown)
	done := make(chan struct{})
	go func() { waitWorkers(); close(done) }()
	select {
	case <-done:
	case <-sctx.Done():
		log.Warn("batch items still running at the shutdown bound; they resume on the next start")
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func (c *serveCmd) handler(ctx context.Context, a *app) (*httpapi.Server, error) {
	secret, err := loadSecret(ctx, c.Secret, a.store, a.log)
	if err != nil {
		return nil, err
	}
	keys, err := parseAPIKeys(c.APIKeys)
	if err != nil {
		return nil, err
	}
	presets, err := parsePresets(c.Presets)
	if err != nil {
		return nil, err
	}
	return httpapi.New(httpapi.Config{
		Service: a.svc, Secret: secret, APIKeys: keys, MaxBody: int64(c.MaxBody), Presets: presets,
		Metrics: a.metrics, MetricsHandler: a.metrics.Handler(), OpenAPI: docs.OpenAPI, Logger: a.log,
		UI: ui.Handler(),
	})
}

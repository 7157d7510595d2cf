package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// workerCmd runs batch workers only, for deployments that scale them apart
// from the front end. It needs Redis: that is where the shared queue is.
type workerCmd struct {
	backendFlags `embed:""`
	Addr         string        `default:":9091" help:"Address for /healthz, /readyz and /metrics."`
	StopTimeout  time.Duration `default:"60s" help:"On SIGTERM, how long running batch items may take to finish."`
}

// Run works until the context ends, then lets running items finish.
func (c *workerCmd) Run(ctx context.Context, e env) error {
	if c.Redis == "" {
		fmt.Fprintln(e.stderr, "cloudresizer worker: --redis is required: workers take their tasks from the Redis queue")
		return exitCode(exitUsage)
	}
	log := c.logger(e)
	a, err := c.build(ctx, log)
	if err != nil {
		return err
	}
	defer a.close()
	srv, err := c.serveHealth(a)
	if err != nil {
		return err
	}
	workCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	wait := c.startWorkers(workCtx, a)
	log.Info("working", "storage", a.store.String(), "health", c.Addr)
	<-ctx.Done()
	log.Info("stopping: finishing running items", "timeout", c.StopTimeout)
	stop()
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(c.StopTimeout):
		log.Warn("items still running at the stop bound; another worker takes them over")
	}
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	return nil
}

// serveHealth answers probes and metrics, so an orchestrator can watch a
// worker like any other instance.
func (c *workerCmd) serveHealth(a *app) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := a.svc.Ready(r.Context()); err != nil {
			http.Error(w, "storage unreachable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", a.metrics.Handler())
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("health server stopped", "err", err)
		}
	}()
	return srv, nil
}

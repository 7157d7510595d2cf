// Package httpapi is Cloud Resizer's HTTP interface: the JSON API, signed
// public links, identity, health and metrics endpoints. It speaks to the
// domain only through *resizer.Service, so it never touches libvips.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
)

// Config is what the HTTP layer needs.
type Config struct {
	Service *resizer.Service
	// Secret signs public links and device cookies.
	Secret []byte
	// APIKeys maps a bearer key to its owner's name.
	APIKeys map[string]string
	// MaxBody bounds a whole request body (several files in one upload).
	MaxBody int64
	// Metrics records requests; Metrics handler is served at /metrics.
	Metrics        RequestObserver
	MetricsHandler http.Handler
	// Presets are the named batch targets (resizer.DefaultPresets if nil).
	Presets []resizer.Target
	// UI serves the web page at / and its assets under /static/ (nil: none).
	UI http.Handler
	// OpenAPI is the API description served at /api/v1/openapi.json.
	OpenAPI []byte
	Logger  *slog.Logger
}

// RequestObserver records one request's route, status and duration.
type RequestObserver interface {
	Request(route string, status int, d time.Duration)
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Service == nil:
		return errors.New("httpapi: a service is required")
	case len(c.Secret) < 16:
		return errors.New("httpapi: the signing secret must be at least 16 bytes")
	case c.MaxBody <= 0:
		return errors.New("httpapi: the body limit must be positive")
	}
	return nil
}

// Server routes requests to handlers.
type Server struct {
	cfg    Config
	svc    *resizer.Service
	signer signer
	mux    *http.ServeMux
	// closing is closed when the server shuts down: long-lived streams end
	// then, so that a graceful stop is not held up by open event streams.
	closing     chan struct{}
	closingOnce sync.Once
}

// New returns a server for cfg.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Presets == nil {
		cfg.Presets = resizer.DefaultPresets
	}
	s := &Server{cfg: cfg, svc: cfg.Service, signer: signer{secret: cfg.Secret}, mux: http.NewServeMux(),
		closing: make(chan struct{})}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	owned := s.withOwner
	s.mux.HandleFunc("POST /api/v1/images", owned(s.upload))
	s.mux.HandleFunc("GET /api/v1/images", owned(s.list))
	s.mux.HandleFunc("GET /api/v1/images/{id}", owned(s.image))
	s.mux.HandleFunc("DELETE /api/v1/images/{id}", owned(s.delete))
	s.mux.HandleFunc("GET /api/v1/images/{id}/original", owned(s.original))
	s.mux.HandleFunc("GET /api/v1/images/{id}/resize", owned(s.resize))
	s.mux.HandleFunc("GET /api/v1/images/{id}/link", owned(s.link))
	s.mux.HandleFunc("GET /r/{sig}/{id}", s.signed)
	s.mux.HandleFunc("GET /api/v1/presets", s.presets)
	s.mux.HandleFunc("POST /api/v1/batches", owned(s.createBatch))
	s.mux.HandleFunc("GET /api/v1/batches", owned(s.listBatches))
	s.mux.HandleFunc("GET /api/v1/batches/{id}", owned(s.batch))
	s.mux.HandleFunc("GET /api/v1/batches/{id}/events", owned(s.batchEvents))
	s.mux.HandleFunc("GET /api/v1/batches/{id}/zip", owned(s.batchZip))
	s.mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if s.cfg.UI != nil {
		s.mux.Handle("GET /{$}", s.cfg.UI)
		s.mux.Handle("GET /static/", s.cfg.UI)
	}
	if s.cfg.MetricsHandler != nil {
		s.mux.Handle("GET /metrics", s.cfg.MetricsHandler)
	}
}

// ServeHTTP runs the middleware chain around the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.observe(s.recoverPanics(s.refuseCrossSite(http.HandlerFunc(s.route)))).ServeHTTP(w, r)
}

// route dispatches to the mux, answering in JSON where the mux itself would
// answer 404 or 405 in plain text.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if h, pattern := s.mux.Handler(r); pattern == "" {
		probe := &statusRecorder{ResponseWriter: discard{header: http.Header{}}}
		h.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.Header().Get("Allow"))
			writeError(w, r, resizer.Errorf(resizer.ENOTALLOWED, "%s is not allowed on %s", r.Method, r.URL.Path))
			return
		}
		writeError(w, r, resizer.Errorf(resizer.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// discard is a ResponseWriter that keeps headers and drops the body.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

// CloseStreams ends every open event stream (clients reconnect, to another
// instance); call it when shutdown starts, e.g. with http.Server.RegisterOnShutdown.
func (s *Server) CloseStreams() { s.closingOnce.Do(func() { close(s.closing) }) }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.svc.Ready(ctx); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.cfg.OpenAPI)
}

package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
)

type ctxKey int

const (
	loggerKey ctxKey = iota
	ownerKey
)

// requestLog is what a request's logger is made of; the logger itself is
// made only when a line is logged, which most requests never do.
type requestLog struct {
	base *slog.Logger
	id   string
}

// logger returns the request's logger, which carries its request id.
func logger(r *http.Request) *slog.Logger {
	if l, ok := r.Context().Value(loggerKey).(requestLog); ok {
		return l.base.With("request_id", l.id)
	}
	return slog.Default()
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes, deadlines).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// observe gives each request an id and a logger, and records its route,
// status and duration once it is done.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), loggerKey, requestLog{base: s.cfg.Logger, id: id}))
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		route := r.Pattern // set by the mux on the request it was given
		if route == "" {
			route = "unmatched"
		}
		if s.cfg.Metrics != nil {
			s.cfg.Metrics.Request(route, rec.status, d)
		}
		if s.cfg.Logger.Enabled(r.Context(), slog.LevelDebug) {
			logger(r).Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", d)
		}
	})
}

// validRequestID accepts a caller's id only if it is short and plain, since
// it is echoed in headers and logs.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// recoverPanics turns a handler's panic into a logged 500, never a dropped
// connection; the process goes on serving.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger(r).Error("panic", "value", v)
				writeError(w, r, resizer.Errorf(resizer.EINTERNAL, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// refuseCrossSite refuses state-changing requests that a browser made from
// another site (CSRF). Clients that send neither header (curl, programs)
// are not browsers and pass.
func (s *Server) refuseCrossSite(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions && crossSite(r) {
			writeError(w, r, resizer.Errorf(resizer.EFORBIDDEN, "cross-site requests are refused"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return false
	case "same-site", "cross-site":
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err != nil || u.Host != r.Host
}

func contextWith(r *http.Request, k ctxKey, v any) context.Context {
	return context.WithValue(r.Context(), k, v)
}

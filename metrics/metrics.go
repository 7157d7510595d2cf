// Package metrics exposes Cloud Resizer's measurements to Prometheus, on a
// registry the caller owns (never the global one).
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	resizer "github.com/cloudresizer/cloudresizer"
)

// Metrics implements resizer.Observer and records HTTP requests.
type Metrics struct {
	registry   *prometheus.Registry
	requests   *prometheus.HistogramVec
	cache      *prometheus.CounterVec
	transforms *prometheus.HistogramVec
	inFlight   prometheus.Gauge
	queued     prometheus.Gauge
	bytes      *prometheus.CounterVec
}

var _ resizer.Observer = (*Metrics)(nil)

// New registers every metric, plus the Go and process collectors, on a new registry.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cloudresizer_http_request_duration_seconds", Help: "HTTP request latency by route and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "status"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cloudresizer_cache_lookups_total", Help: "Variant lookups per tier and result (hit or miss).",
		}, []string{"tier", "result"}),
		transforms: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cloudresizer_transform_duration_seconds", Help: "Time to compute one variant, by result.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}, []string{"result"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "cloudresizer_transforms_in_flight", Help: "Transforms running now."}),
		queued:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "cloudresizer_transforms_queued", Help: "Transforms waiting for a worker."}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cloudresizer_image_bytes_total", Help: "Bytes of originals uploaded (in) and variants computed (out).",
		}, []string{"direction"}),
	}
	m.registry.MustRegister(m.requests, m.cache, m.transforms, m.inFlight, m.queued, m.bytes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Registry is the registry the metrics live on (for other components' metrics).
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Request records one HTTP request.
func (m *Metrics) Request(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, statusText(status)).Observe(d.Seconds())
}

// CacheResult implements resizer.Observer.
func (m *Metrics) CacheResult(tier string, hit bool) {
	result := "miss"
	if hit {
		result = "hit"
	}
	m.cache.WithLabelValues(tier, result).Inc()
}

// Transformed implements resizer.Observer.
func (m *Metrics) Transformed(d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = resizer.ErrorCode(err)
	}
	m.transforms.WithLabelValues(result).Observe(d.Seconds())
}

// TransformsInFlight implements resizer.Observer.
func (m *Metrics) TransformsInFlight(delta int) { m.inFlight.Add(float64(delta)) }

// TransformsQueued implements resizer.Observer.
func (m *Metrics) TransformsQueued(delta int) { m.queued.Add(float64(delta)) }

// BytesIn implements resizer.Observer.
func (m *Metrics) BytesIn(n int) { m.bytes.WithLabelValues("in").Add(float64(n)) }

// BytesOut implements resizer.Observer.
func (m *Metrics) BytesOut(n int) { m.bytes.WithLabelValues("out").Add(float64(n)) }

func statusText(code int) string {
	const digits = "0123456789"
	if code < 100 || code > 999 {
		return "other"
	}
	return string([]byte{digits[code/100], digits[code/10%10], digits[code%10]})
}

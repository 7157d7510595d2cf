package main

import (
	"context"
	"math"
	"net/http"
	"slices"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Stats is what one cell measured: a server under one scenario at one
// concurrency.
type Stats struct {
	Requests  int     `json:"requests"`
	OK        int     `json:"ok"`        // 2xx
	Shed      int     `json:"shed"`      // 503
	ServerErr int     `json:"serverErr"` // 5xx other than 503
	OtherErr  int     `json:"otherErr"`  // 4xx, transport errors, timeouts
	CacheOff  int     `json:"cacheOff"`  // 2xx whose X-Cache was not the expected one
	Seconds   float64 `json:"seconds"`
	RPS       float64 `json:"rps"`     // 2xx per second
	P50       float64 `json:"p50"`     // ms, 2xx only
	P99       float64 `json:"p99"`     // ms, 2xx only
	Shed99    float64 `json:"shed99"`  // ms, p99 of the 503 answers
	PeakRSS   float64 `json:"peakRSS"` // MiB, VmHWM of the server
	FirstErr  string  `json:"firstErr,omitempty"`
}

// tally accumulates vegeta results into Stats.
type tally struct {
	expect  string // the X-Cache every 2xx should carry; "" to skip the check
	st      Stats
	ok, shd []time.Duration
}

// add counts one result.
func (t *tally) add(r *vegeta.Result) {
	t.st.Requests++
	switch {
	case r.Code >= 200 && r.Code < 300:
		t.st.OK++
		t.ok = append(t.ok, r.Latency)
		if t.expect != "" && http.Header(r.Headers).Get("X-Cache") != t.expect {
			t.st.CacheOff++
		}
		return
	case r.Code == http.StatusServiceUnavailable:
		t.st.Shed++
		t.shd = append(t.shd, r.Latency)
		return
	case r.Code >= 500:
		t.st.ServerErr++
	default:
		t.st.OtherErr++
	}
	if t.st.FirstErr == "" {
		t.st.FirstErr = r.Error
	}
}

// done finishes the Stats of a cell that took elapsed.
func (t *tally) done(elapsed time.Duration) Stats {
	t.st.Seconds = elapsed.Seconds()
	t.st.RPS = float64(t.st.OK) / t.st.Seconds
	t.st.P50 = percentile(t.ok, 0.50)
	t.st.P99 = percentile(t.ok, 0.99)
	t.st.Shed99 = percentile(t.shd, 0.99)
	return t.st
}

// percentile returns the q-quantile of ds in milliseconds (nearest rank),
// or -1 when ds is empty.
func percentile(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return -1
	}
	slices.Sort(ds)
	i := int(math.Ceil(q*float64(len(ds)))) - 1
	return float64(ds[max(i, 0)]) / float64(time.Millisecond)
}

// attack keeps c requests in flight (a closed loop: c workers, no rate) for
// d, and tallies the answers. Bodies are read and dropped.
func attack(ctx context.Context, tr vegeta.Targeter, c int, d time.Duration, expect string) Stats {
	a := vegeta.NewAttacker(
		vegeta.Workers(uint64(c)), vegeta.MaxWorkers(uint64(c)),
		vegeta.Connections(c), vegeta.KeepAlive(true), vegeta.HTTP2(false),
		vegeta.MaxBody(0), vegeta.Timeout(2*time.Minute),
	)
	defer context.AfterFunc(ctx, func() { a.Stop() })()
	t := tally{expect: expect}
	start := time.Now()
	for r := range a.Attack(tr, vegeta.Rate{Freq: 0}, d, "") {
		t.add(r)
	}
	return t.done(time.Since(start))
}

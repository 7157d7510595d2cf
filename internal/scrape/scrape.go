// Package scrape reads Prometheus metrics the way a test needs them: the
// sum of one metric's samples, fetched from a running server.
package scrape

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Sum fetches url (a /metrics page) and adds up the samples of the metric
// called name whose line contains match ("" for all).
func Sum(url, name, match string) (float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, name) && strings.Contains(line, match) {
			fields := strings.Fields(line)
			var v float64
			if _, err := fmt.Sscan(fields[len(fields)-1], &v); err == nil {
				sum += v
			}
		}
	}
	return sum, nil
}

// Package cachetest is the conformance suite every resizer.Cache tier must
// pass (memory here; Redis, fake and real, in its package).
package cachetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	resizer "github.com/cloudresizer/cloudresizer"
)

// Run runs the suite on caches made by open, each one empty.
func Run(t *testing.T, open func(t *testing.T) resizer.Cache) {
	tests := map[string]func(*testing.T, resizer.Cache){
		"RoundTrip":  testRoundTrip,
		"Miss":       testMiss,
		"Overwrite":  testOverwrite,
		"Concurrent": testConcurrent,
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) { test(t, open(t)) })
	}
}

func get(t *testing.T, c resizer.Cache, key string) ([]byte, bool) {
	t.Helper()
	return c.Get(context.Background(), key)
}

func testRoundTrip(t *testing.T, c resizer.Cache) {
	// Raw bytes of every value, as images are: never text-mangled.
	v := make([]byte, 256*300)
	for i := range v {
		v[i] = byte(i)
	}
	c.Set(context.Background(), "k", v)
	got, ok := get(t, c, "k")
	if !ok || !bytes.Equal(got, v) {
		t.Fatalf("got %d bytes (%t), want %d", len(got), ok, len(v))
	}
}

func testMiss(t *testing.T, c resizer.Cache) {
	if v, ok := get(t, c, "absent"); ok || v != nil {
		t.Errorf("got %q, %t", v, ok)
	}
}

func testOverwrite(t *testing.T, c resizer.Cache) {
	c.Set(context.Background(), "k", []byte("one"))
	c.Set(context.Background(), "k", []byte("two"))
	if v, _ := get(t, c, "k"); string(v) != "two" {
		t.Errorf("got %q", v)
	}
}

func testConcurrent(t *testing.T, c resizer.Cache) {
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("k%d", i%4)
			c.Set(context.Background(), key, bytes.Repeat([]byte{byte(i % 4)}, 1000))
			if v, ok := c.Get(context.Background(), key); ok && (len(v) != 1000 || v[0] != byte(i%4)) {
				t.Errorf("%s: wrong value", key)
			}
		}()
	}
	wg.Wait()
}

package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkMemoryHit measures the HTTP layer on its fastest path: a variant
// served from the memory cache, without a network in between.
func BenchmarkMemoryHit(b *testing.B) {
	t := &testing.T{}
	e := start(t, options{})
	c := e.apiClient(testKey)
	img := c.uploadOne("a.jpg", read(b, "photos/storm_canon_exif.jpg"))
	path := "/api/v1/images/" + img.ID + "/resize?w=300&format=webp"
	c.get(path, nil)
	h := e.srv.Config.Handler
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+testKey)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

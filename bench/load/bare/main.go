// Command bare is the limit of the HTTP layer in `make load`: a plain
// net/http server that answers from a map keyed by the URL path, with the
// headers cloudresizer sends on a memory-cache hit. The load harness
// (bench/load) compares cloudresizer's memory hits with it.
//
//	bare -addr 127.0.0.1:PORT -path /api/v1/images/ID/resize -file VARIANT -type image/jpeg -etag TAG
package main

import (
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"time"
)

// variant is an answer held in memory.
type variant struct {
	bytes       []byte
	contentType string
	etag        string
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	path := flag.String("path", "", "URL path to serve the file at")
	file := flag.String("file", "", "the bytes to serve")
	ctype := flag.String("type", "application/octet-stream", "Content-Type")
	etag := flag.String("etag", `"bare"`, "ETag")
	flag.Parse()
	b, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
	variants := map[string]variant{*path: {bytes: b, contentType: *ctype, etag: *etag}}
	srv := &http.Server{Addr: *addr, Handler: handler(variants), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintln(os.Stderr, "bare: serving", len(b), "bytes at", *path, "on", *addr)
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
}

// handler serves the variants by path, and /healthz.
func handler(variants map[string]variant) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.Write([]byte(`{"status":"ok"}`))
			return
		}
		v, ok := variants[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("X-Request-Id", requestID())
		h.Set("ETag", v.etag)
		h.Set("Cache-Control", "private, max-age=86400")
		h.Set("Content-Type", v.contentType)
		h.Set("Content-Length", strconv.Itoa(len(v.bytes)))
		h.Set("X-Cache", "memory")
		h.Set("X-Content-Type-Options", "nosniff")
		w.Write(v.bytes)
	})
}

// requestID makes a random id, as cloudresizer does for every request.
func requestID() string {
	var b [8]byte
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	return hex.EncodeToString(b[:])
}

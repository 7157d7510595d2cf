// Package storagetest is the conformance suite every resizer.Store must pass:
// memory, disk and a real S3-compatible server run the same tests.
package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	resizer "github.com/cloudresizer/cloudresizer"
)

// Run runs the suite on stores made by open, each one empty.
func Run(t *testing.T, open func(t *testing.T) resizer.Store) {
	tests := map[string]func(*testing.T, resizer.Store){
		"PutGet":                 testPutGet,
		"Missing":                testMissing,
		"Overwrite":              testOverwrite,
		"Delete":                 testDelete,
		"List":                   testList,
		"Open":                   testOpen,
		"FailedPutLeavesNothing": testFailedPut,
		"Concurrent":             testConcurrent,
		"Ping":                   func(t *testing.T, s resizer.Store) { must(t, s.Ping(context.Background())) },
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) { test(t, open(t)) })
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func put(t *testing.T, s resizer.Store, key, body string) {
	t.Helper()
	must(t, s.Put(context.Background(), key, bytes.NewReader([]byte(body)), "text/plain"))
}

func testPutGet(t *testing.T, s resizer.Store) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	must(t, s.Put(context.Background(), "a/b/big", bytes.NewReader(big), "application/octet-stream"))
	got, err := s.Get(context.Background(), "a/b/big")
	must(t, err)
	if !bytes.Equal(got, big) {
		t.Fatalf("got %d bytes back, want %d", len(got), len(big))
	}
	put(t, s, "empty", "")
	if got, err := s.Get(context.Background(), "empty"); err != nil || len(got) != 0 {
		t.Fatalf("empty object: %q %v", got, err)
	}
}

func testMissing(t *testing.T, s resizer.Store) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "nope"); resizer.ErrorCode(err) != resizer.ENOTFOUND {
		t.Errorf("Get: %v, want not_found", err)
	}
	if _, _, err := s.Open(ctx, "nope"); resizer.ErrorCode(err) != resizer.ENOTFOUND {
		t.Errorf("Open: %v, want not_found", err)
	}
	if ok, err := s.Exists(ctx, "nope"); ok || err != nil {
		t.Errorf("Exists: %v %v", ok, err)
	}
}

func testOverwrite(t *testing.T, s resizer.Store) {
	put(t, s, "k", "one")
	put(t, s, "k", "two")
	if got, _ := s.Get(context.Background(), "k"); string(got) != "two" {
		t.Errorf("got %q", got)
	}
}

func testDelete(t *testing.T, s resizer.Store) {
	put(t, s, "k", "v")
	must(t, s.Delete(context.Background(), "k"))
	must(t, s.Delete(context.Background(), "k")) // twice is fine
	if ok, _ := s.Exists(context.Background(), "k"); ok {
		t.Error("still there")
	}
}

func testList(t *testing.T, s resizer.Store) {
	// No key is also a "folder" of others: disk stores cannot hold both.
	for _, k := range []string{"p/3", "p/1", "p/2", "p/sub/4", "q/1", "pq"} {
		put(t, s, k, k)
	}
	ctx := context.Background()
	check := func(after string, limit int, want ...string) {
		t.Helper()
		got, err := s.List(ctx, "p/", after, limit)
		must(t, err)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("List(p/, %q, %d) = %v, want %v", after, limit, got, want)
		}
	}
	check("", 10, "p/1", "p/2", "p/3", "p/sub/4")
	check("", 2, "p/1", "p/2")
	check("p/2", 10, "p/3", "p/sub/4")
	check("p/sub/4", 10)
	// A prefix that holds nothing (on disk: a folder not made yet) is empty, not an error.
	for _, prefix := range []string{"absent/", "p/absent/"} {
		if got, err := s.List(ctx, prefix, "", 10); err != nil || len(got) != 0 {
			t.Errorf("List(%q) = %v, %v; want nothing and no error", prefix, got, err)
		}
	}
}

func testOpen(t *testing.T, s resizer.Store) {
	put(t, s, "k", "hello")
	r, n, err := s.Open(context.Background(), "k")
	must(t, err)
	defer r.Close()
	b, _ := io.ReadAll(r)
	if n != 5 || string(b) != "hello" {
		t.Errorf("got %q (%d)", b, n)
	}
}

// failingReader yields some bytes, then fails: a client that went away.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), f.n)
	f.n -= n
	return n, nil
}

func testFailedPut(t *testing.T, s resizer.Store) {
	ctx := context.Background()
	if err := s.Put(ctx, "partial", &failingReader{n: 100_000}, "image/jpeg"); err == nil {
		t.Fatal("a failed body was stored")
	}
	if ok, _ := s.Exists(ctx, "partial"); ok {
		t.Error("a partial object is visible")
	}
	if keys, _ := s.List(ctx, "", "", 100); len(keys) != 0 {
		t.Errorf("leftovers listed: %v", keys)
	}
}

// testListWhileWriting lists a prefix while objects are being written
// under it: a listing may miss the newest objects, but never fails.
func testListWhileWriting(t *testing.T, s resizer.Store) {
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			s.Put(ctx, fmt.Sprintf("w/%04d", i), bytes.NewReader(make([]byte, 4096)), "text/plain")
		}
	}()
	for {
		select {
		case <-done:
			keys, err := s.List(ctx, "w/", "", 5000)
			if err != nil || len(keys) != 2000 {
				t.Errorf("after the writes: %d keys, %v", len(keys), err)
			}
			return
		default:
		}
		if _, err := s.List(ctx, "w/", "", 1000); err != nil {
			t.Fatalf("List while writing: %v", err)
		}
	}
}

func testConcurrent(t *testing.T, s resizer.Store) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := bytes.Repeat([]byte{byte('a' + i)}, 200_000)
			if err := s.Put(context.Background(), "same", bytes.NewReader(body), "text/plain"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	b, err := s.Get(context.Background(), "same")
	must(t, err)
	if len(b) != 200_000 || !bytes.Equal(b, bytes.Repeat(b[:1], 200_000)) {
		t.Error("concurrent writes were interleaved")
	}
}

package e2e

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cloudresizer/cloudresizer/internal/corpus"
	"github.com/cloudresizer/cloudresizer/internal/testserver"
)

func read(t *testing.T, name string) []byte { return corpus.MustRead(t, name) }

// TestTiersOnS3AndRedis follows one variant through the tiers: computed,
// then from memory; after a restart from Redis; after Redis is flushed and
// another restart, from storage (S3).
func TestTiersOnS3AndRedis(t *testing.T) {
	s3 := testserver.StartS3(t)
	rd := testserver.StartRedis(t)
	in := startInstance(t, s3.Env(), "--storage", s3.URL(testserver.DefaultBucket), "--redis", rd.URL())
	id := in.upload("a.jpg", read(t, "photos/storm_canon_exif.jpg"))
	path := "/api/v1/images/" + id + "/resize?w=200&format=webp"
	xcache := func() string {
		status, h, body := in.get(path, nil)
		if status != 200 || len(body) == 0 {
			t.Fatalf("GET: %d %s", status, body)
		}
		return h.Get("X-Cache")
	}
	for _, want := range []string{"miss", "memory"} {
		if got := xcache(); got != want {
			t.Fatalf("X-Cache %q, want %q", got, want)
		}
	}
	in.restart()
	if got := xcache(); got != "redis" {
		t.Errorf("after a restart: X-Cache %q, want redis", got)
	}
	goredis.NewClient(&goredis.Options{Addr: rd.Addr()}).FlushAll(context.Background())
	in.restart()
	if got := xcache(); got != "storage" {
		t.Errorf("after a flush and a restart: X-Cache %q, want storage", got)
	}
}

// TestRedisDiesUnderLoad kills Redis during a steady load of mixed
// requests: no request may fail. Once Redis is back, it is used again.
func TestRedisDiesUnderLoad(t *testing.T) {
	rd := testserver.StartRedis(t)
	in := startInstance(t, nil, "--storage", "file://"+t.TempDir(), "--redis", rd.URL())
	ids := []string{in.upload("a.jpg", read(t, "photos/storm_canon_exif.jpg")),
		in.upload("b.png", read(t, "formats/alpha_vignette_photo.png"))}
	var failures, requests atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				// Half repeat (cache hits), half new (misses that write to Redis).
				w := 100 + (i%2)*(g*1000+i)%400
				status, _, _ := in.get("/api/v1/images/"+ids[i%2]+"/resize?w="+itoa(w), nil)
				requests.Add(1)
				if status != 200 {
					failures.Add(1)
				}
			}
		}()
	}
	time.Sleep(time.Second)
	rd.Stop()
	time.Sleep(1500 * time.Millisecond)
	if status, _, _ := in.get("/readyz", nil); status != 200 {
		t.Errorf("readiness %d while Redis is down, want 200", status)
	}
	rd.Start()
	time.Sleep(time.Second)
	cancel()
	wg.Wait()
	if failures.Load() > 0 {
		t.Errorf("%d of %d requests failed while Redis died", failures.Load(), requests.Load())
	}
	client := goredis.NewClient(&goredis.Options{Addr: rd.Addr()})
	eventually(t, 10*time.Second, "a new variant in Redis", func() bool {
		in.get("/api/v1/images/"+ids[0]+"/resize?w=333&q=51", nil)
		n, _ := client.DBSize(context.Background()).Result()
		return n > 0
	})
}

// TestS3StopsDuringUploads stops the S3 server in the middle of a stream of
// uploads: while it is down, uploads answer 503, never 201; every upload
// answered 201 is there once it is back.
func TestS3StopsDuringUploads(t *testing.T) {
	s3 := testserver.StartS3(t)
	in := startInstance(t, s3.Env(), "--storage", s3.URL(testserver.DefaultBucket))
	base := read(t, "edge/pixel_1x1.png")
	acked := map[string][]byte{}
	phase := func(n int, want int) {
		for i := range n {
			// Distinct bytes each time (a trailing chunk decoders ignore), so
			// every upload is a new original.
			b := append(append([]byte{}, base...), []byte(time.Now().String()+itoa(i))...)
			status, body := in.post("/api/v1/images", map[string][]byte{"x.png": b}, nil)
			if status != want {
				t.Errorf("upload: %d %s, want %d", status, body, want)
			}
			if strings.Contains(string(body), "127.0.0.1") || strings.Contains(string(body), "dial") {
				t.Errorf("an error body shows backend details: %s", body)
			}
			if status == 201 {
				acked[string(body)] = b
			}
		}
	}
	phase(5, 201)
	s3.Stop()
	phase(5, 503)
	if status, _, _ := in.get("/readyz", nil); status != 503 {
		t.Errorf("readiness %d with storage down, want 503", status)
	}
	s3.Start()
	phase(5, 201)
	for body, b := range acked {
		id := body[len(`{"images":[{"id":"`):][:32]
		status, _, got := in.get("/api/v1/images/"+id+"/original", nil)
		if status != 200 || !bytes.Equal(got, b) {
			t.Errorf("acknowledged upload %s: %d, %d bytes", id, status, len(got))
		}
	}
}

// TestCorruptRedisEntryNotServed damages every value in Redis: a new
// instance must not serve them, and answers from storage instead.
func TestCorruptRedisEntryNotServed(t *testing.T) {
	rd := testserver.StartRedis(t)
	in := startInstance(t, nil, "--storage", "file://"+t.TempDir(), "--redis", rd.URL())
	id := in.upload("a.jpg", read(t, "photos/storm_canon_exif.jpg"))
	path := "/api/v1/images/" + id + "/resize?w=120"
	_, _, good := in.get(path, nil)
	client := goredis.NewClient(&goredis.Options{Addr: rd.Addr()})
	ctx := context.Background()
	keys, _ := client.Keys(ctx, "*").Result()
	damaged := 0
	for _, k := range keys {
		v, err := client.Get(ctx, k).Bytes()
		if err != nil || len(v) < 20 {
			continue
		}
		v[len(v)/2] ^= 0xff
		client.Set(ctx, k, v, 0)
		damaged++
	}
	if damaged == 0 {
		t.Fatal("no value in Redis to damage")
	}
	in.restart()
	status, h, body := in.get(path, nil)
	if status != 200 || h.Get("X-Cache") == "redis" || !bytes.Equal(body, good) {
		t.Errorf("after damage: %d X-Cache %q, same bytes %t", status, h.Get("X-Cache"), bytes.Equal(body, good))
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

package redis

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/internal/testserver"
	"github.com/cloudresizer/cloudresizer/memcache/cachetest"
)

var ctx = context.Background()

// open returns a Client on url with cfg's other settings, closed at the end.
func open(t *testing.T, url string, edit func(*Config)) *Client {
	t.Helper()
	cfg := DefaultConfig()
	cfg.URL = url
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// plain is a client without our tier's encoding, to look at what is stored.
func plain(t *testing.T, addr string) *goredis.Client {
	rdb := goredis.NewClient(&goredis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func TestConformanceMiniredis(t *testing.T) {
	cachetest.Run(t, func(t *testing.T) resizer.Cache {
		return open(t, "redis://"+miniredis.RunT(t).Addr(), nil)
	})
}

func TestConformanceRedis(t *testing.T) {
	srv := testserver.StartRedis(t)
	cachetest.Run(t, func(t *testing.T) resizer.Cache {
		// A prefix per subtest gives each an empty cache on the one server.
		return open(t, srv.URL(), func(c *Config) { c.Prefix = "test:" + t.Name() + ":" })
	})
}

func TestStoredFormat(t *testing.T) {
	srv := testserver.StartRedis(t)
	c := open(t, srv.URL(), func(c *Config) { c.TTL = time.Hour })
	value := make([]byte, 3*256)
	for i := range value {
		value[i] = byte(i)
	}
	c.Set(ctx, "k", value)

	rdb := plain(t, srv.Addr())
	if keys := rdb.Keys(ctx, "*").Val(); len(keys) != 1 || keys[0] != "cr:v1:k" {
		t.Errorf("keys %q, want the versioned prefix [cr:v1:k]", keys)
	}
	raw, err := rdb.Get(ctx, "cr:v1:k").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != headerSize+len(value) || !bytes.Equal(raw[headerSize:], value) {
		t.Errorf("stored %d bytes, want an %d-byte header and the raw %d bytes", len(raw), headerSize, len(value))
	}
	if ttl := rdb.PTTL(ctx, "cr:v1:k").Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("PTTL %v, want in (0, 1h]", ttl)
	}
	other := open(t, srv.URL(), func(c *Config) { c.Prefix = "cr:v2:" })
	if _, ok := other.Get(ctx, "k"); ok {
		t.Error("a client of another format version read the entry")
	}
}

func TestMaxItem(t *testing.T) {
	srv := testserver.StartRedis(t)
	c := open(t, srv.URL(), func(c *Config) { c.MaxItem = 1000 })
	c.Set(ctx, "big", make([]byte, 1001))
	c.Set(ctx, "fits", make([]byte, 1000))
	rdb := plain(t, srv.Addr())
	if n := rdb.Exists(ctx, "cr:v1:big").Val(); n != 0 {
		t.Error("a value over MaxItem was stored")
	}
	if _, ok := c.Get(ctx, "fits"); !ok {
		t.Error("a value of exactly MaxItem was not stored")
	}
}

func TestCorruptedEntryIsAMiss(t *testing.T) {
	srv := testserver.StartRedis(t)
	c := open(t, srv.URL(), nil)
	rdb := plain(t, srv.Addr())
	damage := map[string]func([]byte) []byte{
		"flipped byte": func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b },
		"truncated":    func(b []byte) []byte { return b[:len(b)-1] },
		"extended":     func(b []byte) []byte { return append(b, 0) },
		"no header":    func(b []byte) []byte { return b[:3] },
		"empty":        func([]byte) []byte { return nil },
	}
	for name, f := range damage {
		t.Run(name, func(t *testing.T) {
			c.Set(ctx, "k", bytes.Repeat([]byte("image"), 100))
			raw := rdb.Get(ctx, "cr:v1:k").Val()
			rdb.Set(ctx, "cr:v1:k", f([]byte(raw)), 0)
			before := c.Corrupt()
			if v, ok := c.Get(ctx, "k"); ok || v != nil {
				t.Fatalf("served %d bytes of a damaged entry", len(v))
			}
			if c.Corrupt() != before+1 {
				t.Error("not counted as corrupt")
			}
			if rdb.Exists(ctx, "cr:v1:k").Val() != 0 {
				t.Error("the damaged entry was not deleted")
			}
		})
	}
}

func TestLock(t *testing.T) {
	srv := testserver.StartRedis(t)
	a, b := open(t, srv.URL(), nil), open(t, srv.URL(), nil)

	unlockA, held, err := a.TryLock(ctx, "lock:k", time.Minute)
	if err != nil || !held {
		t.Fatalf("first TryLock: held %t, %v", held, err)
	}
	if _, held, err := b.TryLock(ctx, "lock:k", time.Minute); err != nil || held {
		t.Fatalf("second TryLock: held %t, %v; want not held", held, err)
	}
	b.unlock("lock:k", "not-the-token")
	if _, held, _ := b.TryLock(ctx, "lock:k", time.Minute); held {
		t.Fatal("an unlock with another token released the lock")
	}
	unlockA()
	unlockA() // twice is harmless
	unlockB, held, err := b.TryLock(ctx, "lock:k", time.Minute)
	if err != nil || !held {
		t.Fatalf("TryLock after unlock: held %t, %v", held, err)
	}
	unlockB()
}

func TestLockExpires(t *testing.T) {
	srv := testserver.StartRedis(t)
	a, b := open(t, srv.URL(), nil), open(t, srv.URL(), nil)
	unlockA, held, _ := a.TryLock(ctx, "lock:k", 100*time.Millisecond)
	if !held {
		t.Fatal("not held")
	}
	time.Sleep(150 * time.Millisecond) // the holder "died"
	unlockB, held, err := b.TryLock(ctx, "lock:k", time.Minute)
	if err != nil || !held {
		t.Fatalf("TryLock after expiry: held %t, %v", held, err)
	}
	unlockA() // late: must not release b's lock
	if _, held, _ := a.TryLock(ctx, "lock:k", time.Minute); held {
		t.Fatal("an expired holder's unlock released the new holder's lock")
	}
	unlockB()
	if _, _, err := a.TryLock(ctx, "lock:k", 0); err == nil {
		t.Error("a lock without a TTL was accepted")
	}
}

// TestRedisDown checks that a stopped Redis costs requests nothing: the
// breaker keeps calls off the network until Redis answers again.
func TestRedisDown(t *testing.T) {
	srv := testserver.StartRedis(t)
	c := open(t, srv.URL(), func(c *Config) { c.RetryAfter = 100 * time.Millisecond })
	c.Set(ctx, "k", []byte("v"))
	srv.Stop()

	before := c.attempts.Load()
	start := time.Now()
	for range 100 {
		if _, ok := c.Get(ctx, "k"); ok {
			t.Fatal("a hit from a stopped server")
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("100 Gets took %v", d)
	}
	if n := c.attempts.Load() - before; n > 5 {
		t.Errorf("%d of 100 Gets went to the network", n)
	}
	if c.Available() || c.Errors() == 0 {
		t.Errorf("available %t, errors %d: the failure was not noticed", c.Available(), c.Errors())
	}
	if _, _, err := c.TryLock(ctx, "lock:k", time.Second); err == nil {
		t.Error("TryLock without Redis reported no error")
	}

	srv.Start()
	eventually(t, 3*time.Second, func() bool {
		c.Set(ctx, "k", []byte("back"))
		v, ok := c.Get(ctx, "k")
		return ok && string(v) == "back"
	})
}

// TestRedisSlow checks the same for a server that accepts connections but
// never answers, where each call would otherwise wait its whole timeout.
func TestRedisSlow(t *testing.T) {
	addr := blackhole(t)
	c := open(t, "redis://"+addr, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	start := time.Now()
	for range 100 { // 10 s without the breaker
		c.Get(ctx, "k")
		c.Set(ctx, "k", []byte("v"))
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("200 calls took %v", d)
	}
	if n := c.attempts.Load(); n > 5 {
		t.Errorf("%d calls went to the network", n)
	}
}

func TestStartsWithoutRedis(t *testing.T) {
	addr := closedPort(t)
	start := time.Now()
	c := open(t, "redis://"+addr, nil)
	if _, ok := c.Get(ctx, "k"); ok || c.Available() {
		t.Error("a client without a server claims to work")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("New and Get took %v", d)
	}
}

func TestValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.URL = "rediss://user:secret@example.com:6380/1"
	if err := ok.Validate(); err != nil {
		t.Errorf("%+v: %v", ok, err)
	}
	bad := map[string]func(*Config){
		"no URL":        func(c *Config) { c.URL = "" },
		"http":          func(c *Config) { c.URL = "http://example.com" },
		"unparsable":    func(c *Config) { c.URL = "redis://user:secret@host:port:x" },
		"no TTL":        func(c *Config) { c.TTL = 0 },
		"no timeout":    func(c *Config) { c.Timeout = 0 },
		"no retry":      func(c *Config) { c.RetryAfter = 0 },
		"no max item":   func(c *Config) { c.MaxItem = 0 },
		"huge max item": func(c *Config) { c.MaxItem = 1 << 30 },
		"no prefix":     func(c *Config) { c.Prefix = "" },
	}
	for name, edit := range bad {
		cfg := ok
		edit(&cfg)
		err := cfg.Validate()
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
	}
}

func TestDecode(t *testing.T) {
	good := encode([]byte("payload"))
	if v, err := decode(good); err != nil || string(v) != "payload" {
		t.Fatalf("%q, %v", v, err)
	}
	if v, err := decode(encode(nil)); err != nil || len(v) != 0 {
		t.Errorf("empty value: %q, %v", v, err)
	}
	for _, b := range [][]byte{nil, good[:7], good[:len(good)-1], append(bytes.Clone(good), 'x')} {
		if _, err := decode(b); err == nil {
			t.Errorf("%q accepted", b)
		}
	}
}

// eventually polls cond until it holds or the wait is over.
func eventually(t *testing.T, wait time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(wait); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v", wait)
		}
	}
}

// blackhole listens on a free port and accepts connections it never answers.
func blackhole(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	return l.Addr().String()
}

// closedPort is an address where nothing listens.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestRedactedURL(t *testing.T) {
	cfg := Config{URL: "rediss://user:secret@example.com:6380/1"}
	if got := cfg.RedactedURL(); strings.Contains(got, "secret") || !strings.Contains(got, "example.com:6380") {
		t.Errorf("got %q", got)
	}
}

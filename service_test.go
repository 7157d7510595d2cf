package resizer_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/internal/fakeengine"
	"github.com/cloudresizer/cloudresizer/memcache"
	"github.com/cloudresizer/cloudresizer/storage"
)

// memLocker is an in-process Locker with expiry, as Redis' SET NX PX.
type memLocker struct {
	mu    sync.Mutex
	until map[string]time.Time
}

func (l *memLocker) TryLock(_ context.Context, key string, ttl time.Duration) (func(), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.until == nil {
		l.until = map[string]time.Time{}
	}
	if time.Now().Before(l.until[key]) {
		return nil, false, nil
	}
	l.until[key] = time.Now().Add(ttl)
	return func() { l.mu.Lock(); delete(l.until, key); l.mu.Unlock() }, true, nil
}

func newService(t *testing.T, store resizer.Store, eng resizer.Engine, locker resizer.Locker) *resizer.Service {
	t.Helper()
	svc, err := resizer.NewService(resizer.ServiceConfig{
		Store: store, Engine: eng, Limits: resizer.DefaultLimits, Workers: 1, QueueLength: 4,
		TransformTimeout: time.Second, Locker: locker, LockWait: 2 * time.Second, TempDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

var onePixelPNG = []byte("\x89PNG\r\n\x1a\nfake")

func TestOtherInstanceWaitsForTheLockHolder(t *testing.T) {
	ctx := context.Background()
	store, _ := storage.Open(ctx, "mem://")
	locker := &memLocker{}
	engA, engB := &fakeengine.Engine{}, &fakeengine.Engine{}
	// a plays the instance holding the lock (the test takes it on its behalf).
	a, b := newService(t, store, engA, nil), newService(t, store, engB, locker)
	info, err := a.Upload(ctx, "alice", "a.png", bytes.NewReader(onePixelPNG))
	if err != nil {
		t.Fatal(err)
	}
	o, _, err := a.Resolve(ctx, info.ID, resizer.Options{Width: 10}, "")
	if err != nil {
		t.Fatal(err)
	}
	// Instance A holds the lock, as if it were computing right now.
	unlock, held, _ := locker.TryLock(ctx, "lock:"+o.Key(info.ID), time.Minute)
	if !held {
		t.Fatal("lock not taken")
	}
	go func() { // A finishes: its result appears in storage, then the lock goes
		time.Sleep(200 * time.Millisecond)
		if _, err := a.Variant(ctx, info.ID, o); err != nil {
			t.Error(err)
		}
		unlock()
	}()
	v, err := b.Variant(ctx, info.ID, o)
	if err != nil {
		t.Fatal(err)
	}
	if engB.Runs() != 0 || engA.Runs() != 1 || v.Source != "storage" || string(v.Bytes) != "variant" {
		t.Errorf("a computed %d, b %d, b got %q from %s; want b to wait for a's result",
			engA.Runs(), engB.Runs(), v.Bytes, v.Source)
	}
}

func TestWaiterComputesWhenTheHolderDies(t *testing.T) {
	ctx := context.Background()
	store, _ := storage.Open(ctx, "mem://")
	locker := &memLocker{}
	eng := &fakeengine.Engine{}
	svc := newService(t, store, eng, locker)
	info, _ := svc.Upload(ctx, "alice", "a.png", bytes.NewReader(onePixelPNG))
	o, _, _ := svc.Resolve(ctx, info.ID, resizer.Options{Width: 10}, "")
	// A holder that dies: its lock expires after 300 ms and nothing is stored.
	locker.TryLock(ctx, "lock:"+o.Key(info.ID), 300*time.Millisecond)
	start := time.Now()
	v, err := svc.Variant(ctx, info.ID, o)
	if err != nil || v.Source != "miss" || eng.Runs() != 1 {
		t.Fatalf("got %+v %v after %d runs", v.Source, err, eng.Runs())
	}
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Errorf("computed after %v, before the holder's lock expired", waited)
	}
}

func TestUploadIsIdempotentAndShared(t *testing.T) {
	ctx := context.Background()
	store, _ := storage.Open(ctx, "mem://")
	svc := newService(t, store, &fakeengine.Engine{}, nil)
	a1, _ := svc.Upload(ctx, "alice", "a.png", bytes.NewReader(onePixelPNG))
	a2, _ := svc.Upload(ctx, "alice", "again.png", bytes.NewReader(onePixelPNG))
	b1, _ := svc.Upload(ctx, "bob", "b.png", bytes.NewReader(onePixelPNG))
	if a1 != a2 || a1.ID != b1.ID {
		t.Errorf("ids: %s %s %s; want one id, alice's first record kept", a1.ID, a2.ID, b1.ID)
	}
	list, _, _ := svc.List(ctx, "alice", "", 10)
	if len(list) != 1 {
		t.Errorf("alice has %d entries, want 1", len(list))
	}
	keys, _ := store.List(ctx, "originals/", "", 10)
	if len(keys) != 2 { // the bytes and their header, once
		t.Errorf("originals stored: %v", keys)
	}
}

func TestOriginalsCacheSkipsStorage(t *testing.T) {
	ctx := context.Background()
	store, _ := storage.Open(ctx, "mem://")
	originals, _ := memcache.New(memcache.DefaultConfig())
	svc, err := resizer.NewService(resizer.ServiceConfig{
		Store: store, Engine: &fakeengine.Engine{}, Limits: resizer.DefaultLimits, Workers: 1, QueueLength: 1,
		TransformTimeout: time.Second, TempDir: t.TempDir(), Originals: originals,
	})
	if err != nil {
		t.Fatal(err)
	}
	info, _ := svc.Upload(ctx, "alice", "a.png", bytes.NewReader(onePixelPNG))
	o, _, _ := svc.Resolve(ctx, info.ID, resizer.Options{Width: 10}, "")
	if _, err := svc.Variant(ctx, info.ID, o); err != nil {
		t.Fatal(err)
	}
	if b, ok := originals.Get(ctx, info.ID); !ok || !bytes.Equal(b, onePixelPNG) {
		t.Fatal("the original was not kept in memory")
	}
	store.Delete(ctx, "originals/"+info.ID) // from now on only the memory has it
	o.Width = 20
	if _, err := svc.Variant(ctx, info.ID, o); err != nil {
		t.Errorf("a second variant read storage again: %v", err)
	}
}

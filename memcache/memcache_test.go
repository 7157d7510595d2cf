package memcache

import (
	"context"
	"fmt"
	"testing"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/memcache/cachetest"
)

func TestConformance(t *testing.T) {
	cachetest.Run(t, func(t *testing.T) resizer.Cache {
		c, err := New(DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

func TestBoundedInBytes(t *testing.T) {
	c, err := New(Config{MaxBytes: 1 << 20, MaxItem: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 { // 200 × 50 kB = 10 MB into a 1 MiB cache
		c.Set(context.Background(), fmt.Sprint(i), make([]byte, 50_000))
	}
	c.c.CleanUp()
	if w := c.Weight(); w > 1<<20 {
		t.Errorf("holds %d bytes, bound is %d", w, 1<<20)
	}
	if c.Len() == 0 {
		t.Error("kept nothing")
	}
	c.Set(context.Background(), "big", make([]byte, 100_001))
	if _, ok := c.Get(context.Background(), "big"); ok {
		t.Error("an item over MaxItem was kept")
	}
}

func TestValidate(t *testing.T) {
	for _, cfg := range []Config{{}, {MaxBytes: 10, MaxItem: 11}, {MaxBytes: 10}} {
		if cfg.Validate() == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

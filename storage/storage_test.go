package storage

import (
	"context"
	"testing"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/storage/storagetest"
)

func openOrFail(t *testing.T, url string) resizer.Store {
	t.Helper()
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMemory(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) resizer.Store { return openOrFail(t, "mem://") })
}

func TestDisk(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) resizer.Store { return openOrFail(t, "file://"+t.TempDir()+"/data") })
}

func TestBadURL(t *testing.T) {
	for _, u := range []string{"nope://x", "::"} {
		if _, err := Open(context.Background(), u); err == nil {
			t.Errorf("%s: opened", u)
		}
	}
}

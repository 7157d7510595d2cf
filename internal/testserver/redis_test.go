package testserver

import (
	"testing"
)

func TestRedisStopStart(t *testing.T) {
	r := StartRedis(t)
	if err := ping(r.Addr()); err != nil {
		t.Fatalf("started server: %v", err)
	}
	if want := "redis://" + r.Addr() + "/0"; r.URL() != want {
		t.Errorf("URL %q, want %q", r.URL(), want)
	}
	r.Stop()
	if err := ping(r.Addr()); err == nil {
		t.Fatal("stopped server still answers")
	}
	r.Stop() // stopping twice is harmless
	r.Start()
	if err := ping(r.Addr()); err != nil {
		t.Fatalf("restarted server: %v", err)
	}
}

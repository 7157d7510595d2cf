package testserver

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestS3StartStopStart(t *testing.T) {
	s := StartS3(t)
	if got := answer(t, s); got != http.StatusForbidden {
		t.Errorf("unsigned request: status %d, want 403", got)
	}
	if _, err := os.Stat(filepath.Join(s.root, DefaultBucket)); err != nil {
		t.Errorf("bucket folder: %v", err)
	}
	s.Stop()
	if _, err := http.Get(s.Endpoint()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("after Stop: %v, want connection refused", err)
	}
	s.Start()
	if got := answer(t, s); got != http.StatusForbidden {
		t.Errorf("after Start: status %d, want 403", got)
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		t.Error("credentials not in the environment")
	}
}

func answer(t *testing.T, s *S3) int {
	t.Helper()
	resp, err := http.Get(s.Endpoint() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestS3URL(t *testing.T) {
	s := &S3{addr: "127.0.0.1:9"}
	want := "s3://b?region=us-east-1&endpoint=http://127.0.0.1:9&use_path_style=true"
	if got := s.URL("b"); got != want {
		t.Errorf("URL = %s, want %s", got, want)
	}
}

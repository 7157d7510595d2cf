// Package testserver starts real servers for tests on free ports: an S3
// server (versitygw) and Redis. Each server is this process's child, stopped
// by its own pid when the test ends.
package testserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudresizer/cloudresizer/internal/child"
)

// The S3 server is versitygw, pinned in tools/go.mod. Its root user's keys
// are fixed: the server lives only as long as the test.
const (
	s3AccessKey = "cloudresizer-test"
	s3SecretKey = "cloudresizer-test-secret-key"
	s3Region    = "us-east-1"
	// DefaultBucket is the bucket StartS3 creates.
	DefaultBucket = "cloudresizer-test"
)

// S3 is a running versitygw with a posix backend on a temporary folder.
type S3 struct {
	t    testing.TB
	bin  string
	root string // the posix backend: one sub-folder per bucket
	addr string // 127.0.0.1:port, kept across Stop and Start

	mu   sync.Mutex
	proc *child.Process // nil while stopped
}

// StartS3 starts an S3 server with the bucket DefaultBucket and sets the
// AWS credentials in the environment (t.Setenv, so the test must not be
// parallel). A versitygw that cannot be built fails the test: it is part of
// what the tests need, not an optional extra.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	bin, err := versitygwBinary()
	if err != nil {
		t.Fatalf("testserver: building versitygw: %v", err)
	}
	s := &S3{t: t, bin: bin, root: t.TempDir(), addr: freeAddr(t)}
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	s.CreateBucket(DefaultBucket)
	t.Cleanup(s.Stop)
	s.Start()
	return s
}

// URL is the storage URL of bucket on this server.
func (s *S3) URL(bucket string) string {
	return fmt.Sprintf("s3://%s?region=%s&endpoint=%s&use_path_style=true", bucket, s3Region, s.Endpoint())
}

// Endpoint is the server's base URL.
func (s *S3) Endpoint() string { return "http://" + s.addr }

// Env is the environment a client of this server needs, as KEY=value. It
// clears what could override the keys (a session token, a profile).
func (s *S3) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s3AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s3SecretKey,
		"AWS_SESSION_TOKEN=",
		"AWS_PROFILE=",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// CreateBucket makes an empty bucket. versitygw's posix backend treats every
// folder of its root as a bucket, so no request (and no running server) is
// needed.
func (s *S3) CreateBucket(name string) {
	if err := os.Mkdir(filepath.Join(s.root, name), 0o755); err != nil {
		s.t.Fatalf("testserver: %v", err)
	}
}

// Start starts the server (again, after Stop) on the same port and data,
// and waits until it answers.
func (s *S3) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return
	}
	proc, err := child.Start(exec.Command(s.bin, "--port", s.addr, "--access", s3AccessKey, "--secret", s3SecretKey,
		"--region", s3Region, "--quiet", "posix", s.root))
	if err != nil {
		s.t.Fatalf("testserver: starting versitygw: %v", err)
	}
	s.proc = proc
	if err := waitAnswers(s.addr, proc.Done(), 15*time.Second); err != nil {
		s.stopLocked()
		s.t.Fatalf("testserver: versitygw on %s: %v\n%s", s.addr, err, proc.Log)
	}
}

// Stop stops the server by its own pid: SIGTERM, then SIGKILL if it lingers.
// Its data stays for a later Start.
func (s *S3) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *S3) stopLocked() {
	if s.proc != nil {
		s.proc.Stop(syscall.SIGTERM, 5*time.Second)
		s.proc = nil
	}
}

// waitAnswers polls addr until an HTTP request gets any answer (versitygw
// refuses unsigned ones, which is enough to know it is serving).
func waitAnswers(addr string, exited <-chan struct{}, limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("exited before answering")
		default:
		}
		if resp, err := client.Get("http://" + addr + "/"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no answer within %v", limit)
}

// freeAddr finds a port no one listens on. Another process could take it
// before the server does; the start would then fail clearly.
func freeAddr(t testing.TB) string {
	addr, err := child.FreeAddr()
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	return addr
}

var build struct {
	once sync.Once
	bin  string
	err  error
}

// versitygwBinary builds versitygw, once per test process, with the version
// pinned in tools/go.mod. `go tool -n` builds the tool into the Go build
// cache and prints its path: the first build takes minutes, later ones (in
// any process, concurrently too) find it there in well under a second.
func versitygwBinary() (string, error) {
	build.once.Do(func() { build.bin, build.err = goTool("versitygw") })
	return build.bin, build.err
}

func goTool(name string) (string, error) {
	tools, err := toolsDir()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	// go test puts its own toolchain first on PATH.
	cmd := exec.CommandContext(ctx, "go", "tool", "-n", name)
	cmd.Dir = tools
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go tool -n %s in %s: %v\n%s", name, tools, err, stderr.String())
	}
	bin := strings.TrimSpace(string(out))
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("go tool -n %s printed %q: %v", name, bin, err)
	}
	return bin, nil
}

// toolsDir is the tools module of the repository this file is in.
func toolsDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot find the source folder")
	}
	for dir := filepath.Dir(file); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "tools"), nil
		}
	}
	return "", fmt.Errorf("no go.mod above %s", file)
}

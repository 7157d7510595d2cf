package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudresizer/cloudresizer/internal/child"
	"github.com/cloudresizer/cloudresizer/internal/form"
	"github.com/cloudresizer/cloudresizer/internal/scrape"
)

// binary is the cloudresizer built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cloudresizer-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "cloudresizer")
	build := exec.Command("go", "build", "-o", binary, "../cmd/cloudresizer")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cannot build cloudresizer:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const apiKey = "e2e-key-0123456789abcdef"

// instance is one cloudresizer process.
type instance struct {
	t    *testing.T
	args []string
	env  []string
	addr string
	mu   sync.Mutex
	proc *child.Process
	log  *child.Log
}

// startInstance runs `cloudresizer <args>` (serve unless args say otherwise)
// on a free port and waits until it is ready.
func startInstance(t *testing.T, env []string, args ...string) *instance {
	t.Helper()
	in := &instance{t: t, args: args, env: env, addr: freeAddr(t)}
	in.start()
	t.Cleanup(in.kill)
	return in
}

func (in *instance) start() {
	in.t.Helper()
	args := in.args
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		args = append([]string{"serve", "--addr", in.addr, "--api-keys", apiKey + "=e2e", "--log-format", "text",
			"--secret", "e2e-secret-0123456789abcdef"}, args...)
	} else {
		args = append(append([]string{}, args...), "--addr", in.addr, "--log-format", "text")
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), in.env...)
	proc, err := child.Start(cmd)
	if err != nil {
		in.t.Fatal(err)
	}
	in.mu.Lock()
	in.proc, in.log = proc, proc.Log
	in.mu.Unlock()
	in.waitReady()
}

func (in *instance) waitReady() {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-in.proc.Done():
			in.t.Fatalf("cloudresizer exited at start:\n%s", in.log)
		default:
		}
		if resp, err := http.Get(in.url("/healthz")); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	in.t.Fatalf("cloudresizer did not start:\n%s", in.log)
}

// kill ends the process at once (SIGKILL): a crash.
func (in *instance) kill() { in.signal(syscall.SIGKILL) }

// stop asks the process to end (SIGTERM) and returns its exit code.
func (in *instance) stop() int {
	in.signal(syscall.SIGTERM)
	return in.proc.ExitCode()
}

func (in *instance) signal(sig syscall.Signal) {
	in.mu.Lock()
	proc := in.proc
	in.mu.Unlock()
	if proc != nil {
		proc.Stop(sig, 40*time.Second)
	}
}

// restart kills the process and starts it again with the same settings.
func (in *instance) restart() {
	in.kill()
	in.start()
}

func (in *instance) url(path string) string { return "http://" + in.addr + path }

// get fetches path with the API key.
func (in *instance) get(path string, header map[string]string) (int, http.Header, []byte) {
	req, _ := http.NewRequest("GET", in.url(path), nil)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// post sends a multipart body of files and fields to path.
func (in *instance) post(path string, files map[string][]byte, fields map[string][]string) (int, []byte) {
	body, ctype := form.Body(files, fields)
	req, _ := http.NewRequest("POST", in.url(path), body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// upload stores one image and returns its id.
func (in *instance) upload(name string, b []byte) string {
	in.t.Helper()
	status, body := in.post("/api/v1/images", map[string][]byte{name: b}, nil)
	var r struct{ Images []struct{ ID string } }
	if status != 201 || json.Unmarshal(body, &r) != nil || len(r.Images) != 1 {
		in.t.Fatalf("upload %s: %d %s", name, status, body)
	}
	return r.Images[0].ID
}

// metric sums the samples of name whose labels contain match.
func metric(t *testing.T, url, name, match string) float64 {
	t.Helper()
	v, err := scrape.Sum(url, name, match)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func freeAddr(t *testing.T) string {
	addr, err := child.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// eventually retries check until it passes or the timeout ends.
func eventually(t *testing.T, timeout time.Duration, what string, check func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for !check() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

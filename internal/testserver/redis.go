// A redis-server for tests; the package doc is in versitygw.go.

package testserver

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudresizer/cloudresizer/internal/child"
)

// Redis is a redis-server process that a test owns. It keeps no data on
// disk, and can be stopped and started again on the same port to test
// what clients do while it is down.
type Redis struct {
	t    testing.TB
	bin  string
	dir  string
	port int

	mu   sync.Mutex
	proc *child.Process // nil while stopped
}

// redisReady bounds the wait for a started server to answer PING.
const redisReady = 5 * time.Second

// StartRedis starts redis-server (Debian's, from PATH) on a free port of
// 127.0.0.1 and stops it when the test ends. A missing binary fails the
// test rather than skipping it: `make test` installs redis-server, so a
// skip would only hide that the tests did not run.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not on PATH (make test installs it: apt-get install redis-server): %v", err)
	}
	r := &Redis{t: t, bin: bin, dir: t.TempDir()}
	t.Cleanup(r.Stop)
	// Another process may take the free port before redis binds it: retry.
	for range 3 {
		if r.port, err = child.FreePort(); err != nil {
			t.Fatal(err)
		}
		if err = r.start(); err == nil {
			return r
		}
	}
	t.Fatalf("redis-server did not start: %v", err)
	return nil
}

// Addr is host:port of the server.
func (r *Redis) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)) }

// URL is the server's database 0 as a redis:// URL.
func (r *Redis) URL() string { return "redis://" + r.Addr() + "/0" }

// Start starts the server again on the same port after Stop.
func (r *Redis) Start() {
	r.t.Helper()
	if err := r.start(); err != nil {
		r.t.Fatalf("restarting redis-server: %v", err)
	}
}

// Stop kills the server (SIGKILL, as a crash would) and waits for it to
// exit. Stopping a stopped server does nothing.
func (r *Redis) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil {
		r.proc.Stop(syscall.SIGKILL, 0)
		r.proc = nil
	}
}

func (r *Redis) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil {
		return fmt.Errorf("redis-server already runs (pid %d)", r.proc.Pid())
	}
	proc, err := child.Start(exec.Command(r.bin, "--save", "", "--appendonly", "no", "--port", strconv.Itoa(r.port),
		"--bind", "127.0.0.1", "--dir", r.dir, "--daemonize", "no"))
	if err != nil {
		return err
	}
	if err := waitPing(r.Addr(), proc.Done()); err != nil {
		proc.Stop(syscall.SIGKILL, 0)
		return fmt.Errorf("%w; its output:\n%s", err, proc.Log)
	}
	r.proc = proc
	return nil
}

// waitPing waits until addr answers PING, or fails when the server exits
// or the wait is over.
func waitPing(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(redisReady)
	for {
		err := ping(addr)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server did not answer within %v: %v", redisReady, err)
		}
	}
}

// ping speaks just enough of the protocol to know the server is up, so
// this package needs no Redis client.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

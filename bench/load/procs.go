package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cloudresizer/cloudresizer/internal/child"
)

// server is one process under test, started on a free port of 127.0.0.1
// and stopped by its own pid.
type server struct {
	name string
	proc *child.Process
	base string // http://127.0.0.1:PORT
	log  string // the file its stdout and stderr go to
}

// startServer runs argv with extra environment env, its output in logPath,
// and waits until GET health answers 200. argv may hold "{port}", replaced
// by the free port chosen for it.
func startServer(ctx context.Context, name, health, logPath string, argv, env []string) (*server, error) {
	port, err := child.FreePort()
	if err != nil {
		return nil, err
	}
	args := make([]string, len(argv))
	for i, a := range argv {
		args[i] = strings.ReplaceAll(a, "{port}", strconv.Itoa(port))
	}
	s := &server{name: name, base: fmt.Sprintf("http://127.0.0.1:%d", port), log: logPath}
	if err := s.launch(ctx, args, env); err != nil {
		return nil, err
	}
	if err := s.waitHealthy(ctx, health); err != nil {
		s.stop()
		return nil, fmt.Errorf("%s: %w\n%s", name, err, s.logTail())
	}
	return s, nil
}

// launch starts the process. If the harness dies, the kernel kills the
// process too (Pdeathsig); if ctx ends, it gets SIGTERM, then SIGKILL.
func (s *server) launch(ctx context.Context, args, env []string) error {
	out, err := os.Create(s.log)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if s.proc, err = child.Start(cmd); err != nil {
		out.Close()
		return err
	}
	go func() {
		<-s.proc.Done()
		out.Close()
	}()
	return nil
}

// waitHealthy polls GET path until it answers 200, the process exits or 20
// seconds pass. An empty path waits for the port to accept a connection
// (Redis, or an S3 server that refuses unsigned requests).
func (s *server) waitHealthy(ctx context.Context, path string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if s.answers(path) {
			return nil
		}
		select {
		case <-s.proc.Done():
			return fmt.Errorf("exited before it was ready")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("not ready after 20 s")
}

// answers reports whether the server answers GET path with 200, or, with an
// empty path, accepts a TCP connection.
func (s *server) answers(path string) bool {
	if path == "" {
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(s.base, "http://"), time.Second)
		if err == nil {
			conn.Close()
		}
		return err == nil
	}
	client := &http.Client{Timeout: time.Second}
	resp, err := client.Get(s.base + path)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// peakRSS returns the process's peak resident set size (VmHWM) in MiB.
func (s *server) peakRSS() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.proc.Pid()))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("%s: no VmHWM in /proc/%d/status", s.name, s.proc.Pid())
}

// exited reports whether the process has ended.
func (s *server) exited() bool { return s.proc.Exited() }

// stop sends SIGTERM to the process, and SIGKILL if it is still running
// after 30 seconds, then waits for it.
func (s *server) stop() { s.proc.Stop(syscall.SIGTERM, 30*time.Second) }

// logTail returns the last lines of the process's output, for errors.
func (s *server) logTail() string {
	b, _ := os.ReadFile(s.log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-15):], "\n")
}

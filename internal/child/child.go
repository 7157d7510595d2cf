// Package child runs servers as child processes for tests and benchmarks:
// redis-server, versitygw, nginx, cloudresizer itself. Each is started with
// its output kept, and stopped by its own pid, never by name: a signal, then
// SIGKILL if it lingers.
package child

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Log collects a process's output; it is safe to read while the process
// writes to it.
type Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String is everything written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Process is a started child.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	// Log has the output, unless the command came with its own.
	Log *Log
}

// Start starts cmd. Its output goes to the Process's Log unless cmd has a
// Stdout already.
func Start(cmd *exec.Cmd) (*Process, error) {
	p := &Process{cmd: cmd, done: make(chan struct{}), Log: &Log{}}
	if cmd.Stdout == nil && cmd.Stderr == nil {
		cmd.Stdout, cmd.Stderr = p.Log, p.Log
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { cmd.Wait(); close(p.done) }()
	return p, nil
}

// Done is closed once the process has exited and been waited for.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// ExitCode is the exit status once the process has exited (-1 for a signal).
func (p *Process) ExitCode() int {
	<-p.done
	return p.cmd.ProcessState.ExitCode()
}

// Stop sends sig, and SIGKILL if the process has not exited after grace,
// and returns once it has exited. Stopping an exited process does nothing.
func (p *Process) Stop(sig os.Signal, grace time.Duration) {
	if p.Exited() {
		return
	}
	p.cmd.Process.Signal(sig)
	if sig == syscall.SIGKILL {
		<-p.done
		return
	}
	select {
	case <-p.done:
	case <-time.After(grace):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// FreeAddr asks the kernel for a free port on 127.0.0.1 and returns it as
// host:port. The port is free again when the child binds it; a race with
// another program shows as a failed start.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// FreePort is FreeAddr's port.
func FreePort() (int, error) {
	addr, err := FreeAddr()
	if err != nil {
		return 0, err
	}
	_, port, _ := net.SplitHostPort(addr)
	return strconv.Atoi(port)
}

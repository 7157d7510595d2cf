package child

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStopAndLog(t *testing.T) {
	p, err := Start(exec.Command("sh", "-c", "echo started; trap 'echo bye; exit 0' TERM; while :; do sleep 0.05; done"))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.Log.String(), "started") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	p.Stop(syscall.SIGTERM, 5*time.Second)
	if !p.Exited() || p.ExitCode() != 0 || !strings.Contains(p.Log.String(), "bye") {
		t.Errorf("exited %t, code %d, log %q", p.Exited(), p.ExitCode(), p.Log.String())
	}
	p.Stop(syscall.SIGTERM, time.Second) // a second stop does nothing
}

func TestStopKillsWhatIgnoresTheSignal(t *testing.T) {
	p, err := Start(exec.Command("sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	p.Stop(syscall.SIGTERM, 200*time.Millisecond)
	if p.ExitCode() != -1 {
		t.Errorf("exit code %d, want -1 (killed)", p.ExitCode())
	}
}

func TestFreePort(t *testing.T) {
	port, err := FreePort()
	if err != nil || port <= 0 || port > 65535 {
		t.Fatalf("%d %v", port, err)
	}
}

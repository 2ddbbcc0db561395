package testpeer

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// verdict records what Missing did to a test instead of doing it.
type verdict struct {
	testing.TB
	skipped, failed string
}

func (v *verdict) Helper()                           {}
func (v *verdict) Skipf(format string, args ...any)  { v.skipped = fmt.Sprintf(format, args...) }
func (v *verdict) Fatalf(format string, args ...any) { v.failed = fmt.Sprintf(format, args...) }

// TestRequiredMeansExactlyOne: only GATEHOUSE_REQUIRE_PEERS=1 turns a
// missing peer into a failure; every other value skips, as no value does.
func TestRequiredMeansExactlyOne(t *testing.T) {
	for value, fails := range map[string]bool{"1": true, "": false, "0": false, "true": false, "yes": false, " 1": false} {
		t.Setenv(RequireEnv, value)
		v := &verdict{TB: t}
		Missing(v, "frobnicator is not installed")
		if Required() != fails || (v.failed != "") != fails || (v.skipped != "") == fails {
			t.Fatalf("%s=%q: Required %v, failed %q, skipped %q", RequireEnv, value, Required(), v.failed, v.skipped)
		}
		if !strings.Contains(v.failed+v.skipped, "frobnicator is not installed") {
			t.Fatalf("the message lost what is missing: %q%q", v.failed, v.skipped)
		}
	}
	t.Setenv(RequireEnv, "")
	v := &verdict{TB: t}
	LookPath(v, "nowhere", "sh", "no-such-program-gatehouse-test")
	if !strings.Contains(v.skipped, "no-such-program-gatehouse-test is not installed (nowhere)") {
		t.Fatalf("LookPath of a missing program: skipped %q", v.skipped)
	}
}

func TestFreeAddrIsFree(t *testing.T) {
	addr := FreeAddr(t)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the free address %s could not be bound: %v", addr, err)
	}
	_ = l.Close()
}

// TestFreePortsAreNeverHandedOutTwice: ports asked for one after the
// other are all different, even when each is closed before the next is
// asked for (the kernel may offer a just-closed port again).
func TestFreePortsAreNeverHandedOutTwice(t *testing.T) {
	seen := map[int]bool{}
	for range 500 {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if seen[port] {
			t.Fatalf("port %d handed out twice", port)
		}
		seen[port] = true
	}
}

// TestProcessLifecycle: a peer's output reaches its log, readiness is
// polled, and stopping it ends everything it started.
func TestProcessLifecycle(t *testing.T) {
	sh := LookPath(t, "a POSIX shell", "sh")[0]
	dir := t.TempDir()
	log, pidFile := filepath.Join(dir, "peer.log"), filepath.Join(dir, "child.pid")
	// The peer starts a child of its own, says it is ready, and waits.
	p, err := Start("shell", exec.Command(sh, "-c", "sleep 60 & echo $! > "+pidFile+"; echo ready; wait"), log)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WaitReady(10*time.Second, func() bool { return strings.Contains(Tail(log), "ready") }); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	p.Stop(syscall.SIGTERM, 5*time.Second)
	select {
	case <-p.Exited():
	default:
		t.Fatal("Stop returned before the peer exited")
	}
	// The child was in the peer's process group, so it got the signal
	// too: it ends (or becomes a zombie about to be reaped by init, which
	// signal 0 still finds, so look at its state). The signal is delivered
	// to both at once but each handles it in its own time: poll.
	deadline := time.Now().Add(5 * time.Second)
	for state := procState(child); state != "" && state != "Z"; state = procState(child) {
		if time.Now().After(deadline) {
			t.Fatalf("the peer's child %d outlived it (state %s)", child, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if p.Tail() != "ready" {
		t.Fatalf("log tail %q", p.Tail())
	}
}

// procState is the state letter of a process, "" when there is none.
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	state, _, _ := strings.Cut(rest, " ")
	return state
}

// TestWaitReadyReportsTheLog: a peer that exits during start-up, or never
// answers, is an ErrNotReady carrying the end of its log.
func TestWaitReadyReportsTheLog(t *testing.T) {
	sh := LookPath(t, "a POSIX shell", "sh")[0]
	dir := t.TempDir()
	p, err := Start("dying", exec.Command(sh, "-c", "echo 'FATAL: no config'; exit 3"), filepath.Join(dir, "dying.log"))
	if err != nil {
		t.Fatal(err)
	}
	err = p.WaitReady(10*time.Second, func() bool { return false })
	if !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "FATAL: no config") {
		t.Fatalf("a peer that exited: %v", err)
	}
	p, err = Start("silent", exec.Command(sh, "-c", "echo started; exec sleep 60"), filepath.Join(dir, "silent.log"))
	if err != nil {
		t.Fatal(err)
	}
	err = p.WaitReady(200*time.Millisecond, func() bool { return false })
	if !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "started") {
		t.Fatalf("a peer that never answered: %v", err)
	}
	select {
	case <-p.Exited():
	default:
		t.Fatal("a peer that never answered was left running")
	}
}

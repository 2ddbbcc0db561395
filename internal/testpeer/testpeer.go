// Package testpeer is the one lifecycle of the real programs Gatehouse's
// tests run against (PostgreSQL, slapd, the OpenID provider, aiosmtpd,
// sshd, the pysaml2 identity provider, the command-line clients): whether
// a missing one skips or fails the test, a free loopback port, starting a
// program so that it never outlives the test process, waiting until it
// answers, the end of its log when something goes wrong, and stopping it.
//
// A missing peer skips the test, unless GATEHOUSE_REQUIRE_PEERS is "1"
// (make test and CI set it): then it fails the test, so that a machine
// without the peers never passes by skipping. Any other value, or none,
// means "skip".
package testpeer

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RequireEnv names the environment variable that, set to "1", turns a
// missing peer from a skipped test into a failed one.
const RequireEnv = "GATEHOUSE_REQUIRE_PEERS"

// Required reports whether a missing peer must fail the test.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Missing ends the test because a peer it needs is missing: it skips,
// or fails when Required. what says which peer and how to get it.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	what := fmt.Sprintf(format, args...)
	if Required() {
		tb.Fatalf("test peer missing: %s (%s=1 makes every peer required; make test installs them)", what, RequireEnv)
	} else {
		tb.Skipf("test peer missing: %s (scripts/install-test-peers.sh installs it)", what)
	}
}

// LookPath returns the path of each program, in order, or ends the test
// through Missing at the first that is not installed; from names the
// package that brings them ("Debian openssh-client").
func LookPath(tb testing.TB, from string, names ...string) []string {
	tb.Helper()
	paths := make([]string, len(names))
	for i, name := range names {
		p, err := exec.LookPath(name)
		if err != nil {
			Missing(tb, "%s is not installed (%s)", name, from)
		}
		paths[i] = p
	}
	return paths
}

// FreePort returns a loopback TCP port nothing listens on at the moment,
// and never one it returned before in this process: the kernel may hand
// a port just closed out again, and a server given two ports at once (its
// HTTP and SFTP listeners) would then find the second taken by the first.
// Another process may still take it before the caller binds it: peers
// that are given a port retry their start a few times.
func FreePort() (int, error) {
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("testpeer: find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		handedOut.Lock()
		again := handedOut.ports[port]
		handedOut.ports[port] = true
		handedOut.Unlock()
		if !again {
			return port, nil
		}
	}
	return 0, errors.New("testpeer: find a free port: every port offered was handed out before")
}

// handedOut holds the ports FreePort returned.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// FreeAddr is FreePort as "127.0.0.1:PORT", failing the test on error.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	port, err := FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
}

// tailBytes is how much of a log Tail returns: enough for the error that
// stopped a peer, short enough for a test failure message.
const tailBytes = 2000

// Tail returns the end of a log file, for error messages; "" when it
// cannot be read.
func Tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > tailBytes {
		b = b[len(b)-tailBytes:]
	}
	return strings.TrimSpace(string(b))
}

// Process is a peer running as a child process.
type Process struct {
	name   string
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
}

// Start starts cmd as the peer called name. The peer runs in its own
// process group, so that stopping it stops whatever it started, and is
// killed by the kernel if the test process dies first (no peer outlives a
// crashed or killed test). Its output is appended to logPath, unless the
// caller already sent stdout or stderr elsewhere; logPath "" discards it.
// Other SysProcAttr fields the caller set (a Credential) are kept.
func Start(name string, cmd *exec.Cmd, logPath string) (*Process, error) {
	p := &Process{name: name, cmd: cmd, log: logPath, exited: make(chan struct{})}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid, cmd.SysProcAttr.Pdeathsig = true, syscall.SIGKILL
	if logPath != "" && (cmd.Stdout == nil || cmd.Stderr == nil) {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("testpeer: %s log: %w", name, err)
		}
		// The child has its own copy of the descriptor once started.
		defer f.Close()
		if cmd.Stdout == nil {
			cmd.Stdout = f
		}
		if cmd.Stderr == nil {
			cmd.Stderr = f
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testpeer: start %s: %w", name, err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	return p, nil
}

// Exited is closed when the process has ended.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Pid is the process id, which is also its process group's.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Tail is the end of the peer's log.
func (p *Process) Tail() string {
	if p.log == "" {
		return ""
	}
	return Tail(p.log)
}

// ErrNotReady is what WaitReady's error matches when the peer exited or
// did not answer in time.
var ErrNotReady = errors.New("testpeer: the peer did not become ready")

// WaitReady calls ready every 20 ms until it reports true. If the process
// exits first, or timeout passes (the process is then killed), the error
// matches ErrNotReady and carries the end of the log.
func (p *Process) WaitReady(timeout time.Duration, ready func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.exited:
			return fmt.Errorf("%w: %s exited during start-up: %s", ErrNotReady, p.name, p.Tail())
		default:
		}
		if ready() {
			return nil
		}
		if time.Now().After(deadline) {
			p.Kill()
			return fmt.Errorf("%w: %s did not answer within %v: %s", ErrNotReady, p.name, timeout, p.Tail())
		}
		select {
		case <-p.exited:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Listening returns a readiness check that every address accepts a TCP
// connection.
func Listening(addrs ...string) func() bool {
	return func() bool {
		for _, a := range addrs {
			c, err := net.DialTimeout("tcp", a, 200*time.Millisecond)
			if err != nil {
				return false
			}
			_ = c.Close()
		}
		return true
	}
}

// Stop asks the peer's process group to end with sig, waits up to grace,
// then kills the group; it returns once the process has exited.
func (p *Process) Stop(sig syscall.Signal, grace time.Duration) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = syscall.Kill(-p.Pid(), sig)
	select {
	case <-p.exited:
	case <-time.After(grace):
		p.Kill()
	}
}

// Kill kills the peer's process group and waits for the process to exit.
func (p *Process) Kill() {
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	<-p.exited
}

// StopAtCleanup stops the peer (see Stop) when tb ends, and, if tb
// failed, logs the end of the peer's log first: what the peer said is
// usually why.
func (p *Process) StopAtCleanup(tb testing.TB, sig syscall.Signal, grace time.Duration) {
	tb.Cleanup(func() {
		p.Stop(sig, grace)
		if tb.Failed() {
			if t := p.Tail(); t != "" {
				tb.Logf("%s log (end):\n%s", p.name, t)
			}
		}
	})
}

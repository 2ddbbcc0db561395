package sftp

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// transfersOpen counts the files open on the server's connections.
func (h *harness) transfersOpen() int {
	h.srv.mu.Lock()
	defer h.srv.mu.Unlock()
	n := 0
	for _, sess := range h.srv.conns {
		if sess != nil {
			sess.mu.Lock()
			n += sess.transfers
			sess.mu.Unlock()
		}
	}
	return n
}

// startUpload starts OpenSSH's sftp putting size random bytes as name at
// about 1 MB/s, and returns what it sends and its exit.
func (h *harness) startUpload(user, key, name string, size int) ([]byte, chan error) {
	h.t.Helper()
	work := h.t.TempDir()
	data := make([]byte, size)
	rand.Read(data)
	if err := os.WriteFile(filepath.Join(work, "src.bin"), data, 0o600); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "batch"), []byte("put src.bin "+name+"\n"), 0o600); err != nil {
		h.t.Fatal(err)
	}
	cmd := h.sftpCommand(user, auth{key: key}, "-b", filepath.Join(work, "batch"), "-l", "8000")
	cmd.Dir = work
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		if err != nil {
			err = errors.Join(err, errors.New(out.String()))
		}
		done <- err
	}()
	return data, done
}

// TestShutdownDrainsTransfers: at Shutdown an idle OpenSSH session is
// closed at once, new connections are refused, and an upload in progress
// runs to its end and is committed whole before Shutdown returns.
func TestShutdownDrainsTransfers(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ivy := h.passwordUser("ivy")
	key := h.addKey(ivy)
	idle := h.openSFTP("ivy", auth{key: key})
	if out, closed := idle.run("pwd"); closed {
		t.Fatalf("idle session did not start: %s", out)
	}
	data, uploaded := h.startUpload("ivy", key, "drained.bin", 2<<20)
	waitFor(t, func() bool { return h.transfersOpen() == 1 })

	if err := h.srv.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// The upload was committed before Shutdown returned.
	got, err := os.ReadFile(filepath.Join(h.home(ivy), "drained.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the drained upload when Shutdown returned: %d of %d bytes, %v", len(got), len(data), err)
	}
	if err := <-uploaded; err != nil {
		t.Fatalf("sftp: %v", err)
	}
	// Shutdown did not wait for the idle session: it was closed.
	if out, closed := idle.run("ls"); !closed && !strings.Contains(out, "closed by remote host") {
		t.Fatalf("an idle session outlived Shutdown: %s", out)
	}
	if c, err := net.DialTimeout("tcp", h.addr.String(), time.Second); err == nil {
		c.Close()
		t.Fatal("a connection was accepted after Shutdown")
	}
}

// TestShutdownCutsOffWhenGraceEnds: an upload still running when
// Shutdown's context ends is cut off and discarded, leaving no file and
// no temporary file, and Shutdown says so.
func TestShutdownCutsOffWhenGraceEnds(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	jon := h.passwordUser("jon")
	key := h.addKey(jon)
	_, uploaded := h.startUpload("jon", key, "cut.bin", 64<<20)
	waitFor(t, func() bool { return h.transfersOpen() == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := h.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-uploaded; err == nil {
		t.Fatal("a cut-off upload reported success")
	}
	if entries, _ := os.ReadDir(h.home(jon)); len(entries) != 0 {
		t.Fatalf("a cut-off upload left %d files", len(entries))
	}
	if n := h.transfersOpen(); n != 0 {
		t.Fatalf("%d transfers still counted", n)
	}
}

// exhaustedListener fails its first accepts as a process out of file
// descriptors does.
type exhaustedListener struct {
	net.Listener
	failures atomic.Int32
}

func (l *exhaustedListener) Accept() (net.Conn, error) {
	if l.failures.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestAcceptShortageIsRetried: running out of file descriptors (which a
// flood of connections can cause) does not stop the SFTP server; it
// retries, and serves once descriptors are free again. Before, Serve
// returned at the first such error and SFTP stayed down.
func TestAcceptShortageIsRetried(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.passwordUser("kim")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	flaky := &exhaustedListener{Listener: ln}
	flaky.failures.Store(3)
	served := make(chan error, 1)
	go func() { served <- h.srv.Serve(h.ctx, flaky) }()
	signedIn := make(chan error, 1)
	go func() {
		nc, err := net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
		if err != nil {
			signedIn <- err
			return
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
		c, _, _, err := ssh.NewClientConn(nc, ln.Addr().String(), &ssh.ClientConfig{User: "kim",
			Auth: []ssh.AuthMethod{ssh.Password(testPassword)}, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
		if err == nil {
			c.Close()
		}
		signedIn <- err
	}()
	select {
	case err := <-served:
		t.Fatalf("Serve stopped: %v", err)
	case err := <-signedIn:
		if err != nil {
			t.Fatal(err)
		}
	}
	if flaky.failures.Load() >= 0 {
		t.Fatal("the failing accepts were not tried")
	}
}

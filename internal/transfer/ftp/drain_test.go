package ftp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

// uploadsInProgress lists the temporary files of uploads not yet ended.
func uploadsInProgress(h *transfertest.Harness) []string {
	files, _ := filepath.Glob(filepath.Join(h.Storage.Root(), "*", "*", "*", ".gatehouse-upload-*"))
	return files
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestShutdownDrainsLFTPUpload: lftp's upload in progress at Shutdown
// runs to its end and is stored whole before Shutdown returns, and lftp's
// MFMT after it is answered, so lftp reports success; a session
// waiting for a command is closed at once; no connection is taken after.
func TestShutdownDrainsLFTPUpload(t *testing.T) {
	requireClient(t, "lftp")
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	h.PasswordUser("bob")
	s := startFTP(t, h, nil)
	idle := dialRaw(t, s.Addr())
	if code, msg := idle.login("bob", transfertest.Password); code != 230 {
		t.Fatalf("login: %d %q", code, msg)
	}
	local := t.TempDir()
	payload := randomBytes(2 << 20)
	if err := os.WriteFile(filepath.Join(local, "big.bin"), payload, 0o600); err != nil {
		t.Fatal(err)
	}
	uploaded := make(chan error, 1)
	go func() {
		out, err := lftp(t, s.Addr(), "alice", transfertest.Password, true, local,
			"set net:limit-rate 1000000", "put big.bin -o drained.bin")
		if err != nil {
			err = errors.Join(err, errors.New(out))
		}
		uploaded <- err
	}()
	waitUntil(t, "the upload is in progress", func() bool { return len(uploadsInProgress(h)) == 1 })

	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// Stored whole when Shutdown returned.
	if got := readAll(t, h, userFS(t, h, alice), "/drained.bin"); !bytes.Equal(got, payload) {
		t.Fatalf("the drained upload holds %d of %d bytes", len(got), len(payload))
	}
	if err := <-uploaded; err != nil {
		t.Fatalf("lftp: %v", err)
	}
	_ = idle.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("the idle session was not closed: %v", err)
	}
	if c, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatal("a connection was accepted after Shutdown")
	}
}

// TestShutdownAnswersTheTransferFirst: a session in the middle of STOR is
// not closed under it: the upload gets its 226, and only then is the
// session closed and Shutdown done.
func TestShutdownAnswersTheTransferFirst(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	s := startFTP(t, h, nil)
	c := dialRaw(t, s.Addr())
	if code, msg := c.login("alice", transfertest.Password); code != 230 {
		t.Fatalf("login: %d %q", code, msg)
	}
	data := c.pasv()
	c.must("STOR answered.bin", 150)
	first, rest := randomBytes(64<<10), randomBytes(64<<10)
	if _, err := data.Write(first); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the upload is in progress", func() bool { return len(uploadsInProgress(h)) == 1 })
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	waitUntil(t, "Shutdown has begun", s.conns.draining)
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned with a transfer in progress: %v", err)
	default:
	}
	if _, err := data.Write(rest); err != nil {
		t.Fatalf("the data connection was cut: %v", err)
	}
	data.Close()
	c.expect(226)
	// A follow-up that starts nothing new is answered; new work is not.
	if code, msg := c.send("SIZE answered.bin"); code != 213 {
		t.Fatalf("SIZE after the transfer, while draining: %d %q", code, msg)
	}
	if code, msg := c.send("PASV"); code != 421 {
		t.Fatalf("PASV while draining: want 421, got %d %q", code, msg)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if got := readAll(t, h, userFS(t, h, alice), "/answered.bin"); !bytes.Equal(got, append(first, rest...)) {
		t.Fatalf("stored %d bytes", len(got))
	}
	if code, msg := c.send("NOOP"); code != 0 && code != 421 {
		t.Fatalf("the session took a command after Shutdown: %d %q", code, msg)
	}
}

// TestShutdownCutsOffWhenGraceEnds: an upload still running when
// Shutdown's context ends is cut off and discarded, leaving no file and
// no temporary file, and Shutdown says so.
func TestShutdownCutsOffWhenGraceEnds(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	s := startFTP(t, h, nil)
	c := dialRaw(t, s.Addr())
	if code, msg := c.login("alice", transfertest.Password); code != 230 {
		t.Fatalf("login: %d %q", code, msg)
	}
	data := c.pasv()
	c.must("STOR cut.bin", 150)
	if _, err := data.Write(randomBytes(64 << 10)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the upload is in progress", func() bool { return len(uploadsInProgress(h)) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := userFS(t, h, alice).Stat(h.Ctx, "/cut.bin"); err == nil {
		t.Fatal("a cut-off upload was stored")
	}
	if left := uploadsInProgress(h); len(left) > 0 {
		t.Fatalf("temporary upload files were left behind: %v", left)
	}
}

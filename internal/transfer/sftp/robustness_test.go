package sftp

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

func TestHostKeysAreGeneratedOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	first, err := loadHostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := loadHostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || first[0].PublicKey().Type() != ssh.KeyAlgoED25519 || first[1].PublicKey().Type() != ssh.KeyAlgoRSA {
		t.Fatalf("want ed25519 and RSA host keys, got %d", len(first))
	}
	for i := range first {
		if !bytes.Equal(first[i].PublicKey().Marshal(), second[i].PublicKey().Marshal()) {
			t.Fatal("a restart changed a host key")
		}
	}
	for _, f := range []string{hostKeyEd25519, hostKeyRSA} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, err, fi.Mode())
		}
	}
	must(t, os.WriteFile(filepath.Join(dir, hostKeyRSA), []byte("garbage"), 0o600))
	if _, err := loadHostKeys(dir); err == nil {
		t.Fatal("a corrupt host key was accepted")
	}
}

// TestBrokenUploadLeavesNoFile kills the client half way through an upload:
// neither the file nor a temporary file remains, and an earlier version of
// the file is untouched.
func TestBrokenUploadLeavesNoFile(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	gina := h.passwordUser("gina")
	key := h.addKey(gina)
	work := t.TempDir()
	big := make([]byte, 256<<20)
	must(t, os.WriteFile(filepath.Join(work, "big.bin"), big, 0o600))
	must(t, os.MkdirAll(h.home(gina), 0o750))
	must(t, os.WriteFile(filepath.Join(h.home(gina), "kept.bin"), []byte("previous version"), 0o640))
	bf := filepath.Join(work, "batch")
	must(t, os.WriteFile(bf, []byte("put big.bin new.bin\nput big.bin kept.bin\n"), 0o600))
	cmd := h.sftpCommand("gina", auth{key: key}, "-b", bf, "-l", "8000") // 8000 Kbit/s: slow enough to kill mid-way
	cmd.Dir = work
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		entries, _ := os.ReadDir(h.home(gina))
		return len(entries) > 1
	})
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()
	waitFor(t, func() bool {
		entries, _ := os.ReadDir(h.home(gina))
		return len(entries) == 1
	})
	got, _ := os.ReadFile(filepath.Join(h.home(gina), "kept.bin"))
	if string(got) != "previous version" {
		t.Fatalf("the earlier file changed: %d bytes", len(got))
	}
}

// TestStalledUploadIsDiscarded: a client that stops sending mid-upload is
// disconnected after the idle timeout and its partial upload removed.
func TestStalledUploadIsDiscarded(t *testing.T) {
	h := newHarness(t, harnessOptions{idleTimeout: 500 * time.Millisecond})
	hal := h.passwordUser("hal")
	conn, err := ssh.Dial("tcp", h.addr.String(), &ssh.ClientConfig{User: "hal",
		Auth: []ssh.AuthMethod{ssh.Password(testPassword)}, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client, err := pkgsftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	f, err := client.Create("stalled.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	// Now the client stalls: no close, no more requests.
	done := make(chan error, 1)
	go func() { done <- conn.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled session stayed open")
	}
	waitFor(t, func() bool {
		entries, _ := os.ReadDir(h.home(hal))
		return len(entries) == 0
	})
}

package sftp

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"

	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// stored answers the modification time and checksums the storage shows
// for u's file name.
func (h *harness) stored(u store.User, name string) (time.Time, vfs.Checksums) {
	h.t.Helper()
	fsys, err := h.storage.For(context.Background(), h.site, u)
	if err != nil {
		h.t.Fatal(err)
	}
	fi, err := fsys.Stat(context.Background(), name)
	if err != nil {
		h.t.Fatalf("stat %s: %v", name, err)
	}
	return fi.ModTime(), vfs.ChecksumsOf(context.Background(), fi)
}

func sumsOf(b []byte) vfs.Checksums {
	m := md5.Sum(b)
	return vfs.Checksums{MD5: hex.EncodeToString(m[:]), CRC32: fmt.Sprintf("%08x", crc32.ChecksumIEEE(b))}
}

// TestPutKeepsTimesAndChecksums: OpenSSH's put -p keeps the local
// modification time (sent on the open handle, before the close that
// commits the upload), and every upload, however pkg/sftp's workers
// order its chunks, gets the checksums of the whole file; a reput over a
// partial file written behind the server's back is checksummed whole.
func TestPutKeepsTimesAndChecksums(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	erin := h.passwordUser("erin")
	key := h.addKey(erin)
	work := t.TempDir()
	data := writeRandom(t, filepath.Join(work, "big.bin"), 3<<20+5)
	local := time.Date(2018, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(work, "big.bin"), local, local); err != nil {
		t.Fatal(err)
	}
	out, err := h.run("erin", auth{key: key}, work, "put -p big.bin kept.bin\nput big.bin plain.bin\nchmod 600 kept.bin\n")
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	mtime, _ := h.stored(erin, "/kept.bin")
	if !mtime.Equal(local) {
		t.Errorf("put -p: mtime %v, want %v", mtime, local)
	}
	for _, name := range []string{"/kept.bin", "/plain.bin"} {
		if _, sums := h.stored(erin, name); sums != sumsOf(data) {
			t.Errorf("%s: checksums %+v, want %+v", name, sums, sumsOf(data))
		}
	}
	if mtime, _ = h.stored(erin, "/plain.bin"); mtime.Before(time.Now().Add(-time.Minute)) {
		t.Errorf("a plain put kept the local time: %v", mtime)
	}

	// A partial file left by an earlier transfer, not written through
	// Gatehouse: reput continues it, and the checksums cover all of it.
	must(t, os.WriteFile(filepath.Join(h.home(erin), "resumed.bin"), data[:1<<20], 0o640))
	if out, err := h.run("erin", auth{key: key}, work, "reput big.bin resumed.bin\n"); err != nil {
		t.Fatalf("reput: %v\n%s", err, out)
	}
	if _, sums := h.stored(erin, "/resumed.bin"); sums != sumsOf(data) {
		t.Errorf("reput: checksums %+v, want %+v", sums, sumsOf(data))
	}
}

// TestSetstatTimesByPath: a client that sets the time of a closed file by
// path (SSH_FXP_SETSTAT, as pkg/sftp's Chtimes does) changes it and keeps
// its checksums; a read-only group folder refuses it.
func TestSetstatTimesByPath(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	finn := h.passwordUser("finn")
	h.joinGroups(finn, "Readers")
	conn, err := ssh.Dial("tcp", h.addr.String(), &ssh.ClientConfig{User: "finn",
		Auth: []ssh.AuthMethod{ssh.Password(testPassword)}, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client, err := pkgsftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	f, err := client.Create("notes.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("some notes")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2022, 2, 22, 22, 22, 22, 0, time.UTC)
	if err := client.Chtimes("notes.txt", when, when); err != nil {
		t.Fatal(err)
	}
	mtime, sums := h.stored(finn, "/notes.txt")
	if !mtime.Equal(when) || sums != sumsOf([]byte("some notes")) {
		t.Fatalf("after setstat: %v %+v", mtime, sums)
	}
	if fi, err := client.Stat("notes.txt"); err != nil || !fi.ModTime().Equal(when) {
		t.Fatalf("the client sees %v %v", fi, err)
	}
	if err := client.Chtimes("groups/Readers", when, when); err == nil {
		t.Fatal("a read-only group folder's time was set")
	}
}

package ftp

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

func sumsOf(b []byte) vfs.Checksums {
	m := md5.Sum(b)
	return vfs.Checksums{MD5: hex.EncodeToString(m[:]), CRC32: fmt.Sprintf("%08x", crc32.ChecksumIEEE(b))}
}

// TestLFTPMirrorKeepsTimesAndChecksums: lftp's mirror -R keeps each file's
// local modification time (it sends SITE UTIME after the upload), and
// uploads get checksums of the whole file, a resumed one (put -c) too.
func TestLFTPMirrorKeepsTimesAndChecksums(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	s := startFTP(t, h, nil)
	fsys := userFS(t, h, alice)
	local := t.TempDir()
	src := filepath.Join(local, "src")
	if err := os.Mkdir(src, 0o700); err != nil {
		t.Fatal(err)
	}
	payload := randomBytes(700 << 10)
	when := time.Date(2017, 8, 9, 10, 11, 12, 0, time.UTC)
	for _, name := range []string{"a.bin", "b b.bin"} {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, payload, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, when, when); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := lftp(t, s.Addr(), "alice", transfertest.Password, false, local, "mirror -R src mirrored"); err != nil {
		t.Fatalf("lftp mirror -R: %v\n%s", err, out)
	}
	for _, name := range []string{"/mirrored/a.bin", "/mirrored/b b.bin"} {
		fi, err := fsys.Stat(h.Ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if !fi.ModTime().Equal(when) {
			t.Errorf("%s: mtime %v, want %v", name, fi.ModTime(), when)
		}
		if got := vfs.ChecksumsOf(h.Ctx, fi); got != sumsOf(payload) {
			t.Errorf("%s: checksums %+v, want %+v", name, got, sumsOf(payload))
		}
	}

	// put -c continues a half stored behind the server's back; the
	// checksums cover the whole result, not the part sent.
	half := make([]byte, len(payload)/2)
	if err := os.WriteFile(filepath.Join(local, "up.bin"), payload, 0o600); err != nil {
		t.Fatal(err)
	}
	writeFile(t, h, fsys, "/up.bin", half)
	if out, err := lftp(t, s.Addr(), "alice", transfertest.Password, false, local, "put -c up.bin"); err != nil {
		t.Fatalf("lftp put -c: %v\n%s", err, out)
	}
	want := append(half, payload[len(half):]...)
	if fi, err := fsys.Stat(h.Ctx, "/up.bin"); err != nil || vfs.ChecksumsOf(h.Ctx, fi) != sumsOf(want) {
		t.Errorf("put -c: %v %+v, want %+v", err, vfs.ChecksumsOf(h.Ctx, fi), sumsOf(want))
	}
}

// TestMFMTAndSiteUtime: the two ways FTP clients set a modification time,
// and their refusals, each answered in FTP's terms without changing the
// file.
func TestMFMTAndSiteUtime(t *testing.T) {
	h := transfertest.New(t)
	bob := h.PasswordUser("bob")
	readers := store.Group{SiteID: h.Site.ID, Name: "Readers"}
	if err := h.Store.CreateGroup(h.Ctx, &readers); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.AddGroupUser(h.Ctx, &store.GroupUser{SiteID: h.Site.ID, GroupID: readers.ID, UserID: bob.ID}); err != nil {
		t.Fatal(err)
	}
	fsys := userFS(t, h, bob)
	writeFile(t, h, fsys, "/a.txt", []byte("alpha"))
	writeFile(t, h, fsys, "/with space.txt", []byte("beta"))
	s := startFTP(t, h, nil)
	c := dialRaw(t, s.Addr())
	if code, msg := c.login("bob", transfertest.Password); code != 230 {
		t.Fatalf("login: %d %q", code, msg)
	}
	mtime := func(name string) time.Time {
		fi, err := fsys.Stat(h.Ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return fi.ModTime()
	}
	if msg := c.must("MFMT 20200102030405 a.txt", 213); !strings.Contains(msg, "Modify=20200102030405; /a.txt") {
		t.Errorf("MFMT reply %q", msg)
	}
	if got := mtime("/a.txt"); !got.Equal(time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("MFMT: %v", got)
	}
	c.must("MFMT 20200102030405.250 a.txt", 213)
	if got := mtime("/a.txt"); !got.Equal(time.Date(2020, 1, 2, 3, 4, 5, 250e6, time.UTC)) {
		t.Errorf("MFMT with a fraction: %v", got)
	}
	if fi, _ := fsys.Stat(h.Ctx, "/a.txt"); vfs.ChecksumsOf(h.Ctx, fi) != sumsOf([]byte("alpha")) {
		t.Error("MFMT lost the checksums")
	}
	c.must("SITE UTIME 20210101000000 with space.txt", 213)
	c.must("SITE UTIME with space.txt 20190101000000 20220202020202 20190101000000 UTC", 213)
	if got := mtime("/with space.txt"); !got.Equal(time.Date(2022, 2, 2, 2, 2, 2, 0, time.UTC)) {
		t.Errorf("SITE UTIME: %v", got)
	}
	before := mtime("/a.txt")
	for cmd, code := range map[string]int{
		"MFMT 2020-01-02 a.txt":                 501,
		"MFMT 20200102030405":                   501,
		"MFMT 18000102030405 a.txt":             501,
		"MFMT 20201302030405 a.txt":             501,
		"MFMT 20200102030405 nothing.txt":       550,
		"MFMT 20200102030405 groups/Readers":    550,
		"MFMT 20200102030405 ../../etc/passwd":  550,
		"SITE UTIME a.txt":                      501,
		"SITE UTIME 20200102030405 nothing.txt": 550,
		"SITE CHMOD 777 a.txt":                  504,
		"SITE UTIME a.txt 1 2 3 UTC":            501,
		"SITE UTIME \t20200102030405\t\tUTC":    501,
		"MFMT 20200102030405.12345678901 a.txt": 501,
		"MFMT 20200102030405.1x a.txt":          501,
	} {
		if got, msg := c.send(cmd); got != code {
			t.Errorf("%s: %d %q, want %d", cmd, got, msg, code)
		}
	}
	if got := mtime("/a.txt"); !got.Equal(before) {
		t.Errorf("a refused command changed the time: %v", got)
	}
}

package webdav

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"net/http"
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

func statOf(t *testing.T, h *transfertest.Harness, fsys vfs.FS, name string) (time.Time, vfs.Checksums) {
	t.Helper()
	fi, err := fsys.Stat(h.Ctx, name)
	if err != nil {
		t.Fatalf("stat %s: %v", name, err)
	}
	return fi.ModTime(), vfs.ChecksumsOf(h.Ctx, fi)
}

// TestRcloneKeepsModTimes: rclone's webdav backend keeps local times on
// Gatehouse with the vendors that send X-OC-Mtime on PUT (owncloud here;
// Debian's rclone predates the rclone vendor and PROPPATCH of
// lastmodified, which the end-to-end tests try with a newer one), so a
// second sync transfers nothing, and what it uploads gets checksums.
func TestRcloneKeepsModTimes(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	fsys := userFS(t, h, alice)
	base, _ := startDAV(t, h, nil)
	src := t.TempDir()
	when := time.Date(2016, 6, 16, 16, 16, 16, 0, time.UTC)
	data := randomBytes(300 << 10)
	for _, n := range []string{"a.bin", "b.bin"} {
		if err := os.WriteFile(filepath.Join(src, n), data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(src, n), when, when); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := rcloneVendor(t, base, "alice", transfertest.Password, "owncloud", "copy", src, "dav:synced"); err != nil {
		t.Fatalf("rclone copy: %v\n%s", err, out)
	}
	for _, n := range []string{"/synced/a.bin", "/synced/b.bin"} {
		if mtime, sums := statOf(t, h, fsys, n); !mtime.Equal(when) || sums != sumsOf(data) {
			t.Errorf("%s: %v %+v, want %v %+v", n, mtime, sums, when, sumsOf(data))
		}
	}
	out, err := rcloneVendor(t, base, "alice", transfertest.Password, "owncloud", "sync", "-v", src, "dav:synced")
	if err != nil || strings.Contains(out, "Copied") {
		t.Fatalf("a second sync transferred again: %v\n%s", err, out)
	}
}

// TestPutAndProppatchTimes: the times WebDAV clients send, and the
// refusals of what cannot be kept, which change nothing.
func TestPutAndProppatchTimes(t *testing.T) {
	h := transfertest.New(t)
	bob := h.PasswordUser("bob")
	readers := store.Group{SiteID: h.Site.ID, Name: "Readers"}
	if err := h.Store.CreateGroup(h.Ctx, &readers); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.AddGroupUser(h.Ctx, &store.GroupUser{SiteID: h.Site.ID, GroupID: readers.ID, UserID: bob.ID}); err != nil {
		t.Fatal(err)
	}
	admin := h.PasswordUser("root")
	if _, err := h.Store.UpdateUser(h.Ctx, h.Site.ID, admin.ID, func(u *store.User) error { u.SiteAdmin = true; return nil }); err != nil {
		t.Fatal(err)
	}
	fsys := userFS(t, h, bob)
	base, _ := startDAV(t, h, nil)
	url := base + Prefix + "/"
	pw := transfertest.Password

	res, body := do(t, "PUT", url+"oc.txt", "bob", pw, strings.NewReader("owncloud"), "X-OC-Mtime", "1500000000")
	if res.StatusCode != http.StatusCreated || res.Header.Get("X-OC-Mtime") != "accepted" {
		t.Fatalf("PUT with X-OC-Mtime: %d %q %s", res.StatusCode, res.Header.Get("X-OC-Mtime"), body)
	}
	if mtime, sums := statOf(t, h, fsys, "/oc.txt"); !mtime.Equal(time.Unix(1500000000, 0)) || sums != sumsOf([]byte("owncloud")) {
		t.Fatalf("PUT with X-OC-Mtime: %v %+v", mtime, sums)
	}
	for _, bad := range []string{"yesterday", "99999999999999", "-5000000000", "1.5e9"} {
		res, _ := do(t, "PUT", url+"bad.txt", "bob", pw, strings.NewReader("x"), "X-OC-Mtime", bad)
		if res.StatusCode != http.StatusBadRequest || res.Header.Get("X-OC-Mtime") != "" {
			t.Errorf("X-OC-Mtime %q: %d", bad, res.StatusCode)
		}
	}
	if _, err := fsys.Stat(h.Ctx, "/bad.txt"); err == nil {
		t.Fatal("a refused PUT stored its file")
	}

	proppatch := func(path, props string) (int, string) {
		res, body := do(t, "PROPPATCH", url+path, "bob", pw, strings.NewReader(`<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:" xmlns:X="urn:example:"><D:set><D:prop>`+props+`</D:prop></D:set></D:propertyupdate>`),
			"Content-Type", "application/xml")
		return res.StatusCode, body
	}
	code, body := proppatch("oc.txt", `<Z:Win32CreationTime>Mon, 01 Jan 2001 00:00:00 GMT</Z:Win32CreationTime>`+
		`<Z:Win32LastModifiedTime>Tue, 02 Jan 2001 03:04:05 GMT</Z:Win32LastModifiedTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>`)
	if code != http.StatusMultiStatus || !strings.Contains(body, "200 OK") || strings.Contains(body, "403") {
		t.Fatalf("Windows PROPPATCH: %d %s", code, body)
	}
	want := time.Date(2001, 1, 2, 3, 4, 5, 0, time.UTC)
	if mtime, sums := statOf(t, h, fsys, "/oc.txt"); !mtime.Equal(want) || sums != sumsOf([]byte("owncloud")) {
		t.Fatalf("after Win32LastModifiedTime: %v %+v", mtime, sums)
	}
	// ownCloud's lastmodified, on a folder too.
	do(t, "MKCOL", url+"dir", "bob", pw, nil)
	if code, body := proppatch("dir", `<D:lastmodified>1400000000</D:lastmodified>`); code != http.StatusMultiStatus || !strings.Contains(body, "200 OK") {
		t.Fatalf("lastmodified on a folder: %d %s", code, body)
	}
	if mtime, _ := statOf(t, h, fsys, "/dir"); !mtime.Equal(time.Unix(1400000000, 0)) {
		t.Fatalf("folder time %v", mtime)
	}
	// Refusals change nothing: an unknown property fails the whole patch.
	for _, c := range []struct{ path, props, want string }{
		{"oc.txt", `<D:lastmodified>1300000000</D:lastmodified><X:colour>red</X:colour>`, "403 Forbidden"},
		{"oc.txt", `<D:lastmodified>soon</D:lastmodified>`, "409 Conflict"},
		{"oc.txt", `<Z:Win32LastModifiedTime>Tue, 02 Jan 1801 03:04:05 GMT</Z:Win32LastModifiedTime>`, "409 Conflict"},
		{"oc.txt", `<D:getlastmodified>Tue, 02 Jan 2001 03:04:05 GMT</D:getlastmodified>`, "403 Forbidden"},
	} {
		if code, body := proppatch(c.path, c.props); code != http.StatusMultiStatus || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s", c.props, code, body)
		}
	}
	if mtime, _ := statOf(t, h, fsys, "/oc.txt"); !mtime.Equal(want) {
		t.Fatalf("a refused PROPPATCH changed the time: %v", mtime)
	}
	// A read-only group folder's files keep their time.
	adminFS := userFS(t, h, h.User(admin))
	up, err := adminFS.Create(h.Ctx, "/groups/Readers/r.txt", 0)
	if err != nil {
		t.Fatal(err)
	}
	// The file must exist for the refused PROPPATCH below to prove
	// anything: on a missing file it is refused as well.
	if _, err := up.Write([]byte("read me")); err != nil {
		t.Fatal(err)
	}
	if err := up.Commit(); err != nil {
		t.Fatal(err)
	}
	before, _ := statOf(t, h, fsys, "/groups/Readers/r.txt")
	if code, body := proppatch("groups/Readers/r.txt", `<D:lastmodified>1300000000</D:lastmodified>`); code == http.StatusMultiStatus && strings.Contains(body, "200 OK") {
		t.Fatalf("read-only: %d %s", code, body)
	}
	if mtime, _ := statOf(t, h, fsys, "/groups/Readers/r.txt"); !mtime.Equal(before) {
		t.Fatalf("a read-only file's time changed: %v", mtime)
	}
	// A copy is checksummed as it is written; a move keeps the file.
	if res, body := do(t, "COPY", url+"oc.txt", "bob", pw, nil, "Destination", url+"copy.txt"); res.StatusCode != http.StatusCreated {
		t.Fatalf("COPY: %d %s", res.StatusCode, body)
	}
	if res, body := do(t, "MOVE", url+"copy.txt", "bob", pw, nil, "Destination", url+"dir/moved.txt"); res.StatusCode != http.StatusCreated {
		t.Fatalf("MOVE: %d %s", res.StatusCode, body)
	}
	if _, sums := statOf(t, h, fsys, "/dir/moved.txt"); sums != sumsOf([]byte("owncloud")) {
		t.Fatalf("copied and moved: %+v", sums)
	}
	// Listings still work with files that answer PROPPATCH.
	if res, body := do(t, "PROPFIND", url, "bob", pw, nil, "Depth", "1"); res.StatusCode != http.StatusMultiStatus || !strings.Contains(body, "oc.txt") {
		t.Fatalf("PROPFIND: %d %s", res.StatusCode, body)
	}
}

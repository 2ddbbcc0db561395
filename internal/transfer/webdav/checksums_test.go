package webdav

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

// TestChecksumsOverWebDAV: a file's MD5 is its oc:checksums property, as
// ownCloud publishes it: PROPFIND names it, and rclone (vendor owncloud)
// lists it with md5sum and checks a copy against it without reading the
// files back.
func TestChecksumsOverWebDAV(t *testing.T) {
	h := transfertest.New(t)
	h.PasswordUser("alice")
	base, _ := startDAV(t, h, nil)
	src := t.TempDir()
	data := randomBytes(200 << 10)
	if err := os.WriteFile(filepath.Join(src, "a.bin"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(data)
	want := hex.EncodeToString(sum[:])
	if out, err := rcloneVendor(t, base, "alice", transfertest.Password, "owncloud", "copy", src, "dav:sums"); err != nil {
		t.Fatalf("rclone copy: %v\n%s", err, out)
	}
	body := `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><oc:checksums/><d:getcontentlength/></d:prop></d:propfind>`
	resp, out := do(t, "PROPFIND", base+Prefix+"/sums/a.bin", "alice", transfertest.Password, strings.NewReader(body), "Depth", "0", "Content-Type", "application/xml")
	if resp.StatusCode != 207 || !strings.Contains(out, "MD5:"+want) {
		t.Fatalf("PROPFIND of oc:checksums: %d\n%s", resp.StatusCode, out)
	}
	listed, err := rcloneVendor(t, base, "alice", transfertest.Password, "owncloud", "md5sum", "dav:sums")
	if err != nil || !strings.Contains(listed, want+"  a.bin") {
		t.Fatalf("rclone md5sum: %v\n%s", err, listed)
	}
	checked, err := rcloneVendor(t, base, "alice", transfertest.Password, "owncloud", "check", src, "dav:sums")
	if err != nil || !strings.Contains(checked, "0 differences found") || !strings.Contains(checked, "1 matching files") {
		t.Fatalf("rclone check: %v\n%s", err, checked)
	}
}

// TestTouchWithChecksum: rclone 1.76 (vendor owncloud; its touch is in
// the end-to-end tests) sets a file's time with a PROPPATCH that also
// carries the MD5 it knows; the time is kept when the MD5 agrees, and a
// PROPPATCH naming another MD5 changes nothing.
func TestTouchWithChecksum(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	fsys := userFS(t, h, alice)
	base, _ := startDAV(t, h, nil)
	src := t.TempDir()
	data := randomBytes(1000)
	if err := os.WriteFile(filepath.Join(src, "t.bin"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := rcloneVendor(t, base, "alice", transfertest.Password, "owncloud", "copy", src, "dav:"); err != nil {
		t.Fatalf("rclone copy: %v\n%s", err, out)
	}
	sum := md5.Sum(data)
	patch := func(md5hex, unix string) (int, string) {
		body := `<?xml version="1.0"?><d:propertyupdate xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:set><d:prop>` +
			`<d:lastmodified>` + unix + `</d:lastmodified><oc:checksums><oc:checksum>MD5:` + md5hex + `</oc:checksum></oc:checksums>` +
			`</d:prop></d:set></d:propertyupdate>`
		resp, out := do(t, "PROPPATCH", base+Prefix+"/t.bin", "alice", transfertest.Password, strings.NewReader(body), "Content-Type", "application/xml")
		return resp.StatusCode, out
	}
	if code, out := patch(hex.EncodeToString(sum[:]), "1397484854"); code != 207 || strings.Contains(out, "409") || strings.Contains(out, "403") {
		t.Fatalf("a PROPPATCH with the file's MD5: %d\n%s", code, out)
	}
	want := time.Date(2014, 4, 14, 14, 14, 14, 0, time.UTC)
	if mtime, _ := statOf(t, h, fsys, "/t.bin"); !mtime.Equal(want) {
		t.Fatalf("after touch: %v, want %v", mtime, want)
	}
	if code, out := patch("00000000000000000000000000000000", "1500000000"); code != 207 || !strings.Contains(out, "409") {
		t.Fatalf("a PROPPATCH with another MD5: %d\n%s", code, out)
	}
	if mtime, _ := statOf(t, h, fsys, "/t.bin"); !mtime.Equal(want) {
		t.Fatalf("a refused PROPPATCH changed the time: %v", mtime)
	}
}

package webdav

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

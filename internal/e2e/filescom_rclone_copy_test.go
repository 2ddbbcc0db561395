package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRcloneFilescomCopyBothWays: rclone's filescom backend copies a tree
// of 200 small files (1 byte to ~8 KiB, in two folders) and one 200 MB
// file (forty 5 MiB parts, sent in parallel) up to a real server and back
// into an empty folder; every file comes back byte for byte (SHA-256),
// and rclone check compares each file's md5 with the server's and finds
// all 201 the same, none that "could not be checked". Before the
// multi-part flow the big file kept only its first part, and before the
// checksums were stored check could compare none.
//
// It moves ~400 MB through loopback: about 25 s on an idle two-core
// machine, up to a minute on a busy one. The server is a separately
// built binary, so -race on the test does not slow it.
func TestRcloneFilescomCopyBothWays(t *testing.T) {
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(t)
	r := newRcloneRemote(t, s, s.userAPIKey(t, name, password))
	up, back := t.TempDir(), t.TempDir()
	sums := map[string][32]byte{}
	big := filepath.Join("big", "two-hundred-mb.bin")
	if err := os.Mkdir(filepath.Join(up, "big"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, sums[big] = randomFile(t, filepath.Join(up, "big"), "two-hundred-mb.bin", 200_000_000)
	for i := range 200 {
		dir := filepath.Join(up, fmt.Sprintf("small-%d", i%2))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		rel := filepath.Join(filepath.Base(dir), fmt.Sprintf("f%03d.bin", i))
		_, sums[rel] = randomFile(t, dir, filepath.Base(rel), int64(1+i*41))
	}

	start := time.Now()
	r.must(t, "copy", up, "gh:both-ways")
	t.Logf("rclone copy up of 200 small files and 200 MB: %.1f s", time.Since(start).Seconds())
	start = time.Now()
	r.must(t, "copy", "gh:both-ways", back)
	t.Logf("rclone copy back: %.1f s", time.Since(start).Seconds())

	for rel, sum := range sums {
		if got, _ := fileSHA256(t, filepath.Join(back, rel)); got != sum {
			t.Errorf("%s came back different", rel)
		}
	}
	entries := 0
	must(t, filepath.WalkDir(back, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			entries++
		}
		return nil
	}))
	if entries != len(sums) {
		t.Errorf("%d files came back, want %d", entries, len(sums))
	}

	check := r.must(t, "check", up, "gh:both-ways")
	if !strings.Contains(check, fmt.Sprintf("%d matching files", len(sums))) || !strings.Contains(check, " 0 differences found") ||
		strings.Contains(check, "could not be checked") {
		t.Fatalf("rclone check did not find every file the same by its hash:\n%s", withoutKeys(check))
	}
}

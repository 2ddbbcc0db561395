package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	files_sdk "github.com/Files-com/files-sdk-go/v3"
	"github.com/Files-com/files-sdk-go/v3/file"
)

// Uploads and downloads through Files.com's own clients against a real
// gatehouse serve: the multi-part flow (begin_upload or action=put, one
// presigned upload_uri per part, action=end) and presigned download_uri,
// checked byte for byte.

// randomFile writes size random bytes to a file in dir and returns its
// path and SHA-256.
func randomFile(t *testing.T, dir, name string, size int64) (string, [32]byte) {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return p, sum
}

func fileSHA256(t *testing.T, p string) ([32]byte, int64) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum, n
}

// TestFilesComGoSDKUploadDownload: Files.com's Go SDK uploads files of 1
// byte, 5 MiB + 1 byte (two parts) and 64 MiB (thirteen parts, sent in
// parallel), and an empty one, with UploadFile, and downloads each with
// DownloadToFile; every byte comes back, and the server reports the
// size. Before the multi-part flow, the 64 MiB upload answered success
// and stored 5,242,880 bytes.
func TestFilesComGoSDKUploadDownload(t *testing.T) {
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(t)
	key := s.userAPIKey(t, name, password)
	client := &file.Client{Config: files_sdk.Config{APIKey: key, EndpointOverride: s.Base}.Init()}
	dir := t.TempDir()
	for _, size := range []int64{0, 1, 5<<20 + 1, 64 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			local, sum := randomFile(t, dir, fmt.Sprintf("up-%d.bin", size), size)
			remote := fmt.Sprintf("sdk/%d/file.bin", size)
			if err := client.UploadFile(local, remote); err != nil {
				t.Fatalf("UploadFile of %d bytes: %v", size, err)
			}
			info, err := client.DownloadUri(files_sdk.FileDownloadParams{Path: remote})
			if err != nil || info.Size != size {
				t.Fatalf("the server holds %d bytes (%v), want %d", info.Size, err, size)
			}
			back := filepath.Join(dir, fmt.Sprintf("down-%d.bin", size))
			if _, err := client.DownloadToFile(files_sdk.FileDownloadParams{Path: remote}, back); err != nil {
				t.Fatalf("DownloadToFile: %v", err)
			}
			if got, n := fileSHA256(t, back); got != sum || n != size {
				t.Fatalf("downloaded %d bytes that differ from the %d uploaded", n, size)
			}
		})
	}
}

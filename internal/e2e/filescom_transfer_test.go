package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/pem"
	"fmt"
	"io"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
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
func randomFile(t testing.TB, dir, name string, size int64) (string, [32]byte) {
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

func fileSHA256(t testing.TB, p string) ([32]byte, int64) {
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
// byte, 5 MiB + 1 byte (two parts), 64 MiB (thirteen parts, sent in
// parallel), 1 GiB with GATEHOUSE_TEST_BIG=1 (make test-big), and an empty one, with
// UploadFile, and downloads each with DownloadToFile; every byte comes
// back, and the server reports the size and the md5 of what was sent. Before the multi-part flow, the 64 MiB upload answered success
// and stored 5,242,880 bytes.
func TestFilesComGoSDKUploadDownload(t *testing.T) {
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(t)
	key := s.userAPIKey(t, name, password)
	client := &file.Client{Config: files_sdk.Config{APIKey: key, EndpointOverride: s.Base}.Init()}
	dir := t.TempDir()
	sizes := []int64{0, 1, 5<<20 + 1, 64 << 20}
	if os.Getenv("GATEHOUSE_TEST_BIG") == "1" {
		sizes = append(sizes, 1<<30) // make test-big
	}
	for _, size := range sizes {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			local, sum := randomFile(t, dir, fmt.Sprintf("up-%d.bin", size), size)
			defer os.Remove(local)
			remote := fmt.Sprintf("sdk/%d/file.bin", size)
			if err := client.UploadFile(local, remote); err != nil {
				t.Fatalf("UploadFile of %d bytes: %v", size, err)
			}
			info, err := client.DownloadUri(files_sdk.FileDownloadParams{Path: remote})
			if want := fileMD5(t, local); err != nil || info.Size != size || info.Md5 != want {
				t.Fatalf("the server holds %d bytes with md5 %q (%v), want %d with md5 %s", info.Size, info.Md5, err, size, want)
			}
			back := filepath.Join(dir, fmt.Sprintf("down-%d.bin", size))
			if _, err := client.DownloadToFile(files_sdk.FileDownloadParams{Path: remote}, back); err != nil {
				t.Fatalf("DownloadToFile: %v", err)
			}
			if got, n := fileSHA256(t, back); got != sum || n != size {
				t.Fatalf("downloaded %d bytes that differ from the %d uploaded", n, size)
			}
			os.Remove(back)
		})
	}
}

// tlsFront is an HTTPS reverse proxy in front of a gatehouse serve, as
// the README asks for production; the server's --base-url is the proxy's
// URL, so the URIs it hands out point there. The files.com npm SDK needs
// it: it downloads with Node's https.get, which refuses http:// URIs.
type tlsFront struct {
	URL    string // https://127.0.0.1:port
	CAFile string // the proxy's certificate, for NODE_EXTRA_CA_CERTS
	srv    *httptest.Server
}

// newTLSFront opens the proxy's listener; start it with start once the
// server behind it runs.
func newTLSFront(t *testing.T) *tlsFront {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	return &tlsFront{URL: "https://" + srv.Listener.Addr().String(), srv: srv}
}

func (f *tlsFront) start(t *testing.T, backend string) {
	t.Helper()
	target, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1
	f.srv.Config.Handler = proxy
	f.srv.StartTLS()
	f.CAFile = filepath.Join(t.TempDir(), "front.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
	if err := os.WriteFile(f.CAFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestFilesComJSUploadDownload: the files.com npm SDK uploads with its
// own begin (POST /files/{path} action=put, then one action=put with the
// ref per part, parts PUT to their presigned upload_uri in parallel, then
// action=end) and downloads with downloadToFile from the presigned
// download_uri, which it fetches without the API key. Before, its begin
// got 400 and downloadToFile wrote a 401 error body into the file.
func TestFilesComJSUploadDownload(t *testing.T) {
	front := newTLSFront(t)
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"), "--base-url", front.URL)
	front.start(t, s.Base)
	name, password := s.firstAdminSignedIn(t)
	key := s.userAPIKey(t, name, password)
	dir := t.TempDir()
	big, bigSum := randomFile(t, dir, "big.bin", 12<<20+5)   // three parts of the SDK's 5 MiB partsize
	small, smallSum := randomFile(t, dir, "small.txt", 1000) // one part
	empty, emptySum := randomFile(t, dir, "empty.txt", 0)    // no part at all
	script := `
import Files from "files.com/lib/Files.js";
import File from "files.com/lib/models/File.js";
Files.setBaseUrl(process.env.GATEHOUSE_URL);
Files.setApiKey(process.env.GATEHOUSE_API_KEY);
for (const [src, dst, remote] of JSON.parse(process.env.FILES)) {
  const up = await File.uploadFile(remote, src, { mkdir_parents: true });
  console.log("uploaded", remote, up.size);
  const meta = await new File({ path: remote }).download();
  if (!meta.download_uri.startsWith(process.env.GATEHOUSE_URL)) throw new Error("download_uri " + meta.download_uri);
  await meta.downloadToFile(dst);
  console.log("downloaded", remote);
}
`
	files := fmt.Sprintf(`[[%q,%q,"js/big.bin"],[%q,%q,"js/a b/small.txt"],[%q,%q,"js/empty.txt"]]`,
		big, filepath.Join(dir, "big.back"), small, filepath.Join(dir, "small.back"), empty, filepath.Join(dir, "empty.back"))
	out, err := filescomJSAt(t, front.URL, key, script, "NODE_EXTRA_CA_CERTS="+front.CAFile, "FILES="+files)
	if err != nil || strings.Count(out, "downloaded") != 3 {
		t.Fatalf("files.com npm SDK: %v\n%s", err, out)
	}
	for _, c := range []struct {
		back string
		sum  [32]byte
		size int64
	}{{"big.back", bigSum, 12<<20 + 5}, {"small.back", smallSum, 1000}, {"empty.back", emptySum, 0}} {
		if got, n := fileSHA256(t, filepath.Join(dir, c.back)); got != c.sum || n != c.size {
			t.Errorf("%s: %d bytes that differ from the %d uploaded", c.back, n, c.size)
		}
	}
	if !strings.Contains(out, "uploaded js/big.bin 12582917") {
		t.Errorf("the end did not answer the file's size:\n%s", out)
	}
}

// TestFilesComRcloneCopyAndCat: rclone's filescom backend copies a 20 MB
// file up (four parts through the Go SDK) and back, byte for byte, and
// cat prints a small file and an empty one (which it asks for with
// Range: bytes=0--1). Before, the upload kept only its first part, and
// every download back was refused 416.
func TestFilesComRcloneCopyAndCat(t *testing.T) {
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(t)
	key := s.userAPIKey(t, name, password)
	r := newRcloneRemote(t, s, key)
	up, back := t.TempDir(), t.TempDir()
	_, sum := randomFile(t, up, "big.bin", 20_000_000)
	if err := os.WriteFile(filepath.Join(up, "note.txt"), []byte("hello from rclone\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(up, "empty.txt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r.must(t, "copy", up, "gh:rc")
	r.must(t, "copy", "gh:rc", back)
	if got, n := fileSHA256(t, filepath.Join(back, "big.bin")); got != sum || n != 20_000_000 {
		t.Fatalf("copied back %d bytes that differ from the 20,000,000 sent", n)
	}
	if out := r.must(t, "cat", "gh:rc/note.txt"); out != "hello from rclone\n" {
		t.Fatalf("rclone cat printed %q", out)
	}
	if out := r.must(t, "cat", "gh:rc/empty.txt"); out != "" {
		t.Fatalf("rclone cat of an empty file printed %q", out)
	}
	if fi, err := os.Stat(filepath.Join(back, "empty.txt")); err != nil || fi.Size() != 0 {
		t.Fatalf("the empty file came back as %v %v", fi, err)
	}
}

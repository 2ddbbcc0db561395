package webdav

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testpeer"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// startDAV serves the handler at /dav/ as the web front end mounts it, and
// returns the server's base URL.
func startDAV(t testing.TB, h *transfertest.Harness, adjust func(*Options)) (string, *Handler) {
	t.Helper()
	cfg := Options{Identity: h.Svc, Locks: h.Store, Files: h.Storage.View, Logger: h.Logger}
	if adjust != nil {
		adjust(&cfg)
	}
	dav, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(Prefix+"/", dav)
	mux.Handle(Prefix, dav)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, dav
}

func requireClient(t testing.TB, name string) {
	t.Helper()
	testpeer.LookPath(t, "Debian "+name, name)
}

// curl runs curl with args and returns the HTTP status and the body.
func curl(t testing.TB, args ...string) (int, string) {
	t.Helper()
	requireClient(t, "curl")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	all := append([]string{"-sS", "--noproxy", "*", "-w", "\n%{http_code}"}, args...)
	out, err := exec.CommandContext(ctx, "curl", all...).Output()
	if err != nil {
		t.Fatalf("curl %v: %v\n%s", args, err, out)
	}
	s := strings.TrimRight(string(out), "\n")
	i := strings.LastIndex(s, "\n")
	code, _ := strconv.Atoi(s[i+1:])
	if i < 0 {
		return code, ""
	}
	return code, s[:i]
}

// rclone runs rclone against the server as user with secret, the remote
// named "dav".
func rclone(t testing.TB, base, user, secret string, args ...string) (string, error) {
	t.Helper()
	return rcloneVendor(t, base, user, secret, "other", args...)
}

// rcloneVendor is rclone with the webdav backend set for vendor, which
// decides how rclone keeps modification times (rclone and owncloud:
// X-OC-Mtime; owncloud: PROPPATCH of lastmodified).
func rcloneVendor(t testing.TB, base, user, secret, vendor string, args ...string) (string, error) {
	t.Helper()
	requireClient(t, "rclone")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	obscured, err := exec.CommandContext(ctx, "rclone", "obscure", secret).Output()
	if err != nil {
		t.Fatalf("rclone obscure: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, "rclone", append([]string{"--config", dir + "/rclone.conf", "--low-level-retries", "1", "--retries", "1"}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+dir, "NO_PROXY=*",
		"RCLONE_CONFIG_DAV_TYPE=webdav", "RCLONE_CONFIG_DAV_URL="+base+Prefix+"/", "RCLONE_CONFIG_DAV_VENDOR="+vendor,
		"RCLONE_CONFIG_DAV_USER="+user, "RCLONE_CONFIG_DAV_PASS="+strings.TrimSpace(string(obscured)))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// do sends one request with Basic credentials.
func do(t testing.TB, method, url, user, secret string, body io.Reader, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, secret)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func userFS(t testing.TB, h *transfertest.Harness, u store.User) vfs.FS {
	t.Helper()
	fsys, err := h.Files(h.Ctx, h.Site, u)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func readAll(t testing.TB, h *transfertest.Harness, fsys vfs.FS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(h.Ctx, name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

package e2e

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFTPAndWebDAV runs the real binary and reaches one user's files over
// WebDAV with curl and over FTPS with lftp, with the certificate serve
// generated into the data directory.
func TestFTPAndWebDAV(t *testing.T) {
	requireTools(t, "curl", "lftp")
	dir := filepath.Join(t.TempDir(), "data")
	ftpAddr := freeAddr(t)
	s := startServer(t, "--data-dir", dir, "--ftp-listen", ftpAddr, "--ftp-require-tls", "true")
	key := createAPIKey(t, "--data-dir", dir)
	const password = "transfer test password 1"
	if code := s.api(t, "POST", "/users", key, map[string]any{"username": "carol", "password": password,
		"ftp_permission": true, "dav_permission": true}, nil); code != http.StatusCreated {
		t.Fatalf("create user: %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "ftp-tls.crt")); err != nil {
		t.Fatalf("no FTPS certificate was generated: %v", err)
	}
	local := t.TempDir()
	payload := bytes.Repeat([]byte("gatehouse "), 100_000)
	if err := os.WriteFile(filepath.Join(local, "a.bin"), payload, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("curl", "-sS", "--noproxy", "*", "-u", "carol:"+password, "-T", filepath.Join(local, "a.bin"),
		"-w", "%{http_code}", s.Base+"/dav/a.bin").CombinedOutput()
	if err != nil || !strings.HasSuffix(string(out), "201") {
		t.Fatalf("WebDAV PUT: %v %s", err, out)
	}
	script := strings.Join([]string{
		"set cmd:fail-exit yes", "set net:max-retries 1", "set ftp:ssl-force yes", "set ftp:ssl-protect-data yes",
		"set ssl:verify-certificate no", "open ftp://" + ftpAddr, `user carol "` + password + `"`,
		"get a.bin -o " + filepath.Join(local, "via-ftp.bin"), "cls -1"}, "\n")
	out, err = exec.Command("lftp", "-c", script).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "a.bin") {
		t.Fatalf("lftp over FTPS: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(filepath.Join(local, "via-ftp.bin")); !bytes.Equal(got, payload) {
		t.Fatal("the file uploaded over WebDAV came back different over FTPS")
	}
}

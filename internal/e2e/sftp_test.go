package e2e

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSFTPThroughTheBinary signs in to the real server's SFTP listener with
// OpenSSH and an SSH key added over the REST API, uploads a file, and finds
// it through the REST files API: both front ends share one storage.
func TestSFTPThroughTheBinary(t *testing.T) {
	requireTools(t, "sftp", "ssh-keygen")
	dir := filepath.Join(t.TempDir(), "data")
	sftpAddr := freeAddr(t)
	s := startServer(t, "--data-dir", dir, "--sftp-listen", sftpAddr)
	d := []string{"--data-dir", dir}
	cli(t, append([]string{"users", "create", "--username", "dana", "--sftp-permission"}, d...)...)
	adminKey := createAPIKey(t, d...)
	var found []map[string]any
	s.api(t, http.MethodGet, "/users?filter[username]=dana", adminKey, nil, &found)
	if len(found) != 1 {
		t.Fatalf("dana: %v", found)
	}
	work := t.TempDir()
	keyFile := filepath.Join(work, "id_dana")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	pub, err := os.ReadFile(keyFile + ".pub")
	must(t, err)
	if code := s.api(t, http.MethodPost, "/public_keys", adminKey, map[string]any{
		"user_id": found[0]["id"], "title": "laptop", "public_key": strings.TrimSpace(string(pub))}, nil); code != http.StatusCreated {
		t.Fatalf("add key: %d", code)
	}
	for _, f := range []string{"ssh_host_ed25519_key", "ssh_host_rsa_key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("host key %s not in the data directory: %v", f, err)
		}
	}
	must(t, os.WriteFile(filepath.Join(work, "hello.txt"), []byte("hello over sftp"), 0o600))
	must(t, os.WriteFile(filepath.Join(work, "batch"), []byte("put hello.txt\nls\n"), 0o600))
	_, port, _ := net.SplitHostPort(sftpAddr)
	cmd := exec.Command("sftp", "-P", port, "-F", "/dev/null", "-o", "StrictHostKeyChecking=accept-new",
		"-o", "UserKnownHostsFile="+filepath.Join(work, "known_hosts"), "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "IdentityFile="+keyFile, "-o", "IdentitiesOnly=yes", "-b", filepath.Join(work, "batch"), "dana@127.0.0.1")
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "hello.txt") {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	out := cli(t, append([]string{"api-keys", "create", "--username", "dana", "--name", "script"}, d...)...)
	danaKey := regexp.MustCompile(`(?m)^(ghk_\S+)$`).FindStringSubmatch(out)
	if danaKey == nil {
		t.Fatalf("no key printed:\n%s", out)
	}
	var listing []struct {
		Path string `json:"path"`
		Size int64  `json:"size"`
	}
	if code := s.api(t, http.MethodGet, "/folders", danaKey[1], nil, &listing); code != http.StatusOK ||
		len(listing) != 1 || listing[0].Path != "hello.txt" || listing[0].Size != int64(len("hello over sftp")) {
		t.Fatalf("REST listing after the SFTP upload: %d %+v", code, listing)
	}
}

// must fails the test on a setup step's error, where it happened rather
// than as a confusing failure further on.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

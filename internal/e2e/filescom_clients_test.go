package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Files.com's own clients, run against a real gatehouse serve: rclone's
// filescom backend (a pinned release, built by scripts/install-test-peers.sh
// into .test-tools/, since Debian's rclone predates the backend) and the
// files.com npm SDK (internal/e2e/testdata/filescom-js, from its lock
// file). Files.com's Go SDK is a Go module of the tests.

// rcloneVersion is the pinned rclone with the filescom backend.
const rcloneVersion = "v1.76.0"

// filescomRclone returns the pinned rclone, or skips (fails under
// GATEHOUSE_REQUIRE_PEERS=1) when it was not built.
func filescomRclone(t testing.TB) string {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join("..", "..", ".test-tools", "rclone-"+rcloneVersion))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		skipOrFail(t, "rclone %s with the filescom backend is not built; run scripts/install-test-peers.sh", rcloneVersion)
	}
	return bin
}

// rcloneRemote is an rclone configuration whose remote "gh:" is a
// Gatehouse server through the filescom backend, with one API key.
type rcloneRemote struct {
	bin, config string
}

// newRcloneRemote configures gh: as the server s, signed in with apiKey.
func newRcloneRemote(t testing.TB, s *server, apiKey string) rcloneRemote {
	t.Helper()
	r := rcloneRemote{bin: filescomRclone(t), config: filepath.Join(t.TempDir(), "rclone.conf")}
	conf := fmt.Sprintf("[gh]\ntype = filescom\nsite = %s\napi_key = %s\n", s.Base, apiKey)
	if err := os.WriteFile(r.config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

// run runs rclone with the remote's configuration and returns what it
// printed (stdout and stderr) and its error, bounded by a generous time.
func (r rcloneRemote) run(t testing.TB, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	full := append([]string{"--config", r.config, "--low-level-retries", "1", "--retries", "1"}, args...)
	cmd := exec.CommandContext(ctx, r.bin, full...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// must is run that fails the test when rclone does.
func (r rcloneRemote) must(t testing.TB, args ...string) string {
	t.Helper()
	out, err := r.run(t, args...)
	if err != nil {
		t.Fatalf("rclone %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// filescomJS runs an ES module script with the files.com npm SDK, which it
// imports as "files.com/lib/Files.js"; the script reads GATEHOUSE_URL and
// GATEHOUSE_API_KEY from its environment. It returns what the script
// printed, and its error.
func filescomJS(t *testing.T, s *server, apiKey, script string) (string, error) {
	t.Helper()
	return filescomJSAt(t, s.Base, apiKey, script)
}

// filescomJSAt is filescomJS against the server at base (a TLS proxy in
// front of it, say), with extra environment variables (NAME=value).
func filescomJSAt(t *testing.T, base, apiKey, script string, env ...string) (string, error) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFail(t, "node is not installed; run scripts/install-test-peers.sh")
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "filescom-js"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "files.com")); err != nil {
		skipOrFail(t, "the files.com npm SDK is not installed; run scripts/install-test-peers.sh")
	}
	// The script lives beside node_modules so that its import resolves.
	f, err := os.CreateTemp(dir, "run-*.mjs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(f.Name()) })
	if _, err := f.WriteString(script); err != nil {
		t.Fatal(err)
	}
	must(t, f.Close())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, f.Name())
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GATEHOUSE_URL="+base, "GATEHOUSE_API_KEY="+apiKey), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

// userAPIKey signs username in over the API and makes them a full API
// key of their own.
func (s *server) userAPIKey(t testing.TB, username, password string) string {
	t.Helper()
	var sess struct{ ID string }
	if code := s.api(t, http.MethodPost, "/sessions", "", map[string]string{"username": username, "password": password},
		&sess); code != http.StatusCreated || sess.ID == "" {
		t.Fatalf("sign-in of %s: %d", username, code)
	}
	req, err := http.NewRequest(http.MethodPost, s.Base+"/api/rest/v1/api_keys", strings.NewReader(`{"name":"files.com clients"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-FilesAPI-Auth", sess.ID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var key struct{ Key string }
	if err := json.NewDecoder(resp.Body).Decode(&key); err != nil || resp.StatusCode != http.StatusCreated || key.Key == "" {
		t.Fatalf("API key for %s: %d %v", username, resp.StatusCode, err)
	}
	return key.Key
}

// TestFilesComClientsConnect: the three clients reach a real server and
// list a folder with a user's API key. The file operations themselves
// have their own tests.
func TestFilesComClientsConnect(t *testing.T) {
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(t)
	key := s.userAPIKey(t, name, password)

	r := newRcloneRemote(t, s, key)
	r.must(t, "lsf", "gh:")

	out, err := filescomJS(t, s, key, `
import Files from "files.com/lib/Files.js";
import Folder from "files.com/lib/models/Folder.js";
Files.setBaseUrl(process.env.GATEHOUSE_URL);
Files.setApiKey(process.env.GATEHOUSE_API_KEY);
const entries = await Folder.listFor("/");
console.log("listed", entries.length);
`)
	if err != nil || !strings.Contains(out, "listed") {
		t.Fatalf("files.com npm SDK: %v\n%s", err, out)
	}
}

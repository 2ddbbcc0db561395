// Package e2e tests Gatehouse from the outside, the way a person and their
// tools meet it: the real binary started as a child process (as `go run
// ./cmd/gatehouse serve` would), a real browser, a real PostgreSQL shared by
// two server processes.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/pgtest"
	"github.com/gatehouse/gatehouse/internal/testpeer"
)

// binary is the gatehouse binary built once for the package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gatehouse-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "gatehouse")
	build := exec.Command("go", "build", "-o", binary, "github.com/gatehouse/gatehouse/cmd/gatehouse")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building gatehouse:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	pgtest.StopShared()
	os.RemoveAll(dir)
	os.Exit(code)
}

// skipOrFail skips the test because a peer is missing, or fails it under
// GATEHOUSE_REQUIRE_PEERS=1 (testpeer.Missing).
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	testpeer.Missing(t, format, args...)
}

// server is a running `gatehouse serve`.
type server struct {
	t    testing.TB
	cmd  *exec.Cmd
	Base string
	// Metrics is the base URL of the server's metrics listener.
	Metrics string
	mu      sync.Mutex
	stdout  bytes.Buffer
	done    chan struct{}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	return testpeer.FreeAddr(t)
}

// startServer runs `gatehouse serve --listen <free port> args…` and waits
// until it answers /readyz. The server is stopped when the test ends.
func startServer(t testing.TB, args ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	metrics := freeAddr(t)
	s := &server{t: t, Base: "http://" + addr, Metrics: "http://" + metrics, done: make(chan struct{})}
	// Every server gets its own SFTP, FTP and metrics ports, so parallel
	// tests never collide on the default ones.
	s.cmd = exec.Command(binary, append([]string{"serve", "--listen", addr, "--sftp-listen", freeAddr(t), "--ftp-listen", freeAddr(t),
		"--metrics-listen", metrics}, args...)...)
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = &prefixWriter{t: t}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.mu.Lock()
			s.stdout.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.Stop() })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			t.Fatalf("gatehouse serve exited early:\n%s", s.Stdout())
		default:
		}
		if resp, err := http.Get(s.Base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("gatehouse serve did not become ready:\n%s", s.Stdout())
	return nil
}

// Stdout is what the server printed so far.
func (s *server) Stdout() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stdout.String()
}

// Stop sends SIGTERM and waits for a graceful exit, returning the exit error.
func (s *server) Stop() error {
	select {
	case <-s.done:
	default:
		s.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-s.done:
	case <-time.After(40 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		s.t.Errorf("gatehouse serve did not stop within 40s of SIGTERM")
	}
	if s.cmd.ProcessState.Success() {
		return nil
	}
	return fmt.Errorf("gatehouse serve: %s", s.cmd.ProcessState)
}

var firstAdminRe = regexp.MustCompile(`(?m)username: (\S+)\s*\n\s*password: (\S+)`)

// firstAdmin reads the printed first-admin username and password.
func (s *server) firstAdmin(t testing.TB) (string, string) {
	t.Helper()
	m := firstAdminRe.FindStringSubmatch(s.Stdout())
	if m == nil {
		t.Fatalf("no first-admin sign-in printed:\n%s", s.Stdout())
	}
	return m[1], m[2]
}

// firstAdminSignedIn signs the printed first admin in once over the API,
// choosing a password of its own in place of the one-time one, and
// returns the username and that password.
func (s *server) firstAdminSignedIn(t testing.TB) (string, string) {
	t.Helper()
	name, oneTime := s.firstAdmin(t)
	const password = "the first admin's own password"
	if code := s.api(t, http.MethodPost, "/sessions", "", map[string]string{"username": name, "password": oneTime,
		"change_password": password}, nil); code != http.StatusCreated {
		t.Fatalf("first sign-in of %s with change_password: %d", name, code)
	}
	return name, password
}

// requireTools skips (or, with GATEHOUSE_REQUIRE_PEERS=1, fails) a test
// whose client programs are not installed.
func requireTools(t testing.TB, names ...string) {
	t.Helper()
	testpeer.LookPath(t, "Debian packages", names...)
}

// api sends one JSON request and decodes the JSON answer into out (if not nil).
func (s *server) api(t testing.TB, method, path, apiKey string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.Base+"/api/rest/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if apiKey != "" {
		req.Header.Set("X-FilesAPI-Key", apiKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

// cli runs a gatehouse command and returns its output.
func cli(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("gatehouse %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

var apiKeyRe = regexp.MustCompile(`(?m)^(ghk_\S+)$`)

// createAPIKey makes a site-wide key with the CLI.
func createAPIKey(t *testing.T, args ...string) string {
	t.Helper()
	out := cli(t, append([]string{"api-keys", "create", "--site-wide", "--name", "e2e"}, args...)...)
	m := apiKeyRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no key printed:\n%s", out)
	}
	return m[1]
}

type prefixWriter struct{ t testing.TB }

func (w *prefixWriter) Write(b []byte) (int, error) {
	if testing.Verbose() {
		os.Stderr.Write(b)
	}
	return len(b), nil
}

package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFirstRun is the README's first command: serve on an empty directory
// prints where to sign in and a one-time admin password that works on the
// API; a restart prints no password again; SIGTERM stops it cleanly.
func TestFirstRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gatehouse-data")
	s := startServer(t, "--data-dir", dir)
	if want := "Sign in at " + s.Base + "/login"; !strings.Contains(s.Stdout(), want) {
		t.Fatalf("missing %q in:\n%s", want, s.Stdout())
	}
	user, password := s.firstAdmin(t)

	st, err := os.Stat(filepath.Join(dir, "master.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v, mode %v", err, st.Mode())
	}
	if _, err := os.Stat(filepath.Join(dir, "gatehouse.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}

	// The one-time password is right, but must be changed first; the API
	// says so and takes the new one in the same request.
	var refusal map[string]any
	if code := s.api(t, http.MethodPost, "/sessions", "", map[string]string{"username": user, "password": password}, &refusal); code != http.StatusForbidden ||
		refusal["type"] != "not-authorized/password-change-required" {
		t.Fatalf("POST /sessions with the one-time password and no new one: %d %v", code, refusal)
	}
	newPassword := "correct horse battery staple"
	var session map[string]any
	if code := s.api(t, http.MethodPost, "/sessions", "", map[string]string{"username": user, "password": password,
		"change_password": newPassword, "change_password_confirmation": newPassword}, &session); code != http.StatusCreated {
		t.Fatalf("POST /sessions with the printed password and change_password: %d %v", code, session)
	}
	password = newPassword
	if id, _ := session["id"].(string); id == "" {
		t.Fatalf("session without id: %v", session)
	}
	var refused map[string]any
	if code := s.api(t, http.MethodPost, "/sessions", "", map[string]string{"username": user, "password": password + "x"}, &refused); code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d %v", code, refused)
	}
	if refused["type"] != "not-authenticated/invalid-username-or-password" {
		t.Fatalf("wrong password error: %v", refused)
	}

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(s.Base + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %v %v", path, err, resp)
		}
		resp.Body.Close()
	}

	if err := s.Stop(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	again := startServer(t, "--data-dir", dir)
	if strings.Contains(again.Stdout(), "password:") {
		t.Fatalf("second start printed a password again:\n%s", again.Stdout())
	}
	if code := again.api(t, http.MethodPost, "/sessions", "", map[string]string{"username": user, "password": password}, nil); code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("first-admin password after restart: %d", code)
	}
}

// TestMetricsOnOwnListener: /metrics, which needs no credentials, is not
// on the main listener (whatever the host), only on --metrics-listen,
// which serve prints; --metrics-listen off serves none.
func TestMetricsOnOwnListener(t *testing.T) {
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"), "--site-domain", "example.test")
	get := func(url, host string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, host := range []string{"", "acme.example.test", "example.test"} {
		if code, body := get(s.Base+"/metrics", host); code != http.StatusNotFound || strings.Contains(body, "gatehouse_http_requests_total") {
			t.Errorf("GET /metrics on the main listener (host %q): %d", host, code)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _ := get(s.Base+path, ""); code != http.StatusOK {
			t.Errorf("GET %s on the main listener: %d", path, code)
		}
	}
	code, body := get(s.Metrics+"/metrics", "")
	if code != http.StatusOK || !strings.Contains(body, "gatehouse_http_requests_total") {
		t.Fatalf("GET /metrics on the metrics listener: %d %.200s", code, body)
	}
	if want := "Metrics:  " + s.Metrics + "/metrics"; !strings.Contains(s.Stdout(), want) {
		t.Errorf("serve did not print %q:\n%s", want, s.Stdout())
	}

	off := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"), "--metrics-listen", "off")
	if _, err := http.Get(off.Metrics + "/metrics"); err == nil {
		t.Error("--metrics-listen off still serves metrics")
	}
	if strings.Contains(off.Stdout(), "Metrics:") {
		t.Errorf("--metrics-listen off still prints a metrics address:\n%s", off.Stdout())
	}
}

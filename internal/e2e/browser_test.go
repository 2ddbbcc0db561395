package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// browserDir holds the pinned playwright-core install (make test runs npm ci there).
const browserDir = "testdata/browser"

// TestBrowserFirstSignIn signs in with the printed first-admin password in
// a real Chromium, goes through the forced password change, sees who it is,
// and signs out.
func TestBrowserFirstSignIn(t *testing.T) {
	node, chromium := requireBrowser(t)

	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	user, password := s.firstAdmin(t)
	newPassword := "a much better passphrase 42"
	shots := screenshotDir(t)
	if shots == "-" {
		shots = t.TempDir()
	}

	cmd := exec.Command(node, "first-sign-in.mjs", s.Base, user, password, newPassword, shots)
	cmd.Dir = browserDir
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	out, err := cmd.Output()
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	var seen struct {
		RedirectedToLogin       bool   `json:"redirectedToLogin"`
		WrongPasswordText       string `json:"wrongPasswordText"`
		AfterLogin              string `json:"afterLogin"`
		HomeWhileChangeRequired string `json:"homeWhileChangeRequired"`
		AfterChange             string `json:"afterChange"`
		HomeText                string `json:"homeText"`
		SessionCookie           *struct {
			HTTPOnly bool   `json:"httpOnly"`
			SameSite string `json:"sameSite"`
		} `json:"sessionCookie"`
		AfterLogout   string              `json:"afterLogout"`
		PasswordRules string              `json:"passwordRules"`
		ChangedNotice string              `json:"changedNotice"`
		Axe           map[string][]string `json:"axe"`
	}
	if jerr := json.Unmarshal(out, &seen); jerr != nil || err != nil {
		t.Fatalf("browser run failed: %v\nstdout: %s\nstderr: %s", err, out, stderr)
	}
	if !seen.RedirectedToLogin {
		t.Error("signed-out visit to / did not land on /login")
	}
	if !strings.Contains(strings.ToLower(seen.WrongPasswordText), "invalid username or password") {
		t.Errorf("wrong password page says: %q", seen.WrongPasswordText)
	}
	if seen.AfterLogin != "/password" || seen.HomeWhileChangeRequired != "/password" {
		t.Errorf("forced password change: after login %q, / while required %q", seen.AfterLogin, seen.HomeWhileChangeRequired)
	}
	if seen.AfterChange != "/" || !strings.Contains(seen.HomeText, user) {
		t.Errorf("after the change: %q showing %q", seen.AfterChange, seen.HomeText)
	}
	if seen.SessionCookie == nil || !seen.SessionCookie.HTTPOnly || seen.SessionCookie.SameSite != "Lax" {
		t.Errorf("session cookie: %+v", seen.SessionCookie)
	}
	if seen.AfterLogout != "/login" {
		t.Errorf("after sign-out / is %q", seen.AfterLogout)
	}
	if !strings.Contains(seen.PasswordRules, "At least 12 characters") {
		t.Errorf("the password form does not show the site's rule before a failure: %q", seen.PasswordRules)
	}
	if !strings.Contains(seen.ChangedNotice, "Your password has been changed") {
		t.Errorf("the page after the change does not say so: %q", seen.ChangedNotice)
	}
	for _, page := range []string{"login", "password", "home"} {
		if v, ok := seen.Axe[page]; !ok || len(v) > 0 {
			t.Errorf("axe on the %s page: %v (checked: %v)", page, v, ok)
		}
	}

	// The new password works on the API; the one-time password no longer does.
	if code := s.api(t, "POST", "/sessions", "", map[string]string{"username": user, "password": newPassword}, nil); code != 201 {
		t.Errorf("new password on POST /sessions: %d", code)
	}
	if code := s.api(t, "POST", "/sessions", "", map[string]string{"username": user, "password": password}, nil); code != 401 {
		t.Errorf("old password on POST /sessions: %d", code)
	}
}

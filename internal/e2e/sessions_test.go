package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// restSession signs in with POST /sessions and returns the session token.
func restSession(t *testing.T, s *server, username, password string) string {
	t.Helper()
	code, out := signInREST(t, s, "127.0.0.1", username, password)
	var sess struct{ ID string }
	if code != http.StatusCreated || json.Unmarshal([]byte(out), &sess) != nil || sess.ID == "" {
		t.Fatalf("sign in %s: %d %s", username, code, out)
	}
	return sess.ID
}

// asSession sends one REST request with a session token and returns the status and body.
func asSession(t *testing.T, s *server, token, method, path, body string) (int, string) {
	t.Helper()
	args := []string{"-X", method, "-H", "X-FilesAPI-Auth: " + token}
	if body != "" {
		args = append(args, "-H", "Content-Type: application/json", "--data-binary", body)
	}
	return curlFrom(t, "127.0.0.1", append(args, s.Base+"/api/rest/v1"+path)...)
}

// TestSessionsEndWithPasswordAndPermission is the attack on the real server
// with curl: a session outlived its user's password change and a revoked
// restapi_permission. Now a password change ends every other session of the
// user (the one that made it stays), on the web page and when an admin sets
// it, and a session is refused once restapi_permission is gone.
func TestSessionsEndWithPasswordAndPermission(t *testing.T) {
	requireTools(t, "curl")
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	key := createAPIKey(t, "--data-dir", dir)
	const bobPassword = "bob's first password"
	var bob struct{ ID int64 }
	if code := s.api(t, "POST", "/users", key, map[string]any{"username": "bob", "password": bobPassword}, &bob); code != http.StatusCreated {
		t.Fatalf("create bob: %d", code)
	}

	// Two sessions of bob; he changes his password on the web page in one.
	rest := restSession(t, s, "bob", bobPassword)
	jar := webSignIn(t, s, "127.0.0.1", "bob", bobPassword)
	code, out := curlFrom(t, "127.0.0.1", "-b", jar, "-c", jar, "--data-urlencode", "current_password="+bobPassword,
		"--data-urlencode", "new_password=bob's second password", "--data-urlencode", "confirm_password=bob's second password",
		"--data-urlencode", "csrf_token="+jarValue(t, jar, "gatehouse_csrf"), s.Base+"/password")
	if code != http.StatusSeeOther {
		t.Fatalf("password change on the web page: %d %s", code, out)
	}
	if code, out := asSession(t, s, rest, "GET", "/me", ""); code != http.StatusUnauthorized ||
		!strings.Contains(out, "not-authenticated/invalid-session") {
		t.Fatalf("bob's other session after his password change: %d %s, want 401 invalid-session", code, out)
	}
	if code, out := curlFrom(t, "127.0.0.1", "-b", jar, s.Base+"/"); code != http.StatusOK {
		t.Fatalf("the session that changed the password: %d %s", code, out)
	}

	// An admin sets bob's password: every session of bob ends.
	if code, out := curlFrom(t, "127.0.0.1", "-X", "PATCH", "-H", "X-FilesAPI-Key: "+key, "-H", "Content-Type: application/json",
		"--data-binary", `{"password":"bob's admin-set password"}`, fmt.Sprintf("%s/api/rest/v1/users/%d", s.Base, bob.ID)); code != http.StatusOK {
		t.Fatalf("admin sets bob's password: %d %s", code, out)
	}
	if code, _ := curlFrom(t, "127.0.0.1", "-b", jar, s.Base+"/"); code == http.StatusOK {
		t.Fatal("bob's web session survived the password an admin set")
	}

	// An admin who sets their own password keeps the session they did it in.
	name, oneTime := s.firstAdmin(t)
	body, _ := json.Marshal(map[string]string{"username": name, "password": oneTime, "change_password": "the admin's password"})
	code, out = curlFrom(t, "127.0.0.1", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", string(body),
		s.Base+"/api/rest/v1/sessions")
	var first struct {
		ID     string
		UserID int64 `json:"user_id"`
	}
	if code != http.StatusCreated || json.Unmarshal([]byte(out), &first) != nil {
		t.Fatalf("admin's first sign-in: %d %s", code, out)
	}
	second := restSession(t, s, name, "the admin's password")
	if code, out := asSession(t, s, first.ID, "PATCH", fmt.Sprintf("/users/%d", first.UserID),
		`{"password":"the admin's next password"}`); code != http.StatusOK {
		t.Fatalf("admin sets own password: %d %s", code, out)
	}
	if code, out := asSession(t, s, first.ID, "GET", "/me", ""); code != http.StatusOK {
		t.Fatalf("the admin's session that made the change: %d %s", code, out)
	}
	if code, _ := asSession(t, s, second, "GET", "/me", ""); code != http.StatusUnauthorized {
		t.Fatalf("the admin's other session after the change: %d, want 401", code)
	}

	// Revoking restapi_permission refuses bob's session at its next request.
	rest = restSession(t, s, "bob", "bob's admin-set password")
	if code, out := asSession(t, s, rest, "GET", "/me", ""); code != http.StatusOK {
		t.Fatalf("bob's new session: %d %s", code, out)
	}
	if code := s.api(t, "PATCH", fmt.Sprintf("/users/%d", bob.ID), key, map[string]any{"restapi_permission": false}, nil); code != http.StatusOK {
		t.Fatalf("revoke restapi_permission: %d", code)
	}
	if code, out := asSession(t, s, rest, "GET", "/me", ""); code != http.StatusForbidden || !strings.Contains(out, "restapi_permission") {
		t.Fatalf("bob's session without restapi_permission: %d %s, want 403 naming restapi_permission", code, out)
	}
}

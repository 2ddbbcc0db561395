package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withKey sends one REST request with an API key from curl.
func withKey(t *testing.T, s *server, key, method, path, body string, extra ...string) (int, string) {
	t.Helper()
	args := []string{"-X", method, "-H", "X-FilesAPI-Key: " + key}
	if body != "" {
		args = append(args, "-H", "Content-Type: application/json", "--data-binary", body)
	}
	args = append(args, extra...)
	return curlFrom(t, "127.0.0.1", append(args, s.Base+"/api/rest/v1"+path)...)
}

// TestAPIKeyPermissionSetsWithCurl is the attack on the real server: a
// files_only key of a site admin, or a site-wide one, renamed the site.
// Now files_only keys cannot change the site, make users or keys, or
// widen themselves, while an admin's files_only key lists and uploads
// files (REST and WebDAV); a none key can do nothing, on REST or WebDAV.
func TestAPIKeyPermissionSetsWithCurl(t *testing.T) {
	requireTools(t, "curl")
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	full := createAPIKey(t, "--data-dir", dir)
	siteWideFiles := createAPIKey(t, "--data-dir", dir, "--permission-set", "files_only")
	const opsPassword = "ops admin password here"
	if code := s.api(t, "POST", "/users", full, map[string]any{"username": "ops", "password": opsPassword, "site_admin": true,
		"dav_permission": true}, nil); code != http.StatusCreated {
		t.Fatalf("create ops: %d", code)
	}
	adminKey := func(set string) string {
		t.Helper()
		m := apiKeyRe.FindStringSubmatch(cli(t, "api-keys", "create", "--data-dir", dir, "--username", "ops", "--name", set,
			"--permission-set", set))
		if m == nil {
			t.Fatal("no key printed")
		}
		return m[1]
	}
	adminFiles, adminNone := adminKey("files_only"), adminKey("none")

	for name, key := range map[string]string{"site-wide files_only": siteWideFiles, "admin's files_only": adminFiles} {
		for _, c := range []struct{ method, path, body string }{
			{"PATCH", "/site", `{"name":"owned"}`},
			{"GET", "/site", ""},
			{"POST", "/users", `{"username":"mallory","password":"mallory's long password"}`},
			{"POST", "/api_keys", `{"name":"wider","user_id":2}`},
			{"PATCH", "/api_key", `{"permission_set":"full"}`},
		} {
			code, out := withKey(t, s, key, c.method, c.path, c.body)
			if code != http.StatusForbidden || !strings.Contains(out, "not-authorized/api-key-only-for-files") {
				t.Errorf("%s key: %s %s answered %d %s, want 403 api-key-only-for-files", name, c.method, c.path, code, out)
			}
		}
	}
	var site struct{ Name string }
	if s.api(t, "GET", "/site", full, nil, &site); site.Name == "owned" {
		t.Fatal("a files_only key renamed the site")
	}
	var users []struct{ Username string }
	if s.api(t, "GET", "/users?filter[username]=mallory", full, nil, &users); len(users) != 0 {
		t.Fatal("a files_only key created a user")
	}

	// The admin's files_only key does file work, over REST and WebDAV.
	local := filepath.Join(t.TempDir(), "report.txt")
	if err := os.WriteFile(local, []byte("quarterly numbers\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := withKey(t, s, adminFiles, "POST", "/folders/reports", ""); code >= 300 {
		t.Fatalf("files_only key creates a folder: %d %s", code, out)
	}
	if code, out := curlFrom(t, "127.0.0.1", "-u", "ops:"+adminFiles, "-T", local, s.Base+"/dav/reports/report.txt"); code != http.StatusCreated {
		t.Fatalf("files_only key uploads over WebDAV: %d %s", code, out)
	}
	code, out := withKey(t, s, adminFiles, "GET", "/folders/reports", "")
	var listing []struct{ Path string }
	if code != http.StatusOK || json.Unmarshal([]byte(out), &listing) != nil || len(listing) != 1 {
		t.Fatalf("files_only key lists the folder: %d %s", code, out)
	}
	if code, out := withKey(t, s, adminFiles, "GET", "/me", ""); code != http.StatusOK {
		t.Fatalf("files_only key reads its owner's profile: %d %s", code, out)
	}

	// A none key does nothing.
	for _, c := range []struct{ method, path string }{{"GET", "/me"}, {"GET", "/folders"}, {"GET", "/users"}, {"DELETE", "/api_key"}} {
		code, out := withKey(t, s, adminNone, c.method, c.path, "")
		if code != http.StatusForbidden || !strings.Contains(out, "not-authorized/api-key-is-disabled") {
			t.Errorf("none key: %s %s answered %d %s, want 403 api-key-is-disabled", c.method, c.path, code, out)
		}
	}
	if code, out := curlFrom(t, "127.0.0.1", "-u", "ops:"+adminNone, "-X", "PROPFIND", "-H", "Depth: 0", s.Base+"/dav/"); code != http.StatusUnauthorized ||
		!strings.Contains(out, "Api Key Is Disabled") {
		t.Errorf("none key over WebDAV: %d %s, want 401 saying the key is disabled", code, out)
	}
}

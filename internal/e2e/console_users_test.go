package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrowserConsoleUsers drives the admin console's Users pages in a real
// Chromium: the list, a search, a user's page, setting the user's
// authentication method to SSO with a provider, and the lock-out guard's
// refusal for the last site admin who signs in with a password. Each page
// must have no serious or critical axe-core violation and fit 375 px.
// Screenshots go to $GATEHOUSE_SCREENSHOTS when set (make screenshots).
func TestBrowserConsoleUsers(t *testing.T) {
	node, chromium := requireBrowser(t)
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	key := createAPIKey(t, "--data-dir", dir)
	admin, password := s.firstAdminSignedIn(t)

	var okta struct{ ID int64 }
	if code := s.api(t, http.MethodPost, "/sso_strategies", key, map[string]any{
		"protocol": "saml", "provider": "okta", "label": "Okta", "enabled": true}, &okta); code != http.StatusCreated {
		t.Fatalf("create provider: %d", code)
	}
	for _, u := range []map[string]any{
		{"username": "alice", "name": "Alice Liddell", "email": "alice@example.com", "authentication_method": "password", "password": "alice's long passphrase 1"},
		{"username": "alfred", "name": "Alfred Pennyworth", "email": "alfred@example.com", "authentication_method": "password", "password": "alfred's long passphrase 1", "sftp_permission": true},
		{"username": "bob", "name": "Bob Builder", "email": "bob@example.org", "authentication_method": "sso", "sso_strategy_id": okta.ID},
		{"username": "carol", "name": "Carol Danvers", "email": "carol@example.net", "authentication_method": "none", "disabled": true},
	} {
		if code := s.api(t, http.MethodPost, "/users", key, u, nil); code != http.StatusCreated {
			t.Fatalf("create user %v: %d", u["username"], code)
		}
	}

	var found []struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	}
	if code := s.api(t, http.MethodGet, "/users?search=alice", key, nil, &found); code != http.StatusOK || len(found) != 1 {
		t.Fatalf("find alice: %d %v", code, found)
	}
	if code := s.api(t, http.MethodPost, "/groups", key, map[string]any{"name": "Engineering", "sftp_permission": true,
		"user_ids": fmt.Sprint(found[0].ID), "admin_ids": fmt.Sprint(found[0].ID)}, nil); code != http.StatusCreated {
		t.Fatalf("create group: %d", code)
	}

	cmd := exec.Command(node, "console-users.mjs", s.Base, admin, password, "al", "alice", "Okta", screenshotDir(t))
	cmd.Dir = browserDir
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	out, err := cmd.Output()
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	var seen struct {
		ListTitle   string              `json:"listTitle"`
		ListRows    int                 `json:"listRows"`
		SearchRows  []string            `json:"searchRows"`
		UserTitle   string              `json:"userTitle"`
		AfterSSO    string              `json:"afterSSO"`
		Selected    string              `json:"selected"`
		GuardTop    string              `json:"guardTop"`
		GuardField  string              `json:"guardField"`
		GuardInval  string              `json:"guardInvalid"`
		FirstTab    string              `json:"firstTab"`
		FiltersOpen bool                `json:"filtersOpen"`
		GroupTitle  string              `json:"groupTitle"`
		Axe         map[string][]string `json:"axe"`
		Widths      map[string]int      `json:"widths"`
	}
	if jerr := json.Unmarshal(out, &seen); jerr != nil || err != nil {
		t.Fatalf("browser run failed: %v\nstdout: %s\nstderr: %s", err, out, stderr)
	}
	if seen.ListTitle != "Users" || seen.ListRows != 5 {
		t.Errorf("users list: %q with %d rows", seen.ListTitle, seen.ListRows)
	}
	if len(seen.SearchRows) != 2 || !strings.HasPrefix(seen.SearchRows[0], "alfred") || !strings.HasPrefix(seen.SearchRows[1], "alice") {
		t.Errorf("search al: %q", seen.SearchRows)
	}
	if seen.UserTitle != "alice" || seen.AfterSSO != "Authentication method saved." || !strings.Contains(seen.Selected, "Okta") {
		t.Errorf("user page %q: after SSO %q, selected %q", seen.UserTitle, seen.AfterSSO, seen.Selected)
	}
	const guard = "without an enabled site admin who signs in with a password"
	if !strings.Contains(seen.GuardTop, guard) || !strings.Contains(seen.GuardField, guard) || seen.GuardInval != "true" {
		t.Errorf("guard refusal: top %q, field %q, aria-invalid %q", seen.GuardTop, seen.GuardField, seen.GuardInval)
	}
	if seen.FirstTab != "Skip to content" {
		t.Errorf("first Tab stop: %q", seen.FirstTab)
	}
	if !seen.FiltersOpen || seen.GroupTitle != "Engineering" {
		t.Errorf("filters open %v; group page %q", seen.FiltersOpen, seen.GroupTitle)
	}
	for _, name := range []string{"users", "users-filtered", "users-search", "user", "user-refused", "groups", "group"} {
		if v, ok := seen.Axe[name]; !ok || len(v) > 0 {
			t.Errorf("axe on %s: %q", name, v)
		}
		if w := seen.Widths[name]; w == 0 || w > 375 {
			t.Errorf("%s is %d px wide at 375 px", name, w)
		}
	}
	// The change went through the service: the API agrees.
	var users []struct {
		Username             string `json:"username"`
		AuthenticationMethod string `json:"authentication_method"`
		SSOStrategyID        *int64 `json:"sso_strategy_id"`
	}
	if code := s.api(t, http.MethodGet, "/users?search=ali", key, nil, &users); code != http.StatusOK {
		t.Fatalf("list users: %d", code)
	}
	for _, u := range users {
		if u.Username == "alice" && (u.AuthenticationMethod != "sso" || u.SSOStrategyID == nil || *u.SSOStrategyID != okta.ID) {
			t.Errorf("alice after the console: %+v", u)
		}
	}
}

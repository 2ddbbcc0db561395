package e2e

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCLI drives every administration command against the database a
// running server uses, and checks the server sees the changes.
func TestCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	d := []string{"--data-dir", dir}
	run := func(args ...string) string { return cli(t, append(args, d...)...) }

	if out := cli(t, "version"); !strings.HasPrefix(out, "gatehouse ") {
		t.Fatalf("version: %q", out)
	}
	out := run("users", "create", "--username", "bob", "--email", "bob@example.com", "--sftp-permission")
	pw := regexp.MustCompile(`one-time password: (\S+)`).FindStringSubmatch(out)
	if pw == nil {
		t.Fatalf("users create printed no password:\n%s", out)
	}
	if list := run("users", "list"); !strings.Contains(list, "bob@example.com") || !strings.Contains(list, "admin") {
		t.Fatalf("users list:\n%s", list)
	}
	run("users", "update", "bob", "--name", "Bob Builder", "--disabled")
	key := createAPIKey(t, d...)
	var bob struct {
		Name     string
		Disabled bool
		SFTP     bool `json:"sftp_permission"`
	}
	var found []map[string]any
	s.api(t, http.MethodGet, "/users?filter[username]=bob", key, nil, &found)
	if len(found) != 1 {
		t.Fatalf("bob via API: %v", found)
	}
	s.api(t, http.MethodGet, "/users/"+jsonNumber(found[0]["id"]), key, nil, &bob)
	if bob.Name != "Bob Builder" || !bob.Disabled || !bob.SFTP {
		t.Fatalf("bob after update: %+v", bob)
	}

	// The guard: the only password admin cannot be deleted without --force.
	guarded := exec.Command(binary, append([]string{"users", "delete", "admin"}, d...)...)
	if msg, err := guarded.CombinedOutput(); err == nil || !strings.Contains(string(msg), "conflict/last-password-site-admin") {
		t.Fatalf("deleting the last password admin: %v\n%s", err, msg)
	}

	out = run("admin", "create", "--username", "carol")
	if !strings.Contains(out, "one-time password:") {
		t.Fatalf("admin create:\n%s", out)
	}
	out = run("admin", "reset-password", "carol")
	reset := regexp.MustCompile(`new one-time password for "carol": (\S+)`).FindStringSubmatch(out)
	if reset == nil {
		t.Fatalf("reset-password:\n%s", out)
	}
	newPw := "carol's chosen passphrase"
	if code := s.api(t, http.MethodPost, "/sessions", "", map[string]string{"username": "carol", "password": reset[1], "change_password": newPw}, nil); code != http.StatusCreated {
		t.Fatalf("carol signs in with the reset password: %d", code)
	}
	userKey := regexp.MustCompile(`(?m)^(ghk_\S+)$`).FindStringSubmatch(run("api-keys", "create", "--username", "carol", "--name", "laptop", "--expires", "24h"))
	if userKey == nil {
		t.Fatal("no user key printed")
	}
	var me struct{ Username string }
	if code := s.api(t, http.MethodGet, "/me", userKey[1], nil, &me); code != http.StatusOK || me.Username != "carol" {
		t.Fatalf("/me with carol's key: %d %+v", code, me)
	}

	run("users", "delete", "bob")
	if list := run("users", "list"); strings.Contains(list, "bob@example.com") {
		t.Fatalf("bob still listed:\n%s", list)
	}
	bad := exec.Command(binary, append([]string{"users", "update", "nobody", "--name", "x"}, d...)...)
	if msg, err := bad.CombinedOutput(); err == nil || !strings.Contains(string(msg), "not-found/user-not-found") {
		t.Fatalf("unknown user: %v\n%s", err, msg)
	}
}

func jsonNumber(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}

// TestBannerHintsWorkWhenPasted: the commands serve's banner suggests
// (reset the first admin's password, create an API key) run as printed,
// from another directory, against the server's own database.
func TestBannerHintsWorkWhenPasted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data dir")
	s := startServer(t, "--data-dir", dir)
	banner := s.Stdout()
	for _, re := range []string{`Lost it\? Run: gatehouse (.+)\n`, `create a key with: gatehouse (.+)\)\n`} {
		m := regexp.MustCompile(re).FindStringSubmatch(banner)
		if m == nil {
			t.Fatalf("no hint %s in the banner:\n%s", re, banner)
		}
		// The shell splits the words as it would for the admin; the
		// binary stands in for the installed command.
		cmd := exec.Command("sh", "-c", `exec "$0" `+m[1], binary)
		cmd.Dir = t.TempDir()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("the banner's hint %q failed: %v\n%s", m[1], err, out)
		}
	}

	// A hint the CLI gives on another site carries the site and the data
	// directory too.
	cli(t, "sites", "create", "acme", "--name", "Acme", "--data-dir", dir)
	out, err := exec.Command(binary, "providers", "show", "first", "--site", "acme", "--data-dir", dir).CombinedOutput()
	m := regexp.MustCompile(`this shows them: gatehouse (.+)\n`).FindSubmatch(out)
	if err == nil || m == nil {
		t.Fatalf("providers show with a bad id: %v\n%s", err, out)
	}
	if !strings.Contains(string(m[1]), "--site acme") {
		t.Fatalf("the hint names no site: %s", m[1])
	}
	cmd := exec.Command("sh", "-c", `exec "$0" `+string(m[1]), binary)
	cmd.Dir = t.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the hint %q failed: %v\n%s", m[1], err, out)
	}
}

// TestCLIPrintsTheServersURLs: serve records its public URL, and the
// commands that print absolute URLs (a provider's values to paste, the
// SCIM Tenant URL with a new token) print the server's without being
// given --base-url again; a --base-url given still wins.
func TestCLIPrintsTheServersURLs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir, "--base-url", "https://files.example.com/")
	key := createAPIKey(t, "--data-dir", dir)
	var p struct{ ID int64 }
	if code := s.api(t, http.MethodPost, "/sso_strategies", key, map[string]any{
		"protocol": "saml", "provider": "azure", "label": "Entra ID", "enabled": true}, &p); code != http.StatusCreated {
		t.Fatalf("create provider: %d", code)
	}
	id := strconv.FormatInt(p.ID, 10)
	show := cli(t, "providers", "show", id, "--data-dir", dir)
	for _, want := range []string{"https://files.example.com/saml/consume", "https://files.example.com/api/scim"} {
		if !strings.Contains(show, want) {
			t.Fatalf("providers show prints no %s:\n%s", want, show)
		}
	}
	if strings.Contains(show, "127.0.0.1") {
		t.Fatalf("providers show prints the default URL:\n%s", show)
	}
	token := cli(t, "providers", "scim-token", "generate", id, "--data-dir", dir)
	if !regexp.MustCompile(`Tenant URL\s+https://files\.example\.com/api/scim\n`).MatchString(token) {
		t.Fatalf("scim-token generate:\n%s", token)
	}
	if other := cli(t, "providers", "show", id, "--data-dir", dir, "--base-url", "https://other.example.com"); !strings.Contains(other, "https://other.example.com/api/scim") {
		t.Fatalf("--base-url given:\n%s", other)
	}
}

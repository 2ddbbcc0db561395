package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestBrowserSelfService drives the web app's self-service pages in a real
// Chromium against the real binary: a password user creates an API key,
// reads it once and uses it; adds an SSH key made by ssh-keygen and sees
// the fingerprint ssh-keygen prints; and reads How to connect, with the
// server's SFTP port in a ready command line. A single sign-on user's How
// to connect sends them to keys. Each page must have no serious or
// critical axe-core violation and fit 375 px. Screenshots go to
// $GATEHOUSE_SCREENSHOTS when set (make screenshots).
func TestBrowserSelfService(t *testing.T) {
	node, chromium := requireBrowser(t)
	requireTools(t, "ssh-keygen")
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	key := createAPIKey(t, "--data-dir", dir)

	var okta struct{ ID int64 }
	if code := s.api(t, http.MethodPost, "/sso_strategies", key, map[string]any{
		"protocol": "saml", "provider": "okta", "label": "Contoso Okta", "enabled": true}, &okta); code != http.StatusCreated {
		t.Fatalf("create provider: %d", code)
	}
	const alicePassword, bobPassword = "alice's long passphrase 1", "bob's long passphrase 1"
	var bob struct{ ID int64 }
	for _, u := range []struct {
		fields map[string]any
		out    any
	}{
		{map[string]any{"username": "alice", "authentication_method": "password", "password": alicePassword,
			"restapi_permission": true, "sftp_permission": true}, nil},
		{map[string]any{"username": "bob", "authentication_method": "password", "password": bobPassword,
			"restapi_permission": true, "sftp_permission": true}, &bob},
	} {
		if code := s.api(t, http.MethodPost, "/users", key, u.fields, u.out); code != http.StatusCreated {
			t.Fatalf("create user %v: %d", u.fields["username"], code)
		}
	}
	// bob's web session stands for one his provider started: he signs in
	// once with his password, then moves to single sign-on.
	ssoSession := webSession(t, s, "bob", bobPassword)
	if code := s.api(t, http.MethodPatch, fmt.Sprintf("/users/%d", bob.ID), key, map[string]any{
		"authentication_method": "sso", "sso_strategy_id": okta.ID}, nil); code != http.StatusOK {
		t.Fatalf("move bob to SSO: %d", code)
	}

	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice@laptop", "-f", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	pub, err := os.ReadFile(keyFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	listed, err := exec.Command("ssh-keygen", "-l", "-f", keyFile+".pub").Output()
	if err != nil {
		t.Fatal(err)
	}
	fingerprint := strings.Fields(string(listed))[1]

	var seen struct {
		APIKeysTitle     string              `json:"apiKeysTitle"`
		CreatedTitle     string              `json:"createdTitle"`
		CreatedURL       string              `json:"createdURL"`
		Key              string              `json:"key"`
		CopyButton       string              `json:"copyButton"`
		KeyShownAgain    bool                `json:"keyShownAgain"`
		KeyRows          []string            `json:"keyRows"`
		SSHNotice        string              `json:"sshNotice"`
		Fingerprint      string              `json:"fingerprint"`
		SSHRows          []string            `json:"sshRows"`
		ConnectPassword  string              `json:"connectPassword"`
		CommandsPassword []string            `json:"commandsPassword"`
		SSOIntro         string              `json:"ssoIntro"`
		ConnectSSO       string              `json:"connectSSO"`
		SSOLinks         []string            `json:"ssoLinks"`
		Axe              map[string][]string `json:"axe"`
		Widths           map[string]int      `json:"widths"`
	}
	runBrowserScript(t, node, chromium, &seen, 4, "webapp-self.mjs", s.Base, "alice", alicePassword, strings.TrimSpace(string(pub)), ssoSession, screenshotDir(t))

	// The API key: shown once, on a page whose URL does not carry it, and
	// it works.
	if seen.APIKeysTitle != "My API keys" || seen.CreatedTitle != "Your new API key" || !strings.HasPrefix(seen.Key, "ghk_") ||
		seen.CopyButton != seen.Key || strings.Contains(seen.CreatedURL, seen.Key) {
		t.Errorf("API key pages: %q, %q at %q, key %q, copy button %q", seen.APIKeysTitle, seen.CreatedTitle, seen.CreatedURL, seen.Key, seen.CopyButton)
	}
	if seen.KeyShownAgain || len(seen.KeyRows) != 1 || !strings.Contains(seen.KeyRows[0], "nightly sync") || !strings.Contains(seen.KeyRows[0], "Files only") {
		t.Errorf("the key list: shown again %v, rows %q", seen.KeyShownAgain, seen.KeyRows)
	}
	if code := s.api(t, http.MethodGet, "/folders/", seen.Key, nil, nil); code != http.StatusOK {
		t.Errorf("the new key on the REST API: %d", code)
	}
	if s.api(t, http.MethodGet, "/folders/", "", nil, nil) == http.StatusOK {
		t.Fatal("the REST API answered without a key")
	}
	if strings.Contains(s.Stdout(), seen.Key) {
		t.Error("the new key is in the server's log")
	}

	// The SSH key: the fingerprint ssh-keygen prints.
	if seen.Fingerprint != fingerprint || !strings.Contains(seen.SSHNotice, fingerprint) || len(seen.SSHRows) != 1 ||
		!strings.Contains(seen.SSHRows[0], fingerprint) || !strings.Contains(seen.SSHRows[0], "alice@laptop") {
		t.Errorf("SSH key: fingerprint %q (want %q), notice %q, rows %q", seen.Fingerprint, fingerprint, seen.SSHNotice, seen.SSHRows)
	}

	// How to connect: the password works where alice has permission, with
	// the server's SFTP port; FTP and WebDAV are not hers.
	sftpPort := regexp.MustCompile(`--sftp-listen (\S+)`).FindStringSubmatch(strings.Join(s.cmd.Args, " "))
	_, port, _ := strings.Cut(sftpPort[1], ":")
	host := strings.TrimPrefix(s.Base, "http://")
	host, _, _ = strings.Cut(host, ":")
	wantCommand := "sftp -P " + port + " alice@" + host
	if !slices.Contains(seen.CommandsPassword, wantCommand) {
		t.Errorf("commands %q lack %q", seen.CommandsPassword, wantCommand)
	}
	for _, want := range []string{"SFTP", "your password or an SSH key", "lacks ftp_permission", "lacks dav_permission"} {
		if !strings.Contains(seen.ConnectPassword, want) {
			t.Errorf("How to connect for alice lacks %q: %s", want, seen.ConnectPassword)
		}
	}
	for _, want := range []string{"single sign-on through Contoso Okta", "an SSH key", "an API key"} {
		if !strings.Contains(seen.ConnectSSO, want) {
			t.Errorf("How to connect for bob lacks %q: %s", want, seen.ConnectSSO)
		}
	}
	if strings.Contains(seen.ConnectSSO, "your password") || !strings.Contains(seen.SSOIntro, "single sign-on (Contoso Okta)") ||
		!slices.Contains(seen.SSOLinks, "/ssh-keys") || !slices.Contains(seen.SSOLinks, "/api-keys") {
		t.Errorf("How to connect for bob: intro %q, links %q, table %s", seen.SSOIntro, seen.SSOLinks, seen.ConnectSSO)
	}

	for _, name := range []string{"api-keys", "api-key-created", "api-keys-listed", "ssh-keys", "connect", "connect-sso"} {
		if _, ok := seen.Axe[name]; !ok {
			t.Errorf("axe did not run on %s", name)
		}
		if w := seen.Widths[name]; w == 0 || w > 375 {
			t.Errorf("%s is %d px wide at 375 px", name, w)
		}
	}
}

// webSession signs a user in on the sign-in page, as a browser does, and
// returns the session cookie's value.
func webSession(t *testing.T, s *server, username, password string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(s.Base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("no CSRF field on the sign-in page")
	}
	res, err = client.PostForm(s.Base+"/login", url.Values{"csrf_token": {m[1]}, "username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in of %s: %d", username, res.StatusCode)
	}
	base, _ := url.Parse(s.Base)
	for _, c := range jar.Cookies(base) {
		if c.Name == "gatehouse_session" {
			return c.Value
		}
	}
	t.Fatalf("no session cookie after signing %s in", username)
	return ""
}

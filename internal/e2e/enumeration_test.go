package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestWrongPasswordsNameNoAccount is the username-probing attack on the
// real server: a wrong password for a disabled user, for a user without
// the channel's permission and for a single sign-on user is sent over
// every channel that takes a password — REST sessions and WebDAV Basic
// with curl, the web login form with curl and a cookie jar, FTP with
// lftp, SFTP with OpenSSH (and a key that is not the account's) — and
// each answer must be the one an unknown username gets, byte for byte
// (with the username the client itself sent masked where it is echoed).
// Only the right password may tell the reason, and the admin's event for
// the FTP refusal still names it.
func TestWrongPasswordsNameNoAccount(t *testing.T) {
	requireTools(t, "curl", "lftp", "sftp", "ssh-keygen")
	dir := filepath.Join(t.TempDir(), "data")
	ftpAddr, sftpAddr := freeAddr(t), freeAddr(t)
	s := startServer(t, "--data-dir", dir, "--ftp-listen", ftpAddr, "--sftp-listen", sftpAddr)
	key := createAPIKey(t, "--data-dir", dir)
	var okta struct{ ID int64 }
	if code := s.api(t, http.MethodPost, "/sso_strategies", key, map[string]any{
		"protocol": "saml", "provider": "okta", "label": "Okta", "enabled": true}, &okta); code != http.StatusCreated {
		t.Fatalf("create provider: %d", code)
	}
	const password = "the accounts' real password 1"
	const (
		unknown  = "zq-unknown"
		disabled = "zq-disabled"
		noPerm   = "zq-noperm"
		sso      = "zq-sso"
	)
	all := map[string]any{"restapi_permission": true, "ftp_permission": true, "sftp_permission": true, "dav_permission": true}
	with := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range all {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	for _, u := range []map[string]any{
		with(map[string]any{"username": disabled, "password": password, "disabled": true}),
		{"username": noPerm, "password": password, "restapi_permission": false, "ftp_permission": false,
			"sftp_permission": false, "dav_permission": false},
		with(map[string]any{"username": sso, "authentication_method": "sso", "sso_strategy_id": okta.ID}),
	} {
		if code := s.api(t, http.MethodPost, "/users", key, u, nil); code != http.StatusCreated {
			t.Fatalf("create %v: %d", u["username"], code)
		}
	}

	strangerKey := filepath.Join(t.TempDir(), "id_stranger")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", strangerKey).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}

	// Every try comes from its own address, so the per-address throttle
	// answers none of them.
	next := 30
	src := func() string { next++; return fmt.Sprintf("127.0.0.%d", next) }
	csrfValue := regexp.MustCompile(`name="csrf_token" value="[^"]*"`)
	channels := []struct {
		name   string
		answer func(username, secret string) string
	}{
		{"REST", func(username, secret string) string {
			code, body := signInREST(t, s, src(), username, secret)
			return fmt.Sprintf("%d %s", code, body)
		}},
		{"web", func(username, secret string) string {
			from, jar := src(), filepath.Join(t.TempDir(), "cookies")
			if code, body := curlFrom(t, from, "-c", jar, s.Base+"/login"); code != http.StatusOK {
				t.Fatalf("GET /login: %d %s", code, body)
			}
			code, body := curlFrom(t, from, "-b", jar, "-c", jar, "--data-urlencode", "username="+username,
				"--data-urlencode", "password="+secret, "--data-urlencode", "csrf_token="+jarValue(t, jar, "gatehouse_csrf"),
				s.Base+"/login")
			return fmt.Sprintf("%d %s", code, csrfValue.ReplaceAllString(body, `name="csrf_token" value="…"`))
		}},
		{"WebDAV", func(username, secret string) string {
			code, body := curlFrom(t, src(), "-u", username+":"+secret, "-X", "PROPFIND", "-H", "Depth: 0", s.Base+"/dav/")
			return fmt.Sprintf("%d %s", code, body)
		}},
		{"FTP", func(username, secret string) string { return lftpSignIn(t, ftpAddr, src(), username, secret) }},
		{"SFTP", func(username, secret string) string { return opensshSignIn(t, sftpAddr, src(), username, secret, "") }},
		// An SSH key that is not the account's is the wrong password of
		// public key authentication.
		{"SFTP key", func(username, _ string) string { return opensshSignIn(t, sftpAddr, src(), username, "", strangerKey) }},
	}
	for _, ch := range channels {
		want := strings.ReplaceAll(ch.answer(unknown, "a wrong guess"), unknown, "USER")
		for _, name := range []string{disabled, noPerm, sso} {
			got := strings.ReplaceAll(ch.answer(name, "a wrong guess"), name, "USER")
			if got != want {
				t.Errorf("%s: a wrong password for %s answered\n%s\nand for an unknown user\n%s", ch.name, name, got, want)
			}
		}
	}

	// The right password tells the reason: the refusals above were no
	// accident of the accounts' set-up.
	if code, body := signInREST(t, s, src(), disabled, password); code != http.StatusForbidden || !strings.Contains(body, "not-authorized/user-disabled") {
		t.Errorf("REST: the disabled user's right password answered %d %s", code, body)
	}
	if code, body := signInREST(t, s, src(), noPerm, password); code != http.StatusForbidden || !strings.Contains(body, "insufficient-permission") {
		t.Errorf("REST: the right password of a user without the REST permission answered %d %s", code, body)
	}

	// The admin's events keep the true reason of the FTP refusals.
	var events []struct {
		EventType string `json:"event_type"`
		Body      string `json:"body"`
	}
	s.api(t, http.MethodGet, "/external_events?per_page=1000", key, nil, &events)
	named := false
	for _, e := range events {
		if e.EventType == "transfer_login" && strings.Contains(e.Body, `"`+disabled+`"`) && strings.Contains(e.Body, "not-authorized/user-disabled") {
			named = true
		}
	}
	if !named {
		t.Errorf("no transfer sign-in event names the disabled user's true refusal: %+v", events)
	}
}

// opensshSignIn signs in over SFTP with OpenSSH's sftp from src, with the
// private key in keyFile or, without one, typing secret as the password
// (through SSH_ASKPASS), and returns what sftp printed, banners included.
// Each run trusts the host key afresh, so the runs print the same lines.
func opensshSignIn(t *testing.T, sftpAddr, src, username, secret, keyFile string) string {
	t.Helper()
	work := t.TempDir()
	askpass := filepath.Join(work, "askpass")
	must(t, os.WriteFile(askpass, []byte("#!/bin/sh\nprintf '%s\\n' \"$GATEHOUSE_TEST_PASSWORD\"\n"), 0o700))
	_, port, _ := net.SplitHostPort(sftpAddr)
	auth := []string{"-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1"}
	if keyFile != "" {
		auth = []string{"-o", "PreferredAuthentications=publickey", "-o", "IdentityFile=" + keyFile, "-o", "IdentitiesOnly=yes"}
	}
	cmd := exec.Command("sftp", append(append([]string{"-P", port, "-F", "/dev/null", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=" + filepath.Join(work, "known_hosts"), "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "BindAddress=" + src}, auth...), username+"@127.0.0.1")...)
	cmd.Dir = work
	cmd.Stdin = strings.NewReader("bye\n")
	cmd.Env = append(os.Environ(), "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0",
		"GATEHOUSE_TEST_PASSWORD="+secret)
	out, _ := cmd.CombinedOutput()
	// sftp and ssh each may or may not say the connection closed,
	// depending on which of them notices first: not the server's answer.
	var lines []string
	for _, line := range strings.Split(strings.ReplaceAll(string(out), "\r", ""), "\n") {
		if l := strings.TrimSpace(line); l != "" && l != "Connection closed" && l != "Connection closed." {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

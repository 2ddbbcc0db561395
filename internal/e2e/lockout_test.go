package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// curlFrom runs curl with its connection bound to the loopback address
// src (Linux routes all of 127.0.0.0/8 to the loopback interface), so the
// server sees a sign-in from that address, and returns the status and body.
func curlFrom(t *testing.T, src string, args ...string) (int, string) {
	t.Helper()
	full := append([]string{"-sS", "--noproxy", "*", "--interface", src, "-w", "\n%{http_code}"}, args...)
	out, err := exec.Command("curl", full...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	s := string(out)
	i := strings.LastIndexByte(s, '\n')
	code, err := strconv.Atoi(strings.TrimSpace(s[i+1:]))
	if err != nil {
		t.Fatalf("curl %s: no status in %q", strings.Join(args, " "), s)
	}
	return code, s[:i]
}

// signInREST is POST /sessions from src with curl.
func signInREST(t *testing.T, s *server, src, username, password string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	return curlFrom(t, src, "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", string(body),
		s.Base+"/api/rest/v1/sessions")
}

// lftpSignIn signs in over FTP with lftp from src and returns what lftp printed.
func lftpSignIn(t *testing.T, ftpAddr, src, username, password string) string {
	t.Helper()
	script := strings.Join([]string{
		"set cmd:fail-exit yes", "set net:max-retries 1", "set net:reconnect-interval-base 1",
		"set net:socket-bind-ipv4 " + src, "set ftp:ssl-allow no",
		"open ftp://" + ftpAddr, fmt.Sprintf("user %s %q", username, password), "cls -1"}, "\n")
	out, _ := exec.Command("lftp", "-c", script).CombinedOutput()
	return string(out)
}

// webSignIn signs in on the login page with curl and a cookie jar, and
// returns the jar.
func webSignIn(t *testing.T, s *server, src, username, password string) string {
	t.Helper()
	jar := filepath.Join(t.TempDir(), "cookies")
	if code, _ := curlFrom(t, src, "-c", jar, s.Base+"/login"); code != http.StatusOK {
		t.Fatalf("GET /login: %d", code)
	}
	csrf := jarValue(t, jar, "gatehouse_csrf")
	code, body := curlFrom(t, src, "-b", jar, "-c", jar, "--data-urlencode", "username="+username,
		"--data-urlencode", "password="+password, "--data-urlencode", "csrf_token="+csrf, s.Base+"/login")
	if code != http.StatusSeeOther {
		t.Fatalf("POST /login: %d %s", code, body)
	}
	return jar
}

func jarValue(t *testing.T, jar, name string) string {
	t.Helper()
	f, err := os.Open(jar)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) == 7 && fields[5] == name {
			return fields[6]
		}
	}
	t.Fatalf("no cookie %s in the jar", name)
	return ""
}

// TestOneAddressCannotLockOutAdmin is the attack on the real server: six
// wrong passwords for admin from one address. The address is throttled
// (429) at the sixth, admin is not locked, and admin's API key, REST
// session and web session keep working, and admin signs in from elsewhere.
// Guesses from many addresses still lock an account; the locked account is
// then answered byte for byte as an unknown username on REST (curl), FTP
// (lftp) and WebDAV (curl); and the events name the addresses.
func TestOneAddressCannotLockOutAdmin(t *testing.T) {
	requireTools(t, "curl", "lftp")
	dir := filepath.Join(t.TempDir(), "data")
	ftpAddr := freeAddr(t)
	s := startServer(t, "--data-dir", dir, "--ftp-listen", ftpAddr)
	name, oneTime := s.firstAdmin(t)
	const adminPassword = "admin password after the first sign-in"
	body, _ := json.Marshal(map[string]string{"username": name, "password": oneTime, "change_password": adminPassword})
	code, out := curlFrom(t, "127.0.0.1", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", string(body),
		s.Base+"/api/rest/v1/sessions")
	var sess struct{ ID string }
	if code != http.StatusCreated || json.Unmarshal([]byte(out), &sess) != nil || sess.ID == "" {
		t.Fatalf("first sign-in: %d %s", code, out)
	}
	code, out = curlFrom(t, "127.0.0.1", "-X", "POST", "-H", "X-FilesAPI-Auth: "+sess.ID, "-H", "Content-Type: application/json",
		"--data-binary", `{"name":"ops"}`, s.Base+"/api/rest/v1/api_keys")
	var key struct{ Key string }
	if code != http.StatusCreated || json.Unmarshal([]byte(out), &key) != nil || key.Key == "" {
		t.Fatalf("admin's API key: %d %s", code, out)
	}
	jar := webSignIn(t, s, "127.0.0.1", name, adminPassword)

	// The attack: six wrong passwords from one address.
	const attacker = "127.0.0.2"
	for i := range 6 {
		code, out := signInREST(t, s, attacker, name, fmt.Sprintf("wrong guess %d", i))
		switch {
		case i < 5 && (code != http.StatusUnauthorized || !strings.Contains(out, "not-authenticated/invalid-username-or-password")):
			t.Fatalf("wrong password %d: %d %s", i, code, out)
		case i == 5 && (code != http.StatusTooManyRequests || !strings.Contains(out, "rate-limited/too-many-login-attempts") ||
			!strings.Contains(out, "try again in")):
			t.Fatalf("sixth wrong password: want 429 rate-limited/too-many-login-attempts, got %d %s", code, out)
		}
	}
	if code, out := curlFrom(t, "127.0.0.1", "-H", "X-FilesAPI-Key: "+key.Key, s.Base+"/api/rest/v1/me"); code != http.StatusOK {
		t.Fatalf("admin's API key after the attack: %d %s", code, out)
	}
	if code, out := curlFrom(t, "127.0.0.1", "-H", "X-FilesAPI-Auth: "+sess.ID, s.Base+"/api/rest/v1/me"); code != http.StatusOK {
		t.Fatalf("admin's REST session after the attack: %d %s", code, out)
	}
	if code, out := curlFrom(t, "127.0.0.1", "-b", jar, s.Base+"/"); code != http.StatusOK {
		t.Fatalf("admin's web session after the attack: %d %s", code, out)
	}
	if code, out := signInREST(t, s, "127.0.0.3", name, adminPassword); code != http.StatusCreated {
		t.Fatalf("admin signing in from another address after the attack: %d %s", code, out)
	}

	// Many addresses, one wrong password each, still lock an account.
	const carolPassword = "carol's transfer password"
	if code := s.api(t, "POST", "/users", key.Key, map[string]any{"username": "carol", "password": carolPassword,
		"ftp_permission": true, "dav_permission": true}, nil); code != http.StatusCreated {
		t.Fatalf("create carol: %d", code)
	}
	var guessers []string
	for i := range 6 {
		src := fmt.Sprintf("127.0.0.%d", 10+i)
		guessers = append(guessers, src)
		if code, out := signInREST(t, s, src, "carol", "not carol's password"); code != http.StatusUnauthorized {
			t.Fatalf("guess from %s: %d %s", src, code, out)
		}
	}
	var carol []struct {
		LockoutExpires *string `json:"lockout_expires"`
	}
	if s.api(t, "GET", "/users?filter[username]=carol", key.Key, nil, &carol); len(carol) != 1 || carol[0].LockoutExpires == nil {
		t.Fatalf("six addresses did not lock carol: %+v", carol)
	}

	// Locked and unknown answer byte for byte alike, with the right password.
	lockedCode, locked := signInREST(t, s, "127.0.0.20", "carol", carolPassword)
	unknownCode, unknown := signInREST(t, s, "127.0.0.21", "nobody-at-all", carolPassword)
	if lockedCode != unknownCode || locked != unknown {
		t.Fatalf("REST: locked carol answered %d %s, an unknown user %d %s", lockedCode, locked, unknownCode, unknown)
	}
	lockedFTP := lftpSignIn(t, ftpAddr, "127.0.0.22", "carol", carolPassword)
	unknownFTP := lftpSignIn(t, ftpAddr, "127.0.0.23", "nobody-at-all", carolPassword)
	if lockedFTP != unknownFTP || !strings.Contains(lockedFTP, "530") {
		t.Fatalf("FTP: locked carol answered %q, an unknown user %q", lockedFTP, unknownFTP)
	}
	lockedCode, locked = curlFrom(t, "127.0.0.24", "-u", "carol:"+carolPassword, "-X", "PROPFIND", "-H", "Depth: 0", s.Base+"/dav/")
	unknownCode, unknown = curlFrom(t, "127.0.0.25", "-u", "nobody-at-all:"+carolPassword, "-X", "PROPFIND", "-H", "Depth: 0", s.Base+"/dav/")
	if lockedCode != http.StatusUnauthorized || lockedCode != unknownCode || locked != unknown {
		t.Fatalf("WebDAV: locked carol answered %d %q, an unknown user %d %q", lockedCode, locked, unknownCode, unknown)
	}

	// The events say who was locked from where, and which address is throttled.
	var events []struct {
		EventType string `json:"event_type"`
		Body      string `json:"body"`
	}
	s.api(t, "GET", "/external_events", key.Key, nil, &events)
	var lockouts, throttles []string
	for _, e := range events {
		switch e.EventType {
		case "lockout":
			lockouts = append(lockouts, e.Body)
		case "sign_in_throttle":
			throttles = append(throttles, e.Body)
		}
	}
	if len(lockouts) != 1 || !strings.Contains(lockouts[0], `"carol"`) {
		t.Fatalf("lockout events %q, want one for carol", lockouts)
	}
	for _, src := range guessers {
		if !strings.Contains(lockouts[0], src) {
			t.Fatalf("the lockout event does not name %s: %s", src, lockouts[0])
		}
	}
	if len(throttles) != 1 || !strings.Contains(throttles[0], attacker) {
		t.Fatalf("throttle events %q, want one naming %s", throttles, attacker)
	}
}

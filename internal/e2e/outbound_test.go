package e2e

import (
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// acceptCounter listens on loopback, closes every connection it accepts
// and counts them: a service on the server's own network.
func acceptCounter(t *testing.T) (port int, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted = &atomic.Int32{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, accepted
}

// ldapTestReport is the answer of POST /sso_strategies/{id}/test.
type ldapTestReport struct {
	OK    bool `json:"ok"`
	Steps []struct {
		Name   string `json:"name"`
		OK     bool   `json:"ok"`
		Detail string `json:"detail"`
	} `json:"steps"`
}

func (r ldapTestReport) step(name string) (ok bool, detail string, found bool) {
	for _, s := range r.Steps {
		if s.Name == name {
			return s.OK, s.Detail, true
		}
	}
	return false, "", false
}

// TestLDAPConnectionTestIsNoPortScanner: a site admin's LDAP connection
// test (REST and CLI) against loopback, a name resolving to loopback, a
// private address or the cloud metadata address is refused before any
// connection, each step naming the address and --allow-private-outbound;
// the same server started with --allow-private-outbound connects.
func TestLDAPConnectionTestIsNoPortScanner(t *testing.T) {
	port, accepted := acceptCounter(t)
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	key := createAPIKey(t, "--data-dir", dir)

	hosts := map[string]string{ // ldap_host -> what the refusal says
		"127.0.0.1":       "127.0.0.1 is a loopback address",
		"localhost":       "localhost resolves to 127.0.0.1",
		"10.0.0.5":        "10.0.0.5 is a private address (RFC 1918)",
		"169.254.169.254": "169.254.169.254 is a link-local address",
	}
	ids := map[string]string{}
	for host := range hosts {
		var p struct{ ID int64 }
		body := map[string]any{"protocol": "open_ldap", "provider": "ldap", "label": "Directory " + host,
			"ldap_host": host, "ldap_port": port, "ldap_username": "cn=svc,dc=example,dc=test", "ldap_password": "secret",
			"ldap_base_dn": "dc=example,dc=test", "options": map[string]any{"ldap_timeout_seconds": 1}}
		if code := s.api(t, http.MethodPost, "/sso_strategies", key, body, &p); code != http.StatusCreated {
			t.Fatalf("create provider on %s: %d", host, code)
		}
		ids[host] = strconv.FormatInt(p.ID, 10)
	}
	for host, refusal := range hosts {
		var rep ldapTestReport
		if code := s.api(t, http.MethodPost, "/sso_strategies/"+ids[host]+"/test", key, map[string]any{}, &rep); code != http.StatusOK {
			t.Fatalf("test %s: %d", host, code)
		}
		ok, detail, found := rep.step("connect " + net.JoinHostPort(host, strconv.Itoa(port)))
		if rep.OK || !found || ok || !strings.Contains(detail, refusal) || !strings.Contains(detail, "--allow-private-outbound") {
			t.Fatalf("test of %s: %+v", host, rep)
		}
	}
	// The command line refuses the same way, and says what to do.
	out, err := exec.Command(binary, "providers", "test", ids["127.0.0.1"], "--data-dir", dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "127.0.0.1 is a loopback address") || !strings.Contains(string(out), "--allow-private-outbound") {
		t.Fatalf("providers test: %v\n%s", err, out)
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("%d connections reached the loopback service", n)
	}

	// With the flag, an on-premises directory is reached.
	out, _ = exec.Command(binary, "providers", "test", ids["127.0.0.1"], "--data-dir", dir, "--allow-private-outbound").CombinedOutput()
	if !strings.Contains(string(out), "connected to 127.0.0.1:"+strconv.Itoa(port)) {
		t.Fatalf("providers test --allow-private-outbound:\n%s", out)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	s = startServer(t, "--data-dir", dir, "--allow-private-outbound")
	for _, host := range []string{"127.0.0.1", "localhost"} {
		var rep ldapTestReport
		s.api(t, http.MethodPost, "/sso_strategies/"+ids[host]+"/test", key, map[string]any{}, &rep)
		if ok, detail, _ := rep.step("connect " + net.JoinHostPort(host, strconv.Itoa(port))); !ok {
			t.Fatalf("test of %s with --allow-private-outbound: %s", host, detail)
		}
	}
	if accepted.Load() < 3 {
		t.Fatalf("%d connections with --allow-private-outbound, want 3", accepted.Load())
	}
}

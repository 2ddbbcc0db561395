package e2e

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testcert"
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

// idpMetadataXML is a minimal identity provider metadata document with a
// fresh self-signed signing certificate.
func idpMetadataXML(t *testing.T, entityID string) string {
	t.Helper()
	der := testcert.Signer(t, "Test IdP", time.Now().AddDate(1, 0, 0)).Cert.Raw
	return `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="` + entityID + `">` +
		`<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
		`<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + base64.StdEncoding.EncodeToString(der) +
		`</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
		`<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="` + entityID + `/sso"/>` +
		`</md:IDPSSODescriptor></md:EntityDescriptor>`
}

// TestSavedProvidersNeverReachPrivateAddresses: saving a SAML provider
// whose metadata URL, or an OpenID provider whose issuer, points at
// loopback, a name resolving to loopback, the cloud metadata address or a
// private address is refused before any connection, the error naming the
// address and --allow-private-outbound. Started with the flag, the same
// server fetches the loopback metadata and saves the provider.
func TestSavedProvidersNeverReachPrivateAddresses(t *testing.T) {
	var hits atomic.Int32
	md := idpMetadataXML(t, "https://idp.example.test/entra")
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		fmt.Fprint(w, md)
	}))
	defer peer.Close()
	_, port, _ := net.SplitHostPort(peer.Listener.Addr().String())
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	key := createAPIKey(t, "--data-dir", dir)

	type refusal struct {
		Error string `json:"error"`
		Type  string `json:"type"`
	}
	for _, tc := range []struct {
		body map[string]any
		says string
	}{
		{map[string]any{"protocol": "saml", "saml_provider_metadata_url": peer.URL + "/md.xml"}, "127.0.0.1 is a loopback address"},
		{map[string]any{"protocol": "saml", "saml_provider_metadata_url": "http://localhost:" + port + "/md.xml"}, "localhost resolves to 127.0.0.1"},
		{map[string]any{"protocol": "saml", "saml_provider_metadata_url": "https://169.254.169.254/latest/meta-data/"}, "169.254.169.254 is a link-local address"},
		{map[string]any{"protocol": "saml", "saml_provider_metadata_url": "https://10.0.0.5/md.xml"}, "10.0.0.5 is a private address"},
		{map[string]any{"protocol": "oauth2", "provider": "onelogin", "options": map[string]any{"oidc_issuer_url": peer.URL + "/oidc"}}, "127.0.0.1 is a loopback address"},
		{map[string]any{"protocol": "oauth2", "provider": "azure", "options": map[string]any{
			"oidc_tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47", "oidc_authority": "https://169.254.169.254"}}, "169.254.169.254 is a link-local address"},
	} {
		var r refusal
		if code := s.api(t, http.MethodPost, "/sso_strategies", key, tc.body, &r); code != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Error, tc.says) || !strings.Contains(r.Error, "--allow-private-outbound") {
			t.Fatalf("save %v: %d %+v", tc.body, code, r)
		}
	}
	var list []map[string]any
	s.api(t, http.MethodGet, "/sso_strategies", key, nil, &list)
	if len(list) != 0 || hits.Load() != 0 {
		t.Fatalf("%d providers saved, %d requests reached the loopback peer", len(list), hits.Load())
	}

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	s = startServer(t, "--data-dir", dir, "--allow-private-outbound")
	var p struct{ ID int64 }
	body := map[string]any{"protocol": "saml", "saml_provider_metadata_url": peer.URL + "/md.xml"}
	if code := s.api(t, http.MethodPost, "/sso_strategies", key, body, &p); code != http.StatusCreated || hits.Load() != 1 {
		t.Fatalf("save with --allow-private-outbound: %d, %d fetches", code, hits.Load())
	}
}

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
)

// TestBrowserFilesLDAPUser: a directory user (a real slapd, the account
// made by the provider's sync) signs in with the directory's password in
// Chromium and uploads a 40 MiB file through the file page's script; the
// file arrives whole (SHA-256 equal).
func TestBrowserFilesLDAPUser(t *testing.T) {
	node, chromium := requireBrowser(t)
	slapd := ldaptest.Start(t, ldaptest.Options{})
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir, "--allow-private-outbound", "--ldap-sync-interval", "off")
	key := createAPIKey(t, "--data-dir", dir)
	var provider struct {
		ID int64 `json:"id"`
	}
	if code := s.api(t, http.MethodPost, "/sso_strategies", key, map[string]any{
		"protocol": "open_ldap", "provider": "ldap", "label": "Corp LDAP", "enabled": true,
		"ldap_host": slapd.Host(), "ldap_port": slapd.LDAPSPort, "ldap_secure": true, "ldap_base_dn": ldaptest.BaseDN,
		"ldap_username": ldaptest.ServiceDN, "ldap_password": ldaptest.ServicePassword, "ldap_username_field": "uid",
		"provision_users": true, "options": map[string]any{"ldap_ca_bundle": slapd.CAPEM()},
	}, &provider); code != http.StatusCreated {
		t.Fatalf("create the LDAP provider: %d", code)
	}
	var sync struct {
		Status string `json:"status"`
	}
	if code := s.api(t, http.MethodPost, fmt.Sprintf("/sso_strategies/%d/sync", provider.ID), key, nil, &sync); code != http.StatusOK || sync.Status != "success" {
		t.Fatalf("sync: %d %+v", code, sync)
	}
	user, password := ldaptest.UserAlice, ldaptest.Password(ldaptest.UserAlice)
	file, sum := randomFile(t, t.TempDir(), "from-ldap.bin", 40<<20)

	cmd := exec.Command(node, "webapp-upload.mjs", s.Base, user, password, file)
	cmd.Dir = browserDir
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	var got struct{ MS int64 }
	if jerr := json.Unmarshal(out, &got); err != nil || jerr != nil || got.MS <= 0 {
		t.Fatalf("the LDAP user's upload in the browser: %v\n%s", err, out)
	}
	userKey := s.userAPIKey(t, user, password)
	if arrived := s.downloadSHA256(t, userKey, "from-ldap.bin"); arrived != sum {
		t.Fatalf("from-ldap.bin arrived with sha256 %x, sent %x", arrived, sum)
	}
}

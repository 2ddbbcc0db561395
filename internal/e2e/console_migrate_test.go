package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/connector/saml"
)

// consoleMigrateRun is what console-migrate.mjs saw.
type consoleMigrateRun struct {
	Dialogs []string `json:"dialogs"`
	DryRun  struct {
		Notice  string `json:"notice"`
		Warning string `json:"warning"`
		Rows    int    `json:"rows"`
	} `json:"dryRun"`
	One struct {
		Notice string `json:"notice"`
		Link   string `json:"link"`
	} `json:"one"`
	Moved struct {
		Notice   string `json:"notice"`
		Progress string `json:"progress"`
	} `json:"moved"`
	AfterDisable string `json:"afterDisable"`
	Home         string `json:"home"`
}

// TestBrowserConsoleMigrateLDAPToSAML moves 50 people synced from a real
// slapd to a SAML provider (pysaml2) with the console's wizard in a real
// Chromium: a dry run first that moves nobody and names who would lose
// password sign-in, one person first, the rest in batches, the emptied
// directory provider turned off; then the person moved first signs in
// with SAML and lands on the same account.
func TestBrowserConsoleMigrateLDAPToSAML(t *testing.T) {
	node, chromium := requireBrowser(t)
	slapd := ldaptest.Start(t, ldaptest.Options{NoSeed: true, BulkUsers: ldapBulkUsers, BulkGroups: 5})
	idp := newBrowserIdP(t)
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir, "--allow-private-outbound", "--ldap-sync-interval", "off")
	admin, password := s.firstAdminSignedIn(t)
	key := createAPIKey(t, "--data-dir", dir)
	idp.TrustSP(s.Base)

	var ldapProvider, samlProvider struct {
		ID int64 `json:"id"`
	}
	if code := s.api(t, http.MethodPost, "/sso_strategies", key, map[string]any{
		"protocol": "open_ldap", "provider": "ldap", "label": "Corp LDAP", "enabled": true,
		"ldap_host": slapd.Host(), "ldap_port": slapd.LDAPSPort, "ldap_secure": true, "ldap_base_dn": ldaptest.BaseDN,
		"ldap_username": ldaptest.ServiceDN, "ldap_password": ldaptest.ServicePassword, "ldap_username_field": "uid",
		"provision_users": true, "provision_groups": true, "options": map[string]any{"ldap_ca_bundle": slapd.CAPEM()},
	}, &ldapProvider); code != http.StatusCreated {
		t.Fatalf("create the LDAP provider: %d", code)
	}
	var sync struct {
		Status string `json:"status"`
	}
	if code := s.api(t, http.MethodPost, fmt.Sprintf("/sso_strategies/%d/sync", ldapProvider.ID), key, nil, &sync); code != http.StatusOK || sync.Status != "success" {
		t.Fatalf("sync: %d %+v", code, sync)
	}
	const label = "Contoso Entra"
	if code := s.api(t, http.MethodPost, "/sso_strategies", key, map[string]any{
		"protocol": "saml", "provider": "azure", "label": label, "enabled": true, "display_on_login_page": true,
		"saml_provider_metadata_content": idp.Metadata(),
	}, &samlProvider); code != http.StatusCreated {
		t.Fatalf("create the SAML provider: %d", code)
	}
	one := ldaptest.BulkUID(3)
	before := userByName(t, s, key, one)
	idp.SignIn(one, map[string][]string{
		saml.ClaimEntraObjectID: {"0b6c2f5e-8d1a-4e3b-9c7d-1a2b3c4d5e6f"},
		saml.ClaimGivenName:     {"Megan"},
		saml.ClaimSurname:       {"Bowen"},
	})

	var run consoleMigrateRun
	runBrowserScript(t, node, chromium, &run, 3, "console-migrate.mjs", s.Base, admin, password, fmt.Sprint(ldapProvider.ID), fmt.Sprint(samlProvider.ID),
		one, label, idpHost, screenshotDir(t))
	n := fmt.Sprint(ldapBulkUsers)
	if !strings.Contains(run.DryRun.Notice, n+" users would move") || run.DryRun.Rows != ldapBulkUsers ||
		!strings.Contains(run.DryRun.Warning, n+" of these people") {
		t.Errorf("dry run: %+v", run.DryRun)
	}
	if !strings.Contains(run.One.Notice, one+" now signs in with "+label) || !strings.Contains(run.One.Link, "/saml/login?sso_strategy_id=") {
		t.Errorf("one person: %+v", run.One)
	}
	want := fmt.Sprintf("%d/%d", ldapBulkUsers-1, ldapBulkUsers-1)
	if run.Moved.Progress != want || len(run.Dialogs) != 1 {
		t.Errorf("moving everyone: %+v, confirmations %q", run.Moved, run.Dialogs)
	}
	if !strings.Contains(run.AfterDisable, "disabled") {
		t.Errorf("the directory provider after turning it off: %q", run.AfterDisable)
	}
	// Megan signed in with SAML into the account she had from the directory.
	if !strings.Contains(run.Home, "Signed in") || !strings.Contains(run.Home, one) {
		t.Fatalf("after the SAML button: %q", run.Home)
	}
	after := userByName(t, s, key, one)
	if after.ID != before.ID || after.SSOStrategyID == nil || *after.SSOStrategyID != samlProvider.ID {
		t.Errorf("%s before %+v, after %+v: want the same account, now on provider %d", one, before, after, samlProvider.ID)
	}
	var events []struct {
		EventType string `json:"event_type"`
	}
	s.api(t, http.MethodGet, "/sso_events?per_page=1000&filter[event_type]=user_migrated", key, nil, &events)
	if len(events) != ldapBulkUsers {
		t.Errorf("%d user_migrated events, want %d", len(events), ldapBulkUsers)
	}
}

type apiUser struct {
	ID            int64  `json:"id"`
	Username      string `json:"username"`
	SSOStrategyID *int64 `json:"sso_strategy_id"`
}

// userByName reads one user through the REST API.
func userByName(t *testing.T, s *server, key, username string) apiUser {
	t.Helper()
	var users []apiUser
	if code := s.api(t, http.MethodGet, "/users?per_page=1000&filter[username]="+username, key, nil, &users); code != http.StatusOK || len(users) != 1 {
		t.Fatalf("GET /users for %s: %d %+v", username, code, users)
	}
	return users[0]
}

package e2e

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/oidc/oidctest"
)

// consoleOIDCRun is what console-oidc.mjs saw.
type consoleOIDCRun struct {
	AuthRequests []string         `json:"authRequests"`
	WrongTenant  fieldRefusalAria `json:"wrongTenant"`
	WrongIssuer  struct {
		fieldRefusalAria
		SecretShown string `json:"secretShown"`
	} `json:"wrongIssuer"`
	ProviderURL string            `json:"providerURL"`
	Values      map[string]string `json:"values"`
	Edit        struct {
		SecretValue  string `json:"secretValue"`
		SecretLabel  string `json:"secretLabel"`
		SecretInHTML bool   `json:"secretInHTML"`
	} `json:"edit"`
	Saved    string   `json:"saved"`
	OPPage   string   `json:"opPage"`
	SSOHome  string   `json:"ssoHome"`
	LogRows  []string `json:"logRows"`
	LogEntry string   `json:"logEntry"`
}

// fieldRefusalAria is a refusal shown beside a field, and whether the
// field is marked invalid for assistive technology.
type fieldRefusalAria struct {
	Status  int    `json:"status"`
	Field   string `json:"field"`
	Invalid string `json:"invalid"`
	Top     string `json:"top"`
}

// TestBrowserConsoleOIDC connects an OpenID provider entirely in the
// console, in a real Chromium against the real binary and an OpenID
// provider we did not write (the npm oidc-provider): a wrong issuer, and
// an Entra provider with a wrong tenant, refused beside their fields; the
// Redirect URI shown being the one the server sends the provider; the
// client secret write-only (never shown, kept when the edit form leaves it
// empty: the sign-in after that edit works); the login page's button
// signing a person in through the provider's login page; and that sign-in
// in the SSO log. Every page of ours passes axe-core with no serious or
// critical violation.
func TestBrowserConsoleOIDC(t *testing.T) {
	node, chromium := requireBrowser(t)
	oidctest.RequirePeer(t)
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir, "--allow-private-outbound") // the OpenID provider runs on loopback
	admin, password := s.firstAdminSignedIn(t)

	const label, account, username = "Contoso OpenID", "alice", "alice@contoso.example"
	clientID, secret := oidctest.NewGUID(), "the client secret, 41 characters long....."
	redirectURI := s.Base + "/login_from_oauth?provider=oidc"
	op := oidctest.Start(t, oidctest.Options{
		Clients: []oidctest.Client{{ID: clientID, Secret: secret, RedirectURIs: []string{redirectURI}}},
		Accounts: map[string]oidctest.Account{account: {OID: oidctest.NewGUID(), PreferredUsername: username,
			Email: username, GivenName: "Alice", FamilyName: "Smith"}},
	})
	wrongIssuer := op.BaseURL + "/" + oidctest.NewGUID() + "/v2.0"

	var run consoleOIDCRun
	runBrowserScript(t, node, chromium, &run, 11, "console-oidc.mjs", s.Base, admin, password, label, op.Issuer, wrongIssuer,
		clientID, secret, account, op.BaseURL, oidctest.NewGUID(), screenshotDir(t))
	// A wrong tenant and a wrong issuer: refused beside their fields, with
	// the server's words, and the secret typed is not sent back.
	if !refusedAs4xx(run.WrongTenant.Status) || !strings.Contains(run.WrongTenant.Field, "cannot be used") || run.WrongTenant.Invalid != "true" {
		t.Errorf("an Entra tenant that is not the app's: %+v; want a 4xx and the refusal beside the tenant field", run.WrongTenant)
	}
	if !refusedAs4xx(run.WrongIssuer.Status) || !strings.Contains(run.WrongIssuer.Field, wrongIssuer) || run.WrongIssuer.Invalid != "true" {
		t.Errorf("a wrong issuer: %+v; want a 4xx and the refusal beside the issuer field", run.WrongIssuer)
	}
	if run.WrongIssuer.SecretShown != "" {
		t.Errorf("the refused form sent the client secret back to the browser")
	}
	// The Redirect URI shown is the one the server sends the provider.
	if run.Values["Redirect URI"] != redirectURI {
		t.Errorf("Redirect URI shown %q, want %q (all: %v)", run.Values["Redirect URI"], redirectURI, run.Values)
	}
	if len(run.AuthRequests) == 0 {
		t.Fatalf("the browser never went to the provider's authorization endpoint")
	}
	for _, a := range run.AuthRequests {
		u, _ := url.Parse(a)
		if got := u.Query().Get("redirect_uri"); got != run.Values["Redirect URI"] {
			t.Errorf("the server sent redirect_uri %q, the console shows %q", got, run.Values["Redirect URI"])
		}
		if u.Query().Get("client_id") != clientID {
			t.Errorf("the server sent client_id %q", u.Query().Get("client_id"))
		}
	}
	if !strings.HasPrefix(run.Values["Sign-in start (Home page URL)"], s.Base+"/oauth/login?sso_strategy_id=") {
		t.Errorf("Sign-in start %q", run.Values["Sign-in start (Home page URL)"])
	}
	// Write-only: never shown, and kept by an edit that leaves it empty.
	if run.Edit.SecretValue != "" || run.Edit.SecretInHTML || !strings.Contains(run.Edit.SecretLabel, "(set;") {
		t.Errorf("the edit form's client secret: %+v; want it empty, absent from the page and marked as set", run.Edit)
	}
	if !strings.Contains(run.Saved, "Saved") {
		t.Errorf("saving the edit form: %q", run.Saved)
	}
	// The button signed Alice in through the provider's login page.
	if !strings.Contains(run.OPPage, "/interaction/") {
		t.Errorf("the provider's page was %q, want its login (interaction) page", run.OPPage)
	}
	if !strings.Contains(run.SSOHome, "Signed in") || !strings.Contains(run.SSOHome, username) {
		t.Errorf("after the SSO button: %q", run.SSOHome)
	}
	if len(run.LogRows) == 0 || !strings.Contains(run.LogRows[0], username) || !strings.Contains(run.LogRows[0], label) {
		t.Errorf("the SSO log shows %q; want Alice's sign-in with %s", run.LogRows, label)
	}
	if !strings.Contains(run.LogEntry, "oidc_login") {
		t.Errorf("the log entry: %q", run.LogEntry)
	}
}

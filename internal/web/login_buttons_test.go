package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestLoginPageHidesIncompleteProviders: a provider whose trust settings
// are not complete yet (saved in steps) has no button on the login page,
// since its sign-in could not start; it gets one once they are.
func TestLoginPageHidesIncompleteProviders(t *testing.T) {
	h := newHarness(t)
	saml := h.createStrategy("saml", "okta", "Okta Steps", true, true)
	oauth := h.createStrategy("oauth2", "azure", "Entra Steps", true, true)
	b := newBrowser(h)
	p := b.do("GET", "/login", nil)
	if p.status != http.StatusOK {
		t.Fatalf("login page: %d %s", p.status, p.body)
	}
	for _, hidden := range []string{"Okta Steps", "Entra Steps", "sso_strategy_id="} {
		if strings.Contains(p.body, hidden) {
			t.Errorf("login page shows an incomplete provider (%q): %s", hidden, p.body)
		}
	}

	// The SAML provider gets its identity provider's fingerprint, issuer
	// and sign-on URL; the OpenID one its tenant.
	fp, issuer, sso := strings.Repeat("AB:", 31)+"AB", "https://idp.example.test/okta", "https://idp.example.test/sso"
	if _, err := h.svc.UpdateSSOStrategy(h.ctx, identity.SystemActor, h.site.ID, saml.ID, identity.SSOStrategyChange{
		SAMLProviderCertFingerprint: &fp, SAMLProviderIssuerURL: &issuer, SAMLProviderSSOTargetURL: &sso}); err != nil {
		t.Fatal(err)
	}
	completeOIDC(t, h, oauth.ID)
	p = b.do("GET", "/login", nil)
	for _, want := range []string{
		`href="/saml/login?sso_strategy_id=` + itoa(saml.ID) + `"`, "Sign in with Okta Steps",
		`href="/oauth/login?sso_strategy_id=` + itoa(oauth.ID) + `"`, "Sign in with Entra Steps",
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("login page lacks %q once the providers are complete", want)
		}
	}
}

// completeOIDC gives an Entra provider made by createStrategy its tenant
// GUID in the store, as an earlier save would have: through the service
// the save would read the tenant's discovery document from Microsoft.
func completeOIDC(t *testing.T, h *harness, id int64) {
	t.Helper()
	if _, err := h.st.UpdateSSOStrategy(h.ctx, h.site.ID, id, func(p *store.SSOStrategy) error {
		p.Options = `{"oidc_tenant_id":"72f988bf-86f1-41af-91ab-2d7cd011db47"}`
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

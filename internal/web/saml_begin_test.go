package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestSAMLLoginRefusalsAreEvents: a sign-in refused before it reaches the
// identity provider leaves an SSO event too.
func TestSAMLLoginRefusalsAreEvents(t *testing.T) {
	s := newSAMLSetup(t, false)
	wantEvent := func(res rawResponse, status int, check string, providerID int64) {
		t.Helper()
		if res.status != status || sessionCookieOf(res) != nil {
			t.Fatalf("GET /saml/login answered %d, want %d\n%s", res.status, status, res.body)
		}
		ev := s.lastSAMLEvent(s.site.ID)
		if ev.Status != store.EventFailure || !slices.Contains(ev.EventErrors, check) || ev.SSOStrategyID != providerID || ev.IP == "" {
			t.Fatalf("event %+v: want a failure naming %q for provider %d with the IP", ev, check, providerID)
		}
	}
	wantEvent(s.get("/saml/login?sso_strategy_id=987654", nil), http.StatusNotFound, signin.CheckProvider, 0)
	ldap := s.createStrategy("open_ldap", "ldap", "Directory", true, false)
	wantEvent(s.get("/saml/login?sso_strategy_id="+itoa(ldap.ID), nil), http.StatusNotFound, signin.CheckProvider, 0)

	// A provider whose trust cannot be used: metadata that is not metadata.
	if _, err := s.st.UpdateSSOStrategy(s.ctx, s.site.ID, s.provider.ID, func(p *store.SSOStrategy) error {
		p.SAMLProviderMetadataContent = "<not-metadata/>"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res := s.get("/saml/login?sso_strategy_id="+itoa(s.provider.ID), nil)
	if res.status < 400 {
		t.Fatalf("a provider without usable trust started a sign-in: %d", res.status)
	}
	if ev := s.lastSAMLEvent(s.site.ID); ev.Status != store.EventFailure || ev.SSOStrategyID != s.provider.ID || len(ev.EventErrors) != 1 {
		t.Fatalf("event %+v: want a failure of the provider", ev)
	}

	no := false
	if _, err := s.svc.UpdateSSOStrategy(s.ctx, identity.SystemActor, s.site.ID, s.provider.ID, identity.SSOStrategyChange{Enabled: &no}); err != nil {
		t.Fatal(err)
	}
	wantEvent(s.get("/saml/login?sso_strategy_id="+itoa(s.provider.ID), nil), http.StatusForbidden, signin.CheckProviderDisabled, s.provider.ID)
}

// TestSAMLSignInPerProviderACS: a provider with a provider_identifier has
// its own entity ID and ACS, and signs in there.
func TestSAMLSignInPerProviderACS(t *testing.T) {
	requireSAMLPeer(t)
	h := newHarness(t)
	md := h.get("/saml/metadata/contoso", nil)
	if md.status != http.StatusOK {
		t.Fatalf("GET /saml/metadata/contoso: %d", md.status)
	}
	s := &samlSetup{harness: h, idp: newPyIdP(t, "https://idp.test/contoso", md.body)}
	s.idp.spEntityID, s.idp.acsURL = h.srv.URL+"/saml/metadata/contoso", h.srv.URL+"/saml/consume/contoso"
	content, proto, label, yes, ident := s.idp.Metadata(), identity.ProtocolSAML, "Contoso", true, "contoso"
	opts := json.RawMessage(`{"saml_idp_initiated": true}`)
	p, err := h.svc.CreateSSOStrategy(h.ctx, identity.SystemActor, h.site.ID, identity.SSOStrategyChange{
		Protocol: &proto, Label: &label, Enabled: &yes, ProviderIdentifier: &ident,
		SAMLProviderMetadataContent: &content, Options: &opts})
	if err != nil {
		t.Fatal(err)
	}
	s.provider = p
	s.ssoUser("dana@example.com")

	req, relay := s.begin()
	resp := s.idp.Respond(assertion{NameID: "dana@example.com", SAMLRequest: req})
	// The shared ACS has no provider for this response.
	s.wantRefused(s.postACS("/saml/consume", resp, relay), h.site.ID, signin.CheckProvider)
	s.wantSignedIn(s.postACS("/saml/consume/contoso", resp, relay), "dana@example.com")
	if ev := s.lastSAMLEvent(h.site.ID); ev.Status != store.EventSuccess || ev.SSOStrategyID != p.ID {
		t.Errorf("event %+v", ev)
	}
	// IdP-initiated to the provider's own ACS.
	s.wantSignedIn(s.postACS("/saml/consume/contoso", s.idp.Respond(assertion{NameID: "dana@example.com"}), ""), "dana@example.com")
}

package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

func (s *samlSetup) spEntityID() string { return s.srv.URL + "/saml/metadata" }
func (s *samlSetup) acsURL() string     { return s.srv.URL + "/saml/consume" }

// idpInitiated is a response no AuthnRequest asked for.
func (s *samlSetup) idpInitiated(nameID string, attrs map[string][]string) string {
	return s.idp.Respond(assertion{NameID: nameID, Attributes: attrs, SPEntityID: s.spEntityID(), ACSURL: s.acsURL()})
}

// wantSignedIn checks a 303 to / with a session cookie that opens the home
// page as username.
func (s *samlSetup) wantSignedIn(res rawResponse, username string, headers ...string) {
	s.t.Helper()
	res = s.followHandoff(res)
	c := sessionCookieOf(res)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/" || c == nil {
		s.t.Fatalf("ACS answered %d %q, cookie %v; want 303 to / with a session\n%s", res.status, res.header.Get("Location"), c, res.body)
	}
	if c.SameSite != http.SameSiteLaxMode || !c.HttpOnly {
		s.t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax", c)
	}
	home := s.get("/", c, headers...)
	if home.status != http.StatusOK || !strings.Contains(string(home.body), username) {
		s.t.Fatalf("GET / with the new session: %d, body lacks %q\n%s", home.status, username, home.body)
	}
}

// followHandoff follows the ACS's handoff to the host where the sign-in
// started, as the browser does, with the binding cookie of the last begin,
// and returns the answer there.
func (s *samlSetup) followHandoff(res rawResponse) rawResponse {
	s.t.Helper()
	loc, err := url.Parse(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || err != nil || loc.Path != "/saml/handoff" {
		return res
	}
	if sessionCookieOf(res) != nil {
		s.t.Fatal("the ACS set a session cookie before the handoff")
	}
	return s.get(loc.RequestURI(), s.browser, "Host", loc.Host)
}

// wantRefused checks a refusal page without a session and the event
// naming check.
func (s *samlSetup) wantRefused(res rawResponse, siteID int64, check string) store.SSOEvent {
	s.t.Helper()
	if res.status != http.StatusForbidden && res.status != http.StatusBadRequest {
		s.t.Fatalf("ACS answered %d, want 403 or 400\n%s", res.status, res.body)
	}
	if c := sessionCookieOf(res); c != nil {
		s.t.Fatalf("a refused sign-in set a session cookie")
	}
	if !strings.Contains(string(res.body), "("+check+")") {
		s.t.Errorf("refusal page does not name the check %q:\n%s", check, res.body)
	}
	ev := s.lastSAMLEvent(siteID)
	if ev.Status != store.EventFailure || !slices.Contains(ev.EventErrors, check) {
		s.t.Fatalf("last event %+v: want a failure naming %q", ev, check)
	}
	return ev
}

func TestSAMLSignInSPInitiated(t *testing.T) {
	s := newSAMLSetup(t, false)
	s.ssoUser("alice@example.com")
	req, relay := s.begin()
	res := s.postACS("/saml/consume", s.idp.Respond(assertion{NameID: "alice@example.com", SAMLRequest: req}), relay)
	s.wantSignedIn(res, "alice@example.com")
	ev := s.lastSAMLEvent(s.site.ID)
	if ev.Status != store.EventSuccess || ev.Username != "alice@example.com" || ev.SSOStrategyID != s.provider.ID || ev.ProviderLabel != "Entra" {
		t.Errorf("success event %+v", ev)
	}
	u, err := s.st.GetUserByUsername(s.ctx, s.site.ID, "alice@example.com")
	if err != nil || u.LastWebLoginAt.IsZero() {
		t.Errorf("sign-in not recorded on the user: %+v %v", u, err)
	}

	// The answer to a request can be used once only.
	again := s.postACS("/saml/consume", s.idp.Respond(assertion{NameID: "alice@example.com", SAMLRequest: req}), relay)
	s.wantRefused(again, s.site.ID, string(saml.KindInResponseTo))
}

func TestSAMLSignInIdPInitiatedAndReplay(t *testing.T) {
	s := newSAMLSetup(t, false)
	s.ssoUser("bob@example.com")
	resp := s.idpInitiated("bob@example.com", nil)
	s.wantSignedIn(s.postACS("/saml/consume", resp, ""), "bob@example.com")
	s.wantRefused(s.postACS("/saml/consume", resp, ""), s.site.ID, string(saml.KindReplay))

	// A provider that refuses IdP-initiated sign-in.
	off := json.RawMessage(`{"saml_idp_initiated": false}`)
	if _, err := s.svc.UpdateSSOStrategy(s.ctx, identity.SystemActor, s.site.ID, s.provider.ID, identity.SSOStrategyChange{Options: &off}); err != nil {
		t.Fatal(err)
	}
	s.wantRefused(s.postACS("/saml/consume", s.idpInitiated("bob@example.com", nil), ""), s.site.ID, string(saml.KindIdPInitiated))
}

func TestSAMLJustInTimeProvisioning(t *testing.T) {
	s := newSAMLSetup(t, true)
	entra := map[string][]string{
		saml.ClaimEntraObjectID: {"0f9a-object-id"},
		saml.ClaimEmailAddress:  {"carol@example.com"},
		saml.ClaimGivenName:     {"Carol"},
		saml.ClaimSurname:       {"Jones"},
		saml.ClaimEntraGroups:   {"11111111-aaaa", "22222222-bbbb"},
	}
	s.wantSignedIn(s.postACS("/saml/consume", s.idpInitiated("carol@example.com", entra), ""), "carol@example.com")
	u, err := s.st.GetUserByUsername(s.ctx, s.site.ID, "carol@example.com")
	if err != nil {
		t.Fatalf("JIT did not create the user: %v", err)
	}
	if u.ExternalID != "0f9a-object-id" || u.SSOStrategyID != s.provider.ID || u.Name != "Carol Jones" || u.Email != "carol@example.com" {
		t.Errorf("JIT user %+v", u)
	}
	groups, err := s.st.GroupsOfUser(s.ctx, s.site.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups {
		names = append(names, g.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"22222222-bbbb", "Engineering"}) {
		t.Errorf("groups %v, want Engineering (from the provider's table) and the unnamed id", names)
	}

	// A later sign-in updates the account; an overage claim keeps memberships.
	entra[saml.ClaimSurname] = []string{"Smith"}
	delete(entra, saml.ClaimEntraGroups)
	entra[saml.ClaimEntraGroupsLink] = []string{"https://graph.microsoft.com/v1.0/users/0f9a/getMemberObjects"}
	s.wantSignedIn(s.postACS("/saml/consume", s.idpInitiated("carol@example.com", entra), ""), "carol@example.com")
	u, _ = s.st.GetUserByUsername(s.ctx, s.site.ID, "carol@example.com")
	groups, _ = s.st.GroupsOfUser(s.ctx, s.site.ID, u.ID)
	if u.Name != "Carol Smith" || len(groups) != 2 {
		t.Errorf("after the second sign-in: name %q, %d groups; want Carol Smith and both groups kept", u.Name, len(groups))
	}

	// A password account with the same login name is never taken over.
	s.createUser("dave@example.com", false)
	s.wantRefused(s.postACS("/saml/consume", s.idpInitiated("dave@example.com", nil), ""), s.site.ID, "provisioning")
}

func TestSAMLRefusals(t *testing.T) {
	s := newSAMLSetup(t, false)
	s.ssoUser("off@example.com", func(c *identity.UserChange) { yes := true; c.Disabled = &yes })
	s.createUser("pw@example.com", false)
	for _, tc := range []struct {
		name, nameID, check string
	}{
		{"unknown user, provision_users off", "nobody@example.com", "not-provisioned"},
		{"password user of the same name", "pw@example.com", "login-policy"},
		{"disabled user", "off@example.com", "login-policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := s.wantRefused(s.postACS("/saml/consume", s.idpInitiated(tc.nameID, nil), ""), s.site.ID, tc.check)
			if ev.Username != tc.nameID {
				t.Errorf("event username %q, want %q", ev.Username, tc.nameID)
			}
		})
	}

	s.ssoUser("erin@example.com")
	t.Run("tampered", func(t *testing.T) {
		raw, _ := base64.StdEncoding.DecodeString(s.idpInitiated("erin@example.com", nil))
		forged := strings.ReplaceAll(string(raw), "erin@example.com", "mallory@example.com")
		res := s.postACS("/saml/consume", base64.StdEncoding.EncodeToString([]byte(forged)), "")
		s.wantRefused(res, s.site.ID, string(saml.KindSignature))
	})
	t.Run("garbage", func(t *testing.T) {
		s.wantRefused(s.postACS("/saml/consume", "not base64 at all!", ""), s.site.ID, string(saml.KindMalformed))
	})
	t.Run("expired", func(t *testing.T) {
		resp := s.idpInitiated("erin@example.com", nil)
		s.clock.Advance(2 * time.Hour)
		defer s.clock.Advance(-2 * time.Hour)
		s.wantRefused(s.postACS("/saml/consume", resp, ""), s.site.ID, string(saml.KindExpired))
	})
	t.Run("unknown provider identifier", func(t *testing.T) {
		s.wantRefused(s.postACS("/saml/consume/nope", s.idpInitiated("erin@example.com", nil), ""), s.site.ID, "provider")
	})
	t.Run("disabled provider", func(t *testing.T) {
		no := false
		if _, err := s.svc.UpdateSSOStrategy(s.ctx, identity.SystemActor, s.site.ID, s.provider.ID, identity.SSOStrategyChange{Enabled: &no}); err != nil {
			t.Fatal(err)
		}
		s.wantRefused(s.postACS("/saml/consume", s.idpInitiated("erin@example.com", nil), ""), s.site.ID, "provider-disabled")
	})
}

func TestSAMLSiteChosenByRelayState(t *testing.T) {
	main := newSAMLSetup(t, false)
	main.ssoUser("frank@example.com")
	acme, err := main.svc.CreateSite(main.ctx, identity.SystemActor, "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	other := main.withProvider(acme, "https://idp.test/acme", false)
	other.ssoUser("grace@example.com")

	// SP-initiated on acme's host: RelayState carries the subdomain, and
	// the shared ACS (reached on the base host) signs in to acme.
	req, relay := other.begin("Host", "acme.example.test")
	if relay != "acme" {
		t.Fatalf("RelayState %q, want the subdomain", relay)
	}
	res := other.postACS("/saml/consume", other.idp.Respond(assertion{NameID: "grace@example.com", SAMLRequest: req}), relay)
	other.wantSignedIn(res, "grace@example.com", "Host", "acme.example.test")
	if ev := main.lastSAMLEvent(acme.ID); ev.Status != store.EventSuccess {
		t.Errorf("acme's event %+v", ev)
	}

	// Entra's Relay State field as SUBDOMAIN.site-domain, IdP-initiated.
	other.wantSignedIn(other.postACS("/saml/consume", other.idpInitiated("grace@example.com", nil), "acme.example.test"),
		"grace@example.com", "Host", "acme.example.test")

	// acme's IdP cannot sign in to the main site, nor main's IdP to acme.
	main.wantRefused(main.postACS("/saml/consume", other.idpInitiated("frank@example.com", nil), ""), main.site.ID, string(saml.KindUntrustedCert))
	other.wantRefused(other.postACS("/saml/consume", main.idpInitiated("grace@example.com", nil), "acme"), acme.ID, string(saml.KindUntrustedCert))

	// The provider's SP values name what to paste into Entra.
	_, key := main.apiKeyFor(main.createUser("admin", true), time.Time{})
	r := main.callJSON("GET", "/api/rest/v1/sso_strategies/"+itoa(main.provider.ID), key, "")
	var got map[string]any
	r.decode(t, &got)
	if got["saml_sp_entity_id"] != main.spEntityID() || got["saml_sp_acs_url"] != main.acsURL() ||
		got["saml_sp_relay_state"] != "" || !strings.HasSuffix(got["saml_sp_sign_on_url"].(string), "/saml/login?sso_strategy_id="+itoa(main.provider.ID)) {
		t.Errorf("SP values %v", got)
	}
}

// TestSSOUserSeesWherePasswordLives: a user signed in through a provider
// is not offered a password change; the start page and the password page
// name the provider their password lives with, and a change posted anyway
// is refused.
func TestSSOUserSeesWherePasswordLives(t *testing.T) {
	s := newSAMLSetup(t, false)
	s.ssoUser("alice@example.com")
	req, relay := s.begin()
	res := s.followHandoff(s.postACS("/saml/consume", s.idp.Respond(assertion{NameID: "alice@example.com", SAMLRequest: req}), relay))
	c := sessionCookieOf(res)
	if c == nil {
		t.Fatalf("no session: %d %s", res.status, res.body)
	}
	home := string(s.get("/", c).body)
	if !strings.Contains(home, "Your password is managed by Entra; change it there.") || strings.Contains(home, `href="/password"`) {
		t.Fatalf("start page of an SSO user:\n%s", home)
	}
	page := s.get("/password", c)
	if page.status != http.StatusOK || !strings.Contains(string(page.body), "managed by Entra") || strings.Contains(string(page.body), `action="/password"`) {
		t.Fatalf("password page of an SSO user: %d\n%s", page.status, page.body)
	}
}

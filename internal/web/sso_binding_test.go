package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// These tests play login CSRF against single sign-on: an attacker
// finishes a sign-in for their own account in their own browser, then
// makes a victim's browser (another cookie jar) carry the finished
// sign-in — the SAMLResponse, the OpenID Connect callback URL, or the
// handoff link. Every one must be refused, with no session for the victim
// and an SSO event naming the browser check.

// wantBrowserRefused checks a refusal by the browser binding: no session
// cookie, a page saying to start again, and an event of eventType naming
// the check and the attacker's account.
func wantBrowserRefused(t *testing.T, h *harness, res rawResponse, siteID int64, eventType, username string) {
	t.Helper()
	if res.status != http.StatusForbidden || sessionCookieOf(res) != nil {
		t.Fatalf("answered %d (session cookie %v), want 403 without a session\n%s", res.status, sessionCookieOf(res), res.body)
	}
	if !strings.Contains(string(res.body), "("+signin.CheckBrowser+")") || !strings.Contains(string(res.body), "start again from the sign-in page") {
		t.Errorf("refusal page does not name the browser check and what to do:\n%s", res.body)
	}
	evs, err := h.svc.ListSSOEvents(h.ctx, siteID, store.EventQuery{EventType: eventType, ListOptions: store.ListOptions{Limit: 1000}})
	if err != nil || len(evs) == 0 {
		t.Fatalf("no %s events: %v", eventType, err)
	}
	if ev := evs[len(evs)-1]; ev.Status != store.EventFailure || !slices.Contains(ev.EventErrors, signin.CheckBrowser) || ev.Username != username {
		t.Fatalf("last event %+v: want a failure naming %q for %s", ev, signin.CheckBrowser, username)
	}
}

// handoffOf reads the 303 to /saml/handoff an ACS or callback answered.
func handoffOf(t *testing.T, res rawResponse) *url.URL {
	t.Helper()
	loc, err := url.Parse(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || err != nil || loc.Path != "/saml/handoff" || sessionCookieOf(res) != nil {
		t.Fatalf("answered %d to %q (session %v); want 303 to /saml/handoff without a session\n%s", res.status, loc, sessionCookieOf(res), res.body)
	}
	return loc
}

func TestSAMLSignInBoundToBrowser(t *testing.T) {
	main := newSAMLSetup(t, false)
	main.ssoUser("mallory@example.com")
	acme, err := main.svc.CreateSite(main.ctx, identity.SystemActor, "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	other := main.withProvider(acme, "https://idp.test/acme", false)
	other.ssoUser("mallory@example.com")
	port := main.srv.URL[strings.LastIndex(main.srv.URL, ":")+1:]

	for _, tc := range []struct {
		name string
		s    *samlSetup
		site store.Site
		host []string // the Host the sign-in starts on
	}{
		{"default site", main, main.site, nil},
		{"site on its own host", other, acme, []string{"Host", "acme.example.test:" + port}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			// The victim's browser has a binding cookie of its own: it
			// started a sign-in of its own here, which it never finished.
			s.begin(tc.host...)
			victim := s.browser

			// 1. The attacker posts their own response and sends the
			// handoff link to the victim, whose browser has no binding
			// cookie, or one of its own.
			var loc *url.URL
			var attacker *http.Cookie
			for _, c := range []*http.Cookie{nil, victim} {
				req, relay := s.begin(tc.host...)
				attacker = s.browser
				loc = handoffOf(t, s.postACS("/saml/consume", s.idp.Respond(assertion{NameID: "mallory@example.com", SAMLRequest: req}), relay))
				wantBrowserRefused(t, s.harness, s.get(loc.RequestURI(), c, "Host", loc.Host), tc.site.ID, "saml_login", "mallory@example.com")
			}
			// The link is spent: not even the attacker's browser gets in.
			if res := s.get(loc.RequestURI(), attacker, "Host", loc.Host); res.status != http.StatusForbidden || sessionCookieOf(res) != nil {
				t.Fatalf("a refused handoff link worked afterwards: %d", res.status)
			}

			// 2. The attacker makes the victim's browser post the response
			// (a cross-site form post, which carries no cookie); its
			// handoff then finds the victim's cookie, not the attacker's.
			req, relay := s.begin(tc.host...)
			res := s.postACS("/saml/consume", s.idp.Respond(assertion{NameID: "mallory@example.com", SAMLRequest: req}), relay)
			loc = handoffOf(t, res)
			wantBrowserRefused(t, s.harness, s.get(loc.RequestURI(), victim, "Host", loc.Host), tc.site.ID, "saml_login", "mallory@example.com")

			// 3. The browser that started a sign-in finishes it.
			req, relay = s.begin(tc.host...)
			s.wantSignedIn(s.postACS("/saml/consume", s.idp.Respond(assertion{NameID: "mallory@example.com", SAMLRequest: req}), relay),
				"mallory@example.com", "Host", loc.Host)
		})
	}
}

// TestSAMLIdPInitiatedOffByDefault: a provider created without
// saml_idp_initiated refuses unsolicited responses, whose sender no
// browser binding can check, and says how to start instead and how an
// admin allows them; allowing them works.
func TestSAMLIdPInitiatedOffByDefault(t *testing.T) {
	s := newSAMLSetup(t, false)
	s.ssoUser("bob@example.com")
	none := json.RawMessage(`{}`)
	if _, err := s.svc.UpdateSSOStrategy(s.ctx, identity.SystemActor, s.site.ID, s.provider.ID, identity.SSOStrategyChange{Options: &none}); err != nil {
		t.Fatal(err)
	}
	res := s.postACS("/saml/consume", s.idpInitiated("bob@example.com", nil), "")
	ev := s.wantRefused(res, s.site.ID, string(saml.KindIdPInitiated))
	cmd := "gatehouse providers idp-initiated " + itoa(s.provider.ID) + " on"
	if !strings.Contains(ev.Body, cmd) || !strings.Contains(string(res.body), "start from the sign-in page") {
		t.Errorf("the refusal does not say what to do (%q):\n%s", cmd, ev.Body)
	}
	if _, err := s.saml.SetIdPInitiated(s.ctx, identity.SystemActor, s.site.ID, s.provider.ID, true); err != nil {
		t.Fatal(err)
	}
	s.wantSignedIn(s.postACS("/saml/consume", s.idpInitiated("bob@example.com", nil), ""), "bob@example.com")
}

func TestOIDCSignInBoundToBrowser(t *testing.T) {
	s := newOIDCSetup(t, false)
	s.ssoUser("alice@contoso.example", s.provider)
	acme, err := s.svc.CreateSite(s.ctx, identity.SystemActor, "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	acmeIdP, acmeProvider := s.addEntraOn(acme, "Acme Entra", true)
	acmeHost := "acme.example.test:" + s.srv.URL[strings.LastIndex(s.srv.URL, ":")+1:]

	// The attacker's callback URL, followed by the victim's browser (with
	// or without a binding cookie of its own), is refused at the callback
	// when the sign-in started on the callback's host.
	victim := s.begin(s.provider).browser
	for _, c := range []*http.Cookie{nil, victim} {
		cb := s.login(s.idp, s.begin(s.provider), "alice")
		wantBrowserRefused(t, s.harness, s.get(cb, c), s.site.ID, signin.EventOIDCLogin, "")
	}

	// For a site on its own host the callback cannot see the binding
	// cookie; its handoff link, sent to the victim, is refused there.
	victim = s.begin(acmeProvider, "Host", acmeHost).browser
	for _, c := range []*http.Cookie{nil, victim} {
		loc := handoffOf(t, s.get(s.login(acmeIdP, s.begin(acmeProvider, "Host", acmeHost), "alice"), nil))
		wantBrowserRefused(t, s.harness, s.get(loc.RequestURI(), c, "Host", acmeHost), acme.ID, signin.EventOIDCLogin, "alice@contoso.example")
	}
	// The attacker's own browser finishes its own.
	st := s.begin(acmeProvider, "Host", acmeHost)
	loc := handoffOf(t, s.get(s.login(acmeIdP, st, "alice"), nil))
	if res := s.get(loc.RequestURI(), st.browser, "Host", acmeHost); res.status != http.StatusSeeOther || sessionCookieOf(res) == nil {
		t.Fatalf("the handoff in the browser that started the sign-in answered %d without a session", res.status)
	}
}

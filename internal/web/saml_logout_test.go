package web

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

func (s *samlSetup) sloURL() string { return s.srv.URL + "/saml/logout" }

// spCert is the base64 DER certificate our metadata publishes.
func (s *samlSetup) spCert() string {
	s.t.Helper()
	md := string(s.get("/saml/metadata", nil).body)
	_, rest, ok := strings.Cut(md, "<ds:X509Certificate>")
	cert, _, ok2 := strings.Cut(rest, "</ds:X509Certificate>")
	if !ok || !ok2 || strings.Count(md, "<ds:X509Certificate>") != 2 {
		s.t.Fatalf("our metadata publishes no signing and encryption certificate:\n%s", md)
	}
	return strings.TrimSpace(cert)
}

// signIn signs nameID in through an IdP-initiated response and returns
// the session cookie and the IdP session index the session keeps.
func (s *samlSetup) signIn(nameID string) (*http.Cookie, string) {
	s.t.Helper()
	res := s.postACS("/saml/consume", s.idpInitiated(nameID, nil), "")
	s.wantSignedIn(res, nameID)
	c := sessionCookieOf(res)
	sess, err := s.st.GetSessionByHash(s.ctx, secret.HashToken(c.Value), s.clock.Now())
	if err != nil || sess.SSOSessionIndex == "" {
		s.t.Fatalf("session of %s: %+v, %v; want one with the IdP's session index", nameID, sess, err)
	}
	return c, sess.SSOSessionIndex
}

func (s *samlSetup) signedIn(c *http.Cookie) bool {
	s.t.Helper()
	return s.get("/", c).status == http.StatusOK
}

// logoutRequest is the query of a LogoutRequest idp signs for nameID
// (and sessionIndex, unless empty), sent to our SLO URL.
func (s *samlSetup) logoutRequest(idp *pyIdP, nameID, sessionIndex string) string {
	s.t.Helper()
	loc := idp.run(map[string]any{"mode": "logout_request", "sp_slo_url": s.sloURL(), "sp_entity_id": s.spEntityID(),
		"name_id": nameID, "name_id_format": saml.NameIDFormatEmailAddress, "session_index": sessionIndex})
	u, err := url.Parse(loc)
	if err != nil || !strings.HasPrefix(loc, s.sloURL()+"?") {
		s.t.Fatalf("pysaml2 sent the LogoutRequest to %q, want our SLO URL", loc)
	}
	return u.RawQuery
}

// lastLogoutEvent returns the newest saml_logout event of a site.
func (h *harness) lastLogoutEvent(siteID int64) store.SSOEvent {
	h.t.Helper()
	evs, err := h.svc.ListSSOEvents(h.ctx, siteID, store.EventQuery{EventType: "saml_logout", ListOptions: store.ListOptions{Limit: 1000}})
	if err != nil || len(evs) == 0 {
		h.t.Fatalf("no saml_logout event: %v", err)
	}
	return evs[len(evs)-1]
}

func (s *samlSetup) wantLogoutRefused(res rawResponse, check string) {
	s.t.Helper()
	if res.status != http.StatusForbidden && res.status != http.StatusBadRequest {
		s.t.Fatalf("SLO answered %d, want a refusal\n%s", res.status, res.body)
	}
	if ev := s.lastLogoutEvent(s.site.ID); ev.Status != store.EventFailure || !slices.Contains(ev.EventErrors, check) {
		s.t.Fatalf("last logout event %+v: want a failure naming %q", ev, check)
	}
}

func TestSAMLIdPInitiatedLogout(t *testing.T) {
	s := newSAMLSetup(t, false)
	s.ssoUser("alice@example.com")
	s.ssoUser("bob@example.com")
	alice1, idx1 := s.signIn("alice@example.com")
	alice2, _ := s.signIn("alice@example.com")
	bob, bobIdx := s.signIn("bob@example.com")

	// The IdP ends alice's first session: only that one ends.
	query := s.logoutRequest(s.idp, "alice@example.com", idx1)
	res := s.get("/saml/logout?"+query, nil)
	if res.status != http.StatusFound || !strings.HasPrefix(res.header.Get("Location"), s.idp.ssoURL+"?SAMLResponse=") ||
		!strings.Contains(res.header.Get("Location"), "&Signature=") {
		t.Fatalf("SLO answered %d to %q, want 302 to the IdP with a signed LogoutResponse\n%s", res.status, res.header.Get("Location"), res.body)
	}
	if s.signedIn(alice1) || !s.signedIn(alice2) || !s.signedIn(bob) {
		t.Fatalf("after logout of alice's first session: alice1 %v, alice2 %v, bob %v; want only alice1 ended",
			s.signedIn(alice1), s.signedIn(alice2), s.signedIn(bob))
	}
	if ev := s.lastLogoutEvent(s.site.ID); ev.Status != store.EventSuccess || ev.Username != "alice@example.com" ||
		!strings.Contains(ev.Body, "1 session(s) ended") || ev.SSOStrategyID != s.provider.ID {
		t.Errorf("logout event %+v", ev)
	}

	// The same request again is a replay.
	s.wantLogoutRefused(s.get("/saml/logout?"+query, nil), string(saml.KindReplay))

	// Bob's session index in a request for alice ends nothing of bob's.
	s.get("/saml/logout?"+s.logoutRequest(s.idp, "alice@example.com", bobIdx), nil)
	if !s.signedIn(bob) || !s.signedIn(alice2) {
		t.Fatal("a LogoutRequest for alice with bob's session index ended a session")
	}

	// Unsigned, tampered, and signed by another key: refused, nothing ends.
	q, _ := url.ParseQuery(s.logoutRequest(s.idp, "bob@example.com", bobIdx))
	unsigned := url.Values{"SAMLRequest": {q.Get("SAMLRequest")}}
	s.wantLogoutRefused(s.get("/saml/logout?"+unsigned.Encode(), nil), string(saml.KindSignature))
	q.Set("RelayState", "evil")
	s.wantLogoutRefused(s.get("/saml/logout?"+q.Encode(), nil), string(saml.KindSignature))
	md := s.get("/saml/metadata", nil)
	forger := newPyIdP(t, s.idp.entityID, md.body)
	s.wantLogoutRefused(s.get("/saml/logout?"+s.logoutRequest(forger, "bob@example.com", bobIdx), nil), string(saml.KindSignature))
	s.wantLogoutRefused(s.get("/saml/logout?RelayState=x", nil), string(saml.KindMalformed))
	s.wantLogoutRefused(s.get("/saml/logout?SAMLRequest=%%%", nil), string(saml.KindMalformed))
	if !s.signedIn(bob) {
		t.Fatal("a refused LogoutRequest ended bob's session")
	}

	// A request without a SessionIndex ends every session of the user.
	res = s.get("/saml/logout?"+s.logoutRequest(s.idp, "bob@example.com", ""), nil)
	if res.status != http.StatusFound || s.signedIn(bob) || !s.signedIn(alice2) {
		t.Fatalf("logout of all of bob's sessions: %d, bob %v, alice2 %v", res.status, s.signedIn(bob), s.signedIn(alice2))
	}
}

func TestSAMLSPInitiatedLogout(t *testing.T) {
	s := newSAMLSetup(t, false)
	s.ssoUser("alice@example.com")
	b := newBrowser(s.harness)
	form := url.Values{"SAMLResponse": {s.idpInitiated("alice@example.com", nil)}}
	if p := b.do("POST", "/saml/consume", form); p.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", p.status, p.body)
	}
	cookie := b.cookie(sessionCookie)
	sess, err := s.st.GetSessionByHash(s.ctx, secret.HashToken(cookie.Value), s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}

	// Signing out ends the session here and sends the browser on to the
	// IdP with a page that refreshes itself: a redirect answering the form
	// post would be blocked by the form-action policy.
	p := b.do("POST", "/logout", url.Values{"csrf_token": {b.csrf("/")}})
	loc := refreshTarget(t, p.body)
	if p.status != http.StatusOK || !strings.HasPrefix(loc.String(), s.idp.ssoURL+"?SAMLRequest=") {
		t.Fatalf("logout answered %d moving on to %q, want the IdP's SLO URL", p.status, loc)
	}
	if b.cookie(sessionCookie) != nil || s.signedIn(cookie) {
		t.Fatal("the local session outlived the sign-out")
	}
	if ev := s.lastLogoutEvent(s.site.ID); ev.Status != store.EventInProgress || ev.UserID != sess.UserID {
		t.Errorf("sign-out event %+v", ev)
	}

	// pysaml2 reads our LogoutRequest and answers it.
	query := map[string]string{}
	for k, v := range loc.Query() {
		query[k] = v[0]
	}
	out := s.idp.run(map[string]any{"mode": "logout_response", "query": query, "sp_slo_url": s.sloURL(), "sp_cert": s.spCert()})
	var got struct {
		Issuer       string   `json:"issuer"`
		NameID       string   `json:"name_id"`
		SessionIndex []string `json:"session_index"`
		SignatureOK  bool     `json:"signature_ok"`
		URL          string   `json:"url"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if got.Issuer != s.spEntityID() || got.NameID != "alice@example.com" || len(got.SessionIndex) != 1 || got.SessionIndex[0] != sess.SSOSessionIndex {
		t.Fatalf("pysaml2 read our LogoutRequest as %+v, want alice and session index %q", got, sess.SSOSessionIndex)
	}
	if !got.SignatureOK {
		t.Fatal("pysaml2 did not verify our LogoutRequest's signature with the certificate of our metadata")
	}
	answer, _ := url.Parse(got.URL)
	if p := b.do("GET", "/saml/logout?"+answer.RawQuery, nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
		t.Fatalf("LogoutResponse answered %d to %q, want 303 to /login\n%s", p.status, p.header.Get("Location"), p.body)
	}
	if ev := s.lastLogoutEvent(s.site.ID); ev.Status != store.EventSuccess || !strings.Contains(ev.Body, "single logout finished") {
		t.Errorf("logout event %+v", ev)
	}

	// The answer is accepted once; a forged or unsigned one never.
	s.wantLogoutRefused(s.get("/saml/logout?"+answer.RawQuery, nil), string(saml.KindInResponseTo))
	aq := answer.Query()
	aq.Del("Signature")
	s.wantLogoutRefused(s.get("/saml/logout?"+aq.Encode(), nil), string(saml.KindSignature))

	// A password user's sign-out stays local.
	s.createUser("pat", false)
	pb := newBrowser(s.harness)
	if p := pb.login("pat", strongPassword); p.status != http.StatusSeeOther {
		t.Fatalf("password sign-in: %d", p.status)
	}
	expectRedirect(t, pb.do("POST", "/logout", url.Values{"csrf_token": {pb.csrf("/")}}), "/login")
}

// refreshTarget reads the URL a page's meta refresh moves on to.
func refreshTarget(t *testing.T, body string) *url.URL {
	t.Helper()
	m := regexp.MustCompile(`<meta http-equiv="refresh" content="0;url=([^"]+)">`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no meta refresh in %q", body)
	}
	u, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestSAMLFingerprintTrustLogout: with fingerprint trust there is no
// certificate to check a redirect-binding signature with. Our own
// sign-out still reaches the identity provider, and its answer to our
// LogoutRequest is let through with an event that says it was not
// verified; an IdP-initiated LogoutRequest, which would end sessions, is
// still refused.
func TestSAMLFingerprintTrustLogout(t *testing.T) {
	s := newSAMLSetup(t, false)
	empty, fp, slo := "", certFingerprint(t, s.idp.certFile), s.idp.ssoURL
	issuer, sso := s.idp.entityID, s.idp.ssoURL
	p, err := s.svc.UpdateSSOStrategy(s.ctx, identity.SystemActor, s.site.ID, s.provider.ID, identity.SSOStrategyChange{
		SAMLProviderMetadataContent: &empty, SAMLProviderCertFingerprint: &fp, SAMLProviderIssuerURL: &issuer,
		SAMLProviderSSOTargetURL: &sso, SAMLProviderSLOTargetURL: &slo})
	if err != nil {
		t.Fatal(err)
	}
	s.provider = p
	s.ssoUser("alice@example.com")
	b := newBrowser(s.harness)
	if p := b.do("POST", "/saml/consume", url.Values{"SAMLResponse": {s.idpInitiated("alice@example.com", nil)}}); p.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", p.status, p.body)
	}
	cookie := b.cookie(sessionCookie)

	loc := refreshTarget(t, b.do("POST", "/logout", url.Values{"csrf_token": {b.csrf("/")}}).body)
	if !strings.HasPrefix(loc.String(), slo+"?SAMLRequest=") || s.signedIn(cookie) {
		t.Fatalf("sign-out moved on to %q (signed in: %v), want the IdP's SLO URL and the session ended", loc, s.signedIn(cookie))
	}
	query := map[string]string{}
	for k, v := range loc.Query() {
		query[k] = v[0]
	}
	out := s.idp.run(map[string]any{"mode": "logout_response", "query": query, "sp_slo_url": s.sloURL(), "sp_cert": s.spCert()})
	var got struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	answer, _ := url.Parse(got.URL)
	if p := b.do("GET", "/saml/logout?"+answer.RawQuery, nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
		t.Fatalf("LogoutResponse answered %d to %q, want 303 to /login\n%s", p.status, p.header.Get("Location"), p.body)
	}
	if ev := s.lastLogoutEvent(s.site.ID); ev.Status != store.EventSuccess || !strings.Contains(ev.Body, "could not be verified") {
		t.Errorf("logout event %+v: want a success saying the answer was not verified", ev)
	}
	// Only an answer to a request we sent gets through unverified.
	s.wantLogoutRefused(s.get("/saml/logout?"+answer.RawQuery, nil), string(saml.KindUntrustedCert))

	again, idx := s.signIn("alice@example.com")
	s.wantLogoutRefused(s.get("/saml/logout?"+s.logoutRequest(s.idp, "alice@example.com", idx), nil), string(saml.KindUntrustedCert))
	if !s.signedIn(again) {
		t.Fatal("an unverifiable LogoutRequest ended a session")
	}
}

package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/saml/samltest"
	"github.com/gatehouse/gatehouse/internal/testcert"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// This file drives a real SAML identity provider — pysaml2 with xmlsec1,
// the connector's testdata/idp.py — against the whole front end.

// requireSAMLPeer skips or fails the test when the IdP peer is missing.
func requireSAMLPeer(t *testing.T) { samltest.RequirePeer(t) }

// pyIdP is one pysaml2 identity provider that trusts one SP's metadata.
type pyIdP struct {
	t        *testing.T
	dir      string
	entityID string
	ssoURL   string
	keyFile  string
	certFile string
	spMD     string
	// spEntityID and acsURL address responses unless an assertion says otherwise.
	spEntityID, acsURL string
}

func newPyIdP(t *testing.T, entityID string, spMetadata []byte) *pyIdP {
	t.Helper()
	requireSAMLPeer(t)
	dir := t.TempDir()
	idp := &pyIdP{t: t, dir: dir, entityID: entityID, ssoURL: entityID + "/sso"}
	var err error
	idp.keyFile, idp.certFile, err = testcert.Signer(t, "Test IdP", time.Now().AddDate(2, 0, 0)).WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	idp.spMD = filepath.Join(dir, "sp.xml")
	if err := os.WriteFile(idp.spMD, spMetadata, 0o600); err != nil {
		t.Fatal(err)
	}
	return idp
}

func (idp *pyIdP) run(cfg map[string]any) string {
	idp.t.Helper()
	cfg["entity_id"], cfg["sso_url"] = idp.entityID, idp.ssoURL
	cfg["key"], cfg["cert"], cfg["sp_metadata"] = idp.keyFile, idp.certFile, idp.spMD
	return string(samltest.Run(idp.t, idp.dir, cfg))
}

// Metadata is the IdP's metadata, what an admin pastes into Gatehouse.
func (idp *pyIdP) Metadata() string { return idp.run(map[string]any{"mode": "metadata"}) }

// assertion describes one response.
type assertion struct {
	NameID      string
	Attributes  map[string][]string
	SAMLRequest string // answer this AuthnRequest; "" for IdP-initiated
	SPEntityID  string
	ACSURL      string
	Encrypt     bool // encrypt the assertion to the certificate of our metadata
}

// Respond returns a base64 SAMLResponse signed by the IdP.
func (idp *pyIdP) Respond(a assertion) string {
	attrs := a.Attributes
	if attrs == nil {
		attrs = map[string][]string{}
	}
	cfg := map[string]any{"mode": "response", "name_id": a.NameID,
		"name_id_format": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
		"attributes":     attrs, "sign_assertion": true, "sign_response": true,
		"sp_entity_id": a.SPEntityID, "destination": a.ACSURL,
		"sign_alg":   "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
		"digest_alg": "http://www.w3.org/2001/04/xmlenc#sha256"}
	if a.SPEntityID == "" {
		cfg["sp_entity_id"] = idp.spEntityID
	}
	if a.ACSURL == "" {
		cfg["destination"] = idp.acsURL
	}
	if a.SAMLRequest != "" {
		cfg["saml_request"] = a.SAMLRequest
	}
	if a.Encrypt {
		cfg["encrypt"] = true
	}
	return idp.run(cfg)
}

// samlSetup is a harness with one SAML provider trusting a pysaml2 IdP
// through pasted metadata.
type samlSetup struct {
	*harness
	idp      *pyIdP
	provider store.SSOStrategy
	// browser is the binding cookie the last begin was given.
	browser *http.Cookie
}

func newSAMLSetup(t *testing.T, provisionUsers bool) *samlSetup {
	t.Helper()
	requireSAMLPeer(t)
	h := newHarness(t)
	return (&samlSetup{harness: h}).withProvider(h.site, "https://idp.test/entra", provisionUsers)
}

// withProvider creates a SAML provider on site trusting a new IdP. It
// accepts IdP-initiated sign-ins, which most tests post to reach each
// check without a request first; TestSAMLIdPInitiatedOffByDefault covers
// a provider left as created.
func (s samlSetup) withProvider(site store.Site, entityID string, provisionUsers bool) *samlSetup {
	s.t.Helper()
	md := s.get("/saml/metadata", nil)
	if md.status != http.StatusOK || md.header.Get("Content-Type") != "application/samlmetadata+xml" {
		s.t.Fatalf("GET /saml/metadata: %d %s", md.status, md.body)
	}
	s.idp = newPyIdP(s.t, entityID, md.body)
	s.idp.spEntityID, s.idp.acsURL = s.srv.URL+"/saml/metadata", s.srv.URL+"/saml/consume"
	content, proto, label, yes := s.idp.Metadata(), identity.ProtocolSAML, "Entra", true
	opts := json.RawMessage(`{"group_names": {"11111111-aaaa": "Engineering"}, "saml_idp_initiated": true}`)
	p, err := s.svc.CreateSSOStrategy(s.ctx, identity.SystemActor, site.ID, identity.SSOStrategyChange{
		Protocol: &proto, Label: &label, Enabled: &yes, DisplayOnLoginPage: &yes,
		SAMLProviderMetadataContent: &content, ProvisionUsers: &provisionUsers, ProvisionGroups: &yes, Options: &opts})
	if err != nil {
		s.t.Fatalf("create SAML provider: %v", err)
	}
	s.provider = p
	return &s
}

// ssoUser creates an enabled web user assigned to the provider.
func (s *samlSetup) ssoUser(username string, mods ...func(*identity.UserChange)) store.User {
	s.t.Helper()
	method, yes := store.AuthSSO, true
	c := identity.UserChange{Username: &username, AuthenticationMethod: &method, SSOStrategyID: &s.provider.ID, RestAPIPermission: &yes}
	for _, m := range mods {
		m(&c)
	}
	u, err := s.svc.CreateUser(s.ctx, identity.SystemActor, s.provider.SiteID, c)
	if err != nil {
		s.t.Fatalf("create user %s: %v", username, err)
	}
	return u
}

// rawResponse is an HTTP answer without following redirects.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (h *harness) get(path string, cookie *http.Cookie, headers ...string) rawResponse {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	return h.do(req)
}

func (h *harness) do(req *http.Request) rawResponse {
	h.t.Helper()
	res, err := noRedirects.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return rawResponse{status: res.StatusCode, header: res.Header, body: b}
}

// postACS posts a SAMLResponse the way the IdP's page does: a cross-site
// form post with no CSRF token.
func (h *harness) postACS(path, samlResponse, relayState string) rawResponse {
	h.t.Helper()
	form := url.Values{"SAMLResponse": {samlResponse}, "RelayState": {relayState}}
	req, _ := http.NewRequest("POST", h.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://login.microsoftonline.com")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	return h.do(req)
}

// begin starts an SP-initiated sign-in and returns the AuthnRequest and
// RelayState the browser carries to the IdP; the binding cookie it was
// given is kept in s.browser.
func (s *samlSetup) begin(headers ...string) (samlRequest, relayState string) {
	s.t.Helper()
	res := s.get("/saml/login?sso_strategy_id="+itoa(s.provider.ID), nil, headers...)
	if res.status != http.StatusFound {
		s.t.Fatalf("GET /saml/login: %d %s", res.status, res.body)
	}
	s.browser = bindingCookieOf(s.t, res)
	loc, err := url.Parse(res.header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), s.idp.ssoURL) {
		s.t.Fatalf("redirect to %q, want the IdP's SSO URL %s", res.header.Get("Location"), s.idp.ssoURL)
	}
	return loc.Query().Get("SAMLRequest"), loc.Query().Get("RelayState")
}

// bindingCookieOf returns the browser binding cookie a sign-in start set,
// checking its attributes.
func bindingCookieOf(t *testing.T, res rawResponse) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == ssoBrowserCookie && c.Value != "" {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.MaxAge <= 0 {
				t.Fatalf("binding cookie %+v: want host-only, HttpOnly, SameSite=Lax, Path=/, with a lifetime", c)
			}
			return c
		}
	}
	t.Fatalf("the sign-in start set no %s cookie", ssoBrowserCookie)
	return nil
}

// sessionCookie returns the session cookie a response set, or nil.
func sessionCookieOf(res rawResponse) *http.Cookie {
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c
		}
	}
	return nil
}

// lastSAMLEvent returns the newest saml_login event of a site.
func (h *harness) lastSAMLEvent(siteID int64) store.SSOEvent {
	h.t.Helper()
	evs, err := h.svc.ListSSOEvents(h.ctx, siteID, store.EventQuery{EventType: "saml_login", ListOptions: store.ListOptions{Limit: 1000}})
	if err != nil || len(evs) == 0 {
		h.t.Fatalf("no saml_login event: %v", err)
	}
	return evs[len(evs)-1]
}

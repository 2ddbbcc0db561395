package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testpeer"
)

// metadataHost serves identity provider metadata documents by path over
// plain http on loopback, and counts the fetches of each.
type metadataHost struct {
	*httptest.Server
	mu      sync.Mutex
	docs    map[string]string
	fetches map[string]int
}

func newMetadataHost(t *testing.T, docs map[string]string) *metadataHost {
	t.Helper()
	m := &metadataHost{docs: docs, fetches: map[string]int{}}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.fetches[r.URL.Path]++
		doc, ok := m.docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		fmt.Fprint(w, doc)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *metadataHost) count(path string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.fetches[path]
}

// TestSwitchingMetadataURLStopsTrustingTheOldIdPAtOnce: a SAML provider
// trusts identity provider A by its metadata URL and a person signs in.
// An admin switches the URL (REST PATCH) to identity provider B, which has
// the same entity ID and another signing key, as after a key compromise or
// a move to another tenant: at once a response signed by A is refused and
// one signed by B is accepted — the copy of A's metadata cached by the
// first sign-in is not used for another hour, let alone a day. A metadata
// URL that does not answer, or answers with something that is not usable
// metadata, is refused when saved, with the error saying what to fix, and
// the provider keeps trusting B.
func TestSwitchingMetadataURLStopsTrustingTheOldIdPAtOnce(t *testing.T) {
	requireSAMLPeer(t)
	h := newHarness(t)
	admin := h.createUser("admin", true)
	_, key := h.apiKeyFor(admin, time.Time{})
	spMD := h.get("/saml/metadata", nil)
	const entityID = "https://sts.windows.net/8f3c1a2e-5b7d-4c9e-a1f0-2d6b9e4c7a13/"
	idpA, idpB := newPyIdP(t, entityID, spMD.body), newPyIdP(t, entityID, spMD.body)
	for _, idp := range []*pyIdP{idpA, idpB} {
		idp.spEntityID, idp.acsURL = h.srv.URL+"/saml/metadata", h.srv.URL+"/saml/consume"
	}
	host := newMetadataHost(t, map[string]string{
		"/a.xml":       idpA.Metadata(),
		"/b.xml":       idpB.Metadata(),
		"/garbage.xml": "<html><body>Sign in to continue</body></html>",
		"/nokey.xml":   keyDescriptors.ReplaceAllString(idpB.Metadata(), ""),
	})

	r := h.callJSON("POST", apiPrefix+"/sso_strategies", key,
		`{"protocol":"saml","provider":"azure","label":"Entra","saml_provider_metadata_url":"`+host.URL+`/a.xml",`+
			`"options":{"saml_idp_initiated":true}}`) // the sign-ins below are IdP-initiated, for brevity
	if r.status != http.StatusCreated {
		t.Fatalf("create provider: %d %s", r.status, r.body)
	}
	var created ssoStrategyJSON
	r.decode(t, &created)
	path := fmt.Sprintf("%s/sso_strategies/%d", apiPrefix, created.ID)
	method := store.AuthSSO
	if _, err := h.svc.CreateUser(h.ctx, identity.SystemActor, h.site.ID, identity.UserChange{Username: ptr("ann@contoso.example"),
		AuthenticationMethod: &method, SSOStrategyID: &created.ID, RestAPIPermission: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	signIn := func(idp *pyIdP) rawResponse {
		return h.postACS("/saml/consume", idp.Respond(assertion{NameID: "ann@contoso.example"}), "")
	}
	signedIn := func(res rawResponse) bool { return res.status == http.StatusSeeOther && sessionCookieOf(res) != nil }

	if res := signIn(idpA); !signedIn(res) {
		t.Fatalf("sign-in through A: %d %s", res.status, res.body)
	}

	r = h.callJSON("PATCH", path, key, `{"saml_provider_metadata_url":"`+host.URL+`/b.xml"}`)
	if r.status != http.StatusOK {
		t.Fatalf("switch to B: %d %s", r.status, r.body)
	}
	if host.count("/b.xml") != 1 {
		t.Fatalf("B's metadata was fetched %d times when saved, want 1", host.count("/b.xml"))
	}
	if res := signIn(idpA); signedIn(res) || res.status != http.StatusForbidden {
		t.Fatalf("A still signs people in after the switch: %d %s", res.status, res.body)
	}
	if ev := h.lastSAMLEvent(h.site.ID); ev.Status != store.EventFailure || ev.EventErrors[0] != "untrusted-certificate" {
		t.Fatalf("refusal event of A's response: %+v", ev)
	}
	if res := signIn(idpB); !signedIn(res) {
		t.Fatalf("sign-in through B after the switch: %d %s", res.status, res.body)
	}

	// URLs that give no usable trust are refused at save; B stays trusted.
	unreachable := "http://" + testpeer.FreeAddr(t) + "/federationmetadata.xml"
	for _, bad := range []struct{ url, says string }{
		{unreachable, "could not be fetched"},
		{host.URL + "/missing.xml", "HTTP 404"},
		{host.URL + "/garbage.xml", "not with usable SAML identity provider metadata"},
		{host.URL + "/nokey.xml", "signing certificate"},
	} {
		r = h.callJSON("PATCH", path, key, `{"saml_provider_metadata_url":"`+bad.url+`"}`)
		expectError(t, r, http.StatusUnprocessableEntity, identity.ErrInvalidParams.Type)
		if !strings.Contains(string(r.body), bad.says) || !strings.Contains(string(r.body), "nothing was changed") {
			t.Fatalf("refusal of %s does not say %q: %s", bad.url, bad.says, r.body)
		}
		p, err := h.svc.GetSSOStrategy(h.ctx, h.site.ID, created.ID)
		if err != nil || p.SAMLProviderMetadataURL != host.URL+"/b.xml" {
			t.Fatalf("after refusing %s the provider trusts %q (%v)", bad.url, p.SAMLProviderMetadataURL, err)
		}
	}
	if res := signIn(idpB); !signedIn(res) {
		t.Fatalf("sign-in through B after the refused changes: %d %s", res.status, res.body)
	}

	// Pasted metadata replaces the URL's cached copy the same way.
	r = h.callJSON("PATCH", path, key, `{"saml_provider_metadata_url":"","saml_provider_metadata_content":`+string(mustJSON(t, idpA.Metadata()))+`}`)
	if r.status != http.StatusOK {
		t.Fatalf("paste A's metadata: %d %s", r.status, r.body)
	}
	if res := signIn(idpB); signedIn(res) {
		t.Fatal("B signs people in after the provider was given A's metadata")
	}
	if res := signIn(idpA); !signedIn(res) {
		t.Fatalf("sign-in through A with pasted metadata: %d %s", res.status, res.body)
	}
}

// keyDescriptors matches the KeyDescriptor elements of a metadata
// document, whatever their namespace prefix: without them the identity
// provider names no signing certificate.
var keyDescriptors = regexp.MustCompile(`(?s)<(\w+:)?KeyDescriptor\b.*?</(\w+:)?KeyDescriptor>`)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOIDCIssuerCheckedWhenSaved: changing an Entra provider's tenant or
// authority reads the new issuer's discovery document and keys before the
// change is saved (REST PATCH); an issuer that does not answer with them
// is refused, saying which settings to check, and sign-in goes on with
// the old, working settings.
func TestOIDCIssuerCheckedWhenSaved(t *testing.T) {
	s := newOIDCSetup(t, false)
	admin := s.createUser("admin", true)
	_, key := s.apiKeyFor(admin, time.Time{})
	path := fmt.Sprintf("%s/sso_strategies/%d", apiPrefix, s.provider.ID)
	down := "http://" + testpeer.FreeAddr(t)
	for _, opts := range []map[string]string{
		{identity.OptionOIDCTenantID: "0b0b0b0b-0000-4000-8000-000000000b0b", identity.OptionOIDCAuthority: s.idp.BaseURL}, // another tenant
		{identity.OptionOIDCTenantID: s.idp.TenantID, identity.OptionOIDCAuthority: down},
	} {
		body := `{"options":` + string(mustJSON(t, opts)) + `}`
		r := s.callJSON("PATCH", path, key, body)
		expectError(t, r, http.StatusUnprocessableEntity, identity.ErrInvalidParams.Type)
		if !strings.Contains(string(r.body), "openid-configuration") || !strings.Contains(string(r.body), identity.OptionOIDCTenantID) ||
			!strings.Contains(string(r.body), "nothing was changed") {
			t.Fatalf("refusal of %v: %s", opts, r.body)
		}
	}
	p, err := s.svc.GetSSOStrategy(s.ctx, s.site.ID, s.provider.ID)
	if err != nil || p.Options != s.provider.Options {
		t.Fatalf("the refused settings were stored: %q (%v)", p.Options, err)
	}
	s.begin(s.provider) // the old settings still start sign-ins
}

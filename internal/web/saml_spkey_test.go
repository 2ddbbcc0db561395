package web

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSAMLSPKeySignsAndDecrypts: the site's SP key signs our
// AuthnRequests with the certificate our metadata publishes, and an
// assertion the IdP encrypts to that certificate signs in.
func TestSAMLSPKeySignsAndDecrypts(t *testing.T) {
	s := newSAMLSetup(t, false)
	s.ssoUser("erin@example.com")
	der, err := base64.StdEncoding.DecodeString(s.spCert())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}

	res := s.get("/saml/login?sso_strategy_id="+itoa(s.provider.ID), nil)
	if res.status != http.StatusFound {
		t.Fatalf("GET /saml/login: %d", res.status)
	}
	_, rawQuery, _ := strings.Cut(res.header.Get("Location"), "?")
	signed, sigParam, ok := strings.Cut(rawQuery, "&Signature=")
	if !ok || !strings.Contains(signed, "&SigAlg=") {
		t.Fatalf("the AuthnRequest is not signed: %s", rawQuery)
	}
	sig, err := base64.StdEncoding.DecodeString(unescape(t, sigParam))
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(signed))
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("the AuthnRequest's signature does not verify with our metadata's certificate: %v", err)
	}

	// The same key on every request: the metadata does not change.
	if s.spCert() != base64.StdEncoding.EncodeToString(der) {
		t.Fatal("the SP certificate changed between requests")
	}

	req, relay := s.begin()
	resp := s.idp.Respond(assertion{NameID: "erin@example.com", SAMLRequest: req, Encrypt: true})
	raw, _ := base64.StdEncoding.DecodeString(resp)
	if !strings.Contains(string(raw), "EncryptedAssertion") || strings.Contains(string(raw), "erin@example.com") {
		t.Fatal("pysaml2 did not encrypt the assertion")
	}
	s.wantSignedIn(s.postACS("/saml/consume", resp, relay), "erin@example.com")
}

func unescape(t *testing.T, s string) string {
	t.Helper()
	if i := strings.IndexByte(s, '&'); i >= 0 {
		s = s[:i]
	}
	out, err := url.QueryUnescape(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

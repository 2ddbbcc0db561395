package saml

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"
)

// samlRequestParam returns the SAMLRequest query value of a redirect URL.
func samlRequestParam(t *testing.T, redirect string) string {
	t.Helper()
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("SAMLRequest")
}

// inflate decodes an HTTP-Redirect SAMLRequest value to XML.
func inflate(t *testing.T, v string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAuthnRequestReadByIdP has pysaml2 parse our AuthnRequest.
func TestAuthnRequestReadByIdP(t *testing.T) {
	t.Parallel()
	idpKP, _, spKP := testKeys(t)
	fixed := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sp := newTestSP(t, nil, WithSigningKey(spKP.key, spKP.cert), WithNameIDFormat(NameIDFormatPersistent),
		WithClock(func() time.Time { return fixed }))
	idp := startIdP(t, idpKP, sp)

	redirect, id, err := sp.AuthnRequestURL("acme")
	if err != nil {
		t.Fatal(err)
	}
	_, id2, _ := sp.AuthnRequestURL("")
	if id == id2 || !strings.HasPrefix(id, "id") || len(id) != 34 {
		t.Fatalf("request IDs %q, %q: want fresh, 'id' + 32 hex", id, id2)
	}
	if !strings.HasPrefix(redirect, testIdPSSOURL+"?") {
		t.Fatalf("redirect %q does not go to the IdP SSO URL", redirect)
	}
	got := idp.ParseRequest(samlRequestParam(t, redirect))
	for k, want := range map[string]any{"id": id, "issuer": testSPEntityID, "acs": testACSURL,
		"destination": testIdPSSOURL, "protocol_binding": BindingPOST, "version": "2.0",
		"name_id_format": NameIDFormatPersistent} {
		if got[k] != want {
			t.Errorf("pysaml2 reads %s = %v, want %v", k, got[k], want)
		}
	}
	if x := inflate(t, samlRequestParam(t, redirect)); !strings.Contains(x, `IssueInstant="2026-03-01T12:00:00Z"`) {
		t.Errorf("IssueInstant not from the injected clock: %s", x)
	}

	// The query signature verifies with our certificate over the exact
	// bytes sent (bindings 3.4.4.1).
	u, _ := url.Parse(redirect)
	raw := u.RawQuery
	i := strings.Index(raw, "&Signature=")
	if i < 0 || u.Query().Get("SigAlg") != sigAlgRSASHA256 || u.Query().Get("RelayState") != "acme" {
		t.Fatalf("query %q lacks SigAlg/Signature/RelayState", raw)
	}
	sig, err := base64.StdEncoding.DecodeString(u.Query().Get("Signature"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(raw[:i]))
	if err := rsa.VerifyPKCS1v15(spKP.cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("query signature: %v", err)
	}
}

func TestAuthnRequestUnsigned(t *testing.T) {
	sp := newTestSP(t, nil)
	redirect, id, err := sp.AuthnRequestURL("")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(redirect)
	if u.Query().Has("Signature") || u.Query().Has("SigAlg") || u.Query().Has("RelayState") {
		t.Fatalf("unsigned request carries %q", u.RawQuery)
	}
	x := inflate(t, u.Query().Get("SAMLRequest"))
	for _, want := range []string{`ID="` + id + `"`, `AssertionConsumerServiceURL="` + testACSURL + `"`,
		"<saml:Issuer>" + testSPEntityID + "</saml:Issuer>"} {
		if !strings.Contains(x, want) {
			t.Errorf("AuthnRequest lacks %s:\n%s", want, x)
		}
	}
	if strings.Contains(x, "NameIDPolicy") || strings.Contains(x, "Subject") {
		t.Errorf("AuthnRequest has NameIDPolicy or Subject though none configured:\n%s", x)
	}
	if _, _, err := sp.AuthnRequestURL(strings.Repeat("r", MaxRelayStateSize+1)); KindOf(err) != KindConfig {
		t.Errorf("oversized RelayState: %v", err)
	}
}

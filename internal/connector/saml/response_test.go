package saml

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// newTestSP builds a ServiceProvider with our test entity ID and ACS.
// trust nil means: trust the test IdP's certificate by metadata-style trust.
func newTestSP(t *testing.T, trust *IdentityProvider, opts ...Option) *ServiceProvider {
	t.Helper()
	return newTestSPAt(t, testSPEntityID, testACSURL, trust, opts...)
}

func newTestSPAt(t *testing.T, entityID, acs string, trust *IdentityProvider, opts ...Option) *ServiceProvider {
	t.Helper()
	if trust == nil {
		idpKP, _, _ := testKeys(t)
		trust = certTrust(idpKP.cert)
	}
	// The tests parse IdP-initiated responses throughout; the default
	// (off) is tested on its own.
	sp, err := New(entityID, acs, trust, &memoryReplayCache{}, append([]Option{WithIdPInitiated(true)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func certTrust(certs ...*x509.Certificate) *IdentityProvider {
	return &IdentityProvider{EntityID: testIdPEntityID, SSOURL: testIdPSSOURL, Certificates: certs}
}

func decodeXML(t *testing.T, b64 string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func encodeXML(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// wantKind asserts that err is an *Error of kind.
func wantKind(t *testing.T, err error, kind Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want refusal %q", kind)
	}
	if KindOf(err) != kind {
		t.Fatalf("refused with %q (%v); want %q", KindOf(err), err, kind)
	}
	if !errors.Is(err, &Error{Kind: kind}) {
		t.Fatalf("errors.Is does not match kind %q", kind)
	}
}

var entraAttributes = map[string][]string{
	ClaimEntraObjectID: {"814bd554-6a00-405c-91d5-4132d39ba4fb"},
	ClaimEntraTenantID: {"5b5c94c6-14cf-42da-85bc-4e08722b253b"},
	ClaimEmailAddress:  {"alice@example.com"},
	ClaimGivenName:     {"Alice"},
	ClaimSurname:       {"Liddell"},
	ClaimName:          {"alice@example.com"},
	ClaimEntraGroups:   {"5581e43f-6096-41d4-8ffa-04e560bab39d", "07dd8a89-bf6d-4e81-8844-230b77145381"},
}

// TestSPInitiatedEntraStyle is the common case: we send an AuthnRequest, the
// IdP (pysaml2) reads it and answers with an assertion-only signature and
// Entra's claim names, like Entra's default "Sign SAML assertion".
func TestSPInitiatedEntraStyle(t *testing.T) {
	t.Parallel()
	idpKP, _, _ := testKeys(t)
	sp := newTestSP(t, nil)
	idp := startIdP(t, idpKP, sp)
	redirect, reqID, err := sp.AuthnRequestURL("acme")
	if err != nil {
		t.Fatal(err)
	}
	resp := idp.Response(issue{SAMLRequest: samlRequestParam(t, redirect), SignAssertion: true, Attributes: entraAttributes})

	a, err := sp.ParseResponse(context.Background(), resp, []string{reqID}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if a.InResponseTo != reqID || a.NameID != "alice@example.com" || a.Issuer != testIdPEntityID ||
		!a.AssertionSigned || a.ResponseSigned || a.SessionIndex == "" || a.NotOnOrAfter.IsZero() {
		t.Fatalf("assertion = %+v", a)
	}
	id := a.Identity(DefaultAttributeMap())
	want := Identity{ImmutableID: "814bd554-6a00-405c-91d5-4132d39ba4fb", Login: "alice@example.com",
		Email: "alice@example.com", GivenName: "Alice", FamilyName: "Liddell",
		Groups: []string{"5581e43f-6096-41d4-8ffa-04e560bab39d", "07dd8a89-bf6d-4e81-8844-230b77145381"}}
	if !identityEqual(id, want) {
		t.Fatalf("identity = %+v, want %+v", id, want)
	}

	// The same response a second time is a replay.
	_, err = sp.ParseResponse(context.Background(), resp, []string{reqID}, time.Now())
	wantKind(t, err, KindReplay)
}

func identityEqual(a, b Identity) bool {
	return a.ImmutableID == b.ImmutableID && a.Login == b.Login && a.Email == b.Email &&
		a.GivenName == b.GivenName && a.FamilyName == b.FamilyName && slices.Equal(a.Groups, b.Groups) &&
		a.GroupsOverage == b.GroupsOverage
}

// TestSignatureVariants accepts a signature over the Response, over the
// Assertion, or both.
func TestSignatureVariants(t *testing.T) {
	t.Parallel()
	idpKP, _, _ := testKeys(t)
	sp := newTestSP(t, nil)
	idp := startIdP(t, idpKP, sp)
	for _, tc := range []struct {
		name                   string
		signResp, signAssert   bool
		wantRespSig, wantAsSig bool
	}{
		{"response only", true, false, true, false},
		{"assertion only", false, true, false, true},
		{"both", true, true, true, true},
	} {
		resp := idp.Response(issue{InResponseTo: "id-" + strings.ReplaceAll(tc.name, " ", "-"), SignResponse: tc.signResp, SignAssertion: tc.signAssert})
		a, err := sp.ParseResponse(context.Background(), resp, []string{"id-" + strings.ReplaceAll(tc.name, " ", "-")}, time.Now())
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if a.ResponseSigned != tc.wantRespSig || a.AssertionSigned != tc.wantAsSig {
			t.Fatalf("%s: signed response=%v assertion=%v", tc.name, a.ResponseSigned, a.AssertionSigned)
		}
	}
	// Neither signed: refused.
	resp := idp.Response(issue{})
	_, err := sp.ParseResponse(context.Background(), resp, nil, time.Now())
	wantKind(t, err, KindSignature)
}

// TestInResponseTo covers IdP-initiated sign-in (allowed by default,
// refusable), an unknown request ID, and the RequestTracker.
func TestInResponseTo(t *testing.T) {
	t.Parallel()
	idpKP, _, _ := testKeys(t)
	sp := newTestSP(t, nil)
	idp := startIdP(t, idpKP, sp)
	ctx := context.Background()

	idpInitiated := idp.Response(issue{SignAssertion: true})
	a, err := sp.ParseResponse(ctx, idpInitiated, []string{"id-something-else"}, time.Now())
	if err != nil || a.InResponseTo != "" {
		t.Fatalf("IdP-initiated: %+v, %v", a, err)
	}
	strict := newTestSP(t, nil, WithIdPInitiated(false))
	_, err = strict.ParseResponse(ctx, idpInitiated, nil, time.Now())
	wantKind(t, err, KindIdPInitiated)
	if !Verified(err) {
		t.Error("a signed IdP-initiated response refused by its content must count as verified")
	}
	byDefault, err := New(testSPEntityID, testACSURL, certTrust(idpKP.cert), &memoryReplayCache{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = byDefault.ParseResponse(ctx, idpInitiated, nil, time.Now())
	wantKind(t, err, KindIdPInitiated)

	answered := idp.Response(issue{SignAssertion: true, InResponseTo: "id-we-never-sent"})
	_, err = sp.ParseResponse(ctx, answered, []string{"id-we-sent"}, time.Now())
	wantKind(t, err, KindInResponseTo)

	tracked := newTestSP(t, nil, WithRequestTracker(&memoryTracker{ids: map[string]bool{"id-we-never-sent": true}}))
	if _, err := tracked.ParseResponse(ctx, answered, nil, time.Now()); err != nil {
		t.Fatalf("tracked request: %v", err)
	}
}

// TestTimeWindow refuses responses outside NotBefore/NotOnOrAfter beyond the
// clock skew, and accepts them within it.
func TestTimeWindow(t *testing.T) {
	t.Parallel()
	idpKP, _, _ := testKeys(t)
	sp := newTestSP(t, nil)
	idp := startIdP(t, idpKP, sp)
	resp := idp.Response(issue{SignAssertion: true})
	issued := time.Now()

	_, err := sp.ParseResponse(context.Background(), resp, nil, issued.Add(2*time.Hour))
	wantKind(t, err, KindExpired)
	_, err = sp.ParseResponse(context.Background(), resp, nil, issued.Add(-time.Hour))
	wantKind(t, err, KindNotYetValid)
	// Two minutes early is within the default three-minute skew.
	if _, err := sp.ParseResponse(context.Background(), resp, nil, issued.Add(-2*time.Minute)); err != nil {
		t.Fatalf("within skew: %v", err)
	}
	noSkew := newTestSP(t, nil, WithClockSkew(0))
	_, err = noSkew.ParseResponse(context.Background(), resp, nil, issued.Add(-2*time.Minute))
	wantKind(t, err, KindNotYetValid)
}

// TestAddressing refuses a response for another issuer, audience,
// destination or recipient.
func TestAddressing(t *testing.T) {
	t.Parallel()
	idpKP, _, _ := testKeys(t)
	sp := newTestSP(t, nil)
	idp := startIdP(t, idpKP, sp)
	resp := idp.Response(issue{SignAssertion: true})
	ctx := context.Background()

	otherIssuer := &IdentityProvider{EntityID: "https://sts.windows.net/other/", SSOURL: testIdPSSOURL, Certificates: []*x509.Certificate{idpKP.cert}}
	_, err := newTestSP(t, otherIssuer).ParseResponse(ctx, resp, nil, time.Now())
	wantKind(t, err, KindIssuer)

	otherAudience := newTestSPAt(t, "https://app.example.com/saml/metadata/other", testACSURL, nil)
	_, err = otherAudience.ParseResponse(ctx, resp, nil, time.Now())
	wantKind(t, err, KindAudience)

	otherACS := newTestSPAt(t, testSPEntityID, "https://app.example.com/saml/consume/other", nil)
	_, err = otherACS.ParseResponse(ctx, resp, nil, time.Now())
	wantKind(t, err, KindDestination)

	// Destination is optional on the (here unsigned) Response; without it
	// the signed Recipient still has to match.
	noDest := strings.Replace(decodeXML(t, resp), `Destination="`+testACSURL+`"`, "", 1)
	_, err = otherACS.ParseResponse(ctx, encodeXML(noDest), nil, time.Now())
	wantKind(t, err, KindRecipient)
}

// TestTamperingAndWrapping refuses every change made after signing.
func TestTamperingAndWrapping(t *testing.T) {
	t.Parallel()
	idpKP, _, _ := testKeys(t)
	sp := newTestSP(t, nil)
	idp := startIdP(t, idpKP, sp)
	ctx := context.Background()
	resp := decodeXML(t, idp.Response(issue{SignAssertion: true}))
	signedResp := decodeXML(t, idp.Response(issue{SignResponse: true}))

	t.Run("tampered NameID", func(t *testing.T) {
		x := strings.Replace(resp, ">alice@example.com<", ">mallory@example.com<", 1)
		_, err := sp.ParseResponse(ctx, encodeXML(x), nil, time.Now())
		wantKind(t, err, KindSignature)
	})
	t.Run("tampered NameID under response signature", func(t *testing.T) {
		x := strings.Replace(signedResp, ">alice@example.com<", ">mallory@example.com<", 1)
		_, err := sp.ParseResponse(ctx, encodeXML(x), nil, time.Now())
		wantKind(t, err, KindSignature)
	})
	t.Run("signature removed", func(t *testing.T) {
		doc := mustParse(t, resp)
		sig := findAll(doc.Root(), nsDSig, "Signature")[0]
		sig.Parent().RemoveChild(sig)
		_, err := sp.ParseResponse(ctx, encodeXML(write(t, doc)), nil, time.Now())
		wantKind(t, err, KindSignature)
	})
	t.Run("second unsigned assertion", func(t *testing.T) {
		doc := mustParse(t, resp)
		signed := findAll(doc.Root(), nsAssertion, "Assertion")[0]
		doc.Root().InsertChildAt(signed.Index(), forgedCopy(signed))
		_, err := sp.ParseResponse(ctx, encodeXML(write(t, doc)), nil, time.Now())
		wantKind(t, err, KindMultipleAssertion)
	})
	t.Run("signed assertion moved into Extensions", func(t *testing.T) {
		doc := mustParse(t, resp)
		signed := findAll(doc.Root(), nsAssertion, "Assertion")[0]
		doc.Root().RemoveChild(signed)
		ext := doc.Root().CreateElement("ns0:Extensions")
		ext.AddChild(signed)
		doc.Root().AddChild(forgedCopy(signed))
		_, err := sp.ParseResponse(ctx, encodeXML(write(t, doc)), nil, time.Now())
		wantKind(t, err, KindMultipleAssertion)
	})
	t.Run("signed assertion replaced in signed response", func(t *testing.T) {
		doc := mustParse(t, signedResp)
		orig := findAll(doc.Root(), nsAssertion, "Assertion")[0]
		idx := orig.Index()
		doc.Root().RemoveChild(orig)
		doc.Root().InsertChildAt(idx, forgedCopy(orig))
		_, err := sp.ParseResponse(ctx, encodeXML(write(t, doc)), nil, time.Now())
		wantKind(t, err, KindSignature)
	})
}

// forgedCopy is el with the NameID changed and signatures removed.
func forgedCopy(el *etree.Element) *etree.Element {
	f := el.Copy() // detached: match on local names, the prefixes are declared on the Response
	for _, s := range f.FindElements(".//Signature") {
		s.Parent().RemoveChild(s)
	}
	f.FindElement(".//NameID").SetText("mallory@example.com")
	return f
}

func mustParse(t *testing.T, s string) *etree.Document {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(s); err != nil {
		t.Fatal(err)
	}
	return doc
}

func write(t *testing.T, doc *etree.Document) string {
	t.Helper()
	s, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHostileXML refuses comments, DTDs and round-trip-unsafe XML before
// any library reads the document.
func TestHostileXML(t *testing.T) {
	t.Parallel()
	idpKP, _, _ := testKeys(t)
	sp := newTestSP(t, nil)
	idp := startIdP(t, idpKP, sp)
	ctx := context.Background()
	resp := decodeXML(t, idp.Response(issue{SignAssertion: true, NameID: "user@evil.com.example.com"}))
	if _, err := newTestSP(t, nil).ParseResponse(ctx, encodeXML(resp), nil, time.Now()); err != nil {
		t.Fatalf("untouched response refused: %v", err)
	}

	comment := strings.Replace(resp, "user@evil.com.example.com", "user@evil.com<!---->.example.com", 1)
	_, err := sp.ParseResponse(ctx, encodeXML(comment), nil, time.Now())
	wantKind(t, err, KindComment)

	body := resp[strings.Index(resp, "?>")+2:]
	dtd := `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY who "alice@example.com">]>` + body
	_, err = sp.ParseResponse(ctx, encodeXML(dtd), nil, time.Now())
	wantKind(t, err, KindDTD)

	pi := `<?xml version="1.0"?><?xml-stylesheet href="x"?>` + body
	_, err = sp.ParseResponse(ctx, encodeXML(pi), nil, time.Now())
	wantKind(t, err, KindDTD)

	// The published round-trip shapes (CVE-2020-29509/29510/29511): today's
	// encoding/xml refuses them as syntax errors, so they are malformed
	// before the round-trip check has to say so.
	for _, shape := range []string{`<ns0:Status ::Value="x">`, `<ns0:Status><x::Element/>`, `<ns0:Status><ns1::Status/>`} {
		roundTrip := strings.Replace(resp, "<ns0:Status>", shape, 1)
		_, err = sp.ParseResponse(ctx, encodeXML(roundTrip), nil, time.Now())
		wantKind(t, err, KindMalformed)
	}
}

// TestMalformedInput refuses garbage, oversized input and IdP errors.
func TestMalformedInput(t *testing.T) {
	t.Parallel()
	sp := newTestSP(t, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		input string
		kind  Kind
	}{
		{"not base64", "%%%not base64%%%", KindMalformed},
		{"not XML", encodeXML("hello"), KindMalformed},
		{"empty", "", KindMalformed},
		{"other root", encodeXML(`<x xmlns="urn:oasis:names:tc:SAML:2.0:protocol"/>`), KindMalformed},
		{"oversized", encodeXML("<r>" + strings.Repeat("a", DefaultMaxResponseSize) + "</r>"), KindTooLarge},
		{"no assertion", encodeXML(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>`), KindMissingAssertion},
		// Entra's documented error response.
		{"status", encodeXML(`<samlp:Response ID="_f0961a83-d071-4be5-a18c-9ae7b22987a4" Version="2.0" IssueInstant="2013-03-18T08:49:24.405Z" InResponseTo="iddce91f96e56747b5ace6d2e2aa9d4f8c" xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">
  <Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/aaaabbbb-0000-cccc-1111-dddd2222eeee/</Issuer>
  <samlp:Status>
    <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester">
      <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported" />
    </samlp:StatusCode>
    <samlp:StatusMessage>AADSTS75006: An error occurred while processing a SAML2 Authentication request.</samlp:StatusMessage>
  </samlp:Status>
</samlp:Response>`), KindStatus},
	} {
		_, err := sp.ParseResponse(ctx, tc.input, nil, time.Now())
		if KindOf(err) != tc.kind {
			t.Errorf("%s: got %v, want kind %q", tc.name, err, tc.kind)
		}
		if tc.kind == KindStatus && !strings.Contains(err.Error(), "AADSTS75006") {
			t.Errorf("status error %q does not carry the IdP's message", err)
		}
	}
}

// TestUntrustedSigner refuses a response signed by a certificate we do not
// trust, and applies the SHA-1 policy.
func TestUntrustedSigner(t *testing.T) {
	t.Parallel()
	idpKP, otherKP, _ := testKeys(t)
	sp := newTestSP(t, nil)
	idp := startIdP(t, idpKP, sp)
	ctx := context.Background()
	resp := idp.Response(issue{SignAssertion: true})

	_, err := newTestSP(t, certTrust(otherKP.cert)).ParseResponse(ctx, resp, nil, time.Now())
	wantKind(t, err, KindUntrustedCert)

	sha1 := idp.Response(issue{SignAssertion: true, SHA1: true})
	_, err = sp.ParseResponse(ctx, sha1, nil, time.Now())
	wantKind(t, err, KindAlgorithm)
	if _, err := newTestSP(t, nil, WithSHA1()).ParseResponse(ctx, sha1, nil, time.Now()); err != nil {
		t.Fatalf("SHA-1 with WithSHA1: %v", err)
	}
}

// TestFingerprintTrust trusts the KeyInfo certificate only when its SHA-256
// matches, in every spelling an administrator may paste.
func TestFingerprintTrust(t *testing.T) {
	t.Parallel()
	idpKP, otherKP, _ := testKeys(t)
	sp := newTestSP(t, nil)
	idp := startIdP(t, idpKP, sp)
	resp := idp.Response(issue{SignAssertion: true})
	colon := FingerprintOf(idpKP.cert)
	bare := strings.ReplaceAll(colon, ":", "")
	for _, spelling := range []string{
		"SHA256 Fingerprint=" + colon,
		"sha256 Fingerprint=" + strings.ToLower(colon),
		colon,
		strings.ToLower(colon),
		bare,
		strings.ToLower(bare),
		"  " + bare + "\n",
	} {
		trust, err := ManualTrust(spelling, testIdPEntityID, testIdPSSOURL, "")
		if err != nil {
			t.Fatalf("%q: %v", spelling, err)
		}
		if _, err := newTestSP(t, trust).ParseResponse(context.Background(), resp, nil, time.Now()); err != nil {
			t.Fatalf("fingerprint %q: %v", spelling, err)
		}
	}
	wrong, err := ManualTrust(FingerprintOf(otherKP.cert), testIdPEntityID, testIdPSSOURL, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = newTestSP(t, wrong).ParseResponse(context.Background(), resp, nil, time.Now())
	wantKind(t, err, KindUntrustedCert)
}

// TestEncryptedAssertion decrypts with our key, and refuses without one.
func TestEncryptedAssertion(t *testing.T) {
	t.Parallel()
	idpKP, _, spKP := testKeys(t)
	sp := newTestSP(t, nil, WithSigningKey(spKP.key, spKP.cert))
	idp := startIdP(t, idpKP, sp)
	resp := idp.Response(issue{SignAssertion: true, Encrypt: true, Attributes: entraAttributes})
	if !strings.Contains(decodeXML(t, resp), "EncryptedAssertion") {
		t.Fatal("pysaml2 did not encrypt the assertion")
	}
	a, err := sp.ParseResponse(context.Background(), resp, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if a.NameID != "alice@example.com" || !a.AssertionSigned {
		t.Fatalf("assertion = %+v", a)
	}
	_, err = newTestSP(t, nil).ParseResponse(context.Background(), resp, nil, time.Now())
	wantKind(t, err, KindDecryption)
}

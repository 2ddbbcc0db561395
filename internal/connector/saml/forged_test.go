package saml

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// forgedCase is one hostile response: genuine pysaml2 output altered after
// signing, and the check that has to refuse it.
type forgedCase struct {
	name string
	kind Kind
	// parse runs the attack and returns ParseResponse's answer.
	parse func(t *testing.T) (*Assertion, error)
}

// TestForgedResponses is the forged-response corpus: every case is a real
// signed response from pysaml2, changed the way a published attack changes
// it, and each must be refused with the Kind that names the failed check.
// The XSW cases follow the signature-wrapping catalogue of "On Breaking
// SAML" (Somorovsky et al., 2012) as implemented by SAML Raider.
func TestForgedResponses(t *testing.T) {
	t.Parallel()
	idpKP, otherKP, _ := testKeys(t)
	sp := newTestSP(t, nil)
	idp := startIdP(t, idpKP, sp)
	stranger := startIdP(t, otherKP, sp)

	signedAssertion := decodeXML(t, idp.Response(issue{SignAssertion: true}))
	signedResponse := decodeXML(t, idp.Response(issue{SignResponse: true}))
	unsigned := idp.Response(issue{})
	strangerSigned := stranger.Response(issue{SignAssertion: true})
	longName := decodeXML(t, idp.Response(issue{SignAssertion: true, NameID: "alice@example.com.evil.test"}))
	unknownRequest := idp.Response(issue{SignAssertion: true, InResponseTo: "id-never-sent"})
	sha1 := idp.Response(issue{SignAssertion: true, SHA1: true})
	issued := time.Now()

	// parseWith runs a fresh service provider (own replay cache) on xml.
	parseAt := func(s *ServiceProvider, xml string, now time.Time, requestIDs ...string) func(*testing.T) (*Assertion, error) {
		return func(*testing.T) (*Assertion, error) {
			return s.ParseResponse(context.Background(), encodeXML(xml), requestIDs, now)
		}
	}
	parseWith := func(s *ServiceProvider, xml string, requestIDs ...string) func(*testing.T) (*Assertion, error) {
		return parseAt(s, xml, issued, requestIDs...)
	}
	fresh := func() *ServiceProvider { return newTestSP(t, nil) }
	parse := func(xml string) func(*testing.T) (*Assertion, error) { return parseWith(fresh(), xml) }
	// mutate parses src, applies change and parses the result.
	mutate := func(src string, change func(t *testing.T, doc *etree.Document)) func(*testing.T) (*Assertion, error) {
		return func(t *testing.T) (*Assertion, error) {
			doc := mustParse(t, src)
			change(t, doc)
			return parse(write(t, doc))(t)
		}
	}
	body := signedAssertion[strings.Index(signedAssertion, "?>")+2:]

	cases := []forgedCase{
		{"unsigned", KindSignature, parse(decodeXML(t, unsigned))},
		{"signature removed", KindSignature, mutate(signedAssertion, func(t *testing.T, doc *etree.Document) {
			sig := assertionOf(t, doc).SelectElement("Signature")
			sig.Parent().RemoveChild(sig)
		})},
		{"signed by an unknown key", KindUntrustedCert, parse(decodeXML(t, strangerSigned))},
		{"KeyInfo certificate swapped for a trusted one", KindSignature, mutate(decodeXML(t, strangerSigned), func(t *testing.T, doc *etree.Document) {
			assertionOf(t, doc).FindElement(".//X509Certificate").SetText(base64.StdEncoding.EncodeToString(idpKP.cert.Raw))
		})},
		{"tampered NameID after signing", KindSignature, parse(strings.Replace(signedAssertion, ">alice@example.com<", ">mallory@example.com<", 1))},
		{"tampered NameID under response signature", KindSignature, parse(strings.Replace(signedResponse, ">alice@example.com<", ">mallory@example.com<", 1))},
		{"tampered audience after signing", KindSignature, parse(strings.Replace(signedAssertion, ">"+testSPEntityID+"<", ">https://evil.test/sp<", 1))},
		{"empty SignatureValue", KindSignature, mutate(signedAssertion, func(t *testing.T, doc *etree.Document) {
			assertionOf(t, doc).FindElement(".//SignatureValue").SetText("")
		})},
		{"XSW1", KindMultipleAssertion, mutate(signedResponse, xsw1)},
		{"XSW2", KindMultipleAssertion, mutate(signedResponse, xsw2)},
		{"XSW3", KindMultipleAssertion, mutate(signedAssertion, xsw3)},
		{"XSW4", KindMultipleAssertion, mutate(signedAssertion, xsw4)},
		{"XSW5", KindMultipleAssertion, mutate(signedAssertion, xsw5)},
		{"XSW6", KindMultipleAssertion, mutate(signedAssertion, xsw6)},
		{"XSW7", KindMultipleAssertion, mutate(signedAssertion, xsw7)},
		{"XSW8", KindMultipleAssertion, mutate(signedAssertion, xsw8)},
		{"two genuinely signed assertions", KindMultipleAssertion, mutate(signedAssertion, func(t *testing.T, doc *etree.Document) {
			other := assertionOf(t, mustParse(t, longName))
			doc.Root().AddChild(other.Copy())
		})},
		{"comment in NameID", KindComment, func(t *testing.T) (*Assertion, error) {
			x := strings.Replace(longName, "alice@example.com.evil.test", "alice@example.com<!---->.evil.test", 1)
			a, err := parse(x)(t)
			if a != nil {
				t.Errorf("accepted as NameID %q: a comment shortened the signed name", a.NameID)
			}
			return a, err
		}},
		{"expired", KindExpired, parseAt(fresh(), signedAssertion, issued.Add(2*time.Hour))},
		{"not yet valid", KindNotYetValid, parseAt(fresh(), signedAssertion, issued.Add(-time.Hour))},
		{"wrong audience", KindAudience, parseWith(newTestSPAt(t, "https://app.example.com/saml/metadata/other", testACSURL, nil), signedAssertion)},
		{"wrong destination", KindDestination, parseWith(newTestSPAt(t, testSPEntityID, "https://app.example.com/saml/consume/other", nil), signedAssertion)},
		{"wrong recipient", KindRecipient, parseWith(newTestSPAt(t, testSPEntityID, "https://app.example.com/saml/consume/other", nil),
			strings.Replace(signedAssertion, `Destination="`+testACSURL+`"`, "", 1))},
		{"wrong issuer", KindIssuer, parseWith(newTestSP(t, &IdentityProvider{EntityID: "https://sts.windows.net/other/", SSOURL: testIdPSSOURL, Certificates: []*x509.Certificate{idpKP.cert}}), signedAssertion)},
		{"unknown InResponseTo", KindInResponseTo, parseWith(fresh(), decodeXML(t, unknownRequest), "id-we-sent")},
		{"IdP-initiated refused", KindIdPInitiated, parseWith(newTestSP(t, nil, WithIdPInitiated(false)), signedAssertion)},
		{"replayed", KindReplay, func(t *testing.T) (*Assertion, error) {
			s := fresh()
			if _, err := parseWith(s, signedAssertion)(t); err != nil {
				t.Fatalf("first use refused: %v", err)
			}
			return parseWith(s, signedAssertion)(t)
		}},
		{"DTD with external entity", KindDTD, parse(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
			strings.Replace(body, ">alice@example.com<", ">&xxe;<", 1))},
		{"entity expansion (billion laughs)", KindDTD, parse(billionLaughs + strings.Replace(body, ">alice@example.com<", ">&lol9;<", 1))},
		{"processing instruction", KindDTD, parse(`<?xml version="1.0"?><?xml-stylesheet href="https://evil.test/x"?>` + body)},
		{"HMAC signature keyed with the certificate's public key", KindAlgorithm, mutate(signedAssertion, func(t *testing.T, doc *etree.Document) {
			resignHMAC(t, assertionOf(t, doc), idpKP.cert.RawSubjectPublicKeyInfo)
		})},
		{"SHA-1 signature", KindAlgorithm, parse(decodeXML(t, sha1))},
		{"Reference URI points at the Response", KindSignature, mutate(signedAssertion, func(t *testing.T, doc *etree.Document) {
			ref := assertionOf(t, doc).FindElement(".//Reference")
			ref.CreateAttr("URI", "#"+doc.Root().SelectAttrValue("ID", ""))
		})},
		{"Reference URI empty (whole document)", KindSignature, mutate(signedAssertion, func(t *testing.T, doc *etree.Document) {
			assertionOf(t, doc).FindElement(".//Reference").CreateAttr("URI", "")
		})},
		// Today's encoding/xml refuses the published round-trip shapes
		// (CVE-2020-29511 here) as syntax errors, before the round-trip
		// check sees them.
		{"XML round trip (colon-prefixed element)", KindMalformed, parse(strings.Replace(signedAssertion, "<ns0:Status>", "<ns0:Status><ns1::Status/>", 1))},
		{"oversized", KindTooLarge, parse("<r>" + strings.Repeat("a", DefaultMaxResponseSize) + "</r>")},
		{"not SAML", KindMalformed, parse(`<html><body>hello</body></html>`)},
	}
	if len(cases) < 25 {
		t.Fatalf("corpus has %d cases, want at least 25", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := tc.parse(t)
			if a != nil {
				t.Fatalf("accepted a forged response: %+v", a)
			}
			wantKind(t, err, tc.kind)
		})
	}
}

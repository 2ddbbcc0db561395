package saml

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// The XML signature wrapping attacks XSW1–XSW8 as catalogued in "On
// Breaking SAML" and built by SAML Raider. Each takes a genuine signed
// response and arranges a forged assertion (NameID mallory@example.com) so
// that a verifier which checks the signature on one element but reads the
// user from another would accept it. XSW1 and XSW2 need a signed Response;
// the others a signed Assertion.

// xsw1: a cloned, unsigned Response carrying the forged assertion becomes
// the root; the original signature stays, and the original signed Response
// moves into that signature's Object.
func xsw1(t *testing.T, doc *etree.Document) {
	orig, sig := detachResponseSignature(t, doc)
	evil := forgedResponse(t, orig)
	doc.SetRoot(evil)
	dsObject(sig).AddChild(orig)
	evil.InsertChildAt(issuerIndex(evil)+1, sig)
}

// xsw2: as xsw1, but the original Response sits beside its signature
// (a detached signature) instead of inside it.
func xsw2(t *testing.T, doc *etree.Document) {
	orig, sig := detachResponseSignature(t, doc)
	evil := forgedResponse(t, orig)
	doc.SetRoot(evil)
	at := issuerIndex(evil) + 1
	evil.InsertChildAt(at, orig)
	evil.InsertChildAt(at+1, sig)
}

// xsw3: an unsigned forged assertion is inserted before the signed one.
func xsw3(t *testing.T, doc *etree.Document) {
	signed := assertionOf(t, doc)
	doc.Root().InsertChildAt(signed.Index(), forgedCopy(signed))
}

// xsw4: the forged assertion takes the signed one's place and wraps it.
func xsw4(t *testing.T, doc *etree.Document) {
	signed := assertionOf(t, doc)
	evil := forgedCopy(signed)
	doc.Root().InsertChildAt(signed.Index(), evil)
	evil.AddChild(signed)
}

// xsw5: the forged assertion carries the original signature; the original
// assertion, its signature removed, is appended to the Response.
func xsw5(t *testing.T, doc *etree.Document) {
	signed := assertionOf(t, doc)
	evil := withSignature(signed)
	idx := signed.Index()
	doc.Root().RemoveChild(signed)
	removeSignature(signed)
	doc.Root().InsertChildAt(idx, evil)
	doc.Root().AddChild(signed)
}

// xsw6: the forged assertion carries the original signature, and the
// original signed assertion is nested in that signature's Object.
func xsw6(t *testing.T, doc *etree.Document) {
	signed := assertionOf(t, doc)
	evil := withSignature(signed)
	idx := signed.Index()
	doc.Root().RemoveChild(signed)
	doc.Root().InsertChildAt(idx, evil)
	dsObject(evil.SelectElement("Signature")).AddChild(signed)
}

// xsw7: an Extensions element holding the unsigned forged assertion is
// inserted into the Response; the signed assertion stays where it was.
func xsw7(t *testing.T, doc *etree.Document) {
	signed := assertionOf(t, doc)
	root := doc.Root()
	ext := etree.NewElement(root.Space + ":Extensions")
	ext.AddChild(forgedCopy(signed))
	root.InsertChildAt(issuerIndex(root)+1, ext)
}

// xsw8: the forged assertion carries the original signature, whose Object
// holds the original assertion without its signature.
func xsw8(t *testing.T, doc *etree.Document) {
	signed := assertionOf(t, doc)
	evil := withSignature(signed)
	idx := signed.Index()
	doc.Root().RemoveChild(signed)
	removeSignature(signed)
	doc.Root().InsertChildAt(idx, evil)
	dsObject(evil.SelectElement("Signature")).AddChild(signed)
}

// assertionOf returns the Response's assertion.
func assertionOf(t *testing.T, doc *etree.Document) *etree.Element {
	t.Helper()
	a := doc.Root().SelectElement("Assertion")
	if a == nil {
		t.Fatal("response has no Assertion")
	}
	return a
}

// withSignature is a copy of the signed assertion, signature kept, with the
// NameID changed and a new ID.
func withSignature(signed *etree.Element) *etree.Element {
	evil := signed.Copy()
	evil.FindElement(".//NameID").SetText("mallory@example.com")
	evil.CreateAttr("ID", "_evil-assertion")
	return evil
}

func removeSignature(el *etree.Element) {
	if sig := el.SelectElement("Signature"); sig != nil {
		el.RemoveChild(sig)
	}
}

// detachResponseSignature removes and returns the Response's signature.
func detachResponseSignature(t *testing.T, doc *etree.Document) (orig, sig *etree.Element) {
	t.Helper()
	orig = doc.Root()
	sig = orig.SelectElement("Signature")
	if sig == nil {
		t.Fatal("response is not signed")
	}
	orig.RemoveChild(sig)
	return orig, sig
}

// forgedResponse is an unsigned copy of orig with another ID and a forged
// assertion.
func forgedResponse(t *testing.T, orig *etree.Element) *etree.Element {
	t.Helper()
	evil := orig.Copy()
	evil.CreateAttr("ID", "_evil-response")
	a := evil.SelectElement("Assertion")
	if a == nil {
		t.Fatal("response has no Assertion")
	}
	a.FindElement(".//NameID").SetText("mallory@example.com")
	return evil
}

// dsObject returns a new ds:Object appended to sig.
func dsObject(sig *etree.Element) *etree.Element {
	name := "Object"
	if sig.Space != "" {
		name = sig.Space + ":Object"
	}
	return sig.CreateElement(name)
}

func issuerIndex(resp *etree.Element) int {
	if iss := resp.SelectElement("Issuer"); iss != nil {
		return iss.Index()
	}
	return -1
}

// resignHMAC turns the assertion's signature into an HMAC-SHA256 one keyed
// with secret (the attack where a verifier takes the algorithm from the
// document and uses the public key as the HMAC key), computed correctly
// over the canonical SignedInfo.
func resignHMAC(t *testing.T, assertion *etree.Element, secret []byte) {
	t.Helper()
	sig := assertion.SelectElement("Signature")
	si := sig.SelectElement("SignedInfo")
	si.SelectElement("SignatureMethod").CreateAttr("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256")
	nsCtx, err := etreeutils.NSBuildParentContext(si)
	if err != nil {
		t.Fatal(err)
	}
	detached, err := etreeutils.NSDetatch(nsCtx, si)
	if err != nil {
		t.Fatal(err)
	}
	canonical, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(detached)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(canonical)
	sig.SelectElement("SignatureValue").SetText(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

// billionLaughs declares entities that expand to a billion "lol"s.
const billionLaughs = `<?xml version="1.0"?><!DOCTYPE r [
<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>`

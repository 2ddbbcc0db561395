package saml

import (
	"crypto/tls"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	"github.com/russellhaering/gosaml2/types"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// Signature and digest algorithm identifiers.
const (
	algRSASHA1     = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	algRSASHA256   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	algRSASHA384   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	algRSASHA512   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	algECDSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	algECDSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
	algECDSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
	digestSHA1     = "http://www.w3.org/2000/09/xmldsig#sha1"
	digestSHA256   = "http://www.w3.org/2001/04/xmlenc#sha256"
	digestSHA384   = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	digestSHA512   = "http://www.w3.org/2001/04/xmlenc#sha512"
)

const statusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"

// checkShape looks at the unverified document before any signature is
// checked. It can only refuse, never accept, so reading unverified values
// here is safe: the root must be a Response; a non-Success status is
// reported with the IdP's own code and message (Entra's AADSTS text); there
// must be exactly one Assertion or EncryptedAssertion in the whole document,
// directly under the Response, so a signed assertion cannot be moved aside
// while a forged one takes its place; and every signature must use an
// accepted algorithm — including any inside an encrypted assertion.
//
// It reports whether the assertion carries its own signature, which gosaml2
// verifies without saying so when the Response is signed too.
func (sp *ServiceProvider) checkShape(doc *etree.Document) (assertionSigned bool, err error) {
	root := doc.Root()
	if !is(root, nsProtocol, "Response") {
		return false, fail(KindMalformed, "root element is %q, want samlp:Response", root.Tag)
	}
	if err := checkStatus(root); err != nil {
		return false, err
	}
	plain := findAll(root, nsAssertion, "Assertion")
	encrypted := findAll(root, nsAssertion, "EncryptedAssertion")
	switch n := len(plain) + len(encrypted); {
	case n == 0:
		return false, fail(KindMissingAssertion, "response has no assertion")
	case n > 1:
		return false, fail(KindMultipleAssertion, "response has %d assertions", n)
	}
	if err := sp.checkAlgorithms(root); err != nil {
		return false, err
	}
	if len(plain) == 1 {
		if plain[0].Parent() != root {
			return false, fail(KindMultipleAssertion, "assertion is not a direct child of the Response")
		}
		return child(plain[0], nsDSig, "Signature") != nil, nil
	}
	if encrypted[0].Parent() != root {
		return false, fail(KindMultipleAssertion, "encrypted assertion is not a direct child of the Response")
	}
	return sp.checkEncrypted(encrypted[0])
}

// checkStatus refuses a response whose top-level StatusCode is not Success.
func checkStatus(root *etree.Element) error {
	st := child(root, nsProtocol, "Status")
	code := child(st, nsProtocol, "StatusCode")
	if code == nil {
		return fail(KindStatus, "response has no StatusCode")
	}
	value := code.SelectAttrValue("Value", "")
	if value == statusSuccess {
		return nil
	}
	detail := value
	if sub := child(code, nsProtocol, "StatusCode"); sub != nil {
		detail += " / " + sub.SelectAttrValue("Value", "")
	}
	if msg := child(st, nsProtocol, "StatusMessage"); msg != nil {
		text := strings.Join(strings.Fields(msg.Text()), " ")
		if len(text) > 300 {
			text = text[:300] + "…"
		}
		detail += ": " + text
	}
	return fail(KindStatus, "identity provider returned %s", detail)
}

// checkAlgorithms refuses any signature below root whose SignatureMethod or
// DigestMethod is not accepted. SHA-1 is accepted only with WithSHA1.
func (sp *ServiceProvider) checkAlgorithms(root *etree.Element) error {
	signing := map[string]bool{algRSASHA256: true, algRSASHA384: true, algRSASHA512: true,
		algECDSASHA256: true, algECDSASHA384: true, algECDSASHA512: true, algRSASHA1: sp.allowSHA1}
	digest := map[string]bool{digestSHA256: true, digestSHA384: true, digestSHA512: true, digestSHA1: sp.allowSHA1}
	for _, sig := range findAll(root, nsDSig, "Signature") {
		for _, m := range findAll(sig, nsDSig, "SignatureMethod") {
			if alg := m.SelectAttrValue("Algorithm", ""); !signing[alg] {
				return fail(KindAlgorithm, "signature method %q is not accepted", alg)
			}
		}
		for _, m := range findAll(sig, nsDSig, "DigestMethod") {
			if alg := m.SelectAttrValue("Algorithm", ""); !digest[alg] {
				return fail(KindAlgorithm, "digest method %q is not accepted", alg)
			}
		}
	}
	return nil
}

// checkEncrypted decrypts a copy of an encrypted assertion so that the
// assertion inside passes the same XML gate and algorithm checks as a plain
// one; gosaml2 then decrypts it again for verification.
func (sp *ServiceProvider) checkEncrypted(el *etree.Element) (assertionSigned bool, err error) {
	if sp.key == nil {
		return false, fail(KindDecryption, "assertion is encrypted but no service provider key is configured")
	}
	nsCtx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return false, wrap(KindMalformed, err, "encrypted assertion namespaces")
	}
	detached, err := etreeutils.NSDetatch(nsCtx, el)
	if err != nil {
		return false, wrap(KindMalformed, err, "encrypted assertion namespaces")
	}
	d := etree.NewDocument()
	d.SetRoot(detached)
	b, err := d.WriteToBytes()
	if err != nil {
		return false, wrap(KindMalformed, err, "encrypted assertion")
	}
	var ea types.EncryptedAssertion
	if err := xml.Unmarshal(b, &ea); err != nil {
		return false, wrap(KindMalformed, err, "encrypted assertion")
	}
	plain, err := decryptSafely(&ea, &tls.Certificate{Certificate: [][]byte{sp.cert.Raw}, PrivateKey: sp.key})
	if err != nil {
		return false, wrap(KindDecryption, err, "decrypt assertion")
	}
	inner, err := parseChecked(plain, false)
	if err != nil {
		return false, err
	}
	if !is(inner.Root(), nsAssertion, "Assertion") || len(findAll(inner.Root(), nsAssertion, "Assertion")) != 1 {
		return false, fail(KindMultipleAssertion, "encrypted data is not exactly one Assertion")
	}
	return child(inner.Root(), nsDSig, "Signature") != nil, sp.checkAlgorithms(inner.Root())
}

// decryptSafely turns a panic in the decryption code (a malformed cipher
// text once crashed gosaml2, GHSA-hwqm-qvj9-4jr2) into an error.
func decryptSafely(ea *types.EncryptedAssertion, cert *tls.Certificate) (plain []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decryption panicked: %v", r)
		}
	}()
	return ea.DecryptBytes(cert)
}

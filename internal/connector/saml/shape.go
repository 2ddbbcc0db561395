package saml

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	"github.com/russellhaering/gosaml2/types"
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
// An encrypted assertion is opened, checked and verified by verify.
func (sp *ServiceProvider) checkShape(doc *etree.Document) error {
	root := doc.Root()
	if !is(root, nsProtocol, "Response") {
		return fail(KindMalformed, "root element is %q, want samlp:Response", root.Tag)
	}
	if err := checkStatus(root); err != nil {
		return err
	}
	plain := findAll(root, nsAssertion, "Assertion")
	encrypted := findAll(root, nsAssertion, "EncryptedAssertion")
	switch n := len(plain) + len(encrypted); {
	case n == 0:
		return fail(KindMissingAssertion, "response has no assertion")
	case n > 1:
		return fail(KindMultipleAssertion, "response has %d assertions", n)
	}
	if err := sp.checkAlgorithms(root); err != nil {
		return err
	}
	for _, el := range append(plain, encrypted...) {
		if el.Parent() != root {
			return fail(KindMultipleAssertion, "assertion is not a direct child of the Response")
		}
	}
	if len(encrypted) == 1 && sp.key == nil {
		return fail(KindDecryption, "assertion is encrypted but no service provider key is configured")
	}
	return nil
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

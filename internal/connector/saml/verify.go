package saml

import (
	"crypto/tls"
	"encoding/xml"
	"errors"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/russellhaering/gosaml2/types"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// verified is a response after its signatures were checked: the elements
// every later check reads, each taken from bytes goxmldsig verified (the
// Response only when it was signed itself).
type verified struct {
	// response is the verified Response when it was signed, else the
	// unverified root, from which only refusals are drawn.
	response        *etree.Element
	assertion       *etree.Element // always verified, by its own or the Response's signature
	responseSigned  bool
	assertionSigned bool
}

// verify checks the signatures of a document that passed the XML gate and
// checkShape, and returns the verified elements. goxmldsig does the
// cryptography — canonicalisation, the Reference to the signed element's
// own ID, digest and signature — and hands back the signed element as it
// re-read it from the canonical bytes; nothing after this reads the
// unverified tree for a value that admits anyone.
//
// The document is parsed once and verified in place. A Response is treated
// as signed only when a ds:Signature is its direct child, where the schema
// puts it; a signature anywhere else then does not count for the Response,
// which can only refuse more, never accept more.
func (sp *ServiceProvider) verify(doc *etree.Document, now time.Time) (*verified, error) {
	vc := dsig.NewDefaultValidationContext(sp.idp.trustedCertificates(doc))
	// goxmldsig checks the certificate's validity period against this
	// clock, lenient by exactly the skew.
	vc.Clock = dsig.NewFakeClockAt(now.Add(-sp.skew))

	v := &verified{response: doc.Root()}
	if child(v.response, nsDSig, "Signature") != nil {
		el, err := vc.Validate(v.response)
		if err != nil {
			return nil, classify(err)
		}
		v.response, v.responseSigned = el, true
	}

	as, err := sp.assertionOf(v.response)
	if err != nil {
		return nil, err
	}
	if child(as, nsDSig, "Signature") == nil {
		if !v.responseSigned {
			return nil, fail(KindSignature, "neither the response nor the assertion is signed")
		}
		v.assertion = as
		return v, nil
	}
	// An assertion's own signature is verified even inside a signed
	// Response, so that its content cannot be swapped within the envelope.
	detached, err := detach(as)
	if err != nil {
		return nil, err
	}
	el, err := vc.Validate(detached)
	if err != nil {
		return nil, classify(err)
	}
	v.assertion, v.assertionSigned = el, true
	return v, nil
}

// assertionOf returns the Response's one assertion, decrypting an
// EncryptedAssertion first. checkShape has made sure there is exactly one,
// directly under the Response; a signed Response is checked again here
// because its verified copy is a different tree.
func (sp *ServiceProvider) assertionOf(response *etree.Element) (*etree.Element, error) {
	var plain, encrypted []*etree.Element
	for _, c := range response.ChildElements() {
		switch {
		case is(c, nsAssertion, "Assertion"):
			plain = append(plain, c)
		case is(c, nsAssertion, "EncryptedAssertion"):
			encrypted = append(encrypted, c)
		}
	}
	switch {
	case len(plain)+len(encrypted) == 0:
		return nil, fail(KindMissingAssertion, "the verified response has no assertion")
	case len(plain)+len(encrypted) > 1:
		return nil, fail(KindMultipleAssertion, "the verified response has %d assertions", len(plain)+len(encrypted))
	case len(plain) == 1:
		return plain[0], nil
	}
	return sp.decrypt(encrypted[0])
}

// decrypt opens an EncryptedAssertion with our key. The plaintext passes
// the same XML gate and algorithm checks as a plain assertion before it is
// verified.
func (sp *ServiceProvider) decrypt(el *etree.Element) (*etree.Element, error) {
	if sp.key == nil {
		return nil, fail(KindDecryption, "assertion is encrypted but no service provider key is configured")
	}
	detached, err := detach(el)
	if err != nil {
		return nil, err
	}
	d := etree.NewDocument()
	d.SetRoot(detached)
	b, err := d.WriteToBytes()
	if err != nil {
		return nil, wrap(KindMalformed, err, "encrypted assertion")
	}
	var ea types.EncryptedAssertion
	if err := xml.Unmarshal(b, &ea); err != nil {
		return nil, wrap(KindMalformed, err, "encrypted assertion")
	}
	plain, err := decryptSafely(&ea, &tls.Certificate{Certificate: [][]byte{sp.cert.Raw}, PrivateKey: sp.key})
	if err != nil {
		return nil, wrap(KindDecryption, err, "decrypt assertion")
	}
	if len(plain) > sp.maxResponseSize {
		return nil, fail(KindTooLarge, "decrypted assertion is %d bytes, limit %d", len(plain), sp.maxResponseSize)
	}
	inner, err := parseChecked(plain, false)
	if err != nil {
		return nil, err
	}
	root := inner.Root()
	if !is(root, nsAssertion, "Assertion") || len(findAll(root, nsAssertion, "Assertion")) != 1 ||
		len(findAll(root, nsAssertion, "EncryptedAssertion")) != 0 {
		return nil, fail(KindMultipleAssertion, "encrypted data is not exactly one Assertion")
	}
	if err := sp.checkAlgorithms(root); err != nil {
		return nil, err
	}
	return root, nil
}

// detach copies el out of its document with the namespace declarations it
// inherits, so it can be verified or decrypted on its own.
func detach(el *etree.Element) (*etree.Element, error) {
	if el.Parent() == nil {
		return el, nil
	}
	nsCtx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, wrap(KindMalformed, err, "namespaces of <%s>", el.Tag)
	}
	detached, err := etreeutils.NSDetatch(nsCtx, el)
	if err != nil {
		return nil, wrap(KindMalformed, err, "namespaces of <%s>", el.Tag)
	}
	return detached, nil
}

// classify turns a goxmldsig error into our Kind. goxmldsig returns few
// typed errors, so the rest is matched on its messages; tests pin each
// mapping to a real response.
func classify(err error) error {
	if errors.Is(err, dsig.ErrMissingSignature) {
		return wrap(KindSignature, err, "not signed")
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Could not verify certificate against trusted certs"),
		strings.Contains(msg, "Cert is not valid at this time"),
		strings.Contains(msg, "Missing x509 Element"),
		strings.Contains(msg, "missing X509Certificate within KeyInfo"),
		strings.Contains(msg, "Failed to parse certificate"):
		return wrap(KindUntrustedCert, err, "")
	}
	return wrap(KindSignature, err, "")
}

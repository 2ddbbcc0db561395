package saml

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
	saml2 "github.com/russellhaering/gosaml2"
	"github.com/russellhaering/gosaml2/types"
	dsig "github.com/russellhaering/goxmldsig"
)

// Assertion is what a verified response says about the user. Every field
// was read from bytes whose signature was verified.
type Assertion struct {
	ID           string // the assertion ID, remembered in the ReplayCache
	Issuer       string
	NameID       string
	NameIDFormat string
	SessionIndex string // for single logout
	// Attributes maps attribute Name to its values; every attribute may be
	// multi-valued (Entra's groups and authnmethodsreferences are).
	Attributes map[string][]string
	// NotOnOrAfter is when the assertion stops being valid.
	NotOnOrAfter time.Time
	// SessionNotOnOrAfter is the IdP's cap on our session; zero when absent.
	SessionNotOnOrAfter time.Time
	AuthnInstant        time.Time // zero when absent
	InResponseTo        string    // empty for an IdP-initiated sign-in
	ResponseSigned      bool      // the whole Response was signed
	AssertionSigned     bool      // the Assertion itself was signed
}

// ParseResponse verifies a base64 SAMLResponse posted to our ACS and returns
// its assertion, or an *Error whose Kind names the check that failed.
//
// requestIDs are the AuthnRequest IDs this browser is waiting for (from its
// pre-login session); a response to any other request is refused unless the
// RequestTracker knows it. A response that answers no request is accepted
// only while IdP-initiated sign-in is allowed. now is the verification time.
//
// The order of checks: size; XML gate (DTD, comments, round trip); shape
// (exactly one assertion, where it belongs); status; algorithms; signature
// and trust (gosaml2 and goxmldsig, which hand back the verified bytes);
// issuer, destination, recipient, audience, time, InResponseTo on the
// verified values; and last the replay cache, so a refused response does not
// use up its ID.
func (sp *ServiceProvider) ParseResponse(ctx context.Context, samlResponse string, requestIDs []string, now time.Time) (*Assertion, error) {
	encoded := strings.Join(strings.Fields(samlResponse), "")
	if len(encoded) > base64.StdEncoding.EncodedLen(sp.maxResponseSize) {
		return nil, fail(KindTooLarge, "SAMLResponse is %d base64 characters, limit %d decoded bytes", len(encoded), sp.maxResponseSize)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, wrap(KindMalformed, err, "SAMLResponse is not base64")
	}
	if len(raw) > sp.maxResponseSize {
		return nil, fail(KindTooLarge, "SAMLResponse is %d bytes, limit %d", len(raw), sp.maxResponseSize)
	}
	doc, err := parseChecked(raw, false)
	if err != nil {
		return nil, err
	}
	assertionSigned, err := sp.checkShape(doc)
	if err != nil {
		return nil, err
	}

	resp, err := sp.library(doc, now).ValidateEncodedResponse(encoded)
	if err != nil {
		return nil, classify(err)
	}
	a, err := sp.checkVerified(resp, now)
	if err != nil {
		return nil, err
	}
	// With a signed Response gosaml2 verifies an assertion's own signature
	// too but leaves its SignatureValidated flag unset.
	a.AssertionSigned = a.AssertionSigned || (resp.SignatureValidated && assertionSigned)
	if err := sp.checkInResponseTo(ctx, resp, a, requestIDs); err != nil {
		return nil, err
	}
	until := a.NotOnOrAfter
	if scd := resp.Assertions[0].Subject.SubjectConfirmation.SubjectConfirmationData; scd != nil {
		if t, err := time.Parse(time.RFC3339, scd.NotOnOrAfter); err == nil && t.After(until) {
			until = t
		}
	}
	first, err := sp.replay.Remember(ctx, a.ID, until.Add(sp.skew))
	if err != nil {
		return nil, wrap(KindInternal, err, "replay cache")
	}
	if !first {
		return nil, fail(KindReplay, "assertion %q was already used", a.ID)
	}
	return a, nil
}

// library configures gosaml2 for one verification. Its clock runs skew
// behind now, which makes its own SubjectConfirmationData expiry check and
// goxmldsig's certificate validity check lenient by exactly the skew; the
// strict time checks are ours (checkVerified). gosaml2 reports NotBefore and
// audience problems only as warnings, which is why checkVerified repeats
// every condition itself and treats each failure as an error.
func (sp *ServiceProvider) library(doc *etree.Document, now time.Time) *saml2.SAMLServiceProvider {
	lib := &saml2.SAMLServiceProvider{
		IdentityProviderSSOURL:      sp.idp.SSOURL,
		IdentityProviderIssuer:      sp.idp.EntityID,
		AssertionConsumerServiceURL: sp.acsURL,
		ServiceProviderIssuer:       sp.entityID,
		AudienceURI:                 sp.entityID,
		IDPCertificateStore:         sp.idp.trustedCertificates(doc),
		Clock:                       dsig.NewFakeClockAt(now.Add(-sp.skew)),
		MaximumDecompressedBodySize: int64(sp.maxResponseSize),
	}
	if sp.key != nil {
		// gosaml2 v0.12 decrypts only with SPKeyStore (documented as
		// deprecated); its SetSPKeyStore replacement is not consulted by
		// decryptAssertions.
		lib.SPKeyStore = dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{sp.cert.Raw}, PrivateKey: sp.key})
	}
	return lib
}

// checkVerified checks the verified response's single assertion against our
// configuration and returns it as an Assertion.
func (sp *ServiceProvider) checkVerified(resp *types.Response, now time.Time) (*Assertion, error) {
	switch len(resp.Assertions) {
	case 0:
		return nil, fail(KindMissingAssertion, "no verified assertion")
	case 1:
	default:
		return nil, fail(KindMultipleAssertion, "%d verified assertions", len(resp.Assertions))
	}
	as := resp.Assertions[0]
	if !resp.SignatureValidated && !as.SignatureValidated {
		return nil, fail(KindSignature, "neither the response nor the assertion is signed")
	}
	if as.Issuer == nil || strings.TrimSpace(as.Issuer.Value) != sp.idp.EntityID {
		got := ""
		if as.Issuer != nil {
			got = as.Issuer.Value
		}
		return nil, fail(KindIssuer, "assertion issuer %q, want %q", got, sp.idp.EntityID)
	}
	c := as.Conditions
	if c == nil || len(c.AudienceRestrictions) == 0 {
		return nil, fail(KindAudience, "assertion has no AudienceRestriction")
	}
	for _, ar := range c.AudienceRestrictions {
		if !slices.ContainsFunc(ar.Audiences, func(a types.Audience) bool { return strings.TrimSpace(a.Value) == sp.entityID }) {
			return nil, fail(KindAudience, "audience restriction does not name %q", sp.entityID)
		}
	}
	if c.NotBefore != "" {
		nb, err := time.Parse(time.RFC3339, c.NotBefore)
		if err != nil {
			return nil, wrap(KindMalformed, err, "Conditions/@NotBefore")
		}
		if now.Add(sp.skew).Before(nb) {
			return nil, fail(KindNotYetValid, "NotBefore %s is after %s plus %s skew", c.NotBefore, now.UTC().Format(time.RFC3339), sp.skew)
		}
	}
	if c.NotOnOrAfter == "" {
		return nil, fail(KindExpired, "assertion has no Conditions/@NotOnOrAfter")
	}
	noa, err := time.Parse(time.RFC3339, c.NotOnOrAfter)
	if err != nil {
		return nil, wrap(KindMalformed, err, "Conditions/@NotOnOrAfter")
	}
	if !now.Add(-sp.skew).Before(noa) {
		return nil, fail(KindExpired, "NotOnOrAfter %s is before %s minus %s skew", c.NotOnOrAfter, now.UTC().Format(time.RFC3339), sp.skew)
	}
	if as.Subject == nil || as.Subject.NameID == nil || strings.TrimSpace(as.Subject.NameID.Value) == "" {
		return nil, fail(KindSubject, "assertion has no NameID")
	}
	sc := as.Subject.SubjectConfirmation
	if sc == nil || sc.Method != saml2.SubjMethodBearer || sc.SubjectConfirmationData == nil {
		return nil, fail(KindSubject, "assertion has no bearer SubjectConfirmationData")
	}
	if sc.SubjectConfirmationData.Recipient != sp.acsURL {
		return nil, fail(KindRecipient, "Recipient %q, want %q", sc.SubjectConfirmationData.Recipient, sp.acsURL)
	}
	scdNOA, err := time.Parse(time.RFC3339, sc.SubjectConfirmationData.NotOnOrAfter)
	if err != nil {
		return nil, wrap(KindExpired, err, "SubjectConfirmationData/@NotOnOrAfter")
	}
	if !now.Add(-sp.skew).Before(scdNOA) {
		return nil, fail(KindExpired, "SubjectConfirmationData NotOnOrAfter %s has passed", sc.SubjectConfirmationData.NotOnOrAfter)
	}
	if as.ID == "" {
		return nil, fail(KindMalformed, "assertion has no ID")
	}
	a := &Assertion{
		ID:              as.ID,
		Issuer:          strings.TrimSpace(as.Issuer.Value),
		NameID:          strings.TrimSpace(as.Subject.NameID.Value),
		NameIDFormat:    as.Subject.NameID.Format,
		Attributes:      map[string][]string{},
		NotOnOrAfter:    noa,
		ResponseSigned:  resp.SignatureValidated,
		AssertionSigned: as.SignatureValidated,
	}
	if st := as.AuthnStatement; st != nil {
		a.SessionIndex = st.SessionIndex
		if st.AuthnInstant != nil {
			a.AuthnInstant = *st.AuthnInstant
		}
		if st.SessionNotOnOrAfter != nil {
			a.SessionNotOnOrAfter = *st.SessionNotOnOrAfter
		}
	}
	if as.AttributeStatement != nil {
		for _, attr := range as.AttributeStatement.Attributes {
			for _, v := range attr.Values {
				val := v.Value
				if v.NameID != nil {
					val = v.NameID.Value
				}
				a.Attributes[attr.Name] = append(a.Attributes[attr.Name], strings.TrimSpace(val))
			}
		}
	}
	return a, nil
}

// checkInResponseTo accepts a response to one of requestIDs or to a request
// the tracker knows, or — when allowed — an IdP-initiated one. The verified
// SubjectConfirmationData's InResponseTo is authoritative; the Response's
// own attribute counts only when the Response itself was signed.
func (sp *ServiceProvider) checkInResponseTo(ctx context.Context, resp *types.Response, a *Assertion, requestIDs []string) error {
	scdIRT := resp.Assertions[0].Subject.SubjectConfirmation.SubjectConfirmationData.InResponseTo
	irt := scdIRT
	if resp.InResponseTo != "" && scdIRT != "" && resp.InResponseTo != scdIRT {
		return fail(KindInResponseTo, "Response answers %q but its assertion answers %q", resp.InResponseTo, scdIRT)
	}
	if irt == "" && resp.SignatureValidated {
		irt = resp.InResponseTo
	}
	a.InResponseTo = irt
	if irt == "" {
		if !sp.allowIdPInitiated {
			return fail(KindInResponseTo, "IdP-initiated sign-in is not allowed for this provider")
		}
		return nil
	}
	if slices.Contains(requestIDs, irt) {
		return nil
	}
	if sp.tracker != nil {
		known, err := sp.tracker.Consume(ctx, irt)
		if err != nil {
			return wrap(KindInternal, err, "request tracker")
		}
		if known {
			return nil
		}
	}
	return fail(KindInResponseTo, "response answers request %q, which this browser did not send", irt)
}

// classify turns a gosaml2 or goxmldsig error into our Kind. The libraries
// return few typed errors, so the rest is matched on their messages; tests
// pin each mapping to a real response.
func classify(err error) error {
	var iv saml2.ErrInvalidValue
	if errors.As(err, &iv) {
		switch iv.Key {
		case saml2.DestinationAttr:
			return wrap(KindDestination, err, "")
		case saml2.IssuerTag:
			return wrap(KindIssuer, err, "")
		case saml2.RecipientAttr:
			return wrap(KindRecipient, err, "")
		case saml2.NotOnOrAfterAttr:
			return wrap(KindExpired, err, "")
		case saml2.StatusCodeTag:
			return wrap(KindStatus, err, "")
		case saml2.SubjectConfirmationTag:
			return wrap(KindSubject, err, "")
		}
		return wrap(KindMalformed, err, "")
	}
	var me saml2.ErrMissingElement
	if errors.As(err, &me) {
		switch me.Tag {
		case saml2.AssertionTag:
			return wrap(KindMissingAssertion, err, "")
		case saml2.IssuerTag:
			return wrap(KindIssuer, err, "")
		case saml2.StatusTag, saml2.StatusCodeTag:
			return wrap(KindStatus, err, "")
		case saml2.SubjectTag, saml2.SubjectConfirmationTag, saml2.SubjectConfirmationDataTag:
			return wrap(KindSubject, err, "")
		}
		return wrap(KindMalformed, err, "")
	}
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
	case strings.Contains(msg, "decrypt"), strings.Contains(msg, "decryption"):
		return wrap(KindDecryption, err, "")
	case strings.Contains(msg, "too many XML tokens"), strings.Contains(msg, "exceeds maximum size"):
		return wrap(KindTooLarge, err, "")
	case strings.Contains(msg, "unexpected parent element"):
		return wrap(KindMultipleAssertion, err, "assertion outside the Response")
	}
	return wrap(KindSignature, err, "")
}

package saml

import (
	"context"
	"encoding/base64"
	"strings"
	"time"
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
// and trust (goxmldsig, which hands back the verified elements; see
// verify); destination, issuer, recipient, audience, time, InResponseTo on
// the verified values (checkVerified); and last the replay cache, so a refused response does not
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
	if err := sp.checkShape(doc); err != nil {
		return nil, err
	}
	v, err := sp.verify(doc, now)
	if err != nil {
		return nil, err
	}
	a, err := sp.checkSigned(ctx, v, requestIDs, now)
	if err != nil {
		return nil, verifiedError{err}
	}
	return a, nil
}

// checkSigned is ParseResponse's part after the signature verified.
func (sp *ServiceProvider) checkSigned(ctx context.Context, v *verified, requestIDs []string, now time.Time) (*Assertion, error) {
	a, until, err := sp.checkVerified(v, now)
	if err != nil {
		return nil, err
	}
	if err := sp.checkInResponseTo(ctx, v, a, requestIDs); err != nil {
		return nil, err
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

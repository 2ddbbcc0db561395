package samllogin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// CheckSite names a SAML sign-in refused because its RelayState or host
// names no site; the other checks besides saml.Kind are the sign-in
// core's (signin.Check*).
const CheckSite = "site"

// refusal is signin.Refusal for SAML sign-in and logout.
func refusal(check string, err error, format string, args ...any) *signin.LoginError {
	return signin.Refusal(check, err, samlRefusal, format, args...)
}

// samlRefusal reads a *saml.Error.
func samlRefusal(err error) (signin.ConnectorRefusal, bool) {
	var se *saml.Error
	if !errors.As(err, &se) {
		return signin.ConnectorRefusal{}, false
	}
	cr := signin.ConnectorRefusal{Check: string(se.Kind), Advice: samlAdvice(se)}
	if se.Err != nil {
		cr.Cause = se.Err.Error()
	}
	switch se.Kind {
	case saml.KindMalformed, saml.KindTooLarge, saml.KindRoundTrip, saml.KindDTD, saml.KindComment:
		cr.Status = http.StatusBadRequest
	case saml.KindInternal, saml.KindFetch, saml.KindConfig, saml.KindMetadata:
		cr.Status = http.StatusServiceUnavailable
	}
	return cr, true
}

// samlAdvice says what to check for a failed SAML check.
func samlAdvice(e *saml.Error) string {
	hint := map[saml.Kind]string{
		saml.KindSignature:     "the response is not signed by the identity provider, or its signature does not verify",
		saml.KindUntrustedCert: "the identity provider signed with a certificate this provider does not trust: compare the certificate or fingerprint configured in Gatehouse with the IdP's current signing certificate",
		saml.KindIssuer:        "the response comes from another identity provider than the one configured (check the issuer / Entra Identifier)",
		saml.KindAudience:      "the response is meant for another application: the Identifier (Entity ID) in the identity provider must equal this provider's saml_sp_entity_id",
		saml.KindDestination:   "the response was sent to another address: the Reply URL in the identity provider must equal this provider's saml_sp_acs_url",
		saml.KindRecipient:     "the response was sent to another address: the Reply URL in the identity provider must equal this provider's saml_sp_acs_url",
		saml.KindExpired:       "the response has expired: sign in again, and check that the server clocks are right",
		saml.KindNotYetValid:   "the response is not valid yet: check that the server clocks are right",
		saml.KindInResponseTo:  "the response answers a sign-in this server did not start or already finished: start again from the sign-in page",
		saml.KindReplay:        "this response was already used: start again from the sign-in page",
		saml.KindStatus:        "the identity provider reported that the sign-in failed",
		saml.KindFetch:         "the identity provider's metadata URL could not be read",
		saml.KindMetadata:      "the identity provider's metadata cannot be used",
		saml.KindConfig:        "the provider's settings cannot be used; a site admin can fix them",
		saml.KindInternal:      "the server could not check the identity provider's message",
	}[e.Kind]
	if hint == "" {
		hint = "the identity provider's response was refused"
	}
	if e.Detail != "" {
		hint += " (" + signin.Clip(e.Detail, 300) + ")"
	}
	return hint
}

// kindOf is the check name of err.
func kindOf(err error) saml.Kind {
	if k := saml.KindOf(err); k != "" {
		return k
	}
	return saml.KindInternal
}

func label(p store.SSOStrategy) string {
	if p.Label != "" {
		return p.Label
	}
	if p.Provider != "" {
		return p.Provider
	}
	return fmt.Sprintf("provider %d", p.ID)
}

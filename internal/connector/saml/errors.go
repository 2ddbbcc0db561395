package saml

import (
	"errors"

	"github.com/gatehouse/gatehouse/internal/connector/check"
)

// Kind names which check refused a SAML message. The string is stable: the
// web front end records it in the SSO event and an administrator reads it to
// learn what to fix on the identity provider's side.
type Kind string

// The checks a response, metadata document or logout message can fail.
const (
	KindMalformed         Kind = "malformed"     // not base64, not XML, not SAML
	KindTooLarge          Kind = "too-large"     // over the size limit before parsing
	KindRoundTrip         Kind = "xml-roundtrip" // XML that encoding/xml would not read back identically
	KindDTD               Kind = "xml-dtd"       // a DOCTYPE, entity declaration or processing instruction
	KindComment           Kind = "xml-comment"   // a comment, which signatures do not cover
	KindSignature         Kind = "signature"     // missing or invalid signature
	KindUntrustedCert     Kind = "untrusted-certificate"
	KindAlgorithm         Kind = "algorithm"           // a signature or digest algorithm we do not accept
	KindIssuer            Kind = "issuer"              // not the configured identity provider
	KindAudience          Kind = "audience"            // not addressed to our entity ID
	KindDestination       Kind = "destination"         // Response/@Destination is not our ACS URL
	KindRecipient         Kind = "recipient"           // SubjectConfirmationData/@Recipient is not our ACS URL
	KindNotYetValid       Kind = "not-yet-valid"       // NotBefore is in the future beyond the clock skew
	KindExpired           Kind = "expired"             // NotOnOrAfter has passed beyond the clock skew
	KindInResponseTo      Kind = "in-response-to"      // answers a request we did not send
	KindIdPInitiated      Kind = "idp-initiated"       // answers no request, and the provider accepts only answers to its own
	KindStatus            Kind = "status"              // the identity provider reported a failure
	KindReplay            Kind = "replay"              // this assertion was already used
	KindMissingAssertion  Kind = "missing-assertion"   // no assertion at all
	KindMultipleAssertion Kind = "multiple-assertions" // more than one assertion: a wrapping attempt
	KindSubject           Kind = "subject"             // no usable NameID or bearer confirmation
	KindDecryption        Kind = "decryption"          // an encrypted assertion we cannot decrypt
	KindMetadata          Kind = "metadata"            // unusable identity provider metadata
	KindFetch             Kind = "metadata-fetch"      // the metadata URL could not be read
	KindConfig            Kind = "config"              // the service provider itself is misconfigured
	KindInternal          Kind = "internal"            // a store behind ReplayCache or RequestTracker failed
)

// Error is the error every check in this package returns. Compare with
// errors.Is against the Err* values below, which match on Kind alone, or
// read Kind with KindOf.
type Error = check.Error[Kind]

// Connector names this package in error messages.
func (Kind) Connector() string { return "saml" }

// Sentinel values for errors.Is, one per Kind.
var (
	ErrMalformed          = &Error{Kind: KindMalformed}
	ErrTooLarge           = &Error{Kind: KindTooLarge}
	ErrRoundTrip          = &Error{Kind: KindRoundTrip}
	ErrDTD                = &Error{Kind: KindDTD}
	ErrComment            = &Error{Kind: KindComment}
	ErrSignature          = &Error{Kind: KindSignature}
	ErrUntrustedCert      = &Error{Kind: KindUntrustedCert}
	ErrAlgorithm          = &Error{Kind: KindAlgorithm}
	ErrIssuer             = &Error{Kind: KindIssuer}
	ErrAudience           = &Error{Kind: KindAudience}
	ErrDestination        = &Error{Kind: KindDestination}
	ErrRecipient          = &Error{Kind: KindRecipient}
	ErrNotYetValid        = &Error{Kind: KindNotYetValid}
	ErrExpired            = &Error{Kind: KindExpired}
	ErrInResponseTo       = &Error{Kind: KindInResponseTo}
	ErrIdPInitiated       = &Error{Kind: KindIdPInitiated}
	ErrStatus             = &Error{Kind: KindStatus}
	ErrReplay             = &Error{Kind: KindReplay}
	ErrMissingAssertion   = &Error{Kind: KindMissingAssertion}
	ErrMultipleAssertions = &Error{Kind: KindMultipleAssertion}
	ErrSubject            = &Error{Kind: KindSubject}
	ErrDecryption         = &Error{Kind: KindDecryption}
	ErrMetadata           = &Error{Kind: KindMetadata}
	ErrFetch              = &Error{Kind: KindFetch}
	ErrConfig             = &Error{Kind: KindConfig}
	ErrInternal           = &Error{Kind: KindInternal}
)

// fail and wrap build an *Error, with a formatted detail and around a
// library error.
var (
	fail = check.Fail[Kind]
	wrap = check.Wrap[Kind]
)

// KindOf returns the Kind of err, or "" when err is not from this package.
func KindOf(err error) Kind { return check.KindOf[Kind](err) }

// verifiedError marks the refusal of a message whose signature verified.
type verifiedError struct{ err error }

func (e verifiedError) Error() string { return e.err.Error() }
func (e verifiedError) Unwrap() error { return e.err }

// Verified reports whether err refused a response that carried a valid
// signature of the trusted identity provider, so that only its content
// (audience, times, the request it answers, a replay) was refused. A
// refusal before that — unreadable, unsigned, forged — proves nothing
// about who sent the message; front ends use the difference to keep a
// flood of made-up messages from filling their logs.
func Verified(err error) bool {
	var v verifiedError
	return errors.As(err, &v)
}

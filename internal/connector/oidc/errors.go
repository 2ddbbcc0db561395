package oidc

import "github.com/gatehouse/gatehouse/internal/connector/check"

// Kind names which check refused a sign-in. The string is stable: the sign-in
// flow records it in the SSO event, and an administrator reads it to learn
// what to fix on the provider's side or in the provider settings.
type Kind string

// The checks an OpenID Connect sign-in can fail.
const (
	KindConfig        Kind = "config"         // the provider settings are incomplete or unusable
	KindDiscovery     Kind = "discovery"      // the discovery document could not be read or does not fit
	KindKeys          Kind = "keys"           // the provider's JWKS could not be read or holds no usable key
	KindMalformed     Kind = "malformed"      // not a JWT, not JSON, a claim of the wrong type, or oversized
	KindAlgorithm     Kind = "algorithm"      // an algorithm outside the allow-list: none, HMAC, ...
	KindUnknownKey    Kind = "unknown-key"    // signed with a kid the provider's JWKS does not hold
	KindSignature     Kind = "signature"      // the signature does not verify with the provider's key
	KindIssuer        Kind = "issuer"         // iss is not exactly the configured issuer
	KindTenant        Kind = "tenant"         // Entra: tid is not the configured tenant
	KindAudience      Kind = "audience"       // aud does not name our client id (or azp names another)
	KindExpired       Kind = "expired"        // exp has passed beyond the clock skew
	KindNotYetValid   Kind = "not-yet-valid"  // nbf or iat lies in the future beyond the clock skew
	KindNonce         Kind = "nonce"          // nonce missing or not the one this sign-in sent
	KindSubject       Kind = "subject"        // no sub (or no oid for Entra): nobody to sign in
	KindState         Kind = "state"          // unknown, used or forged state (raised by the sign-in flow)
	KindCode          Kind = "code"           // the provider refused the code: used twice, expired or not ours
	KindProviderError Kind = "provider-error" // the provider answered error= (on the callback or the token endpoint)
	KindTokenEndpoint Kind = "token-endpoint" // the token endpoint could not be reached or answered nonsense
)

// Error is the error every check in this package returns. Compare with
// errors.Is against the Err* values below, which match on Kind alone, or
// read Kind with KindOf.
type Error = check.Error[Kind]

// Connector names this package in error messages.
func (Kind) Connector() string { return "oidc" }

// Sentinel values for errors.Is, one per Kind.
var (
	ErrConfig        = &Error{Kind: KindConfig}
	ErrDiscovery     = &Error{Kind: KindDiscovery}
	ErrKeys          = &Error{Kind: KindKeys}
	ErrMalformed     = &Error{Kind: KindMalformed}
	ErrAlgorithm     = &Error{Kind: KindAlgorithm}
	ErrUnknownKey    = &Error{Kind: KindUnknownKey}
	ErrSignature     = &Error{Kind: KindSignature}
	ErrIssuer        = &Error{Kind: KindIssuer}
	ErrTenant        = &Error{Kind: KindTenant}
	ErrAudience      = &Error{Kind: KindAudience}
	ErrExpired       = &Error{Kind: KindExpired}
	ErrNotYetValid   = &Error{Kind: KindNotYetValid}
	ErrNonce         = &Error{Kind: KindNonce}
	ErrSubject       = &Error{Kind: KindSubject}
	ErrState         = &Error{Kind: KindState}
	ErrCode          = &Error{Kind: KindCode}
	ErrProviderError = &Error{Kind: KindProviderError}
	ErrTokenEndpoint = &Error{Kind: KindTokenEndpoint}
)

// fail and wrap build an *Error, with a formatted detail and around a
// library or network error.
var (
	fail = check.Fail[Kind]
	wrap = check.Wrap[Kind]
)

// KindOf returns the Kind of err, or "" when err is not from this package.
func KindOf(err error) Kind { return check.KindOf[Kind](err) }

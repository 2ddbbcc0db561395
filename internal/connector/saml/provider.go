// Package saml is Gatehouse's SAML 2.0 service provider connector. It turns
// an identity provider's signed response into a provider-neutral Assertion
// and refuses, with a typed *Error naming the failed check, anything that is
// not exactly what a trusted identity provider signed for us.
//
// The package knows nothing of the store, sessions or users: what it needs
// from outside — remembering used assertion IDs, knowing which AuthnRequests
// were sent, fetching metadata — comes in through small interfaces, and the
// web front end, the store and the provisioning engine are wired to it by the
// application.
package saml

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"time"
)

// Defaults and limits.
const (
	// DefaultClockSkew is the allowance between our clock and the IdP's.
	DefaultClockSkew = 3 * time.Minute
	// MaxClockSkew is the largest allowance WithClockSkew accepts.
	MaxClockSkew = 3 * time.Minute
	// DefaultMaxResponseSize bounds a decoded SAMLResponse before parsing.
	// Entra's responses are a few KiB; 150 group GUIDs add about 10 KiB.
	DefaultMaxResponseSize = 256 << 10
)

// NameID formats an AuthnRequest may ask for — the four Entra accepts.
const (
	NameIDFormatPersistent   = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	NameIDFormatEmailAddress = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDFormatUnspecified  = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	NameIDFormatTransient    = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
)

// ReplayCache remembers assertion IDs so a captured response cannot be posted
// twice. Remember records id until the given time and reports whether this
// was the first time it was seen. It must be shared by every node that
// accepts responses (the store's implementation is), and a cache per
// identity provider keeps one IdP from occupying another's IDs.
type ReplayCache interface {
	Remember(ctx context.Context, assertionID string, until time.Time) (firstTime bool, err error)
}

// RequestTracker knows the AuthnRequest IDs we issued and not yet used.
// Consume reports whether requestID was issued and marks it used. It is an
// alternative to passing the browser's own request IDs to ParseResponse.
type RequestTracker interface {
	Consume(ctx context.Context, requestID string) (known bool, err error)
}

// ServiceProvider is our side of one SAML trust relationship: our entity ID
// and Assertion Consumer Service URL, and the identity provider we trust.
// It is safe for concurrent use; build a new one when the trust changes
// (for instance after a metadata refresh).
type ServiceProvider struct {
	entityID string
	acsURL   string
	sloURL   string
	idp      *IdentityProvider
	replay   ReplayCache

	tracker           RequestTracker
	key               *rsa.PrivateKey
	cert              *x509.Certificate
	skew              time.Duration
	allowSHA1         bool
	allowIdPInitiated bool
	maxResponseSize   int
	nameIDFormat      string
	forceAuthn        bool
	now               func() time.Time
}

// Option configures a ServiceProvider.
type Option func(*ServiceProvider) error

// New builds a ServiceProvider. entityID is our SAML entity ID, by
// convention the URL of our metadata (…/saml/metadata[/{provider}]); acsURL
// is where the IdP posts responses (…/saml/consume[/{provider}]); replay is
// mandatory because accepting a response twice is never safe.
func New(entityID, acsURL string, idp *IdentityProvider, replay ReplayCache, opts ...Option) (*ServiceProvider, error) {
	sp := &ServiceProvider{
		entityID: entityID, acsURL: acsURL, idp: idp, replay: replay,
		skew: DefaultClockSkew, maxResponseSize: DefaultMaxResponseSize,
		now: time.Now,
	}
	if entityID == "" {
		return nil, fail(KindConfig, "service provider entity ID is empty")
	}
	if err := checkAbsoluteURL("ACS URL", acsURL); err != nil {
		return nil, err
	}
	if idp == nil {
		return nil, fail(KindConfig, "no identity provider")
	}
	if err := idp.validate(); err != nil {
		return nil, err
	}
	if replay == nil {
		return nil, fail(KindConfig, "no replay cache")
	}
	for _, opt := range opts {
		if err := opt(sp); err != nil {
			return nil, err
		}
	}
	return sp, nil
}

// WithSigningKey sets our key pair: AuthnRequests and LogoutRequests are
// then signed, the certificate is published in our metadata for signing
// and encryption, and encrypted assertions are decrypted with the key.
func WithSigningKey(key *rsa.PrivateKey, cert *x509.Certificate) Option {
	return func(sp *ServiceProvider) error {
		if key == nil || cert == nil {
			return fail(KindConfig, "signing key and certificate must both be set")
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok || !pub.Equal(&key.PublicKey) {
			return fail(KindConfig, "certificate does not match the signing key")
		}
		sp.key, sp.cert = key, cert
		return nil
	}
}

// WithClockSkew sets the clock allowance, at most MaxClockSkew.
func WithClockSkew(d time.Duration) Option {
	return func(sp *ServiceProvider) error {
		if d < 0 || d > MaxClockSkew {
			return fail(KindConfig, "clock skew %s outside 0..%s", d, MaxClockSkew)
		}
		sp.skew = d
		return nil
	}
}

// WithSHA1 accepts RSA-SHA1 signatures and SHA-1 digests, for identity
// providers configured that way (Entra offers it). Off by default.
func WithSHA1() Option {
	return func(sp *ServiceProvider) error { sp.allowSHA1 = true; return nil }
}

// WithIdPInitiated sets whether responses that answer no AuthnRequest (sign-in
// started from the IdP's app portal) are accepted. Off by default: such a
// response is tied to no request, and so to no browser, and whoever holds
// one can sign any browser in with it (login CSRF).
func WithIdPInitiated(allow bool) Option {
	return func(sp *ServiceProvider) error { sp.allowIdPInitiated = allow; return nil }
}

// WithRequestTracker makes ParseResponse also accept an InResponseTo that
// the tracker knows, besides the request IDs passed to it.
func WithRequestTracker(t RequestTracker) Option {
	return func(sp *ServiceProvider) error { sp.tracker = t; return nil }
}

// WithSLOURL sets our single logout endpoint (…/saml/logout[/{provider}]),
// published in our metadata.
func WithSLOURL(u string) Option {
	return func(sp *ServiceProvider) error {
		if err := checkAbsoluteURL("SP SLO URL", u); err != nil {
			return err
		}
		sp.sloURL = u
		return nil
	}
}

// WithMaxResponseSize overrides DefaultMaxResponseSize, for IdPs that send
// very large attribute sets.
func WithMaxResponseSize(n int) Option {
	return func(sp *ServiceProvider) error {
		if n < 1024 {
			return fail(KindConfig, "maximum response size %d is too small", n)
		}
		sp.maxResponseSize = n
		return nil
	}
}

// WithNameIDFormat asks the IdP for a NameID format in every AuthnRequest.
func WithNameIDFormat(format string) Option {
	return func(sp *ServiceProvider) error {
		switch format {
		case NameIDFormatPersistent, NameIDFormatEmailAddress, NameIDFormatUnspecified, NameIDFormatTransient:
			sp.nameIDFormat = format
			return nil
		}
		return fail(KindConfig, "NameID format %q is not one of the four standard ones", format)
	}
}

// WithForceAuthn asks the IdP to authenticate the user afresh.
func WithForceAuthn() Option {
	return func(sp *ServiceProvider) error { sp.forceAuthn = true; return nil }
}

// WithClock sets the clock AuthnRequests and LogoutRequests are stamped with.
func WithClock(now func() time.Time) Option {
	return func(sp *ServiceProvider) error { sp.now = now; return nil }
}

// EntityID returns our entity ID.
func (sp *ServiceProvider) EntityID() string { return sp.entityID }

// IdentityProvider returns the trusted identity provider.
func (sp *ServiceProvider) IdentityProvider() *IdentityProvider { return sp.idp }

package samllogin

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/backoff"
	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// trustedIdP returns the identity provider a SAML provider trusts, from
// the first of its three sources that is set: the metadata URL (through
// the cached copy, fetched now when there is none yet), pasted metadata,
// or the values an administrator typed (fingerprint, issuer, SSO URL).
func (s *Service) trustedIdP(ctx context.Context, p store.SSOStrategy) (*saml.IdentityProvider, error) {
	switch {
	case p.SAMLProviderMetadataURL != "":
		// Only a copy of the current URL counts: the copy of a URL the
		// provider had before is another identity provider's.
		m, ok, err := s.cachedMetadata(ctx, p)
		if err == nil && (!ok || m.Raw == "") {
			if err := s.fetchMissingMetadata(ctx, p, m); err != nil {
				return nil, err
			}
			m, ok, err = s.cachedMetadata(ctx, p)
			if err == nil && (!ok || m.Raw == "") {
				return nil, &saml.Error{Kind: saml.KindFetch, Detail: "the provider's metadata URL changed during the sign-in; start again"}
			}
		}
		if err != nil {
			return nil, &saml.Error{Kind: saml.KindInternal, Detail: "reading cached metadata", Err: err}
		}
		return saml.ParseMetadata([]byte(m.Raw), p.SAMLProviderIssuerURL)
	case p.SAMLProviderMetadataContent != "":
		return saml.ParseMetadata([]byte(p.SAMLProviderMetadataContent), p.SAMLProviderIssuerURL)
	default:
		return saml.ManualTrust(p.SAMLProviderCertFingerprint, p.SAMLProviderIssuerURL,
			p.SAMLProviderSSOTargetURL, p.SAMLProviderSLOTargetURL)
	}
}

// fetchMissingMetadata fetches the metadata of a provider that has no
// copy of it yet, for a sign-in. Anyone can start one, so a failing URL is
// not fetched again on every request: after a failure the next tries wait
// as backoff.Default says, counted in the store so every node waits, and
// of the sign-ins arriving together one fetches while the others wait for
// its result. A sign-in answered without a fetch gets a
// *backoff.WaitingError, and leaves no event or alert of its own.
func (s *Service) fetchMissingMetadata(ctx context.Context, p store.SSOStrategy, m store.SSOMetadata) error {
	now := s.now()
	if m.Failures > 0 {
		if until := m.LastErrorAt.Add(backoff.Default().After(m.Failures)); now.Before(until) {
			return &backoff.WaitingError{Until: until, Failures: m.Failures,
				Last: &saml.Error{Kind: saml.KindFetch, Detail: "the last fetch failed: " + m.LastError}}
		}
	}
	key := strconv.FormatInt(p.ID, 10) + " " + p.SAMLProviderMetadataURL
	// The fetch serves every waiting sign-in: the first one's client
	// hanging up must not cut it short (FetchMetadata bounds it).
	return s.fetches.Do(key, now, func() error { return s.RefreshMetadata(context.WithoutCancel(ctx), p) })
}

// serviceProvider builds our side of one provider's trust, with the
// store's replay cache and request tracker. idp nil means "not trusted
// yet", for publishing our metadata before the IdP is configured. tracker,
// when not nil, is the request tracker to use, so the caller can read the
// request state it took.
func (s *Service) serviceProvider(ctx context.Context, site store.Site, p store.SSOStrategy, idp *saml.IdentityProvider, tracker *requestTracker) (*saml.ServiceProvider, samlOptions, error) {
	opts, err := readSAMLOptions(p)
	if err != nil {
		return nil, opts, &saml.Error{Kind: saml.KindConfig, Detail: err.Error()}
	}
	if idp == nil {
		idp = &saml.IdentityProvider{EntityID: "urn:gatehouse:unconfigured", SSOURL: s.core.BaseURL(),
			Fingerprint: make([]byte, sha256.Size)}
	}
	v := s.SPValuesFor(site, p)
	if tracker == nil {
		tracker = &requestTracker{}
	}
	tracker.core, tracker.siteID, tracker.providerID = s.core, site.ID, p.ID
	spOpts := []saml.Option{
		saml.WithClock(s.now),
		saml.WithIdPInitiated(opts.idpInitiated),
		saml.WithRequestTracker(tracker),
		saml.WithSLOURL(v.SLOURL),
	}
	if kp, ok := s.spKey(ctx, site.ID); ok {
		spOpts = append(spOpts, saml.WithSigningKey(kp.key, kp.cert))
	}
	if opts.sha1 {
		spOpts = append(spOpts, saml.WithSHA1())
	}
	if opts.nameIDFormat != "" {
		spOpts = append(spOpts, saml.WithNameIDFormat(opts.nameIDFormat))
	}
	sp, err := saml.New(v.EntityID, v.ACSURL, idp, replayCache{core: s.core, providerID: p.ID}, spOpts...)
	return sp, opts, err
}

// spKeyPair is a site's SP key pair, kept in memory once read: it never
// changes, and reading it costs a query and an AES-GCM open.
type spKeyPair struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

// spKey returns the site's SP key pair (made on first use). Without one —
// no master key configured, or the store failing — requests go unsigned
// and encrypted assertions cannot be read, which is logged.
func (s *Service) spKey(ctx context.Context, siteID int64) (spKeyPair, bool) {
	if kp, ok := s.spKeys.Load(siteID); ok {
		return kp.(spKeyPair), true
	}
	key, cert, err := s.id.SAMLSPKey(ctx, siteID)
	if err != nil {
		s.log.Warn("samllogin: no SAML SP signing key; requests go unsigned", "site_id", siteID, "error", err)
		return spKeyPair{}, false
	}
	kp := spKeyPair{key: key, cert: cert}
	s.spKeys.Store(siteID, kp)
	return kp, true
}

// Metadata returns our SP metadata for a provider, which an administrator
// may upload to the IdP before the IdP is trusted.
func (s *Service) Metadata(ctx context.Context, site store.Site, p store.SSOStrategy) ([]byte, error) {
	if p.Protocol != identity.ProtocolSAML {
		return nil, fmt.Errorf("samllogin: provider %d is not a SAML provider", p.ID)
	}
	sp, _, err := s.serviceProvider(ctx, site, p, nil, nil)
	if err != nil {
		return nil, err
	}
	return sp.Metadata()
}

// replayCache is saml.ReplayCache over the sign-in core's record of used
// message IDs, per provider, shared by every node.
type replayCache struct {
	core       *signin.Service
	providerID int64
}

func (c replayCache) Remember(ctx context.Context, assertionID string, until time.Time) (bool, error) {
	return c.core.UsedOnce(ctx, c.providerID, assertionID, until)
}

// requestTracker is saml.RequestTracker over the sign-in core's login
// states: an AuthnRequest ID is known once, and only to the site and
// provider that sent it. It keeps the state it took, whose browser binding
// the sign-in carries on.
type requestTracker struct {
	core               *signin.Service
	siteID, providerID int64
	taken              *samlRequestState
}

// samlRequestState is what the login state of an AuthnRequest keeps.
type samlRequestState struct {
	BrowserHash []byte `json:"browser_hash"`
}

func (t *requestTracker) Consume(ctx context.Context, requestID string) (bool, error) {
	ls, err := t.core.TakeState(ctx, requestKey(requestID))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if ls.Kind != store.LoginStateSAMLRequest || ls.SiteID != t.siteID || ls.SSOStrategyID != t.providerID {
		return false, nil
	}
	var st samlRequestState
	_ = json.Unmarshal([]byte(ls.Data), &st) // unreadable: no binding, which refuses the sign-in
	t.taken = &st
	return true, nil
}

// browserHash is the binding of the request taken, or nil.
func (t *requestTracker) browserHash() []byte {
	if t.taken == nil || len(t.taken.BrowserHash) == 0 {
		return nil
	}
	return t.taken.BrowserHash
}

// requestKey is the login state key of an AuthnRequest ID.
func requestKey(requestID string) []byte {
	h := sha256.Sum256([]byte(store.LoginStateSAMLRequest + "\x00" + requestID))
	return h[:]
}

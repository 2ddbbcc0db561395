package samllogin

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TrustSummary is what a SAML provider trusts now, in words an admin
// checks against the identity provider: where the trust comes from, the
// identity provider's issuer and endpoints, each signing certificate and
// its expiry, and for a metadata URL when it was fetched, when it is
// fetched next and the last failure.
type TrustSummary struct {
	// Source is "metadata URL", "metadata file", "fingerprint" or "" (no
	// trust yet: sign-ins are refused).
	Source       string
	EntityID     string
	SSOURL       string
	SLOURL       string
	Fingerprint  string // the trusted fingerprint, for fingerprint trust
	Certificates []CertificateSummary
	FetchedAt    time.Time
	NextRefresh  time.Time
	LastError    string
	LastErrorAt  time.Time
	// Problem says why the trust cannot be read, when it cannot (metadata
	// not fetched yet, or not parsed).
	Problem string
}

// CertificateSummary is one signing certificate the identity provider
// publishes.
type CertificateSummary struct {
	Subject     string
	Fingerprint string
	NotAfter    time.Time
	DaysLeft    int
	Expired     bool
}

// Trust summarises what provider p trusts, from the copy of its metadata
// the server keeps (it fetches nothing: the page that shows this must not
// make the server reach out).
func (s *Service) Trust(ctx context.Context, p store.SSOStrategy) TrustSummary {
	var t TrustSummary
	var raw string
	switch {
	case p.SAMLProviderMetadataURL != "":
		t.Source = "metadata URL"
		m, ok, err := s.cachedMetadata(ctx, p)
		if err != nil {
			t.Problem = "the cached metadata cannot be read now"
			return t
		}
		t.LastError, t.LastErrorAt = m.LastError, m.LastErrorAt
		if !ok || m.Raw == "" {
			t.Problem = "not fetched yet: it is fetched at the first sign-in"
			return t
		}
		t.FetchedAt, t.NextRefresh = m.FetchedAt, m.FetchedAt.Add(MetadataMaxAge)
		raw = m.Raw
	case p.SAMLProviderMetadataContent != "":
		t.Source, raw = "metadata file", p.SAMLProviderMetadataContent
	case p.SAMLProviderCertFingerprint != "":
		t.Source, t.Fingerprint = "fingerprint", p.SAMLProviderCertFingerprint
		t.EntityID, t.SSOURL, t.SLOURL = p.SAMLProviderIssuerURL, p.SAMLProviderSSOTargetURL, p.SAMLProviderSLOTargetURL
		return t
	default:
		t.Problem = "no trust settings yet: give the identity provider's metadata URL, metadata file, or certificate fingerprint"
		return t
	}
	idp, err := saml.ParseMetadata([]byte(raw), p.SAMLProviderIssuerURL)
	if err != nil {
		t.Problem = err.Error()
		return t
	}
	t.EntityID, t.SSOURL, t.SLOURL = idp.EntityID, idp.SSOURL, idp.SLOURL
	now := s.now()
	for _, c := range idp.Certificates {
		t.Certificates = append(t.Certificates, CertificateSummary{Subject: c.Subject.CommonName, Fingerprint: saml.FingerprintOf(c),
			NotAfter: c.NotAfter, DaysLeft: int(c.NotAfter.Sub(now).Hours() / 24), Expired: now.After(c.NotAfter)})
	}
	return t
}

package samllogin

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// CheckTrust is identity.TrustChecker for SAML providers: when a
// provider's trust settings are saved it reads what they name, so that a
// metadata URL that cannot be fetched, or a document that is not usable
// identity provider metadata (no sign-on URL, no signing certificate, not
// the configured issuer), is refused then and the old settings stay. The
// metadata fetched from a URL becomes the provider's cached copy in the
// transaction that saves the URL. Typed trust (fingerprint, issuer,
// sign-on URL) is checked once all three are given; until then the
// provider is being set up in steps.
func (s *Service) CheckTrust(ctx context.Context, p store.SSOStrategy) (identity.TrustRecord, error) {
	switch {
	case p.SAMLProviderMetadataURL != "":
		url := p.SAMLProviderMetadataURL
		idp, raw, err := saml.FetchMetadata(ctx, s.client, url, p.SAMLProviderIssuerURL)
		if err != nil {
			return nil, metadataURLRefusal(url, err)
		}
		now := s.now()
		if expiring := idp.ExpiringCertificates(now, CertificateWarning); len(expiring) > 0 && p.ID != 0 {
			s.alertExpiring(ctx, p, expiring)
		}
		return func(ctx context.Context, saved store.SSOStrategy) error {
			m := store.SSOMetadata{SSOStrategyID: saved.ID, Raw: string(raw), FetchedAt: now, SourceURL: url}
			if _, err := s.id.CacheSAMLMetadata(ctx, saved, m); err != nil {
				return err
			}
			s.core.Record(ctx, store.SSOEvent{SiteID: saved.SiteID, EventType: EventMetadataRefresh, Status: store.EventSuccess,
				Body: fmt.Sprintf("metadata fetched from %s when the provider was saved: issuer %s, %d signing certificate(s)",
					url, idp.EntityID, len(idp.Certificates))}, saved)
			return nil
		}, nil
	case p.SAMLProviderMetadataContent != "":
		if _, err := saml.ParseMetadata([]byte(p.SAMLProviderMetadataContent), p.SAMLProviderIssuerURL); err != nil {
			return nil, identity.ErrInvalidParams.With("saml_provider_metadata_content is not usable SAML identity provider metadata (%s); "+
				"paste the identity provider's federation metadata XML, which names its entity ID, sign-on URL and signing certificate "+
				"(and check saml_provider_issuer_url if it is set); nothing was changed", signin.Clip(err.Error(), 500))
		}
	case p.SAMLProviderCertFingerprint != "" && p.SAMLProviderIssuerURL != "" && p.SAMLProviderSSOTargetURL != "":
		if _, err := saml.ManualTrust(p.SAMLProviderCertFingerprint, p.SAMLProviderIssuerURL,
			p.SAMLProviderSSOTargetURL, p.SAMLProviderSLOTargetURL); err != nil {
			return nil, identity.ErrInvalidParams.With("the identity provider's certificate fingerprint, issuer and sign-on URL "+
				"cannot be trusted together (%s); nothing was changed", signin.Clip(err.Error(), 500))
		}
	}
	return nil, nil
}

// metadataURLRefusal says why a metadata URL was refused at save and what
// to do about it.
func metadataURLRefusal(url string, err error) error {
	if saml.KindOf(err) == saml.KindFetch {
		return identity.ErrInvalidParams.With("saml_provider_metadata_url: the identity provider's metadata could not be fetched from %s (%s). "+
			"Check the URL (Entra ID: the App Federation Metadata Url in the application's SAML Certificates section) and that this "+
			"server can reach it; nothing was changed", signin.Clip(url, 300), signin.Clip(err.Error(), 1000))
	}
	return identity.ErrInvalidParams.With("saml_provider_metadata_url: %s answered, but not with usable SAML identity provider metadata (%s). "+
		"Give the URL of the identity provider's federation metadata XML, which names its entity ID, sign-on URL and signing "+
		"certificate (and check saml_provider_issuer_url if it is set); nothing was changed", signin.Clip(url, 300), signin.Clip(err.Error(), 1000))
}

// CanStart says whether provider p's trust settings are complete enough
// for a sign-in to start: a metadata URL (its metadata was fetched when
// it was saved), pasted metadata, or a certificate fingerprint, issuer and
// sign-on URL that make an identity provider together. The login page
// shows a button only for such a provider: a provider saved in steps would
// otherwise answer its first visitors with an error.
func CanStart(p store.SSOStrategy) bool {
	if p.SAMLProviderMetadataURL != "" || p.SAMLProviderMetadataContent != "" {
		return true
	}
	_, err := saml.ManualTrust(p.SAMLProviderCertFingerprint, p.SAMLProviderIssuerURL,
		p.SAMLProviderSSOTargetURL, p.SAMLProviderSLOTargetURL)
	return err == nil
}

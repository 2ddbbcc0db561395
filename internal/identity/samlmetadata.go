package identity

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse/internal/store"
)

// The cached metadata of SAML providers that name a metadata URL. The core
// keeps it beside the provider it belongs to, as it keeps what every
// provider trusts (trust.go): saving a provider's trust settings replaces
// or drops the copy in the same transaction, and the SAML sign-in service
// reads the copy and refreshes it here, never in the store directly.

// SAMLMetadata returns the copy of p's metadata URL the core keeps. ok is
// false when there is none, or only a copy of another URL (the provider's
// earlier one), which is as good as none: it is another identity
// provider's. The copy returned with ok false still carries the record's
// fetch failures when there is one for p's URL, so a failing URL is
// retried with back-off.
func (s *Service) SAMLMetadata(ctx context.Context, p store.SSOStrategy) (store.SSOMetadata, bool, error) {
	m, err := s.st.GetSSOMetadata(ctx, p.ID)
	if errors.Is(err, store.ErrNotFound) {
		return store.SSOMetadata{SSOStrategyID: p.ID}, false, nil
	}
	if err != nil {
		return m, false, err
	}
	if m.SourceURL != p.SAMLProviderMetadataURL {
		return store.SSOMetadata{SSOStrategyID: p.ID}, false, nil
	}
	return m, true, nil
}

// CacheSAMLMetadata writes m, a copy of p's metadata URL (or the record of
// a failure to fetch it), unless the provider's URL changed since p was
// read: a fetch of the old URL that ends after an admin saved a new one
// must not bring the old identity provider back. It says whether m was
// written. Inside a transaction that saves p it joins it.
func (s *Service) CacheSAMLMetadata(ctx context.Context, p store.SSOStrategy, m store.SSOMetadata) (bool, error) {
	stored := false
	err := s.st.Tx(ctx, func(ctx context.Context) error {
		cur, err := s.st.GetSSOStrategy(ctx, p.SiteID, p.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if cur.Protocol != ProtocolSAML || cur.SAMLProviderMetadataURL != m.SourceURL {
			return nil
		}
		stored = true
		return s.st.PutSSOMetadata(ctx, &m)
	})
	return stored, err
}

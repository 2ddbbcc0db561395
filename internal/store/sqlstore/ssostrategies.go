package sqlstore

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/store"
)

// CreateSSOStrategy stores a new identity provider of a site.
func (s *Store) CreateSSOStrategy(ctx context.Context, st *store.SSOStrategy) error {
	return insert(ctx, s, ssoStrategies, st, "")
}

// GetSSOStrategy returns a provider of the site.
func (s *Store) GetSSOStrategy(ctx context.Context, siteID, id int64) (store.SSOStrategy, error) {
	return get(ctx, s, ssoStrategies, "st.id = ? AND st.site_id = ?", id, siteID)
}

// ListSSOStrategies returns one page of the site's providers.
func (s *Store) ListSSOStrategies(ctx context.Context, siteID int64, o store.ListOptions) ([]store.SSOStrategy, error) {
	return list(ctx, s, ssoStrategies, "st.site_id = ?", []any{siteID}, o)
}

// UpdateSSOStrategy changes a provider through fn in one transaction.
func (s *Store) UpdateSSOStrategy(ctx context.Context, siteID, id int64, fn func(*store.SSOStrategy) error) (store.SSOStrategy, error) {
	return changing(ctx, s, store.AccountChange{SiteID: siteID}, func(ctx context.Context) (store.SSOStrategy, error) {
		return update(ctx, s, ssoStrategies, nil, fn, nil, "st.id = ? AND st.site_id = ?", id, siteID)
	})
}

// DeleteSSOStrategy removes a provider. Users and groups that name it keep
// the id; deciding what happens to them is the caller's business.
func (s *Store) DeleteSSOStrategy(ctx context.Context, siteID, id int64) error {
	_, err := changing(ctx, s, store.AccountChange{SiteID: siteID}, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, deleteOne(ctx, s, "sso_strategies", "SSO strategy", "id = ? AND site_id = ?", id, siteID)
	})
	return err
}

package sqlstore

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

// maxSCIMUsernameMatches bounds how many providers one SCIM Basic username
// may name across sites, so a request costs a bounded number of checks.
const maxSCIMUsernameMatches = 100

// GetSSOStrategyBySCIMTokenHash finds the provider of any site whose SCIM
// bearer token has this hash (index sso_strategies_scim_token).
func (s *Store) GetSSOStrategyBySCIMTokenHash(ctx context.Context, tokenHash []byte) (store.SSOStrategy, error) {
	if len(tokenHash) == 0 {
		return store.SSOStrategy{}, fmt.Errorf("%w: SSO strategy with an empty SCIM token hash", store.ErrNotFound)
	}
	return get(ctx, s, ssoStrategies, "st.scim_token_hash = ?", tokenHash)
}

// ListSSOStrategiesBySCIMUsername returns the providers of any site whose
// SCIM Basic username is username (index sso_strategies_scim_username),
// and the one with id alsoID (primary key).
func (s *Store) ListSSOStrategiesBySCIMUsername(ctx context.Context, username string, alsoID int64, limit int) ([]store.SSOStrategy, error) {
	if username == "" {
		return []store.SSOStrategy{}, nil
	}
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, maxSCIMUsernameMatches)
	return list(ctx, s, ssoStrategies, "(st.scim_username = ? OR st.id = ?)", []any{username, alsoID}, store.ListOptions{Limit: limit})
}

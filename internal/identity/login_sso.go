package identity

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse/internal/store"
)

// LoginWithSSO signs in a user whom providerID's identity provider has
// just vouched for (a verified SAML assertion or OIDC ID token). The
// caller has verified the assertion and found the user; this applies the
// login policy with CredentialSSO, checks that the user is assigned to that
// very provider (an assertion from one IdP never signs in another's user),
// and records the sign-in like the other Login* methods.
func (s *Service) LoginWithSSO(ctx context.Context, siteID, userID, providerID int64, ch Channel, ip string) (store.User, error) {
	u, err := s.st.GetUser(ctx, siteID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrInvalidUsernameOrPassword
	}
	if err != nil {
		return store.User{}, mapStoreErr(err, "read user", nil, nil)
	}
	if _, _, err := s.admit(ctx, u, ch, CredentialSSO, ip); err != nil {
		return store.User{}, err
	}
	if u.SSOStrategyID != providerID {
		s.log.Info("sign-in refused", "site_id", siteID, "username", u.Username, "channel", ch, "ip", ip,
			"reason", "assigned to another provider")
		return store.User{}, ErrNotAuthorized.With("this user is assigned to another SSO provider (id %d), not to the one that signed them in (id %d)",
			u.SSOStrategyID, providerID)
	}
	return s.recordSignIn(ctx, siteID, u.ID, ch)
}

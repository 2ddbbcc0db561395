package samllogin

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// AccountFor finds the account an identity provider has just vouched for,
// the same way for every sign-in protocol (SAML here, OpenID Connect in
// package oidclogin): through the provisioning engine when the provider
// provisions users (which creates or updates the account: just-in-time
// provisioning), else among the accounts that already exist, by the
// provider's immutable id first and the login name second. created is
// true when this sign-in made the account. The login policy is not asked
// here; the caller asks identity.LoginWithSSO next.
func AccountFor(ctx context.Context, st store.Store, prov *provision.Engine, site store.Site, p store.SSOStrategy, x provision.ExternalIdentity) (u store.User, created bool, lerr *LoginError) {
	if x.Username == "" || x.ExternalID == "" {
		return store.User{}, false, &LoginError{Check: CheckIdentity, Status: http.StatusForbidden,
			Message: "the identity provider sent no login name or no immutable id; check the provider's claim or attribute settings"}
	}
	if p.ProvisionUsers {
		res, err := prov.Upsert(ctx, site.ID, p.ID, x)
		if err != nil {
			return store.User{}, false, refusal(CheckProvisioning, err, "the account could not be provisioned: %s", clip(err.Error(), 500))
		}
		if res.User.ID == 0 {
			return store.User{}, false, &LoginError{Check: CheckProvisioning, Status: http.StatusForbidden,
				Message: "the provider's provisioning rules did not give this person an account"}
		}
		return res.User, res.Action == provision.ActionCreate, nil
	}
	users, err := st.ListUsers(ctx, site.ID, store.UserQuery{SSOStrategyID: p.ID, ExternalID: x.ExternalID,
		ListOptions: store.ListOptions{Limit: 1}})
	if err != nil {
		return store.User{}, false, refusal("", err, "")
	}
	if len(users) == 1 {
		return users[0], false, nil
	}
	u, err = st.GetUserByUsername(ctx, site.ID, x.Username)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, &LoginError{Check: CheckNotProvisioned, Status: http.StatusForbidden,
			Message: fmt.Sprintf("no account has the login name %q, and this provider does not create accounts (provision_users is off); a site admin can create the account or turn provisioning on", clip(x.Username, 100))}
	}
	if err != nil {
		return store.User{}, false, refusal("", err, "")
	}
	return u, false, nil
}

// Clip shortens hostile text for events and messages and removes control
// characters; other sign-in front ends share it.
func Clip(s string, n int) string { return clip(s, n) }

package ssologin

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Begin starts an SP-initiated sign-in through a SAML provider of site: it
// makes an AuthnRequest, remembers its ID in the store (so any node can
// accept the answer, once) and returns the URL that sends the browser to
// the identity provider. RelayState carries the site's subdomain, so the
// shared ACS knows which site the answer is for. A refusal is a
// *LoginError and an SSO event, like a refusal at the ACS.
func (s *Service) Begin(ctx context.Context, site store.Site, providerID int64, ip string) (string, error) {
	p, err := s.id.GetSSOStrategy(ctx, site.ID, providerID)
	if errors.Is(err, identity.ErrSSOStrategyNotFound) || errors.Is(err, identity.ErrNotFound) || (err == nil && p.Protocol != identity.ProtocolSAML) {
		return "", s.refuse(ctx, site.ID, store.SSOStrategy{}, nil, &LoginError{Check: CheckProvider, Status: http.StatusNotFound,
			Message: "this site has no SAML provider with that id; use a button on the sign-in page"}, ip)
	}
	if err != nil {
		return "", s.refuse(ctx, site.ID, store.SSOStrategy{}, nil, refusal("", err, ""), ip)
	}
	if !p.Enabled {
		return "", s.refuse(ctx, site.ID, p, nil, &LoginError{Check: CheckProviderDisabled, Status: http.StatusForbidden,
			Message: "this single sign-on provider is disabled; a site admin can enable it"}, ip)
	}
	idp, err := s.trustedIdP(ctx, p)
	if err != nil {
		return "", s.refuse(ctx, site.ID, p, nil, refusal("", err, ""), ip)
	}
	sp, _, err := s.serviceProvider(ctx, site, p, idp)
	if err != nil {
		return "", s.refuse(ctx, site.ID, p, nil, refusal("", err, ""), ip)
	}
	redirect, requestID, err := sp.AuthnRequestURL(site.Subdomain)
	if err != nil {
		return "", s.refuse(ctx, site.ID, p, nil, refusal("", err, ""), ip)
	}
	now := s.now()
	ls := store.LoginState{KeyHash: requestKey(requestID), SiteID: site.ID, SSOStrategyID: p.ID,
		Kind: store.LoginStateSAMLRequest, ExpiresAt: now.Add(s.reqTTL), CreatedAt: now}
	if err := s.st.CreateLoginState(ctx, &ls); err != nil {
		return "", s.refuse(ctx, site.ID, p, nil, refusal("", err, ""), ip)
	}
	return redirect, nil
}

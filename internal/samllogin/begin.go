package samllogin

import (
	"context"
	"encoding/json"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Begin starts an SP-initiated sign-in through a SAML provider of site: it
// makes an AuthnRequest, remembers its ID in the store (so any node can
// accept the answer, once) with the hash of browser, the binding nonce the
// front end gave the browser (see package signin), and returns the URL that
// sends the browser to the identity provider. RelayState carries the
// site's subdomain, so the shared ACS knows which site the answer is for.
// A refusal is a *signin.LoginError and an SSO event, like a refusal at
// the ACS; since anyone can ask for a sign-in start, those events go
// through the flood limiter. A start that would be stored also counts
// towards the address's limit of starts (signin.Service.AdmitStart), over
// which it is refused with 429 and stores nothing.
func (s *Service) Begin(ctx context.Context, site store.Site, providerID int64, browser, ip string) (string, error) {
	p, refused := s.core.ProviderToStart(ctx, site.ID, providerID, identity.ProtocolSAML, "SAML", browser)
	if refused != nil {
		return "", s.refuseAnonymous(ctx, site.ID, p, refused, ip)
	}
	idp, err := s.trustedIdP(ctx, p)
	if err != nil {
		return "", s.refuseAnonymous(ctx, site.ID, p, refusal("", err, ""), ip)
	}
	sp, _, err := s.serviceProvider(ctx, site, p, idp, nil)
	if err != nil {
		return "", s.refuseAnonymous(ctx, site.ID, p, refusal("", err, ""), ip)
	}
	redirect, requestID, err := sp.AuthnRequestURL(site.Subdomain)
	if err != nil {
		return "", s.refuseAnonymous(ctx, site.ID, p, refusal("", err, ""), ip)
	}
	data, err := json.Marshal(samlRequestState{BrowserHash: signin.BrowserHash(browser)})
	if err != nil {
		return "", s.refuseAnonymous(ctx, site.ID, p, refusal("", err, ""), ip)
	}
	if err := s.core.AdmitStart(ip); err != nil {
		return "", err
	}
	ls := store.LoginState{KeyHash: requestKey(requestID), SiteID: site.ID, SSOStrategyID: p.ID,
		Kind: store.LoginStateSAMLRequest, Data: string(data)}
	if err := s.core.SaveState(ctx, ls); err != nil {
		return "", s.refuseAnonymous(ctx, site.ID, p, refusal("", err, ""), ip)
	}
	return redirect, nil
}

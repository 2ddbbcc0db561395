package oidclogin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Largest callback values read; anything longer is forged or broken.
const (
	maxStateLen = 512
	maxCodeLen  = 4096
)

// Callback is one answer of a provider at the redirect URI.
type Callback struct {
	HostSite store.Site // the site the request's Host names (events of unknown states go there)
	// Provider is the redirect URI's ?provider= value.
	Provider         string
	State, Code      string
	Error, ErrorDesc string // the provider's error and error_description
	// Browser is the binding nonce the browser brought back (its cookie on
	// the callback's host), "" when it brought none.
	Browser string
	IP      string
}

// Finish completes a sign-in at the redirect URI: it takes the state once
// (wherever it was made), checks it was made for this provider kind and
// in this browser, exchanges the code for verified claims, and has the
// sign-in core find or provision the account and ask the login policy.
// Every outcome leaves an SSO event; a refusal is a *signin.LoginError
// naming the check.
//
// The browser is checked here when the sign-in's site is the one the
// callback's host serves: the sign-in started on this host, whose binding
// cookie the browser brings along. A sign-in of a site on its own host
// started there, where its cookie stays; it comes back unchecked
// (SignIn.BrowserChecked false) and the front end hands it to that host,
// which checks the cookie before any session starts.
func (s *Service) Finish(ctx context.Context, cb Callback) (signin.SignIn, error) {
	badState := &signin.LoginError{Check: CheckState, Status: http.StatusForbidden,
		Message: "this sign-in is unknown, used, expired or was started for another provider; start again from the sign-in page"}
	if cb.State == "" || len(cb.State) > maxStateLen || len(cb.Code) > maxCodeLen {
		if cb.Error != "" {
			return signin.SignIn{}, s.refuseAnonymous(ctx, cb.HostSite.ID, store.SSOStrategy{}, providerError(cb), cb.IP)
		}
		return signin.SignIn{}, s.refuseAnonymous(ctx, cb.HostSite.ID, store.SSOStrategy{}, badState, cb.IP)
	}
	ls, err := s.core.TakeState(ctx, stateKey(cb.State))
	if errors.Is(err, store.ErrNotFound) || (err == nil && ls.Kind != store.LoginStateOIDC) {
		return signin.SignIn{}, s.refuseAnonymous(ctx, cb.HostSite.ID, store.SSOStrategy{}, badState, cb.IP)
	}
	if err != nil {
		return signin.SignIn{}, s.refuseAnonymous(ctx, cb.HostSite.ID, store.SSOStrategy{}, refusal("", err, ""), cb.IP)
	}
	site, err := s.id.GetSite(ctx, ls.SiteID)
	if err != nil {
		return signin.SignIn{}, s.refuseAnonymous(ctx, cb.HostSite.ID, store.SSOStrategy{}, badState, cb.IP)
	}
	p, err := s.id.GetSSOStrategy(ctx, site.ID, ls.SSOStrategyID)
	if err != nil || p.Protocol != identity.ProtocolOAuth2 || p.Provider != cb.Provider {
		return signin.SignIn{}, s.refuse(ctx, site.ID, p, nil, badState, cb.IP)
	}
	var pend pending
	if err := json.Unmarshal([]byte(ls.Data), &pend); err != nil {
		return signin.SignIn{}, s.refuse(ctx, site.ID, p, nil, refusal("", err, ""), cb.IP)
	}
	if len(pend.BrowserHash) == 0 {
		return signin.SignIn{}, s.refuse(ctx, site.ID, p, nil, &signin.LoginError{Check: signin.CheckBrowser, Status: http.StatusForbidden,
			Message: "this sign-in is tied to no browser; start again from the sign-in page"}, cb.IP)
	}
	startedHere := site.ID == cb.HostSite.ID
	if startedHere && !signin.BrowserMatches(cb.Browser, pend.BrowserHash) {
		return signin.SignIn{}, s.refuse(ctx, site.ID, p, nil, signin.BrowserRefusal(), cb.IP)
	}
	if cb.Error != "" {
		return signin.SignIn{}, s.refuse(ctx, site.ID, p, nil, providerError(cb), cb.IP)
	}
	if !p.Enabled {
		return signin.SignIn{}, s.refuse(ctx, site.ID, p, nil, &signin.LoginError{Check: signin.CheckProviderDisabled, Status: http.StatusForbidden,
			Message: "this single sign-on provider is disabled; a site admin can enable it"}, cb.IP)
	}
	c, err := s.connector(ctx, p)
	if err != nil {
		return signin.SignIn{}, s.refuse(ctx, site.ID, p, nil, refusal("", err, ""), cb.IP)
	}
	claims, err := c.provider.Exchange(ctx, cb.Code, pend.Verifier, pend.Nonce)
	if err != nil {
		return signin.SignIn{}, s.refuse(ctx, site.ID, p, nil, refusal("", err, ""), cb.IP)
	}
	x := externalIdentity(p.Provider, c.settings.LoginClaim, claims)
	arrival := signin.Arrival{Site: site, Provider: p, Identity: x, EventType: signin.EventOIDCLogin, IP: cb.IP}
	u, created, err := s.core.Admit(ctx, arrival)
	if err != nil {
		return signin.SignIn{}, err
	}
	if x.GroupsIncomplete {
		s.core.Record(ctx, store.SSOEvent{SiteID: site.ID, EventType: EventOIDCGroupsOverage, Status: store.EventSkipped,
			Body: "the ID token named too many groups to carry them (groups overage); the account's group memberships were kept as they were. " +
				"Send fewer groups (Entra: token configuration, groups assigned to the application) or provision groups with SCIM or an LDAP sync",
			UserID: u.ID, Username: u.Username, IdPUID: x.ExternalID, IP: cb.IP}, p)
	}
	in := s.core.Admitted(ctx, arrival, u, created, "")
	in.Browser, in.BrowserChecked = pend.BrowserHash, startedHere
	return in, nil
}

// providerError is the refusal for a provider's error= answer; its words
// are the provider's, clipped, since they are whatever the URL says.
func providerError(cb Callback) *signin.LoginError {
	msg := "the provider answered " + signin.Clip(cb.Error, 100)
	if cb.ErrorDesc != "" {
		msg += ": " + signin.Clip(cb.ErrorDesc, 400)
	}
	return &signin.LoginError{Check: CheckProviderError, Status: http.StatusForbidden, Message: msg}
}

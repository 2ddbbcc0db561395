package ssologin

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ConsumeRequest is one SAMLResponse posted to an ACS.
type ConsumeRequest struct {
	HostSite     store.Site // the site the request's Host names
	Identifier   string     // the {provider_identifier} of the ACS path; "" for the shared ACS
	SAMLResponse string
	RelayState   string
	IP           string
}

// SignIn is a finished sign-in.
type SignIn struct {
	User     store.User
	Site     store.Site
	Provider store.SSOStrategy
	// Created is true when this sign-in provisioned the account.
	Created bool
	// SessionIndex and SessionNotOnOrAfter are the IdP's session, for
	// single logout and to cap our session.
	SessionIndex        string
	SessionNotOnOrAfter time.Time
	// NameID and its format name the user in a LogoutRequest.
	NameID, NameIDFormat string
}

// Consume finishes a SAML sign-in: it picks the site (RelayState, else the
// Host) and the provider (the ACS path's identifier, else the site's
// provider whose IdP issued the response), verifies the response, finds or
// provisions the account, and asks the login policy. Every outcome leaves
// an SSO event; a refusal is a *LoginError naming the check that failed.
func (s *Service) Consume(ctx context.Context, r ConsumeRequest) (SignIn, error) {
	site, err := s.siteOf(ctx, r.HostSite, r.RelayState)
	if err != nil {
		return SignIn{}, s.refuse(ctx, r.HostSite.ID, store.SSOStrategy{}, nil, refusal(CheckSite, err, "%s", err.Error()), r.IP)
	}
	p, idp, lerr := s.providerFor(ctx, site, r.Identifier, func() string { return peekIssuer(r.SAMLResponse) })
	if lerr != nil {
		return SignIn{}, s.refuse(ctx, site.ID, p, nil, lerr, r.IP)
	}
	if !p.Enabled {
		return SignIn{}, s.refuse(ctx, site.ID, p, nil, &LoginError{Check: CheckProviderDisabled, Status: http.StatusForbidden,
			Message: "this single sign-on provider is disabled; a site admin can enable it"}, r.IP)
	}
	sp, opts, err := s.serviceProvider(ctx, site, p, idp)
	if err != nil {
		return SignIn{}, s.refuse(ctx, site.ID, p, nil, refusal("", err, ""), r.IP)
	}
	a, err := sp.ParseResponse(ctx, r.SAMLResponse, nil, s.now())
	if err != nil {
		return SignIn{}, s.refuse(ctx, site.ID, p, nil, refusal("", err, ""), r.IP)
	}
	x := a.Identity(opts.attributes)
	u, created, lerr := s.accountFor(ctx, site, p, x)
	if lerr != nil {
		return SignIn{}, s.refuse(ctx, site.ID, p, &x, lerr, r.IP)
	}
	u, err = s.id.LoginWithSSO(ctx, site.ID, u.ID, p.ID, identity.ChannelWeb, r.IP)
	if err != nil {
		return SignIn{}, s.refuse(ctx, site.ID, p, &x, refusal(CheckLoginPolicy, err, ""), r.IP)
	}
	body := "signed in"
	if created {
		body = "signed in; the account was created at this first sign-in"
	}
	if a.InResponseTo == "" {
		body += " (started at the identity provider)"
	}
	s.recordEvent(ctx, store.SSOEvent{SiteID: site.ID, EventType: EventSAMLLogin, Status: store.EventSuccess, Body: body,
		UserID: u.ID, Username: u.Username, IdPUID: x.ImmutableID, IP: r.IP}, p)
	return SignIn{User: u, Site: site, Provider: p, Created: created,
		SessionIndex: a.SessionIndex, SessionNotOnOrAfter: a.SessionNotOnOrAfter,
		NameID: a.NameID, NameIDFormat: a.NameIDFormat}, nil
}

// refuse records the refusal and returns it.
func (s *Service) refuse(ctx context.Context, siteID int64, p store.SSOStrategy, x *saml.Identity, e *LoginError, ip string) error {
	ev := store.SSOEvent{SiteID: siteID, EventType: EventSAMLLogin, Status: store.EventFailure,
		Body: "sign-in refused: " + clip(e.EventText(), 1500), EventErrors: []string{e.Check}, IP: ip}
	if x != nil {
		ev.Username, ev.IdPUID = x.Login, x.ImmutableID
	}
	if e.Repeats() {
		s.log.Debug("SSO sign-in refused again", "site_id", siteID, "sso_strategy_id", p.ID, "check", e.Check, "ip", ip)
		return e
	}
	if siteID != 0 {
		s.recordEvent(ctx, ev, p)
	}
	s.log.Info("SSO sign-in refused", "site_id", siteID, "sso_strategy_id", p.ID, "check", e.Check, "ip", ip)
	return e
}

// accountFor finds the user a SAML identity names (see AccountFor). An
// assertion without a NameID is refused in SAML's own words.
func (s *Service) accountFor(ctx context.Context, site store.Site, p store.SSOStrategy, x saml.Identity) (store.User, bool, *LoginError) {
	if x.Login == "" || x.ImmutableID == "" {
		return store.User{}, false, &LoginError{Check: CheckIdentity, Status: http.StatusForbidden,
			Message: "the identity provider sent no login name (NameID) or immutable id"}
	}
	return AccountFor(ctx, s.st, s.prov, site, p, externalIdentity(x))
}

// externalIdentity is a SAML identity as the provisioning engine reads
// it. Group values are ids (Entra sends object ids); the engine resolves
// them to names through the provider's group table or uses them as names.
func externalIdentity(x saml.Identity) provision.ExternalIdentity {
	out := provision.ExternalIdentity{ExternalID: x.ImmutableID, Username: x.Login, Email: x.Email,
		GivenName: x.GivenName, FamilyName: x.FamilyName, Active: true, GroupsIncomplete: x.GroupsOverage}
	for _, g := range x.Groups {
		out.Groups = append(out.Groups, provision.GroupRef{ExternalID: g})
	}
	return out
}

package samllogin

import (
	"context"
	"net/http"
	"strconv"
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
	// Browser is the hash of the binding nonce of the browser that
	// started the sign-in (see binding.go); nil when none did, as for an
	// IdP-initiated SAML sign-in. BrowserChecked is true when the request
	// that finished the sign-in brought that nonce, so the session may
	// start in its answer; a bound sign-in not checked yet must go through
	// Handoff to the host where it started, which checks it there.
	Browser        []byte
	BrowserChecked bool
}

// Consume finishes a SAML sign-in: it picks the site (RelayState, else the
// Host) and the provider (the ACS path's identifier, else the site's
// provider whose IdP issued the response), verifies the response, finds or
// provisions the account, and asks the login policy. Every outcome leaves
// an SSO event; a refusal is a *LoginError naming the check that failed.
func (s *Service) Consume(ctx context.Context, r ConsumeRequest) (SignIn, error) {
	site, err := s.siteOf(ctx, r.HostSite, r.RelayState)
	if err != nil {
		return SignIn{}, s.refuseAnonymous(ctx, r.HostSite.ID, store.SSOStrategy{}, refusal(CheckSite, err, "%s", err.Error()), r.IP)
	}
	p, idp, lerr := s.providerFor(ctx, site, r.Identifier, func() string { return peekIssuer(r.SAMLResponse) })
	if lerr != nil {
		return SignIn{}, s.refuseAnonymous(ctx, site.ID, p, lerr, r.IP)
	}
	if !p.Enabled {
		return SignIn{}, s.refuseAnonymous(ctx, site.ID, p, &LoginError{Check: CheckProviderDisabled, Status: http.StatusForbidden,
			Message: "this single sign-on provider is disabled; a site admin can enable it"}, r.IP)
	}
	tracker := &requestTracker{}
	sp, opts, err := s.serviceProvider(ctx, site, p, idp, tracker)
	if err != nil {
		return SignIn{}, s.refuseAnonymous(ctx, site.ID, p, refusal("", err, ""), r.IP)
	}
	a, err := sp.ParseResponse(ctx, r.SAMLResponse, nil, s.now())
	if err != nil {
		lerr := refusal("", err, "")
		if saml.KindOf(err) == saml.KindIdPInitiated {
			lerr = idpInitiatedRefusal(site, p, err)
		}
		if !saml.Verified(err) {
			return SignIn{}, s.refuseAnonymous(ctx, site.ID, p, lerr, r.IP)
		}
		return SignIn{}, s.refuse(ctx, site.ID, p, nil, lerr, r.IP)
	}
	x := a.Identity(opts.attributes)
	// An answer to our request finishes only in the browser that sent it;
	// a request kept without a binding (made before bindings existed) is
	// not finished at all.
	var browser []byte
	if a.InResponseTo != "" {
		if browser = tracker.browserHash(); browser == nil {
			return SignIn{}, s.refuse(ctx, site.ID, p, &x, browserRefusal(), r.IP)
		}
	}
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
		NameID: a.NameID, NameIDFormat: a.NameIDFormat, Browser: browser}, nil
}

// idpInitiatedRefusal says what to do about an IdP-initiated response to a
// provider that does not accept them: start at the sign-in page, or — for
// an admin who accepts that such sign-ins cannot be tied to a browser —
// the command that allows them.
func idpInitiatedRefusal(site store.Site, p store.SSOStrategy, err error) *LoginError {
	cmd := "gatehouse providers idp-initiated " + strconv.FormatInt(p.ID, 10) + " on"
	if site.Subdomain != "" {
		cmd += " --site " + site.Subdomain
	}
	return &LoginError{Check: string(saml.KindIdPInitiated), Status: http.StatusForbidden, Err: err,
		Message: "this sign-in was started at the identity provider (its portal, such as Entra's My Apps or Test button), and " + label(p) +
			" accepts only sign-ins started from this site's sign-in page, which can be tied to the browser: start from the sign-in page " +
			"(in Entra, set the application's Sign on URL to this provider's saml_sp_sign_on_url, and My Apps starts there). " +
			"A site admin who accepts sign-ins that cannot be tied to a browser allows them with: " + cmd}
}

// refuse records a refusal that names a real sign-in — a response signed
// by the provider's identity provider, a request or handoff this server
// made — and returns it. Every such refusal is recorded.
func (s *Service) refuse(ctx context.Context, siteID int64, p store.SSOStrategy, x *saml.Identity, e *LoginError, ip string) error {
	ev := store.SSOEvent{SiteID: siteID, EventType: EventSAMLLogin}
	if x != nil {
		ev.Username, ev.IdPUID = x.Login, x.ImmutableID
	}
	return s.refuseWith(ctx, ev, p, e, ip, false)
}

// refuseAnonymous records a refusal the request proved nothing about
// (made-up, unsigned or forged, or naming no provider), through the flood
// limiter, and returns it.
func (s *Service) refuseAnonymous(ctx context.Context, siteID int64, p store.SSOStrategy, e *LoginError, ip string) error {
	return s.refuseWith(ctx, store.SSOEvent{SiteID: siteID, EventType: EventSAMLLogin}, p, e, ip, true)
}

// refuseWith records ev as refusal e (on no site: only the log) and
// returns e.
func (s *Service) refuseWith(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy, e *LoginError, ip string, anonymous bool) error {
	ev.Status, ev.Body, ev.EventErrors, ev.IP = store.EventFailure, "sign-in refused: "+clip(e.EventText(), 1500), []string{e.Check}, ip
	switch {
	case e.Repeats():
		// The provider is in back-off: its failure was recorded when it
		// happened, and each sign-in meanwhile adds nothing.
		s.log.Debug("SSO sign-in refused again", "site_id", ev.SiteID, "sso_strategy_id", p.ID, "check", e.Check, "ip", ip)
		return e
	case ev.SiteID == 0:
	case anonymous:
		s.recordAnonymous(ctx, ev, p)
	default:
		s.recordEvent(ctx, ev, p)
	}
	s.log.Info("SSO sign-in refused", "site_id", ev.SiteID, "sso_strategy_id", p.ID, "check", e.Check, "ip", ip)
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

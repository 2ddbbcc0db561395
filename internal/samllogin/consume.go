package samllogin

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/signin"
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

// Consume finishes a SAML sign-in: it picks the site (RelayState, else the
// Host) and the provider (the ACS path's identifier, else the site's
// provider whose IdP issued the response), verifies the response, and has
// the sign-in core find or provision the account and ask the login policy.
// Every outcome leaves an SSO event; a refusal is a *signin.LoginError
// naming the check that failed.
func (s *Service) Consume(ctx context.Context, r ConsumeRequest) (signin.SignIn, error) {
	site, err := s.siteOf(ctx, r.HostSite, r.RelayState)
	if err != nil {
		return signin.SignIn{}, s.refuseAnonymous(ctx, r.HostSite.ID, store.SSOStrategy{}, refusal(CheckSite, err, "%s", err.Error()), r.IP)
	}
	p, idp, lerr := s.providerFor(ctx, site, r.Identifier, func() string { return peekIssuer(r.SAMLResponse) })
	if lerr != nil {
		return signin.SignIn{}, s.refuseAnonymous(ctx, site.ID, p, lerr, r.IP)
	}
	if !p.Enabled {
		return signin.SignIn{}, s.refuseAnonymous(ctx, site.ID, p, &signin.LoginError{Check: signin.CheckProviderDisabled, Status: http.StatusForbidden,
			Message: "this single sign-on provider is disabled; a site admin can enable it"}, r.IP)
	}
	tracker := &requestTracker{}
	sp, opts, err := s.serviceProvider(ctx, site, p, idp, tracker)
	if err != nil {
		return signin.SignIn{}, s.refuseAnonymous(ctx, site.ID, p, refusal("", err, ""), r.IP)
	}
	a, err := sp.ParseResponse(ctx, r.SAMLResponse, nil, s.now())
	if err != nil {
		lerr := refusal("", err, "")
		if saml.KindOf(err) == saml.KindIdPInitiated {
			lerr = idpInitiatedRefusal(site, p, err)
		}
		if !saml.Verified(err) {
			return signin.SignIn{}, s.refuseAnonymous(ctx, site.ID, p, lerr, r.IP)
		}
		return signin.SignIn{}, s.refuse(ctx, site.ID, p, nil, lerr, r.IP)
	}
	x := a.Identity(opts.attributes)
	// An answer to our request finishes only in the browser that sent it;
	// a request kept without a binding (made before bindings existed) is
	// not finished at all.
	var browser []byte
	if a.InResponseTo != "" {
		if browser = tracker.browserHash(); browser == nil {
			return signin.SignIn{}, s.refuse(ctx, site.ID, p, &x, signin.BrowserRefusal(), r.IP)
		}
	}
	if x.Login == "" || x.ImmutableID == "" {
		// Said in SAML's own words; the core would refuse it too.
		return signin.SignIn{}, s.refuse(ctx, site.ID, p, &x, &signin.LoginError{Check: signin.CheckIdentity, Status: http.StatusForbidden,
			Message: "the identity provider sent no login name (NameID) or immutable id"}, r.IP)
	}
	arrival := signin.Arrival{Site: site, Provider: p, Identity: externalIdentity(x), EventType: signin.EventSAMLLogin, IP: r.IP}
	u, created, err := s.core.Admit(ctx, arrival)
	if err != nil {
		return signin.SignIn{}, err
	}
	note := ""
	if a.InResponseTo == "" {
		note = " (started at the identity provider)"
	}
	in := s.core.Admitted(ctx, arrival, u, created, note)
	in.SessionIndex, in.SessionNotOnOrAfter = a.SessionIndex, a.SessionNotOnOrAfter
	in.NameID, in.NameIDFormat, in.Browser = a.NameID, a.NameIDFormat, browser
	return in, nil
}

// idpInitiatedRefusal says what to do about an IdP-initiated response to a
// provider that does not accept them: start at the sign-in page, or — for
// an admin who accepts that such sign-ins cannot be tied to a browser —
// the command that allows them.
func idpInitiatedRefusal(site store.Site, p store.SSOStrategy, err error) *signin.LoginError {
	cmd := "gatehouse providers idp-initiated " + strconv.FormatInt(p.ID, 10) + " on"
	if site.Subdomain != "" {
		cmd += " --site " + site.Subdomain
	}
	return &signin.LoginError{Check: string(saml.KindIdPInitiated), Status: http.StatusForbidden, Err: err,
		Message: "this sign-in was started at the identity provider (its portal, such as Entra's My Apps or Test button), and " + label(p) +
			" accepts only sign-ins started from this site's sign-in page, which can be tied to the browser: start from the sign-in page " +
			"(in Entra, set the application's Sign on URL to this provider's saml_sp_sign_on_url, and My Apps starts there). " +
			"A site admin who accepts sign-ins that cannot be tied to a browser allows them with: " + cmd}
}

// refuse records a refusal that names a real sign-in — a response signed
// by the provider's identity provider, a request this server made — and
// returns it. Every such refusal is recorded.
func (s *Service) refuse(ctx context.Context, siteID int64, p store.SSOStrategy, x *saml.Identity, e *signin.LoginError, ip string) error {
	ev := store.SSOEvent{SiteID: siteID, EventType: signin.EventSAMLLogin, IP: ip}
	if x != nil {
		ev.Username, ev.IdPUID = x.Login, x.ImmutableID
	}
	return s.core.Refuse(ctx, ev, p, e)
}

// refuseAnonymous records a refusal the request proved nothing about
// (made-up, unsigned or forged, or naming no provider), through the flood
// limiter, and returns it.
func (s *Service) refuseAnonymous(ctx context.Context, siteID int64, p store.SSOStrategy, e *signin.LoginError, ip string) error {
	return s.core.RefuseUnproven(ctx, store.SSOEvent{SiteID: siteID, EventType: signin.EventSAMLLogin, IP: ip}, p, e)
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

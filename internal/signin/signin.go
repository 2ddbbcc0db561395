package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// SignIn is a finished sign-in.
type SignIn struct {
	User     store.User
	Site     store.Site
	Provider store.SSOStrategy
	// Created is true when this sign-in provisioned the account.
	Created bool
	// SessionIndex and SessionNotOnOrAfter are the IdP's session, for
	// single logout and to cap our session (SAML).
	SessionIndex        string
	SessionNotOnOrAfter time.Time
	// NameID and its format name the user in a LogoutRequest (SAML).
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

// Arrival is an identity a protocol adapter has verified: the person an
// identity provider vouches for, through one of a site's providers.
type Arrival struct {
	Site     store.Site
	Provider store.SSOStrategy
	Identity provision.ExternalIdentity
	// EventType is the protocol's sign-in event type (EventSAMLLogin,
	// EventOIDCLogin).
	EventType string
	IP        string
}

// event is an SSO event of the arrival naming the person the provider
// vouched for.
func (a Arrival) event() store.SSOEvent {
	return store.SSOEvent{SiteID: a.Site.ID, EventType: a.EventType, Username: a.Identity.Username,
		IdPUID: a.Identity.ExternalID, IP: a.IP}
}

// Admit decides an arrival: it finds or provisions the account the
// identity names (see accountFor) and asks the login policy whether it
// may sign in on the web. A refusal names a real sign-in, so it is
// recorded every time, and returned as a *LoginError. On success the
// adapter records what it noticed of the sign-in, if anything, and then
// calls Admitted.
func (s *Service) Admit(ctx context.Context, a Arrival) (store.User, bool, error) {
	u, created, lerr := s.accountFor(ctx, a.Site, a.Provider, a.Identity)
	if lerr != nil {
		return store.User{}, false, s.Refuse(ctx, a.event(), a.Provider, lerr)
	}
	u, err := s.id.LoginWithSSO(ctx, a.Site.ID, u.ID, a.Provider.ID, identity.ChannelWeb, a.IP)
	if err != nil {
		return store.User{}, false, s.Refuse(ctx, a.event(), a.Provider, Refusal(CheckLoginPolicy, err, nil, ""))
	}
	return u, created, nil
}

// Admitted records the success of an admitted arrival — note, when not
// empty, is added to what its event says — and returns the sign-in, which
// the adapter completes with what its protocol adds.
func (s *Service) Admitted(ctx context.Context, a Arrival, u store.User, created bool, note string) SignIn {
	body := "signed in"
	if created {
		body = "signed in; the account was created at this first sign-in"
	}
	ev := a.event()
	ev.Status, ev.Body, ev.UserID, ev.Username = store.EventSuccess, body+note, u.ID, u.Username
	s.Record(ctx, ev, a.Provider)
	return SignIn{User: u, Site: a.Site, Provider: a.Provider, Created: created}
}

// accountFor finds the account an identity provider has just vouched for,
// the same way for every sign-in protocol: through the provisioning engine
// when the provider provisions users (which creates or updates the
// account: just-in-time provisioning), else among the accounts that
// already exist, by the provider's immutable id first and the login name
// second. created is true when this sign-in made the account. The login
// policy is not asked here; Admit asks it next.
func (s *Service) accountFor(ctx context.Context, site store.Site, p store.SSOStrategy, x provision.ExternalIdentity) (u store.User, created bool, lerr *LoginError) {
	if x.Username == "" || x.ExternalID == "" {
		return store.User{}, false, &LoginError{Check: CheckIdentity, Status: http.StatusForbidden,
			Message: "the identity provider sent no login name or no immutable id; check the provider's claim or attribute settings"}
	}
	if p.ProvisionUsers {
		res, err := s.prov.Upsert(ctx, site.ID, p.ID, x)
		if err != nil {
			return store.User{}, false, Refusal(CheckProvisioning, err, nil, "the account could not be provisioned: %s", Clip(err.Error(), 500))
		}
		if res.User.ID == 0 {
			return store.User{}, false, &LoginError{Check: CheckProvisioning, Status: http.StatusForbidden,
				Message: "the provider's provisioning rules did not give this person an account"}
		}
		return res.User, res.Action == provision.ActionCreate, nil
	}
	users, err := s.id.ListUsers(ctx, site.ID, store.UserQuery{SSOStrategyID: p.ID, ExternalID: x.ExternalID,
		ListOptions: store.ListOptions{Limit: 1}})
	if err != nil {
		return store.User{}, false, Refusal("", err, nil, "")
	}
	if len(users) == 1 {
		return users[0], false, nil
	}
	u, err = s.id.GetUserByUsername(ctx, site.ID, x.Username)
	if errors.Is(err, identity.ErrUserNotFound) {
		return store.User{}, false, &LoginError{Check: CheckNotProvisioned, Status: http.StatusForbidden,
			Message: fmt.Sprintf("no account has the login name %q, and this provider does not create accounts (provision_users is off); a site admin can create the account or turn provisioning on", Clip(x.Username, 100))}
	}
	if err != nil {
		return store.User{}, false, Refusal("", err, nil, "")
	}
	return u, false, nil
}

// SessionLinker is what a protocol adapter does when a session starts
// from one of its sign-ins: the SAML adapter remembers the identity
// provider's session, so that signing out here can sign out there.
type SessionLinker interface {
	LinkSession(ctx context.Context, in SignIn, sess store.Session)
}

// LinkSessionsOf has l told of every session a sign-in through a provider
// of protocol starts; the adapter calls it when it is made, before the
// server serves.
func (s *Service) LinkSessionsOf(protocol string, l SessionLinker) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.linkers[protocol] = l
}

// StartSession starts the web session of a finished sign-in (capped by
// the identity provider's session when it gave one) and tells the
// adapter of its protocol. It returns the session token for the cookie.
func (s *Service) StartSession(ctx context.Context, in SignIn, ip, userAgent string) (string, store.Session, error) {
	token, sess, err := s.id.StartSSOSession(ctx, in.User, identity.ChannelWeb, ip, userAgent,
		identity.SSOSessionInfo{SessionIndex: in.SessionIndex, NotOnOrAfter: in.SessionNotOnOrAfter})
	if err != nil {
		return "", store.Session{}, err
	}
	s.mu.RLock()
	l := s.linkers[in.Provider.Protocol]
	s.mu.RUnlock()
	if l != nil {
		l.LinkSession(ctx, in, sess)
	}
	return token, sess, nil
}

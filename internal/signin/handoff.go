package signin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The ACS and the OpenID Connect callback live on BaseURL's host, but a
// sign-in may have started on a site's own host (SUBDOMAIN.SiteDomain),
// where its session cookie and its browser binding cookie belong and where
// the answer on BaseURL's host can neither set nor read a cookie; and the
// ACS cannot read the binding cookie even on its own host, since the
// identity provider's cross-site POST does not carry SameSite=Lax cookies.
// So a sign-in not finished in a request that brought its binding ends
// with a one-time handoff: the finished sign-in is stored under a random
// token for HandoffLifetime, and the browser is sent (a 303, a top-level
// GET that carries Lax cookies) to HandoffPath on the host where the
// sign-in started, which takes it (once, on any node), checks the binding
// cookie there and starts the session. The token is stored only as a
// hash, no session exists until it is taken, and a token taken by another
// browser than the one that started the sign-in is refused and spent.

// HandoffLifetime is how long a handoff waits for the browser.
const HandoffLifetime = 60 * time.Second

// HandoffPath is where a site's host takes a handoff; the front end
// serves it.
const HandoffPath = "/saml/handoff"

// CheckHandoff names a refused handoff: unknown, used, expired, or for
// another site.
const CheckHandoff = "handoff"

const handoffTokenPrefix = "ghh_"

// handoff is what the ACS or callback hands over.
type handoff struct {
	UserID              int64     `json:"user_id"`
	SessionIndex        string    `json:"session_index,omitempty"`
	SessionNotOnOrAfter time.Time `json:"session_not_on_or_after,omitzero"`
	NameID              string    `json:"name_id,omitempty"`
	NameIDFormat        string    `json:"name_id_format,omitempty"`
	// BrowserHash is the sign-in's browser binding; empty only for an
	// IdP-initiated SAML sign-in, which no browser started.
	BrowserHash []byte `json:"browser_hash,omitempty"`
}

// Handoff stores a finished sign-in for the host where it started (the
// site's own) and returns the URL that finishes it there.
func (s *Service) Handoff(ctx context.Context, in SignIn) (string, error) {
	token := secret.NewToken(handoffTokenPrefix)
	data, err := json.Marshal(handoff{UserID: in.User.ID, SessionIndex: in.SessionIndex,
		SessionNotOnOrAfter: in.SessionNotOnOrAfter, NameID: in.NameID, NameIDFormat: in.NameIDFormat, BrowserHash: in.Browser})
	if err != nil {
		return "", err
	}
	ls := store.LoginState{KeyHash: secret.HashToken(token), SiteID: in.Site.ID, SSOStrategyID: in.Provider.ID,
		Kind: store.LoginStateHandoff, Data: string(data), ExpiresAt: s.now().Add(HandoffLifetime)}
	if err := s.SaveState(ctx, ls); err != nil {
		return "", Refusal("", err, nil, "")
	}
	return s.SiteURL(in.Site) + HandoffPath + "?token=" + url.QueryEscape(token), nil
}

// TakeHandoff returns the sign-in a handoff token carries to site, once,
// when browser is the binding nonce of the browser that started it. A
// token that is unknown, used, expired or meant for another site, or taken
// in another browser, is a *LoginError and an SSO event.
func (s *Service) TakeHandoff(ctx context.Context, site store.Site, token, browser, ip string) (SignIn, error) {
	refused := &LoginError{Check: CheckHandoff, Status: http.StatusForbidden,
		Message: "this sign-in link is unknown, used, expired or meant for another site; sign in again"}
	// A token this server did not make proves nothing and names no
	// provider; its refusal goes under the SAML sign-in events, the
	// handoff's path being SAML's.
	unproven := func(e *LoginError) (SignIn, error) {
		return SignIn{}, s.RefuseUnproven(ctx, store.SSOEvent{SiteID: site.ID, EventType: EventSAMLLogin, IP: ip}, store.SSOStrategy{}, e)
	}
	if token == "" || len(token) > 256 {
		return unproven(refused)
	}
	ls, err := s.TakeState(ctx, secret.HashToken(token))
	if errors.Is(err, store.ErrNotFound) || (err == nil && (ls.Kind != store.LoginStateHandoff || ls.SiteID != site.ID)) {
		return unproven(refused)
	}
	if err != nil {
		return unproven(Refusal("", err, nil, ""))
	}
	var h handoff
	if err := json.Unmarshal([]byte(ls.Data), &h); err != nil {
		return unproven(Refusal("", err, nil, ""))
	}
	u, err := s.id.GetUser(ctx, site.ID, h.UserID)
	if err != nil {
		return unproven(refused)
	}
	p, err := s.id.GetSSOStrategy(ctx, site.ID, ls.SSOStrategyID)
	if err != nil {
		return unproven(refused)
	}
	if len(h.BrowserHash) > 0 && !BrowserMatches(browser, h.BrowserHash) {
		// A real sign-in, followed by another browser: a link sent to
		// someone, or login CSRF. Each one is recorded.
		ev := store.SSOEvent{SiteID: site.ID, EventType: EventTypeOf(p), UserID: u.ID, Username: u.Username, IdPUID: u.ExternalID, IP: ip}
		return SignIn{}, s.Refuse(ctx, ev, p, BrowserRefusal())
	}
	return SignIn{User: u, Site: site, Provider: p, SessionIndex: h.SessionIndex,
		SessionNotOnOrAfter: h.SessionNotOnOrAfter, NameID: h.NameID, NameIDFormat: h.NameIDFormat,
		Browser: h.BrowserHash, BrowserChecked: len(h.BrowserHash) > 0}, nil
}

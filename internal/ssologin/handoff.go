package ssologin

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

// The ACS lives on BaseURL's host, but a site's session cookie belongs on
// the site's own host (SUBDOMAIN.SiteDomain), which the ACS's answer
// cannot set. So a sign-in to a site on another host ends with a one-time
// handoff: the ACS stores the finished sign-in under a random token for
// HandoffLifetime and sends the browser to the site's /saml/handoff, which
// takes it (once, on any node) and starts the session there. The token
// is stored only as a hash, and no session exists until it is taken.

// HandoffLifetime is how long a handoff waits for the browser.
const HandoffLifetime = 60 * time.Second

// CheckHandoff names a refused handoff: unknown, used, expired, or for
// another site.
const CheckHandoff = "handoff"

const handoffTokenPrefix = "ghh_"

// handoff is what the ACS hands over.
type handoff struct {
	UserID              int64     `json:"user_id"`
	SessionIndex        string    `json:"session_index,omitempty"`
	SessionNotOnOrAfter time.Time `json:"session_not_on_or_after,omitzero"`
	NameID              string    `json:"name_id,omitempty"`
	NameIDFormat        string    `json:"name_id_format,omitempty"`
}

// SiteURL is where a site's pages are served.
func (s *Service) SiteURL(site store.Site) string { return s.siteURL(site) }

// Handoff stores a finished sign-in for the site's own host and returns
// the URL that finishes it there.
func (s *Service) Handoff(ctx context.Context, in SignIn) (string, error) {
	token := secret.NewToken(handoffTokenPrefix)
	data, err := json.Marshal(handoff{UserID: in.User.ID, SessionIndex: in.SessionIndex,
		SessionNotOnOrAfter: in.SessionNotOnOrAfter, NameID: in.NameID, NameIDFormat: in.NameIDFormat})
	if err != nil {
		return "", err
	}
	now := s.now()
	ls := store.LoginState{KeyHash: secret.HashToken(token), SiteID: in.Site.ID, SSOStrategyID: in.Provider.ID,
		Kind: store.LoginStateHandoff, Data: string(data), ExpiresAt: now.Add(HandoffLifetime), CreatedAt: now}
	if err := s.st.CreateLoginState(ctx, &ls); err != nil {
		return "", refusal("", err, "")
	}
	return s.siteURL(in.Site) + "/saml/handoff?token=" + url.QueryEscape(token), nil
}

// TakeHandoff returns the sign-in a handoff token carries to site, once.
// A token that is unknown, used, expired or meant for another site is a
// *LoginError and an SSO event.
func (s *Service) TakeHandoff(ctx context.Context, site store.Site, token, ip string) (SignIn, error) {
	refused := &LoginError{Check: CheckHandoff, Status: http.StatusForbidden,
		Message: "this sign-in link is unknown, used, expired or meant for another site; sign in again"}
	if token == "" || len(token) > 256 {
		return SignIn{}, s.refuse(ctx, site.ID, store.SSOStrategy{}, nil, refused, ip)
	}
	ls, err := s.st.TakeLoginState(ctx, secret.HashToken(token), s.now())
	if errors.Is(err, store.ErrNotFound) || (err == nil && (ls.Kind != store.LoginStateHandoff || ls.SiteID != site.ID)) {
		return SignIn{}, s.refuse(ctx, site.ID, store.SSOStrategy{}, nil, refused, ip)
	}
	if err != nil {
		return SignIn{}, s.refuse(ctx, site.ID, store.SSOStrategy{}, nil, refusal("", err, ""), ip)
	}
	var h handoff
	if err := json.Unmarshal([]byte(ls.Data), &h); err != nil {
		return SignIn{}, s.refuse(ctx, site.ID, store.SSOStrategy{}, nil, refusal("", err, ""), ip)
	}
	u, err := s.st.GetUser(ctx, site.ID, h.UserID)
	if err != nil {
		return SignIn{}, s.refuse(ctx, site.ID, store.SSOStrategy{}, nil, refused, ip)
	}
	p, err := s.st.GetSSOStrategy(ctx, site.ID, ls.SSOStrategyID)
	if err != nil {
		return SignIn{}, s.refuse(ctx, site.ID, store.SSOStrategy{}, nil, refused, ip)
	}
	return SignIn{User: u, Site: site, Provider: p, SessionIndex: h.SessionIndex,
		SessionNotOnOrAfter: h.SessionNotOnOrAfter, NameID: h.NameID, NameIDFormat: h.NameIDFormat}, nil
}

package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Header and cookie names callers authenticate with. The headers are the
// ones Files.com's SDKs send.
const (
	apiKeyHeader  = "X-FilesAPI-Key"
	sessionHeader = "X-FilesAPI-Auth"
	sessionCookie = "gatehouse_session"
)

// principal is who a request acts as.
type principal struct {
	user         store.User     // zero for a site-wide API key
	apiKey       *store.APIKey  // set when authenticated by an API key
	session      *store.Session // set when authenticated by a session
	sessionToken string
	byCookie     bool // the session came from the browser cookie
}

// siteAdmin reports whether the caller may administer the site: a site
// admin user, or a site-wide API key (one that belongs to no user).
func (p *principal) siteAdmin() bool {
	return p.user.SiteAdmin || (p.apiKey != nil && p.apiKey.UserID == 0)
}

// actor is the caller as the identity Service sees it.
func (p *principal) actor(ip string) identity.Actor {
	if p.user.ID == 0 && p.apiKey != nil {
		return identity.Actor{Username: "api-key:" + p.apiKey.Name, SiteAdmin: true, IP: ip}
	}
	a := identity.ActorFor(p.user, ip)
	if p.session != nil {
		a.SessionID = p.session.ID
	}
	return a
}

// mustChangePassword reports whether the caller signed in with a password
// that has to be changed before anything else.
func (p *principal) mustChangePassword() bool {
	return p.session != nil && p.user.RequirePasswordChange
}

// clientIP is the address the request came from: the peer, or what a
// trusted proxy forwarded (Options.ClientAddr).
func (s *server) clientIP(r *http.Request) string { return s.clientAddr.Of(r) }

// authenticateAPI finds the caller of an API request: an API key header,
// else a session header, else the session cookie.
func (s *server) authenticateAPI(r *http.Request, site store.Site) (*principal, error) {
	ctx := r.Context()
	if key := r.Header.Get(apiKeyHeader); key != "" {
		u, k, err := s.svc.LoginWithAPIKey(ctx, site.ID, key, identity.ChannelAPI, s.clientIP(r))
		if err != nil {
			return nil, err
		}
		return &principal{user: u, apiKey: &k}, nil
	}
	if tok := r.Header.Get(sessionHeader); tok != "" {
		return s.resumeSession(ctx, site, tok, false)
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		return s.resumeSession(ctx, site, c.Value, true)
	}
	return nil, identity.ErrAuthenticationRequired
}

func (s *server) resumeSession(ctx context.Context, site store.Site, token string, byCookie bool) (*principal, error) {
	u, sess, err := s.svc.ResumeSession(ctx, site.ID, token)
	if err != nil {
		return nil, err
	}
	return &principal{user: u, session: &sess, sessionToken: token, byCookie: byCookie}, nil
}

// browserSession returns the signed-in user of the session cookie, or nil
// when there is none or it no longer works (unknown, tampered, expired:
// then the cookie is cleared). Other failures, such as an unreachable
// database, are returned, so a passing outage does not sign people out.
func (s *server) browserSession(w http.ResponseWriter, r *http.Request, site store.Site) (*principal, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	p, err := s.resumeSession(r.Context(), site, c.Value, true)
	if err != nil {
		var e *identity.Error
		if errors.As(err, &e) && e.Status < http.StatusInternalServerError {
			s.clearSessionCookie(w)
			return nil, nil
		}
		return nil, err
	}
	return p, nil
}

// setSessionCookie hands the browser its session token. The cookie lives
// no longer than the session.
func (s *server) setSessionCookie(w http.ResponseWriter, token string, sess store.Session) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (s *server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

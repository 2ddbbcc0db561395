package web

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// apiHandler serves one REST endpoint; an error it returns is written as
// Files.com's JSON error.
type apiHandler func(w http.ResponseWriter, r *http.Request, c *apiCall) error

// apiCall is what an API handler knows about its request.
type apiCall struct {
	site store.Site
	who  *principal // nil on public routes
	ip   string
}

// actor is the caller for the identity Service.
func (c *apiCall) actor() identity.Actor {
	if c.who == nil {
		return identity.Actor{IP: c.ip}
	}
	return c.who.actor(c.ip)
}

// apiEndpoint authenticates and authorizes a request for rt, then runs it.
func (s *server) apiEndpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &apiCall{site: siteFrom(r.Context()), ip: s.clientIP(r)}
		if err := s.authorizeAPI(w, r, rt, c); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := rt.api(w, r, c); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authorizeAPI fills c.who and checks the caller may use rt.
func (s *server) authorizeAPI(w http.ResponseWriter, r *http.Request, rt route, c *apiCall) error {
	if rt.Access == accessPublic {
		return nil
	}
	who, err := s.authenticateAPI(r, c.site)
	if err != nil {
		if errors.Is(err, identity.ErrInvalidSession) && r.Header.Get(apiKeyHeader) == "" && r.Header.Get(sessionHeader) == "" {
			s.clearSessionCookie(w) // the cookie's session is gone; stop sending it
		}
		return err
	}
	if who.byCookie && unsafeMethod(r.Method) {
		// A browser sends the cookie wherever the request came from; only
		// our own pages know the CSRF token to echo.
		if !s.sameOriginRequest(r) {
			return errCrossOrigin
		}
		if !csrfMatches(r, r.Header.Get(csrfHeader)) {
			return errCSRF
		}
	}
	if who.mustChangePassword() && !rt.DuringPasswordChange {
		return identity.ErrPasswordChangeRequired
	}
	if who.apiKey != nil {
		if err := identity.KeyMayUse(who.apiKey.PermissionSet, rt.Scope); err != nil {
			return err
		}
	}
	if rt.Access == accessSiteAdmin && !who.siteAdmin() {
		return identity.ErrSiteAdminRequired
	}
	c.who = who
	return nil
}

package web

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/oidclogin"
)

// OpenID Connect endpoints. Like the SAML ones they are plain routes: the
// sign-in start is a GET any button links to, and the callback is a GET
// the provider's page sends the browser to, with no form of ours in it.

// oauthLogin starts an OpenID Connect sign-in: 302 to the provider, with
// the browser binding cookie (ssobrowser.go) the callback or the handoff
// checks.
func (s *server) oauthLogin(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.pageNotFound(w, r)
		return
	}
	id, ok := s.signInProvider(w, r)
	if !ok {
		return
	}
	redirect, err := s.oidc.Begin(r.Context(), siteFrom(r.Context()), id, s.bindBrowser(w, r), s.clientIP(r))
	if err != nil {
		s.renderSSOError(w, r, err)
		return
	}
	http.Redirect(w, r, redirect, http.StatusFound)
}

// loginFromOAuth is the redirect URI, /login_from_oauth?provider=<kind>,
// shared by every site and provider; the state names which. It needs no
// CSRF token: the state (single use, made for this provider) and the
// browser binding cookie are the proof, and a refused GET changes nothing.
// The binding of a sign-in that started on another host is checked there,
// at the handoff.
func (s *server) loginFromOAuth(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.pageNotFound(w, r)
		return
	}
	// The code is in this URL: never hand it to another site.
	w.Header().Set("Referrer-Policy", "no-referrer")
	q := r.URL.Query()
	in, err := s.oidc.Finish(r.Context(), oidclogin.Callback{
		HostSite: siteFrom(r.Context()), Provider: q.Get("provider"), State: q.Get("state"), Code: q.Get("code"),
		Error: q.Get("error"), ErrorDesc: q.Get("error_description"), Browser: s.browserNonce(r), IP: s.clientIP(r),
	})
	if err != nil {
		s.renderSSOError(w, r, err)
		return
	}
	s.finishSSOSignIn(w, r, in)
}

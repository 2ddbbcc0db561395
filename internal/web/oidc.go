package web

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/oidclogin"
)

// OpenID Connect endpoints. Like the SAML ones they are plain routes: the
// sign-in start is a GET any button links to, and the callback is a GET
// the provider's page sends the browser to, with no form of ours in it.

// oidcBrowserCookie binds a sign-in's state to the browser that started
// it: a state copied into another browser (a link sent to a victim, a
// forged callback) finds no matching cookie there and is refused.
const oidcBrowserCookie = "gatehouse_oidc"

// oidcBrowserLifetime bounds the binding cookie; the state itself expires
// in the store (oidclogin.Options.StateLifetime).
const oidcBrowserLifetime = 15 * time.Minute

// oauthLogin starts an OpenID Connect sign-in: 302 to the provider.
func (s *server) oauthLogin(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.pageNotFound(w, r)
		return
	}
	id, ok := s.signInProvider(w, r)
	if !ok {
		return
	}
	started, err := s.oidc.Begin(r.Context(), siteFrom(r.Context()), id, clientIP(r))
	if err != nil {
		s.renderSSOError(w, r, err)
		return
	}
	// Lax: the callback is a top-level GET from the provider's page, which
	// a Lax cookie rides along with; a cross-site subrequest gets none.
	http.SetCookie(w, &http.Cookie{Name: oidcBrowserCookie, Value: started.Browser, Path: oidclogin.CallbackPath,
		Domain: s.callbackCookieDomain(r), MaxAge: int(oidcBrowserLifetime / time.Second),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, started.Redirect, http.StatusFound)
}

// callbackCookieDomain is the Domain of the binding cookie. The callback
// lives on BaseURL's host; a sign-in started there sets a host-only
// cookie, one started on a site's own host (SUBDOMAIN.SiteDomain) sets it
// for SiteDomain when BaseURL's host lies under it, so the callback gets
// it. Otherwise the browser cannot carry it and the sign-in must start on
// BaseURL's host.
func (s *server) callbackCookieDomain(r *http.Request) string {
	base, err := url.Parse(s.baseOrigin)
	if err != nil || s.siteDomain == "" {
		return ""
	}
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	baseHost := strings.ToLower(base.Hostname())
	if host == baseHost || !strings.HasSuffix(baseHost, "."+s.siteDomain) && baseHost != s.siteDomain {
		return ""
	}
	return s.siteDomain
}

// loginFromOAuth is the redirect URI, /login_from_oauth?provider=<kind>,
// shared by every site and provider; the state names which. It needs no
// CSRF token: the state (single use, made for this provider) and the
// browser binding cookie are the proof, and a refused GET changes nothing.
func (s *server) loginFromOAuth(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.pageNotFound(w, r)
		return
	}
	// The code is in this URL: never hand it to another site.
	w.Header().Set("Referrer-Policy", "no-referrer")
	q := r.URL.Query()
	var browser string
	if c, err := r.Cookie(oidcBrowserCookie); err == nil {
		browser = c.Value
	}
	http.SetCookie(w, &http.Cookie{Name: oidcBrowserCookie, Value: "", Path: oidclogin.CallbackPath,
		Domain: s.callbackCookieDomain(r), MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	in, err := s.oidc.Finish(r.Context(), oidclogin.Callback{
		HostSite: siteFrom(r.Context()), Provider: q.Get("provider"), State: q.Get("state"), Code: q.Get("code"),
		Error: q.Get("error"), ErrorDesc: q.Get("error_description"), Browser: browser, IP: clientIP(r),
	})
	if err != nil {
		s.renderSSOError(w, r, err)
		return
	}
	s.finishSSOSignIn(w, r, in)
}

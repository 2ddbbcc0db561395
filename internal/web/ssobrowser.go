package web

import (
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/signin"
)

// The browser binding cookie of SP-initiated sign-ins (see package
// signin, binding.go). The sign-in start (/saml/login, /oauth/login)
// sets it on the host where the person clicked the button, and the
// request that finishes the sign-in on that host — the OpenID Connect
// callback when it lands there, else /saml/handoff — must bring it back.
//
// Host-only (no Domain), so no other site's host sees or sets it; with
// https it is a __Host- cookie, which the browser accepts only from this
// very host, over TLS, for the whole host: a neighbouring host under the
// same parent domain cannot plant one. HttpOnly, and SameSite=Lax, so
// it rides the top-level GET back from the identity provider (the OpenID
// Connect callback, the 303 to the handoff) and no cross-site subrequest.
const (
	ssoBrowserCookie       = "gatehouse_sso"
	ssoBrowserCookieSecure = "__Host-gatehouse_sso"
)

// ssoBrowserLifetime outlives any sign-in in flight (a state waits 15
// minutes, a handoff one); every sign-in start renews it.
const ssoBrowserLifetime = time.Hour

func (s *server) ssoBrowserCookieName() string {
	if s.secure {
		return ssoBrowserCookieSecure
	}
	return ssoBrowserCookie
}

// browserNonce is the binding nonce the request brought, or "".
func (s *server) browserNonce(r *http.Request) string {
	c, err := r.Cookie(s.ssoBrowserCookieName())
	if err != nil || !signin.WellFormedBrowserNonce(c.Value) {
		return ""
	}
	return c.Value
}

// bindBrowser returns the browser's binding nonce on this host, giving it
// one when it has none, and renews the cookie. One nonce serves every
// sign-in the browser has in flight here, so two tabs signing in at once
// both finish.
func (s *server) bindBrowser(w http.ResponseWriter, r *http.Request) string {
	nonce := s.browserNonce(r)
	if nonce == "" {
		nonce = signin.NewBrowserNonce()
	}
	http.SetCookie(w, &http.Cookie{Name: s.ssoBrowserCookieName(), Value: nonce, Path: "/",
		MaxAge: int(ssoBrowserLifetime / time.Second), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	return nonce
}

package web

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/secret"
)

// CSRF protection: every browser gets a random token in its own cookie
// (csrfCookie), which forms echo in a hidden field and cookie-authenticated
// API calls echo in the X-CSRF-Token header. Another site can make a
// browser send the cookie but cannot read it to echo it. The pre-login form
// carries the token too, so another site cannot sign a browser in to an
// account of the attacker's choosing (login CSRF).
const (
	csrfCookie    = "gatehouse_csrf"
	csrfField     = "csrf_token"
	csrfHeader    = "X-CSRF-Token"
	csrfTokenSize = 43 // secret.NewToken("") without prefix: 32 bytes, base64url
)

// csrfToken returns the browser's CSRF token, giving it one if it has none
// (or a malformed one).
func (s *server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && wellFormedToken(c.Value) {
		return c.Value
	}
	return s.newCSRFToken(w)
}

// newCSRFToken gives the browser a fresh token; done at sign-in so a token
// planted before it is worthless after.
func (s *server) newCSRFToken(w http.ResponseWriter) string {
	tok := secret.NewToken("")
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: tok, Path: "/",
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode,
	})
	return tok
}

// wellFormedToken accepts only what newCSRFToken makes.
func wellFormedToken(t string) bool {
	if len(t) != csrfTokenSize {
		return false
	}
	for _, c := range t {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// csrfMatches compares the token a request echoed with its cookie in
// constant time.
func csrfMatches(r *http.Request, echoed string) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || !wellFormedToken(c.Value) || len(echoed) != len(c.Value) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(echoed)) == 1
}

// unsafeMethod reports whether a request may change state.
func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// sameOriginRequest refuses what browsers label as coming from another
// site: Sec-Fetch-Site cross-site, or an Origin that is neither BaseURL's
// origin nor the origin the request was sent to (sites live on their own
// subdomains, so a site's own pages post to their own host).
func (s *server) sameOriginRequest(r *http.Request) bool {
	if strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "cross-site") {
		return false
	}
	origin := strings.ToLower(r.Header.Get("Origin"))
	if origin == "" {
		return true
	}
	if origin == s.baseOrigin {
		return true
	}
	scheme := "http"
	if s.secure {
		scheme = "https"
	}
	return origin == scheme+"://"+strings.ToLower(r.Host)
}

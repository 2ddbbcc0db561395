package signin

import (
	"crypto/sha256"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/secret"
)

// Browser binding. Every SP-initiated sign-in, SAML or OpenID Connect, is
// tied to the browser that started it: the sign-in start gives the browser
// a random nonce in a cookie on the host where it clicked the button (the
// front end's job), and the login state keeps the nonce's hash. The sign-in
// ends only in a request that brings the nonce back to that host: the
// OpenID Connect callback when it lands there, else the handoff (see
// handoff.go), which every sign-in finished elsewhere passes through — the
// SAML ACS always, since its cross-site POST carries no SameSite=Lax
// cookie. Without the binding, whoever holds a finished sign-in (a
// SAMLResponse, a callback URL, a handoff link) could sign another
// browser in to their own account (login CSRF).
//
// Only an IdP-initiated SAML sign-in, which answers no request of ours, has
// no browser to be tied to; a provider accepts those only when its
// saml_idp_initiated option says so.

// CheckBrowser names a sign-in refused because the request that would
// finish it did not come from the browser that started it.
const CheckBrowser = "browser"

// BrowserRefusal is what a person sees when the binding does not match.
func BrowserRefusal() *LoginError {
	return &LoginError{Check: CheckBrowser, Status: http.StatusForbidden,
		Message: "this sign-in was started in another browser, or this browser did not keep its cookie; start again from the sign-in page of this site, in this browser"}
}

// NewBrowserNonce returns a fresh binding nonce: 256 random bits.
func NewBrowserNonce() string { return secret.NewToken("") }

// WellFormedBrowserNonce reports whether v has the shape NewBrowserNonce
// gives, so a front end reuses only its own nonces and replaces anything
// else a cookie holds.
func WellFormedBrowserNonce(v string) bool {
	if len(v) != len(NewBrowserNonce()) {
		return false
	}
	for _, c := range v {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// BrowserHash is what a login state keeps of a nonce.
func BrowserHash(nonce string) []byte {
	h := sha256.Sum256([]byte("sso-browser\x00" + nonce))
	return h[:]
}

// BrowserMatches reports, in constant time, whether nonce is the one whose
// hash a sign-in kept. A sign-in that kept none matches nothing.
func BrowserMatches(nonce string, hash []byte) bool {
	if nonce == "" || len(hash) != sha256.Size {
		return false
	}
	return secret.Equal(BrowserHash(nonce), hash)
}

package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/samllogin"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// SAML endpoints. They are plain routes, outside pageEndpoint, because
// none of them is a form of ours: the metadata and the sign-in start are
// GETs any browser or identity provider may fetch, and the ACS receives a
// form the identity provider's page posts from its own origin.

// samlMetadata serves our SP metadata (application/samlmetadata+xml). Its
// URL is our entity ID: /saml/metadata for the providers on the shared ACS,
// /saml/metadata/{identifier} for a provider with a provider_identifier.
func (s *server) samlMetadata(w http.ResponseWriter, r *http.Request) {
	if s.saml == nil {
		s.pageNotFound(w, r)
		return
	}
	identifier := r.PathValue("identifier")
	if len(identifier) > 256 {
		s.pageNotFound(w, r)
		return
	}
	p := store.SSOStrategy{Protocol: identity.ProtocolSAML, ProviderIdentifier: identifier}
	md, err := s.saml.Metadata(r.Context(), siteFrom(r.Context()), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(md)))
	_, _ = w.Write(md)
}

// signInProvider reads the sso_strategy_id of a sign-in link (SAML's
// /saml/login, OpenID Connect's /oauth/login), or answers a page saying it
// is missing.
func (s *server) signInProvider(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.URL.Query().Get("sso_strategy_id"), 10, 64)
	if err != nil || id <= 0 {
		s.render(w, r, http.StatusBadRequest, "error", pageData{Title: "Single sign-on",
			Error: "The sign-in link lacks a valid sso_strategy_id; use a button on the sign-in page."})
		return 0, false
	}
	return id, true
}

// samlLogin starts an SP-initiated sign-in: 302 to the identity provider.
func (s *server) samlLogin(w http.ResponseWriter, r *http.Request) {
	if s.saml == nil {
		s.pageNotFound(w, r)
		return
	}
	id, ok := s.signInProvider(w, r)
	if !ok {
		return
	}
	redirect, err := s.saml.Begin(r.Context(), siteFrom(r.Context()), id, s.bindBrowser(w, r), s.clientIP(r))
	if err != nil {
		s.renderSSOError(w, r, err)
		return
	}
	http.Redirect(w, r, redirect, http.StatusFound)
}

// samlConsume is the Assertion Consumer Service (HTTP-POST binding).
//
// It is the one unsafe route without the CSRF token check: the identity
// provider's page posts this form from its own origin, so no token of ours
// can be in it, and SameSite cookies are not sent with it. The proof the
// check would give comes from the response itself instead: it must carry
// a valid signature of the trusted identity provider, be addressed to this
// ACS and this service provider, answer a request we sent (or be an
// IdP-initiated one the provider allows), be fresh, and never have been
// used before on any node. That the browser posting it is the one that
// sent the request cannot be seen here, without cookies: an answer to our
// request always goes on to the handoff, where it is.
func (s *server) samlConsume(w http.ResponseWriter, r *http.Request) {
	if s.saml == nil {
		s.pageNotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, "error", pageData{Title: "Single sign-on",
			Error: "The identity provider's answer could not be read."})
		return
	}
	identifier := r.PathValue("identifier")
	in, err := s.saml.Consume(r.Context(), samllogin.ConsumeRequest{
		HostSite: siteFrom(r.Context()), Identifier: identifier,
		SAMLResponse: r.PostForm.Get("SAMLResponse"), RelayState: r.PostForm.Get("RelayState"), IP: s.clientIP(r),
	})
	if err != nil {
		s.renderSSOError(w, r, err)
		return
	}
	s.finishSSOSignIn(w, r, in)
}

// finishSSOSignIn ends a verified SAML or OpenID Connect sign-in. A
// session starts in this answer only for a sign-in of the site this host
// serves that is either checked against the browser that started it or
// tied to none (IdP-initiated, which its provider must allow). Any other
// goes through the handoff to the host where it started — the site's own,
// or this one after a cross-site POST that could not bring the binding
// cookie — and the 303 makes that a top-level GET, which carries it.
func (s *server) finishSSOSignIn(w http.ResponseWriter, r *http.Request, in signin.SignIn) {
	if in.Site.ID == siteFrom(r.Context()).ID && (in.Browser == nil || in.BrowserChecked) {
		s.startSSOSession(w, r, in)
		return
	}
	next, err := s.signin.Handoff(r.Context(), in)
	if err != nil {
		s.renderSSOError(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// samlHandoff finishes, on the host where it started, a sign-in the shared
// ACS or callback verified: it takes the one-time token and, when this
// browser brings the binding cookie the sign-in started with, starts the
// session here. It needs no CSRF token: the token is single use, and the
// binding is what ties it to this browser.
func (s *server) samlHandoff(w http.ResponseWriter, r *http.Request) {
	if s.signin == nil {
		s.pageNotFound(w, r)
		return
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	in, err := s.signin.TakeHandoff(r.Context(), siteFrom(r.Context()), r.URL.Query().Get("token"), s.browserNonce(r), s.clientIP(r))
	if err != nil {
		s.renderSSOError(w, r, err)
		return
	}
	s.startSSOSession(w, r, in)
}

// startSSOSession starts the session of a finished SSO sign-in, sets its
// cookie and sends the browser to the start page.
func (s *server) startSSOSession(w http.ResponseWriter, r *http.Request, in signin.SignIn) {
	token, sess, err := s.signin.StartSession(r.Context(), in, s.clientIP(r), r.UserAgent())
	if err != nil {
		s.renderErrorPage(w, r, s.typed(r, err))
		return
	}
	s.setSessionCookie(w, token, sess)
	s.newCSRFToken(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// samlLogout is our single logout endpoint (HTTP-Redirect binding), on the
// site's own host. An identity provider's signed LogoutRequest ends the
// sessions it names and is answered with a LogoutResponse; the answer to
// our own LogoutRequest finishes a sign-out started here. Like the ACS it
// needs no CSRF token: the message's signature is the proof, and a GET
// that is refused changes nothing.
func (s *server) samlLogout(w http.ResponseWriter, r *http.Request) {
	if s.saml == nil {
		s.pageNotFound(w, r)
		return
	}
	res, err := s.saml.Logout(r.Context(), samllogin.LogoutMessage{HostSite: siteFrom(r.Context()),
		Identifier: r.PathValue("identifier"), RawQuery: r.URL.RawQuery, IP: s.clientIP(r)})
	if err != nil {
		s.renderSSOError(w, r, err)
		return
	}
	if res.Redirect != "" {
		http.Redirect(w, r, res.Redirect, http.StatusFound)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// renderSSOError shows a refused sign-in as a page that says what to check.
func (s *server) renderSSOError(w http.ResponseWriter, r *http.Request, err error) {
	var le *signin.LoginError
	if !errors.As(err, &le) {
		s.renderErrorPage(w, r, s.typed(r, err))
		return
	}
	if le.Status >= 500 && le.Err != nil {
		s.typed(r, le.Err) // logs the cause
	}
	msg := strings.TrimSpace(le.Message)
	if msg == "" {
		msg = "the sign-in was refused"
	}
	if le.RetryAfter > 0 {
		// Too many starts from this address: nothing was recorded, so the
		// page only says to wait.
		w.Header().Set("Retry-After", strconv.Itoa(int((le.RetryAfter+time.Second-1)/time.Second)))
		s.render(w, r, le.Status, "error", pageData{Title: "Single sign-on: please wait",
			Error: "Single sign-on was not started (" + le.Check + "): " + msg + "."})
		return
	}
	s.render(w, r, le.Status, "error", pageData{Title: "Single sign-on failed",
		Error: "Single sign-on failed (" + le.Check + "): " + msg + ". A site admin finds the details in the SSO events."})
}

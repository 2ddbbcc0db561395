package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/oidclogin"
	"github.com/gatehouse/gatehouse/internal/samllogin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// maxPasswordBytes bounds what is handed to the password hash; a longer
// "password" is refused without hashing it.
const maxPasswordBytes = 1024

// loginRefused is the one message every refused sign-in shows, so the page
// never tells whether a username exists, is locked or signs in elsewhere.
const loginRefused = "Invalid username or password."

// loginRefusedSSOHint follows loginRefused when the page has SSO buttons.
const loginRefusedSSOHint = " If your organisation signs you in with single sign-on, use its button below."

func (s *server) loginPage(w http.ResponseWriter, r *http.Request, pc *pageCall) {
	if pc.who != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, pc, http.StatusOK, "", "")
}

func (s *server) renderLogin(w http.ResponseWriter, r *http.Request, pc *pageCall, status int, username, msg string) {
	buttons, err := s.ssoButtons(r, pc.site)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if msg == loginRefused && len(buttons) > 0 {
		msg += loginRefusedSSOHint
	}
	s.render(w, r, status, "login", pageData{Title: "Sign in", CSRF: pc.csrf, Error: msg, Username: username,
		HelpText: pc.site.LoginHelpText, SSOButtons: buttons})
}

// ssoButtons lists the enabled providers shown on the login page whose
// sign-in can start, each linking to its protocol's sign-in start.
func (s *server) ssoButtons(r *http.Request, site store.Site) ([]ssoButton, error) {
	var out []ssoButton
	opts := store.ListOptions{Limit: 200}
	for {
		page, err := s.svc.ListSSOStrategies(r.Context(), site.ID, opts)
		if err != nil {
			return nil, err
		}
		for _, st := range page {
			if b, ok := buttonFor(st); ok {
				out = append(out, b)
			}
		}
		if len(page) < opts.Limit {
			return out, nil
		}
		opts.AfterID = page[len(page)-1].ID
	}
}

func buttonFor(st store.SSOStrategy) (ssoButton, bool) {
	if !st.Enabled || !st.DisplayOnLoginPage {
		return ssoButton{}, false
	}
	// A provider whose trust settings are not complete yet (it is being
	// set up in steps) gets no button: its sign-in could not start.
	var start string
	switch st.Protocol {
	case identity.ProtocolSAML:
		if !samllogin.CanStart(st) {
			return ssoButton{}, false
		}
		start = "/saml/login"
	case identity.ProtocolOAuth2:
		if !oidclogin.CanStart(st) {
			return ssoButton{}, false
		}
		start = "/oauth/login"
	default:
		return ssoButton{}, false // directory providers sign in through the password form
	}
	label := st.Label
	if label == "" {
		label = st.Provider
	}
	b := ssoButton{Label: "Sign in with " + label, URL: start + "?sso_strategy_id=" + strconv.FormatInt(st.ID, 10)}
	// Only https logos: the page's content policy allows no other images
	// from elsewhere, and a plain-http image would leak the page's visit.
	if strings.HasPrefix(strings.ToLower(st.LogoURL), "https://") {
		b.LogoURL = st.LogoURL
	}
	return b, true
}

// loginSubmit signs in with the form's username and password.
func (s *server) loginSubmit(w http.ResponseWriter, r *http.Request, pc *pageCall) {
	username := r.PostForm.Get("username")
	password := r.PostForm.Get("password")
	if username == "" || password == "" || len(password) > maxPasswordBytes || len(username) > 1024 {
		s.renderLogin(w, r, pc, http.StatusUnauthorized, truncate(username, 256), loginRefused)
		return
	}
	u, err := s.svc.LoginWithPassword(r.Context(), identity.PasswordLogin{
		SiteID: pc.site.ID, Username: username, Password: password, Channel: identity.ChannelWeb, IP: pc.ip})
	s.svc.RecordChannelLogin(r.Context(), pc.site.ID, identity.ChannelWeb, identity.CredentialPassword, username, pc.ip, err)
	if err != nil {
		e := s.typed(r, err)
		switch {
		case e.Status >= 500:
			s.renderErrorPage(w, r, e)
		case errors.Is(err, identity.ErrTooManyLoginAttempts):
			// The address is throttled: saying so names no account.
			s.renderLogin(w, r, pc, e.Status, username, sentence(e.Message))
		default:
			s.renderLogin(w, r, pc, http.StatusUnauthorized, username, loginRefused)
		}
		return
	}
	if err := s.startBrowserSession(w, r, pc, u); err != nil {
		s.writeError(w, r, err)
		return
	}
	next := "/"
	if u.RequirePasswordChange {
		next = "/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// startBrowserSession starts a web session for u in this browser: its
// cookie and a new CSRF token. Signing in again replaces the browser's
// old session rather than leaving it behind.
func (s *server) startBrowserSession(w http.ResponseWriter, r *http.Request, pc *pageCall, u store.User) error {
	token, sess, err := s.svc.StartSession(r.Context(), u, identity.ChannelWeb, pc.ip, r.UserAgent())
	if err != nil {
		return err
	}
	if pc.who != nil {
		_ = s.svc.EndSession(r.Context(), pc.site.ID, pc.who.sessionToken)
	}
	s.setSessionCookie(w, token, sess)
	s.newCSRFToken(w)
	return nil
}

// sentence turns an error message into a sentence for a page.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/console"
	"github.com/gatehouse/gatehouse/internal/identity"
)

// freshFormGrace is how much longer than console.FreshFor a form opened
// while the sign-in was fresh may take to be sent: an admin filling in a
// provider's settings is not sent to sign in again half-way.
const freshFormGrace = 20 * time.Minute

// consoleRoutes are the console's pages as routes of the front end: site
// admins only, the console's assets public.
func (s *server) consoleRoutes() []route {
	if s.console == nil {
		return nil
	}
	var out []route
	for _, cr := range s.console.Routes() {
		if cr.Plain != nil {
			out = append(out, route{Method: cr.Method, Pattern: cr.Pattern, Access: accessPublic, plain: cr.Plain})
			continue
		}
		out = append(out, route{Method: cr.Method, Pattern: cr.Pattern, Access: accessSiteAdmin, page: s.consolePage(cr)})
	}
	return append(out,
		route{Method: "GET", Pattern: "/reauth", Access: accessSignedIn, page: s.reauthPage},
		route{Method: "POST", Pattern: "/reauth", Access: accessSignedIn, page: s.reauthSubmit},
	)
}

// consolePage hands a console page its call, after the checks every
// console page needs: a site admin signed in by the browser (an API key
// has no console), and for the pages that change trust or cannot be
// undone, a recent sign-in.
func (s *server) consolePage(cr console.Route) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, pc *pageCall) {
		if !pc.who.byCookie || pc.who.session == nil || !pc.who.user.SiteAdmin {
			s.renderErrorPage(w, r, identity.ErrSiteAdminRequired.With("the console is for site admins; ask one to make you a site admin, or go back to your account"))
			return
		}
		signedIn := pc.who.session.CreatedAt
		if cr.Fresh {
			window := console.FreshFor
			if r.Method == http.MethodPost {
				window += freshFormGrace
			}
			if s.now().Sub(signedIn) > window {
				s.renderReauth(w, r, pc, http.StatusForbidden, reauthNext(r), "")
				return
			}
		}
		cr.Page(w, r, &console.Call{Site: pc.site, User: pc.who.user, Actor: pc.who.actor(pc.ip), CSRF: pc.csrf, SignedInAt: signedIn})
	}
}

// reauthNext is where to go after signing in again: the page asked for
// (a GET), or the page the refused form was on.
func reauthNext(r *http.Request) string {
	if r.Method == http.MethodGet {
		return r.URL.RequestURI()
	}
	if ref, err := url.Parse(r.Referer()); err == nil && safeNext(ref.RequestURI()) {
		return ref.RequestURI()
	}
	return console.Prefix + "/"
}

// safeNext accepts only a path of the console on this server: never
// another host ("//evil", "/\evil"), never a scheme.
func safeNext(next string) bool {
	return strings.HasPrefix(next, console.Prefix+"/") && !strings.ContainsAny(next, "\\\r\n") && !strings.HasPrefix(next, "//")
}

func (s *server) reauthPage(w http.ResponseWriter, r *http.Request, pc *pageCall) {
	next := r.URL.Query().Get("next")
	if !safeNext(next) {
		next = console.Prefix + "/"
	}
	s.renderReauth(w, r, pc, http.StatusOK, next, "")
}

// renderReauth asks the signed-in admin to prove it is still them: their
// password, or a new round-trip to their identity provider.
func (s *server) renderReauth(w http.ResponseWriter, r *http.Request, pc *pageCall, status int, next, msg string) {
	d := pageData{Title: "Confirm it's you", CSRF: pc.csrf, Error: msg, Username: pc.who.user.Username, Refresh: "", Next: next}
	u := pc.who.user
	if u.AuthenticationMethod == "sso" && u.SSOStrategyID != 0 {
		if st, err := s.svc.GetSSOStrategy(r.Context(), pc.site.ID, u.SSOStrategyID); err == nil {
			if b, ok := buttonFor(st); ok {
				d.SSOButtons = []ssoButton{b}
			}
		}
	}
	s.render(w, r, status, "reauth", d)
}

// reauthSubmit checks the signed-in user's password again and replaces
// their session with a new one, so the console's fresh-sign-in window
// starts now. The username is the session's, never the form's.
func (s *server) reauthSubmit(w http.ResponseWriter, r *http.Request, pc *pageCall) {
	next := r.PostForm.Get("next")
	if !safeNext(next) {
		next = console.Prefix + "/"
	}
	password := r.PostForm.Get("password")
	if password == "" || len(password) > maxPasswordBytes {
		s.renderReauth(w, r, pc, http.StatusUnauthorized, next, "Enter your password.")
		return
	}
	u, err := s.svc.LoginWithPassword(r.Context(), identity.PasswordLogin{
		SiteID: pc.site.ID, Username: pc.who.user.Username, Password: password, Channel: identity.ChannelWeb, IP: pc.ip})
	if err != nil {
		e := s.typed(r, err)
		if e.Status >= 500 {
			s.renderErrorPage(w, r, e)
			return
		}
		msg := "That password is not right."
		if errors.Is(err, identity.ErrTooManyLoginAttempts) || errors.Is(err, identity.ErrLockedOut) {
			msg = sentence(e.Message)
		}
		s.renderReauth(w, r, pc, http.StatusUnauthorized, next, msg)
		return
	}
	if err := s.startBrowserSession(w, r, pc, u); err != nil {
		s.writeError(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

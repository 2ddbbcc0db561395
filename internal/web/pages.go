package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/webapp"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets/gatehouse.css
var stylesheet []byte

// pageTemplates holds each page parsed with the shared layout.
type pageTemplates struct {
	byName map[string]*template.Template
}

func parsePageTemplates() (*pageTemplates, error) {
	pt := &pageTemplates{byName: map[string]*template.Template{}}
	for _, name := range []string{"login", "password", "error", "leaving", "reauth"} {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		pt.byName[name] = t
	}
	return pt, nil
}

// pageData is what every template may show.
type pageData struct {
	Title      string
	SiteName   string
	CSRF       string
	Error      string
	Username   string
	HelpText   string
	SSOButtons []ssoButton
	Forced     bool
	// PasswordMinLength is the site's rule for a new password, shown on
	// the form before anyone gets it wrong.
	PasswordMinLength int
	// PasswordElsewhere, for a user without a Gatehouse password, says
	// where their password lives instead of offering to change it.
	PasswordElsewhere string
	// Refresh is where the page sends the browser on by itself (a meta
	// refresh, which the content security policy's form-action does not
	// govern, unlike a redirect answering a form post).
	Refresh string
	// Next is where a page sends the browser on after it is done (the
	// re-authentication page: the console page that asked for it).
	Next string
}

// ssoButton is one "Sign in with <provider>" button.
type ssoButton struct {
	Label   string
	URL     string
	LogoURL string // https only; empty for none
}

// pageHandler serves one page; it writes its own answer.
type pageHandler func(w http.ResponseWriter, r *http.Request, pc *pageCall)

// pageCall is what a page handler knows about its request.
type pageCall struct {
	site store.Site
	who  *principal // nil when signed out
	csrf string
	ip   string
}

// pageEndpoint checks what every page needs: that a form post came from
// our own page (origin and CSRF token), who is signed in, and that a
// signed-in user with a password to change changes it first.
func (s *server) pageEndpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pc := &pageCall{site: siteFrom(r.Context()), ip: s.clientIP(r)}
		if unsafeMethod(r.Method) {
			if !s.sameOriginRequest(r) {
				s.writeError(w, r, errCrossOrigin)
				return
			}
			if err := parseForm(r); err != nil {
				s.writeError(w, r, s.formError(err))
				return
			}
			if !csrfMatches(r, r.PostForm.Get(csrfField)) {
				s.writeError(w, r, errCSRF)
				return
			}
		}
		who, err := s.browserSession(w, r, pc.site)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		pc.who = who
		if rt.Access != accessPublic {
			if pc.who == nil {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			if pc.who.mustChangePassword() && !rt.DuringPasswordChange {
				http.Redirect(w, r, "/password", http.StatusSeeOther)
				return
			}
		}
		pc.csrf = s.csrfToken(w, r)
		rt.page(w, r, pc)
	})
}

// parseForm reads a posted form, multipart ones (the console's file
// uploads) included; the front end has already bounded the body.
func parseForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(maxBodyBytes)
	}
	return r.ParseForm()
}

// formError types a failure to read a form body.
func (s *server) formError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return identity.ErrBodyTooLarge
	}
	return identity.ErrInvalidBody.With("the form could not be read")
}

// render writes a page; a template failure is logged and answered as a
// plain 500, since a half-written page is worse than none.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	if d.SiteName == "" {
		d.SiteName = siteName(siteFrom(r.Context()))
	}
	var buf bytes.Buffer
	if err := s.pages.byName[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		s.typed(r, fmt.Errorf("rendering page %s: %w", name, err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func siteName(s store.Site) string {
	if s.Name != "" {
		return s.Name
	}
	return "Gatehouse"
}

// renderErrorPage shows a typed error as a page.
func (s *server) renderErrorPage(w http.ResponseWriter, r *http.Request, e *identity.Error) {
	msg := e.Message
	if msg == "" {
		msg = e.Title
	}
	s.render(w, r, e.Status, "error", pageData{Title: e.Title, Error: msg})
}

func serveStylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(stylesheet)
}

// homePage is where a sign-in lands: the web app's account page.
func (s *server) homePage(w http.ResponseWriter, r *http.Request, pc *pageCall) {
	s.appPage(webapp.Route{Page: s.app.Account})(w, r, pc)
}

// logoutSubmit ends the browser's session.
func (s *server) logoutSubmit(w http.ResponseWriter, r *http.Request, pc *pageCall) {
	// A session a SAML sign-in started is also ended at the identity
	// provider when it has single logout: the browser goes there next.
	next := "/login"
	if s.saml != nil && pc.who.session != nil {
		if slo := s.saml.StartLogout(r.Context(), pc.site, *pc.who.session); slo != "" {
			next = slo
		}
	}
	if err := s.svc.EndSession(r.Context(), pc.site.ID, pc.who.sessionToken); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.clearSessionCookie(w)
	if next == "/login" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	// Browsers apply form-action 'self' to the redirects that answer a form
	// post, so a 303 to the identity provider would be blocked and the
	// sign-out would stop here; a page that moves on by itself is not.
	s.render(w, r, http.StatusOK, "leaving", pageData{Title: "Signing out", Refresh: next})
}

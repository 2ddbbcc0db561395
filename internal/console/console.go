// Package console is the site admin's console in the browser: the pages
// that connect an identity provider (SAML, OpenID Connect, LDAP), make
// its SCIM credentials and show the values to paste into it, and manage
// users. It is a front end beside the REST API and decides nothing
// itself: every page calls the same identity, sign-in and provisioning
// services the API calls, so a form refuses what the API refuses, in the
// same words.
//
// The web front end owns the request: it finds the site, checks the
// browser's session, the CSRF token and that the caller is a site admin,
// and hands each page a Call. Pages are server-rendered; the only
// JavaScript is the console's own file (copy buttons, confirmations),
// which the content security policy allows as a same-origin script.
package console

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/htmlpage"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/ldapsync"
	"github.com/gatehouse/gatehouse/internal/oidclogin"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/samllogin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Prefix is where the console's pages live.
const Prefix = "/admin"

// FreshFor is how recently an admin must have signed in for the actions
// that cannot be undone or that change whom the site trusts (deleting a
// provider or a user, resetting a SCIM token, changing trust settings).
const FreshFor = 10 * time.Minute

// Options configure the console.
type Options struct {
	Service *identity.Service
	// SAML and OIDC give the values to paste into an identity provider;
	// nil leaves that protocol's values out.
	SAML *samllogin.Service
	OIDC *oidclogin.Service
	// LDAPSync tests LDAP providers and runs their syncs; nil hides those
	// buttons.
	LDAPSync *ldapsync.Service
	// Provision previews what a provider's provisioning would change.
	Provision *provision.Engine
	// Jobs runs Sync now in the background; nil makes one that lives as
	// long as the process.
	Jobs *Jobs
	// SyncEvery is how often the scheduled LDAP sync runs (0: off).
	SyncEvery time.Duration
	// SCIMTenantURL is the SCIM base URL the server answers on, and
	// BaseURL where people reach the server.
	SCIMTenantURL string
	BaseURL       string
	// Notifier sends the site settings' test alert (nil or events.Discard:
	// no mail server).
	Notifier events.Notifier
	Logger   *slog.Logger
	Clock    func() time.Time
}

// Console serves the console's pages.
type Console struct {
	svc       *identity.Service
	saml      *samllogin.Service
	oidc      *oidclogin.Service
	ldapSync  *ldapsync.Service
	provision *provision.Engine
	jobs      *Jobs
	scimURL   string
	baseURL   string
	syncEvery time.Duration
	notifier  events.Notifier
	log       *slog.Logger
	now       func() time.Time
	pages     *htmlpage.Set
}

// New returns the console.
func New(o Options) (*Console, error) {
	if o.Service == nil {
		return nil, errors.New("console: Options.Service is required")
	}
	c := &Console{svc: o.Service, saml: o.SAML, oidc: o.OIDC, ldapSync: o.LDAPSync, provision: o.Provision,
		jobs: o.Jobs, scimURL: o.SCIMTenantURL, baseURL: o.BaseURL, syncEvery: o.SyncEvery, notifier: o.Notifier, log: o.Logger, now: o.Clock}
	if c.jobs == nil {
		c.jobs = NewJobs()
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	var err error
	if c.pages, err = htmlpage.Parse(templateFS, funcs, c.log, pageNames...); err != nil {
		return nil, err
	}
	return c, nil
}

// Call is what the front end tells a page about its request.
type Call struct {
	Site  store.Site
	User  store.User
	Actor identity.Actor
	// CSRF is the token every form of the page must carry.
	CSRF string
	// SignedInAt is when the browser's session began, which tells whether
	// the admin signed in recently enough for a destructive action.
	SignedInAt time.Time
}

// Page serves one console page.
type Page func(w http.ResponseWriter, r *http.Request, c *Call)

// Route is one console page, for the front end's routing table.
type Route struct {
	Method  string
	Pattern string
	Page    Page
	// Fresh routes need a sign-in within FreshFor; the front end sends an
	// admin who signed in earlier to sign in again first.
	Fresh bool
	// Plain routes (the console's stylesheet and script) need no session.
	Plain http.HandlerFunc
}

// Routes is every page of the console.
func (c *Console) Routes() []Route {
	p := Prefix
	return []Route{
		{Method: "GET", Pattern: p + "/assets/console.css", Plain: htmlpage.Asset(assetFS, "console.css", "text/css; charset=utf-8")},
		{Method: "GET", Pattern: p + "/assets/console.js", Plain: htmlpage.Asset(assetFS, "console.js", "text/javascript; charset=utf-8")},
		{Method: "GET", Pattern: p + "/{$}", Page: c.overview},
		{Method: "GET", Pattern: p + "/providers", Page: c.providerList},
		{Method: "GET", Pattern: p + "/new-provider", Page: c.providerKinds},
		{Method: "GET", Pattern: p + "/new-provider/{kind}", Page: c.providerNew, Fresh: true},
		{Method: "POST", Pattern: p + "/new-provider/{kind}", Page: c.providerCreate, Fresh: true},
		{Method: "GET", Pattern: p + "/providers/{id}", Page: c.providerShow},
		{Method: "GET", Pattern: p + "/providers/{id}/edit", Page: c.providerEdit, Fresh: true},
		{Method: "POST", Pattern: p + "/providers/{id}/edit", Page: c.providerUpdate, Fresh: true},
		{Method: "POST", Pattern: p + "/providers/{id}/delete", Page: c.providerDelete, Fresh: true},
		{Method: "POST", Pattern: p + "/providers/{id}/scim", Page: c.scimCredentials, Fresh: true},
		{Method: "POST", Pattern: p + "/providers/{id}/ldap-test", Page: c.ldapTest},
		{Method: "POST", Pattern: p + "/providers/{id}/sync", Page: c.ldapSyncNow},
		{Method: "GET", Pattern: p + "/providers/{id}/sync", Page: c.ldapSyncProgress},
		{Method: "GET", Pattern: p + "/migrate", Page: c.migrate},
		{Method: "POST", Pattern: p + "/migrate", Page: c.migrateRun, Fresh: true},
		{Method: "POST", Pattern: p + "/migrate/disable-source", Page: c.migrateDisableSource, Fresh: true},
		{Method: "GET", Pattern: p + "/settings", Page: c.settings},
		{Method: "POST", Pattern: p + "/settings", Page: c.settingsUpdate},
		{Method: "POST", Pattern: p + "/settings/test-alert", Page: c.testAlert},
		{Method: "GET", Pattern: p + "/logs", Plain: htmlpage.RedirectTo(p + "/logs/sso")},
		{Method: "GET", Pattern: p + "/logs/{log}", Page: c.logs},
		{Method: "GET", Pattern: p + "/logs/{log}/{id}", Page: c.logEntry},
		{Method: "GET", Pattern: p + "/users", Page: c.userList},
		{Method: "GET", Pattern: p + "/users/{id}", Page: c.userShow},
		{Method: "POST", Pattern: p + "/users/{id}/auth", Page: c.userAuth},
		{Method: "POST", Pattern: p + "/users/{id}/access", Page: c.userAccess},
		{Method: "POST", Pattern: p + "/users/{id}/groups", Page: c.userGroups},
		{Method: "POST", Pattern: p + "/users/{id}/unlock", Page: c.userUnlock},
		{Method: "POST", Pattern: p + "/users/{id}/reset-password", Page: c.userResetPassword, Fresh: true},
		{Method: "POST", Pattern: p + "/users/{id}/api-keys/{key}/revoke", Page: c.userRevokeKey(false)},
		{Method: "POST", Pattern: p + "/users/{id}/ssh-keys/{key}/revoke", Page: c.userRevokeKey(true)},
		{Method: "POST", Pattern: p + "/users/{id}/delete", Page: c.userDelete, Fresh: true},
		{Method: "GET", Pattern: p + "/groups", Page: c.groupList},
		{Method: "GET", Pattern: p + "/groups/{id}", Page: c.groupShow},
	}
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets/*
var assetFS embed.FS

// pageNames are the pages, each parsed with the layout.
var pageNames = []string{"overview", "providers", "provider_kinds", "provider_form", "provider", "secret",
	"ldap_test", "sync_result", "sync_progress", "logs", "log_entry", "settings", "migrate", "error", "users", "user", "user_password", "groups", "group"}

// funcs are the helpers templates use.
var funcs = template.FuncMap{
	"field": field,
	"list":  func(s ...string) []string { return s },
	"iff": func(cond bool, s string) string {
		if cond {
			return s
		}
		return ""
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
	"span": span,
	"yesno": func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	},
}

// view is what every page shows: the layout's parts and the page's own
// data.
type view struct {
	Title   string
	Section string // the navigation entry that is current
	Site    string
	Admin   string
	CSRF    string
	Notice  string // a success message
	Error   string // a refusal that belongs to no one field
	// Fields are refusals next to the fields they are about.
	Fields map[string]string
	// Form is what a form page's fields hold.
	Form formValues
	Data any
}

// fieldView is one form field as the "field" template draws it.
type fieldView struct {
	Name, Label, Type, Value, Error, Hint string
	Checked                               bool
}

// field describes field name of the page's form: its label, input type
// ("text", "password", "url", "checkbox", "textarea", "number") and hint.
func field(v view, name, label, typ, hint string) fieldView {
	f := fieldView{Name: name, Label: label, Type: typ, Value: v.Form.get(name), Error: v.Fields[name], Hint: hint}
	if typ == "checkbox" {
		f.Checked, f.Value = v.Form.on(name), ""
	}
	if typ == "password" {
		f.Value = ""
	}
	return f
}

// render writes a page with what the layout shows.
func (c *Console) render(w http.ResponseWriter, r *http.Request, call *Call, status int, name string, v view) {
	v.Site = call.Site.Name
	if v.Site == "" {
		v.Site = "Gatehouse"
	}
	v.Admin, v.CSRF = call.User.Username, call.CSRF
	if f, ok := v.Data.(providerForm); ok && v.Form == nil {
		v.Form = f.Values
	}
	c.pages.Render(w, status, name, v)
}

// fail shows a refusal as a page, with its status, in the console's
// layout; an error that is not a typed refusal is logged and shown as the
// internal error, never with its text.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, call *Call, err error) {
	e := identity.AsError(err)
	if e == identity.ErrInternal {
		c.log.Error("console page failed", "path", r.URL.Path, "err", err)
	}
	msg := e.Message
	if msg == "" {
		msg = e.Title
	}
	c.render(w, r, call, e.Status, "error", view{Title: e.Title, Error: msg})
}

// pathID reads a numeric path value; a malformed one is not found.
func pathID(r *http.Request, name string, notFound *identity.Error) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound
	}
	return id, nil
}

// seeOther answers a form post with the page to show next.
func seeOther(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, call *Call) {
	c.render(w, r, call, http.StatusOK, "overview", view{Title: "Console"})
}

// span says a duration as people do: "hour", "2 hours", "30 minutes".
func span(d time.Duration) string {
	unit, n := "minute", int(d/time.Minute)
	if d >= time.Hour && d%time.Hour == 0 {
		unit, n = "hour", int(d/time.Hour)
	}
	if n <= 1 {
		return unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

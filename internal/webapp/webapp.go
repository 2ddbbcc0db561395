// Package webapp is the web app every signed-in user lives in, whatever
// their authentication method (password, SSO, LDAP): their files in the
// browser, and the pages where they look after their own API keys and SSH
// keys and learn how to connect to the other channels.
//
// Like the admin console it is a front end that decides nothing itself:
// file pages act through the same file view (internal/transfer/vfs) and
// its permission checks as SFTP, FTP, WebDAV and the REST API, and the
// self-service pages call the identity service the REST API calls. The
// web front end owns the request: it finds the site, checks the browser's
// session and the CSRF token of every form, and hands each page a Call.
//
// Pages are server-rendered and work without script. One same-origin
// script (assets/files.js) adds what a form cannot do: uploads in parts
// through the REST API's begin_upload flow (the one the Files.com SDKs
// use, so the browser has no upload path of its own), progress, cancel,
// retries after a dropped connection, drag and drop, and selection. The
// look is the console's stylesheet, so the two front ends stay one
// design.
package webapp

import (
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/htmlpage"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// Options configure the web app.
type Options struct {
	// Service is the identity core the self-service pages call.
	Service *identity.Service
	// Files is the file storage; nil shows a page saying the server keeps
	// no files.
	Files *vfs.Storage
	// Channels tells How to connect where the file-transfer channels
	// listen; it is asked at every visit, since the listeners open after
	// the pages are made. Nil shows every channel as off.
	Channels func() Channels
	Logger   *slog.Logger
	Clock    func() time.Time
}

// App serves the web app's pages.
type App struct {
	svc      *identity.Service
	files    *vfs.Storage
	channels func() Channels
	log      *slog.Logger
	now      func() time.Time
	pages    *htmlpage.Set
}

// New returns the web app.
func New(o Options) (*App, error) {
	if o.Service == nil {
		return nil, errors.New("webapp: Options.Service is required")
	}
	a := &App{svc: o.Service, files: o.Files, channels: o.Channels, log: o.Logger, now: o.Clock}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.now == nil {
		a.now = time.Now
	}
	var err error
	if a.pages, err = htmlpage.Parse(templateFS, funcs, a.log, pageNames...); err != nil {
		return nil, err
	}
	return a, nil
}

// Call is what the front end tells a page about its request.
type Call struct {
	Site  store.Site
	User  store.User
	Actor identity.Actor
	// CSRF is the token every form of the page must carry, and the
	// script's REST calls send as X-CSRF-Token.
	CSRF string
}

// Page serves one page of the web app.
type Page func(w http.ResponseWriter, r *http.Request, c *Call)

// Route is one page, for the front end's routing table.
type Route struct {
	Method  string
	Pattern string
	Page    Page
	// Plain routes (the app's script and stylesheet) need no session.
	Plain http.HandlerFunc
}

// Routes is every page of the web app.
func (a *App) Routes() []Route {
	return []Route{
		{Method: "GET", Pattern: "/assets/files.js", Plain: htmlpage.Asset(assetFS, "files.js", "text/javascript; charset=utf-8")},
		{Method: "GET", Pattern: "/assets/files.css", Plain: htmlpage.Asset(assetFS, "files.css", "text/css; charset=utf-8")},
		{Method: "GET", Pattern: "/files", Plain: htmlpage.RedirectTo("/files/")},
		{Method: "GET", Pattern: "/files/{path...}", Page: a.browse},
		{Method: "POST", Pattern: "/files/{path...}", Page: a.act},
		{Method: "GET", Pattern: "/download/{path...}", Page: a.download},
		{Method: "GET", Pattern: "/zip/{path...}", Page: a.zipFolder},
		{Method: "POST", Pattern: "/zip/{path...}", Page: a.zipSelection},
		{Method: "GET", Pattern: "/preview/{path...}", Page: a.preview},
		{Method: "GET", Pattern: "/api-keys", Page: a.apiKeys},
		{Method: "POST", Pattern: "/api-keys", Page: a.createAPIKey},
		{Method: "POST", Pattern: "/api-keys/{id}/revoke", Page: a.revokeAPIKey},
		{Method: "GET", Pattern: "/ssh-keys", Page: a.sshKeys},
		{Method: "POST", Pattern: "/ssh-keys", Page: a.addSSHKey},
		{Method: "POST", Pattern: "/ssh-keys/{id}/remove", Page: a.removeSSHKey},
		{Method: "GET", Pattern: "/connect", Page: a.connect},
	}
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets/*
var assetFS embed.FS

// pageNames are the pages, each parsed with the layout.
var pageNames = []string{"files", "confirm", "preview", "error", "apikeys", "apikey_created", "sshkeys", "connect", "account"}

// view is what every page shows: the layout's parts and the page's own
// data.
type view struct {
	Title   string
	Section string // the navigation entry that is current
	Site    string
	User    string
	Admin   bool
	CSRF    string
	Notice  string
	Error   string
	Data    any
}

// render writes a page with what the layout shows.
func (a *App) render(w http.ResponseWriter, call *Call, status int, name string, v view) {
	v.Site = call.Site.Name
	if v.Site == "" {
		v.Site = "Gatehouse"
	}
	v.User, v.Admin, v.CSRF = call.User.Username, call.User.SiteAdmin, call.CSRF
	a.pages.Render(w, status, name, v)
}

// fail shows a refusal as a page in the app's layout; an error that is
// not a typed refusal is logged and shown as the internal error, never
// with its text.
func (a *App) fail(w http.ResponseWriter, r *http.Request, call *Call, err error) {
	e := identity.AsError(err)
	if e == identity.ErrInternal && r.Context().Err() == nil {
		a.log.Error("web app page failed", "path", r.URL.Path, "err", err)
	}
	msg := e.Message
	if msg == "" {
		msg = e.Title
	}
	a.render(w, call, e.Status, "error", view{Title: e.Title, Error: msg, Section: "files"})
}

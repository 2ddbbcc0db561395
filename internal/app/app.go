// Package app wires Gatehouse together: configuration -> master key ->
// store -> identity service -> HTTP servers. It is the only package that
// knows every other one, and it holds no logic of its own beyond the wiring.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/console"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/oidclogin"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/samllogin"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/supervise"
	"github.com/gatehouse/gatehouse/internal/web"
)

// App is an opened Gatehouse: its store and services, ready to serve or to
// answer a CLI command.
type App struct {
	Config   config.Config
	Logger   *slog.Logger
	Store    store.Store
	Identity *identity.Service
	// Notifier sends admin alerts: e-mail with --smtp-url, nothing without.
	Notifier events.Notifier
	// Provision is the one engine that turns providers' identities into
	// users, groups and memberships.
	Provision *provision.Engine
	// Directories checks LDAP and Active Directory passwords for the
	// identity core, with one connection pool per provider.
	Directories *directory.Service
	// Outbound is what the connections a site admin points somewhere
	// (metadata URLs, OpenID issuers, LDAP hosts) may reach.
	Outbound outbound.Policy
	// Site is the default site, created on first start.
	Site store.Site
	// Refusals records what requests that proved nothing cause to be
	// logged — SAML and OpenID Connect refusals, refused sign-ins on the
	// file channels and at LDAP directories, throttled addresses, SCIM
	// requests without valid credentials — so that a flood of them cannot
	// fill the SSO events, the external events or the SCIM log. One
	// limiter serves them all, run and flushed once by Serve.
	Refusals *events.RefusalLimiter

	// signin is the sign-in core, and sso and oidc its SAML and OpenID
	// Connect adapters: one of each, so that the web front end, the
	// metadata refresh and the identity core's checks of saved providers
	// share their caches, and both protocols one limit of sign-in starts
	// per address.
	signin *signin.Service
	sso    *samllogin.Service
	oidc   *oidclogin.Service
	// consoleJobs runs the console's Sync now: started by the web front
	// end, stopped with the other background work.
	consoleJobs *console.Jobs

	files lazyFiles // see FileStorage
	// listening holds the ports the SFTP and FTP listeners opened, for
	// the web app's How to connect (see transferChannels).
	listening struct{ sftp, ftp atomic.Int64 }
	// urlSigner signs the REST API's presigned upload and download URIs,
	// with a key derived from the master key, so every node agrees.
	urlSigner *secret.Signer
	uploads   lazyUploads // see Uploads
	// clock is what the background work (workers.go) reads the time
	// from and waits on: the system's, a testclock.Clock in tests.
	clock supervise.Clock
}

// NewLogger returns the structured logger the configuration asks for.
func NewLogger(c config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Open loads (or creates) the master key, opens and migrates the store, and
// makes sure the default site exists: what serve and init do.
func Open(ctx context.Context, c config.Config, logger *slog.Logger) (*App, error) {
	return open(ctx, c, logger, false)
}

// OpenExisting is Open for every other command: it refuses, with what to
// check, when there is no database or master key where the configuration
// points, rather than creating an empty one (a mistyped --data-dir would
// otherwise show an empty server, and a command that writes would leave a
// second database behind).
func OpenExisting(ctx context.Context, c config.Config, logger *slog.Logger) (*App, error) {
	if err := ErrNoStore(ctx, c); err != nil {
		return nil, err
	}
	return open(ctx, c, logger, true)
}

// ErrNoStore says, when the configuration points at no Gatehouse
// database or master key, what is missing and how to create or find it;
// nil when both are there.
func ErrNoStore(ctx context.Context, c config.Config) error {
	create := "to create one: gatehouse init" + StoreFlags(c)
	if c.UsesPostgres() {
		ok, err := postgres.HasSchema(ctx, c.DatabaseURL)
		if err != nil {
			return fmt.Errorf("open store: %w", err)
		}
		if !ok {
			return fmt.Errorf("no Gatehouse database at the --database-url given (it has no Gatehouse tables); is --database-url right? %s", create)
		}
	} else if _, err := os.Stat(c.SQLitePath()); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no Gatehouse database at %s; is --data-dir right? %s", c.SQLitePath(), create)
	}
	if _, err := os.Stat(c.MasterKeyFile); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no master key at %s, so the secrets in the database cannot be opened; is --master-key-file (or --data-dir) right?", c.MasterKeyFile)
	}
	return nil
}

// StoreFlags are the flags a CLI command needs to find the database and
// master key this server uses, for hints that work when pasted from any
// directory: the absolute --data-dir, the master key file when it is not
// the data directory's, and for PostgreSQL the
// URL from the environment (never the URL itself, which may hold a
// password).
func StoreFlags(c config.Config) string {
	var b strings.Builder
	if c.UsesPostgres() {
		b.WriteString(` --database-url "$GATEHOUSE_DATABASE_URL"`)
	} else if abs, err := filepath.Abs(c.DataDir); err == nil {
		fmt.Fprintf(&b, " --data-dir %s", ShellQuote(abs))
	}
	if c.MasterKeyFile != filepath.Join(c.DataDir, "master.key") {
		if abs, err := filepath.Abs(c.MasterKeyFile); err == nil {
			fmt.Fprintf(&b, " --master-key-file %s", ShellQuote(abs))
		}
	}
	return b.String()
}

// ShellQuote quotes s for a POSIX shell when it needs it, so a hint
// pastes as written.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@,+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// open is Open; existing (the command line's) takes the public address
// serve recorded where the configuration gives none.
func open(ctx context.Context, c config.Config, logger *slog.Logger, existing bool) (*App, error) {
	if logger == nil {
		logger = NewLogger(c, os.Stderr)
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	key, err := secret.LoadOrCreateKey(c.MasterKeyFile)
	if err != nil {
		return nil, err
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		return nil, err
	}
	var st store.Store
	if c.UsesPostgres() {
		st, err = postgres.Open(ctx, c.DatabaseURL)
	} else {
		st, err = openSQLite(c.SQLitePath(), logger)
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if existing {
		if err := adoptPublicAddress(ctx, st, &c); err != nil {
			st.Close()
			return nil, err
		}
	}
	notifier, err := events.NewNotifier(c.SMTPURL, c.SMTPFrom, st, logger)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("admin alerts: %w", err)
	}
	if m, ok := notifier.(*events.Mailer); ok {
		logger.Info("admin alerts by e-mail", "smtp", m.Server())
	}
	engine := provision.New(st, provision.Options{Notifier: notifier, Logger: logger})
	policy := outbound.Policy{AllowPrivate: c.Outbound.AllowPrivate}
	refusals := events.NewRefusalLimiter(st, events.RefusalLimits{Logger: logger})
	// The identity core asks the directories about LDAP passwords, and
	// the directories open their service account passwords through it.
	dirs := directory.New(directory.Options{Store: st, Provision: engine, Outbound: policy, Logger: logger, Refusals: refusals})
	a := &App{
		Config:      c,
		Logger:      logger,
		Store:       st,
		Identity:    identity.New(st, identity.Options{Sealer: sealer, Logger: logger, Directory: dirs, Refusals: refusals}),
		Notifier:    notifier,
		Provision:   engine,
		Directories: dirs,
		Refusals:    refusals,
		Outbound:    policy,
		consoleJobs: console.NewJobs(),
		clock:       supervise.SystemClock{},
	}
	dirs.SetSecrets(a.Identity)
	if a.urlSigner, err = web.NewURLSigner(key); err != nil {
		st.Close()
		return nil, err
	}
	if err := a.startSignIn(); err != nil {
		st.Close()
		return nil, err
	}
	if a.Site, err = a.Identity.EnsureDefaultSite(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("create default site: %w", err)
	}
	return a, nil
}

// openSQLite opens the embedded store after making its files private, and
// warns about any file that others could read until now.
func openSQLite(path string, logger *slog.Logger) (store.Store, error) {
	loosened, err := sqlite.SecureFiles(path)
	if err != nil {
		return nil, err
	}
	for _, l := range loosened {
		logger.Warn("a database file was open to other users of this host; it is now readable by Gatehouse's user only",
			"file", l.Path, "mode_was", l.Mode.String(), "mode", sqlite.FileMode.String())
	}
	return sqlite.Open(path)
}

// adoptPublicAddress sets the base URL and site domain to those serve
// recorded, each where the configuration does not give one, so that the
// command line prints the URLs the server answers at (a SCIM Tenant URL
// pasted into Entra must be the server's, not http://127.0.0.1:8080).
func adoptPublicAddress(ctx context.Context, st store.Store, c *config.Config) error {
	rec, err := st.PublicAddress(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the server's public address: %w", err)
	}
	if !c.Given("base-url") && rec.BaseURL != "" {
		c.BaseURL = rec.BaseURL
	}
	if !c.Given("site-domain") {
		c.SiteDomain = rec.SiteDomain
	}
	return nil
}

// RecordPublicAddress records the address this server runs at, for the
// command line (see adoptPublicAddress); serve calls it at each start.
func (a *App) RecordPublicAddress(ctx context.Context) error {
	return a.Store.SetPublicAddress(ctx, store.PublicAddress{BaseURL: a.Config.BaseURL, SiteDomain: a.Config.SiteDomain})
}

// Close releases the directory connections and the store.
func (a *App) Close() error {
	_ = a.Directories.Close()
	return a.Store.Close()
}

// Bootstrap creates the first site admin when the default site has no user
// yet, and returns the one-time password to print (empty when there was
// already a user).
func (a *App) Bootstrap(ctx context.Context) (store.User, string, error) {
	users, err := a.Identity.ListUsers(ctx, a.Site.ID, store.UserQuery{ListOptions: store.ListOptions{Limit: 1}})
	if err != nil || len(users) > 0 {
		return store.User{}, "", err
	}
	return a.Identity.CreateFirstAdmin(ctx, a.Site.ID, "admin")
}

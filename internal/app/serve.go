package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/clientaddr"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/httpbody"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/oidclogin"
	"github.com/gatehouse/gatehouse/internal/ops"
	"github.com/gatehouse/gatehouse/internal/samllogin"
	"github.com/gatehouse/gatehouse/internal/scim"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/web"
)

// sessionSweepInterval is how often expired sessions, login states and
// remembered SAML assertion IDs are removed.
const sessionSweepInterval = 10 * time.Minute

// Listen opens the HTTP listener, so callers can print the address before
// serving (and tests can ask for port 0).
func (a *App) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", a.Config.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another server running? pick another address with --listen)", a.Config.Listen, err)
	}
	return ln, nil
}

// ClientAddr finds where HTTP requests come from: their peer, or what one
// of --trusted-proxies forwarded.
func (a *App) ClientAddr() (clientaddr.Resolver, error) {
	return clientaddr.New(a.Config.HTTP.TrustedProxies)
}

// Handler builds the whole HTTP handler of the main listener: health and
// readiness, then the web front end, all counted by o's metrics middleware.
func (a *App) Handler(o *ops.Ops) (http.Handler, error) {
	sso, err := a.SSOLogin()
	if err != nil {
		return nil, err
	}
	ldapSync, err := a.LDAPSyncService()
	if err != nil {
		return nil, err
	}
	oidcLogin, err := a.OIDCLogin()
	if err != nil {
		return nil, err
	}
	files, err := a.FileStorage()
	if err != nil {
		return nil, err
	}
	dav, err := a.WebDAV()
	if err != nil {
		return nil, err
	}
	clients, err := a.ClientAddr()
	if err != nil {
		return nil, err
	}
	front, err := web.New(web.Config{
		ClientAddr:      clients,
		BodyIdleTimeout: a.Config.HTTP.BodyIdleTimeout,
		NotReadyWhen:    o.NotReadyWhen,
		WebDAV:          dav,
		Files:           files,
		LDAPSync:        ldapSync,
		SignIn:          a.signin,
		SAML:            sso,
		OIDC:            oidcLogin,
		Service:         a.Identity,
		BaseURL:         a.Config.BaseURL,
		SiteDomain:      a.Config.SiteDomain,
		Logger:          a.Logger,
		Provision:       a.Provision,
		SCIM: scim.New(scim.Config{Identity: a.Identity, Log: a.Store, Members: a.Store, Engine: a.Provision, Auth: a.Identity,
			BaseURL: a.Config.BaseURL, Logger: a.Logger, Refusals: a.Refusals}),
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	o.MountHealth(mux)
	mux.Handle("/", front)
	return o.Instrument(httpbody.Middleware(a.Config.HTTP.BodyIdleTimeout, mux)), nil
}

// Serve answers HTTP on ln until ctx is cancelled, then shuts down
// gracefully: new connections are refused and requests in flight get up to
// 30 seconds to finish.
//
// There is no ReadTimeout for whole requests: it would cut off large
// uploads on slow links and still let a trickling client hold its request
// for its full length. Headers must arrive within ReadHeaderTimeout, and
// every read of a body gets the idle time (--http-body-idle-timeout, see
// internal/httpbody); small bodies must also arrive whole within 30
// seconds, and are read before they queue (internal/web).
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	o := ops.New(a.Store)
	h, err := a.Handler(o)
	if err != nil {
		return err
	}
	if err := a.startMetrics(ctx, o); err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	if err := a.startSFTP(ctx); err != nil {
		return err
	}
	if err := a.startFTP(ctx); err != nil {
		return err
	}
	if a.Outbound.AllowPrivate {
		a.Logger.Info("connections to identity providers and directories may reach private addresses (--allow-private-outbound)")
	}
	go a.sweepSessions(ctx)
	go a.Refusals.Run(ctx)
	go a.sweepStaleUploads(ctx)
	if sso, err := a.SSOLogin(); err == nil {
		// Hourly passes refresh metadata older than a day, and retry a
		// failing URL at most hourly.
		go sso.RunMetadataRefresh(ctx, time.Hour)
	}
	// Every node may prune: deleting what is already gone is harmless, and
	// reminders are claimed in the store so each goes out once.
	go events.NewRetention(a.Store, events.RetentionOptions{Notifier: a.Notifier, Logger: a.Logger}).Run(ctx)
	if ldapSync, err := a.LDAPSyncService(); err == nil {
		go a.runLDAPSchedule(ctx, ldapSync)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Logger.Info("shutting down", "grace", "30s")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	// The counts of refusals not recorded one by one go in, even those of
	// windows still open: SSO, file channel and SCIM refusals alike.
	a.Refusals.FlushAll(shutdownCtx)
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (a *App) sweepSessions(ctx context.Context) {
	t := time.NewTicker(sessionSweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := a.Store.DeleteExpiredSessions(ctx, time.Now()); err != nil {
				a.Logger.Warn("removing expired sessions failed", "err", err)
			} else if n > 0 {
				a.Logger.Debug("removed expired sessions", "count", n)
			}
			// Sign-ins in flight and used SAML assertion IDs expire too.
			if n, err := a.Store.DeleteExpiredLoginState(ctx, time.Now()); err != nil {
				a.Logger.Warn("removing expired login state failed", "err", err)
			} else if n > 0 {
				a.Logger.Debug("removed expired login state", "count", n)
			}
		}
	}
}

// startSignIn makes the sign-in core over the app's identity core,
// provisioning engine and alerts, with its SAML and OpenID Connect
// adapters, and has the identity core check with them what a saved
// provider trusts.
func (a *App) startSignIn() error {
	var err error
	a.signin, err = signin.New(signin.Options{
		Identity: a.Identity, Provision: a.Provision, Store: a.Store, BaseURL: a.Config.BaseURL, SiteDomain: a.Config.SiteDomain,
		Notifier: a.Notifier, Logger: a.Logger, Refusals: a.Refusals, Outbound: a.Outbound,
	})
	if err != nil {
		return err
	}
	if a.sso, err = samllogin.New(a.signin); err != nil {
		return err
	}
	if a.oidc, err = oidclogin.New(a.signin, oidclogin.Options{}); err != nil {
		return err
	}
	a.Identity.SetTrustChecker(identity.TrustByProtocol{identity.ProtocolSAML: a.sso, identity.ProtocolOAuth2: a.oidc})
	return nil
}

// SSOLogin returns the SAML single sign-on service.
func (a *App) SSOLogin() (*samllogin.Service, error) { return a.sso, nil }

// OIDCLogin returns the OpenID Connect sign-in service.
func (a *App) OIDCLogin() (*oidclogin.Service, error) { return a.oidc, nil }

// SignIn returns the sign-in core the SAML and OpenID Connect services
// share.
func (a *App) SignIn() *signin.Service { return a.signin }

package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/clientaddr"
	"github.com/gatehouse/gatehouse/internal/httpbody"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/oidclogin"
	"github.com/gatehouse/gatehouse/internal/ops"
	"github.com/gatehouse/gatehouse/internal/samllogin"
	"github.com/gatehouse/gatehouse/internal/scim"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/supervise"
	"github.com/gatehouse/gatehouse/internal/web"
)

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
	uploads, err := a.Uploads()
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
	front, err := web.New(web.Options{
		ClientAddr:      clients,
		BodyIdleTimeout: a.Config.HTTP.BodyIdleTimeout,
		NotReadyWhen:    o.NotReadyWhen,
		WebDAV:          dav,
		Files:           files,
		Uploads:         uploads,
		URLSigner:       a.urlSigner,
		LDAPSync:        ldapSync,
		Notifier:        a.Notifier,
		Channels:        a.transferChannels,
		LDAPSyncEvery:   a.Config.LDAPSyncEvery,
		SignIn:          a.signin,
		SAML:            sso,
		OIDC:            oidcLogin,
		Service:         a.Identity,
		BaseURL:         a.Config.BaseURL,
		SiteDomain:      a.Config.SiteDomain,
		Logger:          a.Logger,
		Provision:       a.Provision,
		ConsoleJobs:     a.consoleJobs,
		SCIM: scim.New(scim.Options{Identity: a.Identity, Log: a.Store, Engine: a.Provision, Auth: a.Identity,
			BaseURL: a.Config.BaseURL, Logger: a.Logger, Refusals: a.Refusals, ClientAddr: clients}),
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	o.MountHealth(mux)
	mux.Handle("/", front)
	return o.Instrument(httpbody.Middleware(a.Config.HTTP.BodyIdleTimeout, mux)), nil
}

// Serve answers HTTP on ln, and SFTP, FTP and metrics on their own
// listeners, and runs the background work, until ctx is cancelled or one
// of them fails; then it stops them in order (package supervise): every
// listener stops accepting and requests and transfers in flight get up to
// 30 seconds to finish, then the background work stops and is waited for
// (an LDAP sync finishes applying), then the refusal counts are written.
// Only then does Serve return, so the caller may close the store.
//
// A listener that dies (an accept error that is not a passing shortage)
// or a worker that fails stops the whole server, which exits with that
// error, rather than being restarted in place: a supervisor (systemd,
// Kubernetes) restarts the process whole and shows the failure, while a
// server that kept restarting a listener would hide a lasting fault (the
// address taken, descriptors exhausted) behind a green /readyz. From the
// moment of the failure until the HTTP listener closes, /readyz answers
// 503 with the reason.
//
// There is no ReadTimeout for whole requests: it would cut off large
// uploads on slow links and still let a trickling client hold its request
// for its full length. Headers must arrive within ReadHeaderTimeout, and
// every read of a body gets the idle time (--http-body-idle-timeout, see
// internal/httpbody); small bodies must also arrive whole within 30
// seconds, and are read before they queue (internal/web).
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	s, err := a.serving(ln)
	if err != nil {
		return err
	}
	return s.group.Run(ctx)
}

// served is what Serve runs: the group, and the listeners it opened (by
// service name) so that tests can break one.
type served struct {
	group     *supervise.Group
	listeners map[string]net.Listener
	ops       *ops.Ops
}

// serving opens every listener and builds the group Serve runs. Opening
// happens here, before anything serves, so a taken port stops start-up
// with a clear error (and the listeners opened before it are closed).
func (a *App) serving(ln net.Listener) (_ *served, err error) {
	s := &served{group: &supervise.Group{Logger: a.Logger}, listeners: map[string]net.Listener{"http": ln}, ops: ops.New(a.Store)}
	defer func() {
		if err != nil {
			for name, l := range s.listeners {
				if name != "http" { // the caller's
					_ = l.Close()
				}
			}
		}
	}()
	// Readiness says why the server stops, from the moment it begins to.
	var stopping atomic.Pointer[string]
	s.ops.NotReadyBecause(func() string {
		if r := stopping.Load(); r != nil {
			return *r
		}
		return ""
	})
	s.group.Stopping = func(reason string) { stopping.Store(&reason) }
	h, err := a.Handler(s.ops)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	s.group.Services = append(s.group.Services, supervise.HTTP("http", srv, ln))
	for _, open := range []func() (*supervise.Service, net.Listener, error){
		func() (*supervise.Service, net.Listener, error) { return a.metricsService(s.ops) },
		a.sftpService,
		a.ftpService,
	} {
		svc, l, err := open()
		if err != nil {
			return nil, err
		}
		if svc != nil {
			s.group.Services = append(s.group.Services, *svc)
			s.listeners[svc.Name] = l
		}
	}
	if a.Outbound.AllowPrivate {
		a.Logger.Info("connections to identity providers and directories may reach private addresses (--allow-private-outbound)")
	}
	if s.group.Workers, err = a.workers(); err != nil {
		return nil, err
	}
	// The counts of refusals not recorded one by one go in, even those of
	// windows still open: SSO, file channel and SCIM refusals alike.
	s.group.Flush = a.Refusals.FlushAll
	return s, nil
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

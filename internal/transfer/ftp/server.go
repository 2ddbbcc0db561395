// Package ftp is Gatehouse's FTP and explicit FTPS (AUTH TLS) front end.
// The protocol is goftp.io/server/v2's; this package supplies what it
// cannot know: who may sign in (the identity core's login policy on channel
// "ftp", through the credential package, so SSO users sign in with an API
// key as the password), what they see (their vfs view of the storage), and
// when a signed-in user is cut off: every command after sign-in asks the
// identity core again (package access, recheck.go), so a user a provider
// disabled, a demoted admin, a revoked permission or a changed password
// takes effect at the connection's next command.
//
// Where the library is not safe with hostile clients, this package
// replaces the part: control connections are accepted on our own listener
// and bounded (guard.go), data connections are our own passive sockets that
// serve only the client's address, and active mode is refused (passive.go).
//
// Five of the parts replaced live in goftp's unexported fields, which
// private.go reaches through reflection: New checks every one of them and
// refuses to build a server on a library version where any is missing or
// of another type, and a test pins the version (v2.0.3) they were checked
// against. Each upstream change below would let one go, and all five
// would let private.go and its unsafe go:
//
//   - Serve taking the TLS configuration from Options.TLSConfig, as
//     ListenAndServe does: no more Server.tlsConfig;
//   - FEAT built from the Commands the server serves, or settable: no
//     more Server.feats;
//   - a way for a command to install a session's data connection (an
//     exported setter, or a hook that makes the passive socket): no more
//     Session.dataConn;
//   - an exported "is the control connection protected" (Session.IsTLS):
//     no more Session.tls;
//   - the control connection's local address exported (Session.LocalAddr):
//     no more Session.conn.
//
// github.com/fclairamb/ftpserverlib offers all of these and could replace
// the library outright; it is not available to this project's builds.
package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	goftp "goftp.io/server/v2"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/access"
	"github.com/gatehouse/gatehouse/internal/transfer/credential"
)

// DefaultIdleTimeout is how long an upload may send nothing before it is
// discarded.
const DefaultIdleTimeout = 2 * time.Minute

// Identity is what the FTP server asks of the identity core: the site it
// serves, the sign-in, and the check at every command; *identity.Service
// is one.
type Identity interface {
	ResolveSite(ctx context.Context, subdomain string) (store.Site, error)
	credential.Identity
	access.Readmitter
}

// Options configures the FTP server.
// Options, as everywhere, is what a constructor takes; Config is kept for
// what an admin writes (internal/config) and a connector's provider
// description built from stored settings.
type Options struct {
	Identity Identity // decides every sign-in; required
	// Files lays out a user's view of the storage, (*vfs.Storage).View;
	// required.
	Files  access.Layout
	Listen string // host:port of the control connection
	// PassivePorts is "LOW-HIGH" or empty for any free port.
	PassivePorts string
	// PublicHost is the IP announced in PASV replies; empty announces the
	// address the client connected to.
	PublicHost string
	// TLS enables AUTH TLS (explicit FTPS); nil serves plain FTP only.
	TLS *tls.Config
	// RequireTLS refuses sign-in and file commands until AUTH TLS.
	RequireTLS bool
	// IdleTimeout discards an upload that sends nothing for this long, so
	// a stalled client leaves no half file; default DefaultIdleTimeout.
	IdleTimeout time.Duration
	// SessionIdleTimeout closes a control connection that sends no
	// command for this long (transfers in progress do not count as idle);
	// default DefaultSessionIdleTimeout.
	SessionIdleTimeout time.Duration
	Logger             *slog.Logger // default slog.Default()
}

// DefaultSessionIdleTimeout is how long a connection may sit without a
// command.
const DefaultSessionIdleTimeout = 15 * time.Minute

// Server is a running FTP server.
type Server struct {
	srv         *goftp.Server
	addr        string
	sessionIdle time.Duration
	log         *slog.Logger
	conns       *controlConns

	mu   sync.Mutex
	shut bool // Shutdown has begun
}

// New checks cfg and builds the server; ListenAndServe starts it.
func New(cfg Options) (*Server, error) {
	if cfg.Identity == nil || cfg.Files == nil {
		return nil, errors.New("ftp: Options.Identity and Options.Files are required")
	}
	// Every private field of the library this package reaches is checked
	// now, TLS or not, so that an unsupported library version refuses to
	// serve instead of serving wrong (private.go).
	if err := checkPrivateFields(privateFields); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.SessionIdleTimeout <= 0 {
		cfg.SessionIdleTimeout = DefaultSessionIdleTimeout
	}
	if cfg.RequireTLS && cfg.TLS == nil {
		return nil, errors.New("ftp: requiring TLS needs a TLS certificate")
	}
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("ftp: listen address %q: want host:port, e.g. 127.0.0.1:2021: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port <= 0 || port > 65535 {
		return nil, fmt.Errorf("ftp: listen address %q: want a port from 1 to 65535", cfg.Listen)
	}
	conns := newControlConns()
	passive := &passiveConfig{publicHost: cfg.PublicHost, tls: cfg.TLS, log: cfg.Logger, conns: conns}
	if cfg.PassivePorts != "" {
		if passive.low, passive.high, err = config.ParsePortRange(cfg.PassivePorts); err != nil {
			return nil, fmt.Errorf("ftp: passive ports %q: %w", cfg.PassivePorts, err)
		}
	}
	if cfg.PublicHost != "" && net.ParseIP(cfg.PublicHost) == nil {
		return nil, fmt.Errorf("ftp: public host %q: want an IP address, as PASV replies carry one", cfg.PublicHost)
	}
	d := &driver{svc: cfg.Identity, files: cfg.Files, idle: cfg.IdleTimeout, log: cfg.Logger}
	opts := &goftp.Options{
		Driver:         d,
		Auth:           acceptedAuth{},
		Perm:           goftp.NewSimplePerm("gatehouse", "gatehouse"),
		Name:           "Gatehouse",
		Hostname:       host,
		Port:           port,
		TLS:            cfg.TLS != nil,
		TLSConfig:      cfg.TLS,
		ExplicitFTPS:   true,
		WelcomeMessage: "Gatehouse FTP: sign in with your password, or with an API key as the password if you sign in through single sign-on",
		Logger:         slogAdapter{cfg.Logger},
	}
	srv, err := goftp.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("ftp: %w", err)
	}
	// NewServer drops ForceTLS when it copies the options; set it on the
	// copy the server uses.
	srv.ForceTLS = cfg.RequireTLS
	if cfg.TLS != nil {
		// Only ListenAndServe sets it, and we serve our own listener.
		if err := setPrivate(srv, "tlsConfig", cfg.TLS); err != nil {
			return nil, err
		}
	}
	srv.Commands = guardCommands(withCommands(srv.Commands, d, passive), cfg.Logger, conns.draining)
	// FEAT answers the text NewServer made from the library's own table,
	// which advertises active mode; it gets the served table's instead.
	if err := setPrivate(srv, "feats", featText(srv.Commands, cfg.TLS != nil)); err != nil {
		return nil, err
	}
	return &Server{srv: srv, addr: cfg.Listen, sessionIdle: cfg.SessionIdleTimeout, log: cfg.Logger, conns: conns}, nil
}

// Addr is the control connection's address.
func (s *Server) Addr() string { return s.addr }

// ListenAndServe listens on the configured address and serves until
// Shutdown.
func (s *Server) ListenAndServe() error {
	ln, err := s.Listen()
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Listen opens the control connection's listener, so that a taken port
// stops start-up with a clear error.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("ftp: listen on %s: %w (is another FTP server running? pick another address with --ftp-listen, or off)", s.addr, err)
	}
	return ln, nil
}

// Serve answers FTP on ln until Shutdown. Every control connection is
// bounded (guard.go).
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	shut := s.shut
	s.mu.Unlock()
	if shut {
		_ = ln.Close()
		return nil
	}
	err := s.srv.Serve(guardedListener{Listener: ln, idle: s.sessionIdle, conns: s.conns})
	if errors.Is(err, goftp.ErrServerClosed) {
		return nil
	}
	return err
}

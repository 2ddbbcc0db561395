// Package sftp is Gatehouse's SFTP front end: an SSH server whose sign-ins
// are decided by the identity core's login policy (channel sftp) and whose
// files are the signed-in user's vfs view. It offers the sftp subsystem
// only; shells and commands are refused.
package sftp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/access"
	"github.com/gatehouse/gatehouse/internal/transfer/credential"
	"github.com/gatehouse/gatehouse/internal/transfer/drain"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

const (
	// handshakeTimeout bounds a connection's key exchange and sign-in, so
	// idle or stalled clients cannot hold connections open unauthenticated.
	handshakeTimeout = 30 * time.Second
	// authTimeout bounds one sign-in's work in the identity core.
	authTimeout = 20 * time.Second
	// DefaultIdleTimeout closes a session that has sent nothing for this
	// long, so a client that stalls (mid-upload or otherwise) does not hold
	// a connection and an unfinished temporary file for ever. Its upload
	// is discarded.
	DefaultIdleTimeout = 15 * time.Minute
)

// Identity is what the SFTP server asks of the identity core: its site,
// the sign-in by password or key, the check at every request, and word of
// account changes for the sessions that send none (watch.go);
// *identity.Service is one.
type Identity interface {
	GetSite(ctx context.Context, siteID int64) (store.Site, error)
	LoginWithPublicKey(ctx context.Context, siteID int64, username, fingerprint string, ch identity.Channel, ip string) (store.User, error)
	credential.Identity
	access.Readmitter
	AccountChanges() <-chan struct{}
}

// Options configures a Server.
// Options, as everywhere, is what a constructor takes; Config is kept for
// what an admin writes (internal/config) and a connector's provider
// description built from stored settings.
type Options struct {
	// Listen is the TCP address, e.g. 127.0.0.1:2022.
	Listen string
	// HostKeyDir holds the host keys (generated there on first start).
	HostKeyDir string
	// SiteID is the site SFTP users sign in to: SSH carries no host name,
	// so one listener serves one site (the default site).
	SiteID   int64
	Identity Identity
	Storage  *vfs.Storage
	Logger   *slog.Logger
	// IdleTimeout overrides DefaultIdleTimeout.
	IdleTimeout time.Duration
}

// Server is the SFTP server.
type Server struct {
	listen      string
	siteID      int64
	id          Identity
	storage     *vfs.Storage
	log         *slog.Logger
	idleTimeout time.Duration
	hostKeys    []ssh.Signer
	config      *ssh.ServerConfig

	mu sync.Mutex
	// conns is every connection accepted and not yet ended, with its
	// session once signed in (drain.go).
	conns map[net.Conn]*session
	// ln is the listener Serve accepts on, for Shutdown.
	ln net.Listener
	// latch says Shutdown has begun, and is closed once conns is empty.
	latch drain.Latch
	// noWatch leaves the watch of account changes off (watch.go), for
	// the tests that prove what a request alone does.
	noWatch bool
}

// New loads (or generates) the host keys and returns a server ready to Listen.
func New(c Options) (*Server, error) {
	if c.Identity == nil || c.Storage == nil {
		return nil, errors.New("sftp: Identity and Storage are required")
	}
	keys, err := loadHostKeys(c.HostKeyDir)
	if err != nil {
		return nil, err
	}
	s := &Server{listen: c.Listen, siteID: c.SiteID, id: c.Identity, storage: c.Storage, log: c.Logger,
		idleTimeout: c.IdleTimeout, hostKeys: keys, conns: map[net.Conn]*session{}}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.idleTimeout <= 0 {
		s.idleTimeout = DefaultIdleTimeout
	}
	s.config = s.sshConfig()
	return s, nil
}

// HostKeys returns the server's public host keys (for known_hosts).
func (s *Server) HostKeys() []ssh.PublicKey {
	out := make([]ssh.PublicKey, len(s.hostKeys))
	for i, k := range s.hostKeys {
		out[i] = k.PublicKey()
	}
	return out
}

// Listen opens the TCP listener.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.listen)
	if err != nil {
		return nil, fmt.Errorf("listen for SFTP on %s: %w (pick another address with --sftp-listen, or turn SFTP off with --sftp-listen=\"\")", s.listen, err)
	}
	return ln, nil
}

// Serve accepts SFTP connections on ln until Shutdown, or until ctx is
// cancelled, which closes the listener and every open connection at once
// (Shutdown waits for transfers in progress first).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.serving(ln) {
		return nil // Shutdown came first
	}
	go func() {
		<-ctx.Done()
		ln.Close()
		s.closeConns(func(*session) bool { return true })
	}()
	if !s.noWatch {
		go s.watch(ctx)
	}
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || s.shuttingDown() {
				return nil
			}
			if retry, wait := acceptRetry(err, backoff); retry {
				backoff = wait
				s.log.Warn("sftp: accept failed; retrying", "error", err, "retry_in", wait.String())
				time.Sleep(wait)
				continue
			}
			return fmt.Errorf("sftp: accept: %w", err)
		}
		backoff = 0
		if !s.accepted(nc) {
			nc.Close()
			continue
		}
		go func() {
			defer s.ended(nc)
			s.handleConn(ctx, nc)
		}()
	}
}

func (s *Server) handleConn(ctx context.Context, nc net.Conn) {
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(handshakeTimeout))
	sconn, chans, reqs, err := ssh.NewServerConn(nc, s.config)
	if err != nil {
		s.log.Debug("sftp: handshake or sign-in failed", "remote", nc.RemoteAddr().String(), "error", err)
		return
	}
	_ = nc.SetDeadline(time.Time{})
	defer sconn.Close()
	go ssh.DiscardRequests(reqs)

	sess, err := s.openSession(ctx, sconn)
	if err != nil {
		s.log.Error("sftp: could not open the user's files", "user", sconn.User(), "error", err)
		return
	}
	defer sess.stop()
	s.signedIn(nc, sess)
	// The connection ends when its channels have: an upload commits or
	// is discarded before Shutdown sees the connection gone.
	var channels sync.WaitGroup
	defer channels.Wait()
	for nch := range chans {
		if nch.ChannelType() != "session" {
			_ = nch.Reject(ssh.UnknownChannelType, "this server offers SFTP only")
			continue
		}
		ch, chReqs, err := nch.Accept()
		if err != nil {
			continue
		}
		channels.Go(func() { sess.serveChannel(ch, chReqs) })
	}
}

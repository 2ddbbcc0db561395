package ldap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// conn is one pooled connection and whom it is bound as.
type conn struct {
	*goldap.Conn
	host     string
	boundAs  string    // "" until bound; the service DN when ready for searches
	idleFrom time.Time // when it was last given back
	reused   bool      // it served a request before: a failure may be its age
}

// maxIdle is how long an idle connection is kept. Directories close idle
// connections (AD's MaxConnIdleTime is 900 s) and firewalls forget them
// silently; a connection idle this long is closed rather than tried.
const maxIdle = 2 * time.Minute

// pool keeps at most size connections to the first healthy host. A
// request waits for a free slot at most until its context or the
// configured timeout ends, so a directory that stops answering holds at
// most size requests, never every sign-in.
type pool struct {
	cfg       Config
	tlsConfig *tls.Config
	slots     chan struct{} // one token per connection that may exist
	mu        sync.Mutex
	idle      []*conn
	closed    bool
	preferred atomic.Int32 // index of the host that last answered
}

func newPool(cfg Config) *pool {
	p := &pool{cfg: cfg, slots: make(chan struct{}, cfg.PoolSize)}
	p.tlsConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
	return p
}

// get returns a connection, idle or new; put or discard must follow.
func (p *pool) get(ctx context.Context) (*conn, error) {
	wait, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	select {
	case p.slots <- struct{}{}:
	case <-wait.Done():
		if ctx.Err() != nil {
			return nil, newError(KindUnavailable, ctx.Err(), "gave up waiting for a directory connection")
		}
		return nil, newError(KindUnavailable, nil, "all %d directory connections stayed busy for %s: the directory is slow or not answering", p.cfg.PoolSize, p.cfg.Timeout)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.slots
		return nil, newError(KindUnavailable, nil, "the directory connection was closed")
	}
	for n := len(p.idle); n > 0; n = len(p.idle) {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		if !c.IsClosing() && time.Since(c.idleFrom) < maxIdle {
			p.mu.Unlock()
			c.reused = true
			return c, nil
		}
		_ = c.Close()
	}
	p.mu.Unlock()
	c, err := p.dial(ctx)
	if err != nil {
		<-p.slots
		return nil, err
	}
	return c, nil
}

// put gives a healthy connection back.
func (p *pool) put(c *conn) {
	p.mu.Lock()
	if p.closed || c.IsClosing() {
		p.mu.Unlock()
		_ = c.Close()
	} else {
		c.idleFrom = time.Now()
		p.idle = append(p.idle, c)
		p.mu.Unlock()
	}
	<-p.slots
}

// discard closes a connection that failed or may be in an unknown state.
func (p *pool) discard(c *conn) {
	_ = c.Close()
	<-p.slots
}

// release puts c back when err leaves it usable, else discards it.
func (p *pool) release(c *conn, err error) {
	if err != nil && isNetworkError(err) {
		p.discard(c)
		return
	}
	p.put(c)
}

// do runs fn on a pooled connection (bound as the service account when
// service is set). When a connection that had served before fails at the
// network level, fn runs once more on a new connection: the old one may
// have been closed by the directory while idle, or its host may be gone,
// in which case the new connection fails over to the next host.
func (p *pool) do(ctx context.Context, service bool, fn func(c *conn) error) error {
	for attempt := 0; ; attempt++ {
		c, err := p.get(ctx)
		if err != nil {
			return err
		}
		if service {
			err = p.bindService(ctx, c)
		}
		if err == nil {
			err = fn(c)
		}
		reused := c.reused
		p.release(c, rawError(err))
		if err == nil || attempt > 0 || !reused || !isNetworkError(rawError(err)) || ctx.Err() != nil {
			return err
		}
	}
}

// rawError is the LDAP error under one of ours, for isNetworkError.
func rawError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		if e.Kind == KindUnavailable {
			if e.Err != nil {
				return e.Err
			}
			return goldap.NewError(goldap.ErrorNetwork, e)
		}
		if e.Err == nil {
			return goldap.NewError(goldap.LDAPResultOther, e)
		}
		return e.Err
	}
	return err
}

func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, c := range idle {
		_ = c.Close()
	}
}

// dial connects to the preferred host, then to the others in order, and
// keeps the first that answers as the preferred one.
func (p *pool) dial(ctx context.Context) (*conn, error) {
	hosts := p.cfg.Hosts
	start := int(p.preferred.Load())
	order := append([]int{start}, make([]int, 0, len(hosts)-1)...)
	for i := range hosts {
		if i != start {
			order = append(order, i)
		}
	}
	var errs []error
	for _, idx := range order {
		c, err := p.dialHost(ctx, hosts[idx])
		if err == nil {
			p.preferred.Store(int32(idx))
			return c, nil
		}
		var le *Error
		if errors.As(err, &le) && le.Kind == KindConfig {
			return nil, err // a TLS or settings problem is the same on every host
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, newError(KindUnavailable, errors.Join(errs...), "no directory host answered (tried %d)", len(errs))
}

// hostAddr joins a host and the configured port, unless the host names
// its own.
func (p *pool) hostAddr(host string) (name, addr string) {
	if h, port, err := net.SplitHostPort(host); err == nil {
		return h, net.JoinHostPort(h, port)
	}
	return host, net.JoinHostPort(host, strconv.Itoa(p.cfg.Port))
}

// dialHost opens one connection with TLS as configured.
func (p *pool) dialHost(ctx context.Context, host string) (*conn, error) {
	name, addr := p.hostAddr(host)
	dialCtx, cancel := context.WithTimeout(ctx, p.cfg.connectTimeout())
	defer cancel()
	dial := p.cfg.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	raw, err := dial(dialCtx, "tcp", addr)
	if err != nil {
		return nil, newError(KindUnavailable, err, "cannot connect to %s", addr)
	}
	tlsConfig := p.tlsConfig.Clone()
	tlsConfig.ServerName = name
	if p.cfg.Secure {
		tc := tls.Client(raw, tlsConfig)
		if err := tc.HandshakeContext(dialCtx); err != nil {
			_ = raw.Close()
			return nil, tlsError(addr, err)
		}
		raw = tc
	}
	lc := goldap.NewConn(raw, p.cfg.Secure)
	lc.SetTimeout(p.cfg.Timeout)
	lc.Start()
	if p.cfg.StartTLS {
		_ = raw.SetDeadline(time.Now().Add(p.cfg.connectTimeout()))
		err := lc.StartTLS(tlsConfig)
		_ = raw.SetDeadline(time.Time{})
		if err != nil {
			_ = lc.Close()
			return nil, tlsError(addr, err)
		}
	}
	return &conn{Conn: lc, host: host}, nil
}

// tlsError says whether the certificate or the connection failed.
func tlsError(addr string, err error) error {
	if isCertError(err) {
		return newError(KindConfig, err, "the certificate of %s is not trusted: configure the CA that issued it (for a self-signed certificate, the certificate itself) as the CA bundle", addr)
	}
	return newError(KindUnavailable, err, "TLS with %s failed", addr)
}

// isCertError says the peer's certificate failed verification.
func isCertError(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	if errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) {
		return true
	}
	// StartTLS reports the handshake failure as text only.
	return strings.Contains(err.Error(), "x509: ") || strings.Contains(err.Error(), "tls: failed to verify certificate")
}

// bindService makes c ready for searches as the service account.
func (p *pool) bindService(ctx context.Context, c *conn) error {
	if c.boundAs == p.cfg.BindDN {
		return nil
	}
	c.boundAs = ""
	err := withContext(ctx, c, func() error { return c.Bind(p.cfg.BindDN, p.cfg.BindPassword) })
	if err == nil {
		c.boundAs = p.cfg.BindDN
		return nil
	}
	if isNetworkError(err) {
		return newError(KindUnavailable, err, "the directory %s stopped answering during the service bind", c.host)
	}
	return newError(KindServiceAccount, err, "the directory refused the service account %q: check ldap_username and ldap_password", p.cfg.BindDN)
}

// withContext runs one blocking request, closing the connection when ctx
// ends first so that the request returns at once.
func withContext(ctx context.Context, c *conn, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return newError(KindUnavailable, err, "request cancelled")
	}
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	err := fn()
	if !stop() && err != nil {
		return fmt.Errorf("%w (%w)", goldap.NewError(goldap.ErrorNetwork, ctx.Err()), err)
	}
	return err
}

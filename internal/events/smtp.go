package events

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// smtpServer is a parsed --smtp-url: where to connect, how to secure the
// connection, and the credentials to present. It never prints the password.
type smtpServer struct {
	host        string // name checked against the server's certificate
	addr        string // host:port
	implicitTLS bool   // smtps://: TLS from the first byte
	username    string
	password    string
	roots       *x509.CertPool // nil: the system's roots
}

// parseSMTPURL reads smtp://[user:pass@]host[:port] (port 587, STARTTLS
// whenever offered) or smtps://[user:pass@]host[:port] (port 465).
func parseSMTPURL(raw string, roots *x509.CertPool) (smtpServer, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes the input, password and all.
		return smtpServer{}, errors.New("events: the SMTP URL does not parse")
	}
	s := smtpServer{host: u.Hostname(), roots: roots}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "587"
		}
	case "smtps":
		s.implicitTLS = true
		if port == "" {
			port = "465"
		}
	default:
		return smtpServer{}, fmt.Errorf("events: SMTP URL %s: want the scheme smtp or smtps", u.Redacted())
	}
	if s.host == "" {
		return smtpServer{}, fmt.Errorf("events: SMTP URL %s names no host", u.Redacted())
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.username = u.User.Username()
		s.password, _ = u.User.Password()
	}
	return s, nil
}

// String names the server without credentials, for logs and errors.
func (s smtpServer) String() string {
	scheme := "smtp"
	if s.implicitTLS {
		scheme = "smtps"
	}
	return scheme + "://" + s.addr
}

// loopback reports whether the server is on this machine, the only place
// where mail may travel without TLS.
func (s smtpServer) loopback() bool {
	if strings.EqualFold(s.host, "localhost") {
		return true
	}
	ip := net.ParseIP(s.host)
	return ip != nil && ip.IsLoopback()
}

func (s smtpServer) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: s.host, RootCAs: s.roots, MinVersion: tls.VersionTLS12}
}

// envelope is one message on its way: the SMTP envelope and the bytes of
// the RFC 5322 message.
type envelope struct {
	helo string
	from string
	to   []string
	data []byte
}

// send delivers one message. The context bounds the whole exchange, dial
// included; dialTimeout bounds the connection attempt alone.
func (s smtpServer) send(ctx context.Context, dialTimeout time.Duration, e envelope) error {
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	// Closing the connection is what interrupts a blocked read or write
	// when the context ends; the deadline covers servers that stall.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if s.implicitTLS {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("TLS handshake: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := s.converse(c, e); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return err
	}
	return nil
}

// converse runs the SMTP dialogue on an open client: EHLO, STARTTLS when
// offered, AUTH when credentials are set, then the message.
func (s smtpServer) converse(c *smtp.Client, e envelope) error {
	if err := c.Hello(e.helo); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if !s.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
		} else if !s.loopback() {
			return errors.New("the server offers no STARTTLS; mail leaves this machine only over TLS (use smtps:// or a server with STARTTLS)")
		}
	}
	if s.username != "" {
		if ok, mechs := c.Extension("AUTH"); !ok || !hasWord(mechs, "PLAIN") {
			return errors.New("the server offers no AUTH PLAIN for the configured credentials")
		}
		// PlainAuth itself refuses to send the password unencrypted to
		// anything but localhost.
		if err := c.Auth(smtp.PlainAuth("", s.username, s.password, s.host)); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(e.from); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	for _, rcpt := range e.to {
		if err := c.Rcpt(rcpt); err != nil {
			return fmt.Errorf("RCPT TO %s: %w", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(e.data); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	// The server has taken the message; a failed QUIT loses nothing.
	_ = c.Quit()
	return nil
}

func hasWord(list, word string) bool {
	for _, w := range strings.Fields(list) {
		if strings.EqualFold(w, word) {
			return true
		}
	}
	return false
}

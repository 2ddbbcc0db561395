package ftp

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	goftp "goftp.io/server/v2"
)

// passiveAcceptTimeout is how long a passive port waits for the client.
const passiveAcceptTimeout = 30 * time.Second

// passiveConfig is what PASV and EPSV need to open a data port.
type passiveConfig struct {
	low, high  int    // port range; 0, 0 for any free port
	publicHost string // announced in PASV replies; empty: the control connection's local address
	tls        *tls.Config
	log        *slog.Logger
	conns      *controlConns // where the sockets are tracked, for Shutdown
}

// passiveCommand replaces the library's PASV and EPSV: the data port
// listens only on the address the client reached, accepts only a
// connection from the client's own address (anyone else who connects
// first is turned away, so a download cannot be stolen and an upload not
// planted), and can be closed while a read waits, which is how a stalled
// upload is ended.
type passiveCommand struct {
	extended bool // EPSV
	cfg      *passiveConfig
}

func (c passiveCommand) IsExtend() bool     { return c.extended }
func (c passiveCommand) RequireParam() bool { return false }
func (c passiveCommand) RequireAuth() bool  { return true }

func (c passiveCommand) Execute(sess *goftp.Session, _ string) {
	var local *net.TCPAddr
	if conn, ok := sessionConn(sess); ok {
		local, _ = conn.LocalAddr().(*net.TCPAddr)
	}
	remote, _ := sess.RemoteAddr().(*net.TCPAddr)
	if local == nil || remote == nil {
		sess.WriteMessage(425, "Cannot open a data connection")
		return
	}
	announce := local.IP
	if c.cfg.publicHost != "" {
		announce = net.ParseIP(c.cfg.publicHost)
	}
	if !c.extended && announce.To4() == nil {
		sess.WriteMessage(425, "PASV needs IPv4; use EPSV")
		return
	}
	protected, err := sessionTLS(sess)
	if err != nil {
		c.cfg.log.Error("ftp: cannot tell whether the control connection is protected; refusing the data connection", "error", err)
		sess.WriteMessage(425, "Cannot open a data connection")
		return
	}
	var useTLS *tls.Config
	if protected {
		useTLS = c.cfg.tls
	}
	socket, err := listenPassive(local.IP, remote.IP, c.cfg.low, c.cfg.high, useTLS, c.cfg.log, c.cfg.conns)
	if err != nil {
		c.cfg.log.Warn("ftp: no passive port free", "error", err)
		sess.WriteMessage(425, "Cannot open a data connection; try again")
		return
	}
	if old := sess.DataConn(); old != nil {
		_ = old.Close()
	}
	if err := setPrivate(sess, "dataConn", goftp.DataSocket(socket)); err != nil {
		_ = socket.Close()
		c.cfg.log.Error("ftp: cannot attach the data connection", "error", err)
		sess.WriteMessage(425, "Cannot open a data connection")
		return
	}
	if c.extended {
		sess.WriteMessage(229, fmt.Sprintf("Entering Extended Passive Mode (|||%d|)", socket.port))
		return
	}
	ip := announce.To4()
	sess.WriteMessage(227, fmt.Sprintf("Entering Passive Mode (%d,%d,%d,%d,%d,%d)", ip[0], ip[1], ip[2], ip[3], socket.port/256, socket.port%256))
}

// activeRefused answers PORT, EPRT and LPRT: active mode would have the
// server connect wherever the client says (the FTP bounce attack), and
// every current client speaks passive mode.
type activeRefused struct{}

func (activeRefused) IsExtend() bool     { return false }
func (activeRefused) RequireParam() bool { return false }
func (activeRefused) RequireAuth() bool  { return true }
func (activeRefused) Execute(sess *goftp.Session, _ string) {
	sess.WriteMessage(502, "Active mode is not supported; use passive mode (PASV or EPSV)")
}

// passiveSocket is one data connection in passive mode.
type passiveSocket struct {
	ln     net.Listener
	host   string
	port   int
	done   chan struct{} // closed once accepting has ended
	conns  *controlConns
	mu     sync.Mutex
	conn   net.Conn
	err    error
	closed bool
}

var _ goftp.DataSocket = (*passiveSocket)(nil)

var errDataClosed = errors.New("ftp: the data connection was closed")

// listenPassive opens a data port on ip (from [low, high] when set) for a
// client at client.
func listenPassive(ip, client net.IP, low, high int, useTLS *tls.Config, log *slog.Logger, conns *controlConns) (*passiveSocket, error) {
	var ln net.Listener
	var err error
	attempts := 1
	if low > 0 {
		attempts = min(high-low+1, 50)
	}
	for i := 0; i < attempts; i++ {
		port := 0
		if low > 0 {
			port = low + rand.IntN(high-low+1)
		}
		ln, err = net.Listen("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(port)))
		if err == nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	s := &passiveSocket{ln: ln, host: ip.String(), port: ln.Addr().(*net.TCPAddr).Port, done: make(chan struct{}), conns: conns}
	conns.addData(s)
	go s.accept(client, useTLS, log)
	return s, nil
}

func (s *passiveSocket) accept(client net.IP, useTLS *tls.Config, log *slog.Logger) {
	defer close(s.done)
	defer s.ln.Close()
	if tl, ok := s.ln.(*net.TCPListener); ok {
		_ = tl.SetDeadline(time.Now().Add(passiveAcceptTimeout))
	}
	for {
		c, err := s.ln.Accept()
		if err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			return
		}
		if from, ok := c.RemoteAddr().(*net.TCPAddr); !ok || !from.IP.Equal(client) {
			log.Warn("ftp: data connection from another address refused", "from", c.RemoteAddr().String(), "client", client.String())
			_ = c.Close()
			continue
		}
		if useTLS != nil {
			c = tls.Server(c, useTLS)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			_ = c.Close()
			s.err = errDataClosed
			return
		}
		s.conn = c
		return
	}
}

// connection waits for the client's connection.
func (s *passiveSocket) connection() (net.Conn, error) {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errDataClosed
	}
	if s.conn == nil {
		return nil, fmt.Errorf("ftp: the client did not open the data connection: %w", s.err)
	}
	return s.conn, nil
}

func (s *passiveSocket) Host() string { return s.host }
func (s *passiveSocket) Port() int    { return s.port }

func (s *passiveSocket) Read(p []byte) (int, error) {
	c, err := s.connection()
	if err != nil {
		return 0, err
	}
	return c.Read(p)
}

func (s *passiveSocket) Write(p []byte) (int, error) {
	c, err := s.connection()
	if err != nil {
		return 0, err
	}
	return c.Write(p)
}

// ReadFrom lets a download reach the TCP connection's ReadFrom, which
// sends a file with sendfile(2) on clear-text connections.
func (s *passiveSocket) ReadFrom(r io.Reader) (int64, error) {
	c, err := s.connection()
	if err != nil {
		return 0, err
	}
	return io.Copy(c, r)
}

// Close ends the data connection, waking a read that waits on it.
func (s *passiveSocket) Close() error {
	s.mu.Lock()
	s.closed = true
	c := s.conn
	s.mu.Unlock()
	s.conns.removeData(s)
	_ = s.ln.Close()
	if c != nil {
		return c.Close()
	}
	return nil
}

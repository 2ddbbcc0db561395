package ftp

import (
	"errors"
	"net"
	"sync"
	"time"
)

// maxUnanswered is how many bytes a client may send on the control
// connection before the server answers. Commands are short; the library
// reads a command line without any bound, so an endless line would
// otherwise grow its buffer until memory runs out. Counting bytes between
// replies works on the TLS-encrypted connection as on the clear one.
const maxUnanswered = 64 << 10

var errFlood = errors.New("ftp: the client sent too much without waiting for a reply")

// guardedListener bounds every control connection it accepts: an idle
// deadline on each read, and maxUnanswered.
type guardedListener struct {
	net.Listener
	idle time.Duration
}

func (l guardedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &guardedConn{Conn: c, idle: l.idle}, nil
}

// guardedConn is one bounded control connection. The library reads a
// connection from one goroutine and only between commands, so a read
// deadline set at each read is an idle timeout that never fires during a
// long transfer, when the control connection is rightly quiet.
type guardedConn struct {
	net.Conn
	idle       time.Duration
	mu         sync.Mutex
	unanswered int
}

func (c *guardedConn) Read(p []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.idle))
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.unanswered += n
	flooded := c.unanswered > maxUnanswered
	c.mu.Unlock()
	if flooded {
		_ = c.Conn.Close()
		return 0, errFlood
	}
	return n, err
}

func (c *guardedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.unanswered = 0
	c.mu.Unlock()
	return c.Conn.Write(p)
}

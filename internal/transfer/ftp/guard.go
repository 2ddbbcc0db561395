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
// deadline on each read, and maxUnanswered. It also counts them, for
// Shutdown (drain.go).
type guardedListener struct {
	net.Listener
	idle  time.Duration
	conns *controlConns
}

func (l guardedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		g := &guardedConn{Conn: c, idle: l.idle, conns: l.conns}
		if l.conns.add(g) {
			return g, nil
		}
		_ = c.Close() // accepted as Shutdown began
	}
}

// guardedConn is one bounded control connection. The library reads a
// connection from one goroutine and only between commands, so a read
// deadline set at each read is an idle timeout that never fires during a
// long transfer, when the control connection is rightly quiet.
type guardedConn struct {
	net.Conn
	idle       time.Duration
	conns      *controlConns
	mu         sync.Mutex
	unanswered int
	// waiting is set while the session waits for its next command: the
	// library reads only then, so a connection that waits has nothing in
	// progress, and Shutdown may close it.
	waiting bool
	ended   sync.Once
}

func (c *guardedConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	c.waiting = true
	c.mu.Unlock()
	idle := c.idle
	if c.conns.draining() {
		// The command in progress has ended and been answered: the client
		// gets a moment to finish (QUIT, or a follow-up such as MFMT; a
		// command that starts something new is answered 421, see
		// guardCommands), and is closed when it falls silent.
		idle = min(idle, drainLinger)
	}
	_ = c.Conn.SetReadDeadline(time.Now().Add(idle))
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.waiting = false
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

// Close is the session's own close, when it ends; Shutdown closes the
// connection under it instead, so that this marks the session gone.
func (c *guardedConn) Close() error {
	err := c.Conn.Close()
	c.ended.Do(func() { c.conns.remove(c) })
	return err
}

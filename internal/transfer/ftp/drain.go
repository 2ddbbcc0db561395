package ftp

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/transfer/drain"
)

// drainLinger is how long a session whose command ended while the server
// drains waits for the next one: a client finishing an upload reads the
// 226, may set the file's time, and says QUIT or learns with a 421 that
// the server is going.
const drainLinger = 2 * time.Second

// controlConns is every control connection open, and every passive data
// socket, so that Shutdown can drain and then cut them off: the library
// keeps its sessions to itself and does not wait for them.
type controlConns struct {
	mu    sync.Mutex
	conns map[*guardedConn]struct{}
	data  map[*passiveSocket]struct{}
	latch drain.Latch // shutdown began; closed once conns is empty
}

func newControlConns() *controlConns {
	return &controlConns{conns: map[*guardedConn]struct{}{}, data: map[*passiveSocket]struct{}{}}
}

// add tracks a new connection; false once Shutdown has begun.
func (cc *controlConns) add(c *guardedConn) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.latch.Begun() {
		return false
	}
	cc.conns[c] = struct{}{}
	return true
}

// remove forgets a connection whose session ended.
func (cc *controlConns) remove(c *guardedConn) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	delete(cc.conns, c)
	cc.latch.Left(len(cc.conns))
}

func (cc *controlConns) draining() bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.latch.Begun()
}

// addData and removeData track the passive data sockets open.
func (cc *controlConns) addData(s *passiveSocket) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.data[s] = struct{}{}
}

func (cc *controlConns) removeData(s *passiveSocket) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	delete(cc.data, s)
}

// drain begins the shutdown: no connection is taken from now on, and
// every session waiting for a command is closed; the others are closed as
// they come back for their next one (guardedConn.Read).
func (cc *controlConns) drain() <-chan struct{} {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	drained := cc.latch.Begin(len(cc.conns))
	for c := range cc.conns {
		c.mu.Lock()
		if c.waiting {
			_ = c.Conn.Close()
		}
		c.mu.Unlock()
	}
	return drained
}

// cutOff closes every control connection and data socket still open, and
// says how many sessions that ended.
func (cc *controlConns) cutOff() int {
	cc.mu.Lock()
	conns := make([]*guardedConn, 0, len(cc.conns))
	for c := range cc.conns {
		conns = append(conns, c)
	}
	data := make([]*passiveSocket, 0, len(cc.data))
	for s := range cc.data {
		data = append(data, s)
	}
	cc.mu.Unlock()
	for _, s := range data {
		_ = s.Close()
	}
	for _, c := range conns {
		_ = c.Conn.Close()
	}
	return len(conns)
}

// Shutdown stops accepting connections and closes every session waiting
// for a command; a session in the middle of one (a transfer) is answered,
// and is then closed at its next command that would start something new
// (answered 421), when it has been silent for drainLinger, or when ctx
// ends, whichever is first.
// Shutdown returns once every session has ended, with ctx's error if some
// had to be cut off (their uploads discarded, as when a client breaks off).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shut = true
	s.mu.Unlock()
	err := s.srv.Shutdown()
	drained := s.conns.drain()
	if werr := drain.Wait(ctx, drained, s.conns.cutOff, s.log, "ftp"); werr != nil {
		return werr
	}
	return err
}

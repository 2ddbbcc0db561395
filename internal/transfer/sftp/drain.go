package sftp

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"

	"github.com/gatehouse/gatehouse/internal/transfer/drain"
)

// replyLinger is how long a drained session waits for its last reply to
// be sent before it is closed anyway.
const replyLinger = time.Second

// replyQuiet is how long a drained session waits after a reply for the
// next one before it closes. The reply to the close of the last file is
// not always the last one: pkg/sftp answers in the order requests came,
// so the acknowledgements of writes sent before the close may still be
// on their way, and a client that misses them reports the upload failed
// although it landed.
const replyQuiet = 100 * time.Millisecond

// errShuttingDown refuses a file opened while the server drains.
var errShuttingDown = errors.New("the server is shutting down; reconnect in a moment")

// Shutdown stops accepting connections and closes every connection that
// has no file open; a connection transferring a file is closed once its
// last file is closed (an upload committed), or when ctx ends, whichever
// is first; it opens no new file meanwhile. Shutdown returns once every
// connection has ended, with ctx's error if some had to be cut off (their
// uploads discarded, as when a client breaks off).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	drained, ln := s.latch.Begin(len(s.conns)), s.ln
	s.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	s.closeConns(func(sess *session) bool { return sess == nil || sess.transfers == 0 })
	return drain.Wait(ctx, drained, func() int { return s.closeConns(func(*session) bool { return true }) }, s.log, "sftp")
}

// serving records the listener Serve accepts on; false when Shutdown came
// first.
func (s *Server) serving(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ln = ln
	if s.latch.Begun() {
		ln.Close()
		return false
	}
	return true
}

func (s *Server) shuttingDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latch.Begun()
}

// accepted tracks a new connection; false once Shutdown has begun.
func (s *Server) accepted(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latch.Begun() {
		return false
	}
	s.conns[nc] = nil
	return true
}

// signedIn attaches the connection's session; one signing in while the
// server drains is closed at once.
func (s *Server) signedIn(nc net.Conn, sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[nc]; !ok {
		return
	}
	s.conns[nc] = sess
	if s.latch.Begun() {
		nc.Close()
	}
}

// ended forgets a connection whose handler has returned.
func (s *Server) ended(nc net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, nc)
	s.latch.Left(len(s.conns))
}

// closeConns closes the connections whose session (nil before sign-in)
// close picks, with the session's lock held, and says how many.
func (s *Server) closeConns(close func(*session) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for nc, sess := range s.conns {
		pick := true
		if sess != nil {
			sess.mu.Lock()
			pick = close(sess)
			sess.mu.Unlock()
		} else {
			pick = close(nil)
		}
		if pick {
			nc.Close()
			n++
		}
	}
	return n
}

// openFile counts a file opened for a transfer; errShuttingDown while the
// server drains.
func (sess *session) openFile() error {
	sess.s.mu.Lock()
	defer sess.s.mu.Unlock()
	if sess.s.latch.Begun() {
		return errShuttingDown
	}
	sess.mu.Lock()
	sess.transfers++
	sess.mu.Unlock()
	return nil
}

// closeFile counts a file closed; the last one closed while the server
// drains ends the connection, once the client has the replies to its
// close and the requests before it (or after replyLinger), so that it
// knows its upload landed.
func (sess *session) closeFile() {
	sess.mu.Lock()
	sess.transfers--
	last := sess.transfers == 0
	sess.mu.Unlock()
	if last && sess.s.shuttingDown() {
		sess.endAfterReply.Store(true)
		time.AfterFunc(replyLinger, func() { sess.conn.Close() })
	}
}

// closeWhenQuiet (re)starts the countdown to closing a drained session's
// connection replyQuiet after its last reply.
func (sess *session) closeWhenQuiet() {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.quiet == nil {
		sess.quiet = time.AfterFunc(replyQuiet, func() { sess.conn.Close() })
		return
	}
	sess.quiet.Reset(replyQuiet)
}

// acceptRetry says whether an accept error is a shortage that passes (no
// file descriptor or buffer free, a connection aborted before it was
// taken) and how long to wait: doubling from 5ms to a second, as
// net/http does. A shortage must not stop the server; an attacker could
// cause one.
func acceptRetry(err error, last time.Duration) (bool, time.Duration) {
	var ne net.Error
	if !(errors.As(err, &ne) && ne.Timeout()) && !errors.Is(err, syscall.EMFILE) && !errors.Is(err, syscall.ENFILE) &&
		!errors.Is(err, syscall.ENOBUFS) && !errors.Is(err, syscall.ENOMEM) && !errors.Is(err, syscall.ECONNABORTED) {
		return false, 0
	}
	if last == 0 {
		return true, 5 * time.Millisecond
	}
	return true, min(2*last, time.Second)
}

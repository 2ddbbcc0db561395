// Package httpbody reads HTTP request bodies under per-read deadlines.
//
// A server-wide ReadTimeout bounds a whole request, so it either cuts off
// large uploads on slow links or lets a client that trickles a small body
// hold its request for minutes. Here each read of the body instead gets a
// fresh deadline on the connection: a client that keeps sending may take as
// long as its upload needs; one that goes silent for the idle time is cut
// off, and its upload discarded. A small body may also be held to a
// deadline for the whole of it (Reader.LimitTotal).
//
// The server's other limits stay: ReadHeaderTimeout for the headers and
// IdleTimeout between requests. Middleware wraps every body once, and the
// layers below (the web front end, WebDAV) reuse that Reader through From.
package httpbody

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// StalledError is what a read returns when the client sent nothing for
// the idle time, or did not finish the body by its whole-body deadline.
type StalledError struct {
	Idle  time.Duration // the idle time that ran out, or 0
	Total time.Duration // the whole-body limit that ran out, or 0
}

func (e *StalledError) Error() string {
	if e.Total > 0 {
		return fmt.Sprintf("the request body did not arrive whole within %s", e.Total)
	}
	return fmt.Sprintf("the request body stopped arriving: nothing for %s", e.Idle)
}

// Timeout lets callers treat it as the network timeout it comes from.
func (e *StalledError) Timeout() bool { return true }

// Reader is a request body whose every read has a deadline.
type Reader struct {
	body   io.ReadCloser
	rc     *http.ResponseController
	idle   time.Duration
	start  time.Time
	total  time.Duration // 0: no whole-body limit
	done   bool          // the body was read to its end
	failed bool          // a read failed; the connection will close
}

// From returns r's body as a Reader with the idle time idle, wrapping it
// (in r, which must not be the request the server passed in: see
// Middleware) when no layer above did. A Reader made above keeps its idle
// time unless idle is shorter.
func From(w http.ResponseWriter, r *http.Request, idle time.Duration) *Reader {
	if b, ok := r.Body.(*Reader); ok {
		if idle > 0 && idle < b.idle {
			b.idle = idle
		}
		return b
	}
	b := &Reader{body: r.Body, rc: http.NewResponseController(w), idle: idle, start: time.Now()}
	if r.Body == nil || r.Body == http.NoBody {
		b.body, b.done = http.NoBody, true
	}
	r.Body = b
	return b
}

// LimitTotal holds the rest of the body to arrive by d after the request
// began (for small bodies, which have no reason to take long).
func (b *Reader) LimitTotal(d time.Duration) { b.total = d }

func (b *Reader) Read(p []byte) (int, error) {
	if b.done {
		return b.body.Read(p)
	}
	now := time.Now()
	deadline, total := now.Add(b.idle), false
	if b.total > 0 {
		if end := b.start.Add(b.total); end.Before(deadline) {
			deadline, total = end, true
		}
	}
	_ = b.rc.SetReadDeadline(deadline)
	n, err := b.body.Read(p)
	switch {
	case err == io.EOF:
		// The body is whole. The server clears the deadline itself when it
		// starts watching the connection for the client hanging up.
		b.done = true
	case err != nil:
		b.failed = true
		if isTimeout(err) {
			if total {
				err = &StalledError{Total: b.total}
			} else {
				err = &StalledError{Idle: b.idle}
			}
		}
	}
	return n, err
}

// Close closes the body.
func (b *Reader) Close() error { return b.body.Close() }

// Complete reports whether the body was read to its end.
func (b *Reader) Complete() bool { return b.done }

// Failed reports whether reading the body failed (a stall, a hang-up);
// the server then closes the connection.
func (b *Reader) Failed() bool { return b.failed }

// MaxDrain is how much of a body its handler left unread (a refusal: too
// large, not allowed) is read and discarded after the answer is sent,
// and DrainTime how long that may take. Most HTTP clients send the whole
// body before they read the answer; a server that closes the connection
// on a body it has not read makes their kernel see a reset, and they
// report "connection reset" instead of the answer. A body larger than
// this is left to the server, which then closes the connection.
const (
	MaxDrain  = 16 << 20
	DrainTime = 10 * time.Second
)

// finish runs when the handler is done. What the handler left unread of a
// body of at most MaxDrain bytes is read and discarded after the answer is
// sent, so the client can finish sending and read it. Beyond that the
// server reads and discards up to 256 KiB before it sends the answer; that
// read gets the idle time too, so a client trickling an unwanted body
// cannot hold the answer and the connection indefinitely.
func (b *Reader) finish(length int64, expectsContinue bool) {
	if b.done || b.failed {
		return
	}
	// A client that asked to be told to go on (Expect: 100-continue) and
	// was answered instead sends nothing more: there is nothing to drain.
	// The server itself reads up to 256 KiB of what is left before it
	// sends the answer: under the idle time.
	_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	if length >= 0 && length <= MaxDrain && !expectsContinue {
		// The answer first: a client reading while it sends sees it now.
		if err := b.rc.Flush(); err == nil {
			b.total, b.start = DrainTime, time.Now()
			_, _ = io.Copy(io.Discard, io.LimitReader(b, MaxDrain))
			if b.done || b.failed {
				return
			}
		}
	}
	_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
}

// Middleware gives every request body of next the idle time idle (or the
// shorter one a layer above gave it).
func Middleware(idle time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, above := r.Body.(*Reader)
		if !above {
			// A copy: the server reads its own request's Body after the
			// handler to decide how to close a connection with a body left
			// unread (half-close and a pause, so the client reads the
			// answer instead of a reset).
			r = r.WithContext(r.Context())
		}
		b := From(w, r, idle)
		next.ServeHTTP(w, r)
		if !above {
			b.finish(r.ContentLength, strings.EqualFold(r.Header.Get("Expect"), "100-continue"))
		}
	})
}

// IsStalled reports whether err is a body that stopped arriving.
func IsStalled(err error) bool {
	var se *StalledError
	return errors.As(err, &se)
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

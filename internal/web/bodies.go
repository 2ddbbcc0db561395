package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/httpbody"
)

// Request bodies are read whole before a request waits for admission, so
// that a client trickling its body holds a goroutine and a little memory
// but never one of the slots that signed-in callers need. Only small
// bodies are read this way (maxBodyBytes; identity objects, forms, SAML
// responses, SCIM resources); file bytes stream to storage outside the
// queue (isFileUpload).

// smallBodyTime is how long a small body may take to arrive whole: a
// 1 MiB body needs under 30 seconds at 300 kbit/s, and a client slower
// than that is refused instead of holding memory.
const smallBodyTime = 30 * time.Second

// maxBufferedBytes bounds the memory of bodies read ahead, all requests
// together; requests without credentials may hold half of it. Beyond it a
// request is refused (503, retry) rather than buffered.
const maxBufferedBytes = 32 << 20

// bufferStep is how much budget a body takes at a time as it arrives, so
// that a client must actually send the bytes it holds memory for.
const bufferStep = 16 << 10

// bodyBudget counts the bytes of bodies held in memory (what arrived, to
// the next bufferStep; the buffers' spare capacity comes on top).
type bodyBudget struct {
	used  atomic.Int64
	limit int64 // maxBufferedBytes; smaller in tests
}

var errBudgetSpent = errors.New("web: request body budget spent")

// take reserves n bytes if that keeps the total at or below limit.
func (b *bodyBudget) take(n, limit int64) bool {
	for {
		u := b.used.Load()
		if u+n > limit {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

func (b *bodyBudget) give(n int64) { b.used.Add(-n) }

// read reads body whole, up to max bytes, taking budget a step ahead of
// what has arrived (within limit). It returns what it read, the budget it
// holds, and *http.MaxBytesError when the body is longer than max.
func (b *bodyBudget) read(body io.Reader, max, limit int64) ([]byte, int64, error) {
	var buf []byte
	var held int64
	chunk := make([]byte, bufferStep)
	for {
		if int64(len(buf))+bufferStep > held {
			if !b.take(bufferStep, limit) {
				return buf, held, errBudgetSpent
			}
			held += bufferStep
		}
		n, err := body.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if int64(len(buf)) > max {
			return buf[:max], held, &http.MaxBytesError{Limit: max}
		}
		if err == io.EOF {
			return buf, held, nil
		}
		if err != nil {
			return buf, held, err
		}
	}
}

// readBodies reads small bodies before next (the admission queue) runs:
// under the idle time per read and smallBodyTime for the whole, in
// memory bounded by the budget. A body that stalls is refused (408), one
// that does not fit the budget is refused (503, retry); either way the
// connection closes. A body over maxBodyBytes is handed on as its first
// bytes and *http.MaxBytesError, so the handler answers it in its own
// format (and the server closes the connection, as for any large body
// left unread). streamed says which requests carry file bytes, which are left to
// their handler under the idle time alone.
func (s *server) readBodies(next http.Handler, streamed, anonymous func(*http.Request) bool, refuse refuser) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := httpbody.From(w, r, s.bodyIdle)
		if body.Complete() || streamed(r) {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > maxBodyBytes {
			r.Body = io.NopCloser(failingReader{&http.MaxBytesError{Limit: maxBodyBytes}})
			next.ServeHTTP(w, r)
			return
		}
		body.LimitTotal(s.bodyTime)
		limit := s.bodies.limit
		if anonymous(r) {
			limit /= 2
		}
		buf, held, err := s.bodies.read(body, maxBodyBytes, limit)
		defer s.bodies.give(held)
		var mbe *http.MaxBytesError
		switch {
		case err == nil:
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(buf)), int64(len(buf))
		case errors.As(err, &mbe):
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(buf), failingReader{mbe}))
		case errors.Is(err, errBudgetSpent):
			w.Header().Set("Connection", "close")
			w.Header().Set("Retry-After", "2")
			refuse(w, r, errServerBusy.With("the server is reading as many request bodies as it may at once; try again in a few seconds"))
			return
		case httpbody.IsStalled(err):
			w.Header().Set("Connection", "close")
			refuse(w, r, errBodyStalled.With("%s; send the request again", err.Error()))
			return
		default:
			return // the client hung up: there is no one to answer
		}
		next.ServeHTTP(w, r)
	})
}

// failingReader fails every read with err.
type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

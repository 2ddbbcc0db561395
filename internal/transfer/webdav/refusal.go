package webdav

import (
	"errors"
	"io/fs"
	"net/http"
	"sync"
)

// The webdav package answers most storage errors by the method, not by
// the cause: a PROPFIND of a folder the user may not see is 405, a PUT
// into a read-only group folder 404, a DELETE there 405, a COPY 500. When
// the user's view refused the request for want of permission, the reply
// should say so (403) and why; refusals and refusalWriter make it so for
// every method at once.

// refusals keeps the first permission refusal the user's view gave
// during one request.
type refusals struct {
	mu  sync.Mutex
	err error
}

func (r *refusals) note(err error) {
	if !errors.Is(err, fs.ErrPermission) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
}

func (r *refusals) first() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// misleading are the statuses the webdav package gives a storage error
// it does not tell apart, and its own 403, which says no more than
// "Forbidden".
var misleading = map[int]bool{
	http.StatusForbidden:           true,
	http.StatusNotFound:            true,
	http.StatusMethodNotAllowed:    true,
	http.StatusConflict:            true,
	http.StatusInternalServerError: true,
}

// refusalWriter turns such a status into 403 with the view's reason when
// the request met a permission refusal; every other reply passes through.
type refusalWriter struct {
	http.ResponseWriter
	seen     *refusals
	replaced bool
	wrote    bool
}

func (w *refusalWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if err := w.seen.first(); err != nil && misleading[code] {
		w.replaced = true
		h := w.ResponseWriter.Header()
		h.Del("Content-Length")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		w.ResponseWriter.WriteHeader(http.StatusForbidden)
		_, _ = w.ResponseWriter.Write([]byte("Forbidden: " + err.Error() + ".\n"))
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *refusalWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return len(b), nil // the webdav package's own text for the status
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *refusalWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

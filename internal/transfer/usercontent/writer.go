package usercontent

import (
	"io"
	"net/http"
	"strings"
)

// guardWriter decides a response's content headers when its status is
// written, after the handler has set its own, so that no handler can send
// a user's file as active content.
type guardWriter struct {
	http.ResponseWriter
	name  string // the file's name, for its type and the saved file
	read  bool   // the request reads a file (GET, HEAD, POST)
	wrote bool
}

func newGuardWriter(w http.ResponseWriter, name string, read bool) *guardWriter {
	return &guardWriter{ResponseWriter: w, name: name, read: read}
}

// prepare sets the headers every answer carries, and for a read the type
// up front: http.ServeContent then neither sniffs the bytes nor labels the
// parts of a multi-range answer with a type of its own.
func (w *guardWriter) prepare() {
	h := w.Header()
	h.Set("Content-Security-Policy", Policy)
	h.Set("X-Content-Type-Options", "nosniff")
	if w.read {
		h.Set("Content-Type", ContentType(w.name))
	}
}

func (w *guardWriter) WriteHeader(code int) {
	if w.wrote {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if code >= 100 && code < 200 {
		w.ResponseWriter.WriteHeader(code) // informational; the real answer follows
		return
	}
	w.wrote = true
	h := w.Header()
	h.Set("Content-Security-Policy", Policy)
	h.Set("X-Content-Type-Options", "nosniff")
	switch {
	case w.read && code >= 200 && code < 300:
		if !strings.HasPrefix(h.Get("Content-Type"), "multipart/byteranges") {
			h.Set("Content-Type", ContentType(w.name))
		}
		h.Set("Content-Disposition", Disposition(w.name))
	case code >= 400:
		h.Del("Content-Disposition")
		h.Set("Content-Type", "text/plain; charset=utf-8")
	default:
		h.Del("Content-Disposition")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *guardWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// ReadFrom keeps the server's sendfile path for downloads.
func (w *guardWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return io.Copy(w.ResponseWriter, r)
}

// Unwrap lets http.ResponseController reach the connection (deadlines,
// flushing).
func (w *guardWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish settles the headers of an answer the handler left empty.
func (w *guardWriter) finish() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
}

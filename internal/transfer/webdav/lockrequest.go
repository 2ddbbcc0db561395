package webdav

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// golang.org/x/net/webdav answers a LOCK with the lock as the request
// asked for it, not as the lock system granted it, and turns any failure
// to create the empty file a LOCK of an unmapped URL makes into a 500.
// lockRequest puts the request in the shape whose answer is true (the
// Timeout the lock will really have; an unmapped URL that can be
// created), and lockAnswer corrects the one thing of the answer the
// request cannot: the lock root, which the library writes without the
// /dav prefix, so a client would take it for a URL outside WebDAV.

// lockRequest prepares a LOCK for the library: the Timeout header becomes
// the duration granted, and a new lock on a URL with nothing there yet is
// refused with the error creating it would meet. It answers false when it
// has answered the request itself.
func lockRequest(w http.ResponseWriter, r *http.Request, fsys vfs.FS) bool {
	if granted, ok := grantedTimeout(r.Header.Get("Timeout")); ok {
		r.Header.Set("Timeout", "Second-"+strconv.FormatInt(int64(granted/time.Second), 10))
	}
	if r.ContentLength == 0 {
		return true // a refresh (no lockinfo body): nothing is created
	}
	name := strings.TrimPrefix(r.URL.Path, Prefix)
	if _, err := fsys.Stat(r.Context(), name); err == nil {
		return true
	}
	up, err := fsys.Create(r.Context(), name, 0)
	if err == nil {
		_ = up.Abort() // a trial: the library creates the file once the lock is stored
		return true
	}
	switch {
	case errors.Is(err, vfs.ErrNotExist), errors.Is(err, vfs.ErrNotDir):
		http.Error(w, "The folder to hold this file does not exist; create it first (MKCOL), then lock the file.", http.StatusConflict)
	case errors.Is(err, vfs.ErrPermission):
		http.Error(w, "You may not create a file here, so you may not lock this name.", http.StatusForbidden)
	case errors.Is(err, vfs.ErrInvalidName), errors.Is(err, vfs.ErrIsDir):
		http.Error(w, "This name cannot be a file: "+err.Error()+".", http.StatusBadRequest)
	default:
		return true // the library answers, as for any other failure of the storage
	}
	return false
}

// grantedTimeout is the duration Gatehouse grants for a LOCK's Timeout
// header: the client's first choice (RFC 4918 §10.7), at most
// maxLockDuration, which is also what "Infinite" and no header get. ok is
// false for a header the library refuses with 400; it is left as sent.
func grantedTimeout(header string) (time.Duration, bool) {
	if header == "" {
		return maxLockDuration, true
	}
	first, _, _ := strings.Cut(header, ",")
	first = strings.TrimSpace(first)
	if first == "Infinite" {
		return maxLockDuration, true
	}
	digits, ok := strings.CutPrefix(first, "Second-")
	if !ok || digits == "" || digits[0] < '0' || digits[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > 1<<32-1 {
		return 0, false
	}
	return min(time.Duration(n)*time.Second, maxLockDuration), true
}

// lockAnswer holds back the library's answer to a LOCK, to write the lock
// root as a URL under Prefix.
type lockAnswer struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (a *lockAnswer) WriteHeader(status int) {
	if a.status == 0 {
		a.status = status
	}
}

func (a *lockAnswer) Write(p []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	return a.body.Write(p)
}

// lockRootTag opens the lock root's URL in the library's lockdiscovery.
const lockRootTag = "<D:lockroot><D:href>"

// finish writes the answer held back. The lock root is the last one in
// it: an owner the client sent, written before it, may hold the same text.
func (a *lockAnswer) finish() {
	body := a.body.Bytes()
	if a.status == http.StatusOK || a.status == http.StatusCreated {
		if i := bytes.LastIndex(body, []byte(lockRootTag)); i >= 0 {
			at := i + len(lockRootTag)
			body = append(append(append([]byte{}, body[:at]...), Prefix...), body[at:]...)
		}
	}
	if a.status != 0 {
		a.ResponseWriter.WriteHeader(a.status)
	}
	_, _ = a.ResponseWriter.Write(body)
}

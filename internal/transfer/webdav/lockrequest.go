package webdav

import (
	"bytes"
	"net/http"
)

// golang.org/x/net/webdav writes the root of a lock in its LOCK answer
// without the /dav prefix, so a client would take it for a URL outside
// WebDAV. lockAnswer holds the answer back and corrects it.

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

package webdav

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// golang.org/x/net/webdav answers a LOCK with the lock as the request
// asked for it, not as the lock system granted it. grantTimeout puts the
// request in the shape whose answer is true (the Timeout the lock will
// really have), and lockAnswer corrects the one thing of the answer the
// request cannot: the lock root, which the library writes without the
// /dav prefix, so a client would take it for a URL outside WebDAV. (The
// refusals come first, from checkLock.)

// grantTimeout rewrites a LOCK's Timeout header to the duration granted.
func grantTimeout(r *http.Request) {
	if granted, ok := grantedTimeout(r.Header.Get("Timeout")); ok {
		r.Header.Set("Timeout", "Second-"+strconv.FormatInt(int64(granted/time.Second), 10))
	}
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

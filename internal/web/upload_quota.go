package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
)

// uploadLimits bound begun-but-unfinished REST uploads (begin_upload
// without its end yet), each of which the server keeps state for and may
// hold a temporary file for. Without a limit per user and per site, one
// user could take every place on the server for everyone, on every site.
// The limits are checked in admit alone, on counts the upload state
// supplies, so they carry over when that state moves.
type uploadLimits struct {
	perUser int           // pending uploads one user may have
	perSite int           // pending uploads one site may have, all its users together
	total   int           // pending uploads the server keeps at all
	ttl     time.Duration // how long a begun upload waits for its bytes, and then for its end
}

// defaultUploadLimits are generous for clients that upload many files in
// parallel (Files.com's CLI and SDKs begin one upload per file and finish
// it at once) and small enough that no one user or site fills the server.
var defaultUploadLimits = uploadLimits{perUser: 50, perSite: 500, total: 5000, ttl: 15 * time.Minute}

// pendingCounts is how many uploads are pending: the caller's, their
// site's, and the server's, with the earliest of the caller's and the
// site's expiries (for Retry-After).
type pendingCounts struct {
	user, site, total        int
	userExpires, siteExpires time.Time
}

// errTooManyPendingUploads refuses a begin_upload over a limit.
var errTooManyPendingUploads = &identity.Error{Status: http.StatusTooManyRequests, Type: "rate-limited/too-many-pending-uploads",
	Title: "Too Many Pending Uploads", Message: "too many uploads are begun and not finished"}

// admit says whether one more upload may begin, and when not, why and
// what to do, with how long to wait (for Retry-After).
func (l uploadLimits) admit(c pendingCounts, now time.Time) (wait time.Duration, err error) {
	switch {
	case c.user >= l.perUser:
		return until(c.userExpires, now), errTooManyPendingUploads.With(
			"you have %d uploads begun and not finished, the most one user may have; finish each (PUT its bytes to the upload_uri, then POST /files/{path} with action=end and its ref), or wait until they expire, %s after they began or their bytes arrived",
			c.user, l.ttl)
	case c.site >= l.perSite:
		return until(c.siteExpires, now), errTooManyPendingUploads.With(
			"this site has %d uploads begun and not finished, the most one site may have; try again in a few minutes (unfinished uploads expire after %s), or upload in one request with POST /files/{path} and the file as the body",
			c.site, l.ttl)
	case c.total >= l.total:
		return time.Minute, errTooManyPendingUploads.With(
			"the server has %d uploads begun and not finished, the most it keeps; try again in a few minutes, or upload in one request with POST /files/{path} and the file as the body",
			c.total)
	}
	return 0, nil
}

func until(t, now time.Time) time.Duration {
	if d := t.Sub(now); d > time.Second {
		return d
	}
	return time.Second
}

// retryAfter is a Retry-After value in whole seconds.
func retryAfter(d time.Duration) string {
	return fmt.Sprint(int64((d + time.Second - 1) / time.Second))
}

package multipart

import (
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Limits bound begun-but-unfinished uploads, each of which the server
// keeps a record and staged parts for. Without a limit per user and per
// site, one user could take every place on the server for everyone, on
// every site. They are counted from the store, so every node's uploads
// count.
type Limits struct {
	PerUser int           // unfinished uploads one user may have
	PerSite int           // unfinished uploads one site may have, all its users together
	Total   int           // unfinished uploads the server keeps at all
	TTL     time.Duration // how long an upload waits for its next part or its end
}

// DefaultLimits are generous for clients that upload many files in
// parallel (Files.com's CLI and SDKs begin one upload per file and finish
// it at once) and small enough that no one user or site fills the server.
// The TTL is Files.com's own for an upload part (its SDKs assume 15
// minutes); a part still arriving keeps its upload alive. A function, not
// a variable, so that no code can change every service's limits.
func DefaultLimits() Limits {
	return Limits{PerUser: 50, PerSite: 500, Total: 5000, TTL: 15 * time.Minute}
}

// ErrTooManyPendingUploads refuses a begin over a limit.
var ErrTooManyPendingUploads = &identity.Error{Status: http.StatusTooManyRequests, Type: "rate-limited/too-many-pending-uploads",
	Title: "Too Many Pending Uploads", Message: "too many uploads are begun and not finished"}

// TooMany is a refusal over a limit with how long to wait (Retry-After).
type TooMany struct {
	Err  *identity.Error
	Wait time.Duration
}

func (e *TooMany) Error() string { return e.Err.Error() }
func (e *TooMany) Unwrap() error { return e.Err }

// admit says whether one more upload may begin, and when not, why and
// what to do, with how long to wait.
func (l Limits) admit(c store.FileUploadCounts, now time.Time) *TooMany {
	switch {
	case c.User >= l.PerUser:
		return &TooMany{ErrTooManyPendingUploads.With(
			"you have %d uploads begun and not finished, the most one user may have; finish each (PUT its parts to their upload_uri, then POST /files/{path} with action=end and its ref), or wait until they expire, %s after they began or their last part arrived",
			c.User, l.TTL), until(c.UserExpires, now)}
	case c.Site >= l.PerSite:
		return &TooMany{ErrTooManyPendingUploads.With(
			"this site has %d uploads begun and not finished, the most one site may have; try again in a few minutes (unfinished uploads expire after %s), or upload in one request with POST /files/{path} and the file as the body",
			c.Site, l.TTL), until(c.SiteExpires, now)}
	case c.Total >= l.Total:
		return &TooMany{ErrTooManyPendingUploads.With(
			"the server has %d uploads begun and not finished, the most it keeps; try again in a few minutes, or upload in one request with POST /files/{path} and the file as the body",
			c.Total), time.Minute}
	}
	return nil
}

func until(t, now time.Time) time.Duration {
	if d := t.Sub(now); d > time.Second {
		return d
	}
	return time.Second
}

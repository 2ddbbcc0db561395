package web

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// pendingUpload is a begun upload: its ref is a random capability bound to
// the user and path, like a presigned URL.
type pendingUpload struct {
	siteID, userID int64
	path           string
	expires        time.Time
	up             vfs.Upload // set once the bytes arrived
	size           int64
	busy           bool // its bytes are arriving, or it is being ended
}

// pendingUploads holds begun uploads in memory: a node only finishes the
// uploads it began (run one node, or keep a client on one node). Uploads
// whose bytes are arriving stay counted, so parallel PUTs cannot slip
// past the limits.
type pendingUploads struct {
	mu sync.Mutex
	m  map[string]*pendingUpload
}

// add begins an upload within limits, after discarding expired ones, and
// returns its ref. Over a limit it returns how long to wait and why.
func (p *pendingUploads) add(u *pendingUpload, l uploadLimits, now time.Time) (string, time.Duration, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", 0, err
	}
	ref := "put-" + hex.EncodeToString(b[:])
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]*pendingUpload{}
	}
	var c pendingCounts
	for k, v := range p.m {
		if now.After(v.expires) && !v.busy {
			if v.up != nil {
				_ = v.up.Abort()
			}
			delete(p.m, k)
			continue
		}
		c.total++
		if v.siteID != u.siteID {
			continue
		}
		c.site++
		if c.siteExpires.IsZero() || v.expires.Before(c.siteExpires) {
			c.siteExpires = v.expires
		}
		if v.userID == u.userID {
			c.user++
			if c.userExpires.IsZero() || v.expires.Before(c.userExpires) {
				c.userExpires = v.expires
			}
		}
	}
	if wait, err := l.admit(c, now); err != nil {
		return "", wait, err
	}
	p.m[ref] = u
	return ref, 0, nil
}

// claim returns the caller's live, idle upload under ref and marks it
// busy, or nil: another user's ref is as good as none.
func (p *pendingUploads) claim(ref string, siteID, userID int64, now time.Time) *pendingUpload {
	p.mu.Lock()
	defer p.mu.Unlock()
	u, ok := p.m[ref]
	if !ok || u.busy || now.After(u.expires) || u.siteID != siteID || u.userID != userID {
		return nil
	}
	u.busy = true
	return u
}

// release makes a claimed upload idle again; once its bytes have arrived
// it waits ttl from now for its end.
func (p *pendingUploads) release(u *pendingUpload, arrived bool, ttl time.Duration, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	u.busy = false
	if arrived {
		u.expires = now.Add(ttl)
	}
}

// remove forgets a claimed upload (ended, or given up).
func (p *pendingUploads) remove(ref string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, ref)
}

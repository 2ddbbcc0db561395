package webdav

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"golang.org/x/net/webdav"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// maxLockDuration caps every lock, "Infinite" included: a client that
// crashes while holding a lock must not block a file for ever.
const maxLockDuration = 24 * time.Hour

// tempTokenPrefix marks the locks the webdav package takes for the length
// of one request to check that nobody else holds a lock; they are never
// stored.
const tempTokenPrefix = "gatehouse-request:"

// lockTimeout bounds one lock operation's database work.
const lockTimeout = 10 * time.Second

// LockStore is where WebDAV locks are kept, so that every node sees them;
// store.Store is one, and the server wires it. It is all of the store the
// WebDAV front end reaches: everything else it asks the identity core.
type LockStore interface {
	// Tx and LockSite serialise the conflict check and the write of a
	// new lock across nodes.
	Tx(ctx context.Context, fn func(ctx context.Context) error) error
	LockSite(ctx context.Context, siteID int64) error
	CreateDAVLock(ctx context.Context, l *store.DAVLock) error
	GetDAVLock(ctx context.Context, siteID int64, token string) (store.DAVLock, error)
	ListDAVLocks(ctx context.Context, siteID int64, now time.Time) ([]store.DAVLock, error)
	RefreshDAVLock(ctx context.Context, siteID int64, token string, expiresAt time.Time) error
	DeleteDAVLock(ctx context.Context, siteID int64, token string) error
	DeleteExpiredDAVLocks(ctx context.Context, now time.Time) (int, error)
}

// storeLocks is the webdav.LockSystem of one request. Locks live in the
// store, so every node sees them, and their roots live in the site's
// shared namespace: a user's "/docs/a.txt" is "/users/<username>/docs/a.txt",
// and "/groups/<name>/…" and an admin's "/users/<name>/…" are already
// shared, so two people's paths to one group file meet in one lock.
//
// Only LOCK requests store locks. Other requests without an If header get
// webdav's per-request lock, which here only checks that no stored lock
// covers the path: that is one read, and no write, per PUT.
//
// A lock is a write: only someone who may write at its root takes one
// (checkLock answers the others 403 before the webdav package acts, and
// Create refuses them again), and a lock belongs to the user who took it:
// only they refresh it or submit its token, and only they or a site admin
// (breaking a lock someone left behind) remove it.
type storeLocks struct {
	ctx      context.Context
	st       LockStore
	siteID   int64
	userID   int64
	username string // lower case
	admin    bool
	fs       vfs.FS // the user's view, for write permission
	persist  bool   // this request is a LOCK
	log      *slog.Logger
}

var _ webdav.LockSystem = (*storeLocks)(nil)

// shared maps a path of the user's view onto the site's namespace.
func (l *storeLocks) shared(name string) string {
	name = "/" + strings.Trim(name, "/")
	for _, top := range []string{"/groups/", "/users/"} {
		if rest, ok := strings.CutPrefix(name, top); ok {
			folder, tail, _ := strings.Cut(rest, "/")
			if tail != "" {
				tail = "/" + tail
			}
			return top + strings.ToLower(folder) + tail
		}
	}
	if name == "/" {
		return "/users/" + l.username
	}
	// "/groups" and "/users" themselves are per-user listings; their
	// shared names are reserved names inside the home folder, never real.
	return "/users/" + l.username + name
}

// viewOf maps a shared root back onto the user's view.
func (l *storeLocks) viewOf(root string) string {
	home := "/users/" + l.username
	if root == home {
		return "/"
	}
	if rest, ok := strings.CutPrefix(root, home+"/"); ok {
		return "/" + rest
	}
	return root
}

// covers reports whether lock k covers name (both shared).
func covers(k store.DAVLock, name string) bool {
	return k.Root == name || (!k.ZeroDepth && strings.HasPrefix(name, k.Root+"/"))
}

// conflicts reports whether a new lock on root (zeroDepth: root only)
// clashes with a live one, by RFC 4918's rules for exclusive locks.
func conflicts(live []store.DAVLock, root string, zeroDepth bool) bool {
	for _, k := range live {
		if covers(k, root) || (!zeroDepth && strings.HasPrefix(k.Root, root+"/")) {
			return true
		}
	}
	return false
}

func (l *storeLocks) context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(l.ctx), lockTimeout)
}

func (l *storeLocks) Confirm(now time.Time, name0, name1 string, conditions ...webdav.Condition) (func(), error) {
	ctx, cancel := l.context()
	defer cancel()
	for _, name := range []string{name0, name1} {
		if name == "" {
			continue
		}
		shared, ok := l.shared(name), false
		for _, c := range conditions {
			if c.Token == "" || c.Not || strings.HasPrefix(c.Token, tempTokenPrefix) {
				continue
			}
			k, err := l.st.GetDAVLock(ctx, l.siteID, c.Token)
			if err != nil {
				if !errors.Is(err, store.ErrNotFound) {
					l.log.Error("webdav: reading a lock failed", "error", err)
				}
				continue
			}
			if (k.ExpiresAt.IsZero() || k.ExpiresAt.After(now)) && covers(k, shared) && l.holds(k) {
				ok = true
				break
			}
		}
		if !ok {
			return nil, webdav.ErrConfirmationFailed
		}
	}
	return func() {}, nil
}

func (l *storeLocks) Create(now time.Time, d webdav.LockDetails) (string, error) {
	ctx, cancel := l.context()
	defer cancel()
	root := l.shared(d.Root)
	if !l.persist {
		live, err := l.st.ListDAVLocks(ctx, l.siteID, now)
		if err != nil {
			return "", err
		}
		if conflicts(live, root, d.ZeroDepth) {
			return "", webdav.ErrLocked
		}
		return tempTokenPrefix + newToken(), nil
	}
	if err := l.fs.Writable(ctx, d.Root); err != nil {
		return "", webdav.ErrForbidden
	}
	duration := d.Duration
	if duration < 0 || duration > maxLockDuration {
		duration = maxLockDuration
	}
	k := store.DAVLock{SiteID: l.siteID, UserID: l.userID, Token: "urn:uuid:" + newUUID(), Root: root, ZeroDepth: d.ZeroDepth,
		OwnerXML: d.OwnerXML, Timeout: duration, ExpiresAt: now.Add(duration), CreatedAt: now}
	err := l.st.Tx(ctx, func(ctx context.Context) error {
		if err := l.st.LockSite(ctx, l.siteID); err != nil {
			return err
		}
		live, err := l.st.ListDAVLocks(ctx, l.siteID, now)
		if err != nil {
			return err
		}
		if conflicts(live, root, d.ZeroDepth) {
			return webdav.ErrLocked
		}
		return l.st.CreateDAVLock(ctx, &k)
	})
	if err != nil {
		return "", err
	}
	if _, err := l.st.DeleteExpiredDAVLocks(ctx, now); err != nil {
		l.log.Warn("webdav: sweeping expired locks failed", "error", err)
	}
	return k.Token, nil
}

func (l *storeLocks) Refresh(now time.Time, token string, duration time.Duration) (webdav.LockDetails, error) {
	ctx, cancel := l.context()
	defer cancel()
	k, err := l.st.GetDAVLock(ctx, l.siteID, token)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !k.ExpiresAt.IsZero() && !k.ExpiresAt.After(now)) {
		return webdav.LockDetails{}, webdav.ErrNoSuchLock
	}
	if err != nil {
		return webdav.LockDetails{}, err
	}
	if !l.holds(k) || !l.mayWrite(ctx, k) {
		// Someone else's lock is not the caller's to keep alive.
		return webdav.LockDetails{}, webdav.ErrNoSuchLock
	}
	if duration < 0 || duration > maxLockDuration {
		duration = maxLockDuration
	}
	if err := l.st.RefreshDAVLock(ctx, l.siteID, token, now.Add(duration)); err != nil {
		return webdav.LockDetails{}, err
	}
	return webdav.LockDetails{Root: l.viewOf(k.Root), Duration: duration, OwnerXML: k.OwnerXML, ZeroDepth: k.ZeroDepth}, nil
}

func (l *storeLocks) Unlock(now time.Time, token string) error {
	if strings.HasPrefix(token, tempTokenPrefix) {
		return nil
	}
	ctx, cancel := l.context()
	defer cancel()
	k, err := l.st.GetDAVLock(ctx, l.siteID, token)
	if errors.Is(err, store.ErrNotFound) {
		return webdav.ErrNoSuchLock
	}
	if err != nil {
		return err
	}
	if !l.admin && !(l.holds(k) && l.mayWrite(ctx, k)) {
		return webdav.ErrForbidden
	}
	if err := l.st.DeleteDAVLock(ctx, l.siteID, token); errors.Is(err, store.ErrNotFound) {
		return webdav.ErrNoSuchLock
	} else if err != nil {
		return err
	}
	return nil
}

// holds reports whether lock k is the user's own. A lock stored before
// locks recorded their creator counts as everyone's who may write there.
func (l *storeLocks) holds(k store.DAVLock) bool {
	return k.UserID == l.userID || k.UserID == 0
}

// mayWrite reports whether the user may still write at lock k's root,
// where they took it: a lock outlives no write permission.
func (l *storeLocks) mayWrite(ctx context.Context, k store.DAVLock) bool {
	return l.fs.Writable(ctx, l.viewOf(k.Root)) == nil
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newUUID returns a random (version 4) UUID for a lock token.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// checkLock answers a LOCK (a new lock or a refresh) that the user may
// not take, before the webdav package acts: it would answer every refusal
// of the lock system 500, and it creates a lock-null resource only after
// storing the lock, so a name that cannot be created would leave a stored
// lock behind. A lock needs write permission at its root (403 otherwise,
// which also refuses /users and /groups themselves), a path the user can
// see (404), and, for a resource that does not exist yet, its folder (409,
// as a PUT there would get) and a name that can be a file (400). 0 lets
// the request through.
func checkLock(ctx context.Context, fsys vfs.FS, r *http.Request) (int, string) {
	name, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		return 0, "" // the webdav package answers 404
	}
	if err := fsys.Writable(ctx, name); err != nil {
		if errors.Is(err, vfs.ErrNotExist) {
			// A folder the user cannot see, such as another user's home.
			return http.StatusNotFound, "Not found: " + err.Error() + "."
		}
		return lockRefusal(err)
	}
	if _, err := fsys.Stat(ctx, name); !errors.Is(err, vfs.ErrNotExist) {
		return 0, ""
	}
	parent := path.Dir(strings.TrimSuffix(path.Clean("/"+name), "/"))
	if fi, err := fsys.Stat(ctx, parent); err != nil || !fi.IsDir() {
		return http.StatusConflict, "The folder " + parent + " does not exist; create it (MKCOL) before locking a new file in it."
	}
	if r.ContentLength == 0 {
		return 0, "" // a refresh (no lockinfo body) creates nothing
	}
	// A trial of the creation the webdav package makes once the lock is
	// stored: whatever would refuse it refuses the lock now.
	up, err := fsys.Create(ctx, name, 0)
	if err != nil {
		return lockRefusal(err)
	}
	_ = up.Abort()
	return 0, ""
}

// lockRefusal is the answer to a LOCK the user's view refused with err.
func lockRefusal(err error) (int, string) {
	switch {
	case errors.Is(err, vfs.ErrPermission):
		return http.StatusForbidden, "You may not lock this: " + err.Error() + "."
	case errors.Is(err, vfs.ErrNotExist), errors.Is(err, vfs.ErrNotDir):
		return http.StatusConflict, "The folder to hold this file does not exist; create it first (MKCOL), then lock the file."
	case errors.Is(err, vfs.ErrInvalidName), errors.Is(err, vfs.ErrIsDir):
		return http.StatusBadRequest, "This name cannot be a file: " + err.Error() + "."
	}
	return http.StatusServiceUnavailable, "Your files cannot be reached right now; try again later."
}

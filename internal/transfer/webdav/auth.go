package webdav

import (
	"context"
	"crypto/sha256"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/access"
	"github.com/gatehouse/gatehouse/internal/transfer/credential"
)

// signIn decides one request and answers what it may do. Verified
// credentials are remembered with the connection's access.Session, so a
// request with remembered credentials costs no password hash, but the
// account is asked again at every one (the policy, the key or password
// still being the user's, the admin flag and memberships), exactly as an
// open FTP or SFTP connection is. When the remembered sign-in no longer
// stands because its password was changed or its key removed, the
// credentials are checked afresh: they may be the new ones. Only full
// sign-ins are recorded (last_dav_login_at, the log), not every request.
func (h *Handler) signIn(ctx context.Context, site store.Site, username, secret, ip string) (access.Rights, error) {
	key := cacheKey(site.ID, username, secret)
	if e, ok := h.creds.get(key); ok {
		rights, err := e.session.Check(ctx)
		if err == nil {
			return rights, nil
		}
		if !access.Ends(err) {
			return access.Rights{}, err
		}
		h.creds.forget(key)
		if !errors.Is(err, identity.ErrInvalidSession) && !errors.Is(err, identity.ErrInvalidAPIKey) {
			return access.Rights{}, err
		}
	}
	in, err := credential.Login(ctx, h.svc, site.ID, username, secret, identity.ChannelWebDAV, ip)
	if err != nil {
		h.log.Info("webdav sign-in refused", "site_id", site.ID, "username", username, "ip", ip, "reason", credential.Reason(err))
		return access.Rights{}, err
	}
	session, rights, err := access.Open(ctx, h.svc, h.files, site, in.Connection, h.log)
	if err != nil {
		return access.Rights{}, err
	}
	h.log.Info("webdav sign-in", "site_id", site.ID, "user_id", in.User.ID, "username", in.User.Username, "credential", in.Connection.Credential, "ip", ip)
	h.creds.put(key, cacheEntry{session: session})
	return rights, nil
}

// cacheKey identifies one set of credentials without keeping the secret.
func cacheKey(siteID int64, username, secret string) [32]byte {
	h := sha256.New()
	h.Write([]byte(strconv.FormatInt(siteID, 10) + "\x00" + strings.ToLower(username) + "\x00" + secret))
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

// credentialTTL is how long a verified password is remembered; a
// directory password changed in LDAP stops working here within it.
const credentialTTL = time.Minute

// maxCachedCredentials bounds the cache; when full it starts over.
const maxCachedCredentials = 10000

type cacheEntry struct {
	session *access.Session
	expires time.Time
}

// credentialCache remembers verified credentials by the hash of site,
// username and secret.
type credentialCache struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[[32]byte]cacheEntry
}

func newCredentialCache(now func() time.Time) *credentialCache {
	return &credentialCache{now: now, entries: map[[32]byte]cacheEntry{}}
}

func (c *credentialCache) get(k [32]byte) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if ok && !c.now().Before(e.expires) {
		delete(c.entries, k)
		return cacheEntry{}, false
	}
	return e, ok
}

func (c *credentialCache) put(k [32]byte, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedCredentials {
		c.entries = map[[32]byte]cacheEntry{}
	}
	e.expires = c.now().Add(credentialTTL)
	c.entries[k] = e
}

func (c *credentialCache) forget(k [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
}

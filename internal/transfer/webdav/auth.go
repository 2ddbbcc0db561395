package webdav

import (
	"context"
	"crypto/sha256"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/credential"
)

// signIn decides one request. A remembered password is not hashed again,
// but the policy is asked again (Readmit), and a password changed since
// no longer matches; a remembered API key is looked up again (it may have
// been deleted or have expired), which costs no hash. Only full sign-ins
// are recorded (last_dav_login_at, the log), not every request.
func (h *Handler) signIn(ctx context.Context, site store.Site, username, secret, ip string) (store.User, error) {
	key := cacheKey(site.ID, username, secret)
	if e, ok := h.creds.get(key); ok {
		switch e.credential {
		case identity.CredentialAPIKey:
			u, _, err := h.svc.LoginWithAPIKey(ctx, site.ID, secret, identity.ChannelWebDAV, ip)
			if err == nil && u.ID == e.userID {
				return u, nil
			}
		default:
			u, err := h.svc.Readmit(ctx, site.ID, e.userID, identity.ChannelWebDAV, e.credential, ip)
			if err == nil && u.PasswordHash == e.passwordHash {
				return u, nil
			}
			if err != nil {
				h.creds.forget(key)
				h.log.Info("webdav request refused", "site_id", site.ID, "user_id", e.userID, "ip", ip, "reason", credential.Reason(err))
				return store.User{}, err
			}
		}
		h.creds.forget(key)
	}
	in, err := credential.Login(ctx, h.svc, site.ID, username, secret, identity.ChannelWebDAV, ip)
	if err != nil {
		h.log.Info("webdav sign-in refused", "site_id", site.ID, "username", username, "ip", ip, "reason", credential.Reason(err))
		return store.User{}, err
	}
	h.log.Info("webdav sign-in", "site_id", site.ID, "user_id", in.User.ID, "username", in.User.Username, "credential", in.Credential, "ip", ip)
	h.creds.put(key, cacheEntry{userID: in.User.ID, credential: in.Credential, passwordHash: in.User.PasswordHash})
	return in.User, nil
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
	userID       int64
	credential   identity.Credential
	passwordHash string
	expires      time.Time
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

package oidc

import (
	"context"
	"net/http"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/gatehouse/gatehouse/internal/backoff"
)

// Cache lifetimes and limits.
const (
	// DiscoveryTTL is how long a discovery document is used before it is
	// read again; a failed re-read keeps the old one.
	DiscoveryTTL = time.Hour
	// KeysMaxAge is how long a JWKS is trusted before it is read again, so a
	// key the provider withdrew stops verifying (Entra suggests daily).
	KeysMaxAge = 24 * time.Hour
	// KeysMinRefresh is the least time between two JWKS reads: a flood of
	// tokens with unknown kids makes at most one read per interval.
	KeysMinRefresh = time.Minute
)

// Cache keeps discovery documents and signing keys per issuer, so a sign-in
// costs no request to the provider besides the code redemption, and
// Providers can be built per request. An issuer's keys are read with the
// HTTP client of the first Provider that discovered it. The zero value is
// not usable; use NewCache.
type Cache struct {
	mu      sync.Mutex
	issuers map[string]*issuerEntry
	// discoveries lets one caller at a time read an issuer's discovery
	// document and spaces out the reads of one that fails, so sign-ins
	// started by anyone do not each make a request to a failing provider.
	discoveries backoff.Gate
	// minRefresh and maxAge tune the key cache (KeysMinRefresh, KeysMaxAge).
	minRefresh, maxAge time.Duration
}

// defaultCache is the process-wide cache used when Config.Cache is nil and
// by CheckIssuer. It is unexported so that no code can swap the cache
// every provider of the process shares.
var defaultCache = NewCache()

// NewCache returns an empty cache with the default lifetimes.
func NewCache() *Cache {
	return &Cache{issuers: map[string]*issuerEntry{}, minRefresh: KeysMinRefresh, maxAge: KeysMaxAge}
}

// NewCacheWithRefresh returns an empty cache whose key set is read at most
// once per minRefresh and trusted for maxAge.
func NewCacheWithRefresh(minRefresh, maxAge time.Duration) *Cache {
	c := NewCache()
	c.minRefresh, c.maxAge = minRefresh, maxAge
	return c
}

// issuerEntry is what discovery told us about one issuer.
type issuerEntry struct {
	doc     discoveryDoc
	fetched time.Time
	keys    *keySet
}

// discoveryDoc holds the fields of the discovery document we use.
type discoveryDoc struct {
	AuthURL          string   `json:"authorization_endpoint"`
	TokenURL         string   `json:"token_endpoint"`
	JWKSURL          string   `json:"jwks_uri"`
	TokenAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
}

// discover returns the cached entry for issuer, reading the discovery
// document when there is none or it is older than DiscoveryTTL. The read
// happens outside the lock, so one slow provider does not hold up sign-ins
// at the others. Of the callers needing the same issuer at once one reads
// while the others wait for it; after a failed read the next ones wait as
// backoff.Default says, getting a *backoff.WaitingError (or the stale
// entry, when there is one) without a request.
func (c *Cache) discover(ctx context.Context, issuer string, client *http.Client, now func() time.Time) (*issuerEntry, error) {
	c.mu.Lock()
	old := c.issuers[issuer]
	c.mu.Unlock()
	if old != nil && now().Sub(old.fetched) < DiscoveryTTL {
		return old, nil
	}
	err := c.discoveries.Do(issuer, now(), func() error {
		// The read serves every waiting caller: the first one giving up
		// must not cut it short (the client's timeout bounds it).
		doc, err := fetchDiscovery(context.WithoutCancel(ctx), issuer, client)
		if err != nil {
			return err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		entry := &issuerEntry{doc: doc, fetched: now()}
		if cur := c.issuers[issuer]; cur != nil && cur.doc.JWKSURL == doc.JWKSURL {
			entry.keys = cur.keys
		} else {
			entry.keys = newKeySet(doc.JWKSURL, client, c.minRefresh, c.maxAge)
		}
		c.issuers[issuer] = entry
		return nil
	})
	c.mu.Lock()
	cur := c.issuers[issuer]
	c.mu.Unlock()
	switch {
	case err == nil && cur != nil:
		return cur, nil
	case old != nil:
		return old, nil // keep signing in with what we knew
	case err == nil:
		return nil, fail(KindDiscovery, "the discovery document of %s was dropped while it was read; try again", issuer)
	}
	return nil, err
}

// fetchDiscovery reads issuer/.well-known/openid-configuration through
// go-oidc, which refuses a document naming another issuer.
func fetchDiscovery(ctx context.Context, issuer string, client *http.Client) (discoveryDoc, error) {
	gp, err := gooidc.NewProvider(gooidc.ClientContext(ctx, client), issuer)
	if err != nil {
		return discoveryDoc{}, wrap(KindDiscovery, err, "reading %s/.well-known/openid-configuration; check the issuer (tenant ID, subdomain or URL) and that this server can reach it", trimSlash(issuer))
	}
	var doc discoveryDoc
	if err := gp.Claims(&doc); err != nil {
		return discoveryDoc{}, wrap(KindDiscovery, err, "the discovery document of %s is not valid JSON", issuer)
	}
	for name, u := range map[string]string{"authorization_endpoint": doc.AuthURL, "token_endpoint": doc.TokenURL, "jwks_uri": doc.JWKSURL} {
		if _, err := checkIssuerURL(u); err != nil || u == "" {
			return discoveryDoc{}, fail(KindDiscovery, "the discovery document of %s has no usable %s (%q)", issuer, name, u)
		}
	}
	return doc, nil
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// CheckIssuer is Cache.CheckIssuer on the process-wide cache, the one
// Providers built without a Cache share: what a check reads, the next
// sign-in through that issuer uses.
func CheckIssuer(ctx context.Context, issuer string, client *http.Client, now func() time.Time) error {
	return defaultCache.CheckIssuer(ctx, issuer, client, now)
}

// CheckIssuer reads issuer's discovery document and signing keys now,
// whatever the cache holds, and refuses an issuer whose document does not
// name it, lacks an endpoint, or whose key set holds no usable signing
// key. What it read replaces the cache's entry, so the sign-ins that
// follow use it. It is what saving a provider's settings runs, so that a
// wrong tenant, subdomain or issuer is refused then rather than at the
// next sign-in; the error is KindDiscovery or KindKeys. A nil client
// means one with DefaultHTTPTimeout, a nil clock time.Now.
func (c *Cache) CheckIssuer(ctx context.Context, issuer string, client *http.Client, now func() time.Time) error {
	if _, err := checkIssuerURL(issuer); err != nil {
		return err
	}
	if client == nil {
		client = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if now == nil {
		now = time.Now
	}
	doc, err := fetchDiscovery(ctx, issuer, client)
	if err != nil {
		return err
	}
	keys := newKeySet(doc.JWKSURL, client, c.minRefresh, c.maxAge)
	gen, err := keys.fetch(ctx)
	if err != nil {
		return err
	}
	at := now()
	gen.fetched = at
	keys.keys.Store(gen)
	c.mu.Lock()
	c.issuers[issuer] = &issuerEntry{doc: doc, fetched: at, keys: keys}
	c.mu.Unlock()
	c.discoveries.Forget(issuer)
	return nil
}

package identity

import (
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// siteCacheTTL is how long a routed site is reused. Every request is routed
// to a site, so a store read per request would be a large share of a cheap
// API call; a site changed on another Gatehouse node is seen here within
// this time. Decisions that must be exact (lockout, password rules) read
// the site from the store instead, through GetSite.
const siteCacheTTL = 2 * time.Second

// siteCache remembers ResolveSite answers by subdomain for siteCacheTTL.
type siteCache struct {
	mu      sync.Mutex
	entries map[string]siteCacheEntry
}

type siteCacheEntry struct {
	site    store.Site
	expires time.Time
}

func (c *siteCache) get(subdomain string, now time.Time) (store.Site, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[subdomain]
	if !ok || !now.Before(e.expires) {
		return store.Site{}, false
	}
	return e.site, true
}

func (c *siteCache) put(subdomain string, site store.Site, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) > 10_000 {
		c.entries = map[string]siteCacheEntry{} // bounded: unknown hosts cannot grow it without end
	}
	c.entries[subdomain] = siteCacheEntry{site: site, expires: now.Add(siteCacheTTL)}
}

// forget drops every entry, after a site changes on this node.
func (c *siteCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
}

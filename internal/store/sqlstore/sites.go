package sqlstore

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

const siteConflict = "a site with this subdomain exists, or a second default site was asked for"

// CreateSite stores a new site and sets its id and times.
func (s *Store) CreateSite(ctx context.Context, site *store.Site) error {
	return insert(ctx, s, sites, site, siteConflict)
}

// GetSite returns the site with the id.
func (s *Store) GetSite(ctx context.Context, id int64) (store.Site, error) {
	return get(ctx, s, sites, "s.id = ?", id)
}

// GetSiteBySubdomain finds a site by subdomain, ignoring case. The empty
// subdomain names no site.
func (s *Store) GetSiteBySubdomain(ctx context.Context, subdomain string) (store.Site, error) {
	if subdomain == "" {
		return store.Site{}, fmt.Errorf("%w: site with an empty subdomain", store.ErrNotFound)
	}
	return get(ctx, s, sites, "s.subdomain <> '' AND lower(s.subdomain) = ?", Key(subdomain))
}

// DefaultSite returns the site marked IsDefault.
func (s *Store) DefaultSite(ctx context.Context) (store.Site, error) {
	return get(ctx, s, sites, "s.is_default = TRUE")
}

// UpdateSite changes a site through fn in one transaction.
func (s *Store) UpdateSite(ctx context.Context, id int64, fn func(*store.Site) error) (store.Site, error) {
	return changing(ctx, s, store.AccountChange{SiteID: id}, func(ctx context.Context) (store.Site, error) {
		return update(ctx, s, sites, func(*store.Site) string { return siteConflict }, fn, nil, "s.id = ?", id)
	})
}

// ListSites returns one page of every site, ordered by id.
func (s *Store) ListSites(ctx context.Context, o store.ListOptions) ([]store.Site, error) {
	return list(ctx, s, sites, "TRUE", nil, o)
}

// SetPublicAddress records the address serve runs at, in the table's one
// row.
func (s *Store) SetPublicAddress(ctx context.Context, a store.PublicAddress) error {
	_, err := s.exec(ctx, `INSERT INTO public_address (id, base_url, site_domain) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET base_url = excluded.base_url, site_domain = excluded.site_domain`, a.BaseURL, a.SiteDomain)
	return s.mapErr(err, "public address", "")
}

// PublicAddress reads the address serve recorded; ErrNotFound when none.
func (s *Store) PublicAddress(ctx context.Context) (store.PublicAddress, error) {
	var a store.PublicAddress
	err := s.queryRow(ctx, false, `SELECT base_url, site_domain FROM public_address WHERE id = 1`).Scan(&a.BaseURL, &a.SiteDomain)
	if err != nil {
		return store.PublicAddress{}, s.mapErr(err, "public address", "")
	}
	return a, nil
}

package identity

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// subdomainPattern is one DNS label: sites are reached as
// SUBDOMAIN.site-domain, so a subdomain must be valid in a host name.
var subdomainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// CreateSite adds a site (tenant) reached as SUBDOMAIN.site-domain, with
// the default settings. Only the operator may create sites: a site admin
// administers one site, not the installation.
func (s *Service) CreateSite(ctx context.Context, a Actor, subdomain, name string) (store.Site, error) {
	if !a.System {
		return store.Site{}, ErrNotAuthorized.With("sites are created by the operator with 'gatehouse sites create'")
	}
	subdomain = strings.ToLower(strings.TrimSpace(subdomain))
	if !subdomainPattern.MatchString(subdomain) {
		return store.Site{}, ErrInvalidParams.With("subdomain %q must be one DNS label: letters, digits and inner hyphens, at most 63 characters", subdomain)
	}
	if strings.TrimSpace(name) == "" {
		name = subdomain
	}
	if err := checkText("name", name, maxTextLen, false); err != nil {
		return store.Site{}, err
	}
	site := store.DefaultSiteSettings()
	site.Subdomain, site.Name = subdomain, name
	err := s.st.CreateSite(ctx, &site)
	if err != nil {
		return store.Site{}, mapStoreErr(err, "create site", nil, ErrDuplicate.With("a site with subdomain %q already exists", subdomain))
	}
	s.sites.forget()
	s.log.Info("site created", "site_id", site.ID, "subdomain", subdomain, "by", describeActor(a))
	return site, nil
}

// SiteBySubdomain returns the site with exactly that subdomain ("" is the
// default site); unlike ResolveSite it never falls back to the default.
func (s *Service) SiteBySubdomain(ctx context.Context, subdomain string) (store.Site, error) {
	subdomain = strings.ToLower(strings.TrimSpace(subdomain))
	if subdomain == "" {
		return s.EnsureDefaultSite(ctx)
	}
	site, err := s.st.GetSiteBySubdomain(ctx, subdomain)
	if errors.Is(err, store.ErrNotFound) {
		return store.Site{}, ErrNotFound.With("no site has the subdomain %q; 'gatehouse sites list' shows them", subdomain)
	}
	return site, mapStoreErr(err, "find site", nil, nil)
}

// ListSites lists every site of the installation, in pages.
func (s *Service) ListSites(ctx context.Context, o store.ListOptions) ([]store.Site, error) {
	sites, err := s.st.ListSites(ctx, o)
	return sites, mapStoreErr(err, "list sites", nil, nil)
}

// CountUsers counts a site's users.
func (s *Service) CountUsers(ctx context.Context, siteID int64) (int, error) {
	n, err := s.st.CountUsers(ctx, siteID, store.UserQuery{})
	return n, mapStoreErr(err, "count users", nil, nil)
}

package identity

import (
	"context"
	"errors"
	"maps"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// ResolveSite returns the site for a subdomain, or the default site when
// no site has that subdomain. Subdomains are DNS labels, so the lookup is
// lower-cased first.
func (s *Service) ResolveSite(ctx context.Context, subdomain string) (store.Site, error) {
	subdomain = strings.ToLower(strings.TrimSpace(subdomain))
	now := s.now()
	if site, ok := s.sites.get(subdomain, now); ok {
		return site, nil
	}
	site, err := s.resolveSite(ctx, subdomain)
	if err == nil {
		s.sites.put(subdomain, site, now)
	}
	return site, err
}

func (s *Service) resolveSite(ctx context.Context, subdomain string) (store.Site, error) {
	if subdomain != "" {
		site, err := s.st.GetSiteBySubdomain(ctx, subdomain)
		if err == nil {
			return site, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.Site{}, mapStoreErr(err, "resolve site", nil, nil)
		}
	}
	site, err := s.st.DefaultSite(ctx)
	return site, mapStoreErr(err, "default site", ErrNotFound.With("no site is set up yet; start the server once to create it"), nil)
}

// GetSite returns a site by id.
func (s *Service) GetSite(ctx context.Context, siteID int64) (store.Site, error) {
	site, err := s.st.GetSite(ctx, siteID)
	return site, mapStoreErr(err, "get site", ErrNotFound.With("no site has id %d", siteID), nil)
}

// Limits on the site settings Gatehouse enforces.
const (
	minSessionExpiryMinutes = 5
	maxSessionExpiryMinutes = 525600 // a year
	minPasswordMinLength    = 8
	maxPasswordMinLength    = 128
	maxLockoutTries         = 100
	maxLockoutHours         = 8760 // a year
	maxEventRetentionDays   = 3650
)

// siteNumberLimits are the bounds of the site's numeric settings, by
// field.
var siteNumberLimits = map[string][2]int{
	"session_expiry_minutes":   {minSessionExpiryMinutes, maxSessionExpiryMinutes},
	"password_min_length":      {minPasswordMinLength, maxPasswordMinLength},
	"user_lockout_tries":       {1, maxLockoutTries},
	"user_lockout_within":      {1, maxLockoutHours},
	"user_lockout_lock_period": {1, maxLockoutHours},
	"event_retention_days":     {1, maxEventRetentionDays},
}

// SiteNumberLimits returns the lowest and highest value of each numeric
// site setting, by field: the rule UpdateSite applies, for a form that
// says the range beside its field.
func SiteNumberLimits() map[string][2]int { return maps.Clone(siteNumberLimits) }

// UpdateSite changes the site settings; only a site admin may.
func (s *Service) UpdateSite(ctx context.Context, a Actor, siteID int64, c SiteChange) (store.Site, error) {
	if err := requireSiteAdmin(a); err != nil {
		return store.Site{}, err
	}
	if err := validateSiteChange(c); err != nil {
		return store.Site{}, err
	}
	var site store.Site
	err := s.st.Tx(ctx, func(ctx context.Context) error {
		var err error
		site, err = s.st.UpdateSite(ctx, siteID, func(site *store.Site) error {
			applySiteChange(site, c)
			return nil
		})
		if err != nil {
			return err
		}
		return s.recordSettingsChange(ctx, siteID, a, "site settings changed", c, 0)
	})
	s.sites.forget()
	return site, mapStoreErr(err, "update site", ErrNotFound.With("no site has id %d", siteID), nil)
}

func validateSiteChange(c SiteChange) error {
	if c.Name != nil && strings.TrimSpace(*c.Name) == "" {
		return ErrInvalidParams.With("name must not be empty")
	}
	return firstError(
		checkOptionalText("name", c.Name, maxTextLen, false),
		checkOptionalText("login_help_text", c.LoginHelpText, maxNotesLen, true),
		siteRange("session_expiry_minutes", c.SessionExpiryMinutes),
		siteRange("password_min_length", c.PasswordMinLength),
		siteRange("user_lockout_tries", c.UserLockoutTries),
		siteRange("user_lockout_within", c.UserLockoutWithin),
		siteRange("user_lockout_lock_period", c.UserLockoutLockPeriod),
		siteRange("event_retention_days", c.EventRetentionDays),
	)
}

// siteRange checks a numeric site setting against its limits.
func siteRange(field string, v *int) error {
	l := siteNumberLimits[field]
	return checkRange(field, v, l[0], l[1])
}

func applySiteChange(site *store.Site, c SiteChange) {
	set(&site.Name, c.Name)
	set(&site.SessionExpiryMinutes, c.SessionExpiryMinutes)
	set(&site.NonSSOUsersAllowed, c.NonSSOUsersAllowed)
	set(&site.NonSSOGroupsAllowed, c.NonSSOGroupsAllowed)
	set(&site.UserLockout, c.UserLockout)
	set(&site.UserLockoutTries, c.UserLockoutTries)
	set(&site.UserLockoutWithin, c.UserLockoutWithin)
	set(&site.UserLockoutLockPeriod, c.UserLockoutLockPeriod)
	set(&site.PasswordMinLength, c.PasswordMinLength)
	set(&site.LoginHelpText, c.LoginHelpText)
	set(&site.EventRetentionDays, c.EventRetentionDays)
}

// set copies *v into dst when the change carries the field.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

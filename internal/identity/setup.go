package identity

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse/internal/store"
)

// DefaultSiteName is the name the first site gets; an admin can rename it.
const DefaultSiteName = "Gatehouse"

// EnsureDefaultSite returns the default site, creating it on first run.
// Two processes starting at once may both try to create it: the loser's
// ErrConflict means the winner made it, so it reads that one back.
func (s *Service) EnsureDefaultSite(ctx context.Context) (store.Site, error) {
	site, err := s.st.DefaultSite(ctx)
	if err == nil {
		return site, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.Site{}, mapStoreErr(err, "read default site", nil, nil)
	}
	site = store.DefaultSiteSettings()
	site.Name = DefaultSiteName
	site.IsDefault = true
	site.Subdomain = ""
	err = s.st.CreateSite(ctx, &site)
	if errors.Is(err, store.ErrConflict) {
		site, err = s.st.DefaultSite(ctx)
		return site, mapStoreErr(err, "read default site after a concurrent create", nil, nil)
	}
	if err != nil {
		return store.Site{}, mapStoreErr(err, "create default site", nil, nil)
	}
	s.log.Info("created the default site", "site_id", site.ID)
	return site, nil
}

// CreateFirstAdmin creates a password site admin with a random password that
// must be changed at first sign-in, and returns the password to print once.
// The admin gets every protocol permission, so the first person in can
// reach every front end to test it.
func (s *Service) CreateFirstAdmin(ctx context.Context, siteID int64, username string) (store.User, string, error) {
	site, err := s.GetSite(ctx, siteID)
	if err != nil {
		return store.User{}, "", err
	}
	password := generatePassword(max(generatedPasswordLen, site.PasswordMinLength))
	yes := true
	method := store.AuthPassword
	u, err := s.CreateUser(ctx, SystemActor, siteID, UserChange{
		Username:              &username,
		AuthenticationMethod:  &method,
		Password:              &password,
		SiteAdmin:             &yes,
		RequirePasswordChange: &yes,
		RestAPIPermission:     &yes,
		SFTPPermission:        &yes,
		FTPPermission:         &yes,
		DAVPermission:         &yes,
	})
	if err != nil {
		return store.User{}, "", err
	}
	return u, password, nil
}

package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// DefaultTimeZone is what new users get unless a time zone is given:
// Files.com's default, in its Rails time-zone naming.
const DefaultTimeZone = "Eastern Time (US & Canada)"

const maxTimeZoneLen = 64

// GetUser returns a user of the site.
func (s *Service) GetUser(ctx context.Context, siteID, id int64) (store.User, error) {
	u, err := s.st.GetUser(ctx, siteID, id)
	return u, mapStoreErr(err, "get user", ErrUserNotFound, nil)
}

// GetUserByUsername returns the site's user with this username (compared
// as the store compares usernames), ErrUserNotFound when there is none.
func (s *Service) GetUserByUsername(ctx context.Context, siteID int64, username string) (store.User, error) {
	u, err := s.st.GetUserByUsername(ctx, siteID, username)
	return u, mapStoreErr(err, "get user by username", ErrUserNotFound.With("no user has that username"), nil)
}

// ListUsers returns one page of the site's users.
func (s *Service) ListUsers(ctx context.Context, siteID int64, q store.UserQuery) ([]store.User, error) {
	users, err := s.st.ListUsers(ctx, siteID, q)
	return users, mapStoreErr(err, "list users", nil, nil)
}

// CountUsersMatching counts the site's users q selects, its paging
// aside (a list's total).
func (s *Service) CountUsersMatching(ctx context.Context, siteID int64, q store.UserQuery) (int, error) {
	n, err := s.st.CountUsers(ctx, siteID, q)
	return n, mapStoreErr(err, "count users", nil, nil)
}

// CreateUser creates a user. New users follow Files.com's defaults:
// authentication_method "password", restapi_permission on, the other
// protocol permissions off, time zone DefaultTimeZone. On a site with
// non_sso_users_allowed off, only the system actor may create users who do
// not sign in through SSO (the provisioning engine and the operator's CLI
// are the "SSO provider" side of that rule).
func (s *Service) CreateUser(ctx context.Context, a Actor, siteID int64, c UserChange) (store.User, error) {
	if err := requireSiteAdmin(a); err != nil {
		return store.User{}, err
	}
	if c.Username == nil {
		return store.User{}, ErrParamsRequired.With("username is required")
	}
	if err := validateUserChange(c); err != nil {
		return store.User{}, err
	}
	site, err := s.GetSite(ctx, siteID)
	if err != nil {
		return store.User{}, err
	}
	u := store.User{
		SiteID:               siteID,
		AuthenticationMethod: store.AuthPassword,
		RestAPIPermission:    true,
		TimeZone:             DefaultTimeZone,
	}
	applyUserChange(&u, c)
	if !a.System && !site.NonSSOUsersAllowed && u.AuthenticationMethod != store.AuthSSO {
		return store.User{}, ErrNonSSOUsersNotAllowed
	}
	if c.Password != nil {
		if u.PasswordHash, err = s.newPasswordHash(ctx, site, *c.Password, c.PasswordConfirmation); err != nil {
			return store.User{}, err
		}
		u.PasswordSetAt = s.now()
	}
	err = s.st.Tx(ctx, func(ctx context.Context) error {
		if err := s.checkUserProvider(ctx, siteID, u); err != nil {
			return err
		}
		if err := s.checkUsernameFree(ctx, siteID, u.Username, 0); err != nil {
			return err
		}
		if err := s.st.CreateUser(ctx, &u); err != nil {
			return mapStoreErr(err, "create user", nil, duplicateUsername(u.Username))
		}
		if c.GroupIDs != nil {
			if err := s.replaceUserGroups(ctx, siteID, u.ID, *c.GroupIDs); err != nil {
				return err
			}
		}
		return s.recordSettingsChange(ctx, siteID, a, fmt.Sprintf("user %q (id %d) created", u.Username, u.ID), c, 0)
	})
	if err != nil {
		return store.User{}, err
	}
	s.log.Info("user created", "site_id", siteID, "user_id", u.ID, "username", u.Username, "by", a.Username)
	return u, nil
}

// UpdateUser changes a user. force=true overrides the lock-out guard (and
// the override is recorded). Setting a password or disabling the user ends
// their sessions, as an admin doing either would expect; an admin who sets
// their own password keeps the session they did it in (Actor.SessionID).
func (s *Service) UpdateUser(ctx context.Context, a Actor, siteID, id int64, c UserChange, force bool) (store.User, error) {
	if err := requireSiteAdmin(a); err != nil {
		return store.User{}, err
	}
	if err := validateUserChange(c); err != nil {
		return store.User{}, err
	}
	site, err := s.GetSite(ctx, siteID)
	if err != nil {
		return store.User{}, err
	}
	if c.AuthenticationMethod != nil && *c.AuthenticationMethod != store.AuthSSO && !a.System && !site.NonSSOUsersAllowed {
		return store.User{}, ErrNonSSOUsersNotAllowed
	}
	var hash string
	if c.Password != nil {
		if hash, err = s.newPasswordHash(ctx, site, *c.Password, c.PasswordConfirmation); err != nil {
			return store.User{}, err
		}
	}
	now := s.now()
	apply := func(u *store.User) {
		applyUserChange(u, c)
		if hash != "" {
			u.PasswordHash = hash
			u.PasswordSetAt = now
		}
	}
	var updated store.User
	write := func(ctx context.Context) error {
		before, err := s.st.GetUser(ctx, siteID, id)
		if err != nil {
			return mapStoreErr(err, "read user", ErrUserNotFound, nil)
		}
		after := before
		apply(&after)
		// Only a change of method or provider is checked, so an admin can
		// still edit the profile of a user whose provider link is odd.
		if c.AuthenticationMethod != nil || c.SSOStrategyID != nil {
			if err := s.checkUserProvider(ctx, siteID, after); err != nil {
				return err
			}
		}
		if err := s.checkLastPasswordAdmin(ctx, a, before, &after, force); err != nil {
			return err
		}
		if after.Username != before.Username {
			if err := s.checkUsernameFree(ctx, siteID, after.Username, id); err != nil {
				return err
			}
		}
		updated, err = s.st.UpdateUser(ctx, siteID, id, func(u *store.User) error {
			apply(u)
			return nil
		})
		if err != nil {
			return mapStoreErr(err, "update user", ErrUserNotFound, duplicateUsername(after.Username))
		}
		if c.GroupIDs != nil {
			if err := s.replaceUserGroups(ctx, siteID, id, *c.GroupIDs); err != nil {
				return err
			}
		}
		if hash != "" || (updated.Disabled && !before.Disabled) {
			keep := int64(0)
			if a.UserID == id && !updated.Disabled {
				keep = a.SessionID
			}
			if _, err := s.st.DeleteOtherUserSessions(ctx, siteID, id, keep); err != nil {
				return mapStoreErr(err, "end sessions", nil, nil)
			}
		}
		return s.recordSettingsChange(ctx, siteID, a, fmt.Sprintf("user %q (id %d) changed", updated.Username, id), c, 0)
	}
	if changeMayDemote(c) {
		err = s.guardedTx(ctx, siteID, write)
	} else {
		err = s.st.Tx(ctx, write)
	}
	if err != nil {
		return store.User{}, err
	}
	return updated, nil
}

// DeleteUser deletes a user with their memberships, sessions and keys.
// Deleting the last enabled password site admin needs force.
func (s *Service) DeleteUser(ctx context.Context, a Actor, siteID, id int64, force bool) error {
	if err := requireSiteAdmin(a); err != nil {
		return err
	}
	err := s.guardedTx(ctx, siteID, func(ctx context.Context) error {
		before, err := s.st.GetUser(ctx, siteID, id)
		if err != nil {
			return mapStoreErr(err, "read user", ErrUserNotFound, nil)
		}
		if err := s.checkLastPasswordAdmin(ctx, a, before, nil, force); err != nil {
			return err
		}
		if err := s.st.DeleteUser(ctx, siteID, id); err != nil {
			return mapStoreErr(err, "delete user", ErrUserNotFound, nil)
		}
		return s.recordSettingsChange(ctx, siteID, a, fmt.Sprintf("user %q (id %d) deleted", before.Username, id), nil, 0)
	})
	if err == nil {
		s.log.Info("user deleted", "site_id", siteID, "user_id", id, "by", a.Username)
	}
	return err
}

// UnlockUser ends a lockout and forgets the failed sign-ins counted so far.
func (s *Service) UnlockUser(ctx context.Context, a Actor, siteID, id int64) (store.User, error) {
	if err := requireSiteAdmin(a); err != nil {
		return store.User{}, err
	}
	u, err := s.st.UpdateUser(ctx, siteID, id, func(u *store.User) error {
		clearFailures(u)
		return nil
	})
	return u, mapStoreErr(err, "unlock user", ErrUserNotFound, nil)
}

// UserGroupIDs returns the ids of the groups a user belongs to, and those
// the user administers.
func (s *Service) UserGroupIDs(ctx context.Context, siteID, userID int64) (member, admin []int64, err error) {
	memberships, err := s.allGroupUsers(ctx, siteID, store.GroupUserQuery{UserID: userID})
	if err != nil {
		return nil, nil, err
	}
	member, admin = []int64{}, []int64{}
	for _, gu := range memberships {
		member = append(member, gu.GroupID)
		if gu.Admin {
			admin = append(admin, gu.GroupID)
		}
	}
	return member, admin, nil
}

func validateUserChange(c UserChange) error {
	var errs []error
	if c.Username != nil {
		errs = append(errs, checkUsername(*c.Username))
	}
	if c.Email != nil {
		errs = append(errs, checkEmail(*c.Email))
	}
	if c.AuthenticationMethod != nil {
		errs = append(errs, checkEnum("authentication_method", *c.AuthenticationMethod, authenticationMethods, false))
	}
	if c.SSOStrategyID != nil && *c.SSOStrategyID < 0 {
		errs = append(errs, ErrInvalidParams.With("sso_strategy_id must not be negative"))
	}
	if c.GroupIDs != nil && len(*c.GroupIDs) > maxIDList {
		errs = append(errs, ErrInvalidParams.With("group_ids may list at most %d groups", maxIDList))
	}
	errs = append(errs,
		checkOptionalText("name", c.Name, maxTextLen, false),
		checkOptionalText("company", c.Company, maxTextLen, false),
		checkOptionalText("time_zone", c.TimeZone, maxTimeZoneLen, false),
		checkOptionalText("notes", c.Notes, maxNotesLen, true),
	)
	return firstError(errs...)
}

// applyUserChange copies the fields a change carries onto u (the password
// is hashed separately, outside any transaction).
func applyUserChange(u *store.User, c UserChange) {
	set(&u.Username, c.Username)
	set(&u.Email, c.Email)
	set(&u.Name, c.Name)
	set(&u.Company, c.Company)
	set(&u.TimeZone, c.TimeZone)
	set(&u.Notes, c.Notes)
	set(&u.AuthenticationMethod, c.AuthenticationMethod)
	set(&u.SSOStrategyID, c.SSOStrategyID)
	set(&u.SiteAdmin, c.SiteAdmin)
	set(&u.Disabled, c.Disabled)
	set(&u.RequirePasswordChange, c.RequirePasswordChange)
	set(&u.FTPPermission, c.FTPPermission)
	set(&u.SFTPPermission, c.SFTPPermission)
	set(&u.DAVPermission, c.DAVPermission)
	set(&u.RestAPIPermission, c.RestAPIPermission)
	set(&u.NotifyOnAllSSOFailures, c.NotifyOnAllSSOFailures)
}

// checkUserProvider: an "sso" user needs a provider of the site, and any
// provider named must exist on the site.
func (s *Service) checkUserProvider(ctx context.Context, siteID int64, u store.User) error {
	if u.AuthenticationMethod == store.AuthSSO && u.SSOStrategyID == 0 {
		return ErrInvalidParams.With("authentication_method sso needs the sso_strategy_id of one of the site's SSO providers")
	}
	if u.SSOStrategyID == 0 {
		return nil
	}
	_, err := s.st.GetSSOStrategy(ctx, siteID, u.SSOStrategyID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrInvalidParams.With("sso_strategy_id %d is not an SSO provider of this site", u.SSOStrategyID)
	}
	return mapStoreErr(err, "read user's provider", nil, nil)
}

// newPasswordHash checks a password being set against the site's rules and
// hashes it.
func (s *Service) newPasswordHash(ctx context.Context, site store.Site, password string, confirmation *string) (string, error) {
	if err := checkNewPassword(site.PasswordMinLength, password, confirmation); err != nil {
		return "", err
	}
	return s.hasher.hash(ctx, password)
}

func duplicateUsername(username string) *Error {
	return ErrDuplicate.With("a user named %q already exists on this site (usernames are compared without regard to case)", username)
}

// checkUsernameFree refuses a username another user of the site has, or
// one that only looks different from theirs: full-width or other
// compatibility forms, letters of another script that look Latin,
// invisible characters (see package namekey). The store's unique key
// refuses them too, whichever way a user is written; this check is here
// to name the user it collides with. exceptID is the user being renamed.
func (s *Service) checkUsernameFree(ctx context.Context, siteID int64, name string, exceptID int64) error {
	found, err := s.st.ListUsers(ctx, siteID, store.UserQuery{LooksLike: name, ListOptions: store.ListOptions{Limit: 2}})
	if err != nil {
		return mapStoreErr(err, "look for look-alike usernames", nil, nil)
	}
	for _, u := range found {
		switch {
		case u.ID == exceptID:
		case strings.EqualFold(u.Username, name):
			return duplicateUsername(name)
		default:
			return ErrDuplicate.With("the username %q looks the same as that of the existing user %q (id %d) once letter case, "+
				"full-width and other compatibility forms, look-alike letters of other scripts and invisible characters are "+
				"set aside; choose a username that cannot be mistaken for theirs", name, u.Username, u.ID)
		}
	}
	return nil
}

// replaceUserGroups makes the user a member of exactly ids, keeping the
// admin flag of memberships that stay.
func (s *Service) replaceUserGroups(ctx context.Context, siteID, userID int64, ids IDList) error {
	want := map[int64]bool{}
	for _, id := range ids {
		if _, err := s.st.GetGroup(ctx, siteID, id); err != nil {
			return mapStoreErr(err, "read group", ErrInvalidParams.With("group_ids: no group has id %d", id), nil)
		}
		want[id] = true
	}
	current, err := s.allGroupUsers(ctx, siteID, store.GroupUserQuery{UserID: userID})
	if err != nil {
		return err
	}
	for _, gu := range current {
		if want[gu.GroupID] {
			delete(want, gu.GroupID)
			continue
		}
		if err := s.st.RemoveGroupUser(ctx, siteID, gu.GroupID, userID); err != nil {
			return mapStoreErr(err, "remove membership", nil, nil)
		}
	}
	for _, id := range ids {
		if !want[id] {
			continue
		}
		delete(want, id)
		if err := s.st.AddGroupUser(ctx, &store.GroupUser{SiteID: siteID, GroupID: id, UserID: userID}); err != nil {
			return mapStoreErr(err, "add membership", nil, nil)
		}
	}
	return nil
}

// maxIDList bounds the id lists a change may carry.
const maxIDList = 10000

// allGroupUsers reads every page of a membership query.
func (s *Service) allGroupUsers(ctx context.Context, siteID int64, q store.GroupUserQuery) ([]store.GroupUser, error) {
	const page = 1000
	q.Limit = page
	var all []store.GroupUser
	for {
		batch, err := s.st.ListGroupUsers(ctx, siteID, q)
		if err != nil {
			return nil, mapStoreErr(err, "list memberships", nil, nil)
		}
		all = append(all, batch...)
		if len(batch) < page {
			return all, nil
		}
		q.AfterID = batch[len(batch)-1].ID
	}
}

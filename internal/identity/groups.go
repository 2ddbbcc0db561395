package identity

import (
	"context"
	"maps"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// GetGroup returns a group of the site.
func (s *Service) GetGroup(ctx context.Context, siteID, id int64) (store.Group, error) {
	g, err := s.st.GetGroup(ctx, siteID, id)
	return g, mapStoreErr(err, "get group", ErrGroupNotFound, nil)
}

// ListGroups returns one page of the site's groups.
func (s *Service) ListGroups(ctx context.Context, siteID int64, q store.GroupQuery) ([]store.Group, error) {
	groups, err := s.st.ListGroups(ctx, siteID, q)
	return groups, mapStoreErr(err, "list groups", nil, nil)
}

// CountGroups counts the site's groups q selects, its paging aside (a
// list's total).
func (s *Service) CountGroups(ctx context.Context, siteID int64, q store.GroupQuery) (int, error) {
	n, err := s.st.CountGroups(ctx, siteID, q)
	return n, mapStoreErr(err, "count groups", nil, nil)
}

// CreateGroup creates a group, with its members and admins when given. On
// a site with non_sso_groups_allowed off only the system actor (the
// provisioning engine, the operator) may create groups.
func (s *Service) CreateGroup(ctx context.Context, a Actor, siteID int64, c GroupChange) (store.Group, error) {
	if err := requireSiteAdmin(a); err != nil {
		return store.Group{}, err
	}
	if c.Name == nil {
		return store.Group{}, ErrParamsRequired.With("name is required")
	}
	if err := validateGroupChange(c); err != nil {
		return store.Group{}, err
	}
	site, err := s.GetSite(ctx, siteID)
	if err != nil {
		return store.Group{}, err
	}
	if !a.System && !site.NonSSOGroupsAllowed {
		return store.Group{}, ErrNonSSOUsersNotAllowed.With(
			"this site only allows groups managed by its SSO provider (site setting non_sso_groups_allowed)")
	}
	g := store.Group{SiteID: siteID, CreatedAt: s.now()}
	applyGroupChange(&g, c)
	err = s.st.Tx(ctx, func(ctx context.Context) error {
		if err := s.st.CreateGroup(ctx, &g); err != nil {
			return mapStoreErr(err, "create group", nil, duplicateGroup(g.Name))
		}
		return s.replaceGroupMembers(ctx, siteID, g.ID, c)
	})
	if err != nil {
		return store.Group{}, err
	}
	return g, nil
}

// UpdateGroup changes a group. UserIDs and AdminIDs, when set, replace the
// group's members and admins.
func (s *Service) UpdateGroup(ctx context.Context, a Actor, siteID, id int64, c GroupChange) (store.Group, error) {
	if err := requireSiteAdmin(a); err != nil {
		return store.Group{}, err
	}
	if err := validateGroupChange(c); err != nil {
		return store.Group{}, err
	}
	var g store.Group
	err := s.st.Tx(ctx, func(ctx context.Context) error {
		var err error
		g, err = s.st.UpdateGroup(ctx, siteID, id, func(g *store.Group) error {
			applyGroupChange(g, c)
			return nil
		})
		if err != nil {
			name := ""
			if c.Name != nil {
				name = *c.Name
			}
			return mapStoreErr(err, "update group", ErrGroupNotFound, duplicateGroup(name))
		}
		return s.replaceGroupMembers(ctx, siteID, id, c)
	})
	if err != nil {
		return store.Group{}, err
	}
	return g, nil
}

// DeleteGroup deletes a group and its memberships.
func (s *Service) DeleteGroup(ctx context.Context, a Actor, siteID, id int64) error {
	if err := requireSiteAdmin(a); err != nil {
		return err
	}
	return mapStoreErr(s.st.DeleteGroup(ctx, siteID, id), "delete group", ErrGroupNotFound, nil)
}

// ListGroupUsers returns one page of memberships.
func (s *Service) ListGroupUsers(ctx context.Context, siteID int64, q store.GroupUserQuery) ([]store.GroupUser, error) {
	gus, err := s.st.ListGroupUsers(ctx, siteID, q)
	return gus, mapStoreErr(err, "list group users", nil, nil)
}

// AddGroupUser makes a user a member (or admin) of a group.
func (s *Service) AddGroupUser(ctx context.Context, a Actor, siteID, groupID, userID int64, admin bool) (store.GroupUser, error) {
	if err := requireSiteAdmin(a); err != nil {
		return store.GroupUser{}, err
	}
	var gu store.GroupUser
	err := s.st.Tx(ctx, func(ctx context.Context) error {
		if _, err := s.st.GetGroup(ctx, siteID, groupID); err != nil {
			return mapStoreErr(err, "read group", ErrGroupNotFound, nil)
		}
		if _, err := s.st.GetUser(ctx, siteID, userID); err != nil {
			return mapStoreErr(err, "read user", ErrUserNotFound, nil)
		}
		gu = store.GroupUser{SiteID: siteID, GroupID: groupID, UserID: userID, Admin: admin, CreatedAt: s.now()}
		if err := s.st.AddGroupUser(ctx, &gu); err != nil {
			return mapStoreErr(err, "add group user", nil, ErrDuplicate.With("the user is already a member of the group"))
		}
		var err error
		gu, err = s.st.GetGroupUser(ctx, siteID, groupID, userID)
		return mapStoreErr(err, "read group user", nil, nil)
	})
	if err != nil {
		return store.GroupUser{}, err
	}
	return gu, nil
}

// UpdateGroupUser sets whether a member administers the group.
func (s *Service) UpdateGroupUser(ctx context.Context, a Actor, siteID, groupID, userID int64, admin bool) (store.GroupUser, error) {
	if err := requireSiteAdmin(a); err != nil {
		return store.GroupUser{}, err
	}
	gu, err := s.st.UpdateGroupUser(ctx, siteID, groupID, userID, func(gu *store.GroupUser) error {
		gu.Admin = admin
		return nil
	})
	return gu, mapStoreErr(err, "update group user", groupUserNotFound, nil)
}

// RemoveGroupUser ends a membership.
func (s *Service) RemoveGroupUser(ctx context.Context, a Actor, siteID, groupID, userID int64) error {
	if err := requireSiteAdmin(a); err != nil {
		return err
	}
	return mapStoreErr(s.st.RemoveGroupUser(ctx, siteID, groupID, userID), "remove group user", groupUserNotFound, nil)
}

var groupUserNotFound = ErrNotFound.With("the user is not a member of that group")

func validateGroupChange(c GroupChange) error {
	if c.Name != nil && strings.TrimSpace(*c.Name) == "" {
		return ErrInvalidParams.With("name must not be empty")
	}
	for field, ids := range map[string]*IDList{"user_ids": c.UserIDs, "admin_ids": c.AdminIDs} {
		if ids != nil && len(*ids) > maxIDList {
			return ErrInvalidParams.With("%s may list at most %d users", field, maxIDList)
		}
	}
	return firstError(
		checkOptionalText("name", c.Name, maxTextLen, false),
		checkOptionalText("notes", c.Notes, maxNotesLen, true),
	)
}

func applyGroupChange(g *store.Group, c GroupChange) {
	set(&g.Name, c.Name)
	set(&g.Notes, c.Notes)
	set(&g.FTPPermission, c.FTPPermission)
	set(&g.SFTPPermission, c.SFTPPermission)
	set(&g.DAVPermission, c.DAVPermission)
	set(&g.RestAPIPermission, c.RestAPIPermission)
}

func duplicateGroup(name string) *Error {
	return ErrDuplicate.With("a group named %q already exists on this site (names are compared without regard to case)", name)
}

// replaceGroupMembers applies UserIDs and AdminIDs. Admins are members, so
// the members become UserIDs (or the current members when UserIDs is not
// set) plus every admin; AdminIDs, when set, decides exactly who among
// them is an admin, and when not set the existing admin flags stay.
func (s *Service) replaceGroupMembers(ctx context.Context, siteID, groupID int64, c GroupChange) error {
	if c.UserIDs == nil && c.AdminIDs == nil {
		return nil
	}
	current, err := s.allGroupUsers(ctx, siteID, store.GroupUserQuery{GroupID: groupID})
	if err != nil {
		return err
	}
	isAdmin := map[int64]bool{}
	members := map[int64]bool{}
	for _, gu := range current {
		members[gu.UserID] = true
		isAdmin[gu.UserID] = gu.Admin
	}
	wantMembers := maps.Clone(members)
	if c.UserIDs != nil {
		wantMembers = map[int64]bool{}
		for _, id := range *c.UserIDs {
			wantMembers[id] = true
		}
	}
	wantAdmin := isAdmin
	if c.AdminIDs != nil {
		wantAdmin = map[int64]bool{}
		for _, id := range *c.AdminIDs {
			wantAdmin[id] = true
			wantMembers[id] = true
		}
	}
	for id := range wantMembers {
		if members[id] {
			continue
		}
		if _, err := s.st.GetUser(ctx, siteID, id); err != nil {
			return mapStoreErr(err, "read user", ErrInvalidParams.With("no user has id %d", id), nil)
		}
	}
	for _, gu := range current {
		switch {
		case !wantMembers[gu.UserID]:
			err = s.st.RemoveGroupUser(ctx, siteID, groupID, gu.UserID)
		case wantAdmin[gu.UserID] != gu.Admin:
			admin := wantAdmin[gu.UserID]
			_, err = s.st.UpdateGroupUser(ctx, siteID, groupID, gu.UserID, func(gu *store.GroupUser) error {
				gu.Admin = admin
				return nil
			})
		}
		if err != nil {
			return mapStoreErr(err, "change membership", nil, nil)
		}
	}
	for id := range wantMembers {
		if members[id] {
			continue
		}
		gu := store.GroupUser{SiteID: siteID, GroupID: groupID, UserID: id, Admin: wantAdmin[id], CreatedAt: s.now()}
		if err := s.st.AddGroupUser(ctx, &gu); err != nil {
			return mapStoreErr(err, "add membership", nil, nil)
		}
	}
	return nil
}

// FindGroup finds a group of the site as an admin names it: by its id, or
// by its name (compared as group names are, case-insensitively).
func (s *Service) FindGroup(ctx context.Context, siteID int64, nameOrID string) (store.Group, error) {
	if id, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		if g, err := s.GetGroup(ctx, siteID, id); err == nil {
			return g, nil
		}
	}
	gs, err := s.ListGroups(ctx, siteID, store.GroupQuery{Name: nameOrID, ListOptions: store.ListOptions{Limit: 1}})
	if err != nil {
		return store.Group{}, err
	}
	if len(gs) == 0 {
		return store.Group{}, ErrGroupNotFound.With("no group is named %q or has that id: give a group's id, or its name as the console's Groups page or GET /api/rest/v1/groups shows it", nameOrID)
	}
	return gs[0], nil
}

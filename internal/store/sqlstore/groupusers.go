package sqlstore

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

const membershipExists = "the user is already a member of the group"

// AddGroupUser creates a membership between a group and a user of the same
// site and fills in their names.
func (s *Store) AddGroupUser(ctx context.Context, gu *store.GroupUser) error {
	g, err := s.GetGroup(ctx, gu.SiteID, gu.GroupID)
	if err != nil {
		return err
	}
	u, err := s.GetUser(ctx, gu.SiteID, gu.UserID)
	if err != nil {
		return err
	}
	_, err = changing(ctx, s, store.AccountChange{SiteID: gu.SiteID, UserID: gu.UserID}, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, insert(ctx, s, groupUsers, gu, membershipExists)
	})
	if err != nil {
		return err
	}
	gu.GroupName, gu.Username = g.Name, u.Username
	return nil
}

// GetGroupUser returns one membership.
func (s *Store) GetGroupUser(ctx context.Context, siteID, groupID, userID int64) (store.GroupUser, error) {
	return get(ctx, s, groupUsers, "gu.site_id = ? AND gu.group_id = ? AND gu.user_id = ?", siteID, groupID, userID)
}

// UpdateGroupUser changes a membership through fn; which group and which
// user it joins cannot change.
func (s *Store) UpdateGroupUser(ctx context.Context, siteID, groupID, userID int64, fn func(*store.GroupUser) error) (store.GroupUser, error) {
	keep := func(old, cur *store.GroupUser) {
		cur.GroupID, cur.UserID = old.GroupID, old.UserID
		cur.GroupName, cur.Username = old.GroupName, old.Username
	}
	return changing(ctx, s, store.AccountChange{SiteID: siteID, UserID: userID}, func(ctx context.Context) (store.GroupUser, error) {
		return update(ctx, s, groupUsers, nil, fn, keep,
			"gu.site_id = ? AND gu.group_id = ? AND gu.user_id = ?", siteID, groupID, userID)
	})
}

// RemoveGroupUser deletes one membership.
func (s *Store) RemoveGroupUser(ctx context.Context, siteID, groupID, userID int64) error {
	_, err := changing(ctx, s, store.AccountChange{SiteID: siteID, UserID: userID}, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, deleteOne(ctx, s, "group_users", "group membership", "site_id = ? AND group_id = ? AND user_id = ?",
			siteID, groupID, userID)
	})
	return err
}

// ListGroupUsers returns one page of the site's memberships, of a group, of
// a user, or both.
func (s *Store) ListGroupUsers(ctx context.Context, siteID int64, q store.GroupUserQuery) ([]store.GroupUser, error) {
	f := &filter{}
	f.add("gu.site_id = ?", siteID)
	if q.GroupID != 0 {
		f.add("gu.group_id = ?", q.GroupID)
	}
	if q.UserID != 0 {
		f.add("gu.user_id = ?", q.UserID)
	}
	return list(ctx, s, groupUsers, f.where(), f.args, q.ListOptions)
}

// checkUser makes sure a record about to be created refers to a user of
// its own site.
func (s *Store) checkUser(ctx context.Context, siteID, userID int64, what string) error {
	var id int64
	err := s.queryRow(ctx, false, "SELECT id FROM users WHERE id = ? AND site_id = ?", userID, siteID).Scan(&id)
	if err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err, "user", ""))
	}
	return nil
}

package sqlstore

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

func groupNameTaken(name string) string {
	return fmt.Sprintf("group name %q is already taken on this site", name)
}

// CreateGroup stores a new group and sets its id and times.
func (s *Store) CreateGroup(ctx context.Context, g *store.Group) error {
	return insert(ctx, s, groups, g, groupNameTaken(g.Name))
}

// GetGroup returns a group of the site.
func (s *Store) GetGroup(ctx context.Context, siteID, id int64) (store.Group, error) {
	return get(ctx, s, groups, "g.id = ? AND g.site_id = ?", id, siteID)
}

// ListGroups returns one page of the site's groups matching q.
func (s *Store) ListGroups(ctx context.Context, siteID int64, q store.GroupQuery) ([]store.Group, error) {
	f, err := s.groupFilter(siteID, q)
	if err != nil {
		return nil, err
	}
	return list(ctx, s, groups, f.where(), f.args, q.ListOptions)
}

// CountGroups counts every group of the site matching q's filters; the
// page fields of q are ignored.
func (s *Store) CountGroups(ctx context.Context, siteID int64, q store.GroupQuery) (int, error) {
	f, err := s.groupFilter(siteID, q)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.queryRow(ctx, false, "SELECT count(*) FROM groups g WHERE "+f.where(), f.args...).Scan(&n); err != nil {
		return 0, s.mapErr(err, "group", "")
	}
	return n, nil
}

// groupFilter turns a GroupQuery into WHERE conditions.
func (s *Store) groupFilter(siteID int64, q store.GroupQuery) (*filter, error) {
	f := &filter{}
	f.add("g.site_id = ?", siteID)
	if q.Name != "" {
		f.add("g.name_key = ?", Key(q.Name))
	}
	if q.SSOStrategyID != 0 {
		f.add("g.sso_strategy_id = ?", q.SSOStrategyID)
	}
	if q.SCIMVisible {
		f.add("g.scim_deleted = ?", false)
	}
	if q.ExternalID != "" {
		f.add("g.external_id = ?", q.ExternalID)
	}
	if q.Filter != nil {
		if err := s.addFilter(f, q.Filter, store.GroupFields(), groupColumns); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// UpdateGroup changes a group through fn in one transaction.
func (s *Store) UpdateGroup(ctx context.Context, siteID, id int64, fn func(*store.Group) error) (store.Group, error) {
	conflict := func(g *store.Group) string { return groupNameTaken(g.Name) }
	// A group's permissions and name reach every member: the change
	// names the site, as groups change seldom.
	return changing(ctx, s, store.AccountChange{SiteID: siteID}, func(ctx context.Context) (store.Group, error) {
		return update(ctx, s, groups, conflict, fn, nil, "g.id = ? AND g.site_id = ?", id, siteID)
	})
}

// DeleteGroup removes a group and its memberships in one transaction.
func (s *Store) DeleteGroup(ctx context.Context, siteID, id int64) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		if _, err := deleteWhere(ctx, s, "group_users", "group membership", "group_id = ? AND site_id = ?", id, siteID); err != nil {
			return err
		}
		if err := deleteOne(ctx, s, "groups", "group", "id = ? AND site_id = ?", id, siteID); err != nil {
			return err
		}
		return s.siteChanged(ctx, siteID)
	})
}

// GroupsOfUser returns every group the user is a member of, by id.
func (s *Store) GroupsOfUser(ctx context.Context, siteID, userID int64) ([]store.Group, error) {
	return all(ctx, s, groups, "g.site_id = ? AND g.id IN (SELECT group_id FROM group_users WHERE user_id = ? AND site_id = ?)",
		siteID, userID, siteID)
}

// UserGroups returns the user's groups, each with whether the user
// administers it, in one read ordered by group id.
func (s *Store) UserGroups(ctx context.Context, siteID, userID int64) ([]store.UserGroup, error) {
	return all(ctx, s, userGroups, "gu.site_id = ? AND gu.user_id = ? AND g.site_id = ?", siteID, userID, siteID)
}

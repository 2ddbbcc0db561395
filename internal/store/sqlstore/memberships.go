package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// membershipChunk is the most memberships one INSERT carries. Smaller
// remainders are split into powers of two, so that at most a handful of
// distinct statements are ever prepared.
const membershipChunk = 256

// ListMemberships returns the memberships of users with ids in the query's
// range, without names, ordered by user id and group id.
func (s *Store) ListMemberships(ctx context.Context, siteID int64, q store.MembershipQuery) ([]store.Membership, error) {
	sel := "SELECT gu.id, gu.group_id, gu.user_id, gu.admin, gu.sso_strategy_id FROM group_users gu WHERE gu.site_id = ?" +
		" AND gu.user_id BETWEEN ? AND ?"
	args := []any{siteID, q.UserIDFrom, q.UserIDTo}
	if q.SSOStrategyID != 0 {
		sel += " AND gu.user_id IN (SELECT id FROM users WHERE site_id = ? AND sso_strategy_id = ? AND id BETWEEN ? AND ?)"
		args = append(args, siteID, q.SSOStrategyID, q.UserIDFrom, q.UserIDTo)
	}
	rows, err := s.query(ctx, sel+" ORDER BY gu.user_id, gu.group_id", args...)
	if err != nil {
		return nil, s.mapErr(err, "group membership", "")
	}
	defer rows.Close()
	out := []store.Membership{}
	for rows.Next() {
		var m store.Membership
		if err := rows.Scan(&m.ID, &m.GroupID, &m.UserID, &m.Admin, &m.SSOStrategyID); err != nil {
			return nil, s.mapErr(err, "group membership", "")
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.mapErr(err, "group membership", "")
	}
	return out, nil
}

// AddMemberships inserts memberships many rows per statement, in one
// transaction, skipping those that exist.
func (s *Store) AddMemberships(ctx context.Context, siteID int64, ms []store.Membership, createdAt time.Time) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	if createdAt.IsZero() {
		createdAt = time.Now()
	}
	created := s.timeArg(createdAt)
	added := 0
	err := s.Tx(ctx, func(ctx context.Context) error {
		for rest := ms; len(rest) > 0; {
			n := chunkSize(len(rest))
			chunk := rest[:n]
			rest = rest[n:]
			if err := s.checkSameSite(ctx, siteID, chunk); err != nil {
				return err
			}
			args := make([]any, 0, 6*n)
			for _, m := range chunk {
				args = append(args, siteID, m.GroupID, m.UserID, m.Admin, m.SSOStrategyID, created)
			}
			res, err := s.exec(ctx, insertMembershipsSQL(n), args...)
			if err != nil {
				return s.mapErr(err, "group membership", membershipExists)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("store: add memberships: %w", err)
			}
			added += int(k)
		}
		return s.membershipsChanged(ctx, siteID, ms)
	})
	if err != nil {
		return 0, err
	}
	s.grew(ctx, "group_users", added)
	return added, nil
}

// RemoveMemberships deletes memberships by group and user, in one
// transaction.
func (s *Store) RemoveMemberships(ctx context.Context, siteID int64, ms []store.Membership) (int, error) {
	removed := 0
	err := s.Tx(ctx, func(ctx context.Context) error {
		for _, m := range ms {
			n, err := deleteWhere(ctx, s, "group_users", "group membership",
				"site_id = ? AND group_id = ? AND user_id = ?", siteID, m.GroupID, m.UserID)
			if err != nil {
				return err
			}
			removed += n
		}
		return s.membershipsChanged(ctx, siteID, ms)
	})
	if err != nil {
		return 0, err
	}
	return removed, nil
}

// maxUsersChanged is how many users a bulk membership change names one
// by one; beyond it the change names the whole site, one notice instead
// of thousands.
const maxUsersChanged = 64

// membershipsChanged records the change of a bulk membership write.
func (s *Store) membershipsChanged(ctx context.Context, siteID int64, ms []store.Membership) error {
	users := map[int64]bool{}
	for _, m := range ms {
		users[m.UserID] = true
	}
	if len(users) > maxUsersChanged {
		return s.siteChanged(ctx, siteID)
	}
	for id := range users {
		if err := s.userChanged(ctx, siteID, id); err != nil {
			return err
		}
	}
	return nil
}

// chunkSize is how many of n remaining rows the next statement carries.
func chunkSize(n int) int {
	if n >= membershipChunk {
		return membershipChunk
	}
	p := 1
	for p*2 <= n {
		p *= 2
	}
	return p
}

func insertMembershipsSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO group_users (site_id, group_id, user_id, admin, sso_strategy_id, created_at) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?)")
	}
	b.WriteString(" ON CONFLICT (group_id, user_id) DO NOTHING")
	return b.String()
}

// checkSameSite makes sure every group and user of ms exists on the site,
// so a bulk insert cannot join records of two sites.
func (s *Store) checkSameSite(ctx context.Context, siteID int64, ms []store.Membership) error {
	var groupIDs, userIDs []int64
	for _, m := range ms {
		groupIDs = append(groupIDs, m.GroupID)
		userIDs = append(userIDs, m.UserID)
	}
	for _, c := range []struct {
		table, what string
		ids         []int64
	}{{"groups", "group", groupIDs}, {"users", "user", userIDs}} {
		slices.Sort(c.ids)
		ids := slices.Compact(c.ids)
		// Pad the list to a power of two by repeating an id (IN ignores
		// repeats), so the statement texts stay few.
		width := 1
		for width < len(ids) {
			width *= 2
		}
		args := make([]any, 0, width+1)
		args = append(args, siteID)
		for i := range width {
			args = append(args, ids[min(i, len(ids)-1)])
		}
		var n int
		q := "SELECT count(*) FROM " + c.table + " WHERE site_id = ? AND id IN (" + placeholders(width) + ")"
		if err := s.queryRow(ctx, false, q, args...).Scan(&n); err != nil {
			return s.mapErr(err, c.what, "")
		}
		if n != len(ids) {
			return fmt.Errorf("%w: membership refers to a %s that is not on this site", store.ErrNotFound, c.what)
		}
	}
	return nil
}

// placeholders is n question marks separated by commas.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

package sqlstore

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/namekey"
	"github.com/gatehouse/gatehouse/internal/store"
)

func usernameTaken(username string) string {
	return fmt.Sprintf("username %q is already taken on this site", username)
}

// CreateUser stores a new user and sets its id and times.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	return insert(ctx, s, users, u, usernameTaken(u.Username))
}

// GetUser returns a user of the site.
func (s *Store) GetUser(ctx context.Context, siteID, id int64) (store.User, error) {
	return get(ctx, s, users, "u.id = ? AND u.site_id = ?", id, siteID)
}

// GetUserByUsername finds a user of the site by username, ignoring case.
func (s *Store) GetUserByUsername(ctx context.Context, siteID int64, username string) (store.User, error) {
	return get(ctx, s, users, "u.site_id = ? AND u.username_key = ?", siteID, Key(username))
}

// userFilter turns a UserQuery into WHERE conditions. search says how a
// search is written (searchScan unless the caller probed it).
func (s *Store) userFilter(siteID int64, q store.UserQuery, search searchPlan) (*filter, error) {
	f := &filter{}
	lo, hi, ranged := prefixRange(Key(q.Search))
	if search == searchFew && ranged {
		// "+" keeps the site's indexes from driving the query, so the
		// few ids the search found do.
		f.add("+u.site_id = ?", siteID)
	} else {
		f.add("u.site_id = ?", siteID)
	}
	if q.Username != "" {
		f.add("u.username_key = ?", Key(q.Username))
	}
	if q.LooksLike != "" {
		// The second condition implies the predicate of the partial
		// unique index on (site_id, username_skeleton), which PostgreSQL
		// can then use in a generic plan too, whatever the parameter; a
		// row with no skeleton yet looks like nothing.
		f.add("u.username_skeleton = ? AND u.username_skeleton <> ''", namekey.Skeleton(q.LooksLike))
	}
	if q.Email != "" {
		f.add("u.email_key = ?", Key(q.Email))
	}
	if q.SSOStrategyID != 0 {
		f.add("u.sso_strategy_id = ?", q.SSOStrategyID)
	}
	if q.ExternalID != "" {
		f.add("u.external_id = ?", q.ExternalID)
	}
	if q.SCIMVisible {
		f.add("u.scim_deleted = ?", false)
	}
	if q.Search != "" {
		switch {
		case !ranged:
			p := likePrefix(Key(q.Search))
			f.add(`(u.username_key LIKE ? ESCAPE '\' OR u.email_key LIKE ? ESCAPE '\' OR u.name_key LIKE ? ESCAPE '\')`, p, p, p)
		case search == searchFew:
			f.add("u.id IN ("+searchIDs+")", siteID, lo, hi, siteID, lo, hi, siteID, lo, hi)
		default:
			f.add(`((u.username_key >= ? AND u.username_key < ?) OR (u.email_key >= ? AND u.email_key < ?)`+
				` OR (u.name_key >= ? AND u.name_key < ?))`, lo, hi, lo, hi, lo, hi)
		}
	}
	if q.Filter != nil {
		if err := s.addFilter(f, q.Filter, store.UserFields(), userColumns); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// A search is for the start of a username, e-mail or name: a range of
// each key column, which its index reads directly (a LIKE reads every
// user on both engines). The key columns compare bytewise on both
// engines, SQLite's BINARY and PostgreSQL's "C" collation (migration
// 00026), so the range is exactly the prefix.
//
// How the page is best read depends on how many users match, which
// SQLite, keeping no statistics, cannot tell: a few are best found by
// their ids and sorted (reading the list's order would read every user
// to find them), many by reading the list's order and keeping those that
// match (sorting them all would be slow, and a page is found early). A
// probe of at most searchFewMax index entries tells which.
type searchPlan int

const (
	searchScan searchPlan = iota // the list's order, keeping the matches
	searchFew                    // the matches' ids, then sorted
)

// searchFewMax is the most matches sorted whole; above it a match is
// at least that common, so the list's order reaches a page of them soon.
const searchFewMax = 2000

// searchIDs lists the ids whose username, e-mail or name key lies in
// [lo, hi): the arguments are the site, lo and hi, three times.
const searchIDs = `SELECT id FROM users WHERE site_id = ? AND username_key >= ? AND username_key < ?` +
	` UNION ALL SELECT id FROM users WHERE site_id = ? AND email_key >= ? AND email_key < ?` +
	` UNION ALL SELECT id FROM users WHERE site_id = ? AND name_key >= ? AND name_key < ?`

// planSearch probes how many users a search matches, up to
// searchFewMax, reading only index entries.
func (s *Store) planSearch(ctx context.Context, siteID int64, search string) (searchPlan, error) {
	lo, hi, ok := prefixRange(Key(search))
	if search == "" || !ok {
		return searchScan, nil
	}
	var n int
	err := s.queryRow(ctx, false, "SELECT count(*) FROM ("+searchIDs+" LIMIT ?) AS m",
		siteID, lo, hi, siteID, lo, hi, siteID, lo, hi, searchFewMax+1).Scan(&n)
	if err != nil {
		return searchScan, s.mapErr(err, "user", "")
	}
	if n > searchFewMax {
		return searchScan, nil
	}
	return searchFew, nil
}

// ListUsers returns one page of the site's users matching q.
func (s *Store) ListUsers(ctx context.Context, siteID int64, q store.UserQuery) ([]store.User, error) {
	plan, err := s.planSearch(ctx, siteID, q.Search)
	if err != nil {
		return nil, err
	}
	f, err := s.userFilter(siteID, q, plan)
	if err != nil {
		return nil, err
	}
	return list(ctx, s, users, f.where(), f.args, q.ListOptions)
}

// CountUsers counts every user of the site matching q's filters; the
// page fields of q are ignored.
func (s *Store) CountUsers(ctx context.Context, siteID int64, q store.UserQuery) (int, error) {
	// A count reads every match whichever way; by their ids it reads
	// only them.
	f, err := s.userFilter(siteID, q, searchFew)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.queryRow(ctx, false, "SELECT count(*) FROM users u WHERE "+f.where(), f.args...).Scan(&n); err != nil {
		return 0, s.mapErr(err, "user", "")
	}
	return n, nil
}

// UpdateUser changes a user through fn in one transaction.
func (s *Store) UpdateUser(ctx context.Context, siteID, id int64, fn func(*store.User) error) (store.User, error) {
	conflict := func(u *store.User) string { return usernameTaken(u.Username) }
	return changing(ctx, s, store.AccountChange{SiteID: siteID, UserID: id}, func(ctx context.Context) (store.User, error) {
		return update(ctx, s, users, conflict, fn, nil, "u.id = ? AND u.site_id = ?", id, siteID)
	})
}

// DeleteUser removes a user with their memberships, sessions, API keys and
// public keys, in one transaction.
func (s *Store) DeleteUser(ctx context.Context, siteID, id int64) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		for _, dep := range []struct{ table, what string }{
			{"group_users", "group membership"},
			{"sessions", "session"},
			{"api_keys", "API key"},
			{"public_keys", "public key"},
		} {
			if _, err := deleteWhere(ctx, s, dep.table, dep.what, "user_id = ? AND site_id = ?", id, siteID); err != nil {
				return err
			}
		}
		if err := deleteOne(ctx, s, "users", "user", "id = ? AND site_id = ?", id, siteID); err != nil {
			return err
		}
		return s.userChanged(ctx, siteID, id)
	})
}

// CountEnabledPasswordAdmins counts the site's enabled site admins who
// sign in with a password.
func (s *Store) CountEnabledPasswordAdmins(ctx context.Context, siteID int64) (int, error) {
	var n int
	err := s.queryRow(ctx, false, "SELECT count(*) FROM users WHERE site_id = ? AND site_admin = TRUE"+
		" AND disabled = FALSE AND authentication_method = ?", siteID, store.AuthPassword).Scan(&n)
	if err != nil {
		return 0, s.mapErr(err, "user", "")
	}
	return n, nil
}

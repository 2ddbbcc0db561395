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

// userFilter turns a UserQuery into WHERE conditions.
func (s *Store) userFilter(siteID int64, q store.UserQuery) (*filter, error) {
	f := &filter{}
	f.add("u.site_id = ?", siteID)
	if q.Username != "" {
		f.add("u.username_key = ?", Key(q.Username))
	}
	if q.LooksLike != "" {
		f.add("u.username_skeleton = ?", namekey.Skeleton(q.LooksLike))
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
	if q.Search != "" {
		p := likePrefix(Key(q.Search))
		f.add(`(u.username_key LIKE ? ESCAPE '\' OR u.email_key LIKE ? ESCAPE '\' OR u.name_key LIKE ? ESCAPE '\')`, p, p, p)
	}
	if q.Filter != nil {
		if err := s.addFilter(f, q.Filter, store.UserFields(), userColumns); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// ListUsers returns one page of the site's users matching q.
func (s *Store) ListUsers(ctx context.Context, siteID int64, q store.UserQuery) ([]store.User, error) {
	f, err := s.userFilter(siteID, q)
	if err != nil {
		return nil, err
	}
	return list(ctx, s, users, f.where(), f.args, q.ListOptions)
}

// CountUsers counts every user of the site matching q's filters; the
// page fields of q are ignored.
func (s *Store) CountUsers(ctx context.Context, siteID int64, q store.UserQuery) (int, error) {
	f, err := s.userFilter(siteID, q)
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
	return update(ctx, s, users, conflict, fn, nil, "u.id = ? AND u.site_id = ?", id, siteID)
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
		return deleteOne(ctx, s, "users", "user", "id = ? AND site_id = ?", id, siteID)
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

package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// CreateSession stores a new session of a user of the site. A session must
// expire: one without ExpiresAt is refused rather than kept forever.
func (s *Store) CreateSession(ctx context.Context, se *store.Session) error {
	if len(se.TokenHash) == 0 {
		return fmt.Errorf("store: session without a token hash")
	}
	if se.ExpiresAt.IsZero() {
		return fmt.Errorf("store: session without an expiry time")
	}
	if err := s.checkUser(ctx, se.SiteID, se.UserID, "session"); err != nil {
		return err
	}
	return insert(ctx, s, sessions, se, "a session with this token hash exists")
}

// GetSessionByHash finds an unexpired session of any site by the hash of
// its token. A session whose ExpiresAt is not after now has expired.
func (s *Store) GetSessionByHash(ctx context.Context, tokenHash []byte, now time.Time) (store.Session, error) {
	if len(tokenHash) == 0 {
		return store.Session{}, fmt.Errorf("%w: session", store.ErrNotFound)
	}
	return get(ctx, s, sessions, "se.token_hash = ? AND se.expires_at > ?", tokenHash, s.timeArg(now))
}

// DeleteSession ends one session of the site.
func (s *Store) DeleteSession(ctx context.Context, siteID, id int64) error {
	return s.deleteOwned(ctx, "sessions", "session", siteID, id)
}

// DeleteUserSessions ends every session of a user and says how many.
func (s *Store) DeleteUserSessions(ctx context.Context, siteID, userID int64) (int, error) {
	return changing(ctx, s, store.AccountChange{SiteID: siteID, UserID: userID}, func(ctx context.Context) (int, error) {
		return deleteWhere(ctx, s, "sessions", "session", "user_id = ? AND site_id = ?", userID, siteID)
	})
}

// DeleteOtherUserSessions ends every session of a user but keepID's.
func (s *Store) DeleteOtherUserSessions(ctx context.Context, siteID, userID, keepID int64) (int, error) {
	return changing(ctx, s, store.AccountChange{SiteID: siteID, UserID: userID}, func(ctx context.Context) (int, error) {
		return deleteWhere(ctx, s, "sessions", "session", "user_id = ? AND site_id = ? AND id <> ?", userID, siteID, keepID)
	})
}

// DeleteSSOSessions ends the sessions of a user with this SSO session
// index; an empty index is refused so that it never matches the user's
// password sessions.
func (s *Store) DeleteSSOSessions(ctx context.Context, siteID, userID int64, ssoSessionIndex string) (int, error) {
	if ssoSessionIndex == "" {
		return 0, nil
	}
	return changing(ctx, s, store.AccountChange{SiteID: siteID, UserID: userID}, func(ctx context.Context) (int, error) {
		return deleteWhere(ctx, s, "sessions", "session", "user_id = ? AND site_id = ? AND sso_session_index = ?",
			userID, siteID, ssoSessionIndex)
	})
}

// DeleteExpiredSessions removes the sessions of every site that have
// expired at now, the same rule GetSessionByHash applies. It tells the
// account feed nothing: a session that expired stopped standing at its
// expiry, which the identity core keeps track of itself.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	return deleteWhere(ctx, s, "sessions", "session", "expires_at <= ?", s.timeArg(now))
}

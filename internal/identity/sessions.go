package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// SessionTokenPrefix starts every session token.
const SessionTokenPrefix = "ghs_"

// maxSessionTokenLen bounds what we hash when a client sends a token.
const maxSessionTokenLen = 512

// maxUserAgentLen bounds the user agent stored with a session.
const maxUserAgentLen = 512

// StartSession creates a server-side session and returns its token (shown
// to the client once, stored only as a hash). It lasts the site's
// session_expiry_minutes.
func (s *Service) StartSession(ctx context.Context, u store.User, ch Channel, ip, userAgent string) (string, store.Session, error) {
	return s.StartSSOSession(ctx, u, ch, ip, userAgent, SSOSessionInfo{})
}

// SSOSessionInfo is what an identity provider said about the session it
// started: the SAML SessionIndex (kept for single logout) and its cap on
// the session's lifetime (zero: none).
type SSOSessionInfo struct {
	SessionIndex string
	NotOnOrAfter time.Time
}

// StartSSOSession is StartSession for a single sign-on: the session also
// keeps the IdP's session index and ends no later than the IdP asked.
func (s *Service) StartSSOSession(ctx context.Context, u store.User, ch Channel, ip, userAgent string, info SSOSessionInfo) (string, store.Session, error) {
	site, err := s.GetSite(ctx, u.SiteID)
	if err != nil {
		return "", store.Session{}, err
	}
	now := s.now()
	token := secret.NewToken(SessionTokenPrefix)
	sess := store.Session{
		SiteID:    u.SiteID,
		UserID:    u.ID,
		TokenHash: secret.HashToken(token),
		Channel:   string(ch),
		IP:        truncate(ip, 64),
		UserAgent: truncate(userAgent, maxUserAgentLen),
		ExpiresAt: now.Add(time.Duration(site.SessionExpiryMinutes) * time.Minute),
		CreatedAt: now,

		SSOSessionIndex: truncate(info.SessionIndex, 256),
	}
	if !info.NotOnOrAfter.IsZero() && info.NotOnOrAfter.Before(sess.ExpiresAt) {
		if !info.NotOnOrAfter.After(now) {
			return "", store.Session{}, ErrInvalidSession.With("the identity provider's session has already ended")
		}
		sess.ExpiresAt = info.NotOnOrAfter
	}
	if err := s.st.CreateSession(ctx, &sess); err != nil {
		return "", store.Session{}, mapStoreErr(err, "create session", nil, nil)
	}
	return token, sess, nil
}

// ResumeSession returns the user of a session token on a site;
// ErrInvalidSession for unknown, expired, other-site or disabled users.
// Every use asks the login policy again, for the session's channel, so a
// session ends with what it stands for: a revoked restapi_permission (on
// the user or their groups), or a disabled SSO provider it came through,
// refuses it at its next request with the policy's answer.
// A password lockout does not end sessions: it means someone may be
// guessing the password, which says nothing about who holds a session
// started before, and ending them would let a guesser sign anyone out.
func (s *Service) ResumeSession(ctx context.Context, siteID int64, token string) (store.User, store.Session, error) {
	if token == "" || len(token) > maxSessionTokenLen {
		return store.User{}, store.Session{}, ErrInvalidSession
	}
	now := s.now()
	sess, err := s.st.GetSessionByHash(ctx, secret.HashToken(token), now)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, store.Session{}, ErrInvalidSession
	}
	if err != nil {
		return store.User{}, store.Session{}, mapStoreErr(err, "find session", nil, nil)
	}
	if sess.SiteID != siteID || !now.Before(sess.ExpiresAt) {
		return store.User{}, store.Session{}, ErrInvalidSession
	}
	u, err := s.st.GetUser(ctx, siteID, sess.UserID)
	if err != nil {
		return store.User{}, store.Session{}, mapStoreErr(err, "read session's user", ErrInvalidSession, nil)
	}
	if u.Disabled {
		return store.User{}, store.Session{}, ErrInvalidSession
	}
	if _, _, verdict := s.admit(ctx, u, Channel(sess.Channel), CredentialSession, sess.IP); verdict != nil {
		return store.User{}, store.Session{}, verdict
	}
	return u, sess, nil
}

// EndSession ends the session of a token. Unknown tokens are not an error.
func (s *Service) EndSession(ctx context.Context, siteID int64, token string) error {
	if token == "" || len(token) > maxSessionTokenLen {
		return nil
	}
	sess, err := s.st.GetSessionByHash(ctx, secret.HashToken(token), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return mapStoreErr(err, "find session", nil, nil)
	}
	if sess.SiteID != siteID {
		return nil
	}
	err = s.st.DeleteSession(ctx, siteID, sess.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return mapStoreErr(err, "end session", nil, nil)
}

// EndSSOSessions ends the sessions of a user that an identity provider
// asks to end in a single logout: those it started with one of these
// session indexes, or, when the request names none, every session of the
// user. It says how many ended.
func (s *Service) EndSSOSessions(ctx context.Context, siteID, userID int64, sessionIndexes []string) (int, error) {
	if len(sessionIndexes) == 0 {
		n, err := s.st.DeleteUserSessions(ctx, siteID, userID)
		return n, mapStoreErr(err, "end sessions", nil, nil)
	}
	total := 0
	for _, idx := range sessionIndexes {
		if idx == "" || len(idx) > 256 {
			continue
		}
		n, err := s.st.DeleteSSOSessions(ctx, siteID, userID, idx)
		if err != nil {
			return total, mapStoreErr(err, "end sessions", nil, nil)
		}
		total += n
	}
	return total, nil
}

// HasOwnPassword reports whether the user signs in with a password kept by
// Gatehouse, the only kind a user can change here.
func HasOwnPassword(u store.User) bool {
	return u.AuthenticationMethod == store.AuthPassword || u.AuthenticationMethod == store.AuthEmailSignup
}

// PasswordKeeper names where the password of a user without one of
// Gatehouse's lives (their provider's label, e.g. "Contoso Entra ID"), for
// a page that tells them to change it there; "" for a user with their own.
func (s *Service) PasswordKeeper(ctx context.Context, siteID int64, u store.User) string {
	if HasOwnPassword(u) {
		return ""
	}
	if u.SSOStrategyID != 0 {
		if p, err := s.GetSSOStrategy(ctx, siteID, u.SSOStrategyID); err == nil && p.Label != "" {
			return p.Label
		}
	}
	return "your organisation's sign-in provider"
}

// ChangePassword changes a user's own password, checking the current one,
// and clears RequirePasswordChange. The new password must meet the site's
// minimum and differ from the current one. A wrong current password counts
// towards lockout like any failed sign-in, or this would be a way to guess
// passwords around it.
//
// Every other session of the user ends with the old password: a person
// who changes their password because it leaked expects whoever used it to
// be signed out. keepSessionID is the session the change was made in (0:
// none), which stays. The user's PasswordSetAt becomes now, which is how
// signed-in transfer connections (Readmit) learn of the change.
func (s *Service) ChangePassword(ctx context.Context, siteID, userID int64, current, next string, keepSessionID int64) error {
	site, err := s.GetSite(ctx, siteID)
	if err != nil {
		return err
	}
	u, err := s.GetUser(ctx, siteID, userID)
	if err != nil {
		return err
	}
	if u.Disabled {
		return ErrUserDisabled
	}
	if u.LockoutExpires.After(s.now()) {
		return ErrLockedOut
	}
	if !HasOwnPassword(u) {
		return ErrNotAuthorized.With("this user does not sign in with a Gatehouse password, so there is none to change here")
	}
	if len(current) > maxPasswordBytes {
		return ErrInvalidUsernameOrPassword.With("the current password is wrong")
	}
	ok, err := s.hasher.verify(ctx, u.PasswordHash, current)
	if err != nil && !errors.Is(err, errMalformedHash) {
		return err
	}
	if !ok {
		s.countFailedLogin(ctx, site, u.ID, nil)
		return ErrInvalidUsernameOrPassword.With("the current password is wrong")
	}
	if next == current {
		return ErrInvalidParams.With("the new password must differ from the current one")
	}
	hash, err := s.newPasswordHash(ctx, site, next, nil)
	if err != nil {
		return err
	}
	now := s.now()
	return s.st.Tx(ctx, func(ctx context.Context) error {
		_, err := s.st.UpdateUser(ctx, siteID, userID, func(u *store.User) error {
			u.PasswordHash = hash
			u.PasswordSetAt = now
			u.RequirePasswordChange = false
			clearFailures(u)
			return nil
		})
		if err != nil {
			return mapStoreErr(err, "change password", ErrUserNotFound, nil)
		}
		n, err := s.st.DeleteOtherUserSessions(ctx, siteID, userID, keepSessionID)
		if err != nil {
			return mapStoreErr(err, "end the other sessions", nil, nil)
		}
		s.log.Info("password changed", "site_id", siteID, "user_id", userID, "other_sessions_ended", n)
		body := fmt.Sprintf("%q (user id %d) changed their own password; %d other session(s) of theirs ended", u.Username, u.ID, n)
		return s.recordExternalEvent(ctx, siteID, EventTypePasswordChange, store.EventSuccess, body, 0)
	})
}

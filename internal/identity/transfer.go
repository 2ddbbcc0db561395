package identity

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Readmit asks the login policy again about a user who signed in earlier
// on a channel that keeps them signed in (an FTP connection, WebDAV
// credentials verified once and remembered), without checking their
// credential again. A user disabled by an admin or a provider, locked out,
// or stripped of the channel's permission since is refused at their next
// request. It reads the user, their groups and provider: three short reads.
func (s *Service) Readmit(ctx context.Context, siteID, userID int64, ch Channel, cred Credential, ip string) (store.User, error) {
	u, err := s.st.GetUser(ctx, siteID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrUserDisabled.With("the user no longer exists")
	}
	if err != nil {
		return store.User{}, mapStoreErr(err, "read user", nil, nil)
	}
	// A password change an admin asked for since also ends the sign-in:
	// the new password has to be set on the web first.
	if _, _, verdict := s.admit(ctx, u, ch, cred, ip); verdict != nil {
		return store.User{}, verdict
	}
	return u, nil
}

// RecordSignIn notes a successful sign-in on ch for a user a front end
// admitted with LoginWithAPIKey, which only notes the key's use: the FTP
// and WebDAV front ends call it so last_ftp_login_at and last_dav_login_at
// tell an admin who signs in there, whichever credential they used.
func (s *Service) RecordSignIn(ctx context.Context, siteID, userID int64, ch Channel) (store.User, error) {
	return s.recordSignIn(ctx, siteID, userID, ch)
}

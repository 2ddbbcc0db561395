package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// signInColumns maps a sign-in channel to the column it sets.
var signInColumns = map[store.SignInChannel]string{
	store.SignInWeb:     "last_web_login_at",
	store.SignInDesktop: "last_desktop_login_at",
	store.SignInRESTAPI: "last_restapi_login_at",
	store.SignInSFTP:    "last_sftp_login_at",
	store.SignInFTP:     "last_ftp_login_at",
	store.SignInDAV:     "last_dav_login_at",
}

// NoteSignIn implements store.Store in one UPDATE … RETURNING: a sign-in
// needs no read of the row first, and one statement keeps the single
// SQLite writer free for the next. updated_at moves as with every other
// update of the row.
//
// It tells the account feed nothing: what it writes (sign-in times, the
// failed sign-in count and lockout) is nothing an open connection is
// readmitted on, and every sign-in would otherwise make every connection
// of the user read their account again.
func (s *Store) NoteSignIn(ctx context.Context, siteID, id int64, channel store.SignInChannel, at time.Time) (store.User, error) {
	col, ok := signInColumns[channel]
	if !ok {
		return store.User{}, fmt.Errorf("store: no sign-in column for channel %q", channel)
	}
	t := s.timeArg(at)
	u, err := scanRow(users, s.queryRow(ctx, true, "UPDATE users SET failed_logins = 0, failed_logins_since = NULL,"+
		" lockout_expires = NULL, first_login_at = COALESCE(first_login_at, ?), last_login_at = ?, "+col+" = ?,"+
		" updated_at = ? WHERE id = ? AND site_id = ? RETURNING "+users.returnCols,
		t, t, t, s.timeArg(time.Now()), id, siteID))
	if err != nil {
		return store.User{}, s.mapErr(err, "user", "")
	}
	return u, nil
}

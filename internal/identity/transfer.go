package identity

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TransferSignIn is what a connection on a file-transfer channel (an FTP
// control connection, an SSH connection, WebDAV credentials remembered
// between requests) keeps of its sign-in, so that Readmit can ask at every
// request whether the account still lets it in. It holds no secret.
type TransferSignIn struct {
	SiteID     int64
	UserID     int64
	Channel    Channel
	Credential Credential
	// APIKeyID is the key an API-key sign-in used: once it is deleted or
	// expires, the connection ends.
	APIKeyID int64
	// SSHKeyFingerprint is the key (ssh.FingerprintSHA256) an SSH-key
	// sign-in used: once it is removed from the user, the connection ends.
	SSHKeyFingerprint string
	// SessionID is the REST session a grant made with a session stands
	// on (a presigned upload or download URI): once the session ends,
	// signs out or expires, the grant stops working.
	SessionID int64
	// At is when the sign-in began, before its credential was checked, by
	// the Service's clock (see Now). A password set at or after At ends a
	// password connection: whoever changed the password meant the old one
	// to stop working, on the connections it already opened too.
	At time.Time
	IP string
}

// Standing is a signed-in transfer connection's account as it is now:
// the user, and the memberships its file view is laid out from.
type Standing struct {
	User store.User
	// Memberships are the user's groups with their group-admin flags,
	// which decide the /groups folders the user sees and may write. A
	// site admin's view lists every group itself, so theirs are not read.
	Memberships []store.GroupUser
	// View fingerprints what the file view is made of: the user's id,
	// name and site-admin flag and each membership's group, name and
	// admin flag. A connection lays its view out again only when View
	// changes, which keeps a request's cost at the reads that Readmit
	// does anyway.
	View [32]byte
	// Until is when this answer stops holding by itself, with no write
	// to the store: the expiry of the API key or session the sign-in
	// stands on. Zero: never. A connection that kept the answer (see
	// AccountVersion) asks again from then on.
	Until time.Time
}

// Now is the Service's clock, for the At of a TransferSignIn.
func (s *Service) Now() time.Time { return s.now() }

// Readmit asks again, without the credential, whether a transfer
// connection that signed in earlier may go on, and answers the account as
// it is now. Every FTP command, SFTP request and WebDAV request with
// remembered credentials calls it whenever the account's version moved
// since the connection last did (AccountVersion, package transfer/access),
// so whatever an admin, SCIM or the LDAP sync changed since the sign-in
// applies at the connection's next step:
//
//   - the login policy: a disabled or deleted user, a channel permission
//     removed from the user or their groups, an authentication method or
//     provider that no longer accepts this credential, a password change
//     an admin asked for;
//   - the credential: a password changed since the sign-in, an API key
//     deleted or expired, an SSH key removed;
//   - the view: site admin rights and group memberships are answered as
//     they are now (see Standing).
//
// A lockout is not a reason to end a connection: it stops new password
// sign-ins, and a connection proved its credential before it. Otherwise
// anyone could cut a user off by guessing wrong passwords for them.
//
// It reads the user, their groups with their memberships (one read), the
// provider of an SSO user and, for a key sign-in, the key: two to four
// reads by index, and no write.
func (s *Service) Readmit(ctx context.Context, in TransferSignIn) (Standing, error) {
	u, err := s.st.GetUser(ctx, in.SiteID, in.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return Standing{}, ErrUserDisabled.With("the user no longer exists")
	}
	if err != nil {
		return Standing{}, mapStoreErr(err, "read user", nil, nil)
	}
	// One read answers both the groups' permissions, for the policy, and
	// the memberships' admin flags, for the view.
	userGroups, err := s.st.UserGroups(ctx, in.SiteID, u.ID)
	if err != nil {
		return Standing{}, mapStoreErr(err, "read user's groups", nil, nil)
	}
	groups := make([]store.Group, len(userGroups))
	for i, g := range userGroups {
		groups[i] = g.Group
	}
	sub, err := s.subjectWith(ctx, u, groups)
	if err != nil {
		return Standing{}, err
	}
	d := sub.decision(in.Channel, in.Credential, s.now())
	if err := Decide(d); err != nil {
		return Standing{}, err
	}
	until, err := s.credentialStands(ctx, in, u)
	if err != nil {
		return Standing{}, err
	}
	st := Standing{User: u, Until: until}
	if !u.SiteAdmin {
		st.Memberships = make([]store.GroupUser, len(userGroups))
		for i, g := range userGroups {
			st.Memberships[i] = store.GroupUser{SiteID: in.SiteID, GroupID: g.ID, UserID: u.ID, Admin: g.Admin,
				GroupName: g.Name, Username: u.Username}
		}
	}
	st.View = viewFingerprint(u, st.Memberships)
	return st, nil
}

// credentialStands checks that the credential a connection signed in with
// is still the user's, and answers when it expires (zero: it does not).
func (s *Service) credentialStands(ctx context.Context, in TransferSignIn, u store.User) (time.Time, error) {
	switch in.Credential {
	case CredentialPassword:
		// Times are stored to the microsecond: a password set within the
		// sign-in's own microsecond counts as set after it.
		if !u.PasswordSetAt.IsZero() && !u.PasswordSetAt.Before(in.At.Truncate(time.Microsecond)) {
			return time.Time{}, ErrInvalidSession.With("the password was changed after this connection signed in; sign in again with the new password")
		}
	case CredentialAPIKey:
		k, err := s.st.GetAPIKey(ctx, in.SiteID, in.APIKeyID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && k.UserID != u.ID) {
			return time.Time{}, ErrInvalidAPIKey.With("the API key this connection signed in with was deleted; sign in with another key")
		}
		if err != nil {
			return time.Time{}, mapStoreErr(err, "read API key", nil, nil)
		}
		if !k.ExpiresAt.IsZero() && !s.now().Before(k.ExpiresAt) {
			return time.Time{}, ErrInvalidAPIKey.With("the API key this connection signed in with has expired; sign in with another key")
		}
		// A permission set narrowed since the sign-in (to none, say)
		// applies to the connection as it would to a new sign-in.
		if err := keyMaySignIn(k.PermissionSet, in.Channel); err != nil {
			return time.Time{}, err
		}
		return k.ExpiresAt, nil
	case CredentialSSHKey:
		_, found, err := s.findUserPublicKey(ctx, in.SiteID, u.ID, in.SSHKeyFingerprint)
		if err != nil {
			return time.Time{}, err
		}
		if !found {
			return time.Time{}, ErrInvalidSession.With("the SSH key this connection signed in with was removed from the user; sign in with another key")
		}
	case CredentialSession:
		sess, err := s.st.GetSession(ctx, in.SiteID, in.SessionID, s.now())
		if errors.Is(err, store.ErrNotFound) || (err == nil && sess.UserID != u.ID) {
			return time.Time{}, ErrInvalidSession.With("the session this was granted to has ended; sign in again")
		}
		if err != nil {
			return time.Time{}, mapStoreErr(err, "read session", nil, nil)
		}
		return sess.ExpiresAt, nil
	default:
		return time.Time{}, ErrNotAuthorized.With("%q is not a credential a transfer connection signs in with", in.Credential)
	}
	return time.Time{}, nil
}

// viewFingerprint hashes what a user's file view is laid out from.
func viewFingerprint(u store.User, memberships []store.GroupUser) [32]byte {
	h := sha256.New()
	var n [8]byte
	writeInt := func(v int64) {
		binary.BigEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	writeString := func(v string) {
		writeInt(int64(len(v)))
		h.Write([]byte(v))
	}
	writeBool := func(v bool) {
		if v {
			h.Write([]byte{1})
		} else {
			h.Write([]byte{0})
		}
	}
	writeInt(u.ID)
	writeString(u.Username)
	writeBool(u.SiteAdmin)
	for _, m := range memberships {
		writeInt(m.GroupID)
		writeString(m.GroupName)
		writeBool(m.Admin)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// RecordSignIn notes a successful sign-in on ch for a user a front end
// admitted with LoginWithAPIKey, which only notes the key's use: the FTP
// and WebDAV front ends call it so last_ftp_login_at and last_dav_login_at
// tell an admin who signs in there, whichever credential they used.
func (s *Service) RecordSignIn(ctx context.Context, siteID, userID int64, ch Channel) (store.User, error) {
	return s.recordSignIn(ctx, siteID, userID, ch)
}

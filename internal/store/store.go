// Package store is Gatehouse's one persistence interface. Two drivers
// implement it (sqlite, the embedded default, and postgres, for several
// Gatehouse nodes sharing one database) and both pass the same conformance
// suite in storetest.
//
// Transactions travel in the context: Tx hands its callback a context that
// every call made with it joins, so one interface serves both plain calls and
// multi-step invariants such as "a site keeps one password admin".
package store

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrNotFound is returned when no record has the given key.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned when a write would break a uniqueness rule
	// (a second user with the same username on a site, for example).
	ErrConflict = errors.New("store: conflict")
	// ErrFenced is returned by CheckFence when the lock has passed to
	// another holder (or was released) since the fencing token was handed
	// out: the caller's lease is over and it must write nothing more.
	ErrFenced = errors.New("store: the lock passed to another holder")
)

// Fence is one holding of a named lock (see TryLockFenced): a job that
// writes under a lock checks it in each of its write transactions with
// CheckFence. The zero Fence means "no lock to check".
type Fence struct {
	Lock  string // the lock's name
	Token int64  // the generation TryLockFenced returned; 0 in the zero Fence
}

// ListOptions selects one page of a list ordered by ascending id.
type ListOptions struct {
	AfterID int64 // return the records after the one with this id (by id: id > AfterID)
	Limit   int   // at most this many; 0 means 1000, and more than 10,001 means 10,001
	// Offset skips this many matching records first (SCIM's startIndex);
	// AfterID is the cheaper way to page and should be preferred.
	Offset int
	// Sort orders the records; the zero Sort is by id, ascending.
	Sort Sort
}

// Sort orders a list by one of the fields the list sorts by (UserSortFields,
// GroupSortFields, KeySortFields, PublicKeySortFields, EventSortFields),
// records with the same value by id in the same direction. A time field
// that is not set sorts before every time (after, descending).
//
// Paging continues after the last record of the previous page: AfterID
// is its id and After its value of Field, so the next page starts where
// that record would sort, even when records were added or changed in
// between, and reads only the records of the page from an index where
// one covers the field.
type Sort struct {
	Field string // "" or "id": by id
	Desc  bool
	// After is the Field value of the record AfterID names: a string, a
	// bool, an int64 or a time.Time (the zero time when it has none).
	After any
}

// SignInChannel names the last_*_login_at column a sign-in sets.
type SignInChannel string

// The channels a sign-in is recorded for.
const (
	SignInWeb     SignInChannel = "web"
	SignInDesktop SignInChannel = "desktop"
	SignInRESTAPI SignInChannel = "restapi"
	SignInSFTP    SignInChannel = "sftp"
	SignInFTP     SignInChannel = "ftp"
	SignInDAV     SignInChannel = "dav"
)

// UserQuery filters ListUsers. Empty fields do not filter.
type UserQuery struct {
	ListOptions
	Username string // exact, case-insensitive
	// LooksLike selects the users whose username looks like this one
	// (the same namekey.Skeleton), itself included.
	LooksLike     string
	Email         string // exact, case-insensitive
	SSOStrategyID int64
	ExternalID    string // with SSOStrategyID
	Search        string // prefix of username, email or name
	// Filter, when not nil, is a further condition on UserFields.
	Filter *Filter
	// SCIMVisible leaves out the users deleted over SCIM (SCIMProfile.Deleted).
	SCIMVisible bool
}

// GroupQuery filters ListGroups.
type GroupQuery struct {
	ListOptions
	Name          string // exact, case-insensitive
	SSOStrategyID int64
	ExternalID    string
	// Filter, when not nil, is a further condition on GroupFields.
	Filter *Filter
	// SCIMVisible leaves out the groups deleted over SCIM (Group.SCIMDeleted).
	SCIMVisible bool
}

// KeyQuery filters ListAPIKeys and ListPublicKeys.
type KeyQuery struct {
	ListOptions
	UserID int64 // when not 0, only this user's keys; 0 lists every key of the site
	// Filter, when not nil, is a further condition on APIKeyFields or
	// PublicKeyFields.
	Filter *Filter
}

// GroupUserQuery filters ListGroupUsers; set GroupID, UserID or both.
type GroupUserQuery struct {
	ListOptions
	GroupID int64
	UserID  int64
}

// MembershipQuery selects memberships in bulk: those of the users whose
// ids lie in [UserIDFrom, UserIDTo], optionally only users of one provider.
// The caller bounds the result through the id range.
type MembershipQuery struct {
	UserIDFrom    int64
	UserIDTo      int64
	SSOStrategyID int64 // when not 0, only memberships of this provider's users
}

// EventQuery filters the three event logs. Fields that do not apply to a
// log are ignored by it.
type EventQuery struct {
	ListOptions
	EventType     string
	Status        string
	SSOStrategyID int64
	UserID        int64
	Username      string
	CreatedAfter  time.Time // inclusive; zero: no bound
	CreatedBefore time.Time // exclusive; zero: no bound
}

// Store is everything Gatehouse persists. Methods that take a siteID never
// return or change a record of another site: a record of another site is
// ErrNotFound.
type Store interface {
	// Tx runs fn in one transaction. Calls made with the context fn receives
	// take part in it; if fn returns an error everything is rolled back.
	// Nested calls to Tx join the outer transaction.
	Tx(ctx context.Context, fn func(ctx context.Context) error) error
	// LockSite, inside Tx, makes concurrent transactions that lock the same
	// site (in this or another Gatehouse process) wait for this one, so
	// that checks made after it stay true until commit.
	LockSite(ctx context.Context, siteID int64) error
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	Close() error
	// WatchAccounts tells w of every committed write that may change an
	// account's standing (see AccountChange), made by this process or,
	// where the engine can tell, by another one sharing the database,
	// until stop is called. The feed starts with the first watcher and
	// tells it whether it is live (AccountWatcher.AccountFeedLive).
	WatchAccounts(w AccountWatcher) (stop func())

	CreateSite(ctx context.Context, s *Site) error
	GetSite(ctx context.Context, id int64) (Site, error)
	GetSiteBySubdomain(ctx context.Context, subdomain string) (Site, error)
	// DefaultSite returns the site marked IsDefault, ErrNotFound before setup.
	DefaultSite(ctx context.Context) (Site, error)
	UpdateSite(ctx context.Context, id int64, fn func(*Site) error) (Site, error)
	// ListSites returns one page of every site, ordered by id, for jobs that
	// visit each site (event retention, reminders).
	ListSites(ctx context.Context, o ListOptions) ([]Site, error)
	// SetPublicAddress records the address serve runs at, replacing the
	// one recorded before; PublicAddress reads it (ErrNotFound before
	// serve first ran).
	SetPublicAddress(ctx context.Context, a PublicAddress) error
	PublicAddress(ctx context.Context) (PublicAddress, error)

	// CreateUser sets u.ID, CreatedAt and UpdatedAt.
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, siteID, id int64) (User, error)
	GetUserByUsername(ctx context.Context, siteID int64, username string) (User, error)
	ListUsers(ctx context.Context, siteID int64, q UserQuery) ([]User, error)
	CountUsers(ctx context.Context, siteID int64, q UserQuery) (int, error)
	// UpdateUser reads the user, applies fn and writes the result, in one
	// transaction. An error from fn aborts the update and is returned.
	UpdateUser(ctx context.Context, siteID, id int64, fn func(*User) error) (User, error)
	// NoteSignIn records a successful sign-in in one statement, without
	// reading the user first, and returns the user as it now is: the
	// failed sign-in count and lockout are cleared, first_login_at is set
	// unless it is, and last_login_at and the channel's last_*_login_at
	// become at. ErrNotFound when the user does not exist. Every sign-in on
	// every channel writes it, so it is kept to one short write.
	NoteSignIn(ctx context.Context, siteID, id int64, channel SignInChannel, at time.Time) (User, error)
	// DeleteUser removes the user with their memberships, sessions, API keys
	// and public keys.
	DeleteUser(ctx context.Context, siteID, id int64) error
	// CountEnabledPasswordAdmins counts enabled site admins who sign in with
	// a password: the accounts that keep a site reachable when SSO breaks.
	CountEnabledPasswordAdmins(ctx context.Context, siteID int64) (int, error)

	CreateGroup(ctx context.Context, g *Group) error
	GetGroup(ctx context.Context, siteID, id int64) (Group, error)
	ListGroups(ctx context.Context, siteID int64, q GroupQuery) ([]Group, error)
	// CountGroups counts every group of the site matching q; its page
	// fields are ignored.
	CountGroups(ctx context.Context, siteID int64, q GroupQuery) (int, error)
	UpdateGroup(ctx context.Context, siteID, id int64, fn func(*Group) error) (Group, error)
	// DeleteGroup removes the group and its memberships.
	DeleteGroup(ctx context.Context, siteID, id int64) error

	// AddGroupUser creates a membership; ErrConflict if it exists.
	AddGroupUser(ctx context.Context, gu *GroupUser) error
	GetGroupUser(ctx context.Context, siteID, groupID, userID int64) (GroupUser, error)
	UpdateGroupUser(ctx context.Context, siteID, groupID, userID int64, fn func(*GroupUser) error) (GroupUser, error)
	RemoveGroupUser(ctx context.Context, siteID, groupID, userID int64) error
	ListGroupUsers(ctx context.Context, siteID int64, q GroupUserQuery) ([]GroupUser, error)
	// GroupsOfUser returns every group the user is a member of.
	GroupsOfUser(ctx context.Context, siteID, userID int64) ([]Group, error)
	// UserGroups returns every group the user is a member of, each with
	// whether the user administers it, ordered by group id, in one read:
	// what an open file-transfer connection re-reads at every request.
	UserGroups(ctx context.Context, siteID, userID int64) ([]UserGroup, error)
	// ListMemberships returns the memberships q selects, ordered by user id
	// and group id.
	ListMemberships(ctx context.Context, siteID int64, q MembershipQuery) ([]Membership, error)
	// AddMemberships creates many memberships at once, with createdAt as
	// their creation time. Memberships that already exist are left as they
	// are; a group or user of another site, or one that does not exist, is
	// ErrNotFound and adds nothing. It says how many were added.
	AddMemberships(ctx context.Context, siteID int64, ms []Membership, createdAt time.Time) (int, error)
	// RemoveMemberships deletes the memberships of the given group and user
	// pairs (other fields are ignored) and says how many existed.
	RemoveMemberships(ctx context.Context, siteID int64, ms []Membership) (int, error)

	CreateAPIKey(ctx context.Context, k *APIKey) error
	GetAPIKey(ctx context.Context, siteID, id int64) (APIKey, error)
	// GetAPIKeyByHash finds a key of any site by the hash of its secret.
	GetAPIKeyByHash(ctx context.Context, keyHash []byte) (APIKey, error)
	// ListAPIKeys lists a site's keys matching q.
	ListAPIKeys(ctx context.Context, siteID int64, q KeyQuery) ([]APIKey, error)
	UpdateAPIKey(ctx context.Context, siteID, id int64, fn func(*APIKey) error) (APIKey, error)
	DeleteAPIKey(ctx context.Context, siteID, id int64) error

	CreatePublicKey(ctx context.Context, k *PublicKey) error
	GetPublicKey(ctx context.Context, siteID, id int64) (PublicKey, error)
	// ListPublicKeys lists a site's keys matching q.
	ListPublicKeys(ctx context.Context, siteID int64, q KeyQuery) ([]PublicKey, error)
	UpdatePublicKey(ctx context.Context, siteID, id int64, fn func(*PublicKey) error) (PublicKey, error)
	DeletePublicKey(ctx context.Context, siteID, id int64) error

	CreateSession(ctx context.Context, s *Session) error
	// GetSessionByHash finds a session of any site by the hash of its token;
	// expired sessions are ErrNotFound.
	GetSessionByHash(ctx context.Context, tokenHash []byte, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, siteID, id int64) error
	// DeleteUserSessions ends every session of a user and says how many.
	DeleteUserSessions(ctx context.Context, siteID, userID int64) (int, error)
	// DeleteOtherUserSessions ends every session of a user but the one
	// with id keepID (0 keeps none) and says how many it ended.
	DeleteOtherUserSessions(ctx context.Context, siteID, userID, keepID int64) (int, error)
	// DeleteSSOSessions ends the sessions of a user that an identity
	// provider's session started (those with this SSO session index) and
	// says how many; an empty index matches no session.
	DeleteSSOSessions(ctx context.Context, siteID, userID int64, ssoSessionIndex string) (int, error)
	// DeleteExpiredSessions removes sessions that expired before now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)

	CreateSSOStrategy(ctx context.Context, s *SSOStrategy) error
	GetSSOStrategy(ctx context.Context, siteID, id int64) (SSOStrategy, error)
	ListSSOStrategies(ctx context.Context, siteID int64, o ListOptions) ([]SSOStrategy, error)
	UpdateSSOStrategy(ctx context.Context, siteID, id int64, fn func(*SSOStrategy) error) (SSOStrategy, error)
	DeleteSSOStrategy(ctx context.Context, siteID, id int64) error
	// GetSSOStrategyBySCIMTokenHash finds the provider of any site whose
	// SCIM bearer token has this hash; ErrNotFound when none has (an empty
	// hash matches nothing). It does not look at the method, expiry or
	// enabled flag: deciding whether the token is accepted is the caller's.
	GetSSOStrategyBySCIMTokenHash(ctx context.Context, tokenHash []byte) (SSOStrategy, error)
	// ListSSOStrategiesBySCIMUsername returns, in one query, the providers
	// of any site whose SCIM Basic username is exactly username, together
	// with the provider whose id is alsoID (0: none) whatever its username,
	// at most limit of them (0 means 10), ordered by id; an empty username
	// matches nothing. Usernames are not unique across sites, so the caller
	// checks the password of each. alsoID lets the caller read a decoy row,
	// so an unknown username costs the store what a known one does.
	ListSSOStrategiesBySCIMUsername(ctx context.Context, username string, alsoID int64, limit int) ([]SSOStrategy, error)

	CreateSSOEvent(ctx context.Context, e *SSOEvent) error
	GetSSOEvent(ctx context.Context, siteID, id int64) (SSOEvent, error)
	ListSSOEvents(ctx context.Context, siteID int64, q EventQuery) ([]SSOEvent, error)

	CreateExternalEvent(ctx context.Context, e *ExternalEvent) error
	GetExternalEvent(ctx context.Context, siteID, id int64) (ExternalEvent, error)
	UpdateExternalEvent(ctx context.Context, siteID, id int64, fn func(*ExternalEvent) error) (ExternalEvent, error)
	ListExternalEvents(ctx context.Context, siteID int64, q EventQuery) ([]ExternalEvent, error)

	CreateScimLog(ctx context.Context, l *ScimLog) error
	GetScimLog(ctx context.Context, siteID, id int64) (ScimLog, error)
	ListScimLogs(ctx context.Context, siteID int64, q EventQuery) ([]ScimLog, error)

	// CreateLoginState stores a sign-in in flight; ErrConflict when its key
	// hash exists. A state must expire.
	CreateLoginState(ctx context.Context, ls *LoginState) error
	// TakeLoginState removes and returns the state with this key hash, so
	// that it is used once across every node. An absent or expired state is
	// ErrNotFound (an expired one is removed too).
	TakeLoginState(ctx context.Context, keyHash []byte, now time.Time) (LoginState, error)
	// DeleteExpiredLoginState removes login states and remembered SAML
	// assertion IDs that expired at now, and says how many.
	DeleteExpiredLoginState(ctx context.Context, now time.Time) (int, error)
	// RememberAssertion records that a provider's assertion ID was used,
	// until the given time, and reports whether this was the first time:
	// of any number of concurrent calls with the same ID, on any node,
	// exactly one is first.
	RememberAssertion(ctx context.Context, ssoStrategyID int64, assertionID string, until time.Time) (first bool, err error)

	// GetSSOMetadata returns a provider's cached metadata, ErrNotFound when
	// none was ever stored.
	GetSSOMetadata(ctx context.Context, ssoStrategyID int64) (SSOMetadata, error)
	// PutSSOMetadata creates or replaces a provider's cached metadata;
	// ErrNotFound when the provider does not exist.
	PutSSOMetadata(ctx context.Context, m *SSOMetadata) error

	// GetSAMLSPKey returns a site's SAML service provider key pair,
	// ErrNotFound when it has none yet.
	GetSAMLSPKey(ctx context.Context, siteID int64) (SAMLSPKey, error)
	// CreateSAMLSPKey stores a site's key pair; ErrConflict when the site
	// has one (another node made it first: read that one).
	CreateSAMLSPKey(ctx context.Context, k *SAMLSPKey) error

	// TryLock takes the lock called name for holder until the given time
	// and reports whether holder now holds it: true when the lock was free,
	// had expired at now, or was already holder's (its time is then
	// extended, so a long job renews it by calling again). Of any number of
	// concurrent callers on any node, at most one holds a lock at a time.
	TryLock(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// TryLockFenced is TryLock returning the lock's fencing token: 0 when
	// holder did not get the lock, else its generation, a number that
	// grows every time the lock passes to another holder or is released,
	// and stays the same while one holder renews it. A holder that stalled
	// past its lock's expiry and lost it therefore holds an old token, and
	// CheckFence refuses it, however late it wakes up.
	TryLockFenced(ctx context.Context, name, holder string, now, until time.Time) (token int64, err error)
	// CheckFence, inside Tx, returns ErrFenced unless the lock called
	// f.Lock still has generation f.Token. It also holds the lock's row
	// until the transaction ends, so that no other holder can take the
	// lock between the check and the commit: what the transaction writes
	// is committed before any later holder's lease begins.
	CheckFence(ctx context.Context, f Fence) error
	// Unlock releases the lock called name if holder holds it; releasing a
	// lock held by another holder, or by nobody, does nothing.
	Unlock(ctx context.Context, name, holder string) error

	// WebDAV locks (see DAVLock). The WebDAV front end decides which locks
	// conflict, inside Tx after LockSite; the store keeps them so every
	// node sees the same locks.
	//
	// CreateDAVLock stores a lock; ErrConflict when its token exists.
	CreateDAVLock(ctx context.Context, l *DAVLock) error
	// GetDAVLock returns a lock of the site by token, expired or not;
	// ErrNotFound when there is none.
	GetDAVLock(ctx context.Context, siteID int64, token string) (DAVLock, error)
	// ListDAVLocks returns the site's locks that have not expired at now.
	ListDAVLocks(ctx context.Context, siteID int64, now time.Time) ([]DAVLock, error)
	// RefreshDAVLock sets a lock's expiry; ErrNotFound when there is none.
	RefreshDAVLock(ctx context.Context, siteID int64, token string, expiresAt time.Time) error
	// DeleteDAVLock removes a lock; ErrNotFound when there is none.
	DeleteDAVLock(ctx context.Context, siteID int64, token string) error
	// DeleteExpiredDAVLocks removes every site's locks expired at now.
	DeleteExpiredDAVLocks(ctx context.Context, now time.Time) (int, error)

	// Multi-part REST uploads (see FileUpload).
	//
	// CreateFileUpload stores a begun upload; ErrConflict when its ref
	// exists, ErrNotFound when its user does not.
	CreateFileUpload(ctx context.Context, u *FileUpload) error
	// GetFileUpload returns an upload of the site by ref, expired or not;
	// ErrNotFound when there is none.
	GetFileUpload(ctx context.Context, siteID int64, ref string) (FileUpload, error)
	// CountFileUploads counts the uploads that have not expired at now:
	// the user's, the site's and every site's.
	CountFileUploads(ctx context.Context, siteID, userID int64, now time.Time) (FileUploadCounts, error)
	// SetFileUploadExpiry sets an upload's expiry; ErrNotFound when there
	// is none.
	SetFileUploadExpiry(ctx context.Context, siteID int64, ref string, expiresAt time.Time) error
	// SetFileUploadEnding sets the upload's Ending flag to ending, and its
	// expiry, when the flag is not already so, and reports whether it
	// changed it: of concurrent calls that set it, on any node, exactly
	// one changes it. ErrNotFound when there is no such upload.
	SetFileUploadEnding(ctx context.Context, siteID int64, ref string, ending bool, expiresAt time.Time) (bool, error)
	// PutFileUploadPart records a received part, replacing an earlier
	// record of the same part; ErrNotFound when the upload does not exist
	// on the site. A pending part (Size -1, no ETag: its bytes began to
	// arrive) is recorded only when the part has no record yet, so it
	// never hides a version that arrived whole. A version recorded whole
	// forgets the hash states of the part and of every part after it,
	// which covered the version it replaces.
	PutFileUploadPart(ctx context.Context, siteID int64, p *FileUploadPart) error
	// LockFileUpload returns an upload of the site by ref and, inside a
	// transaction, locks it until the transaction ends, so that parts
	// beginning at once on any node are placed one after the other.
	LockFileUpload(ctx context.Context, siteID int64, ref string) (FileUpload, error)
	// StartFileUploadPart records that a part's bytes begin to arrive, at
	// its placement: pending (Size -1, no ETag), replacing any earlier
	// version of it, and forgets the hash states of it and of every part
	// after it, which covered its earlier version. ErrNotFound when the
	// upload does not exist on the site.
	StartFileUploadPart(ctx context.Context, siteID int64, p *FileUploadPart) error
	// SetFileUploadPartHash records the hash state through a part, only
	// while the part is still the version etag and the part before it
	// (for parts after the first) still has the hash state base it was
	// computed from; it reports whether it recorded it.
	SetFileUploadPartHash(ctx context.Context, siteID int64, ref string, part int, etag string, base, state []byte) (bool, error)
	// ListFileUploadParts returns an upload's parts ordered by number.
	ListFileUploadParts(ctx context.Context, siteID int64, ref string) ([]FileUploadPart, error)
	// DeleteFileUpload removes an upload with its parts; ErrNotFound when
	// there is none.
	DeleteFileUpload(ctx context.Context, siteID int64, ref string) error
	// ListExpiredFileUploads returns at most limit uploads of any site
	// that expired at now, oldest expiry first, for the sweep.
	ListExpiredFileUploads(ctx context.Context, now time.Time, limit int) ([]FileUpload, error)

	// GetSession returns a session of the site by id; ErrNotFound when
	// there is none or it expired at now.
	GetSession(ctx context.Context, siteID, id int64, now time.Time) (Session, error)

	// DeleteEventsBefore removes SSO events, external events and SCIM logs
	// of a site created before t, and says how many.
	DeleteEventsBefore(ctx context.Context, siteID int64, t time.Time) (int, error)
}

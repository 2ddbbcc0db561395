package identity

// This file holds the Service methods the front ends call, as signatures
// with placeholder bodies. Each is implemented in its own file (users.go,
// groups.go, login.go …); move a method out of here when implementing it and
// delete this file when it is empty.

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/store"
)

var errTODO = ErrInternal.With("not implemented yet")

// ---- setup ----

// EnsureDefaultSite returns the default site, creating it on first run.
func (s *Service) EnsureDefaultSite(ctx context.Context) (store.Site, error) {
	return store.Site{}, errTODO
}

// CreateFirstAdmin creates a password site admin with a random password that
// must be changed at first sign-in, and returns the password to print once.
func (s *Service) CreateFirstAdmin(ctx context.Context, siteID int64, username string) (store.User, string, error) {
	return store.User{}, "", errTODO
}

// ---- sites ----

// ResolveSite returns the site for a subdomain, or the default site when
// no site has that subdomain.
func (s *Service) ResolveSite(ctx context.Context, subdomain string) (store.Site, error) {
	return store.Site{}, errTODO
}
func (s *Service) GetSite(ctx context.Context, siteID int64) (store.Site, error) {
	return store.Site{}, errTODO
}
func (s *Service) UpdateSite(ctx context.Context, a Actor, siteID int64, c SiteChange) (store.Site, error) {
	return store.Site{}, errTODO
}

// ---- sign-in: every front end asks these ----

// PasswordLogin is a sign-in with a username and password.
type PasswordLogin struct {
	SiteID   int64
	Username string
	Password string
	Channel  Channel
	IP       string
}

// LoginWithPassword applies the login policy, the lockout settings and the
// password (or directory) check, records the sign-in, and returns the user.
// A user with RequirePasswordChange still signs in on the web (to change it);
// other channels get ErrPasswordChangeRequired.
func (s *Service) LoginWithPassword(ctx context.Context, l PasswordLogin) (store.User, error) {
	return store.User{}, errTODO
}

// LoginWithAPIKey checks an API key for a site and channel. A site-wide key
// returns a zero User (ID 0) and acts as a site admin.
func (s *Service) LoginWithAPIKey(ctx context.Context, siteID int64, key string, ch Channel, ip string) (store.User, store.APIKey, error) {
	return store.User{}, store.APIKey{}, errTODO
}

// LoginWithPublicKey checks that an SSH key (its SHA-256 fingerprint as
// ssh.FingerprintSHA256 prints it) belongs to username on the site.
func (s *Service) LoginWithPublicKey(ctx context.Context, siteID int64, username, fingerprint string, ch Channel, ip string) (store.User, error) {
	return store.User{}, errTODO
}

// ---- sessions ----

// StartSession creates a server-side session and returns its token (shown
// to the client once, stored only as a hash).
func (s *Service) StartSession(ctx context.Context, u store.User, ch Channel, ip, userAgent string) (string, store.Session, error) {
	return "", store.Session{}, errTODO
}

// ResumeSession returns the user of a session token on a site;
// ErrInvalidSession for unknown, expired, other-site or disabled users.
func (s *Service) ResumeSession(ctx context.Context, siteID int64, token string) (store.User, store.Session, error) {
	return store.User{}, store.Session{}, errTODO
}

// EndSession ends the session of a token. Unknown tokens are not an error.
func (s *Service) EndSession(ctx context.Context, siteID int64, token string) error { return errTODO }

// ChangePassword changes a user's own password, checking the current one,
// and clears RequirePasswordChange.
func (s *Service) ChangePassword(ctx context.Context, siteID, userID int64, current, next string) error {
	return errTODO
}

// ---- users ----

func (s *Service) GetUser(ctx context.Context, siteID, id int64) (store.User, error) {
	return store.User{}, errTODO
}
func (s *Service) ListUsers(ctx context.Context, siteID int64, q store.UserQuery) ([]store.User, error) {
	return nil, errTODO
}
func (s *Service) CreateUser(ctx context.Context, a Actor, siteID int64, c UserChange) (store.User, error) {
	return store.User{}, errTODO
}

// UpdateUser changes a user. force=true overrides the lock-out guard (and
// the override is recorded).
func (s *Service) UpdateUser(ctx context.Context, a Actor, siteID, id int64, c UserChange, force bool) (store.User, error) {
	return store.User{}, errTODO
}
func (s *Service) DeleteUser(ctx context.Context, a Actor, siteID, id int64, force bool) error {
	return errTODO
}
func (s *Service) UnlockUser(ctx context.Context, a Actor, siteID, id int64) (store.User, error) {
	return store.User{}, errTODO
}

// UserGroupIDs returns the ids of the groups a user belongs to, and those
// the user administers.
func (s *Service) UserGroupIDs(ctx context.Context, siteID, userID int64) (member, admin []int64, err error) {
	return nil, nil, errTODO
}

// ---- groups ----

func (s *Service) GetGroup(ctx context.Context, siteID, id int64) (store.Group, error) {
	return store.Group{}, errTODO
}
func (s *Service) ListGroups(ctx context.Context, siteID int64, q store.GroupQuery) ([]store.Group, error) {
	return nil, errTODO
}
func (s *Service) CreateGroup(ctx context.Context, a Actor, siteID int64, c GroupChange) (store.Group, error) {
	return store.Group{}, errTODO
}
func (s *Service) UpdateGroup(ctx context.Context, a Actor, siteID, id int64, c GroupChange) (store.Group, error) {
	return store.Group{}, errTODO
}
func (s *Service) DeleteGroup(ctx context.Context, a Actor, siteID, id int64) error { return errTODO }
func (s *Service) ListGroupUsers(ctx context.Context, siteID int64, q store.GroupUserQuery) ([]store.GroupUser, error) {
	return nil, errTODO
}
func (s *Service) AddGroupUser(ctx context.Context, a Actor, siteID, groupID, userID int64, admin bool) (store.GroupUser, error) {
	return store.GroupUser{}, errTODO
}
func (s *Service) UpdateGroupUser(ctx context.Context, a Actor, siteID, groupID, userID int64, admin bool) (store.GroupUser, error) {
	return store.GroupUser{}, errTODO
}
func (s *Service) RemoveGroupUser(ctx context.Context, a Actor, siteID, groupID, userID int64) error {
	return errTODO
}

// ---- API keys ----

// CreateAPIKey creates a key and returns it with the key itself, which is
// shown once and stored only as a hash.
func (s *Service) CreateAPIKey(ctx context.Context, a Actor, siteID int64, c APIKeyChange) (store.APIKey, string, error) {
	return store.APIKey{}, "", errTODO
}
func (s *Service) GetAPIKey(ctx context.Context, a Actor, siteID, id int64) (store.APIKey, error) {
	return store.APIKey{}, errTODO
}

// ListAPIKeys lists keys: a site admin sees every key of userID (0: all),
// anyone else only their own.
func (s *Service) ListAPIKeys(ctx context.Context, a Actor, siteID, userID int64, o store.ListOptions) ([]store.APIKey, error) {
	return nil, errTODO
}
func (s *Service) UpdateAPIKey(ctx context.Context, a Actor, siteID, id int64, c APIKeyChange) (store.APIKey, error) {
	return store.APIKey{}, errTODO
}
func (s *Service) DeleteAPIKey(ctx context.Context, a Actor, siteID, id int64) error { return errTODO }

// ---- SSH public keys ----

func (s *Service) CreatePublicKey(ctx context.Context, a Actor, siteID int64, c PublicKeyChange) (store.PublicKey, error) {
	return store.PublicKey{}, errTODO
}
func (s *Service) GetPublicKey(ctx context.Context, a Actor, siteID, id int64) (store.PublicKey, error) {
	return store.PublicKey{}, errTODO
}
func (s *Service) ListPublicKeys(ctx context.Context, a Actor, siteID, userID int64, o store.ListOptions) ([]store.PublicKey, error) {
	return nil, errTODO
}
func (s *Service) UpdatePublicKey(ctx context.Context, a Actor, siteID, id int64, c PublicKeyChange) (store.PublicKey, error) {
	return store.PublicKey{}, errTODO
}
func (s *Service) DeletePublicKey(ctx context.Context, a Actor, siteID, id int64) error {
	return errTODO
}

// ---- SSO strategies ----

func (s *Service) GetSSOStrategy(ctx context.Context, siteID, id int64) (store.SSOStrategy, error) {
	return store.SSOStrategy{}, errTODO
}
func (s *Service) ListSSOStrategies(ctx context.Context, siteID int64, o store.ListOptions) ([]store.SSOStrategy, error) {
	return nil, errTODO
}
func (s *Service) CreateSSOStrategy(ctx context.Context, a Actor, siteID int64, c SSOStrategyChange) (store.SSOStrategy, error) {
	return store.SSOStrategy{}, errTODO
}
func (s *Service) UpdateSSOStrategy(ctx context.Context, a Actor, siteID, id int64, c SSOStrategyChange) (store.SSOStrategy, error) {
	return store.SSOStrategy{}, errTODO
}
func (s *Service) DeleteSSOStrategy(ctx context.Context, a Actor, siteID, id int64) error {
	return errTODO
}

// CountProviderUsers is an sso_strategy's user_count.
func (s *Service) CountProviderUsers(ctx context.Context, siteID, id int64) (int, error) {
	return 0, errTODO
}

// ---- event logs ----

func (s *Service) ListSSOEvents(ctx context.Context, siteID int64, q store.EventQuery) ([]store.SSOEvent, error) {
	return nil, errTODO
}
func (s *Service) GetSSOEvent(ctx context.Context, siteID, id int64) (store.SSOEvent, error) {
	return store.SSOEvent{}, errTODO
}
func (s *Service) ListExternalEvents(ctx context.Context, siteID int64, q store.EventQuery) ([]store.ExternalEvent, error) {
	return nil, errTODO
}
func (s *Service) GetExternalEvent(ctx context.Context, siteID, id int64) (store.ExternalEvent, error) {
	return store.ExternalEvent{}, errTODO
}

// CreateExternalEvent records an event posted through the API (Files.com's
// POST /external_events).
func (s *Service) CreateExternalEvent(ctx context.Context, a Actor, siteID int64, status, body string) (store.ExternalEvent, error) {
	return store.ExternalEvent{}, errTODO
}
func (s *Service) ListScimLogs(ctx context.Context, siteID int64, q store.EventQuery) ([]store.ScimLog, error) {
	return nil, errTODO
}
func (s *Service) GetScimLog(ctx context.Context, siteID, id int64) (store.ScimLog, error) {
	return store.ScimLog{}, errTODO
}

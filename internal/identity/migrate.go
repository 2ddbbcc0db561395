package identity

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Moving people from one identity provider to another: the seed's
// "migrate users from LDAP to Entra ID", as one operation that the REST
// API, the CLI and the console's wizard share. An account moved to
// provider To keeps its username, groups, keys and files; it forgets the
// old provider's immutable id, so the new provider links it by its login
// name at its first sign-in or SCIM push (the engine's rule for an
// account of the provider without an immutable id), and from then on by
// the new provider's id.

// EventTypeUserMigrated is the SSO event of an account moved to another
// provider.
const EventTypeUserMigrated = "user_migrated"

// maxMigrationBatch bounds one call: a batch is one transaction, and the
// wizard shows progress between batches.
const maxMigrationBatch = 500

// ErrMigrationInvalid refuses a migration that cannot be done as asked.
var ErrMigrationInvalid = newError(http.StatusUnprocessableEntity, "bad-request/migration-invalid", "Migration Invalid",
	"the migration cannot be done as asked")

// MigrationRequest says whom to move: the accounts of provider From,
// optionally only members of GroupID or those whose username, e-mail or
// name starts with Search, to provider To. DryRun moves nobody and
// reports what would change. Limit is the batch (0: 100, at most 500);
// calling again moves the next batch, so a migration cut off half-way is
// resumed by running it again.
type MigrationRequest struct {
	From, To int64
	GroupID  int64
	Search   string
	DryRun   bool
	Limit    int
}

// MigrationReport is what a migration did (or would do) in one batch.
type MigrationReport struct {
	From, To string // the providers' labels
	DryRun   bool
	Users    []MigratedUser
	// Moved counts the accounts moved by this call; Remaining those of
	// From that the request still selects afterwards.
	Moved     int
	Remaining int
	// LosingPasswords counts the accounts of the batch that will no
	// longer sign in with a password on a channel they may use, and have
	// no key for it.
	LosingPasswords int
}

// MigratedUser is one account of a migration batch.
type MigratedUser struct {
	ID       int64
	Username string
	// PasswordChannels are the channels the account may use that take a
	// password from a directory provider today and will not after the
	// move (sftp, ftp, dav, restapi); empty when the old provider is not
	// a directory, or the new one is.
	PasswordChannels []string
	HasSSHKey        bool
	HasAPIKey        bool
	// Warning says what the person must do before the move leaves them
	// without access on a channel, or "".
	Warning string
	Moved   bool
}

// MigrateUsers moves one batch of accounts from provider r.From to r.To
// (see MigrationRequest), each move in the same transaction as its SSO
// event, or with DryRun reports what it would do.
func (s *Service) MigrateUsers(ctx context.Context, a Actor, siteID int64, r MigrationRequest) (MigrationReport, error) {
	var rep MigrationReport
	if err := requireSiteAdmin(a); err != nil {
		return rep, err
	}
	from, to, err := s.migrationProviders(ctx, siteID, r)
	if err != nil {
		return rep, err
	}
	rep.From, rep.To, rep.DryRun = from.Label, to.Label, r.DryRun
	limit := r.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, maxMigrationBatch)
	users, err := s.migrationBatch(ctx, siteID, r, limit)
	if err != nil {
		return rep, err
	}
	losesPasswords := isDirectory(from.Protocol) && !isDirectory(to.Protocol)
	for _, u := range users {
		m, err := s.migrationPlan(ctx, a, siteID, u, losesPasswords)
		if err != nil {
			return rep, err
		}
		if m.Warning != "" {
			rep.LosingPasswords++
		}
		rep.Users = append(rep.Users, m)
	}
	if !r.DryRun && len(users) > 0 {
		err := s.st.Tx(ctx, func(ctx context.Context) error {
			for i, u := range users {
				moved, err := s.moveUser(ctx, a, siteID, u, from, to)
				if err != nil {
					return err
				}
				rep.Users[i].Moved = moved
				if moved {
					rep.Moved++
				}
			}
			return nil
		})
		if err != nil {
			return MigrationReport{}, err
		}
	}
	if rep.Remaining, err = s.migrationRemaining(ctx, siteID, r); err != nil {
		return rep, err
	}
	if r.DryRun {
		rep.Remaining = max(0, rep.Remaining-len(users))
	}
	return rep, nil
}

// migrationRemaining counts the accounts of r.From that r selects: an
// indexed count without a group, else the members, counted a batch at a
// time.
func (s *Service) migrationRemaining(ctx context.Context, siteID int64, r MigrationRequest) (int, error) {
	if r.GroupID == 0 {
		n, err := s.st.CountUsers(ctx, siteID, store.UserQuery{SSOStrategyID: r.From, Search: r.Search})
		return n, mapStoreErr(err, "count users to migrate", nil, nil)
	}
	left, err := s.migrationBatch(ctx, siteID, r, 100000)
	return len(left), err
}

// migrationProviders reads and checks the two providers.
func (s *Service) migrationProviders(ctx context.Context, siteID int64, r MigrationRequest) (store.SSOStrategy, store.SSOStrategy, error) {
	if r.From == 0 || r.To == 0 {
		return store.SSOStrategy{}, store.SSOStrategy{}, ErrMigrationInvalid.With("name the provider to move accounts from and the one to move them to")
	}
	if r.From == r.To {
		return store.SSOStrategy{}, store.SSOStrategy{}, ErrMigrationInvalid.With("the accounts are already on provider %d: pick another provider to move them to", r.To)
	}
	from, err := s.GetSSOStrategy(ctx, siteID, r.From)
	if err != nil {
		return from, store.SSOStrategy{}, err
	}
	to, err := s.GetSSOStrategy(ctx, siteID, r.To)
	if err != nil {
		return from, to, err
	}
	if to.Protocol == ProtocolSCIM {
		return from, to, ErrMigrationInvalid.With("provider %s only provisions (protocol scim): people cannot sign in with it; move them to a SAML, OpenID Connect or directory provider", describeProvider(to))
	}
	if len(r.Search) > 256 {
		return from, to, ErrInvalidParams.With("search: at most 256 characters")
	}
	return from, to, nil
}

// migrationBatch is the next limit accounts of r.From that r selects, by
// id.
func (s *Service) migrationBatch(ctx context.Context, siteID int64, r MigrationRequest, limit int) ([]store.User, error) {
	var out []store.User
	after := int64(0)
	for len(out) < limit {
		page, err := s.st.ListUsers(ctx, siteID, store.UserQuery{ListOptions: store.ListOptions{AfterID: after, Limit: 500},
			SSOStrategyID: r.From, Search: r.Search})
		if err != nil {
			return nil, mapStoreErr(err, "list users to migrate", nil, nil)
		}
		for _, u := range page {
			if r.GroupID != 0 {
				in, err := s.st.ListGroupUsers(ctx, siteID, store.GroupUserQuery{GroupID: r.GroupID, UserID: u.ID, ListOptions: store.ListOptions{Limit: 1}})
				if err != nil {
					return nil, mapStoreErr(err, "read group membership", nil, nil)
				}
				if len(in) == 0 {
					continue
				}
			}
			out = append(out, u)
			if len(out) == limit {
				break
			}
		}
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	return out, nil
}

// migrationPlan says what moving u changes for the person: the channels
// on which a directory password stops working, and whether they have a
// key to use there instead.
func (s *Service) migrationPlan(ctx context.Context, a Actor, siteID int64, u store.User, losesPasswords bool) (MigratedUser, error) {
	m := MigratedUser{ID: u.ID, Username: u.Username}
	if !losesPasswords || u.Disabled {
		return m, nil
	}
	for _, ch := range []struct {
		name string
		may  bool
	}{{"sftp", u.SFTPPermission}, {"ftp", u.FTPPermission}, {"dav", u.DAVPermission}, {"restapi", u.RestAPIPermission}} {
		if ch.may {
			m.PasswordChannels = append(m.PasswordChannels, ch.name)
		}
	}
	if len(m.PasswordChannels) == 0 {
		return m, nil
	}
	keys, err := s.st.ListPublicKeys(ctx, siteID, store.KeyQuery{UserID: u.ID, ListOptions: store.ListOptions{Limit: 1}})
	if err != nil {
		return m, mapStoreErr(err, "list SSH keys", nil, nil)
	}
	apiKeys, err := s.st.ListAPIKeys(ctx, siteID, store.KeyQuery{UserID: u.ID, ListOptions: store.ListOptions{Limit: 1}})
	if err != nil {
		return m, mapStoreErr(err, "list API keys", nil, nil)
	}
	m.HasSSHKey, m.HasAPIKey = len(keys) > 0, len(apiKeys) > 0
	var missing []string
	for _, ch := range m.PasswordChannels {
		switch {
		case ch == "sftp" && !m.HasSSHKey:
			missing = append(missing, "an SSH key for SFTP")
		case ch != "sftp" && !m.HasAPIKey:
			missing = append(missing, "an API key for "+map[string]string{"ftp": "FTP", "dav": "WebDAV", "restapi": "the REST API"}[ch])
		}
	}
	if len(missing) > 0 {
		m.Warning = "will no longer sign in with a password on " + strings.Join(m.PasswordChannels, ", ") + "; needs " + strings.Join(missing, " and ")
	}
	return m, nil
}

// moveUser moves one account inside the batch's transaction, unless it
// changed provider meanwhile, and records it.
func (s *Service) moveUser(ctx context.Context, a Actor, siteID int64, u store.User, from, to store.SSOStrategy) (bool, error) {
	moved := false
	_, err := s.st.UpdateUser(ctx, siteID, u.ID, func(cur *store.User) error {
		if cur.SSOStrategyID != from.ID {
			return nil
		}
		cur.SSOStrategyID, cur.ExternalID, cur.AuthenticationMethod = to.ID, "", store.AuthSSO
		cur.UpdatedAt = s.now()
		moved = true
		return nil
	})
	if err != nil || !moved {
		return false, mapStoreErr(err, "move user", nil, nil)
	}
	// The event names the new provider as every SSO event names its
	// provider, and is written in the batch's transaction so that a move
	// and its record are kept together.
	e := store.SSOEvent{SiteID: siteID, EventType: EventTypeUserMigrated, Status: store.EventSuccess,
		UserID: u.ID, Username: u.Username, IP: a.IP,
		Body: fmt.Sprintf("account %q moved from SSO provider %s to %s by %s; it is linked to the new provider by its login name at its first sign-in or SCIM request",
			u.Username, describeProvider(from), describeProvider(to), describeActor(a))}
	return true, mapStoreErr(s.ssoEvents.Write(ctx, e, to), "record migration", nil, nil)
}

// isDirectory says whether a protocol signs people in with their
// directory password (on every channel).
func isDirectory(protocol string) bool {
	return protocol == ProtocolActiveDirectory || protocol == ProtocolOpenLDAP
}

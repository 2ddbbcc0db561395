// Package directory connects the identity core to LDAP and Active
// Directory providers: it builds each provider's ldap.Directory from its
// settings (and keeps it, with its connection pool, until the settings
// change), checks directory passwords for the login policy, and turns
// directory entries into what the provisioning engine reads.
//
// Accounts of LDAP providers come from the sync (hourly or on demand),
// never from a sign-in: an unknown username is refused like any other,
// without asking a directory. Creating accounts just in time would turn
// every guessed username into a search in each of the site's directories,
// and the answer's timing would tell which names exist there. A person
// the directory adds signs in after the next sync; an admin can run it at
// once. Signing in does refresh an existing account: its attributes and
// groups are written through the provisioning engine when the provider
// provisions, and a person the directory disables is disabled at once.
package directory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// SecretOpener opens a provider's sealed secrets; *identity.Service is one.
type SecretOpener interface {
	OpenProviderSecret(p store.SSOStrategy, field string) (string, error)
}

// Options configure a Service.
type Options struct {
	Store store.Store
	// Secrets opens the service account's password. It may be set later
	// with SetSecrets, because the identity core that opens secrets also
	// asks this Service to check passwords.
	Secrets SecretOpener
	// Provision refreshes an account after a successful bind when the
	// provider provisions users; nil leaves accounts as they are.
	Provision *provision.Engine
	// Outbound decides which addresses the directories' hosts may be at;
	// the zero value allows public addresses only, so a directory on the
	// organisation's own network needs outbound.AllowPrivate().
	Outbound outbound.Policy
	Clock    func() time.Time
	Logger   *slog.Logger
	// Refusals records the password checks a request proved nothing by
	// (see refusedAnonymous); share the server's one and run it
	// (default: one of this service's own).
	Refusals *events.RefusalLimiter
}

// Service keeps one *ldap.Directory per provider. It is safe for
// concurrent use.
type Service struct {
	opts    Options
	now     func() time.Time
	log     *slog.Logger
	mu      sync.Mutex
	secrets SecretOpener
	dirs    map[int64]cachedDirectory
	// refreshed spares the store a write per sign-in of an unchanged person.
	refreshed refreshedSet
	events    *events.SSOLog // the ldap_login events
}

type cachedDirectory struct {
	version string // fingerprint of the settings it was built from
	dir     *ldap.Directory
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{opts: o, now: o.Clock, log: o.Logger, secrets: o.Secrets, dirs: map[int64]cachedDirectory{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.opts.Refusals == nil {
		s.opts.Refusals = events.NewRefusalLimiter(o.Store, events.RefusalLimits{Clock: s.now, Logger: s.log})
	}
	s.events = events.NewSSOLog(o.Store, s.opts.Refusals, s.now, s.log)
	return s
}

// SetSecrets sets the opener of provider secrets; call it once, before
// the first request.
func (s *Service) SetSecrets(o SecretOpener) {
	s.mu.Lock()
	s.secrets = o
	s.mu.Unlock()
}

// Directory returns the provider's directory, building it (or rebuilding
// it when the provider's settings changed since) from its ldap_* fields.
func (s *Service) Directory(ctx context.Context, p store.SSOStrategy) (*ldap.Directory, error) {
	version := settingsVersion(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.dirs[p.ID]; ok && c.version == version {
		return c.dir, nil
	}
	if !UsesLDAP(p) {
		return nil, &ldap.Error{Kind: ldap.KindConfig, Detail: fmt.Sprintf("provider %d (%s) does not use LDAP: set protocol active_directory or open_ldap, or ldap_provisioning_enabled", p.ID, p.Protocol)}
	}
	if s.secrets == nil {
		return nil, &ldap.Error{Kind: ldap.KindConfig, Detail: "the server cannot open the LDAP service account password (no secret opener configured)"}
	}
	password, err := s.secrets.OpenProviderSecret(p, identity.SecretLDAPPassword)
	if err != nil {
		return nil, &ldap.Error{Kind: ldap.KindConfig, Detail: "the LDAP service account password cannot be opened: set ldap_password again", Err: err}
	}
	cfg, err := ConfigFrom(p, password)
	if err != nil {
		return nil, &ldap.Error{Kind: ldap.KindConfig, Detail: "the provider's LDAP settings cannot be read", Err: err}
	}
	cfg.Dial = s.opts.Outbound.DialContext
	dir, err := ldap.New(cfg)
	if err != nil {
		return nil, err
	}
	if old, ok := s.dirs[p.ID]; ok {
		_ = old.dir.Close()
	}
	s.dirs[p.ID] = cachedDirectory{version: version, dir: dir}
	return dir, nil
}

// Forget closes and drops a provider's directory (the provider was deleted).
func (s *Service) Forget(providerID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.dirs[providerID]; ok {
		_ = c.dir.Close()
		delete(s.dirs, providerID)
	}
}

// Close closes every directory.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, c := range s.dirs {
		_ = c.dir.Close()
		delete(s.dirs, id)
	}
	return nil
}

// settingsVersion fingerprints everything ConfigFrom reads, so that any
// change of the provider's settings builds a new directory.
func settingsVersion(p store.SSOStrategy) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00%s\x00%s\x00%s\x00%s\x00%d\x00%t\x00%s\x00%s\x00%s\x00%s\x00%s\x00%t\x00%s\x00",
		p.SiteID, p.Protocol, p.LDAPHost, p.LDAPHost2, p.LDAPHost3, p.LDAPPort, p.LDAPSecure, p.LDAPType,
		p.LDAPUsername, p.LDAPBaseDN, p.LDAPDomain, p.LDAPUsernameField, p.LDAPProvisioningEnabled, p.Options)
	h.Write(p.LDAPPasswordEnc)
	return hex.EncodeToString(h.Sum(nil))
}

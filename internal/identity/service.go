// Package identity is Gatehouse's identity core: sites, users, groups,
// credentials, and the one login policy every front end asks. Front ends
// (web, REST, CLI, later SFTP/FTP/WebDAV) call a Service; only the Service
// changes identity records in the store.
package identity

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Channel is the way a sign-in arrives.
type Channel string

// The channels of the login policy.
const (
	ChannelWeb     Channel = "web"
	ChannelDesktop Channel = "desktop"
	ChannelAPI     Channel = "api"
	ChannelSFTP    Channel = "sftp"
	ChannelFTP     Channel = "ftp"
	ChannelWebDAV  Channel = "webdav"
)

// Credential is what a sign-in presents.
type Credential string

// The credentials of the login policy.
const (
	CredentialPassword Credential = "password"
	CredentialAPIKey   Credential = "api_key"
	CredentialSSHKey   Credential = "ssh_key"
	CredentialSSO      Credential = "sso" // a verified SAML assertion or OIDC token
	// CredentialSession is a session a sign-in on the web, the desktop app
	// or the API started, presented again; it stands for the credential
	// that started it.
	CredentialSession Credential = "session"
)

// Directory checks a password against an LDAP/AD provider. The LDAP
// connector implements it; tests use a double.
type Directory interface {
	// CheckPassword returns nil if the directory accepts the password for
	// username, ErrInvalidUsernameOrPassword if it refuses it, and another
	// error if the directory cannot be asked.
	CheckPassword(ctx context.Context, provider store.SSOStrategy, username, password string) error
}

// DirectoryUser is what a Directory may also offer: the password check
// for an account the core has already read, with the sign-in's address,
// so that the directory need not read the account again and its events
// can name where the sign-in came from. The core prefers it when present.
type DirectoryUser interface {
	CheckUserPassword(ctx context.Context, provider store.SSOStrategy, u store.User, password, ip string) error
}

// Actor is who asks for a change: a signed-in user, or the system (the CLI
// run by the operator, or the first-run setup).
type Actor struct {
	UserID    int64
	Username  string
	SiteAdmin bool
	System    bool
	IP        string
	// SessionID is the session the request came with (0: none). A change
	// that ends a user's sessions, such as a new password, keeps this one
	// when the user is the actor, so the person who made it stays signed in.
	SessionID int64
}

// SystemActor is the operator at the command line.
var SystemActor = Actor{Username: "system", SiteAdmin: true, System: true}

// ActorFor returns the Actor for a signed-in user.
func ActorFor(u store.User, ip string) Actor {
	return Actor{UserID: u.ID, Username: u.Username, SiteAdmin: u.SiteAdmin, IP: ip}
}

// Options configure a Service. Zero values pick the defaults.
type Options struct {
	Clock     func() time.Time // default time.Now
	Logger    *slog.Logger     // default slog.Default()
	Sealer    *secret.Sealer   // required for provider secrets
	Directory Directory        // LDAP password checks; nil refuses LDAP users
	// PasswordHashing sets the argon2id cost; nil picks OWASP's argon2id minimum (19 MiB, 2 passes).
	PasswordHashing *PasswordParams
	// Refusals records the external events a request without a valid
	// credential causes (a refused sign-in on a file channel, a throttled
	// address), so that a flood of them cannot fill the external log.
	// Share the server's one and run it (default: one of this service's
	// own, whose windows close only as new refusals arrive).
	Refusals *events.RefusalLimiter
}

// Service is the identity core. It is safe for concurrent use.
type Service struct {
	st     store.Store
	opts   Options
	now    func() time.Time
	log    *slog.Logger
	hasher *passwordHasher
	sites  siteCache
	// throttle counts failed password sign-ins per source address.
	throttle *failureThrottle
	trust    trustHolder
	refusals *events.RefusalLimiter
	// ssoEvents writes the SSO events the core records itself (an
	// account moved to another provider), made as every SSO event is.
	ssoEvents *events.SSOLog
	// versions are the accounts' versions open transfer connections
	// check at each request (accountversions.go).
	versions accountVersions
	scimDummyState
}

// New returns a Service over a store.
func New(st store.Store, o Options) *Service {
	s := &Service{st: st, opts: o, now: o.Clock, log: o.Logger, throttle: newFailureThrottle(), refusals: o.Refusals}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.refusals == nil {
		s.refusals = events.NewRefusalLimiter(st, events.RefusalLimits{Clock: s.now, Logger: s.log})
	}
	s.ssoEvents = events.NewSSOLog(st, s.refusals, s.now, s.log)
	p := defaultPasswordParams
	if o.PasswordHashing != nil {
		p = *o.PasswordHashing
	}
	s.hasher = newPasswordHasher(p)
	return s
}

package store

import "time"

// Authentication methods a user can have (Files.com's user.authentication_method).
const (
	AuthPassword    = "password"
	AuthSSO         = "sso"
	AuthNone        = "none"
	AuthEmailSignup = "email_signup"
)

// Site is a tenant. Every other record belongs to exactly one site.
type Site struct {
	ID        int64
	Subdomain string // "" for nothing; the default site answers hosts that match no site
	Name      string
	IsDefault bool

	SessionExpiryMinutes  int
	NonSSOUsersAllowed    bool
	NonSSOGroupsAllowed   bool
	UserLockout           bool
	UserLockoutTries      int
	UserLockoutWithin     int // hours
	UserLockoutLockPeriod int // hours
	PasswordMinLength     int
	LoginHelpText         string
	EventRetentionDays    int

	CreatedAt time.Time
	UpdatedAt time.Time
}

// DefaultSiteSettings returns the settings a new site starts with; they
// follow Files.com's documented defaults where it publishes them.
func DefaultSiteSettings() Site {
	return Site{
		SessionExpiryMinutes:  360,
		NonSSOUsersAllowed:    true,
		NonSSOGroupsAllowed:   true,
		UserLockout:           true,
		UserLockoutTries:      6,
		UserLockoutWithin:     6,
		UserLockoutLockPeriod: 6,
		PasswordMinLength:     12,
		EventRetentionDays:    90,
	}
}

// User is an account on a site. Zero times mean "never".
type User struct {
	ID                     int64
	SiteID                 int64
	Username               string // unique per site, compared case-insensitively
	Email                  string
	Name                   string
	Company                string
	TimeZone               string
	Notes                  string
	AuthenticationMethod   string
	SSOStrategyID          int64  // 0: none
	ExternalID             string // the provider's immutable id for this person
	ExternallyManaged      bool
	SiteAdmin              bool
	Disabled               bool
	RequirePasswordChange  bool
	FTPPermission          bool
	SFTPPermission         bool
	DAVPermission          bool
	RestAPIPermission      bool
	NotifyOnAllSSOFailures bool

	PasswordHash  string // argon2id PHC string; never leaves the server
	PasswordSetAt time.Time

	// Lockout accounting: FailedLogins failures counted since FailedLoginsSince.
	FailedLogins      int
	FailedLoginsSince time.Time
	LockoutExpires    time.Time

	FirstLoginAt       time.Time
	LastLoginAt        time.Time
	LastWebLoginAt     time.Time
	LastDesktopLoginAt time.Time
	LastRestAPILoginAt time.Time
	LastSFTPLoginAt    time.Time
	LastFTPLoginAt     time.Time
	LastDAVLoginAt     time.Time
	LastAPIUseAt       time.Time

	// SCIM is what a SCIM client sent about the account beyond the fields
	// above; empty for accounts no SCIM client wrote.
	SCIM SCIMProfile

	CreatedAt time.Time
	UpdatedAt time.Time
}

// SCIMProfile keeps a SCIM User resource's attributes that have no account
// field, so that a client reads back what it wrote ("values sent should be
// stored in the same format they were sent"). The filterable ones have
// columns; everything else rides in Attributes.
type SCIMProfile struct {
	// ExternalID is the client's externalId. Unlike User.ExternalID (the
	// immutable key provisioning matches on) a client may change it.
	ExternalID     string
	DisplayName    string
	EmployeeNumber string // enterprise extension
	Department     string // enterprise extension
	Manager        string // enterprise extension: the manager's SCIM id
	// Attributes is a JSON object of the resource's other attributes
	// (name, emails, phoneNumbers, addresses, title, custom extensions …),
	// as the client sent them; "" when there are none.
	Attributes string
	// Deleted: the provider deleted the user over SCIM and Gatehouse keeps
	// the account, disabled (deprovision_behavior disable). SCIM answers
	// 404 for it (RFC 7644 §3.6); a POST of the same person restores it.
	Deleted bool
}

// Group is a set of users; its protocol permissions are OR-ed with each member's.
type Group struct {
	ID                int64
	SiteID            int64
	Name              string // unique per site, compared case-insensitively
	Notes             string
	FTPPermission     bool
	SFTPPermission    bool
	DAVPermission     bool
	RestAPIPermission bool
	SSOStrategyID     int64  // provider that manages the group; 0 for none
	ExternalID        string // the provider's immutable id for the group
	// SCIMDeleted: the provider deleted the group over SCIM and Gatehouse
	// keeps it (deprovision_groups off). SCIM answers 404 for it (RFC 7644
	// §3.6); a POST of the same group (its externalId) restores it.
	SCIMDeleted bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// GroupUser is one membership. GroupName and Username are filled on reads.
type GroupUser struct {
	ID      int64
	SiteID  int64
	GroupID int64
	UserID  int64
	Admin   bool
	// SSOStrategyID is the provider whose provisioning made the membership,
	// 0 when an admin made it: provisioning only ever removes memberships
	// it made itself.
	SSOStrategyID int64
	GroupName     string
	Username      string
	CreatedAt     time.Time
}

// UserGroup is one of a user's groups with the user's membership in it:
// whether they administer it.
type UserGroup struct {
	Group
	Admin bool
}

// Membership is a membership as provisioning reads and writes it in bulk:
// no names and no times, so that hundreds of thousands fit in memory.
type Membership struct {
	ID            int64 // set on reads; ignored on writes
	GroupID       int64
	UserID        int64
	Admin         bool
	SSOStrategyID int64 // provider that made it; 0: an admin
}

// APIKey authenticates a user (or, with UserID 0, the whole site). Only a
// hash of the key is stored; the key itself is shown once when created.
type APIKey struct {
	ID               int64
	SiteID           int64
	UserID           int64
	Name             string
	Description      string
	DescriptiveLabel string // the key's first characters, shown to help people tell keys apart
	KeyHash          []byte
	PermissionSet    string
	ExpiresAt        time.Time
	// ExpiresCeiling is the latest ExpiresAt the key's owner may set (zero:
	// none): a site admin who gave the key its expiry set it, so the owner
	// may shorten that expiry but not lengthen or remove it.
	ExpiresCeiling time.Time
	LastUseAt      time.Time
	CreatedAt      time.Time
}

// PublicKey is an SSH public key a user may sign in with over SFTP.
type PublicKey struct {
	ID                int64
	SiteID            int64
	UserID            int64
	Title             string
	PublicKey         string // authorized_keys format
	FingerprintSHA256 string // "SHA256:..." as ssh-keygen -l prints it
	LastLoginAt       time.Time
	CreatedAt         time.Time
}

// Session is a server-side sign-in. Only a hash of its token is stored.
type Session struct {
	ID              int64
	SiteID          int64
	UserID          int64
	TokenHash       []byte
	Channel         string
	IP              string
	UserAgent       string
	SSOSessionIndex string // SAML SessionIndex, for IdP-initiated logout
	ExpiresAt       time.Time
	CreatedAt       time.Time
}

// SSOStrategy is an identity provider configured on a site ("SSO provider").
// Field names follow Files.com's sso_strategy object. The secrets are stored
// encrypted with the master key (see package secret) and never returned.
type SSOStrategy struct {
	ID                               int64
	SiteID                           int64
	Protocol                         string
	Provider                         string
	Label                            string
	LogoURL                          string
	Enabled                          bool
	DisplayOnLoginPage               bool
	ProviderIdentifier               string
	Subdomain                        string
	ClientID                         string
	ClientSecretEnc                  []byte
	SAMLProviderCertFingerprint      string
	SAMLProviderIssuerURL            string
	SAMLProviderMetadataContent      string
	SAMLProviderMetadataURL          string
	SAMLProviderSLOTargetURL         string
	SAMLProviderSSOTargetURL         string
	SCIMAuthenticationMethod         string
	SCIMUsername                     string
	SCIMPasswordEnc                  []byte
	SCIMTokenHash                    []byte
	SCIMTokenExpiresAt               time.Time
	ProvisionUsers                   bool
	ProvisionGroups                  bool
	DeprovisionUsers                 bool
	DeprovisionGroups                bool
	DeprovisionBehavior              string
	ProvisionGroupDefault            string
	ProvisionGroupExclusion          string
	ProvisionGroupInclusion          string
	ProvisionGroupRequired           string
	ProvisionEmailSignupGroups       string
	ProvisionReadonlySiteAdminGroups string
	ProvisionSiteAdminGroups         string
	ProvisionGroupAdminGroups        string
	ProvisionDAVPermission           bool
	ProvisionFTPPermission           bool
	ProvisionSFTPPermission          bool
	ProvisionTimeZone                string
	ProvisionCompany                 string
	ProvisionRequire2FA              string
	ProvisionFilesystemLayout        string
	LDAPBaseDN                       string
	LDAPDomain                       string
	LDAPHost                         string
	LDAPHost2                        string
	LDAPHost3                        string
	LDAPPort                         int
	LDAPSecure                       bool
	LDAPType                         string
	LDAPUsername                     string
	LDAPPasswordEnc                  []byte
	LDAPUsernameField                string
	LDAPProvisioningEnabled          bool
	// Options holds Gatehouse-specific settings as a JSON object (attribute
	// names, group id -> name table, safety limits, CA bundle …), so that a
	// connector can grow settings without a migration per field.
	Options   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SSOEvent is one entry of the SSO log: a sign-in, a refusal, a provisioning
// action or a sync run.
type SSOEvent struct {
	ID            int64
	SiteID        int64
	EventType     string
	Status        string
	Body          string
	EventErrors   []string
	UserID        int64
	Username      string
	IdPUID        string
	Provider      string
	ProviderLabel string
	SSOStrategyID int64
	IP            string
	Region        string
	CreatedAt     time.Time
}

// ExternalEvent is one entry of the external log (sync runs, lockouts,
// administrative guard decisions). Status is one of the Event* constants.
type ExternalEvent struct {
	ID            int64
	SiteID        int64
	EventType     string
	Status        string
	Body          string
	SSOStrategyID int64
	CreatedAt     time.Time
}

// Statuses of external events, as Files.com names them.
const (
	EventSuccess        = "success"
	EventFailure        = "failure"
	EventPartialFailure = "partial_failure"
	EventInProgress     = "in_progress"
	EventSkipped        = "skipped"
)

// ScimLog is one SCIM request and its response, secrets redacted.
type ScimLog struct {
	ID               int64
	SiteID           int64
	SSOStrategyID    int64
	RequestPath      string
	RequestMethod    string
	HTTPResponseCode int
	UserAgent        string
	RequestJSON      string
	ResponseJSON     string
	CreatedAt        time.Time
}

// LoginState is one sign-in in flight that any node may finish: a SAML
// AuthnRequest we sent, an OIDC authorization request. It is single-use
// (TakeLoginState deletes it) and short-lived. KeyHash is a hash of the
// value the browser or identity provider brings back, never that value.
type LoginState struct {
	KeyHash       []byte
	SiteID        int64
	SSOStrategyID int64
	Kind          string // LoginStateSAMLRequest, LoginStateOIDC …
	Data          string // what the finishing node needs, as the kind defines
	ExpiresAt     time.Time
	CreatedAt     time.Time
}

// Kinds of login state.
const (
	LoginStateSAMLRequest = "saml_request"
	LoginStateOIDC        = "oidc"
	// LoginStateSAMLSession links a session to the IdP session that
	// started it (NameID, SessionIndex), for SP-initiated single logout;
	// it expires with the session.
	LoginStateSAMLSession = "saml_session"
	// LoginStateSAMLLogout is a LogoutRequest we sent, waiting for its
	// LogoutResponse.
	LoginStateSAMLLogout = "saml_logout"
	// LoginStateHandoff carries a new session from the shared ACS to the
	// site's own host name, once.
	LoginStateHandoff = "handoff"
)

// SSOMetadata is the last good identity provider metadata fetched from a
// provider's metadata URL, kept so that sign-in goes on while the URL is
// unreachable, with the last failure to refresh it.
type SSOMetadata struct {
	SSOStrategyID int64
	Raw           string
	FetchedAt     time.Time // when Raw was fetched
	LastError     string    // the last refresh failure; empty after a success
	LastErrorAt   time.Time
	// SourceURL is the metadata URL Raw and the failures were read from; a
	// copy of another URL is no copy of the provider's current one.
	SourceURL string
	// Failures counts the failed fetches of SourceURL since the last
	// success, which space out the next tries.
	Failures int
}

// SAMLSPKey is a site's SAML service provider key pair. The private key
// (PKCS#8 DER) is sealed with the master key; the certificate is the
// self-signed X.509 DER published in the SP metadata.
type SAMLSPKey struct {
	SiteID        int64
	PrivateKeyEnc []byte
	Certificate   []byte
	CreatedAt     time.Time
}

// DAVLock is a WebDAV lock (RFC 4918). Root is the locked path in the
// site's shared namespace (the WebDAV front end maps each user's view onto
// it, so two people's paths to one group folder meet). A lock with
// ZeroDepth covers Root only; otherwise everything under it as well.
type DAVLock struct {
	SiteID int64
	// UserID is who took the lock; 0 for a lock taken before Gatehouse
	// recorded it. Deleting the user removes their locks.
	UserID    int64
	Token     string
	Root      string
	ZeroDepth bool
	OwnerXML  string
	// Timeout is the duration the client asked for; negative means
	// infinite. ExpiresAt is zero for a lock that never expires.
	Timeout   time.Duration
	ExpiresAt time.Time
	CreatedAt time.Time
}

// FileUpload is a multi-part REST upload that was begun and not yet
// finished: the REST API hands out one signed URI per part, the parts'
// bytes are staged by the file storage, and the end assembles them under
// Path. Ref is the random reference the client holds.
type FileUpload struct {
	Ref    string
	SiteID int64
	UserID int64
	// APIKeyID or SessionID is the credential the upload was begun with
	// (the other is 0): every use of the upload asks again whether it
	// still stands.
	APIKeyID  int64
	SessionID int64
	Path      string
	// DeclaredSize is the total size the client announced, -1 when it
	// announced none.
	DeclaredSize int64
	// Ending is set while an end assembles the upload, so a second end
	// (a replay, or a retry racing the first) is refused.
	Ending    bool
	ExpiresAt time.Time
	CreatedAt time.Time
}

// FileUploadPart is one received part of a FileUpload. A part sent again
// replaces the earlier one, with a new ETag. A part whose bytes began to
// arrive and never arrived whole is pending: Size -1, no ETag.
type FileUploadPart struct {
	Ref        string
	Part       int
	Size       int64
	ETag       string
	ReceivedAt time.Time
	// Placement is where the part goes in the upload's file, fixed when
	// its bytes first began to arrive; nil for a part recorded without.
	Placement *PartPlacement
	// HashState is the MD5 and CRC-32 state over the upload's file from
	// its first byte to this part's end, with this version of the part
	// and of every part before it (nil: not hashed yet), so the end
	// hashes only what is left.
	HashState []byte
}

// PartPlacement is where a part of a multi-part upload is written.
type PartPlacement struct {
	// Length is the part's length as its sender announced it when it
	// began (its Content-Length), -1 when not announced. A part that is
	// sent again must have the same length: the offsets of the parts
	// after it were computed from it.
	Length int64
	// Offset is where the part is written in the upload's assembly file,
	// -1 when it is staged on its own (it began before the parts before
	// it) and copied into place at the end.
	Offset int64
}

// FileUploadCounts is how many unfinished uploads are live: one user's,
// their site's and the whole server's, with the earliest expiry among the
// user's and among the site's (zero when there are none).
type FileUploadCounts struct {
	User, Site, Total        int
	UserExpires, SiteExpires time.Time
}

// PublicAddress is the address serve runs at: its public base URL and the
// domain its sites are addressed under (SUBDOMAIN.SiteDomain; empty when
// sites are not addressed by host). The command line reads it to print
// the absolute URLs the server would.
type PublicAddress struct {
	BaseURL    string
	SiteDomain string
}

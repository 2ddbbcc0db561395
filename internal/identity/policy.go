package identity

import "github.com/gatehouse/gatehouse/internal/store"

// MethodClass is how the login policy sees a user's authentication method:
// not the stored string, but what it means for which credentials work.
type MethodClass string

// The method classes of the login policy.
const (
	// MethodPassword: authentication_method "password", or "email_signup"
	// once the user has set a password.
	MethodPassword MethodClass = "password"
	// MethodFederatedSSO: "sso" through a SAML or OAuth2/OIDC provider (or
	// through a provider that is missing or only provisions, such as SCIM:
	// such a user is still meant to sign in through single sign-on).
	MethodFederatedSSO MethodClass = "federated_sso"
	// MethodLDAP: "sso" through an Active Directory or OpenLDAP provider,
	// whose directory password works everywhere.
	MethodLDAP MethodClass = "ldap"
	// MethodNone: "none" (and "email_signup" before a password is set):
	// only API keys and SSH keys.
	MethodNone MethodClass = "none"
)

// Permissions are the protocol permissions of a user, already OR-ed with
// those of the user's groups (see EffectivePermissions).
type Permissions struct {
	RestAPI bool // web, desktop and REST API: one unified permission, as on Files.com
	SFTP    bool
	FTP     bool
	DAV     bool
}

// EffectivePermissions ORs a user's protocol permissions with their
// groups': a group's true overrides the user's false (Files.com semantics).
func EffectivePermissions(u store.User, groups []store.Group) Permissions {
	p := Permissions{RestAPI: u.RestAPIPermission, SFTP: u.SFTPPermission, FTP: u.FTPPermission, DAV: u.DAVPermission}
	for _, g := range groups {
		p.RestAPI = p.RestAPI || g.RestAPIPermission
		p.SFTP = p.SFTP || g.SFTPPermission
		p.FTP = p.FTP || g.FTPPermission
		p.DAV = p.DAV || g.DAVPermission
	}
	return p
}

// ClassifyMethod returns the policy class of a user whose SSO provider (if
// any) is provider; provider is nil when the user has none or it is gone.
func ClassifyMethod(u store.User, provider *store.SSOStrategy) MethodClass {
	switch u.AuthenticationMethod {
	case store.AuthPassword:
		return MethodPassword
	case store.AuthEmailSignup:
		if u.PasswordHash != "" {
			return MethodPassword
		}
		return MethodNone
	case store.AuthSSO:
		if provider != nil && (provider.Protocol == ProtocolActiveDirectory || provider.Protocol == ProtocolOpenLDAP) {
			return MethodLDAP
		}
		return MethodFederatedSSO
	case store.AuthNone:
		return MethodNone
	}
	// An unknown stored method gets a class Decide has no rules for, so it
	// refuses every sign-in: fail closed.
	return MethodClass("unknown:" + u.AuthenticationMethod)
}

// Decision is everything the login policy looks at.
type Decision struct {
	Method      MethodClass
	Channel     Channel
	Credential  Credential
	Permissions Permissions
	Disabled    bool
	// ProviderDisabled: the user's SSO provider is switched off, so
	// credentials checked through it (an SSO assertion, a directory
	// password) are refused; keys, which Gatehouse checks itself, still work.
	ProviderDisabled bool
	// RequirePasswordChange: a password user must change their password;
	// only the web (which shows the change page) lets them in with it.
	RequirePasswordChange bool
}

// Decide is the login policy: it returns nil when a user of this shape may
// sign in over this channel with this credential, and otherwise the error
// to answer with. It decides before the credential is verified; the caller
// verifies the credential after a nil answer, except that a password is
// verified before a refusal is told (LoginWithPassword): a refusal names
// an account, which a wrong password must not. Every front end reaches it
// through the Service's Login* methods, and nothing else decides.
//
// A password lockout is not part of this policy. It exists because someone
// may be guessing the password, so it stops only the one thing guessing
// needs — a new password sign-in, which LoginWithPassword refuses before it
// gets here — and nothing the lockout says nothing about: API keys, SSH
// keys, single sign-on, sessions already started, and connections asked
// again (Readmit) keep the answer this function gives them. Otherwise
// anyone could cut an admin off every channel by typing wrong passwords.
//
// The order of the checks is part of the policy: disabled, then the
// channel's protocol permission (a channel the user may not
// use at all is the more useful answer than "use another credential", which
// would lead to the same wall), then the credential table, then the
// provider state, then the password-change requirement last, because the
// Service only reveals that one once the password has been verified.
func Decide(d Decision) error {
	if d.Disabled {
		return ErrUserDisabled
	}
	perm, ok := channelPermissions[d.Channel]
	if !ok {
		return ErrNotAuthorized.With("%q is not a sign-in channel", d.Channel)
	}
	if !perm.granted(d.Permissions) {
		return ErrChannelNotPermitted.With("this user lacks %s, which %s needs; a site admin can grant it on the user or on one of their groups",
			perm.name, d.Channel)
	}
	rules, ok := loginPolicy[d.Method]
	if !ok {
		return ErrNotAuthorized.With("the user's authentication method is not one Gatehouse signs in")
	}
	rule, ok := rules[d.Credential]
	if !ok {
		return ErrNotAuthorized.With("%q is not a credential Gatehouse accepts", d.Credential)
	}
	if !rule.allowed[d.Channel] {
		return rule.refuse(d.Channel)
	}
	if rule.throughProvider && d.ProviderDisabled {
		return ErrNotAuthorized.With("the user's SSO provider is disabled; a site admin can enable it or move the user to another provider")
	}
	if d.Credential == CredentialPassword && d.Method == MethodPassword && d.RequirePasswordChange && d.Channel != ChannelWeb {
		return ErrPasswordChangeRequired.With("the password must be changed before it works over %s: sign in on the web page, "+
			"or send the new password as change_password with POST /api/rest/v1/sessions", d.Channel)
	}
	return nil
}

// channelPermission names the user permission a channel needs.
type channelPermission struct {
	name    string
	granted func(Permissions) bool
}

var channelPermissions = map[Channel]channelPermission{
	ChannelWeb:     {"restapi_permission", func(p Permissions) bool { return p.RestAPI }},
	ChannelDesktop: {"restapi_permission", func(p Permissions) bool { return p.RestAPI }},
	ChannelAPI:     {"restapi_permission", func(p Permissions) bool { return p.RestAPI }},
	ChannelSFTP:    {"sftp_permission", func(p Permissions) bool { return p.SFTP }},
	ChannelFTP:     {"ftp_permission", func(p Permissions) bool { return p.FTP }},
	ChannelWebDAV:  {"dav_permission", func(p Permissions) bool { return p.DAV }},
}

// credentialRule says on which channels a credential works for a method
// class, and what to answer elsewhere.
type credentialRule struct {
	allowed         map[Channel]bool
	refuse          func(Channel) error
	throughProvider bool // checked by the user's SSO provider
}

type channelSet = map[Channel]bool

var (
	everyChannel = channelSet{ChannelWeb: true, ChannelDesktop: true, ChannelAPI: true,
		ChannelSFTP: true, ChannelFTP: true, ChannelWebDAV: true}
	// API keys stand in for a password on the API, FTP and WebDAV, and sign
	// in the desktop app; the web wants a person, SFTP wants an SSH key.
	apiKeyChannels = channelSet{ChannelAPI: true, ChannelFTP: true, ChannelWebDAV: true, ChannelDesktop: true}
	sshKeyChannels = channelSet{ChannelSFTP: true}
	// SSO assertions only arrive through a browser: the web or the desktop app.
	ssoChannels = channelSet{ChannelWeb: true, ChannelDesktop: true}
	// Sessions are started by sign-ins on the web, the desktop app and the
	// API, and are presented there.
	sessionChannels = channelSet{ChannelWeb: true, ChannelDesktop: true, ChannelAPI: true}
)

// refuseSession: the transfer channels keep their own sign-ins.
func refuseSession(ch Channel) error {
	return ErrNotAuthorized.With("sessions are not a way to sign in over %s", ch)
}

func refuseAPIKey(ch Channel) error {
	if ch == ChannelSFTP {
		return ErrNotAuthorized.With("API keys do not sign in over SFTP; use an SSH key")
	}
	return ErrNotAuthorized.With("API keys do not sign in to the %s interface; sign in as a person", ch)
}

func refuseSSHKey(ch Channel) error {
	return ErrNotAuthorized.With("SSH keys only sign in over SFTP, not %s", ch)
}

// apiKeyRule and sshKeyRule are the same for every method class: Gatehouse
// checks keys itself, whatever signs the user in otherwise.
var (
	apiKeyRule = credentialRule{allowed: apiKeyChannels, refuse: refuseAPIKey}
	sshKeyRule = credentialRule{allowed: sshKeyChannels, refuse: refuseSSHKey}
)

var loginPolicy = map[MethodClass]map[Credential]credentialRule{
	MethodPassword: {
		CredentialPassword: {allowed: everyChannel},
		CredentialAPIKey:   apiKeyRule,
		CredentialSSHKey:   sshKeyRule,
		CredentialSSO: {refuse: func(Channel) error {
			return ErrNotAuthorized.With("this user is not assigned to an SSO provider; sign in with a password")
		}},
		CredentialSession: {allowed: sessionChannels, refuse: refuseSession},
	},
	MethodFederatedSSO: {
		// Files.com: only AD/LDAP passwords work outside the browser; every
		// other SSO user needs an API or SSH key there.
		CredentialPassword: {refuse: func(ch Channel) error {
			if ssoChannels[ch] {
				return ErrMustUseSSO
			}
			return ErrMustAuthenticateWithAPIKey
		}},
		CredentialAPIKey: apiKeyRule,
		CredentialSSHKey: sshKeyRule,
		CredentialSSO: {allowed: ssoChannels, throughProvider: true, refuse: func(Channel) error {
			return ErrMustAuthenticateWithAPIKey
		}},
		// A session started through the provider ends with it.
		CredentialSession: {allowed: sessionChannels, throughProvider: true, refuse: refuseSession},
	},
	MethodLDAP: {
		CredentialPassword: {allowed: everyChannel, throughProvider: true},
		CredentialAPIKey:   apiKeyRule,
		CredentialSSHKey:   sshKeyRule,
		CredentialSSO: {refuse: func(Channel) error {
			return ErrNotAuthorized.With("this user is not assigned to a single sign-on provider; sign in with the directory password")
		}},
		CredentialSession: {allowed: sessionChannels, throughProvider: true, refuse: refuseSession},
	},
	MethodNone: {
		CredentialPassword: {refuse: func(ch Channel) error {
			if ch == ChannelWeb {
				return ErrNotAuthorized.With("this user has no password; they sign in only with API keys and SSH keys")
			}
			return ErrMustAuthenticateWithAPIKey.With("this user has no password; use an API key (or an SSH key for SFTP)")
		}},
		CredentialAPIKey: apiKeyRule,
		CredentialSSHKey: sshKeyRule,
		CredentialSSO: {refuse: func(Channel) error {
			return ErrNotAuthorized.With("this user is not assigned to an SSO provider")
		}},
		CredentialSession: {allowed: sessionChannels, refuse: refuseSession},
	},
}

package identity

// SSO provider protocols (Files.com's sso_strategy.protocol).
const (
	ProtocolOAuth2          = "oauth2"
	ProtocolSAML            = "saml"
	ProtocolActiveDirectory = "active_directory"
	ProtocolOpenLDAP        = "open_ldap"
	ProtocolSCIM            = "scim"
)

// ssoProtocols are the protocols Gatehouse accepts; Files.com's placeholder
// "_unused_openid2" is left out on purpose.
var ssoProtocols = []string{ProtocolOAuth2, ProtocolSAML, ProtocolActiveDirectory, ProtocolOpenLDAP, ProtocolSCIM}

// ProviderGenericOIDC is the provider of an OpenID Connect provider that
// is none of those Files.com names (its issuer is in options): Files.com's
// enum has no such value, so this one is Gatehouse's addition.
const ProviderGenericOIDC = "oidc"

// ssoProviders is Files.com's sso_strategy.provider enum, without its
// "_unused_ubuntu" placeholder, and with ProviderGenericOIDC.
var ssoProviders = []string{"google", "auth0", "okta", "atlassian", "azure", "box", "dropbox", "slack",
	"onelogin", "saml", "idaptive", "ldap", "scim", ProviderGenericOIDC}

// defaultProviderFor names the provider a protocol implies when a create
// does not say; oauth2 has no single answer, so it must be given.
var defaultProviderFor = map[string]string{
	ProtocolSAML:            "saml",
	ProtocolActiveDirectory: "ldap",
	ProtocolOpenLDAP:        "ldap",
	ProtocolSCIM:            "scim",
}

var (
	deprovisionBehaviors  = []string{"disable", "delete"}
	scimAuthMethods       = []string{"none", "basic", "token"}
	provisionRequire2FAs  = []string{"use_system_setting", "always_require", "never_require"}
	filesystemLayouts     = []string{"site_root", "user_root", "partner_root", "integration_centric", "workspace_root"}
	ldapTypes             = []string{ProtocolActiveDirectory, ProtocolOpenLDAP}
	apiKeyPermissionSets  = []string{"none", "full", "desktop_app", "sync_app", "office_integration", "mobile_app", "files_only"}
	authenticationMethods = []string{"password", "sso", "none", "email_signup"}
	externalEventStatuses = []string{"success", "failure", "partial_failure", "in_progress", "skipped"}
)

package console

import "github.com/gatehouse/gatehouse/internal/identity"

// kind is one entry of "Add provider": an identity provider product and
// the protocol Gatehouse speaks with it. Each kind's form asks only what
// that kind needs; the provider it creates is an ordinary provider of
// the REST API (protocol and provider as Files.com names them).
type kind struct {
	Key      string // in the URL: /admin/new-provider/{key}
	Name     string // what the admin picks
	Protocol string
	Provider string
	About    string // one line under the name
	// Guide is the short numbered guide shown beside the values to paste.
	Guide []string
}

// Protocol families, which decide the form's sections.
func (k kind) SAML() bool { return k.Protocol == identity.ProtocolSAML }

// OIDC reports whether the kind signs in with OpenID Connect.
func (k kind) OIDC() bool { return k.Protocol == identity.ProtocolOAuth2 }

// LDAP reports whether the kind is a directory.
func (k kind) LDAP() bool {
	return k.Protocol == identity.ProtocolActiveDirectory || k.Protocol == identity.ProtocolOpenLDAP
}

// Entra reports whether the kind is Microsoft Entra ID.
func (k kind) Entra() bool { return k.Provider == "azure" }

// NeedsSubdomain reports whether the kind's address is a subdomain of
// its vendor's domain (Okta, Auth0).
func (k kind) NeedsSubdomain() bool { return k.Provider == "okta" || k.Provider == "auth0" }

// NeedsIssuer reports whether the kind needs its issuer URL (a generic
// OpenID provider).
func (k kind) NeedsIssuer() bool { return k.OIDC() && k.Provider == identity.ProviderGenericOIDC }

var kinds = []kind{
	{Key: "entra-saml", Name: "Microsoft Entra ID (SAML)", Protocol: identity.ProtocolSAML, Provider: "azure",
		About: "Sign-in by SAML 2.0, users and groups by SCIM or just in time.",
		Guide: []string{
			"In the Entra admin center: Enterprise applications → New application → Create your own application → Non-gallery.",
			"Single sign-on → SAML → Basic SAML Configuration: paste the Identifier, Reply URL, Sign on URL, Relay State and Logout Url shown on this page.",
			"Copy the App Federation Metadata Url (SAML Certificates) and paste it as this provider's metadata URL, then save.",
			"Provisioning → Automatic: paste the Tenant URL and a Secret Token made on this page; Test Connection, then Start provisioning.",
			"Users and groups: assign the people who may sign in.",
		}},
	{Key: "entra-oidc", Name: "Microsoft Entra ID (OpenID Connect)", Protocol: identity.ProtocolOAuth2, Provider: "azure",
		About: "Sign-in by an app registration (tenant ID, client ID, client secret).",
		Guide: []string{
			"In the Entra admin center: App registrations → New registration, single tenant.",
			"Redirect URI: platform Web, paste the Redirect URI shown on this page exactly.",
			"From Overview copy the Application (client) ID and the Directory (tenant) ID; under Certificates & secrets make a client secret and copy its Value.",
			"Enter the three values here and save; the server checks the tenant's discovery document when you save.",
			"Enterprise applications → the app → Users and groups: assign the people who may sign in.",
		}},
	{Key: "okta", Name: "Okta", Protocol: identity.ProtocolOAuth2, Provider: "okta",
		About: "Sign-in by an Okta OIDC web application.",
		Guide: []string{
			"In Okta: Applications → Create App Integration → OIDC, Web Application.",
			"Sign-in redirect URI: paste the Redirect URI shown on this page.",
			"Copy the Client ID and Client secret and your Okta subdomain (the part before .okta.com) here, then save.",
			"Assignments: assign the people who may sign in.",
		}},
	{Key: "onelogin", Name: "OneLogin", Protocol: identity.ProtocolSAML, Provider: "onelogin",
		About: "Sign-in by SAML 2.0 with OneLogin's SAML Custom Connector.",
		Guide: []string{
			"In OneLogin: Applications → Add App → SAML Custom Connector (Advanced).",
			"Configuration: paste the Identifier as Audience, the Reply URL as ACS (Consumer) URL and Recipient, the Sign on URL as Login URL.",
			"SSO: copy the Issuer URL (its metadata) and paste it as this provider's metadata URL, then save.",
		}},
	{Key: "auth0", Name: "Auth0", Protocol: identity.ProtocolOAuth2, Provider: "auth0",
		About: "Sign-in by an Auth0 regular web application.",
		Guide: []string{
			"In Auth0: Applications → Create Application → Regular Web Application.",
			"Allowed Callback URLs: paste the Redirect URI shown on this page.",
			"Copy the Domain's subdomain (before .auth0.com), the Client ID and the Client Secret here, then save.",
		}},
	{Key: "google", Name: "Google", Protocol: identity.ProtocolOAuth2, Provider: "google",
		About: "Sign-in with Google accounts by an OAuth client.",
		Guide: []string{
			"In Google Cloud console: APIs & Services → Credentials → Create credentials → OAuth client ID, Web application.",
			"Authorized redirect URIs: paste the Redirect URI shown on this page.",
			"Copy the Client ID and Client secret here, then save.",
		}},
	{Key: "saml", Name: "Another SAML identity provider", Protocol: identity.ProtocolSAML, Provider: "saml",
		About: "Any SAML 2.0 identity provider: Duo, JumpCloud, Keycloak, ADFS, Shibboleth …",
		Guide: []string{
			"In the identity provider, add a SAML application (service provider) with the Identifier (Entity ID) and Reply URL (ACS) shown on this page, or give it the SP metadata URL.",
			"Give this provider the identity provider's metadata: its URL, the XML file, or its certificate's SHA-256 fingerprint with its issuer and sign-on URL.",
		}},
	{Key: "oidc", Name: "Another OpenID Connect provider", Protocol: identity.ProtocolOAuth2, Provider: identity.ProviderGenericOIDC,
		About: "Any OpenID provider with a discovery document.",
		Guide: []string{
			"In the provider, register a web application (confidential client) with the Redirect URI shown on this page.",
			"Enter its issuer (as its /.well-known/openid-configuration names it), the client ID and the client secret here, then save.",
		}},
	{Key: "active-directory", Name: "Active Directory", Protocol: identity.ProtocolActiveDirectory, Provider: "ldap",
		About: "Sign-in with directory passwords over LDAPS, users and groups by an hourly sync.",
		Guide: []string{
			"Make a read-only service account in the directory for the bind DN.",
			"Enter up to three domain controllers, the bind DN and password, and the base DN; use LDAPS (636) or StartTLS.",
			"Save, then Test connection: each step (connect, TLS, bind, search, a sample user) is shown.",
			"Sync now to read users and groups; the sync then runs every hour.",
		}},
	{Key: "openldap", Name: "OpenLDAP", Protocol: identity.ProtocolOpenLDAP, Provider: "ldap",
		About: "Sign-in with directory passwords, users and groups by an hourly sync.",
		Guide: []string{
			"Make a read-only bind DN in the directory.",
			"Enter the server, the bind DN and password, and the base DN; use LDAPS (636) or StartTLS.",
			"Save, then Test connection, then Sync now.",
		}},
}

// kindByKey finds a kind by its URL key.
func kindByKey(key string) (kind, bool) {
	for _, k := range kinds {
		if k.Key == key {
			return k, true
		}
	}
	return kind{}, false
}

// kindOf is the kind a stored provider was made as: its protocol and
// provider, else the generic kind of its protocol.
func kindOf(protocol, provider string) kind {
	for _, k := range kinds {
		if k.Protocol == protocol && k.Provider == provider {
			return k
		}
	}
	switch protocol {
	case identity.ProtocolSAML:
		k, _ := kindByKey("saml")
		return k
	case identity.ProtocolOAuth2:
		k, _ := kindByKey("oidc")
		k.Provider = provider
		return k
	}
	k, _ := kindByKey("active-directory")
	k.Protocol = protocol
	return k
}

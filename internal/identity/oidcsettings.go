package identity

import (
	"encoding/json"
	"regexp"
	"strings"
)

// Keys of store.SSOStrategy.Options that OpenID Connect (protocol oauth2)
// providers read, beside Files.com's provider, subdomain, client_id and
// client_secret. They live in Options so that the connector grows settings
// without a column per setting, as the LDAP and SAML ones do.
const (
	// OptionOIDCTenantID is the Entra tenant (directory) ID, a GUID or a
	// verified domain. Files.com's subdomain field is read when it is unset.
	OptionOIDCTenantID = "oidc_tenant_id"
	// OptionOIDCCloudInstance is the Entra cloud's sign-in host:
	// login.microsoftonline.com (default), login.microsoftonline.us or
	// login.chinacloudapi.cn.
	OptionOIDCCloudInstance = "oidc_cloud_instance"
	// OptionOIDCAuthority is an explicit authority URL (the issuer up to
	// and without /v2.0 for Entra), for clouds not listed above.
	OptionOIDCAuthority = "oidc_authority"
	// OptionOIDCIssuerURL is a generic provider's issuer.
	OptionOIDCIssuerURL = "oidc_issuer_url"
	// OptionOIDCLoginClaim names the claim that carries the login name:
	// preferred_username, upn or email (default per provider).
	OptionOIDCLoginClaim = "oidc_login_claim"
	// OptionOIDCScopes are extra scopes beside openid, profile and email.
	OptionOIDCScopes = "oidc_scopes"
)

// Entra cloud instances an administrator may pick by name.
var oidcCloudInstances = []string{"login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn"}

// oidcLoginClaims are the claims a login name may come from.
var oidcLoginClaims = []string{"preferred_username", "upn", "email"}

// OIDCSettings are an OpenID Connect provider's settings from its Options
// and its Files.com fields, checked.
type OIDCSettings struct {
	TenantID      string   `json:"oidc_tenant_id"`
	CloudInstance string   `json:"oidc_cloud_instance"`
	Authority     string   `json:"oidc_authority"`
	IssuerURL     string   `json:"oidc_issuer_url"`
	LoginClaim    string   `json:"oidc_login_claim"`
	Scopes        []string `json:"oidc_scopes"`
}

var (
	tenantGUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	dnsLabelRe = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)
	scopeRe    = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]{1,200}$`)
)

// ReadOIDCSettings reads and checks the OpenID Connect settings of an
// oauth2 provider with the given provider kind, subdomain and Options
// JSON. Errors are ErrInvalidParams saying what to fix. complete also
// requires every setting sign-in needs; saving a provider does not, so
// that it can be set up in steps, but a value given is always checked.
func ReadOIDCSettings(provider, subdomain, options string, complete bool) (OIDCSettings, error) {
	var o OIDCSettings
	if strings.TrimSpace(options) != "" {
		if err := json.Unmarshal([]byte(options), &o); err != nil {
			return o, ErrInvalidParams.With("options: the oidc_* keys cannot be read (%s); oidc_scopes is a list of strings, the others strings", err.Error())
		}
	}
	o.TenantID, o.CloudInstance = strings.TrimSpace(o.TenantID), strings.ToLower(strings.TrimSpace(o.CloudInstance))
	o.Authority, o.IssuerURL = strings.TrimSpace(o.Authority), strings.TrimSpace(o.IssuerURL)
	if o.LoginClaim != "" {
		if err := checkEnum(OptionOIDCLoginClaim, o.LoginClaim, oidcLoginClaims, false); err != nil {
			return o, err
		}
	}
	for _, sc := range o.Scopes {
		if !scopeRe.MatchString(sc) {
			return o, ErrInvalidParams.With("options.%s: %q is not a scope name", OptionOIDCScopes, sc)
		}
	}
	if len(o.Scopes) > 20 {
		return o, ErrInvalidParams.With("options.%s: give at most 20 scopes", OptionOIDCScopes)
	}
	for field, example := range map[string]string{OptionOIDCAuthority: "https://login.microsoftonline.com",
		OptionOIDCIssuerURL: "https://login.example.com/oauth2/default"} {
		v := o.Authority
		if field == OptionOIDCIssuerURL {
			v = o.IssuerURL
		}
		if err := checkFetchURL("options."+field, v, example, false); err != nil {
			return o, err
		}
	}
	switch provider {
	case "azure":
		fromOption := o.TenantID != ""
		if !fromOption {
			o.TenantID = strings.TrimSpace(subdomain)
		}
		if o.Authority != "" {
			return o, nil
		}
		switch strings.ToLower(o.TenantID) {
		case "":
			if !complete {
				return o, nil
			}
			return o, ErrInvalidParams.With("an Entra ID provider needs options.%s: the Directory (tenant) ID from the app registration's Overview page", OptionOIDCTenantID)
		case "common", "organizations", "consumers":
			return o, ErrInvalidParams.With("options.%s %q would accept sign-ins from any Entra tenant; name your tenant: the Directory (tenant) ID GUID from the app registration's Overview page", OptionOIDCTenantID, o.TenantID)
		}
		if (fromOption || complete) && !tenantGUID.MatchString(o.TenantID) {
			return o, ErrInvalidParams.With("options.%s must be the Directory (tenant) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, from the app registration's Overview page (not a domain name)", OptionOIDCTenantID)
		}
		if o.CloudInstance != "" {
			if err := checkEnum(OptionOIDCCloudInstance, o.CloudInstance, oidcCloudInstances, false); err != nil {
				return o, ErrInvalidParams.With("options.%s must be one of %s; for another cloud set options.%s", OptionOIDCCloudInstance,
					strings.Join(oidcCloudInstances, ", "), OptionOIDCAuthority)
			}
		}
	case "okta", "auth0":
		sub := strings.TrimSpace(subdomain)
		if o.IssuerURL == "" && (sub != "" || complete) && !dnsLabelRe.MatchString(sub) {
			return o, ErrInvalidParams.With("an %s provider needs subdomain: the part before .%s.com in your %s address (or options.%s)",
				provider, provider, provider, OptionOIDCIssuerURL)
		}
	case "google":
	default:
		if o.IssuerURL == "" && complete {
			return o, ErrInvalidParams.With("an OpenID Connect provider of kind %s needs options.%s: the issuer its discovery document names", provider, OptionOIDCIssuerURL)
		}
	}
	return o, nil
}

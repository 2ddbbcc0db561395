package ssosettings

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Keys of store.SSOStrategy.Options that OpenID Connect (protocol oauth2)
// providers read, beside Files.com's provider, subdomain, client_id and
// client_secret. They live in Options so that the connector grows settings
// without a column per setting, as the LDAP and SAML ones do.
const (
	// KeyOIDCTenantID is the Entra tenant (directory) ID, a GUID.
	// Files.com's subdomain field is read when it is unset.
	KeyOIDCTenantID = "oidc_tenant_id"
	// KeyOIDCCloudInstance is the Entra cloud's sign-in host:
	// login.microsoftonline.com (default), login.microsoftonline.us or
	// login.chinacloudapi.cn.
	KeyOIDCCloudInstance = "oidc_cloud_instance"
	// KeyOIDCAuthority is an explicit authority URL (the issuer up to and
	// without /v2.0 for Entra), for clouds not listed above.
	KeyOIDCAuthority = "oidc_authority"
	// KeyOIDCIssuerURL is a generic provider's issuer.
	KeyOIDCIssuerURL = "oidc_issuer_url"
	// KeyOIDCLoginClaim names the claim that carries the login name:
	// preferred_username, upn or email (default per provider).
	KeyOIDCLoginClaim = "oidc_login_claim"
	// KeyOIDCScopes are extra scopes beside openid, profile and email.
	KeyOIDCScopes = "oidc_scopes"
)

var oidcKeys = []string{KeyOIDCTenantID, KeyOIDCCloudInstance, KeyOIDCAuthority, KeyOIDCIssuerURL, KeyOIDCLoginClaim, KeyOIDCScopes}

// oidcCloudInstances are the Entra cloud instances an administrator may
// pick by name.
var oidcCloudInstances = []string{"login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn"}

// oidcLoginClaims are the claims a login name may come from.
var oidcLoginClaims = []string{"preferred_username", "upn", "email"}

// maxOIDCScopes bounds the extra scopes; a provider needs a handful.
const maxOIDCScopes = 20

// OIDC are an OpenID Connect provider's settings from its options and its
// Files.com fields, checked. TenantID is the tenant the provider names,
// from options or, for Entra, Files.com's subdomain field.
type OIDC struct {
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

// ParseOIDC reads and checks the OpenID Connect settings of provider p
// (its provider kind, subdomain and options). complete also requires
// every setting a sign-in needs; saving a provider does not, so that it
// can be set up in steps, but a value given is always checked.
func ParseOIDC(p store.SSOStrategy, complete bool) (OIDC, error) {
	obj, err := readObject(p.Options)
	if err != nil {
		return OIDC{}, err
	}
	var c collector
	o := parseOIDC(&c, obj, p.Provider, p.Subdomain, complete)
	return o, c.err()
}

func parseOIDC(c *collector, obj object, provider, subdomain string, complete bool) OIDC {
	o := OIDC{
		TenantID:      strings.TrimSpace(obj.str(c, KeyOIDCTenantID, "the Directory (tenant) ID GUID")),
		CloudInstance: strings.ToLower(strings.TrimSpace(obj.str(c, KeyOIDCCloudInstance, "one of "+strings.Join(oidcCloudInstances, ", ")))),
		Authority:     strings.TrimSpace(obj.str(c, KeyOIDCAuthority, "an https URL such as https://login.microsoftonline.com")),
		IssuerURL:     strings.TrimSpace(obj.str(c, KeyOIDCIssuerURL, "an https URL such as https://login.example.com/oauth2/default")),
		LoginClaim:    obj.str(c, KeyOIDCLoginClaim, "one of "+strings.Join(oidcLoginClaims, ", ")),
	}
	if o.LoginClaim != "" && !slices.Contains(oidcLoginClaims, o.LoginClaim) {
		c.add(field(KeyOIDCLoginClaim), "options.%s must be one of %s (got %q)", KeyOIDCLoginClaim, strings.Join(oidcLoginClaims, ", "), clip(o.LoginClaim))
	}
	if raw, ok := obj.raw(KeyOIDCScopes); ok {
		if err := json.Unmarshal(raw, &o.Scopes); err != nil {
			c.add(field(KeyOIDCScopes), `options.%s must be a list of scope names, such as ["groups", "offline_access"]`, KeyOIDCScopes)
		}
	}
	for _, sc := range o.Scopes {
		if !scopeRe.MatchString(sc) {
			c.add(field(KeyOIDCScopes), "options.%s: %q is not a scope name (printable ASCII without spaces, quotes or backslashes)", KeyOIDCScopes, clip(sc))
			break
		}
	}
	if len(o.Scopes) > maxOIDCScopes {
		c.add(field(KeyOIDCScopes), "options.%s: give at most %d scopes (got %d)", KeyOIDCScopes, maxOIDCScopes, len(o.Scopes))
	}
	if msg := CheckFetchURL(field(KeyOIDCAuthority), o.Authority, "https://login.microsoftonline.com", false); msg != "" {
		c.add(field(KeyOIDCAuthority), "%s", msg)
	}
	if msg := CheckFetchURL(field(KeyOIDCIssuerURL), o.IssuerURL, "https://login.example.com/oauth2/default", false); msg != "" {
		c.add(field(KeyOIDCIssuerURL), "%s", msg)
	}
	switch provider {
	case "azure":
		checkEntra(c, &o, subdomain, complete)
	case "okta", "auth0":
		sub := strings.TrimSpace(subdomain)
		if o.IssuerURL == "" && (sub != "" || complete) && !dnsLabelRe.MatchString(sub) {
			c.add("subdomain", "an %s provider needs subdomain: the part before .%s.com in your %s address (or options.%s)",
				provider, provider, provider, KeyOIDCIssuerURL)
		}
	case "google":
	default:
		if o.IssuerURL == "" && complete {
			c.add(field(KeyOIDCIssuerURL), "an OpenID Connect provider of kind %s needs options.%s: the issuer its discovery document names",
				provider, KeyOIDCIssuerURL)
		}
	}
	return o
}

// checkEntra checks an Entra ID provider's tenant and cloud: a tenant
// that is not one GUID ("common", a domain) would accept sign-ins from
// tenants other than the organisation's.
func checkEntra(c *collector, o *OIDC, subdomain string, complete bool) {
	fromOption := o.TenantID != ""
	tenantField := field(KeyOIDCTenantID)
	if !fromOption {
		o.TenantID = strings.TrimSpace(subdomain)
		if o.TenantID != "" {
			tenantField = "subdomain"
		}
	}
	if o.Authority != "" {
		return
	}
	switch strings.ToLower(o.TenantID) {
	case "":
		if complete {
			c.add(field(KeyOIDCTenantID), "an Entra ID provider needs options.%s: the Directory (tenant) ID from the app registration's Overview page", KeyOIDCTenantID)
		}
		return
	case "common", "organizations", "consumers":
		c.add(tenantField, "options.%s %q would accept sign-ins from any Entra tenant; name your tenant: the Directory (tenant) ID GUID from the app registration's Overview page",
			KeyOIDCTenantID, o.TenantID)
		return
	}
	if (fromOption || complete) && !tenantGUID.MatchString(o.TenantID) {
		c.add(tenantField, "options.%s must be the Directory (tenant) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, from the app registration's Overview page (not a domain name)",
			KeyOIDCTenantID)
		return
	}
	if o.CloudInstance != "" && !slices.Contains(oidcCloudInstances, o.CloudInstance) {
		c.add(field(KeyOIDCCloudInstance), "options.%s must be one of %s; for another cloud set options.%s",
			KeyOIDCCloudInstance, strings.Join(oidcCloudInstances, ", "), KeyOIDCAuthority)
	}
}

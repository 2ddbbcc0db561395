package oidc

import (
	"net"
	"net/url"
	"regexp"
	"strings"
)

// Provider kinds with built-in knowledge of where the provider lives.
const (
	KindAzure   = "azure"
	KindOkta    = "okta"
	KindAuth0   = "auth0"
	KindGoogle  = "google"
	KindGeneric = ""
)

// Entra's cloud instances: the global cloud and the national clouds
// (US Government, China operated by 21Vianet).
const (
	CloudGlobal = "login.microsoftonline.com"
	CloudUSGov  = "login.microsoftonline.us"
	CloudChina  = "login.chinacloudapi.cn"
)

// GoogleIssuer is the issuer Google's ID tokens carry.
const GoogleIssuer = "https://accounts.google.com"

var (
	guidPattern  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	labelPattern = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)
)

// IssuerFor builds the exact issuer a provider's ID tokens must carry — and
// whose /.well-known/openid-configuration is the discovery document — from
// the provider settings an administrator gives:
//
//   - azure: tenantID (a GUID) and cloudInstance (CloudGlobal by default,
//     CloudUSGov or CloudChina), giving https://{cloud}/{tenant}/v2.0; or an
//     explicit authority URL for any other cloud (or a local test provider),
//     given either as the host base (https://host), the tenant base
//     (https://host/{tenant}) or the full issuer (https://host/{tenant}/v2.0).
//     The multi-tenant aliases common, organizations and consumers are
//     refused: they accept any tenant's tokens, which is not a trust anyone
//     configured.
//   - okta: subdomain, giving https://{subdomain}.okta.com (a value with a
//     dot is taken as the whole host, for oktapreview.com or custom domains).
//   - auth0: subdomain, giving https://{subdomain}.auth0.com/ (Auth0's
//     issuer ends with a slash; a value with a dot is the whole host, for
//     regional tenants such as name.eu.auth0.com).
//   - google: https://accounts.google.com.
//   - generic (""): issuerURL exactly as the provider publishes it.
//
// For okta, auth0 and google a non-empty issuerURL wins (a custom
// authorization server such as https://x.okta.com/oauth2/default).
// Issuers must be https; plain http is accepted only on loopback, for tests.
func IssuerFor(kind, tenantID, cloudInstance, authority, subdomain, issuerURL string) (string, error) {
	tenantID = strings.TrimSpace(tenantID)
	authority = strings.TrimSpace(authority)
	subdomain = strings.TrimSpace(subdomain)
	issuerURL = strings.TrimSpace(issuerURL)
	switch kind {
	case KindAzure:
		return azureIssuer(tenantID, strings.TrimSpace(cloudInstance), authority)
	case KindOkta, KindAuth0:
		if issuerURL != "" {
			return checkIssuerURL(issuerURL)
		}
		host, err := providerHost(kind, subdomain)
		if err != nil {
			return "", err
		}
		if kind == KindAuth0 {
			return "https://" + host + "/", nil
		}
		return "https://" + host, nil
	case KindGoogle:
		if issuerURL != "" {
			return checkIssuerURL(issuerURL)
		}
		return GoogleIssuer, nil
	case KindGeneric:
		if issuerURL == "" {
			return "", fail(KindConfig, "an issuer URL is required for a generic OpenID provider: copy the issuer value of its /.well-known/openid-configuration")
		}
		return checkIssuerURL(issuerURL)
	default:
		return "", fail(KindConfig, "unknown provider kind %q: use azure, okta, auth0, google or leave it empty for a generic OpenID provider", kind)
	}
}

// azureIssuer builds https://{cloud}/{tenant}/v2.0 for one Entra tenant.
func azureIssuer(tenantID, cloudInstance, authority string) (string, error) {
	switch strings.ToLower(tenantID) {
	case "":
		return "", fail(KindConfig, "a Tenant ID is required for Microsoft Entra ID: copy the Directory (tenant) ID from the app registration's overview")
	case "common", "organizations", "consumers":
		return "", fail(KindConfig, "tenant %q accepts sign-ins from any Entra tenant; give this directory's own Tenant ID (a GUID) instead", tenantID)
	}
	if !guidPattern.MatchString(tenantID) {
		return "", fail(KindConfig, "Tenant ID %q is not a GUID: copy the Directory (tenant) ID from the app registration's overview, not a domain name", tenantID)
	}
	tenantID = strings.ToLower(tenantID)
	if authority == "" {
		host := strings.ToLower(cloudInstance)
		if host == "" {
			host = CloudGlobal
		}
		switch host {
		case CloudGlobal, CloudUSGov, CloudChina:
		default:
			return "", fail(KindConfig, "cloud instance %q is not one of %s, %s, %s; give an authority URL for any other cloud", cloudInstance, CloudGlobal, CloudUSGov, CloudChina)
		}
		return "https://" + host + "/" + tenantID + "/v2.0", nil
	}
	base := strings.TrimSuffix(authority, "/")
	base = strings.TrimSuffix(base, "/v2.0")
	if i := strings.LastIndex(base, "/"); i >= 0 && strings.EqualFold(base[i+1:], tenantID) {
		base = base[:i]
	}
	return checkIssuerURL(base + "/" + tenantID + "/v2.0")
}

// providerHost turns an Okta or Auth0 subdomain into the provider's host.
func providerHost(kind, subdomain string) (string, error) {
	if subdomain == "" {
		return "", fail(KindConfig, "a subdomain is required for %s: the part before .%s.com in your sign-in address", kind, kind)
	}
	host := strings.ToLower(subdomain)
	if !strings.Contains(host, ".") {
		host += "." + kind + ".com"
	}
	for _, label := range strings.Split(host, ".") {
		if !labelPattern.MatchString(label) {
			return "", fail(KindConfig, "subdomain %q is not a host name: give only the part before .%s.com", subdomain, kind)
		}
	}
	return host, nil
}

// checkIssuerURL accepts an absolute https URL without query or fragment, or
// http on a loopback host.
func checkIssuerURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fail(KindConfig, "issuer %q is not an absolute URL without query or fragment", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fail(KindConfig, "issuer %q must use https: tokens and keys fetched over plain http could be forged on the way", raw)
		}
	default:
		return "", fail(KindConfig, "issuer %q must use https", raw)
	}
	return raw, nil
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

package oidc

import "testing"

func TestIssuerFor(t *testing.T) {
	const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	cases := []struct {
		name                                                       string
		kind, tenant, cloud, authority, subdomain, issuerURL, want string
	}{
		{"entra global by default", KindAzure, tid, "", "", "", "", "https://login.microsoftonline.com/" + tid + "/v2.0"},
		{"entra tenant in capitals", KindAzure, "72F988BF-86F1-41AF-91AB-2D7CD011DB47", "", "", "", "", "https://login.microsoftonline.com/" + tid + "/v2.0"},
		{"entra US government", KindAzure, tid, CloudUSGov, "", "", "", "https://login.microsoftonline.us/" + tid + "/v2.0"},
		{"entra China", KindAzure, tid, CloudChina, "", "", "", "https://login.chinacloudapi.cn/" + tid + "/v2.0"},
		{"entra authority host", KindAzure, tid, "", "https://login.microsoftonline.de", "", "", "https://login.microsoftonline.de/" + tid + "/v2.0"},
		{"entra authority with tenant", KindAzure, tid, "", "https://login.microsoftonline.de/" + tid + "/", "", "", "https://login.microsoftonline.de/" + tid + "/v2.0"},
		{"entra authority full issuer", KindAzure, tid, "", "http://127.0.0.1:8080/" + tid + "/v2.0", "", "", "http://127.0.0.1:8080/" + tid + "/v2.0"},
		{"okta", KindOkta, "", "", "", "dev-123456", "", "https://dev-123456.okta.com"},
		{"okta preview host", KindOkta, "", "", "", "acme.oktapreview.com", "", "https://acme.oktapreview.com"},
		{"okta custom server", KindOkta, "", "", "", "acme", "https://acme.okta.com/oauth2/default", "https://acme.okta.com/oauth2/default"},
		{"auth0", KindAuth0, "", "", "", "acme", "", "https://acme.auth0.com/"},
		{"auth0 regional", KindAuth0, "", "", "", "acme.eu.auth0.com", "", "https://acme.eu.auth0.com/"},
		{"google", KindGoogle, "", "", "", "", "", "https://accounts.google.com"},
		{"generic", KindGeneric, "", "", "", "", "https://id.example.com/realms/files", "https://id.example.com/realms/files"},
	}
	for _, tc := range cases {
		got, err := IssuerFor(tc.kind, tc.tenant, tc.cloud, tc.authority, tc.subdomain, tc.issuerURL)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestIssuerForRefuses(t *testing.T) {
	const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	cases := []struct {
		name                                                 string
		kind, tenant, cloud, authority, subdomain, issuerURL string
	}{
		{"common", KindAzure, "common", "", "", "", ""},
		{"organizations", KindAzure, "Organizations", "", "", "", ""},
		{"consumers", KindAzure, "consumers", "", "", "", ""},
		{"no tenant", KindAzure, "", "", "", "", ""},
		{"domain as tenant", KindAzure, "contoso.onmicrosoft.com", "", "", "", ""},
		{"unknown cloud", KindAzure, tid, "login.evil.example", "", "", ""},
		{"plain http authority", KindAzure, tid, "", "http://login.example.com", "", ""},
		{"authority with query", KindAzure, tid, "", "https://login.example.com/?a=b", "", ""},
		{"okta without subdomain", KindOkta, "", "", "", "", ""},
		{"okta subdomain with a path", KindOkta, "", "", "", "acme/evil", ""},
		{"auth0 subdomain with a user", KindAuth0, "", "", "", "a@evil.example", ""},
		{"generic without issuer", KindGeneric, "", "", "", "", ""},
		{"generic relative", KindGeneric, "", "", "", "", "/realms/files"},
		{"generic ftp", KindGeneric, "", "", "", "", "ftp://id.example.com"},
		{"generic with fragment", KindGeneric, "", "", "", "", "https://id.example.com/#x"},
		{"generic with user info", KindGeneric, "", "", "", "", "https://u:p@id.example.com"},
		{"unknown kind", "facebook", "", "", "", "", "https://id.example.com"},
	}
	for _, tc := range cases {
		got, err := IssuerFor(tc.kind, tc.tenant, tc.cloud, tc.authority, tc.subdomain, tc.issuerURL)
		if KindOf(err) != KindConfig {
			t.Errorf("%s: got %q, %v; want a config error", tc.name, got, err)
		}
	}
}

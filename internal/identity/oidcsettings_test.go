package identity

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestOIDCSettingsCheckedOnSave(t *testing.T) {
	e := newEnv(t)
	create := func(provider, subdomain string, options map[string]any) error {
		c := SSOStrategyChange{Protocol: ptr(ProtocolOAuth2), Provider: ptr(provider), Subdomain: ptr(subdomain)}
		if options != nil {
			b, _ := json.Marshal(options)
			raw := json.RawMessage(b)
			c.Options = &raw
		}
		_, err := e.svc.CreateSSOStrategy(e.ctx, SystemActor, e.site.ID, c)
		return err
	}
	const guid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	for _, tc := range []struct {
		name, provider, subdomain string
		options                   map[string]any
		wantIn                    string // "" = accepted
	}{
		{"entra tenant and national cloud", "azure", "", map[string]any{OptionOIDCTenantID: guid, OptionOIDCCloudInstance: "login.microsoftonline.us"}, ""},
		{"entra set up in steps", "azure", "", nil, ""},
		{"entra authority", "azure", "", map[string]any{OptionOIDCTenantID: guid, OptionOIDCAuthority: "https://login.example.test"}, ""},
		{"entra common tenant", "azure", "", map[string]any{OptionOIDCTenantID: "common"}, "name your tenant"},
		{"entra organizations in subdomain", "azure", "organizations", nil, "name your tenant"},
		{"entra tenant as domain", "azure", "", map[string]any{OptionOIDCTenantID: "contoso.onmicrosoft.com"}, "GUID"},
		{"entra unknown cloud", "azure", "", map[string]any{OptionOIDCTenantID: guid, OptionOIDCCloudInstance: "login.example.test"}, OptionOIDCAuthority},
		{"authority not a URL", "azure", "", map[string]any{OptionOIDCAuthority: "login.microsoftonline.com"}, "absolute https URL"},
		{"okta subdomain", "okta", "acme", nil, ""},
		{"okta bad subdomain", "okta", "acme.okta.com/x", nil, "subdomain"},
		{"unknown login claim", "okta", "acme", map[string]any{OptionOIDCLoginClaim: "nickname"}, OptionOIDCLoginClaim},
		{"scopes of the wrong type", "google", "", map[string]any{OptionOIDCScopes: "groups"}, "oidc_scopes"},
		{"generic issuer", "onelogin", "", map[string]any{OptionOIDCIssuerURL: "https://acme.onelogin.com/oidc/2"}, ""},
		{"generic issuer over http", "onelogin", "", map[string]any{OptionOIDCIssuerURL: "http://acme.onelogin.com/oidc/2"}, "must use https"},
		{"authority over http", "azure", "", map[string]any{OptionOIDCTenantID: guid, OptionOIDCAuthority: "http://login.example.test"}, "must use https"},
		{"loopback issuer over http, for local testing", "onelogin", "", map[string]any{OptionOIDCIssuerURL: "http://127.0.0.1:8080/oidc"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := create(tc.provider, tc.subdomain, tc.options)
			if tc.wantIn == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ie *Error
			if !errors.As(err, &ie) || !errors.Is(err, ErrInvalidParams) || !strings.Contains(err.Error(), tc.wantIn) {
				t.Fatalf("got %v, want invalid params mentioning %q", err, tc.wantIn)
			}
		})
	}
}

func TestOIDCSettingsCompleteForSignIn(t *testing.T) {
	if _, err := ReadOIDCSettings("azure", "", "", true); err == nil || !strings.Contains(err.Error(), "Directory (tenant) ID") {
		t.Fatalf("an Entra provider without a tenant: %v", err)
	}
	if _, err := ReadOIDCSettings("onelogin", "", "{}", true); err == nil || !strings.Contains(err.Error(), OptionOIDCIssuerURL) {
		t.Fatalf("a generic provider without an issuer: %v", err)
	}
	o, err := ReadOIDCSettings("azure", "72f988bf-86f1-41af-91ab-2d7cd011db47", "", true)
	if err != nil || o.TenantID != "72f988bf-86f1-41af-91ab-2d7cd011db47" {
		t.Fatalf("tenant from Files.com's subdomain field: %+v %v", o, err)
	}
}

package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestAPIProviderURLsGatehouseFetchesMustBeHTTPS: an OpenID issuer or
// authority and a SAML metadata URL are documents Gatehouse downloads and
// then trusts, so plain http is refused when the provider is saved (POST
// and PATCH), with a message naming the field and an https example, and
// nothing is stored. Plain http stays accepted for a loopback host, which
// is local testing.
func TestAPIProviderURLsGatehouseFetchesMustBeHTTPS(t *testing.T) {
	f := newAPIFixture(t)
	refused := []struct{ name, body, field string }{
		{"generic issuer over http", `{"protocol":"oauth2","provider":"onelogin","options":{"oidc_issuer_url":"http://idp.example.com/oidc/2"}}`, "options.oidc_issuer_url"},
		{"okta issuer over http", `{"protocol":"oauth2","provider":"okta","options":{"oidc_issuer_url":"http://acme.okta.com/oauth2/default"}}`, "options.oidc_issuer_url"},
		{"entra authority over http", `{"protocol":"oauth2","provider":"azure","options":{"oidc_tenant_id":"72f988bf-86f1-41af-91ab-2d7cd011db47","oidc_authority":"http://login.example.net"}}`, "options.oidc_authority"},
		{"metadata over http", `{"protocol":"saml","provider":"azure","saml_provider_metadata_url":"http://idp.example.com/federationmetadata.xml"}`, "saml_provider_metadata_url"},
		{"issuer with credentials", `{"protocol":"oauth2","provider":"onelogin","options":{"oidc_issuer_url":"https://user:pw@idp.example.com"}}`, "options.oidc_issuer_url"},
		{"issuer of another scheme", `{"protocol":"oauth2","provider":"onelogin","options":{"oidc_issuer_url":"ftp://idp.example.com"}}`, "options.oidc_issuer_url"},
	}
	for _, tc := range refused {
		r := f.callJSON("POST", apiPrefix+"/sso_strategies", f.adminKey, tc.body)
		expectError(t, r, http.StatusUnprocessableEntity, identity.ErrInvalidParams.Type)
		if !strings.Contains(string(r.body), tc.field) || !strings.Contains(string(r.body), "https://") {
			t.Errorf("%s: the refusal does not name %s and an https example: %s", tc.name, tc.field, r.body)
		}
	}
	if list, err := f.svc.ListSSOStrategies(f.ctx, f.site.ID, store.ListOptions{Limit: 100}); err != nil || len(list) != 0 {
		t.Fatalf("refused providers were stored: %v %v", list, err)
	}

	// A provider saved with https cannot be switched to http by PATCH.
	r := f.callJSON("POST", apiPrefix+"/sso_strategies", f.adminKey,
		`{"protocol":"oauth2","provider":"onelogin","label":"OneLogin"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var st ssoStrategyJSON
	r.decode(t, &st)
	path := fmt.Sprintf("%s/sso_strategies/%d", apiPrefix, st.ID)
	r = f.callJSON("PATCH", path, f.adminKey, `{"options":{"oidc_issuer_url":"http://idp.example.com/oidc/2"}}`)
	expectError(t, r, http.StatusUnprocessableEntity, identity.ErrInvalidParams.Type)
	p, err := f.svc.GetSSOStrategy(f.ctx, f.site.ID, st.ID)
	if err != nil || strings.Contains(p.Options, "http://") {
		t.Fatalf("the refused PATCH was stored: %+v %v", p, err)
	}
	r = f.callJSON("PATCH", path, f.adminKey, `{"saml_provider_metadata_url":"http://idp.example.com/md.xml","protocol":"saml","provider":"okta"}`)
	expectError(t, r, http.StatusUnprocessableEntity, identity.ErrInvalidParams.Type)

	// A query is fine where the URL may have one (Entra names the
	// application in its metadata URL), never on an issuer.
	r = f.callJSON("PATCH", path, f.adminKey, `{"options":{"oidc_issuer_url":"https://idp.example.com/oidc/2?x=1"}}`)
	expectError(t, r, http.StatusUnprocessableEntity, identity.ErrInvalidParams.Type)
}

package console

import "testing"

// TestFieldOf: a refusal goes beside the field it is about — the first
// field the message names that the posted form has — even when the
// message goes on to name other places to look, or quotes words of
// another kind's form.
func TestFieldOf(t *testing.T) {
	entra := formValues{"label": "x", "oidc_tenant_id": "x", "oidc_cloud_instance": "", "oidc_authority": "x", "client_id": "x", "client_secret": ""}
	generic := formValues{"label": "x", "oidc_issuer_url": "x", "client_id": "x", "client_secret": ""}
	discovery := "the OpenID provider at https://op.example/t/v2.0 cannot be used: the discovery document could not be read " +
		"(oidc: discovery: check the issuer (tenant ID, subdomain or URL) and that this server can reach it: 404 Not Found). Check "
	for _, tc := range []struct {
		msg    string
		onForm formValues
		want   string
	}{
		{discovery + "options.oidc_tenant_id (the Directory (tenant) ID), options.oidc_cloud_instance or options.oidc_authority", entra, "oidc_tenant_id"},
		{discovery + "options.oidc_issuer_url (the issuer its /.well-known/openid-configuration names)", generic, "oidc_issuer_url"},
		{"options.ldap_ca_bundle holds no certificate", nil, "ldap_ca_bundle"},
		{"ldap_host_2 is not a host name", nil, "ldap_host_2"},
		{"saml_provider_metadata_url could not be fetched", nil, "saml_provider_metadata_url"},
		{"the identity provider refused", generic, ""},
	} {
		if got := fieldOf(tc.msg, tc.onForm); got != tc.want {
			t.Errorf("fieldOf(%q) = %q, want %q", tc.msg, got, tc.want)
		}
	}
}

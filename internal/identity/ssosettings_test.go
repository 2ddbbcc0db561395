package identity

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
)

// TestSSOStrategyOptionsCheckedOnSave: every create and update checks
// every options key, whatever the provider's protocol, answers
// ErrInvalidParams with one field error per refused key, and stores
// nothing; a key nothing reads is refused when options are written,
// unless the provider already had it. On both store engines.
func TestSSOStrategyOptionsCheckedOnSave(t *testing.T) {
	teststore.Drivers(t, func(t *testing.T, open func(testing.TB) store.Store) {
		e := newEnvOn(t, open(t), Options{})
		raw := func(s string) *json.RawMessage { r := json.RawMessage(s); return &r }
		wantFields := func(what string, err error, fields ...string) {
			t.Helper()
			var ie *Error
			if !errors.As(err, &ie) || !errors.Is(err, ErrInvalidParams) || ie.Fields == nil || len(*ie.Fields) != len(fields) {
				t.Fatalf("%s: got %#v, want invalid params naming %v", what, err, fields)
			}
			for i, f := range fields {
				if (*ie.Fields)[i].Field != f || !strings.Contains(ie.Message, f) {
					t.Fatalf("%s: field %d is %+v in %q, want %s", what, i, (*ie.Fields)[i], ie.Message, f)
				}
			}
		}

		// Create: LDAP, SAML and provisioning keys, on each protocol.
		for _, tc := range []struct {
			protocol, provider, options, field string
		}{
			{ProtocolActiveDirectory, "ldap", `{"ldap_page_size":"big"}`, "options.ldap_page_size"},
			{ProtocolOpenLDAP, "ldap", `{"ldap_ca_bundle":"not PEM"}`, "options.ldap_ca_bundle"},
			{ProtocolSAML, "okta", `{"saml_attributes":{"email":{"a":1}}}`, "options.saml_attributes.email"},
			{ProtocolSAML, "okta", `{"deprovision_limit_percent":"lots"}`, "options.deprovision_limit_percent"},
			{ProtocolOAuth2, "google", `{"ldap_user_filter":"(cn=x"}`, "options.ldap_user_filter"},
			{ProtocolOAuth2, "google", `{"oidc_scope":["groups"]}`, "options.oidc_scope"},
		} {
			_, err := e.svc.CreateSSOStrategy(e.ctx, SystemActor, e.site.ID, SSOStrategyChange{
				Protocol: ptr(tc.protocol), Provider: ptr(tc.provider), Options: raw(tc.options)})
			wantFields("create "+tc.options, err, tc.field)
		}
		if n, err := e.st.ListSSOStrategies(e.ctx, e.site.ID, store.ListOptions{Limit: 10}); err != nil || len(n) != 0 {
			t.Fatalf("refused creates stored %d providers (%v)", len(n), err)
		}

		// Update: refused with every bad field, and the provider unchanged.
		p, err := e.svc.CreateSSOStrategy(e.ctx, SystemActor, e.site.ID, SSOStrategyChange{Protocol: ptr(ProtocolActiveDirectory),
			Provider: ptr("ldap"), Options: raw(`{"ldap_page_size":500,"group_names":{"g1":"Staff"}}`)})
		wantErr(t, "create good", err, nil)
		_, err = e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, p.ID, SSOStrategyChange{Label: ptr("renamed"),
			Options: raw(`{"ldap_page_size":0,"ldap_pool_size":65,"ldap_timeout_seconds":-1}`)})
		wantFields("update", err, "options.ldap_timeout_seconds", "options.ldap_pool_size")
		got, err := e.svc.GetSSOStrategy(e.ctx, e.site.ID, p.ID)
		if err != nil || got.Options != p.Options || got.Label != p.Label {
			t.Fatalf("a refused update was stored: %+v, %v", got, err)
		}

		// A key a later version no longer reads, stored before: the
		// provider's other fields and options can still be changed.
		if _, err := e.st.UpdateSSOStrategy(e.ctx, e.site.ID, p.ID, func(s *store.SSOStrategy) error {
			s.Options = `{"ldap_page_size":500,"retired_key":true}`
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, p.ID, SSOStrategyChange{Label: ptr("renamed")})
		wantErr(t, "rename with a retired key stored", err, nil)
		_, err = e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, p.ID, SSOStrategyChange{Options: raw(`{"ldap_page_size":200,"retired_key":true}`)})
		wantErr(t, "rewrite keeping the retired key", err, nil)
		_, err = e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, p.ID, SSOStrategyChange{Options: raw(`{"ldap_page_size":200,"retired_key":true,"new_typo":1}`)})
		wantFields("a new unknown key", err, "options.new_typo")
	})
}

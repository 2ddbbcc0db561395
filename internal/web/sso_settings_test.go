package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestSSOStrategyOptionsRefusedByField: a value of a provider's options
// that no sign-in or sync could use is refused when it is saved, through
// the REST API, with an error naming the field (in "error" and, one by
// one, in "errors"), and the stored provider is left as it was.
func TestSSOStrategyOptionsRefusedByField(t *testing.T) {
	h := newHarness(t)
	admin := h.createUser("admin", true)
	_, key := h.apiKeyFor(admin, time.Time{})
	ldap := h.createStrategy("active_directory", "ldap", "Corp AD", true, false)
	path := apiPrefix + "/sso_strategies/" + itoa(ldap.ID)
	if r := h.callJSON("PATCH", path, key, `{"options":{"ldap_page_size":500,"group_names":{"g1":"Staff"}}}`); r.status != http.StatusOK {
		t.Fatalf("good options refused: %d %s", r.status, r.body)
	}
	before, err := h.svc.GetSSOStrategy(h.ctx, h.site.ID, ldap.ID)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, body string
		fields     []string
	}{
		{"page size not a number", `{"options":{"ldap_page_size":"big"}}`, []string{"options.ldap_page_size"}},
		{"timeout out of range", `{"options":{"ldap_timeout_seconds":100000}}`, []string{"options.ldap_timeout_seconds"}},
		{"malformed filter", `{"options":{"ldap_user_filter":"(objectClass=user"}}`, []string{"options.ldap_user_filter"}},
		{"CA bundle without a certificate", `{"options":{"ldap_ca_bundle":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}}`,
			[]string{"options.ldap_ca_bundle"}},
		{"malformed SAML attributes", `{"options":{"saml_attributes":{"email":[]}}}`, []string{"options.saml_attributes.email"}},
		{"safety limit not a number", `{"gatehouse_options":{"deprovision_limit_percent":"lots"}}`, []string{"options.deprovision_limit_percent"}},
		{"a misspelt key", `{"options":{"ldap_pagesize":500}}`, []string{"options.ldap_pagesize"}},
		{"two fields at once", `{"options":{"ldap_page_size":-1,"ldap_pool_size":1000}}`, []string{"options.ldap_page_size", "options.ldap_pool_size"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.callJSON("PATCH", path, key, tc.body)
			expectError(t, r, identity.ErrInvalidParams.Status, identity.ErrInvalidParams.Type)
			var e errorBody
			r.decode(t, &e)
			if len(e.Errors) != len(tc.fields) {
				t.Fatalf("errors %+v, want one for each of %v", e.Errors, tc.fields)
			}
			for i, f := range tc.fields {
				if e.Errors[i].Field != f || !strings.Contains(e.Errors[i].Message, f) || !strings.Contains(e.Error, f) {
					t.Errorf("error %d: %+v in %q, want field %s named in its message and in error", i, e.Errors[i], e.Error, f)
				}
			}
			after, err := h.svc.GetSSOStrategy(h.ctx, h.site.ID, ldap.ID)
			if err != nil || after.Options != before.Options || !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Fatalf("a refused change was stored: %q, want %q (%v)", after.Options, before.Options, err)
			}
		})
	}

	// Creating a provider is checked the same way, and nothing is stored.
	r := h.callJSON("POST", apiPrefix+"/sso_strategies", key, `{"protocol":"saml","provider":"okta","label":"Bad","options":{"saml_idp_initiated":"yes"}}`)
	expectError(t, r, identity.ErrInvalidParams.Status, identity.ErrInvalidParams.Type)
	if !strings.Contains(string(r.body), `"field":"options.saml_idp_initiated"`) {
		t.Fatalf("create refusal does not name the field: %s", r.body)
	}
	list, err := h.svc.ListSSOStrategies(h.ctx, h.site.ID, store.ListOptions{Limit: 10})
	if err != nil || len(list) != 1 {
		t.Fatalf("providers after a refused create: %d, %v", len(list), err)
	}
}

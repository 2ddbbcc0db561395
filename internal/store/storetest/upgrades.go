package storetest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Upgrader opens one test's database: at(version) returns a store over it
// with the schema brought up to migration version (0: the newest). The
// test closes each store before it opens the next.
type Upgrader func(t *testing.T) (at func(version int64) store.Store)

// RunUpgrades runs the upgrade tests: each writes what an older release
// wrote, at that release's schema, then opens the database at the newest
// and checks what the migrations made of it. Every driver runs them.
func RunUpgrades(t *testing.T, open Upgrader) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, at func(int64) store.Store)
	}{
		{"SAMLIdPInitiatedExplicit", samlIdPInitiatedExplicit},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// samlIdPInitiatedExplicit: migration 13 writes saml_idp_initiated true
// into the SAML providers that left it unset (true was the default; now
// false is), and touches nothing else.
func samlIdPInitiatedExplicit(t *testing.T, at func(int64) store.Store) {
	ctx := context.Background()
	old := at(12)
	site := store.DefaultSiteSettings()
	site.Name, site.IsDefault = "Main", true
	if err := old.CreateSite(ctx, &site); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		protocol, options string
		want              map[string]any // nil: options unchanged
	}{
		{"saml", "", map[string]any{"saml_idp_initiated": true}},
		{"saml", "  ", map[string]any{"saml_idp_initiated": true}},
		{"saml", `{"group_names":{"0f9a":"Staff"},"saml_allow_sha1":true}`,
			map[string]any{"group_names": map[string]any{"0f9a": "Staff"}, "saml_allow_sha1": true, "saml_idp_initiated": true}},
		{"saml", `{"saml_idp_initiated":null}`, map[string]any{"saml_idp_initiated": true}},
		{"saml", `{"saml_idp_initiated":false}`, nil},
		{"saml", `{"saml_idp_initiated":true}`, nil},
		{"saml", `not json`, nil},
		{"saml", `[1,2]`, nil},
		{"oauth2", "", nil},
		{"oauth2", `{"oidc_tenant_id":"t"}`, nil},
		{"ldap", "", nil},
	}
	ids := make([]int64, len(cases))
	for i, c := range cases {
		p := store.SSOStrategy{SiteID: site.ID, Protocol: c.protocol, Options: c.options}
		if err := old.CreateSSOStrategy(ctx, &p); err != nil {
			t.Fatalf("create %s provider with options %q: %v", c.protocol, c.options, err)
		}
		ids[i] = p.ID
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s := at(0)
	defer s.Close()
	for i, c := range cases {
		p, err := s.GetSSOStrategy(ctx, site.ID, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if c.want == nil {
			if p.Options != c.options {
				t.Errorf("%s provider with options %q: changed to %q", c.protocol, c.options, p.Options)
			}
			continue
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(p.Options), &got); err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s provider with options %q: now %q (%v), want %v", c.protocol, c.options, p.Options, err, c.want)
		}
	}
	// A provider made after the upgrade keeps the new default.
	p := store.SSOStrategy{SiteID: site.ID, Protocol: "saml"}
	if err := s.CreateSSOStrategy(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if p, err := s.GetSSOStrategy(ctx, site.ID, p.ID); err != nil || p.Options != "" {
		t.Errorf("a new provider's options: %q, %v; want them left empty", p.Options, err)
	}
}

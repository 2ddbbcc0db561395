package oidc

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestMapClaimsEntraGroupsAndOverage(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{"sub": "s", "oid": "o", "tid": unitTenant, "upn": "abe@contoso.example",
			"email": "abe@contoso.example", "email_verified": "true", "given_name": " Abe ", "family_name": "Lincoln"}
	}
	cases := []struct {
		name     string
		edit     func(map[string]any)
		groups   []string
		overage  bool
		wantKind Kind
	}{
		{"groups list", func(c map[string]any) { c["groups"] = []any{"a", " b ", ""} }, []string{"a", "b"}, false, ""},
		{"single group string", func(c map[string]any) { c["groups"] = "a" }, []string{"a"}, false, ""},
		{"no groups", func(map[string]any) {}, nil, false, ""},
		{"overage claim sources", func(c map[string]any) {
			c["_claim_names"] = map[string]any{"groups": "src1"}
			c["_claim_sources"] = map[string]any{"src1": map[string]any{"endpoint": "https://graph.microsoft.com/v1.0/users/x/getMemberObjects"}}
		}, nil, true, ""},
		{"overage hasgroups", func(c map[string]any) { c["hasgroups"] = true }, nil, true, ""},
		{"other distributed claim", func(c map[string]any) { c["_claim_names"] = map[string]any{"roles": "src1"} }, nil, false, ""},
		{"groups object", func(c map[string]any) { c["groups"] = map[string]any{} }, nil, false, KindMalformed},
		{"too many groups", func(c map[string]any) { c["groups"] = make([]any, maxGroups+1) }, nil, false, KindMalformed},
		{"email a number", func(c map[string]any) { c["email"] = 3.0 }, nil, false, KindMalformed},
	}
	for _, tc := range cases {
		raw := base()
		tc.edit(raw)
		c, err := mapClaims(raw, KindAzure)
		if KindOf(err) != tc.wantKind {
			t.Errorf("%s: %v, want kind %q", tc.name, err, tc.wantKind)
			continue
		}
		if err != nil {
			continue
		}
		if !slices.Equal(c.Groups, tc.groups) || c.GroupsOverage != tc.overage {
			t.Errorf("%s: groups %q overage %v", tc.name, c.Groups, c.GroupsOverage)
		}
		if c.UPN != "abe@contoso.example" || c.GivenName != "Abe" || !c.EmailVerified || c.TenantID != unitTenant {
			t.Errorf("%s: %+v", tc.name, c)
		}
	}
}

func TestLoginNameAndExternalID(t *testing.T) {
	c, err := mapClaims(map[string]any{"sub": "pairwise-sub", "upn": "u@x", "email": "e@x"}, KindOkta)
	if err != nil {
		t.Fatal(err)
	}
	if c.ExternalID() != "pairwise-sub" {
		t.Errorf("ExternalID without oid: %q", c.ExternalID())
	}
	if got := c.LoginName(DefaultLoginClaim(KindOkta)); got != "e@x" {
		t.Errorf("okta login name %q", got)
	}
	if got := c.LoginName("preferred_username"); got != "u@x" {
		t.Errorf("fallback to upn: %q", got)
	}
	if DefaultLoginClaim(KindAzure) != "preferred_username" || DefaultLoginClaim(KindGoogle) != "email" {
		t.Error("default login claims")
	}
	if _, err := mapClaims(map[string]any{"sub": "s"}, KindAzure); KindOf(err) != KindSubject {
		t.Errorf("Entra token without oid: %v", err)
	}
}

func TestCallbackError(t *testing.T) {
	if CallbackError(url.Values{"code": {"c"}, "state": {"s"}}) != nil {
		t.Fatal("a code is not an error")
	}
	q := url.Values{"error": {"access_denied"}, "error_description": {"the user canceled\r\nthe authentication" + strings.Repeat("x", 500)}}
	err := CallbackError(q)
	if KindOf(err) != KindProviderError || strings.ContainsAny(err.Error(), "\r\n") || len(err.Error()) > 450 {
		t.Fatalf("%q", err)
	}
	if !strings.Contains(err.Error(), "access_denied: the user canceledthe authentication") {
		t.Fatalf("%q", err)
	}
}

func TestRandomValues(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		for _, v := range []string{NewState(), NewNonce(), NewVerifier()} {
			if len(v) != 43 || seen[v] {
				t.Fatalf("value %q: wrong length or repeated", v)
			}
			seen[v] = true
		}
	}
}

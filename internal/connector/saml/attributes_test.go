package saml

import (
	"slices"
	"testing"
)

func TestIdentityMapping(t *testing.T) {
	okta := &Assertion{NameID: "00u1abcd", NameIDFormat: NameIDFormatPersistent, Attributes: map[string][]string{
		"email": {"bob@example.com"}, "firstName": {"Bob"}, "lastName": {"Builder"}, "Groups": {"Everyone", "", "Admins"},
	}}
	id := okta.Identity(DefaultAttributeMap())
	if id.ImmutableID != "00u1abcd" || id.Login != "00u1abcd" || id.Email != "bob@example.com" ||
		id.GivenName != "Bob" || id.FamilyName != "Builder" || !slices.Equal(id.Groups, []string{"Everyone", "Admins"}) {
		t.Fatalf("okta identity = %+v", id)
	}

	overage := &Assertion{NameID: "alice@example.com", NameIDFormat: NameIDFormatEmailAddress, Attributes: map[string][]string{
		ClaimEntraObjectID:   {"oid"},
		ClaimEntraGroupsLink: {"https://graph.windows.net/t/users/oid/getMemberObjects"},
	}}
	id = overage.Identity(DefaultAttributeMap())
	if !id.GroupsOverage || len(id.Groups) != 0 || id.Email != "alice@example.com" || id.ImmutableID != "oid" {
		t.Fatalf("overage identity = %+v", id)
	}

	custom := DefaultAttributeMap()
	custom.Login = []string{"upn"}
	withUPN := &Assertion{NameID: "opaque", Attributes: map[string][]string{"UPN": {"carol@example.com"}}}
	if id := withUPN.Identity(custom); id.Login != "carol@example.com" {
		t.Fatalf("per-provider login attribute: %+v", id)
	}
}

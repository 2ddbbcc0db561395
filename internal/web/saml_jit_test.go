package web

import (
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestSAMLGroupsFromSCIMAndRename signs in through the ACS with Entra's
// groups claim, which carries object ids only: the ids resolve to the
// groups SCIM provisioned with those external ids, under their names. A
// later sign-in with the same object id and a new UPN renames the account
// instead of creating a second one.
func TestSAMLGroupsFromSCIMAndRename(t *testing.T) {
	s := newSAMLSetup(t, true)
	const finance, sales = "5581e43f-6096-41d4-8ffa-04e560bab39d", "07dd8a89-bf6d-4e81-8844-230b77145381"
	for id, name := range map[string]string{finance: "Finance", sales: "Sales"} {
		if _, err := s.provision.UpsertGroup(s.ctx, s.site.ID, s.provider.ID, provision.GroupRef{ExternalID: id, Name: name}); err != nil {
			t.Fatalf("SCIM group %s: %v", name, err)
		}
	}
	claims := func(upn string) map[string][]string {
		return map[string][]string{
			saml.ClaimEntraObjectID: {"7d1c6a2e-0c55-4f0e-9a51-2f0b7a1e9c11"},
			saml.ClaimEmailAddress:  {upn},
			saml.ClaimName:          {upn},
			saml.ClaimGivenName:     {"Dana"},
			saml.ClaimSurname:       {"Reyes"},
			saml.ClaimEntraGroups:   {finance, sales},
		}
	}
	s.wantSignedIn(s.postACS("/saml/consume", s.idpInitiated("dana@example.com", claims("dana@example.com")), ""), "dana@example.com")
	u, err := s.st.GetUserByUsername(s.ctx, s.site.ID, "dana@example.com")
	if err != nil {
		t.Fatalf("JIT user: %v", err)
	}
	if got := groupNames(t, s, u); !slices.Equal(got, []string{"Finance", "Sales"}) {
		t.Fatalf("groups %v, want the SCIM groups Finance and Sales", got)
	}

	s.wantSignedIn(s.postACS("/saml/consume", s.idpInitiated("dana.reyes@example.com", claims("dana.reyes@example.com")), ""), "dana.reyes@example.com")
	renamed, err := s.st.GetUserByUsername(s.ctx, s.site.ID, "dana.reyes@example.com")
	if err != nil || renamed.ID != u.ID {
		t.Fatalf("after the rename at the IdP: %+v, %v; want user %d renamed", renamed, err, u.ID)
	}
	if _, err := s.st.GetUserByUsername(s.ctx, s.site.ID, "dana@example.com"); err == nil {
		t.Error("the old login name still has an account")
	}
	twins, err := s.st.ListUsers(s.ctx, s.site.ID, store.UserQuery{ExternalID: "7d1c6a2e-0c55-4f0e-9a51-2f0b7a1e9c11", ListOptions: store.ListOptions{Limit: 10}})
	if err != nil || len(twins) != 1 {
		t.Fatalf("accounts with the object id: %d, %v; want 1", len(twins), err)
	}
	if got := groupNames(t, s, renamed); !slices.Equal(got, []string{"Finance", "Sales"}) {
		t.Errorf("groups after the rename %v", got)
	}
}

func groupNames(t *testing.T, s *samlSetup, u store.User) []string {
	t.Helper()
	groups, err := s.st.GroupsOfUser(s.ctx, s.site.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups {
		names = append(names, g.Name)
	}
	slices.Sort(names)
	return names
}

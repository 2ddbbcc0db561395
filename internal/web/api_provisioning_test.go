package web

import (
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

func TestPreviewSSOStrategy(t *testing.T) {
	f := newAPIFixture(t)
	p := f.createStrategy("active_directory", "ldap", "Corp AD", true, true)
	yes := true
	if _, err := f.svc.UpdateSSOStrategy(f.ctx, identity.SystemActor, f.site.ID, p.ID,
		identity.SSOStrategyChange{ProvisionUsers: &yes, ProvisionGroups: &yes, DeprovisionUsers: &yes}); err != nil {
		t.Fatal(err)
	}
	for _, x := range []provision.ExternalIdentity{
		{ExternalID: "e1", Username: "ada", Active: true, Groups: []provision.GroupRef{{ExternalID: "g1", Name: "Engineering"}}},
		{ExternalID: "e2", Username: "bob", Active: true, Groups: []provision.GroupRef{{ExternalID: "g2", Name: "Sales"}}},
	} {
		if _, err := f.provision.Upsert(f.ctx, f.site.ID, p.ID, x); err != nil {
			t.Fatal(err)
		}
	}
	path := apiPrefix + "/sso_strategies/" + itoa(p.ID) + "/preview"

	var plan provision.Plan
	r := f.callJSON("GET", path, f.adminKey, "")
	if r.status != http.StatusOK {
		t.Fatalf("preview: %d %s", r.status, r.body)
	}
	r.decode(t, &plan)
	if plan.Counts.Seen != 2 || plan.Counts.Unchanged != 2 {
		t.Fatalf("unchanged rules: %+v", plan.Counts)
	}

	required := "Eng*"
	if _, err := f.svc.UpdateSSOStrategy(f.ctx, identity.SystemActor, f.site.ID, p.ID,
		identity.SSOStrategyChange{ProvisionGroupRequired: &required}); err != nil {
		t.Fatal(err)
	}
	f.callJSON("GET", path, f.adminKey, "").decode(t, &plan)
	if plan.Counts.Disabled != 1 || len(plan.Changes) == 0 {
		t.Fatalf("with a required group: %+v %+v", plan.Counts, plan.Changes)
	}
	if u, err := f.svc.ListUsers(f.ctx, f.site.ID, store.UserQuery{Username: "bob"}); err != nil || len(u) != 1 || u[0].Disabled {
		t.Fatalf("preview changed bob: %+v %v", u, err)
	}

	expectError(t, f.callJSON("GET", path, f.annKey, ""), http.StatusForbidden, identity.ErrSiteAdminRequired.Type)
	expectError(t, f.callJSON("GET", apiPrefix+"/sso_strategies/999/preview", f.adminKey, ""), http.StatusNotFound, identity.ErrSSOStrategyNotFound.Type)

	// A wildcard in a default group name is a rule the engine cannot apply.
	bad := "Staff*"
	if _, err := f.svc.UpdateSSOStrategy(f.ctx, identity.SystemActor, f.site.ID, p.ID,
		identity.SSOStrategyChange{ProvisionGroupDefault: &bad}); err != nil {
		t.Fatal(err)
	}
	expectError(t, f.callJSON("GET", path, f.adminKey, ""), http.StatusUnprocessableEntity, errRulesInvalid.Type)
}

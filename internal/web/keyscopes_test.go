package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// permissionSetScopes is, written out by hand, which scopes each Files.com
// permission set allows (the README's table).
var permissionSetScopes = map[string][]identity.Scope{
	identity.PermissionSetFull:              {identity.ScopeFiles, identity.ScopeSelf, identity.ScopeAccount, identity.ScopeAdmin},
	identity.PermissionSetFilesOnly:         {identity.ScopeFiles, identity.ScopeSelf},
	identity.PermissionSetDesktopApp:        {identity.ScopeFiles, identity.ScopeSelf},
	identity.PermissionSetSyncApp:           {identity.ScopeFiles, identity.ScopeSelf},
	identity.PermissionSetMobileApp:         {identity.ScopeFiles, identity.ScopeSelf},
	identity.PermissionSetOfficeIntegration: {identity.ScopeFiles, identity.ScopeSelf},
	identity.PermissionSetNone:              nil,
}

// permissionSetRefusal is the error type each restricted set answers with.
var permissionSetRefusal = map[string]string{
	identity.PermissionSetFilesOnly:         "not-authorized/api-key-only-for-files",
	identity.PermissionSetDesktopApp:        "not-authorized/api-key-only-for-desktop-app",
	identity.PermissionSetSyncApp:           "not-authorized/api-key-only-for-sync-app",
	identity.PermissionSetMobileApp:         "not-authorized/api-key-only-for-mobile-app",
	identity.PermissionSetOfficeIntegration: "not-authorized/api-key-only-for-office-integration",
	identity.PermissionSetNone:              "not-authorized/api-key-is-disabled",
}

// concretePath fills a route pattern's wildcards with values that reach
// the handler without touching anything that exists.
func concretePath(pattern string) string {
	r := strings.NewReplacer("{id}", "999999", "{path...}", "scope-test", "{ref}", "no-such-upload")
	return r.Replace(pattern)
}

// TestEveryRouteDeclaresAScope: every signed-in API route has a scope,
// site-admin routes are administration, and apiScopes names no route that
// does not exist. A new route without a declared scope fails here.
func TestEveryRouteDeclaresAScope(t *testing.T) {
	seen := map[string]bool{}
	for _, rt := range (&server{}).routes() {
		if rt.api == nil || rt.Access == accessPublic {
			continue
		}
		key := rt.Method + " " + rt.Pattern
		seen[key] = true
		switch {
		case rt.Scope == "":
			t.Errorf("route %s declares no scope: add it to apiScopes", key)
		case rt.Access == accessSiteAdmin && rt.Scope != identity.ScopeAdmin:
			t.Errorf("site-admin route %s has scope %s, want admin", key, rt.Scope)
		}
	}
	for key := range apiScopes {
		if !seen[key] {
			t.Errorf("apiScopes names %s, which is no signed-in API route", key)
		}
	}
}

// TestPermissionSetsOverEveryRoute sends every signed-in API route, through
// the real front end, with a fresh key of each permission set, for a site
// admin's keys and for site-wide keys: a route outside the set's scopes is
// refused with the set's own error before its handler runs, and a route
// inside them reaches its handler.
func TestPermissionSetsOverEveryRoute(t *testing.T) {
	h := newHarness(t)
	admin := h.createUser("owner", true)
	siteWide := int64(0)
	owners := map[string]*int64{"admin's key": &admin.ID, "site-wide key": &siteWide}
	routes := (&server{}).routes()
	for set, scopes := range permissionSetScopes {
		allowed := map[identity.Scope]bool{}
		for _, sc := range scopes {
			allowed[sc] = true
		}
		for ownerName, owner := range owners {
			for _, rt := range routes {
				if rt.api == nil || rt.Access == accessPublic {
					continue
				}
				name, set := "k-"+set, set
				_, key, err := h.svc.CreateAPIKey(h.ctx, identity.SystemActor, h.site.ID,
					identity.APIKeyChange{UserID: owner, Name: &name, PermissionSet: &set})
				if err != nil {
					t.Fatalf("create %s key: %v", set, err)
				}
				body := ""
				if rt.Method == "POST" || rt.Method == "PATCH" || rt.Method == "PUT" {
					body = "{}"
				}
				r := h.callJSON(rt.Method, concretePath(rt.Pattern), key, body)
				what := ownerName + " " + set + ": " + rt.Method + " " + rt.Pattern
				refused := r.status == http.StatusForbidden && r.errType() == permissionSetRefusal[set]
				switch {
				case allowed[rt.Scope] && refused:
					t.Errorf("%s (scope %s) was refused: %s", what, rt.Scope, r.body)
				case !allowed[rt.Scope] && !refused:
					t.Errorf("%s (scope %s) answered %d %s, want 403 %s", what, rt.Scope, r.status, r.body, permissionSetRefusal[set])
				}
			}
		}
	}
}

// TestFilesOnlyAdminKeyCannotAdminister is the reported attack: a
// files_only key of a site admin renamed the site. It also cannot widen
// itself, make keys or users, nor read the logs; it lists and uploads.
func TestFilesOnlyAdminKeyCannotAdminister(t *testing.T) {
	h := newHarness(t)
	admin := h.createUser("owner", true)
	set, name := identity.PermissionSetFilesOnly, "sync"
	k, key, err := h.svc.CreateAPIKey(h.ctx, identity.SystemActor, h.site.ID,
		identity.APIKeyChange{UserID: &admin.ID, Name: &name, PermissionSet: &set})
	if err != nil {
		t.Fatal(err)
	}
	refusals := []struct{ method, path, body string }{
		{"PATCH", "/api/rest/v1/site", `{"name":"owned"}`},
		{"POST", "/api/rest/v1/users", `{"username":"mallory","password":"a long enough password"}`},
		{"POST", "/api/rest/v1/api_keys", `{"name":"wider"}`},
		{"PATCH", "/api/rest/v1/api_key", `{"permission_set":"full"}`},
		{"PATCH", "/api/rest/v1/api_keys/" + itoa(k.ID), `{"permission_set":"full"}`},
		{"GET", "/api/rest/v1/external_events", ""},
		{"POST", "/api/rest/v1/public_keys", `{"title":"x","public_key":"ssh-ed25519 AAAA"}`},
	}
	for _, c := range refusals {
		r := h.callJSON(c.method, c.path, key, c.body)
		expectError(t, r, http.StatusForbidden, "not-authorized/api-key-only-for-files")
	}
	if site, _ := h.svc.GetSite(h.ctx, h.site.ID); site.Name == "owned" {
		t.Fatal("the site was renamed")
	}
	if got, _ := h.svc.GetAPIKey(h.ctx, identity.SystemActor, h.site.ID, k.ID); got.PermissionSet != set {
		t.Fatalf("the key widened itself to %s", got.PermissionSet)
	}
	if users, _ := h.svc.ListUsers(h.ctx, h.site.ID, store.UserQuery{Username: "mallory"}); len(users) != 0 {
		t.Fatal("a user was created")
	}
	if r := h.callJSON("POST", "/api/rest/v1/folders/reports", key, ""); r.status >= 300 {
		t.Fatalf("create folder: %d %s", r.status, r.body)
	}
	if r := h.callJSON("GET", "/api/rest/v1/folders", key, ""); r.status != http.StatusOK || !strings.Contains(string(r.body), "reports") {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	if r := h.callJSON("GET", "/api/rest/v1/me", key, ""); r.status != http.StatusOK {
		t.Fatalf("own profile: %d %s", r.status, r.body)
	}
}

package scim_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// The request bodies below are copied from Microsoft's documentation of
// what the Entra provisioning service sends (the SCIM tutorial and the
// known-issues page of its SCIM compliance); ids in paths are replaced by
// the ids this server gave.

const entraCreateUser = `{
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
    "active": true,
    "emails": [{
        "primary": true,
        "type": "work",
        "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"
    }],
    "meta": {
        "resourceType": "User"
    },
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName"
    },
    "roles": []
}`

const entraPatchMultiValued = `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
            {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "updatedEmail@microsoft.com"
            },
            {
            "op": "Replace",
            "path": "name.familyName",
            "value": "updatedFamilyName"
            }
    ]
}`

const entraPatchUserName = `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "userName",
        "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    }]
}`

const entraDisableDoc = `{
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": false
        }
    ],
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ]
}`

const entraDisableNoFlag = `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": "False"
        }
    ]
}`

const entraDisableFlag = `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "replace",
            "path": "active",
            "value": false
        }
    ]
}`

const entraAddNickNoFlag = `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
      {
        "op": "Add",
        "path": "nickName",
        "value": "Babs"
      }
    ]
}`

const entraAddNickFlag = `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
      {
        "op": "add",
        "path": "nickName",
        "value": "Babs"
      }
    ]
}`

const entraReplaceManyNoFlag = `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "displayName",
            "value": "Pvlo"
        },
        {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "TestBcwqnm@test.microsoft.com"
        },
        {
            "op": "Replace",
            "path": "name.givenName",
            "value": "Gtfd"
        },
        {
            "op": "Replace",
            "path": "name.familyName",
            "value": "Pkqf"
        },
        {
            "op": "Replace",
            "path": "externalId",
            "value": "Eqpj"
        },
        {
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "value": "Eqpj"
        }
    ]
}`

const entraReplaceManyFlag = `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "replace",
            "path": "emails[type eq \"work\"].value",
            "value": "TestMhvaes@test.microsoft.com"
        },
        {
            "op": "replace",
            "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"
            }
        }
    ]
}`

const entraExample2 = `{
   "schemas":
   [
     "urn:ietf:params:scim:schemas:core:2.0:User",
     "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
   "externalId":"jyoung",
   "userName":"jyoung@testuser.com",
   "active":true,
   "addresses":null,
   "displayName":"Joy Young",
   "emails": [
     {
       "type":"work",
       "value":"jyoung@Contoso.com",
       "primary":true}],
   "meta": {
     "resourceType":"User"},
    "name":{
     "familyName":"Young",
     "givenName":"Joy"},
   "phoneNumbers":null,
   "preferredLanguage":null,
   "title":null,
   "department":null,
   "manager":null}`

const entraRolesPost = `{
  "schemas": [
    "urn:ietf:params:scim:schemas:core:2.0:User"
  ],
  "externalId": "alias",
  "userName": "alias@contoso.OnMicrosoft.com",
  "active": true,
  "displayName": "First Name Last Name",
  "meta": {
    "resourceType": "User"
  },
  "roles": [
    {
      "primary": true,
      "type": "WindowsAzureActiveDirectoryRole",
      "value": "Admin"
    }
  ]
}`

const entraRolesPatch = `{
  "schemas": [
    "urn:ietf:params:scim:api:messages:2.0:PatchOp"
  ],
  "Operations": [
    {
      "op": "Add",
      "path": "roles",
      "value": [
        {
          "value": "{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"25\",\"displayName\":\"Role1234\"}"
        }
      ]
    }
  ]
}`

const entraCreateGroup = `{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {
        "resourceType": "Group"
    }
}`

const entraRenameGroup = `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "displayName",
        "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    }]
}`

// entraMembers is the add (or, with op Remove, the remove) members body
// with the member id as ID.
const entraMembers = `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "OP",
        "path": "members",
        "value": [{
            "$ref": null,
            "value": "ID"
        }]
    }]
}`

const entraRemoveMemberFlag = `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "remove",
            "path": "members[value eq \"ID\"]"
        }
    ]
}`

const postmanRemoveAll = `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "remove",
            "path": "members"
        }
    ]
}`

const entraAddManager = `{
    "schemas": 
    [
      "urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations":
    [
      {
        "op":"Add",
        "path":"manager",
        "value":
          [
            {
              "$ref":"http://.../scim/Users/ID",
              "value":"ID"}]}]}`

// TestEntraReplay replays every request of the Entra examples, with and
// without the aadOptscim062020 feature flag, on both store drivers.
func TestEntraReplay(t *testing.T) {
	drivers(t, func(t *testing.T, open func(testing.TB) store.Store) {
		for _, flag := range []bool{false, true} {
			t.Run("flag="+strconv.FormatBool(flag), func(t *testing.T) {
				e := newEnv(t, open)
				if flag {
					e.query = "aadOptscim062020"
				}
				replayUsers(t, e, flag)
				replayMoreShapes(t, e, flag)
				replayGroups(t, e, flag)
				replaySchemas(t, e)
			})
		}
	})
}

func replayUsers(t *testing.T, e *env, flag bool) {
	// Create User
	r := e.call("POST", "/api/scim/Users", entraCreateUser).want(t, 201)
	id := r.s("id")
	for path, want := range map[string]string{
		"schemas.0": "urn:ietf:params:scim:schemas:core:2.0:User", "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
		"userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee", "active": "true",
		"name.formatted": "givenName familyName", "name.familyName": "familyName", "name.givenName": "givenName",
		"emails.0.value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com", "emails.0.type": "work",
		"emails.0.primary": "true", "meta.resourceType": "User",
		"meta.location": "https://files.example.com/api/scim/Users/" + id,
	} {
		if got := r.s(path); got != want {
			t.Fatalf("create: %s = %q, want %q\n%s", path, got, want, r.raw)
		}
	}
	if r.s("meta.created") == "" || r.s("meta.lastModified") == "" || r.header.Get("ETag") != r.s("meta.version") ||
		r.header.Get("Location") != r.s("meta.location") {
		t.Fatalf("create: meta or headers incomplete: %v %s", r.header, r.raw)
	}
	u := e.mustUser(id)
	if u.Username != "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee" || u.Email != "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com" ||
		u.Name != "givenName familyName" || u.SCIM.ExternalID != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" ||
		u.Disabled || u.SSOStrategyID != e.p.ID || u.AuthenticationMethod != "sso" {
		t.Fatalf("created account: %+v", u)
	}

	// Get User, found and not found
	if g := e.call("GET", "/api/scim/Users/"+id, "").want(t, 200); g.s("id") != id || g.s("userName") != u.Username {
		t.Fatalf("get: %s", g.raw)
	}
	e.call("GET", "/api/scim/Users/5171a35d82074e068ce2", "").wantError(t, 404, "")

	// Get User by query, and zero results
	l := e.call("GET", `/api/scim/Users?filter=userName+eq+%22Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee%22`, "").want(t, 200)
	if l.s("schemas.0") != "urn:ietf:params:scim:api:messages:2.0:ListResponse" || l.s("totalResults") != "1" ||
		l.s("Resources.0.id") != id || l.s("startIndex") != "1" || l.s("itemsPerPage") != "1" {
		t.Fatalf("query: %s", l.raw)
	}
	l = e.call("GET", `/api/scim/Users?filter=userName+eq+%22non-existent+user%22`, "").want(t, 200)
	if l.s("totalResults") != "0" || l.s("Resources") != "[]" || l.s("startIndex") != "1" {
		t.Fatalf("zero results: %s", l.raw)
	}

	// Update User [Multi-valued properties]
	p := e.call("PATCH", "/api/scim/Users/"+id, entraPatchMultiValued).want(t, 200)
	if p.s("emails.0.value") != "updatedEmail@microsoft.com" || p.s("name.familyName") != "updatedFamilyName" ||
		p.s("name.formatted") != "givenName updatedFamilyName" || p.s("emails.0.type") != "work" || p.s("id") != id {
		t.Fatalf("patch multi-valued: %s", p.raw)
	}
	if u := e.mustUser(id); u.Email != "updatedEmail@microsoft.com" || u.Name != "givenName updatedFamilyName" {
		t.Fatalf("after patch multi-valued: %+v", u)
	}

	// Update User [Single-valued properties]
	p = e.call("PATCH", "/api/scim/Users/"+id, entraPatchUserName).want(t, 200)
	if p.s("userName") != "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com" || p.s("id") != id {
		t.Fatalf("patch userName: %s", p.raw)
	}
	if u := e.mustUser(id); u.Username != "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com" {
		t.Fatalf("after rename: %+v", u)
	}

	// Disable User: the doc's body, then the shape the service sends
	// without and with the flag; re-enabled in between.
	disable := entraDisableNoFlag
	if flag {
		disable = entraDisableFlag
	}
	enable := strings.ReplaceAll(strings.ReplaceAll(disable, `"False"`, `"True"`), "false", "true")
	for _, body := range []string{entraDisableDoc, disable} {
		p = e.call("PATCH", "/api/scim/Users/"+id, body).want(t, 200)
		if p.s("active") != "false" || !e.mustUser(id).Disabled {
			t.Fatalf("disable: %s", p.raw)
		}
		if g := e.call("GET", "/api/scim/Users/"+id, "").want(t, 200); g.s("active") != "false" {
			t.Fatalf("an inactive user must stay visible: %s", g.raw)
		}
		if l := e.call("GET", "/api/scim/Users?filter=active+eq+false", "").want(t, 200); l.s("totalResults") != "1" {
			t.Fatalf("an inactive user must stay visible to filters: %s", l.raw)
		}
		p = e.call("PATCH", "/api/scim/Users/"+id, enable).want(t, 200)
		if p.s("active") != "true" || e.mustUser(id).Disabled {
			t.Fatalf("enable: %s", p.raw)
		}
	}

	// §1.5: add a single-value string attribute
	nick := entraAddNickNoFlag
	if flag {
		nick = entraAddNickFlag
	}
	if p = e.call("PATCH", "/api/scim/Users/"+id, nick).want(t, 200); p.s("nickName") != "Babs" {
		t.Fatalf("add nickName: %s", p.raw)
	}

	// §1.5: replace multiple attributes
	if !flag {
		p = e.call("PATCH", "/api/scim/Users/"+id, entraReplaceManyNoFlag).want(t, 200)
		if p.s("displayName") != "Pvlo" || p.s("emails.0.value") != "TestBcwqnm@test.microsoft.com" || p.s("name.givenName") != "Gtfd" ||
			p.s("name.familyName") != "Pkqf" || p.s("externalId") != "Eqpj" || enterprise(p, "employeeNumber") != "Eqpj" {
			t.Fatalf("replace many: %s", p.raw)
		}
		if u := e.mustUser(id); u.SCIM.DisplayName != "Pvlo" || u.Email != "TestBcwqnm@test.microsoft.com" || u.Name != "Gtfd Pkqf" ||
			u.SCIM.ExternalID != "Eqpj" || u.SCIM.EmployeeNumber != "Eqpj" {
			t.Fatalf("after replace many: %+v", u)
		}
	} else {
		p = e.call("PATCH", "/api/scim/Users/"+id, entraReplaceManyFlag).want(t, 200)
		if u := e.mustUser(id); u.SCIM.DisplayName != "Bjfe" || u.Email != "TestMhvaes@test.microsoft.com" || u.Name != "Kkom Unua" ||
			u.SCIM.EmployeeNumber != "Aklq" || u.SCIM.ExternalID != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" {
			t.Fatalf("after path-less replace: %+v\n%s", u, p.raw)
		}
		if p.s("nickName") != "Babs" || p.s("name.formatted") != "Kkom Unua" {
			t.Fatalf("path-less replace lost or kept the wrong attributes: %s", p.raw)
		}
	}

	// Delete User: disabled by the default behaviour, and gone from SCIM
	// (RFC 7644 §3.6: every operation on it answers 404 from then on);
	// deleted with deprovision_behavior delete.
	e.call("DELETE", "/api/scim/Users/"+id, "").want(t, 204)
	if !e.mustUser(id).Disabled {
		t.Fatal("DELETE with deprovision_behavior disable must disable")
	}
	e.call("GET", "/api/scim/Users/"+id, "").wantError(t, 404, "")
	e.call("DELETE", "/api/scim/Users/"+id, "").wantError(t, 404, "")
	e.setBehavior("delete")
	other := e.createUser("deleted.next@test.microsoft.com", "ext-deleted-next")
	e.call("DELETE", "/api/scim/Users/"+other, "").want(t, 204)
	if _, err := e.user(other); err == nil {
		t.Fatal("DELETE with deprovision_behavior delete must delete")
	}
	e.call("GET", "/api/scim/Users/"+other, "").wantError(t, 404, "")
	e.setBehavior("disable")
}

func replayMoreShapes(t *testing.T, e *env, flag bool) {
	// Example 2, then Example 1 (unquoted filter value) and Example 3.
	r := e.call("POST", "/api/scim/Users", entraExample2).want(t, 201)
	id := r.s("id")
	if r.s("displayName") != "Joy Young" || r.s("emails.0.value") != "jyoung@Contoso.com" {
		t.Fatalf("example 2: %s", r.raw)
	}
	l := e.call("GET", "/api/scim/Users?filter=externalId+eq+jyoung", "").want(t, 200)
	if l.s("totalResults") != "1" || l.s("Resources.0.id") != id {
		t.Fatalf("example 1: %s", l.raw)
	}
	e.call("GET", "/api/scim/Users/"+id, "").want(t, 200)

	// Example 5: the manager added as a list with $ref; then Example 4's
	// check of the current value.
	mgr := e.createUser("manager@testuser.com", "mgr-"+strconv.FormatBool(flag))
	p := e.call("PATCH", "/api/scim/Users/"+id, strings.ReplaceAll(entraAddManager, "ID", mgr)).want(t, 200)
	if m, _ := get(p.body[ent], "manager.value").(string); m != mgr || e.mustUser(id).SCIM.Manager != mgr {
		t.Fatalf("example 5: %s", p.raw)
	}
	l = e.call("GET", "/api/scim/Users?filter=id+eq+%22"+id+"%22+and+manager+eq+%22"+mgr+"%22&attributes=id", "").want(t, 200)
	if l.s("totalResults") != "1" || l.s("Resources.0.id") != id || l.s("Resources.0.userName") != "" {
		t.Fatalf("example 4: %s", l.raw)
	}
	// Example 6
	e.call("DELETE", "/api/scim/Users/"+id, "").want(t, 204)

	// Roles: objects in POST, a JSON string inside value in PATCH.
	r = e.call("POST", "/api/scim/Users", entraRolesPost).want(t, 201)
	if r.s("roles.0.value") != "Admin" || r.s("roles.0.primary") != "true" {
		t.Fatalf("roles POST: %s", r.raw)
	}
	p = e.call("PATCH", "/api/scim/Users/"+r.s("id"), entraRolesPatch).want(t, 200)
	if !strings.Contains(p.s("roles.1.value"), "Role1234") {
		t.Fatalf("roles PATCH: %s", p.raw)
	}
}

func replayGroups(t *testing.T, e *env, flag bool) {
	a := e.createUser("member-a@testuser.com", "member-a")
	b := e.createUser("member-b@testuser.com", "member-b")

	// Create Group, with Entra's extra schema URI
	r := e.call("POST", "/api/scim/Groups", entraCreateGroup).want(t, 201)
	gid := r.s("id")
	if r.s("displayName") != "displayName" || r.s("externalId") != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" ||
		r.s("members") != "[]" || r.s("meta.resourceType") != "Group" {
		t.Fatalf("create group: %s", r.raw)
	}

	// Get Group and Get Group by displayName, without members
	g := e.call("GET", "/api/scim/Groups/"+gid+"?excludedAttributes=members", "").want(t, 200)
	if _, ok := g.body["members"]; ok || g.s("displayName") != "displayName" || g.s("id") != gid {
		t.Fatalf("get group: %s", g.raw)
	}
	l := e.call("GET", "/api/scim/Groups?excludedAttributes=members&filter=displayName+eq+%22displayName%22", "").want(t, 200)
	if l.s("totalResults") != "1" || l.s("Resources.0.id") != gid || get(l.body, "Resources.0.members") != nil {
		t.Fatalf("group by displayName: %s", l.raw)
	}

	// Update Group [Non-member attributes]
	e.call("PATCH", "/api/scim/Groups/"+gid, entraRenameGroup).want(t, 204)
	if g := e.call("GET", "/api/scim/Groups/"+gid, "").want(t, 200); g.s("displayName") != "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName" {
		t.Fatalf("rename: %s", g.raw)
	}

	// Update Group [Add Members], twice
	for _, m := range []string{a, b} {
		body := strings.ReplaceAll(strings.ReplaceAll(entraMembers, "OP", "Add"), "ID", m)
		e.call("PATCH", "/api/scim/Groups/"+gid, body).want(t, 204)
	}
	if ms := e.members(gid); len(ms) != 2 {
		t.Fatalf("members after add: %v", ms)
	}

	// Update Group [Remove Members]: the form of the flag in use removes
	// only the member named, never all.
	remove := strings.ReplaceAll(strings.ReplaceAll(entraMembers, "OP", "Remove"), "ID", a)
	if flag {
		remove = strings.ReplaceAll(entraRemoveMemberFlag, "ID", a)
	}
	e.call("PATCH", "/api/scim/Groups/"+gid, remove).want(t, 204)
	if ms := e.members(gid); len(ms) != 1 || strconv.FormatInt(ms[0], 10) != b {
		t.Fatalf("members after removing %s: %v", a, ms)
	}
	// PATCH with attributes answers 200 with the resource.
	g = e.call("PATCH", "/api/scim/Groups/"+gid+"?attributes=members", strings.ReplaceAll(strings.ReplaceAll(entraMembers, "OP", "Add"), "ID", a)).want(t, 200)
	if g.s("id") != gid || len(get(g.body, "members").([]any)) != 2 {
		t.Fatalf("patch with attributes: %s", g.raw)
	}
	// The RFC's remove of all members (Postman collection).
	e.call("PATCH", "/api/scim/Groups/"+gid, postmanRemoveAll).want(t, 204)
	if ms := e.members(gid); len(ms) != 0 {
		t.Fatalf("members after remove all: %v", ms)
	}

	// Delete Group
	e.call("DELETE", "/api/scim/Groups/"+gid, "").want(t, 204)
	e.call("GET", "/api/scim/Groups/"+gid, "").wantError(t, 404, "")
}

func replaySchemas(t *testing.T, e *env) {
	r := e.call("GET", "/api/scim/Schemas", "").want(t, 200)
	if r.s("totalResults") != "3" || r.s("Resources.0.id") != "urn:ietf:params:scim:schemas:core:2.0:User" ||
		r.s("Resources.1.id") != "urn:ietf:params:scim:schemas:core:2.0:Group" ||
		r.s("Resources.2.id") != "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" {
		t.Fatalf("schemas: %s", r.raw)
	}
	for _, path := range []string{"/api/scim/ServiceProviderConfig", "/api/scim/ResourceTypes", "/api/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"} {
		e.call("GET", path, "").want(t, 200)
	}
}

const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// enterprise reads an attribute of the enterprise extension.
func enterprise(r response, name string) any { return get(r.body[ent], name) }

package scim_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

func guid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// TestEntraCycle runs a provisioning cycle as Entra drives it: Test
// Connection, 50 users and 5 groups with members, a rename, a soft
// delete and re-activation, a hard delete, a group rename and member
// removal in both of Entra's forms.
func TestEntraCycle(t *testing.T) {
	drivers(t, func(t *testing.T, open func(testing.TB) store.Store) {
		e := newEnv(t, open)
		e.query = "aadOptscim062020"

		// Test Connection: a random GUID as userName, 200 and an empty list.
		r := e.call("GET", "/api/scim/Users?filter=userName+eq+%22"+guid()+"%22", "").want(t, 200)
		if r.s("totalResults") != "0" || r.s("Resources") != "[]" {
			t.Fatalf("test connection: %s", r.raw)
		}

		// The initial cycle: query each user, create when missing.
		ids := make([]string, 50)
		for i := range ids {
			upn := fmt.Sprintf("user%02d@contoso.com", i)
			l := e.call("GET", "/api/scim/Users?filter=userName+eq+%22"+upn+"%22", "").want(t, 200)
			if l.s("totalResults") != "0" {
				t.Fatalf("user %s exists before its creation", upn)
			}
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
				"externalId":%q,"userName":%q,"active":true,"displayName":"User %02d",
				"emails":[{"primary":true,"type":"work","value":%q}],"meta":{"resourceType":"User"},
				"name":{"familyName":"Family%02d","givenName":"Given%02d"},
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Dept%d","employeeNumber":"%d"}}`,
				guid(), upn, i, upn, i, i, i%3, 1000+i)
			ids[i] = e.call("POST", "/api/scim/Users", body).want(t, 201).s("id")
		}
		groups := make([]string, 5)
		for g := range groups {
			l := e.call("GET", fmt.Sprintf("/api/scim/Groups?excludedAttributes=members&filter=displayName+eq+%%22Team+%d%%22", g), "").want(t, 200)
			if l.s("totalResults") != "0" {
				t.Fatalf("group %d exists before its creation", g)
			}
			groups[g] = e.createGroup(fmt.Sprintf("Team %d", g), guid())
			// Entra adds members in batches of PATCH operations.
			var ops []string
			for i := g; i < 50; i += 5 {
				ops = append(ops, fmt.Sprintf(`{"op":"Add","path":"members","value":[{"value":%q}]}`, ids[i]))
			}
			e.call("PATCH", "/api/scim/Groups/"+groups[g], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+strings.Join(ops, ",")+`]}`).want(t, 204)
			if n := len(e.members(groups[g])); n != 10 {
				t.Fatalf("group %d has %d members, want 10", g, n)
			}
		}
		if l := e.call("GET", "/api/scim/Users?count=10&startIndex=41", "").want(t, 200); l.s("totalResults") != "50" ||
			l.s("itemsPerPage") != "10" || l.s("startIndex") != "41" || l.s("Resources.0.id") != ids[40] {
			t.Fatalf("paging: %s", l.raw)
		}

		// Rename a user: the account keeps its id.
		e.call("PATCH", "/api/scim/Users/"+ids[7], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Replace","path":"userName","value":"renamed07@contoso.com"}]}`).want(t, 200)
		if l := e.call("GET", "/api/scim/Users?filter=userName+eq+%22renamed07@contoso.com%22", "").want(t, 200); l.s("Resources.0.id") != ids[7] {
			t.Fatalf("rename changed the id: %s", l.raw)
		}

		// Attribute names in any case: Entra's proxy-addresses mapping
		// writes emails[type eq "other"].Value.
		r = e.call("PATCH", "/api/scim/Users/"+ids[6], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Add","path":"emails[type eq \"other\"].Value","value":"alias06@contoso.com"},
			{"op":"Replace","path":"EMAILS[TYPE eq \"work\"].VALUE","value":"new06@contoso.com"},
			{"op":"replace","path":"Name.GivenName","value":"Six"}]}`).want(t, 200)
		if r.s("emails.0.value") != "new06@contoso.com" || r.s("emails.1.value") != "alias06@contoso.com" || r.s("emails.1.type") != "other" ||
			r.s("name.givenName") != "Six" || e.mustUser(ids[6]).Email != "new06@contoso.com" {
			t.Fatalf("case-insensitive paths: %s", r.raw)
		}
		if l := e.call("GET", "/api/scim/Users?filter=emails%5Btype+eq+%22work%22%5D.value+eq+%22NEW06@contoso.com%22", "").want(t, 200); l.s("Resources.0.id") != ids[6] {
			t.Fatalf("filter on the work e-mail: %s", l.raw)
		}

		// Soft delete ("False" as Entra sends it without the flag), then
		// re-activation; memberships survive both.
		for _, v := range []string{`"False"`, `"True"`} {
			e.call("PATCH", "/api/scim/Users/"+ids[8], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"Replace","path":"active","value":`+v+`}]}`).want(t, 200)
			if u := e.mustUser(ids[8]); u.Disabled != (v == `"False"`) {
				t.Fatalf("after active %s: disabled %v", v, u.Disabled)
			}
		}
		// active via Add (seen from Entra) works too.
		e.call("PATCH", "/api/scim/Users/"+ids[9], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Add","path":"active","value":"False"}]}`).want(t, 200)
		if !e.mustUser(ids[9]).Disabled {
			t.Fatal("active false by Add did not disable")
		}
		if n := len(e.members(groups[3])); n != 10 {
			t.Fatalf("memberships lost by deactivation: %d", n)
		}

		// Hard delete with deprovision_behavior delete.
		e.setBehavior("delete")
		e.call("DELETE", "/api/scim/Users/"+ids[10], "").want(t, 204)
		e.call("GET", "/api/scim/Users/"+ids[10], "").wantError(t, 404, "")
		if n := len(e.members(groups[0])); n != 9 {
			t.Fatalf("a deleted user must leave its groups: %d members", n)
		}

		// Group rename.
		e.call("PATCH", "/api/scim/Groups/"+groups[1], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Replace","path":"displayName","value":"Team One"}]}`).want(t, 204)
		if g := e.call("GET", "/api/scim/Groups/"+groups[1]+"?excludedAttributes=members", "").want(t, 200); g.s("displayName") != "Team One" {
			t.Fatalf("group rename: %s", g.raw)
		}

		// Remove one member by each form: only that member goes.
		e.call("PATCH", "/api/scim/Groups/"+groups[2], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Remove","path":"members","value":[{"value":"`+ids[2]+`"}]}]}`).want(t, 204)
		e.call("PATCH", "/api/scim/Groups/"+groups[2], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"remove","path":"members[value eq \"`+ids[7]+`\"]"}]}`).want(t, 204)
		ms := e.members(groups[2])
		if len(ms) != 8 || slices.Contains(ms, mustInt(ids[2])) || slices.Contains(ms, mustInt(ids[7])) {
			t.Fatalf("members after removing two: %v", ms)
		}
		// Every request was logged.
		if n := len(e.scimLogs()); n < 120 {
			t.Fatalf("%d scim_logs entries, want one per request", n)
		}
	})
}

func mustInt(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// TestOktaCycle drives the server as Okta does, with Basic credentials:
// PUT for updates, path-less replace of active to deactivate, groups
// with members in POST and PUT.
func TestOktaCycle(t *testing.T) {
	drivers(t, func(t *testing.T, open func(testing.TB) store.Store) {
		e := newEnv(t, open)
		username, password, _, err := e.svc.GenerateSCIMBasic(e.ctx, identity.SystemActor, e.site.ID, e.p.ID)
		if err != nil {
			t.Fatal(err)
		}
		basic := map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password)),
			"Content-Type": "application/scim+json; charset=utf-8", "User-Agent": "Okta SCIM Client 1.0.0"}
		call := func(method, path, body string) response { return e.callWith(method, path, body, basic) }
		// The bearer token stopped working when the method became basic.
		e.call("GET", "/api/scim/Users", "").wantError(t, 401, "")

		call("GET", "/api/scim/v2/Users?filter=userName%20eq%20%22isabella@example.com%22&startIndex=1&count=100", "").want(t, 200)
		r := call("POST", "/api/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName":"isabella@example.com","name":{"givenName":"Isabella","familyName":"Garcia"},
			"emails":[{"primary":true,"value":"isabella@example.com","type":"work"}],"displayName":"Isabella Garcia",
			"locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`).want(t, 201)
		id := r.s("id")
		if !strings.HasPrefix(r.s("meta.location"), "https://files.example.com/api/scim/v2/Users/") {
			t.Fatalf("location under the prefix used: %s", r.s("meta.location"))
		}
		if _, ok := r.body["password"]; ok {
			t.Fatal("a password must never be returned")
		}
		r = call("PUT", "/api/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"`+id+`",
			"userName":"isabella@example.com","name":{"givenName":"Isabel","familyName":"Garcia"},
			"emails":[{"primary":true,"value":"isabel@example.com","type":"work"}],"displayName":"Isabel Garcia",
			"locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"active":true}`).want(t, 200)
		if u := e.mustUser(id); u.Name != "Isabel Garcia" || u.Email != "isabel@example.com" {
			t.Fatalf("after PUT: %+v", u)
		}
		// Deactivate and reactivate the way Okta does.
		for _, active := range []string{"false", "true"} {
			call("PATCH", "/api/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"replace","value":{"active":`+active+`}}]}`).want(t, 200)
			if u := e.mustUser(id); u.Disabled != (active == "false") {
				t.Fatalf("after active %s: %+v", active, u)
			}
		}
		other := call("POST", "/api/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName":"john@example.com","name":{"givenName":"John","familyName":"Doe"},"active":true}`).want(t, 201).s("id")

		g := call("POST", "/api/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
			"displayName":"Test SCIMv2","members":[{"value":"`+id+`","display":"isabella@example.com"}]}`).want(t, 201)
		gid := g.s("id")
		if _, ok := g.body["externalId"]; ok || len(e.members(gid)) != 1 {
			t.Fatalf("group created without externalId: %s", g.raw)
		}
		call("PATCH", "/api/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","value":{"id":"`+gid+`","displayName":"Test SCIMv2 renamed"}}]}`).want(t, 204)
		call("PATCH", "/api/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"add","path":"members","value":[{"value":"`+other+`","display":"john@example.com"}]}]}`).want(t, 204)
		if len(e.members(gid)) != 2 {
			t.Fatal("member not added")
		}
		r = call("PUT", "/api/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
			"displayName":"Test SCIMv2 renamed","members":[{"value":"`+other+`"}]}`).want(t, 200)
		if ms := e.members(gid); len(ms) != 1 || ms[0] != mustInt(other) || r.s("displayName") != "Test SCIMv2 renamed" {
			t.Fatalf("after PUT group: %v %s", ms, r.raw)
		}
		call("DELETE", "/api/scim/v2/Groups/"+gid, "").want(t, 204)
		call("DELETE", "/api/scim/v2/Users/"+other, "").want(t, 204)

		// The SCIM log has every request with the user agent, and never
		// the password.
		logs := e.scimLogs()
		found := false
		for _, l := range logs {
			if strings.Contains(l.RequestJSON, "1mz050nq") || strings.Contains(l.ResponseJSON, "1mz050nq") {
				t.Fatalf("password in scim_logs: %+v", l)
			}
			if l.RequestMethod == "POST" && strings.Contains(l.RequestJSON, "isabella@example.com") {
				found = found || l.HTTPResponseCode == 201 && l.UserAgent == "Okta SCIM Client 1.0.0" && l.SSOStrategyID == e.p.ID &&
					strings.Contains(l.RequestJSON, `"password":"[redacted]"`) && l.RequestPath == "/api/scim/v2/Users"
			}
		}
		if !found {
			t.Fatalf("the create is not logged as expected: %+v", logs)
		}
	})
}

// TestConcurrentMemberPatches has many clients add and remove members
// of one group at once, as Entra's parallel workers do: no change may be
// lost.
func TestConcurrentMemberPatches(t *testing.T) {
	drivers(t, func(t *testing.T, open func(testing.TB) store.Store) {
		e := newEnv(t, open)
		const n = 40
		ids := make([]string, 2*n)
		for i := range ids {
			ids[i] = e.createUser(fmt.Sprintf("c%02d@contoso.com", i), fmt.Sprintf("c%02d", i))
		}
		gid := e.createGroup("Concurrent", "grp-concurrent")
		// The second half starts as members; the first half gets added
		// while the second half gets removed, one PATCH each.
		var ops []string
		for _, id := range ids[n:] {
			ops = append(ops, `{"value":"`+id+`"}`)
		}
		e.call("PATCH", "/api/scim/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Add","path":"members","value":[`+strings.Join(ops, ",")+`]}]}`).want(t, 204)
		var wg sync.WaitGroup
		errs := make(chan string, 2*n)
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				op := "Add"
				if i >= n {
					op = "Remove"
				}
				r := e.callWith("PATCH", "/api/scim/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
					"Operations":[{"op":"`+op+`","path":"members","value":[{"value":"`+id+`"}]}]}`,
					map[string]string{"Authorization": "Bearer " + e.token})
				if r.status != 204 {
					errs <- r.raw
				}
			}()
		}
		wg.Wait()
		close(errs)
		for msg := range errs {
			t.Errorf("concurrent PATCH failed: %s", msg)
		}
		ms := e.members(gid)
		slices.Sort(ms)
		var want []int64
		for _, id := range ids[:n] {
			want = append(want, mustInt(id))
		}
		slices.Sort(want)
		if !slices.Equal(ms, want) {
			t.Fatalf("members after concurrent PATCHes:\n got %v\nwant %v", ms, want)
		}
	})
}

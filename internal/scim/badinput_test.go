package scim_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

const userSchema = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
const patchSchema = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`

// TestBadInput sends malformed, oversized, forged and unknown input: each
// is a SCIM error with the right status and scimType, logged, and leaves
// stored data as it was.
func TestBadInput(t *testing.T) {
	drivers(t, func(t *testing.T, open func(testing.TB) store.Store) {
		e := newEnv(t, open)
		uid := e.createUser("alice@contoso.com", "alice")
		gid := e.createGroup("Staff", "grp-staff")
		e.call("PATCH", "/api/scim/Groups/"+gid, `{`+patchSchema+`,"Operations":[{"op":"add","path":"members","value":[{"value":"`+uid+`"}]}]}`).want(t, 204)

		// Another provider of the same site with its own user.
		other, otherToken := e.provider(e.site.ID, "Okta")
		otherUser := e.callWith("POST", "/api/scim/Users", `{`+userSchema+`,"userName":"mallory@contoso.com"}`,
			map[string]string{"Authorization": "Bearer " + otherToken}).want(t, 201).s("id")
		_ = other

		huge := `{` + userSchema + `,"userName":"big@contoso.com","title":"` + strings.Repeat("x", 1<<20) + `"}`
		cases := []struct {
			name, method, path, body string
			headers                  map[string]string
			status                   int
			scimType                 string
		}{
			{"malformed JSON", "POST", "/api/scim/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":`, nil, 400, "invalidSyntax"},
			{"not an object", "POST", "/api/scim/Users", `["userName"]`, nil, 400, "invalidSyntax"},
			{"two values", "POST", "/api/scim/Users", `{` + userSchema + `,"userName":"a@b.c"} {}`, nil, 400, "invalidSyntax"},
			{"empty body", "POST", "/api/scim/Users", ``, nil, 400, "invalidSyntax"},
			{"wrong content type", "POST", "/api/scim/Users", `{` + userSchema + `,"userName":"x@contoso.com"}`,
				map[string]string{"Content-Type": "text/xml"}, 415, ""},
			{"body over 1 MiB", "POST", "/api/scim/Users", huge, nil, 413, ""},
			{"unknown attribute", "POST", "/api/scim/Users", `{` + userSchema + `,"userName":"x@contoso.com","favouriteColour":"blue"}`, nil, 400, "invalidSyntax"},
			{"unknown sub-attribute path", "POST", "/api/scim/Users", `{` + userSchema + `,"userName":"x@contoso.com","emails.value":"x"}`, nil, 400, "invalidSyntax"},
			{"missing schemas", "POST", "/api/scim/Users", `{"userName":"x@contoso.com"}`, nil, 400, "invalidSyntax"},
			{"wrong schemas", "POST", "/api/scim/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"userName":"x@contoso.com"}`, nil, 400, "invalidSyntax"},
			{"missing userName", "POST", "/api/scim/Users", `{` + userSchema + `,"name":{"givenName":"X"}}`, nil, 400, "invalidValue"},
			{"userName not a string", "POST", "/api/scim/Users", `{` + userSchema + `,"userName":42}`, nil, 400, "invalidValue"},
			{"active not a boolean", "POST", "/api/scim/Users", `{` + userSchema + `,"userName":"x@contoso.com","active":"maybe"}`, nil, 400, "invalidValue"},
			{"control characters in userName", "POST", "/api/scim/Users", `{` + userSchema + `,"userName":"x\u0000y"}`, nil, 400, "invalidValue"},
			{"NUL in a filter", "GET", "/api/scim/Users?filter=userName+eq+%22a%00b%22", "", nil, 400, "invalidFilter"},
			{"NUL in externalId", "POST", "/api/scim/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","externalId":"a\u0000"}`, nil, 400, "invalidValue"},
			{"duplicate userName", "POST", "/api/scim/Users", `{` + userSchema + `,"userName":"ALICE@contoso.com"}`, nil, 409, "uniqueness"},
			{"userName of another provider's user", "POST", "/api/scim/Users", `{` + userSchema + `,"userName":"mallory@contoso.com"}`, nil, 409, "uniqueness"},
			{"duplicate externalId", "POST", "/api/scim/Users", `{` + userSchema + `,"userName":"x@contoso.com","externalId":"alice"}`, nil, 409, "uniqueness"},
			{"duplicate group", "POST", "/api/scim/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"staff"}`, nil, 409, "uniqueness"},
			{"group without displayName", "POST", "/api/scim/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]}`, nil, 400, "invalidValue"},
			{"invalid filter", "GET", "/api/scim/Users?filter=userName+eq", "", nil, 400, "invalidFilter"},
			{"filter on an unfilterable attribute", "GET", "/api/scim/Users?filter=title+eq+%22x%22", "", nil, 400, "invalidFilter"},
			{"filter with a bad date", "GET", "/api/scim/Users?filter=meta.lastModified+gt+%22yesterday%22", "", nil, 400, "invalidFilter"},
			{"filter too long", "GET", "/api/scim/Users?filter=userName+eq+%22" + strings.Repeat("a", 5000) + "%22", "", nil, 400, "invalidFilter"},
			{"bad startIndex", "GET", "/api/scim/Users?startIndex=first", "", nil, 400, "invalidValue"},
			{"patch path that does not exist", "PATCH", "/api/scim/Users/" + uid, `{` + patchSchema + `,"Operations":[{"op":"replace","path":"favouriteColour","value":"x"}]}`, nil, 400, "invalidPath"},
			{"patch path that cannot be read", "PATCH", "/api/scim/Users/" + uid, `{` + patchSchema + `,"Operations":[{"op":"replace","path":"emails[type eq ","value":"x"}]}`, nil, 400, "invalidPath"},
			{"patch sub-attribute that does not exist", "PATCH", "/api/scim/Users/" + uid, `{` + patchSchema + `,"Operations":[{"op":"replace","path":"userName.first","value":"x"}]}`, nil, 400, "invalidPath"},
			{"patch op unknown", "PATCH", "/api/scim/Users/" + uid, `{` + patchSchema + `,"Operations":[{"op":"move","path":"userName","value":"x"}]}`, nil, 400, "invalidSyntax"},
			{"patch without operations", "PATCH", "/api/scim/Users/" + uid, `{` + patchSchema + `,"Operations":[]}`, nil, 400, "invalidSyntax"},
			{"patch remove without path", "PATCH", "/api/scim/Users/" + uid, `{` + patchSchema + `,"Operations":[{"op":"remove"}]}`, nil, 400, "noTarget"},
			{"patch without schemas", "PATCH", "/api/scim/Users/" + uid, `{"Operations":[{"op":"replace","path":"userName","value":"x@contoso.com"}]}`, nil, 400, "invalidSyntax"},
			{"patch removing userName", "PATCH", "/api/scim/Users/" + uid, `{` + patchSchema + `,"Operations":[{"op":"remove","path":"userName"}]}`, nil, 400, "invalidValue"},
			{"patch of a group path that does not exist", "PATCH", "/api/scim/Groups/" + gid, `{` + patchSchema + `,"Operations":[{"op":"add","path":"owners","value":[{"value":"1"}]}]}`, nil, 400, "invalidPath"},
			{"patch of a group's externalId", "PATCH", "/api/scim/Groups/" + gid, `{` + patchSchema + `,"Operations":[{"op":"replace","path":"externalId","value":"other"}]}`, nil, 400, "mutability"},
			{"another provider's user: get", "GET", "/api/scim/Users/" + otherUser, "", nil, 404, ""},
			{"another provider's user: patch", "PATCH", "/api/scim/Users/" + otherUser, `{` + patchSchema + `,"Operations":[{"op":"replace","path":"active","value":false}]}`, nil, 404, ""},
			{"another provider's user: put", "PUT", "/api/scim/Users/" + otherUser, `{` + userSchema + `,"userName":"mallory@contoso.com","active":false}`, nil, 404, ""},
			{"another provider's user: delete", "DELETE", "/api/scim/Users/" + otherUser, "", nil, 404, ""},
			{"an id that is no number", "GET", "/api/scim/Users/../../rest/v1/users", "", nil, 404, ""},
			{"stale If-Match", "PATCH", "/api/scim/Users/" + uid, `{` + patchSchema + `,"Operations":[{"op":"replace","path":"displayName","value":"x"}]}`,
				map[string]string{"If-Match": `W/"stale"`}, 412, ""},
			{"unknown endpoint", "GET", "/api/scim/Things", "", nil, 404, ""},
			{"method not allowed", "DELETE", "/api/scim/Users", "", nil, 405, ""},
			{"bulk", "POST", "/api/scim/Bulk", `{}`, nil, 501, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := e.snapshot()
				logs := len(e.scimLogs())
				headers := map[string]string{"Authorization": "Bearer " + e.token}
				for k, v := range tc.headers {
					headers[k] = v
				}
				e.callWith(tc.method, tc.path, tc.body, headers).wantError(t, tc.status, tc.scimType)
				if after := e.snapshot(); after != before {
					t.Fatalf("stored data changed:\nbefore %s\nafter  %s", before, after)
				}
				if n := len(e.scimLogs()); n != logs+1 {
					t.Fatalf("scim_logs grew by %d, want 1", n-logs)
				}
			})
		}

		// A member id of another provider's user is skipped: the group
		// keeps its members and gains nobody.
		e.call("PATCH", "/api/scim/Groups/"+gid, `{`+patchSchema+`,"Operations":[{"op":"add","path":"members","value":[{"value":"`+otherUser+`"},{"value":"999999"}]}]}`).want(t, 204)
		if ms := e.members(gid); len(ms) != 1 || ms[0] != mustInt(uid) {
			t.Fatalf("members after adding foreign ids: %v", ms)
		}
	})
}

// TestCredentials checks that wrong, expired and missing credentials get
// 401 in SCIM's format, are logged, and see nothing.
func TestCredentials(t *testing.T) {
	drivers(t, func(t *testing.T, open func(testing.TB) store.Store) {
		e := newEnv(t, open)
		e.createUser("alice@contoso.com", "alice")
		before := e.snapshot()
		for name, auth := range map[string]string{
			"wrong token":  "Bearer " + e.token + "x",
			"no scheme":    e.token,
			"wrong basic":  "Basic dXNlcjpwYXNz",
			"empty bearer": "Bearer ",
		} {
			r := e.callWith("POST", "/api/scim/Users", `{`+userSchema+`,"userName":"eve@contoso.com","password":"hunter2"}`,
				map[string]string{"Authorization": auth}).wantError(t, 401, "")
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("%s: no WWW-Authenticate challenge", name)
			}
		}
		// A token past its expiry.
		e.clock.Advance(366 * 24 * time.Hour)
		e.call("GET", "/api/scim/Users", "").wantError(t, 401, "")
		if after := e.snapshot(); after != before {
			t.Fatal("a refused request changed stored data")
		}
		logs := e.scimLogs()
		if len(logs) < 5 {
			t.Fatalf("%d scim_logs entries, want one per refused request", len(logs))
		}
		expired := false
		for _, l := range logs {
			if strings.Contains(l.RequestJSON, "hunter2") || strings.Contains(l.ResponseJSON, e.token) {
				t.Fatalf("a secret reached scim_logs: %+v", l)
			}
			if l.HTTPResponseCode == http.StatusUnauthorized && l.SSOStrategyID == e.p.ID && strings.Contains(l.ResponseJSON, "expired") {
				expired = true
			}
		}
		if !expired {
			t.Fatalf("the expired token's refusal is not logged on its provider: %+v", logs)
		}
	})
}

// TestMountedInWeb checks the SCIM handler as the web front end mounts
// it: through the request-id, logging and admission layers, but outside
// the CSRF and session layers that would refuse a cookie-less client.
func TestMountedInWeb(t *testing.T) {
	e := newEnv(t, openSQLite)
	r := e.callWith("POST", "/api/scim/Users", `{`+userSchema+`,"userName":"x@contoso.com"}`, map[string]string{
		"Authorization": "Bearer " + e.token, "Origin": "https://elsewhere.example", "Cookie": "gatehouse_session=forged"}).want(t, 201)
	if r.header.Get("X-Request-Id") == "" || r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("SCIM answers miss the web layers' headers: %v", r.header)
	}
	e.callWith("GET", "/api/scim", "", map[string]string{"Authorization": "Bearer " + e.token}).wantError(t, 404, "")
}

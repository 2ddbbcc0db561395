package scim_test

import (
	"net/url"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TestFilterStringsAreJSONStrings: a filter's compared value is a JSON
// string (RFC 7644 §3.4.2.2), so a client escapes quotes and backslashes
// in it, and the server must compare with the unescaped text, both in a
// list filter and in a PATCH path's [filter].
func TestFilterStringsAreJSONStrings(t *testing.T) {
	drivers(t, func(t *testing.T, open func(testing.TB) store.Store) {
		e := newEnv(t, open)
		const display = `CONTOSO\ops "night" shift`
		id := e.call("POST", "/api/scim/Users", `{`+userSchema+`,"userName":"ops@contoso.com","displayName":`+q(display)+
			`,"emails":[{"type":"work","value":"ops@contoso.com"},{"type":"other","value":"o\"neil@contoso.com"}]}`).want(t, 201).s("id")
		for _, filter := range []string{
			`displayName eq "CONTOSO\\ops \"night\" shift"`,
			`displayName sw "CONTOSO\\" and displayName ew "\"night\" shift"`,
			`displayName eq "CONTOSO\u005cops \u0022night\u0022 shift"`,
		} {
			l := e.call("GET", "/api/scim/Users?filter="+url.QueryEscape(filter), "").want(t, 200)
			if l.s("totalResults") != "1" || l.s("Resources.0.id") != id {
				t.Errorf("filter %s: %s", filter, l.raw)
			}
		}
		for _, filter := range []string{`displayName eq "a\qb"`, `userName eq "a\u0000b"`, `emails[value eq "\u0000"].value eq "x"`} {
			e.call("GET", "/api/scim/Users?filter="+url.QueryEscape(filter), "").wantError(t, 400, "invalidFilter")
		}
		e.call("PATCH", "/api/scim/Users/"+id, `{`+patchSchema+`,"Operations":[{"op":"add",`+
			`"path":"emails[type eq \"x\\u0000\"].value","value":"x@contoso.com"}]}`).wantError(t, 400, "invalidPath")

		// Entra's value-path PATCH, with an escaped quote in the filter.
		e.call("PATCH", "/api/scim/Users/"+id, `{`+patchSchema+`,"Operations":[{"op":"replace",`+
			`"path":"emails[value eq \"o\\\"neil@contoso.com\"].type","value":"home"}]}`).want(t, 200)
		r := e.call("GET", "/api/scim/Users/"+id, "").want(t, 200)
		if r.s("emails.1.value") != `o"neil@contoso.com` || r.s("emails.1.type") != "home" || len(r.body["emails"].([]any)) != 2 {
			t.Fatalf("the value path did not reach the escaped address: %s", r.raw)
		}
	})
}

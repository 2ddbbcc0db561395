package scim

import (
	"strings"
	"testing"
)

// TestRedact checks that no password survives into scim_logs, whatever
// shape the body has.
func TestRedact(t *testing.T) {
	for _, body := range []string{
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","password":"s3cret-1"}`,
		`{"userName":"a","PassWord":"s3cret-1"}`,
		`{"urn:ietf:params:scim:schemas:core:2.0:User:password":"s3cret-1"}`,
		`{"Operations":[{"op":"replace","path":"password","value":"s3cret-1"}]}`,
		`{"Operations":[{"op":"replace","value":{"password":"s3cret-1","active":true}}]}`,
		`{"userName":"a","password":"s3cret-1"`,                // not JSON
		`{"userName":"a","password":"s3cret-1\" ,"x":1`,        // not JSON, escaped quote
		`{"userName":"a","password": s3cret-1 }`,               // not JSON, unquoted
		`{"userName":"a","password":"s3cret-1","password":""}`, // duplicate key
	} {
		got := redact([]byte(body))
		if strings.Contains(got, "s3cret-1") || !strings.Contains(got, "redacted") {
			t.Errorf("redact(%s) = %s", body, got)
		}
	}
	if got := redact([]byte(`{"userName":"a"}`)); got != `{"userName":"a"}` {
		t.Errorf("a body without secrets changed: %s", got)
	}
}

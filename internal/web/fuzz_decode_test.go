package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/identity"
)

// bodyTypes are the request bodies the API handlers decode with
// readJSONBody, each as a function making a fresh value to decode into
// (updateUser and updateSSOStrategy decode one body into two values).
var bodyTypes = []func() []any{
	func() []any { return []any{new(identity.UserChange), new(forceParam)} },
	func() []any { return []any{new(identity.GroupChange)} },
	func() []any { return []any{new(groupUserParams)} },
	func() []any { return []any{new(identity.APIKeyChange)} },
	func() []any { return []any{new(identity.PublicKeyChange)} },
	func() []any { return []any{new(identity.SiteChange)} },
	func() []any { return []any{new(identity.SSOStrategyChange), new(scimResetParam)} },
	func() []any { return []any{new(sessionParams)} },
	func() []any { return []any{new(syncParams)} },
	func() []any { return []any{new(testParams)} },
	func() []any { return []any{new(forceParam)} },
	func() []any {
		return []any{new(struct {
			Status *string `json:"status"`
			Body   *string `json:"body"`
		})}
	},
}

// secretFields are body fields whose values no answer may repeat.
var secretFields = []string{"password", "password_confirmation", "change_password", "change_password_confirmation",
	"client_secret", "scim_password", "ldap_password", "otp"}

// FuzzDecodeBody decodes arbitrary bytes as each API request body type,
// the way the handlers do. A refusal must be Files.com's invalid-body
// (400), request-params-invalid (422) or body-too-large (413), must name
// the field at fault when the body is a JSON object, and must never
// repeat a secret the body carried; what is accepted must encode and
// decode again to the same value.
func FuzzDecodeBody(f *testing.F) {
	for _, seed := range []string{
		`{"username":"bob","email":"bob@example.com","group_ids":"1,2","site_admin":true,"password":"correct horse"}`,
		`{"username":5}`, `{"username":"bob","site_admin":"maybe"}`, `{"username":"bob","group_ids":"1,x"}`,
		`{"group_ids":[1,2],"force":"yes"}`, `{"force":"perhaps"}`, `{"username":"x"} {"username":"y"}`,
		`["username"]`, `not json`, `{"username":`, ``, `{}`, `{"username":"bad\u0000name"}`,
		`{"name":"Staff","user_ids":"1,2","admin_ids":[3]}`, `{"group_id":"one","user_id":2,"admin":"1"}`,
		`{"user_id":1,"name":"deploy","expires_at":"2030-01-01T00:00:00Z","permission_set":"full"}`,
		`{"expires_at":"tomorrow"}`, `{"title":"laptop","public_key":"ssh-ed25519 AAAA"}`,
		`{"session_expiry_minutes":"60","user_lockout":true,"password_min_length":12}`,
		`{"protocol":"oauth2","client_secret":"s3cret-value","options":{"oidc_tenant_id":"x"},"reset_scim_oauth_access_token":true}`,
		`{"ldap_password":12345678,"ldap_port":"636"}`, `{"username":"admin","password":"hunter2hunter2","change_password":[]}`,
		`{"preview":"1","dry_run":0}`, `{"username":"` + strings.Repeat("a", 300) + `"}`, `{"status":"success","body":"ok"}`,
		`{"group_ids":true}`, `{"group_ids":{"a":1}}`, `{"user_ids":"0"}`, `{"options":[1,2]}`, `{"options":{"a" : [ 1 ]}}`,
	} {
		for kind := range bodyTypes {
			f.Add(uint8(kind), []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		dsts := bodyTypes[int(kind)%len(bodyTypes)]()
		r := httptest.NewRequest(http.MethodPost, apiPrefix+"/fuzz", bytes.NewReader(body))
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, maxBodyBytes)
		err := readJSONBody(r, dsts...)
		if err != nil {
			checkRefusal(t, body, err)
			return
		}
		for _, dst := range dsts {
			encoded, err := json.Marshal(dst)
			if err != nil {
				t.Fatalf("an accepted %T does not encode: %v", dst, err)
			}
			again := reflect.New(reflect.TypeOf(dst).Elem()).Interface()
			if err := decodeStrict(encoded, again); err != nil {
				t.Fatalf("%s, the encoding of an accepted %T, is refused: %v", encoded, dst, err)
			}
			// Compared as encoded: options is raw JSON, kept as sent and
			// encoded compact.
			if reencoded, _ := json.Marshal(again); !bytes.Equal(encoded, reencoded) {
				t.Fatalf("an accepted %T does not survive encoding:\n%s\n%s", dst, encoded, reencoded)
			}
		}
	})
}

// checkRefusal requires err to be one of Files.com's body errors that
// says what is wrong without repeating a secret.
func checkRefusal(t *testing.T, body []byte, err error) {
	t.Helper()
	var e *identity.Error
	if !errors.As(err, &e) {
		t.Fatalf("refused with an untyped error: %v", err)
	}
	switch e.Type {
	case identity.ErrInvalidBody.Type, identity.ErrInvalidParams.Type, identity.ErrBodyTooLarge.Type:
	default:
		t.Fatalf("refused with %s (%d): %v", e.Type, e.Status, e)
	}
	if e.Message == "" {
		t.Fatalf("refused without a reason: %+v", e)
	}
	var doc map[string]any
	if e.Type == identity.ErrInvalidParams.Type && json.Unmarshal(body, &doc) == nil && strings.HasPrefix(e.Message, "the body") {
		t.Fatalf("the refusal of a JSON object does not name the field at fault: %q", e.Message)
	}
	for _, name := range secretFields {
		if s, ok := doc[name].(string); ok && len(s) >= 6 && strings.Contains(e.Error()+e.Message, s) {
			t.Fatalf("the refusal repeats the %s sent: %q", name, e.Message)
		}
	}
}

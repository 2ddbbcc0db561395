package web

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	files_sdk "github.com/Files-com/files-sdk-go/v3"
	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/pagecursor"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Every object Gatehouse answers must keep Files.com's shape, field by
// field, so that Files.com's SDKs read it: each field Files.com has is of
// the type its Go SDK declares, and every field Files.com does not have is
// one of the Gatehouse additions listed below, named so that no SDK
// mistakes it for one of its own (the npm SDK copies every field onto its
// model object, so a field named like one of the model's own properties,
// such as options, breaks it; the e2e test of the npm SDK checks that
// side).

// gatehouseAdditions are the fields Gatehouse adds to Files.com's objects,
// by object.
var gatehouseAdditions = map[string][]string{
	"sso_strategy": {"client_id", "scim_tenant_url", "gatehouse_options", "created_at", "updated_at",
		"saml_sp_entity_id", "saml_sp_acs_url", "saml_sp_sign_on_url", "saml_sp_slo_url", "saml_sp_metadata_url",
		"saml_sp_relay_state", "saml_sp_name_id", "oauth_redirect_uri", "oauth_sign_on_url"},
	"user":           {"notes"},
	"session":        {"user_id", "expires_at"},
	"group":          {"created_at", "site_id"},
	"api_key":        {"site_id"},
	"public_key":     {"fingerprint_sha256"},
	"sso_event":      {"sso_strategy_id"},
	"external_event": {"sso_strategy_id"},
	"scim_log":       {"sso_strategy_id"},
	"site": {"id", "user_lockout", "user_lockout_tries", "user_lockout_within", "user_lockout_lock_period",
		"event_retention_days", "created_at", "updated_at"},
}

// shapeFixture makes one of every object and returns each as the API
// answers it, by object name, with the Go SDK type it must decode into.
func shapeFixture(t *testing.T) map[string]struct {
	raw []byte
	sdk any
} {
	h := newHarness(t)
	admin := h.createUser("admin", true)
	_, key := h.apiKeyFor(admin, time.Time{})
	st := h.st
	objects := map[string]struct {
		raw []byte
		sdk any
	}{}
	get := func(name, method, path, body string, sdk any) {
		t.Helper()
		r := h.callJSON(method, apiPrefix+path, key, body)
		if r.status >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
		}
		raw := r.body
		if strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
			var list []json.RawMessage
			r.decode(t, &list)
			if len(list) == 0 {
				t.Fatalf("%s %s: empty list", method, path)
			}
			raw = list[0]
		}
		objects[name] = struct {
			raw []byte
			sdk any
		}{raw, sdk}
	}
	saml := h.createStrategy("saml", "azure", "Entra", true, true)
	h.createStrategy("oauth2", "azure", "Entra OIDC", true, true)
	get("sso_strategy", "GET", "/sso_strategies/"+itoa(saml.ID), "", &files_sdk.SsoStrategy{})
	get("sso_strategy/oauth2", "GET", "/sso_strategies?per_page=1&cursor="+pagecursor.Encode(saml.ID, apiPrefix+"/sso_strategies"), "", &files_sdk.SsoStrategy{})
	get("user", "GET", "/users/"+itoa(admin.ID), "", &files_sdk.User{})
	get("group", "POST", "/groups", `{"name":"team"}`, &files_sdk.Group{})
	var g groupJSON
	json.Unmarshal(objects["group"].raw, &g)
	get("group_user", "POST", "/group_users", `{"group_id":`+itoa(g.ID)+`,"user_id":`+itoa(admin.ID)+`}`, &files_sdk.GroupUser{})
	get("api_key", "GET", "/api_keys", "", &files_sdk.ApiKey{})
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := ssh.NewPublicKey(pub)
	get("public_key", "POST", "/public_keys", `{"title":"laptop","public_key":"`+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))+`"}`, &files_sdk.PublicKey{})
	get("session", "POST", "/sessions", `{"username":"admin","password":"`+strongPassword+`"}`, &files_sdk.Session{})
	get("site", "GET", "/site", "", &files_sdk.Site{})
	get("external_event", "POST", "/external_events", `{"status":"success","body":"hello"}`, &files_sdk.ExternalEvent{})
	if err := st.CreateSSOEvent(h.ctx, &store.SSOEvent{SiteID: h.site.ID, EventType: "saml_login", Status: "failure",
		Body: "x", EventErrors: []string{"bad"}, SSOStrategyID: saml.ID, UserID: admin.ID, Username: "admin"}); err != nil {
		t.Fatal(err)
	}
	get("sso_event", "GET", "/sso_events", "", &files_sdk.SsoEvent{})
	if err := st.CreateScimLog(h.ctx, &store.ScimLog{SiteID: h.site.ID, SSOStrategyID: saml.ID, RequestPath: "/api/scim/Users",
		RequestMethod: "GET", HTTPResponseCode: 200, UserAgent: "Okta"}); err != nil {
		t.Fatal(err)
	}
	get("scim_log", "GET", "/scim_logs", "", &files_sdk.ScimLog{})
	get("folder", "POST", "/folders/docs", "", &files_sdk.File{})
	h.putFile(key, "docs/a.txt", "a")
	get("file", "GET", "/files/docs/a.txt", "", &files_sdk.File{})
	get("file/listed", "GET", "/folders/docs", "", &files_sdk.File{})
	get("file_upload_part", "POST", "/file_actions/begin_upload/docs/b.txt", "", &files_sdk.FileUploadPart{})
	get("file_action", "POST", "/file_actions/copy/docs/a.txt", `{"destination":"docs/c.txt"}`, &files_sdk.FileAction{})
	return objects
}

// TestObjectShapesMatchFilesComSDK checks every object against the Go
// SDK's type for it: each field it shares decodes into the SDK's field
// type, and each field it lacks is a listed Gatehouse addition.
func TestObjectShapesMatchFilesComSDK(t *testing.T) {
	for name, o := range shapeFixture(t) {
		base, _, _ := strings.Cut(name, "/")
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(o.raw, &fields); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sdkFields := jsonFields(reflect.TypeOf(o.sdk).Elem())
		for field, value := range fields {
			typ, ok := sdkFields[field]
			if !ok {
				if !slices.Contains(gatehouseAdditions[base], field) {
					t.Errorf("%s: field %q is neither Files.com's nor a listed Gatehouse addition", name, field)
				}
				continue
			}
			if err := json.Unmarshal(value, reflect.New(typ).Interface()); err != nil {
				t.Errorf("%s: field %q = %s does not decode as the SDK's %s: %v", name, field, value, typ, err)
			}
		}
		if err := json.Unmarshal(o.raw, o.sdk); err != nil {
			t.Errorf("%s: the SDK's %T does not decode it: %v", name, o.sdk, err)
		}
	}
}

// jsonFields maps the JSON names of a struct's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = f.Type
	}
	return out
}

// TestSSOStrategyGatehouseOptions: a provider's own settings are answered
// as gatehouse_options, never as options, and are accepted under either
// name.
func TestSSOStrategyGatehouseOptions(t *testing.T) {
	h := newHarness(t)
	admin := h.createUser("admin", true)
	_, key := h.apiKeyFor(admin, time.Time{})
	var created map[string]json.RawMessage
	r := h.callJSON("POST", apiPrefix+"/sso_strategies", key,
		`{"protocol":"saml","provider":"okta","label":"A","gatehouse_options":{"deprovision_limit_users":25}}`)
	if r.status != 201 {
		t.Fatalf("create with gatehouse_options: %d %s", r.status, r.body)
	}
	r.decode(t, &created)
	if _, ok := created["options"]; ok {
		t.Fatalf("the answer has an options field: %s", r.body)
	}
	if string(created["gatehouse_options"]) != `{"deprovision_limit_users":25}` {
		t.Fatalf("gatehouse_options answered as %s", created["gatehouse_options"])
	}
	var id int64
	json.Unmarshal(created["id"], &id)
	path := apiPrefix + "/sso_strategies/" + itoa(id)
	r = h.callJSON("PATCH", path, key, `{"options":{"deprovision_limit_users":30}}`)
	if r.status != 200 || !strings.Contains(string(r.body), `"gatehouse_options":{"deprovision_limit_users":30}`) {
		t.Fatalf("update with options: %d %s", r.status, r.body)
	}
	r = h.callJSON("PATCH", path, key, `{"options":{"deprovision_limit_users":1},"gatehouse_options":{"deprovision_limit_users":2}}`)
	expectError(t, r, 422, "bad-request/request-params-invalid")
	r = h.callJSON("PATCH", path, key, `{"options":{"deprovision_limit_users":31},"gatehouse_options":{"deprovision_limit_users":31}}`)
	if r.status != 200 {
		t.Fatalf("the same settings under both names: %d %s", r.status, r.body)
	}
	r = h.callJSON("PATCH", path, key, `{"gatehouse_options":[1]}`)
	expectError(t, r, 422, "bad-request/request-params-invalid")
	if got := h.callJSON("GET", path, key, ""); !strings.Contains(string(got.body), `"gatehouse_options":{"deprovision_limit_users":31}`) {
		t.Fatalf("a refused change was stored: %s", got.body)
	}
}

package web

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/pagecursor"
	"github.com/gatehouse/gatehouse/internal/store"
)

// apiFixture is a site with a password site admin (the only one, so the
// lock-out guard is armed), a regular user, and an API key for each.
type apiFixture struct {
	*harness
	admin, ann       store.User
	adminKey, annKey string
	usersBefore      []store.User
	groupsBefore     []store.Group
}

func newAPIFixture(t *testing.T) *apiFixture {
	h := newHarness(t)
	f := &apiFixture{harness: h, admin: h.createUser("admin", true), ann: h.createUser("ann", false)}
	_, f.adminKey = h.apiKeyFor(f.admin, time.Time{})
	_, f.annKey = h.apiKeyFor(f.ann, time.Time{})
	if _, err := h.svc.CreateGroup(h.ctx, identity.SystemActor, h.site.ID, identity.GroupChange{Name: ptr("Staff")}); err != nil {
		t.Fatal(err)
	}
	// The first use of each key records the sign-in on its user; do that
	// now, so that later comparisons see only what a request changed.
	for _, key := range []string{f.adminKey, f.annKey} {
		if r := f.callJSON("GET", apiPrefix+"/me", key, ""); r.status != http.StatusOK {
			t.Fatalf("warm-up: %d %s", r.status, r.body)
		}
	}
	f.snapshot()
	return f
}

func ptr[T any](v T) *T { return &v }

func (f *apiFixture) snapshot() {
	f.usersBefore = f.users()
	f.groupsBefore = f.groups()
}

func (f *apiFixture) users() []store.User {
	us, err := f.svc.ListUsers(f.ctx, f.site.ID, store.UserQuery{ListOptions: store.ListOptions{Limit: 1000}})
	if err != nil {
		f.t.Fatal(err)
	}
	return us
}

func (f *apiFixture) groups() []store.Group {
	gs, err := f.svc.ListGroups(f.ctx, f.site.ID, store.GroupQuery{ListOptions: store.ListOptions{Limit: 1000}})
	if err != nil {
		f.t.Fatal(err)
	}
	return gs
}

// unchanged asserts that users and groups read back through the Service
// are exactly as they were before the refused request.
func (f *apiFixture) unchanged(what string) {
	f.t.Helper()
	if got := f.users(); fmt.Sprint(got) != fmt.Sprint(f.usersBefore) {
		f.t.Fatalf("%s changed users:\n%v\n%v", what, f.usersBefore, got)
	}
	if got := f.groups(); fmt.Sprint(got) != fmt.Sprint(f.groupsBefore) {
		f.t.Fatalf("%s changed groups", what)
	}
}

func TestAPIRefusesMalformedInput(t *testing.T) {
	f := newAPIFixture(t)
	users := apiPrefix + "/users"
	userPath := fmt.Sprintf("%s/users/%d", apiPrefix, f.ann.ID)
	for _, c := range []struct {
		method, path, body string
		status             int
		typ                string
	}{
		{"POST", users, `{"username":`, 400, identity.ErrInvalidBody.Type},
		{"POST", users, `not json`, 400, identity.ErrInvalidBody.Type},
		{"POST", users, `["username"]`, 400, identity.ErrInvalidBody.Type},
		{"POST", users, `{"username":"x"} {"username":"y"}`, 400, identity.ErrInvalidBody.Type},
		{"POST", users, `{"username":5}`, 422, identity.ErrInvalidParams.Type},
		{"POST", users, `{"username":"bob","site_admin":"maybe"}`, 422, identity.ErrInvalidParams.Type},
		{"POST", users, `{"username":"bob","group_ids":"1,x"}`, 422, identity.ErrInvalidParams.Type},
		{"POST", users, `{"username":"` + strings.Repeat("a", 5000) + `"}`, 422, identity.ErrInvalidParams.Type},
		{"POST", users, `{"username":"bob","name":"` + strings.Repeat("n", 5000) + `"}`, 422, identity.ErrInvalidParams.Type},
		{"POST", users, `{"username":"bad\u0000name"}`, 422, identity.ErrInvalidParams.Type},
		{"POST", users, `{}`, 400, identity.ErrParamsRequired.Type},
		{"POST", users, `{"username":"ANN"}`, 422, identity.ErrDuplicate.Type},
		{"PATCH", userPath, `{"email":["a"]}`, 422, identity.ErrInvalidParams.Type},
		{"PATCH", userPath, `{"email":"not an address"}`, 422, identity.ErrInvalidParams.Type},
		{"PATCH", userPath + "?force=perhaps", `{}`, 400, errInvalidQuery.Type},
		{"GET", apiPrefix + "/users/999999", "", 404, identity.ErrUserNotFound.Type},
		{"GET", apiPrefix + "/users/abc", "", 404, identity.ErrUserNotFound.Type},
		{"GET", apiPrefix + "/users/-1", "", 404, identity.ErrUserNotFound.Type},
		{"GET", apiPrefix + "/users/99999999999999999999", "", 404, identity.ErrUserNotFound.Type},
		{"PATCH", apiPrefix + "/users/999999", `{"name":"x"}`, 404, identity.ErrUserNotFound.Type},
		{"DELETE", apiPrefix + "/users/999999", "", 404, identity.ErrUserNotFound.Type},
		{"PATCH", apiPrefix + "/groups/999999", `{"name":"x"}`, 404, identity.ErrGroupNotFound.Type},
		{"DELETE", apiPrefix + "/groups/0", "", 404, identity.ErrGroupNotFound.Type},
		{"GET", apiPrefix + "/api_keys/999999", "", 404, identity.ErrAPIKeyNotFound.Type},
		{"GET", apiPrefix + "/sso_strategies/999999", "", 404, identity.ErrSSOStrategyNotFound.Type},
		{"POST", apiPrefix + "/group_users", `{"group_id":1}`, 400, identity.ErrParamsRequired.Type},
		{"POST", apiPrefix + "/group_users", `{"group_id":"one","user_id":2}`, 422, identity.ErrInvalidParams.Type},
		{"DELETE", apiPrefix + "/group_users/1?group_id=1&user_id=99999", "", 404, identity.ErrNotFound.Type},
		{"GET", apiPrefix + "/group_users", "", 400, identity.ErrParamsRequired.Type},
		{"GET", users + "?per_page=0", "", 400, errInvalidQuery.Type},
		{"GET", users + "?per_page=10001", "", 400, errInvalidQuery.Type},
		{"GET", users + "?per_page=ten", "", 400, errInvalidQuery.Type},
		{"GET", users + "?cursor=bogus", "", 400, identity.ErrInvalidCursor.Type},
		{"GET", users + "?cursor=" + pagecursor.Encode(1, apiPrefix+"/groups"), "", 400, identity.ErrInvalidCursor.Type},
		{"GET", users + "?filter[password_hash]=x", "", 400, errInvalidFilterField.Type},
		{"GET", users + "?sort_by[password_hash]=desc", "", 400, errInvalidSortField.Type},
		{"GET", apiPrefix + "/sso_events?filter_gt[created_at]=yesterday", "", 400, errInvalidFilterValue.Type},
		{"GET", apiPrefix + "/no_such_thing", "", 404, errRouteNotFound.Type},
		{"PUT", users, `{}`, 405, errMethodNotAllowed.Type},
	} {
		r := f.callJSON(c.method, c.path, f.adminKey, c.body)
		if r.status != c.status || r.errType() != c.typ {
			t.Errorf("%s %s %.60s: got %d %s, want %d %s", c.method, c.path, c.body, r.status, r.body, c.status, c.typ)
			continue
		}
		expectError(t, r, c.status, c.typ)
		f.unchanged(c.method + " " + c.path)
	}
}

func TestAPIRefusesOversizedBodies(t *testing.T) {
	f := newAPIFixture(t)
	big := `{"username":"big","notes":"` + strings.Repeat("x", maxBodyBytes) + `"}`
	r := f.callJSON("POST", apiPrefix+"/users", f.adminKey, big)
	expectError(t, r, http.StatusRequestEntityTooLarge, identity.ErrBodyTooLarge.Type)
	// Without a Content-Length the limit still holds while reading.
	r = f.call("POST", apiPrefix+"/users", f.adminKey, io.MultiReader(strings.NewReader(big)))
	expectError(t, r, http.StatusRequestEntityTooLarge, identity.ErrBodyTooLarge.Type)
	f.unchanged("oversized body")
}

func TestAPIRoundTripsSQLMetacharacters(t *testing.T) {
	f := newAPIFixture(t)
	name := `Robert'); DROP TABLE users;-- "quoted" \ % _`
	username := `o'brien;--`
	r := f.callJSON("POST", apiPrefix+"/users", f.adminKey, fmt.Sprintf(`{"username":%q,"name":%q}`, username, name))
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created userJSON
	r.decode(t, &created)
	u, err := f.svc.GetUser(f.ctx, f.site.ID, created.ID)
	if err != nil || u.Username != username || u.Name != name {
		t.Fatalf("stored %+v %v", u, err)
	}
	r = f.callJSON("GET", apiPrefix+"/users?filter[username]="+urlQueryEscape(username), f.adminKey, "")
	var found []userJSON
	r.decode(t, &found)
	if len(found) != 1 || found[0].Name != name {
		t.Fatalf("filter by username: %s", r.body)
	}
	if len(f.users()) != len(f.usersBefore)+1 {
		t.Fatal("users table damaged")
	}
}

func TestAPIAuthentication(t *testing.T) {
	f := newAPIFixture(t)
	me := apiPrefix + "/me"
	expectError(t, f.callJSON("GET", me, "", ""), 401, identity.ErrAuthenticationRequired.Type)
	expectError(t, f.callJSON("GET", me, "ghk_not-a-key", ""), 401, identity.ErrInvalidAPIKey.Type)
	expectError(t, f.callJSON("GET", me, strings.Repeat("k", 5000), ""), 401, identity.ErrInvalidAPIKey.Type)
	expectError(t, f.callJSON("GET", me, "", "", sessionHeader, "ghs_forged"), 401, identity.ErrInvalidSession.Type)

	expiring, expiringKey := f.apiKeyFor(f.ann, f.clock.Now().Add(time.Hour))
	if r := f.callJSON("GET", me, expiringKey, ""); r.status != 200 {
		t.Fatalf("fresh key: %d %s", r.status, r.body)
	}
	f.clock.Advance(2 * time.Hour)
	expectError(t, f.callJSON("GET", me, expiringKey, ""), 401, identity.ErrInvalidAPIKey.Type)
	_ = expiring

	revoked, revokedKey := f.apiKeyFor(f.ann, time.Time{})
	if err := f.svc.DeleteAPIKey(f.ctx, identity.SystemActor, f.site.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	expectError(t, f.callJSON("GET", me, revokedKey, ""), 401, identity.ErrInvalidAPIKey.Type)

	var got userJSON
	r := f.callJSON("GET", me, f.annKey, "")
	r.decode(t, &got)
	if r.status != 200 || got.ID != f.ann.ID || got.SiteAdmin {
		t.Fatalf("/me: %s", r.body)
	}
	f.unchanged("authentication failures")

	// Secrets never reach the log.
	logs := f.logs.String()
	for _, s := range []string{f.adminKey, f.annKey, expiringKey, revokedKey, strongPassword} {
		if strings.Contains(logs, s) {
			t.Fatalf("a secret reached the log")
		}
	}
	if !strings.Contains(logs, `"msg":"http request"`) || !strings.Contains(logs, `"request_id"`) {
		t.Fatalf("no access log lines")
	}
}

func TestAPINonAdminsAreConfinedToTheirOwnRecords(t *testing.T) {
	f := newAPIFixture(t)
	for _, c := range [][2]string{
		{"GET", "/users"}, {"POST", "/users"}, {"GET", fmt.Sprintf("/users/%d", f.ann.ID)},
		{"PATCH", fmt.Sprintf("/users/%d", f.ann.ID)}, {"DELETE", fmt.Sprintf("/users/%d", f.admin.ID)},
		{"GET", "/groups"}, {"POST", "/groups"}, {"GET", "/group_users?group_id=1"}, {"GET", "/sso_strategies"},
		{"GET", "/sso_events"}, {"GET", "/external_events"}, {"GET", "/scim_logs"}, {"GET", "/site"}, {"PATCH", "/site"},
		{"GET", fmt.Sprintf("/api_keys?user_id=%d", f.admin.ID)},
	} {
		body := ""
		if c[0] == "POST" || c[0] == "PATCH" {
			body = `{"username":"mallory","name":"x","site_admin":true}`
		}
		expectError(t, f.callJSON(c[0], apiPrefix+c[1], f.annKey, body), 403, identity.ErrSiteAdminRequired.Type)
	}
	f.unchanged("non-admin requests")

	// Ann sees only her own key, and the admin's key does not exist for her.
	var keys []apiKeyJSON
	f.callJSON("GET", apiPrefix+"/api_keys", f.annKey, "").decode(t, &keys)
	if len(keys) != 1 || keys[0].UserID == nil || *keys[0].UserID != f.ann.ID {
		t.Fatalf("ann's keys: %+v", keys)
	}
	adminKeys, err := f.svc.ListAPIKeys(f.ctx, identity.SystemActor, f.site.ID, store.KeyQuery{UserID: f.admin.ID, ListOptions: store.ListOptions{Limit: 10}})
	if err != nil || len(adminKeys) != 1 {
		t.Fatal(err)
	}
	path := fmt.Sprintf("%s/api_keys/%d", apiPrefix, adminKeys[0].ID)
	expectError(t, f.callJSON("GET", path, f.annKey, ""), 404, identity.ErrAPIKeyNotFound.Type)
	expectError(t, f.callJSON("DELETE", path, f.annKey, ""), 404, identity.ErrAPIKeyNotFound.Type)
	if _, err := f.svc.GetAPIKey(f.ctx, identity.SystemActor, f.site.ID, adminKeys[0].ID); err != nil {
		t.Fatalf("admin's key gone: %v", err)
	}
	r := f.callJSON("POST", apiPrefix+"/api_keys", f.annKey, fmt.Sprintf(`{"name":"x","user_id":%d}`, f.admin.ID))
	expectError(t, r, 403, identity.ErrSiteAdminRequired.Type)
	// A non-admin cannot make themselves an admin through /me either: it is read-only.
	expectError(t, f.callJSON("PATCH", apiPrefix+"/me", f.annKey, `{"site_admin":true}`), 405, errMethodNotAllowed.Type)
	f.unchanged("non-admin key requests")
}

func TestAPILockoutGuard(t *testing.T) {
	f := newAPIFixture(t)
	adminPath := fmt.Sprintf("%s/users/%d", apiPrefix, f.admin.ID)
	expectError(t, f.callJSON("PATCH", adminPath, f.adminKey, `{"site_admin":false}`), 409, identity.ErrLastPasswordAdmin.Type)
	expectError(t, f.callJSON("PATCH", adminPath, f.adminKey, `{"disabled":true}`), 409, identity.ErrLastPasswordAdmin.Type)
	expectError(t, f.callJSON("DELETE", adminPath, f.adminKey, ""), 409, identity.ErrLastPasswordAdmin.Type)
	expectError(t, f.callJSON("PATCH", adminPath+"?force=false", f.adminKey, `{"site_admin":false}`), 409, identity.ErrLastPasswordAdmin.Type)
	f.unchanged("guarded changes")

	r := f.callJSON("PATCH", adminPath, f.adminKey, `{"name":"The Admin","site_admin":false,"force":true}`)
	if r.status != http.StatusOK {
		t.Fatalf("forced update: %d %s", r.status, r.body)
	}
	u, err := f.svc.GetUser(f.ctx, f.site.ID, f.admin.ID)
	if err != nil || u.SiteAdmin || u.Name != "The Admin" {
		t.Fatalf("after forced update: %+v %v", u, err)
	}
}

func TestAPIForceDeleteLastAdmin(t *testing.T) {
	f := newAPIFixture(t)
	other := f.createUser("root", true)
	_, rootKey := f.apiKeyFor(other, time.Time{})
	// Two admins: deleting one is fine without force.
	if r := f.callJSON("DELETE", fmt.Sprintf("%s/users/%d", apiPrefix, f.admin.ID), rootKey, ""); r.status != http.StatusNoContent {
		t.Fatalf("delete one of two admins: %d %s", r.status, r.body)
	}
	last := fmt.Sprintf("%s/users/%d", apiPrefix, other.ID)
	f.snapshot()
	expectError(t, f.callJSON("DELETE", last, rootKey, ""), 409, identity.ErrLastPasswordAdmin.Type)
	f.unchanged("guarded delete")
	if r := f.callJSON("DELETE", last+"?force=true", rootKey, ""); r.status != http.StatusNoContent {
		t.Fatalf("forced delete: %d %s", r.status, r.body)
	}
	if _, err := f.svc.GetUser(f.ctx, f.site.ID, other.ID); err == nil {
		t.Fatal("forced delete left the user")
	}
}

func TestAPIStrategiesNeverShowSecrets(t *testing.T) {
	f := newAPIFixture(t)
	r := f.callJSON("POST", apiPrefix+"/sso_strategies", f.adminKey,
		`{"protocol":"oauth2","provider":"okta","label":"Okta","client_id":"cid","client_secret":"super-secret-value","enabled":true}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create strategy: %d %s", r.status, r.body)
	}
	var st ssoStrategyJSON
	r.decode(t, &st)
	list := f.callJSON("GET", apiPrefix+"/sso_strategies", f.adminKey, "")
	show := f.callJSON("GET", fmt.Sprintf("%s/sso_strategies/%d", apiPrefix, st.ID), f.adminKey, "")
	for _, body := range [][]byte{r.body, list.body, show.body} {
		for _, leak := range []string{"super-secret-value", "client_secret", "ldap_password", "scim_password"} {
			if bytes.Contains(body, []byte(leak)) {
				t.Fatalf("strategy JSON carries %q: %s", leak, body)
			}
		}
	}
	if !bytes.Contains(show.body, []byte(`"client_id":"cid"`)) || !bytes.Contains(show.body, []byte(`"user_count":0`)) {
		t.Fatalf("strategy JSON: %s", show.body)
	}
	r = f.callJSON("POST", fmt.Sprintf("%s/sso_strategies/%d/sync", apiPrefix, st.ID), f.adminKey, "")
	expectError(t, r, 422, errSyncUnavailable.Type)
	expectError(t, f.callJSON("POST", apiPrefix+"/sso_strategies/424242/sync", f.adminKey, ""), 404, identity.ErrSSOStrategyNotFound.Type)
}

func TestAPISiteEventsAndPagination(t *testing.T) {
	f := newAPIFixture(t)
	r := f.callJSON("PATCH", apiPrefix+"/site", f.adminKey, `{"login_help_text":"Ask IT","password_min_length":14}`)
	var site siteJSON
	r.decode(t, &site)
	if r.status != 200 || site.LoginHelpText != "Ask IT" || site.PasswordMinLength != 14 {
		t.Fatalf("update site: %s", r.body)
	}
	expectError(t, f.callJSON("PATCH", apiPrefix+"/site", f.adminKey, `{"password_min_length":"long"}`), 422, identity.ErrInvalidParams.Type)

	for i := range 5 {
		status := "success"
		if i%2 == 1 {
			status = "failure"
		}
		r := f.callJSON("POST", apiPrefix+"/external_events", f.adminKey, fmt.Sprintf(`{"status":%q,"body":"event %d"}`, status, i))
		if r.status != http.StatusCreated {
			t.Fatalf("create event: %d %s", r.status, r.body)
		}
	}
	expectError(t, f.callJSON("POST", apiPrefix+"/external_events", f.adminKey, `{"status":"success"}`), 400, identity.ErrParamsRequired.Type)

	var all []externalEventJSON
	cursor := ""
	pages := 0
	for {
		path := apiPrefix + "/external_events?per_page=2&filter[status]=success&filter[event_type]=client_log"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := f.callJSON("GET", path, f.adminKey, "")
		if r.status != 200 {
			t.Fatalf("list events: %d %s", r.status, r.body)
		}
		var page []externalEventJSON
		r.decode(t, &page)
		all = append(all, page...)
		pages++
		if cursor = r.header.Get(cursorHeader); cursor == "" {
			break
		}
	}
	if len(all) != 3 || pages != 2 {
		t.Fatalf("got %d success events in %d pages", len(all), pages)
	}
	// The site's change is a settings_change event naming the fields set.
	var changes []externalEventJSON
	f.callJSON("GET", apiPrefix+"/external_events?filter[event_type]=settings_change", f.adminKey, "").decode(t, &changes)
	var siteChanges []string
	for _, e := range changes {
		if strings.Contains(e.Body, "site settings changed by \"admin\"") {
			siteChanges = append(siteChanges, e.Body)
		}
	}
	if len(siteChanges) != 1 || !strings.HasSuffix(siteChanges[0], ": password_min_length, login_help_text") {
		t.Fatalf("settings change events: %+v", changes)
	}
	for _, e := range all {
		if e.Status != "success" {
			t.Fatalf("filter let through %+v", e)
		}
	}
	future := f.clock.Now().Add(time.Hour).Format(time.RFC3339)
	var none []externalEventJSON
	f.callJSON("GET", apiPrefix+"/external_events?filter_gt[created_at]="+urlQueryEscape(future), f.adminKey, "").decode(t, &none)
	if len(none) != 0 {
		t.Fatalf("created_at filter: %d events", len(none))
	}
	var sso []ssoEventJSON
	if r := f.callJSON("GET", apiPrefix+"/sso_events?filter[event_type]=saml_login&filter[status]=failure", f.adminKey, ""); r.status != 200 {
		t.Fatalf("list sso events: %d %s", r.status, r.body)
	} else {
		r.decode(t, &sso)
	}
}

func TestRequestIDs(t *testing.T) {
	f := newAPIFixture(t)
	r := f.callJSON("GET", apiPrefix+"/me", f.annKey, "", "X-Request-Id", "trace-42.a_b")
	if r.header.Get("X-Request-Id") != "trace-42.a_b" {
		t.Fatalf("sane request id not honoured: %q", r.header.Get("X-Request-Id"))
	}
	r = f.callJSON("GET", apiPrefix+"/me", f.annKey, "", "X-Request-Id", "bad id\" injected")
	if id := r.header.Get("X-Request-Id"); id == "" || strings.Contains(id, " ") {
		t.Fatalf("insane request id kept: %q", id)
	}
}

func TestPanicsBecomeTypedErrors(t *testing.T) {
	h := newHarness(t)
	s, err := newServer(Options{Service: h.svc, BaseURL: "http://localhost", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(http.ResponseWriter, *http.Request) { panic("boom") })
	handler := s.middleware(mux)
	rec := newRecorderBrowser(t, handler, "http://localhost")
	res := rec.get(apiPrefix + "/users")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 500 || !bytes.Contains(body, []byte(identity.ErrInternal.Type)) {
		t.Fatalf("panic: %d %s", res.StatusCode, body)
	}
}

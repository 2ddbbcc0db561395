package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/identity/identitytest"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
	"github.com/gatehouse/gatehouse/internal/transfer/multipart"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// apiEndpoint is one request FuzzAPIBody sends: FRESH in the path is the
// id of a record of that kind made for the iteration.
type apiEndpoint struct {
	method, path string
	fresh        string // "user", "group", "group_user", "api_key", "public_key", "sso_strategy" or ""
}

var apiEndpoints = []apiEndpoint{
	{"POST", "/users", ""},
	{"PATCH", "/users/FRESH", "user"},
	{"DELETE", "/users/FRESH", "user"},
	{"POST", "/groups", ""},
	{"PATCH", "/groups/FRESH", "group"},
	{"POST", "/group_users", "group"},
	{"PATCH", "/group_users/FRESH", "group_user"},
	{"DELETE", "/group_users/FRESH", "group_user"},
	{"POST", "/api_keys", ""},
	{"PATCH", "/api_keys/FRESH", "api_key"},
	{"POST", "/public_keys", ""},
	{"PATCH", "/public_keys/FRESH", "public_key"},
	{"POST", "/sso_strategies", ""},
	{"PATCH", "/sso_strategies/FRESH", "sso_strategy"},
	{"POST", "/sso_strategies/FRESH/scim_token", "sso_strategy"},
	{"PATCH", "/site", ""},
	{"POST", "/sessions", ""},
	{"POST", "/external_events", ""},
	{"POST", "/file_actions/begin_upload/report.txt", ""},
}

// FuzzAPIBody sends arbitrary JSON bodies to the REST API's endpoints
// that take one, through the real front end over a real SQLite store, as
// a site admin (a site-wide API key). Every answer must be a success or
// Files.com's error (JSON with error, http-code equal to the status, type
// and title), never a server fault; a refused request must leave users,
// groups, memberships, keys, providers and the site as they were (a
// failed sign-in at /sessions excepted: it counts towards lockout); and
// no answer may repeat a secret the body carried (passwords, client and
// SCIM secrets, LDAP passwords), which are write-only.
func FuzzAPIBody(f *testing.F) {
	fx := newAPIFuzz(f)
	for _, seed := range []struct {
		endpoint uint8
		body     string
	}{
		{0, `{"username":"bob","email":"bob@example.com","password":"correct horse battery","group_ids":"FRESH"}`},
		{0, `{"username":5}`}, {0, `{"username":"bob","site_admin":"maybe"}`}, {0, `{"username":"bad\u0000name"}`},
		{0, `{"username":"` + strings.Repeat("a", 300) + `"}`}, {0, `{}`}, {0, `{"username":"ANN"}`},
		{1, `{"email":["a"]}`}, {1, `{"email":"not an address"}`}, {1, `{"name":"New Name","group_ids":[1],"force":true}`},
		{1, `{"authentication_method":"sso","sso_strategy_id":999}`}, {1, `{"disabled":true,"site_admin":true}`},
		{2, `{"force":"perhaps"}`}, {2, ``},
		{3, `{"name":"Staff"}`}, {3, `{"name":"Ops","user_ids":"1,2","admin_ids":[2]}`},
		{4, `{"name":"","user_ids":"1,x"}`}, {4, `{"notes":"n","admin_ids":[999999]}`},
		{5, `{"group_id":FRESH,"user_id":2,"admin":"1"}`}, {5, `{"group_id":"one","user_id":2}`}, {5, `{"group_id":1}`},
		{6, `{"admin":true}`}, {6, `{"admin":"sometimes"}`}, {7, `{}`},
		{8, `{"user_id":2,"name":"deploy","expires_at":"2030-01-01T00:00:00Z"}`}, {8, `{"user_id":2,"expires_at":"tomorrow"}`},
		{8, `{"user_id":0,"name":"site-wide"}`}, {9, `{"name":"renamed","permission_set":"full"}`},
		{10, `{"user_id":2,"title":"laptop","public_key":"ssh-ed25519 AAAA"}`},
		{11, `{"title":"renamed"}`},
		{12, `{"protocol":"oauth2","provider":"azure","client_id":"id","client_secret":"s3cret-value-1234","subdomain":"tenant"}`},
		{12, `{"protocol":"ldap","ldap_host":"127.0.0.1","ldap_password":"ldap-s3cret-value","ldap_port":"636"}`},
		{12, `{"protocol":"saml","saml_provider_metadata_content":"<not xml"}`},
		{13, `{"options":{"oidc_tenant_id":"x"},"reset_scim_oauth_access_token":true}`}, {13, `{"scim_password":"scim-s3cret-value"}`},
		{14, `{}`}, {14, `{"x":1}`},
		{15, `{"session_expiry_minutes":"60","user_lockout":true,"password_min_length":12}`}, {15, `{"password_min_length":-1}`},
		{16, `{"username":"ann","password":"wrong password here"}`}, {16, `{"username":"admin","password":"correct horse battery staple","change_password":[]}`},
		{17, `{"status":"success","body":"ok"}`}, {17, `{"status":1}`},
		{18, `{"size":5,"parts":1,"with_rename":true}`}, {18, `{"size":"five"}`},
	} {
		f.Add(seed.endpoint, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, endpoint uint8, body []byte) {
		defer fx.reset(t)
		fx.call(t, apiEndpoints[int(endpoint)%len(apiEndpoints)], body)
	})
}

// apiFuzz is a front end over a store with a site admin, a user, a group
// and a site-wide API key, and the store's state every iteration returns to.
type apiFuzz struct {
	ctx      context.Context
	st       store.Store
	svc      *identity.Service
	site     store.Site
	srv      *httptest.Server
	key      string
	ann      store.User
	baseline string
}

func newAPIFuzz(f *testing.F) *apiFuzz {
	dir := f.TempDir()
	st := teststore.SQLite(f)
	sealer := identitytest.Sealer(f)
	var err error
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fx := &apiFuzz{ctx: context.Background(), st: st}
	fx.svc = identity.New(st, identity.Options{Logger: quiet, Sealer: sealer, PasswordHashing: identitytest.CheapHashing()})
	if fx.site, err = fx.svc.EnsureDefaultSite(fx.ctx); err != nil {
		f.Fatal(err)
	}
	var handler http.Handler
	fx.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	f.Cleanup(fx.srv.Close)
	files, err := vfs.New(filepath.Join(dir, "files"), st)
	if err != nil {
		f.Fatal(err)
	}
	if handler, err = New(Options{Service: fx.svc, BaseURL: fx.srv.URL, Logger: quiet,
		Provision: provision.New(st, provision.Options{Logger: quiet}), Files: files,
		Uploads: multipart.New(multipart.Options{Store: st, Staging: files, Logger: quiet})}); err != nil {
		f.Fatal(err)
	}
	pw, method, yes := strongPassword, store.AuthPassword, true
	for _, name := range []string{"admin", "ann"} {
		admin := name == "admin"
		u, err := fx.svc.CreateUser(fx.ctx, identity.SystemActor, fx.site.ID, identity.UserChange{
			Username: &name, Password: &pw, AuthenticationMethod: &method, SiteAdmin: &admin, RestAPIPermission: &yes})
		if err != nil {
			f.Fatal(err)
		}
		if !admin {
			fx.ann = u
		}
	}
	staff := "Staff"
	if _, err := fx.svc.CreateGroup(fx.ctx, identity.SystemActor, fx.site.ID, identity.GroupChange{Name: &staff}); err != nil {
		f.Fatal(err)
	}
	siteWide, name := int64(0), "fuzz"
	if _, fx.key, err = fx.svc.CreateAPIKey(fx.ctx, identity.SystemActor, fx.site.ID, identity.APIKeyChange{UserID: &siteWide, Name: &name}); err != nil {
		f.Fatal(err)
	}
	fx.baseline = fx.state(f)
	return fx
}

// call makes the endpoint's fresh record, sends body and checks the answer.
func (fx *apiFuzz) call(t *testing.T, ep apiEndpoint, body []byte) {
	path := ep.path
	if ep.fresh != "" {
		id := fx.fresh(t, ep.fresh)
		path = strings.ReplaceAll(path, "FRESH", id)
		body = bytes.ReplaceAll(body, []byte("FRESH"), []byte(id))
	}
	before := fx.state(t)
	req, err := http.NewRequest(ep.method, fx.srv.URL+apiPrefix+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(apiKeyHeader, fx.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", ep.method, path, err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var doc map[string]any
	_ = json.Unmarshal(body, &doc)
	for _, name := range secretFields {
		if s, ok := doc[name].(string); ok && len(s) >= 6 && bytes.Contains(answer, []byte(s)) {
			t.Fatalf("%s %s answered %d repeating the %s sent:\n%s", ep.method, path, resp.StatusCode, name, answer)
		}
	}
	if resp.StatusCode < 400 {
		return
	}
	var e errorBody
	if err := json.Unmarshal(answer, &e); err != nil || e.HTTPCode != resp.StatusCode || e.Type == "" || e.Title == "" || e.Error == "" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%s %s: %d is not Files.com's error (%v):\n%s", ep.method, path, resp.StatusCode, err, answer)
	}
	if resp.StatusCode >= 500 {
		t.Fatalf("%s %s: server fault %d:\n%s", ep.method, path, resp.StatusCode, answer)
	}
	if ep.path == "/sessions" {
		return // a failed sign-in counts towards lockout
	}
	if after := fx.state(t); after != before {
		t.Fatalf("%s %s refused (%d %s) but changed stored data:\nbefore %s\nafter  %s", ep.method, path, resp.StatusCode, e.Type, before, after)
	}
}

// fresh makes a record of kind for one iteration and returns its id.
func (fx *apiFuzz) fresh(t *testing.T, kind string) string {
	sys, site := identity.SystemActor, fx.site.ID
	name := "fuzz" + strconv.FormatInt(time.Now().UnixNano(), 36)
	var id int64
	var err error
	switch kind {
	case "user":
		var u store.User
		u, err = fx.svc.CreateUser(fx.ctx, sys, site, identity.UserChange{Username: &name})
		id = u.ID
	case "group", "group_user":
		var g store.Group
		g, err = fx.svc.CreateGroup(fx.ctx, sys, site, identity.GroupChange{Name: &name})
		id = g.ID
		if err == nil && kind == "group_user" {
			check(t, fx.st.AddGroupUser(fx.ctx, &store.GroupUser{SiteID: site, GroupID: g.ID, UserID: fx.ann.ID}))
			return fmt.Sprintf("%d?group_id=%d&user_id=%d", g.ID, g.ID, fx.ann.ID)
		}
	case "api_key":
		var k store.APIKey
		k, _, err = fx.svc.CreateAPIKey(fx.ctx, sys, site, identity.APIKeyChange{UserID: &fx.ann.ID, Name: &name})
		id = k.ID
	case "public_key":
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		sshPub, _ := ssh.NewPublicKey(pub)
		text := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
		var k store.PublicKey
		k, err = fx.svc.CreatePublicKey(fx.ctx, sys, site, identity.PublicKeyChange{UserID: &fx.ann.ID, Title: &name, PublicKey: &text})
		id = k.ID
	case "sso_strategy":
		proto, label := identity.ProtocolSAML, name
		var p store.SSOStrategy
		p, err = fx.svc.CreateSSOStrategy(fx.ctx, sys, site, identity.SSOStrategyChange{Protocol: &proto, Label: &label})
		id = p.ID
	}
	if err != nil {
		t.Fatalf("make a %s: %v", kind, err)
	}
	return strconv.FormatInt(id, 10)
}

// state is every record a request may change: users, groups,
// memberships, API and SSH keys, providers and the site.
func (fx *apiFuzz) state(t testing.TB) string {
	ctx, site, all := fx.ctx, fx.site.ID, store.ListOptions{Limit: 10000}
	users, err := fx.st.ListUsers(ctx, site, store.UserQuery{ListOptions: all})
	check(t, err)
	groups, err := fx.st.ListGroups(ctx, site, store.GroupQuery{ListOptions: all})
	check(t, err)
	members, err := fx.st.ListMemberships(ctx, site, store.MembershipQuery{UserIDFrom: 0, UserIDTo: 1 << 62})
	check(t, err)
	apiKeys, err := fx.st.ListAPIKeys(ctx, site, store.KeyQuery{ListOptions: all})
	check(t, err)
	publicKeys, err := fx.st.ListPublicKeys(ctx, site, store.KeyQuery{ListOptions: all})
	check(t, err)
	providers, err := fx.st.ListSSOStrategies(ctx, site, all)
	check(t, err)
	s, err := fx.st.GetSite(ctx, site)
	check(t, err)
	for i := range users { // sign-ins and key use are not changes a request makes
		u := &users[i]
		u.FirstLoginAt, u.LastLoginAt, u.LastRestAPILoginAt, u.LastAPIUseAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	}
	for i := range apiKeys {
		apiKeys[i].LastUseAt = time.Time{}
	}
	b, err := json.Marshal([]any{users, groups, members, apiKeys, publicKeys, providers, s})
	check(t, err)
	return string(b)
}

// reset deletes what an iteration made and puts the site and ann back.
func (fx *apiFuzz) reset(t *testing.T) {
	var base []json.RawMessage
	_ = json.Unmarshal([]byte(fx.baseline), &base)
	ctx, site, all := fx.ctx, fx.site.ID, store.ListOptions{Limit: 10000}
	keep := func(part int, id int64) bool { return bytes.Contains(base[part], []byte(fmt.Sprintf(`"ID":%d,`, id))) }
	users, err := fx.st.ListUsers(ctx, site, store.UserQuery{ListOptions: all})
	check(t, err)
	for _, u := range users {
		if !keep(0, u.ID) {
			check(t, fx.st.DeleteUser(ctx, site, u.ID))
		}
	}
	groups, err := fx.st.ListGroups(ctx, site, store.GroupQuery{ListOptions: all})
	check(t, err)
	for _, g := range groups {
		if !keep(1, g.ID) {
			check(t, fx.st.DeleteGroup(ctx, site, g.ID))
		}
	}
	keys, err := fx.st.ListAPIKeys(ctx, site, store.KeyQuery{ListOptions: all})
	check(t, err)
	for _, k := range keys {
		if !keep(3, k.ID) {
			check(t, fx.st.DeleteAPIKey(ctx, site, k.ID))
		}
	}
	pubs, err := fx.st.ListPublicKeys(ctx, site, store.KeyQuery{ListOptions: all})
	check(t, err)
	for _, k := range pubs {
		if !keep(4, k.ID) {
			check(t, fx.st.DeletePublicKey(ctx, site, k.ID))
		}
	}
	providers, err := fx.st.ListSSOStrategies(ctx, site, all)
	check(t, err)
	for _, p := range providers {
		if !keep(5, p.ID) {
			check(t, fx.st.DeleteSSOStrategy(ctx, site, p.ID))
		}
	}
	var s store.Site
	check(t, json.Unmarshal(base[6], &s))
	_, err = fx.st.UpdateSite(ctx, site, func(cur *store.Site) error { *cur = s; return nil })
	check(t, err)
	var baseUsers []store.User
	check(t, json.Unmarshal(base[0], &baseUsers))
	for _, u := range baseUsers {
		_, err = fx.st.UpdateUser(ctx, site, u.ID, func(cur *store.User) error { *cur = u; return nil })
		check(t, err)
	}
	members, err := fx.st.ListMemberships(ctx, site, store.MembershipQuery{UserIDFrom: 0, UserIDTo: 1 << 62})
	check(t, err)
	if m, _ := json.Marshal(members); !bytes.Equal(m, base[2]) {
		t.Fatalf("memberships of the fixture changed: %s", m)
	}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

package scim_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/scim"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/internal/web"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var (
	openSQLite   = teststore.SQLite
	openPostgres = teststore.Postgres
)

// drivers runs a test on both store drivers.
var drivers = teststore.Drivers

// env is a store, the identity core and the engine behind the real web
// front end (with the SCIM handler mounted as the application mounts it),
// served on loopback, with one SAML provider that provisions everything.
type env struct {
	t      testing.TB
	ctx    context.Context
	st     store.Store
	svc    *identity.Service
	engine *provision.Engine
	srv    *httptest.Server
	site   store.Site
	p      store.SSOStrategy
	token  string
	clock  *testclock.Clock // the identity core's: SCIM token expiry
	// query is appended to every request path (Entra's feature flag).
	query string
}

func newEnv(tb testing.TB, open func(testing.TB) store.Store) *env {
	tb.Helper()
	st := open(tb)
	key := make([]byte, secret.KeySize)
	_, _ = rand.Read(key)
	sealer, err := secret.NewSealer(key)
	if err != nil {
		tb.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	clock := testclock.New(time.Now().UTC())
	svc := identity.New(st, identity.Options{Sealer: sealer, Logger: quiet, Clock: clock.Now})
	ctx := context.Background()
	site, err := svc.EnsureDefaultSite(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	engine := provision.New(st, provision.Options{Logger: quiet})
	h := scim.New(scim.Options{Identity: svc, Log: st, Engine: engine, Auth: svc, BaseURL: "https://files.example.com", Logger: quiet,
		Refusals: events.NewRefusalLimiter(st, events.RefusalLimits{Logger: quiet})})
	front, err := web.New(web.Options{Service: svc, BaseURL: "https://files.example.com", Logger: quiet, Provision: engine, SCIM: h})
	if err != nil {
		tb.Fatal(err)
	}
	e := &env{t: tb, ctx: ctx, st: st, svc: svc, engine: engine, site: site, srv: httptest.NewServer(front), clock: clock}
	tb.Cleanup(e.srv.Close)
	e.p, e.token = e.provider(site.ID, "Entra ID")
	return e
}

func ptr[T any](v T) *T { return &v }

// provider creates an enabled SAML provider that provisions and
// deprovisions users and groups, with a SCIM token.
func (e *env) provider(siteID int64, label string) (store.SSOStrategy, string) {
	e.t.Helper()
	p, err := e.svc.CreateSSOStrategy(e.ctx, identity.SystemActor, siteID, identity.SSOStrategyChange{
		Protocol: ptr(identity.ProtocolSAML), Label: ptr(label), Enabled: ptr(true),
		ProvisionUsers: ptr(true), ProvisionGroups: ptr(true), DeprovisionUsers: ptr(true), DeprovisionGroups: ptr(true),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	token, p, err := e.svc.GenerateSCIMToken(e.ctx, identity.SystemActor, siteID, p.ID, true)
	if err != nil {
		e.t.Fatal(err)
	}
	return p, token
}

// setBehavior changes the provider's deprovision_behavior.
func (e *env) setBehavior(b string) {
	e.t.Helper()
	if _, err := e.st.UpdateSSOStrategy(e.ctx, e.site.ID, e.p.ID, func(p *store.SSOStrategy) error {
		p.DeprovisionBehavior = b
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

// response is one answer: status, headers and the body as JSON.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends a request with the provider's token.
func (e *env) call(method, path, body string) response {
	e.t.Helper()
	return e.callWith(method, path, body, map[string]string{"Authorization": "Bearer " + e.token})
}

// callWith sends a request with exactly the headers given (plus a SCIM
// content type when there is a body and none is given).
func (e *env) callWith(method, path, body string, headers map[string]string) response {
	e.t.Helper()
	if e.query != "" {
		if strings.Contains(path, "?") {
			path += "&" + e.query
		} else {
			path += "?" + e.query
		}
	}
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			e.t.Fatalf("%s %s: answer is not a JSON object: %v\n%s", method, path, err, raw)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
			e.t.Fatalf("%s %s: Content-Type %q", method, path, ct)
		}
	}
	return r
}

// want fails unless the answer has the status.
func (r response) want(t testing.TB, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// wantError fails unless the answer is a SCIM error with the status and
// scimType ("" for none).
func (r response) wantError(t testing.TB, status int, scimType string) response {
	t.Helper()
	r.want(t, status)
	schemas, _ := r.body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != scim.URNError || r.body["status"] != strconv.Itoa(status) {
		t.Fatalf("not a SCIM error with status %d: %s", status, r.raw)
	}
	if got, _ := r.body["scimType"].(string); got != scimType {
		t.Fatalf("scimType %q, want %q: %s", got, scimType, r.raw)
	}
	if d, _ := r.body["detail"].(string); d == "" {
		t.Fatalf("SCIM error without detail: %s", r.raw)
	}
	return r
}

// s reads a string at a dotted path of the body ("name.givenName",
// "emails.0.value").
func (r response) s(path string) string {
	v := get(r.body, path)
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func get(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
			if v == nil && strings.HasPrefix(part, "urn:") {
				return nil
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// user reads a user record by SCIM id.
func (e *env) user(id string) (store.User, error) {
	n, _ := strconv.ParseInt(id, 10, 64)
	return e.st.GetUser(e.ctx, e.site.ID, n)
}

func (e *env) mustUser(id string) store.User {
	e.t.Helper()
	u, err := e.user(id)
	if err != nil {
		e.t.Fatalf("user %s: %v", id, err)
	}
	return u
}

// members lists the user ids in a group.
func (e *env) members(groupID string) []int64 {
	e.t.Helper()
	n, _ := strconv.ParseInt(groupID, 10, 64)
	var out []int64
	for after := int64(0); ; {
		page, err := e.st.ListGroupUsers(e.ctx, e.site.ID, store.GroupUserQuery{GroupID: n,
			ListOptions: store.ListOptions{AfterID: after, Limit: 1000}})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, gu := range page {
			out = append(out, gu.UserID)
		}
		if len(page) < 1000 {
			return out
		}
		after = page[len(page)-1].ID
	}
}

// createUser posts a minimal user and returns its SCIM id.
func (e *env) createUser(userName, externalID string) string {
	e.t.Helper()
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":` + q(userName) +
		`,"externalId":` + q(externalID) + `,"active":true,"name":{"givenName":"Given","familyName":"Family"}}`
	return e.call("POST", "/api/scim/Users", body).want(e.t, 201).s("id")
}

// createGroup posts a group and returns its SCIM id.
func (e *env) createGroup(name, externalID string) string {
	e.t.Helper()
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":` + q(name) + `,"externalId":` + q(externalID) + `}`
	return e.call("POST", "/api/scim/Groups", body).want(e.t, 201).s("id")
}

func q(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// snapshot is every user and membership of the site, to show a refused
// request changed nothing.
func (e *env) snapshot() string {
	e.t.Helper()
	users, err := e.st.ListUsers(e.ctx, e.site.ID, store.UserQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	groups, err := e.st.ListGroups(e.ctx, e.site.ID, store.GroupQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	ms, err := e.st.ListMemberships(e.ctx, e.site.ID, store.MembershipQuery{UserIDFrom: 0, UserIDTo: 1 << 62})
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := json.Marshal([]any{users, groups, ms})
	return string(b)
}

// scimLogs lists the site's SCIM log.
func (e *env) scimLogs() []store.ScimLog {
	e.t.Helper()
	logs, err := e.st.ListScimLogs(e.ctx, e.site.ID, store.EventQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	return logs
}

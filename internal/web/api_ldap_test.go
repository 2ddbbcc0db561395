package web

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/ldapsync"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ldapSyncServer is the front end with LDAP sync, over the harness's store.
type ldapSyncServer struct {
	h   *harness
	st  store.Store
	srv *httptest.Server
}

func newLDAPSyncServer(t *testing.T) *ldapSyncServer {
	t.Helper()
	var st store.Store
	h := newHarnessWith(t, func(s store.Store, _ *identity.Options) { st = s })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dirs := directory.New(directory.Options{Store: st, Secrets: h.svc, Logger: quiet, Outbound: outbound.AllowPrivate()})
	t.Cleanup(func() { _ = dirs.Close() })
	sync, err := ldapsync.New(ldapsync.Options{Store: st, Engine: h.provision, Directories: dirs, Logger: quiet, Clock: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	x := &ldapSyncServer{h: h, st: st}
	x.srv = httptest.NewUnstartedServer(nil)
	handler, err := New(Options{Service: h.svc, BaseURL: "http://" + x.srv.Listener.Addr().String(), Logger: quiet,
		Clock: h.clock.Now, Provision: h.provision, SignIn: h.signin, SAML: h.saml, LDAPSync: sync})
	if err != nil {
		t.Fatal(err)
	}
	x.srv.Config.Handler = handler
	x.srv.Start()
	t.Cleanup(x.srv.Close)
	return x
}

func (x *ldapSyncServer) call(method, path, key, body string) apiResponse {
	x.h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, x.srv.URL+apiPrefix+path, rd)
	if err != nil {
		x.h.t.Fatal(err)
	}
	req.Header.Set(apiKeyHeader, key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		x.h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return apiResponse{status: res.StatusCode, header: res.Header, body: b}
}

// TestAPISyncAndTestLDAPProvider: an LDAP provider made through the API is
// tested step by step, previewed without a change, synced (the answer
// names the run's external event), and bad or refused calls answer
// Files.com-shaped errors and change nothing.
func TestAPISyncAndTestLDAPProvider(t *testing.T) {
	dir := ldaptest.Start(t, ldaptest.Options{NoSeed: true, BulkUsers: 20, BulkGroups: 2})
	x := newLDAPSyncServer(t)
	admin := x.h.createUser("admin", true)
	_, adminKey := x.h.apiKeyFor(admin, time.Time{})
	ann := x.h.createUser("ann", false)
	_, annKey := x.h.apiKeyFor(ann, time.Time{})

	options, _ := json.Marshal(map[string]string{directory.OptionCABundle: dir.CAPEM()})
	create, _ := json.Marshal(map[string]any{
		"protocol": "open_ldap", "provider": "ldap", "label": "Corp LDAP", "enabled": true,
		"ldap_host": dir.Host(), "ldap_port": dir.LDAPSPort, "ldap_secure": true, "ldap_base_dn": ldaptest.BaseDN,
		"ldap_username": ldaptest.ServiceDN, "ldap_password": ldaptest.ServicePassword, "ldap_username_field": "uid",
		"provision_users": true, "provision_groups": true, "deprovision_users": true, "options": json.RawMessage(options),
	})
	r := x.call("POST", "/sso_strategies", adminKey, string(create))
	if r.status != http.StatusCreated {
		t.Fatalf("create provider: %d %s", r.status, r.body)
	}
	var p ssoStrategyJSON
	r.decode(t, &p)
	base := fmt.Sprintf("/sso_strategies/%d", p.ID)

	r = x.call("POST", base+"/test", adminKey, `{"username":"`+ldaptest.BulkUID(1)+`"}`)
	var rep ldapsync.TestReport
	r.decode(t, &rep)
	if r.status != http.StatusOK || !rep.OK || len(rep.Steps) < 4 || rep.Steps[0].Detail == "" {
		t.Fatalf("test: %d %s", r.status, r.body)
	}

	countUsers := func() int {
		n, err := x.st.CountUsers(x.h.ctx, x.h.site.ID, store.UserQuery{SSOStrategyID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, preview := range []struct{ query, body string }{{"?preview=true", ""}, {"", `{"dry_run":true}`}} {
		r = x.call("POST", base+"/sync"+preview.query, adminKey, preview.body)
		var res ldapsync.Result
		r.decode(t, &res)
		if r.status != http.StatusOK || res.Status != ldapsync.StatusPreview || res.Counts.Created != 20 || res.EventID != 0 || len(res.Changes) == 0 {
			t.Fatalf("preview %v: %d %s", preview, r.status, r.body)
		}
	}
	if n := countUsers(); n != 0 {
		t.Fatalf("previews made %d accounts", n)
	}

	r = x.call("POST", base+"/sync", adminKey, "")
	var res ldapsync.Result
	r.decode(t, &res)
	if r.status != http.StatusOK || res.Status != store.EventSuccess || res.Counts.Created != 20 || res.Directory.Users != 20 || res.EventID == 0 {
		t.Fatalf("sync: %d %s", r.status, r.body)
	}
	r = x.call("GET", fmt.Sprintf("/external_events/%d", res.EventID), adminKey, "")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"status":"success"`) || !strings.Contains(string(r.body), `\"source\":\"ldap\"`) {
		t.Fatalf("the run's external event: %d %s", r.status, r.body)
	}

	// Bad and refused calls.
	expectError(t, x.call("POST", base+"/sync?preview=maybe", adminKey, ""), 400, errInvalidQuery.Type)
	expectError(t, x.call("POST", base+"/sync", adminKey, `{"preview":"perhaps"}`), 422, identity.ErrInvalidParams.Type)
	expectError(t, x.call("POST", base+"/sync", adminKey, `[1,2]`), 400, identity.ErrInvalidBody.Type)
	expectError(t, x.call("POST", base+"/test", adminKey, `{"username":"`+strings.Repeat("a", 300)+`"}`), 422, identity.ErrInvalidParams.Type)
	expectError(t, x.call("POST", base+"/test", adminKey, `{"username":"a\u0000b"}`), 422, identity.ErrInvalidParams.Type)
	if r := x.call("POST", base+"/sync", annKey, ""); r.status != http.StatusForbidden {
		t.Fatalf("sync by a non-admin: %d %s", r.status, r.body)
	}
	expectError(t, x.call("POST", "/sso_strategies/424242/sync", adminKey, ""), 404, identity.ErrSSOStrategyNotFound.Type)
	expectError(t, x.call("POST", "/sso_strategies/424242/test", adminKey, ""), 404, identity.ErrSSOStrategyNotFound.Type)
	saml := x.h.createStrategy("saml", "okta", "Okta", true, false)
	expectError(t, x.call("POST", fmt.Sprintf("/sso_strategies/%d/sync", saml.ID), adminKey, ""), 422, ldapsync.ErrNotLDAP.Type)
	expectError(t, x.call("POST", fmt.Sprintf("/sso_strategies/%d/test", saml.ID), adminKey, ""), 422, ldapsync.ErrNotLDAP.Type)

	// A sync running on another node.
	now := x.h.clock.Now()
	if ok, err := x.st.TryLock(x.h.ctx, fmt.Sprintf("ldap-sync:%d", p.ID), "other-node", now, now.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("take the lock: %v %v", ok, err)
	}
	expectError(t, x.call("POST", base+"/sync", adminKey, ""), 409, ldapsync.ErrRunningElsewhere.Type)
	if n := countUsers(); n != 20 {
		t.Fatalf("%d accounts, want 20", n)
	}
}

package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ldapHarness is the front end over a real slapd, with an OpenLDAP
// provider whose users were synced into Gatehouse.
type ldapHarness struct {
	*harness
	srv      *ldaptest.Server
	dirs     *directory.Service
	provider store.SSOStrategy
	// dirRefusals is the refusal limiter of the directory and the
	// identity core.
	dirRefusals *events.RefusalLimiter
}

func newLDAPHarness(t *testing.T) *ldapHarness {
	t.Helper()
	srv := ldaptest.Start(t, ldaptest.Options{})
	var dirs *directory.Service
	var refusals *events.RefusalLimiter
	h := newHarnessWith(t, func(st store.Store, o *identity.Options) {
		refusals = events.NewRefusalLimiter(st, events.RefusalLimits{Clock: o.Clock, Logger: o.Logger})
		dirs = directory.New(directory.Options{Store: st, Clock: o.Clock, Logger: o.Logger, Outbound: outbound.AllowPrivate(),
			Provision: provision.New(st, provision.Options{Clock: o.Clock, Logger: o.Logger}), Refusals: refusals})
		o.Directory, o.Refusals = dirs, refusals
	})
	dirs.SetSecrets(h.svc)
	t.Cleanup(func() { _ = dirs.Close() })

	protocol, provider, label, yes := identity.ProtocolOpenLDAP, "ldap", "Test directory", true
	host, port, bindDN, bindPW, base, field := srv.Host(), srv.LDAPSPort, ldaptest.ServiceDN, ldaptest.ServicePassword, ldaptest.BaseDN, "uid"
	opts, _ := json.Marshal(map[string]any{directory.OptionCABundle: srv.CAPEM()})
	raw := json.RawMessage(opts)
	p, err := h.svc.CreateSSOStrategy(h.ctx, identity.SystemActor, h.site.ID, identity.SSOStrategyChange{
		Protocol: &protocol, Provider: &provider, Label: &label, Enabled: &yes,
		LDAPHost: &host, LDAPPort: &port, LDAPSecure: &yes, LDAPUsername: &bindDN, LDAPPassword: &bindPW,
		LDAPBaseDN: &base, LDAPUsernameField: &field, Options: &raw,
		ProvisionUsers: &yes, ProvisionGroups: &yes, DeprovisionUsers: &yes,
	})
	if err != nil {
		t.Fatalf("create LDAP provider: %v", err)
	}
	lh := &ldapHarness{harness: h, srv: srv, dirs: dirs, provider: p, dirRefusals: refusals}
	lh.sync()
	return lh
}

// sync reads the directory and reconciles the provider's accounts, as the
// scheduled sync does, then grants API access to every synced account.
func (h *ldapHarness) sync() {
	h.t.Helper()
	dir, err := h.dirs.Directory(h.ctx, h.provider)
	if err != nil {
		h.t.Fatal(err)
	}
	snap, err := dir.Snapshot(h.ctx, nil)
	if err != nil {
		h.t.Fatalf("snapshot: %v", err)
	}
	if _, err := h.provision.Reconcile(h.ctx, h.site.ID, h.provider.ID, directory.Snapshot(snap)); err != nil {
		h.t.Fatalf("reconcile: %v", err)
	}
	users, err := h.svc.ListUsers(h.ctx, h.site.ID, store.UserQuery{ListOptions: store.ListOptions{Limit: 100}})
	if err != nil {
		h.t.Fatal(err)
	}
	yes := true
	for _, u := range users {
		if u.SSOStrategyID == h.provider.ID && !u.RestAPIPermission {
			if _, err := h.svc.UpdateUser(h.ctx, identity.SystemActor, h.site.ID, u.ID, identity.UserChange{RestAPIPermission: &yes}, true); err != nil {
				h.t.Fatal(err)
			}
		}
	}
}

func (h *ldapHarness) user(username string) store.User {
	h.t.Helper()
	u, err := h.st.GetUserByUsername(h.ctx, h.site.ID, username)
	if err != nil {
		h.t.Fatalf("user %s: %v", username, err)
	}
	return u
}

// lastLDAPEvent is the newest ldap_login event.
func (h *ldapHarness) lastLDAPEvent() store.SSOEvent {
	h.t.Helper()
	evs, err := h.svc.ListSSOEvents(h.ctx, h.site.ID, store.EventQuery{ListOptions: store.ListOptions{Limit: 1000}, EventType: directory.EventLDAPLogin})
	if err != nil || len(evs) == 0 {
		h.t.Fatalf("no ldap_login event: %v", err)
	}
	last := evs[0]
	for _, e := range evs {
		if e.ID > last.ID {
			last = e
		}
	}
	return last
}

func (h *ldapHarness) apiSignIn(username, password string) apiResponse {
	h.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	return h.callJSON("POST", apiPrefix+"/sessions", "", string(body))
}

func TestLDAPUserSignsInWithDirectoryPassword(t *testing.T) {
	h := newLDAPHarness(t)
	alice := h.user(ldaptest.UserAlice)
	if alice.AuthenticationMethod != store.AuthSSO || alice.SSOStrategyID != h.provider.ID || alice.ExternalID == "" {
		t.Fatalf("synced account: %+v", alice)
	}

	// The REST API.
	r := h.apiSignIn(ldaptest.UserAlice, ldaptest.Password(ldaptest.UserAlice))
	if r.status != http.StatusCreated || !strings.Contains(string(r.body), `"username":"alice"`) {
		t.Fatalf("POST /sessions: %d %s", r.status, r.body)
	}
	if ev := h.lastLDAPEvent(); ev.Status != store.EventSuccess || ev.UserID != alice.ID || ev.SSOStrategyID != h.provider.ID {
		t.Fatalf("success event: %+v", ev)
	}

	// The web login page, for a user whose names need escaping.
	b := newBrowser(h.harness)
	p := b.login(ldaptest.UserOdd, ldaptest.Password(ldaptest.UserOdd))
	if p.status != http.StatusSeeOther || b.cookie(sessionCookie) == nil {
		t.Fatalf("web login of %q: %d %s", ldaptest.UserOdd, p.status, p.body)
	}

	// The local password is not what counts: a wrong directory password fails.
	r = h.apiSignIn(ldaptest.UserAlice, strongPassword)
	expectError(t, r, http.StatusUnauthorized, identity.ErrInvalidUsernameOrPassword.Type)
	if ev := h.lastLDAPEvent(); ev.Status != store.EventFailure || !strings.Contains(ev.Body, "invalid_credentials") {
		t.Fatalf("wrong password event: %+v", ev)
	}
}

func TestLDAPDisabledInDirectoryIsRefusedAtOnce(t *testing.T) {
	h := newLDAPHarness(t)
	bob := h.user(ldaptest.UserBob)
	r := h.apiSignIn(ldaptest.UserBob, ldaptest.Password(ldaptest.UserBob))
	if r.status != http.StatusCreated {
		t.Fatalf("bob before: %d %s", r.status, r.body)
	}

	// Disabled in the directory, before any sync: refused at once, on
	// the API and the web, and the account is disabled too.
	h.srv.Disable(t, ldaptest.UserDN(ldaptest.UserBob))
	r = h.apiSignIn(ldaptest.UserBob, ldaptest.Password(ldaptest.UserBob))
	expectError(t, r, http.StatusUnauthorized, identity.ErrInvalidUsernameOrPassword.Type)
	if ev := h.lastLDAPEvent(); ev.Status != store.EventFailure || !strings.Contains(ev.Body, "disabled") {
		t.Fatalf("disabled event: %+v", ev)
	}
	if !h.user(ldaptest.UserBob).Disabled {
		t.Fatal("the account of a user the directory disables stays enabled")
	}
	b := newBrowser(h.harness)
	if p := b.login(ldaptest.UserBob, ldaptest.Password(ldaptest.UserBob)); p.status != http.StatusUnauthorized || b.cookie(sessionCookie) != nil {
		t.Fatalf("web login of a disabled user: %d", p.status)
	}
	// And the next sync leaves it disabled.
	h.sync()
	if u := h.user(ldaptest.UserBob); !u.Disabled || u.ID != bob.ID {
		t.Fatalf("after sync: %+v", u)
	}

	// Carol was disabled before the first sync: her account is disabled.
	if !h.user(ldaptest.UserCarol).Disabled {
		t.Fatal("carol, disabled in the directory, was synced enabled")
	}
}

func TestLDAPRefusalsLookAlikeButEventsTellThemApart(t *testing.T) {
	h := newLDAPHarness(t)
	// Dave is locked (ppolicy) but active: the sync keeps his account.
	cases := []struct {
		user, password, reason string
	}{
		{ldaptest.UserAlice, "wrong password", "invalid_credentials"},
		{ldaptest.UserDave, ldaptest.Password(ldaptest.UserDave), "locked"},
	}
	var bodies []string
	for _, tc := range cases {
		r := h.apiSignIn(tc.user, tc.password)
		expectError(t, r, http.StatusUnauthorized, identity.ErrInvalidUsernameOrPassword.Type)
		bodies = append(bodies, strings.ReplaceAll(string(r.body), tc.user, ""))
		if ev := h.lastLDAPEvent(); !strings.Contains(ev.Body, tc.reason) {
			t.Errorf("%s: event %+v, want reason %s", tc.user, ev, tc.reason)
		}
	}
	// The account exists locally but the directory entry is gone.
	h.srv.Delete(t, ldaptest.UserDN(ldaptest.UserAlice))
	r := h.apiSignIn(ldaptest.UserAlice, ldaptest.Password(ldaptest.UserAlice))
	expectError(t, r, http.StatusUnauthorized, identity.ErrInvalidUsernameOrPassword.Type)
	bodies = append(bodies, strings.ReplaceAll(string(r.body), ldaptest.UserAlice, ""))
	if ev := h.lastLDAPEvent(); !strings.Contains(ev.Body, "unknown_user") {
		t.Errorf("deleted entry: event %+v", ev)
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("refusals differ: %q vs %q", bodies[0], b)
		}
	}

	// An empty password never reaches the directory.
	before := h.lastLDAPEvent().ID
	r = h.apiSignIn(ldaptest.UserBob, "")
	if r.status < 400 || r.status >= 500 {
		t.Fatalf("empty password: %d %s", r.status, r.body)
	}
	if h.lastLDAPEvent().ID != before {
		t.Fatal("an empty password was sent to the directory")
	}

	// The directory down: the caller is answered as for a wrong password
	// (the event says why), and the try is not counted towards lockout.
	h.srv.Stop()
	r = h.apiSignIn(ldaptest.UserBob, ldaptest.Password(ldaptest.UserBob))
	if strings.ReplaceAll(string(r.body), ldaptest.UserBob, "") != bodies[0] {
		t.Fatalf("directory down answered %d %s, want the same answer as a wrong password: %s", r.status, r.body, bodies[0])
	}
	if strings.Contains(string(r.body), strconv.Itoa(h.srv.LDAPSPort)) || strings.Contains(string(r.body), ldaptest.ServiceDN) {
		t.Fatalf("the answer names the directory: %s", r.body)
	}
	if ev := h.lastLDAPEvent(); !strings.Contains(ev.Body, "unavailable") {
		t.Fatalf("directory down event: %+v", ev)
	}
	if u := h.user(ldaptest.UserBob); u.FailedLogins != 0 {
		t.Fatalf("a directory outage counted as a failed sign-in: %d", u.FailedLogins)
	}
}

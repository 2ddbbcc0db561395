package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/identity/identitytest"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
)

// env is a directory Service over a real slapd, SQLite store, identity
// core and provisioning engine, with one OpenLDAP provider.
type env struct {
	ctx      context.Context
	srv      *ldaptest.Server
	st       store.Store
	id       *identity.Service
	engine   *provision.Engine
	dirs     *directory.Service
	site     store.Site
	provider store.SSOStrategy
}

func newEnv(tb testing.TB, o ldaptest.Options, change func(*identity.SSOStrategyChange)) *env {
	tb.Helper()
	srv := ldaptest.Start(tb, o)
	st := teststore.SQLite(tb)
	sealer := identitytest.Sealer(tb)
	var err error
	e := &env{ctx: context.Background(), srv: srv, st: st}
	e.engine = provision.New(st, provision.Options{})
	e.dirs = directory.New(directory.Options{Store: st, Provision: e.engine, Outbound: outbound.AllowPrivate()})
	tb.Cleanup(func() { _ = e.dirs.Close() })
	e.id = identity.New(st, identity.Options{Sealer: sealer, Directory: e.dirs,
		PasswordHashing: identitytest.CheapHashing()})
	e.dirs.SetSecrets(e.id)
	if e.site, err = e.id.EnsureDefaultSite(e.ctx); err != nil {
		tb.Fatal(err)
	}
	protocol, provider, label, yes := identity.ProtocolOpenLDAP, "ldap", "Directory", true
	host, port, bindDN, bindPW, base := srv.Host(), srv.LDAPSPort, ldaptest.ServiceDN, ldaptest.ServicePassword, ldaptest.BaseDN
	opts, _ := json.Marshal(map[string]any{directory.OptionCABundle: srv.CAPEM()})
	raw := json.RawMessage(opts)
	ch := identity.SSOStrategyChange{Protocol: &protocol, Provider: &provider, Label: &label, Enabled: &yes,
		LDAPHost: &host, LDAPPort: &port, LDAPSecure: &yes, LDAPUsername: &bindDN, LDAPPassword: &bindPW, LDAPBaseDN: &base,
		Options: &raw, ProvisionUsers: &yes, ProvisionGroups: &yes, DeprovisionUsers: &yes}
	if change != nil {
		change(&ch)
	}
	if e.provider, err = e.id.CreateSSOStrategy(e.ctx, identity.SystemActor, e.site.ID, ch); err != nil {
		tb.Fatal(err)
	}
	return e
}

// sync reconciles the provider's accounts with the directory.
func (e *env) sync(tb testing.TB) {
	tb.Helper()
	dir, err := e.dirs.Directory(e.ctx, e.provider)
	if err != nil {
		tb.Fatal(err)
	}
	snap, err := dir.Snapshot(e.ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := e.engine.Reconcile(e.ctx, e.site.ID, e.provider.ID, directory.Snapshot(snap)); err != nil {
		tb.Fatal(err)
	}
}

func (e *env) user(tb testing.TB, name string) store.User {
	tb.Helper()
	u, err := e.st.GetUserByUsername(e.ctx, e.site.ID, name)
	if err != nil {
		tb.Fatalf("user %s: %v", name, err)
	}
	return u
}

func (e *env) lastEvent(tb testing.TB) store.SSOEvent {
	tb.Helper()
	evs, err := e.st.ListSSOEvents(e.ctx, e.site.ID, store.EventQuery{ListOptions: store.ListOptions{Limit: 1000}, EventType: directory.EventLDAPLogin})
	if err != nil || len(evs) == 0 {
		tb.Fatalf("no ldap_login event: %v", err)
	}
	last := evs[0]
	for _, ev := range evs {
		if ev.ID > last.ID {
			last = ev
		}
	}
	return last
}

func TestDirectoryIsKeptUntilTheSettingsChange(t *testing.T) {
	e := newEnv(t, ldaptest.Options{NoSeed: true}, nil)
	d1, err := e.dirs.Directory(e.ctx, e.provider)
	if err != nil {
		t.Fatal(err)
	}
	if d2, _ := e.dirs.Directory(e.ctx, e.provider); d2 != d1 {
		t.Fatal("an unchanged provider got a new directory")
	}
	filter := `{"ldap_ca_bundle": ` + mustJSON(e.srv.CAPEM()) + `, "ldap_user_filter": "(uid=a*)"}`
	raw := json.RawMessage(filter)
	p, err := e.id.UpdateSSOStrategy(e.ctx, identity.SystemActor, e.site.ID, e.provider.ID, identity.SSOStrategyChange{Options: &raw})
	if err != nil {
		t.Fatal(err)
	}
	d3, err := e.dirs.Directory(e.ctx, p)
	if err != nil || d3 == d1 || d3.Config().UserFilter != "(uid=a*)" {
		t.Fatalf("changed provider: %v, same=%v", err, d3 == d1)
	}

	saml := store.SSOStrategy{ID: 99, Protocol: identity.ProtocolSAML}
	if _, err := e.dirs.Directory(e.ctx, saml); ldap.KindOf(err) != ldap.KindConfig {
		t.Fatalf("a SAML provider without LDAP: %v", err)
	}
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestSignInRefreshesTheAccount(t *testing.T) {
	e := newEnv(t, ldaptest.Options{}, nil)
	e.sync(t)
	e.srv.Modify(t, ldaptest.UserDN(ldaptest.UserAlice), map[string][]string{"mail": {"alice.archer@example.test"}})
	if err := e.dirs.CheckPassword(e.ctx, e.provider, ldaptest.UserAlice, ldaptest.Password(ldaptest.UserAlice)); err != nil {
		t.Fatal(err)
	}
	if u := e.user(t, ldaptest.UserAlice); u.Email != "alice.archer@example.test" {
		t.Fatalf("e-mail after sign-in = %q", u.Email)
	}
	if ev := e.lastEvent(t); ev.Status != store.EventSuccess || ev.IdPUID == "" {
		t.Fatalf("event %+v", ev)
	}
}

func TestSignInOutsideTheRequiredGroupIsRefused(t *testing.T) {
	e := newEnv(t, ldaptest.Options{}, nil)
	e.sync(t)
	// Alice leaves staff, the provider's required group, before any sync.
	required := "staff"
	p, err := e.id.UpdateSSOStrategy(e.ctx, identity.SystemActor, e.site.ID, e.provider.ID, identity.SSOStrategyChange{ProvisionGroupRequired: &required})
	if err != nil {
		t.Fatal(err)
	}
	e.provider = p
	e.srv.Modify(t, ldaptest.GroupDN(ldaptest.GroupStaff), map[string][]string{"member": {ldaptest.UserDN(ldaptest.UserBob), ldaptest.GroupDN(ldaptest.GroupEngineers)}})
	err = e.dirs.CheckPassword(e.ctx, e.provider, ldaptest.UserAlice, ldaptest.Password(ldaptest.UserAlice))
	if !errors.Is(err, identity.ErrInvalidUsernameOrPassword) {
		t.Fatalf("alice outside the required group: %v", err)
	}
	if !e.user(t, ldaptest.UserAlice).Disabled {
		t.Fatal("alice's account stays enabled")
	}
	if err := e.dirs.CheckPassword(e.ctx, e.provider, ldaptest.UserBob, ldaptest.Password(ldaptest.UserBob)); err != nil {
		t.Fatalf("bob is still in staff: %v", err)
	}
}

func TestUsernameNowNamingAnotherEntryIsRefused(t *testing.T) {
	e := newEnv(t, ldaptest.Options{}, nil)
	e.sync(t)
	// Alice's entry is deleted and a new person takes her uid: the
	// account keeps Alice's immutable id and must not open for them.
	e.srv.Delete(t, ldaptest.UserDN(ldaptest.UserAlice))
	e.srv.AddUser(t, ldaptest.UserAlice, "Another", "Alice")
	err := e.dirs.CheckPassword(e.ctx, e.provider, ldaptest.UserAlice, ldaptest.Password(ldaptest.UserAlice))
	if !errors.Is(err, identity.ErrInvalidUsernameOrPassword) {
		t.Fatalf("impostor entry: %v", err)
	}
	if ev := e.lastEvent(t); !strings.Contains(ev.Body, directory.CheckIdentityMismatch) {
		t.Fatalf("event %+v", ev)
	}
}

func TestLoginWithPasswordOnEveryChannel(t *testing.T) {
	e := newEnv(t, ldaptest.Options{}, nil)
	yes := true
	ch := identity.SSOStrategyChange{ProvisionSFTPPermission: &yes, ProvisionFTPPermission: &yes, ProvisionDAVPermission: &yes}
	p, err := e.id.UpdateSSOStrategy(e.ctx, identity.SystemActor, e.site.ID, e.provider.ID, ch)
	if err != nil {
		t.Fatal(err)
	}
	e.provider = p
	e.sync(t)
	u := e.user(t, ldaptest.UserZoe)
	if _, err := e.id.UpdateUser(e.ctx, identity.SystemActor, e.site.ID, u.ID, identity.UserChange{RestAPIPermission: &yes}, true); err != nil {
		t.Fatal(err)
	}
	for i, channel := range []identity.Channel{identity.ChannelWeb, identity.ChannelAPI, identity.ChannelDesktop,
		identity.ChannelSFTP, identity.ChannelFTP, identity.ChannelWebDAV} {
		// Each channel from an address of its own: one address's failures
		// are throttled after user_lockout_tries-1 of them.
		ip := fmt.Sprintf("192.0.2.%d", i+1)
		_, err := e.id.LoginWithPassword(e.ctx, identity.PasswordLogin{SiteID: e.site.ID, Username: ldaptest.UserZoe,
			Password: ldaptest.Password(ldaptest.UserZoe), Channel: channel, IP: ip})
		if err != nil {
			t.Errorf("%s: %v", channel, err)
		}
		_, err = e.id.LoginWithPassword(e.ctx, identity.PasswordLogin{SiteID: e.site.ID, Username: ldaptest.UserZoe,
			Password: "not it", Channel: channel, IP: ip})
		if !errors.Is(err, identity.ErrInvalidUsernameOrPassword) {
			t.Errorf("%s, wrong password: %v", channel, err)
		}
	}
}

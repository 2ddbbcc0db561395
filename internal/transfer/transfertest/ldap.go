package transfertest

import (
	"encoding/json"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// LDAPUser is the directory account NewLDAP syncs and grants FTP and
// WebDAV; LDAPPassword is its directory password.
var (
	LDAPUser     = ldaptest.UserAlice
	LDAPPassword = ldaptest.Password(ldaptest.UserAlice)
)

// NewLDAP builds a harness over a real slapd (skipped when slapd is not
// installed, failed under GATEHOUSE_REQUIRE_PEERS): an OpenLDAP provider
// whose people were synced into Gatehouse, with FTP and WebDAV permission.
func NewLDAP(t testing.TB) *Harness {
	t.Helper()
	srv := ldaptest.Start(t, ldaptest.Options{})
	var dirs *directory.Service
	h := newHarness(t, func(st store.Store, o *identity.Options) {
		dirs = directory.New(directory.Options{Store: st, Logger: o.Logger, Outbound: outbound.AllowPrivate(),
			Provision: provision.New(st, provision.Options{Logger: o.Logger})})
		o.Directory = dirs
	})
	dirs.SetSecrets(h.Svc)
	t.Cleanup(func() { _ = dirs.Close() })

	protocol, kind, label, yes := identity.ProtocolOpenLDAP, "ldap", "Test directory", true
	host, port, bindDN, bindPW, base, field := srv.Host(), srv.LDAPSPort, ldaptest.ServiceDN, ldaptest.ServicePassword, ldaptest.BaseDN, "uid"
	opts, _ := json.Marshal(map[string]any{directory.OptionCABundle: srv.CAPEM()})
	raw := json.RawMessage(opts)
	p, err := h.Svc.CreateSSOStrategy(h.Ctx, identity.SystemActor, h.Site.ID, identity.SSOStrategyChange{
		Protocol: &protocol, Provider: &kind, Label: &label, Enabled: &yes,
		LDAPHost: &host, LDAPPort: &port, LDAPSecure: &yes, LDAPUsername: &bindDN, LDAPPassword: &bindPW,
		LDAPBaseDN: &base, LDAPUsernameField: &field, Options: &raw, ProvisionUsers: &yes,
	})
	if err != nil {
		t.Fatalf("create LDAP provider: %v", err)
	}
	dir, err := dirs.Directory(h.Ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := dir.Snapshot(h.Ctx, nil)
	if err != nil {
		t.Fatalf("directory snapshot: %v", err)
	}
	if _, err := provision.New(h.Store, provision.Options{Logger: h.Logger}).Reconcile(h.Ctx, h.Site.ID, p.ID, directory.Snapshot(snap)); err != nil {
		t.Fatalf("sync: %v", err)
	}
	u, err := h.Store.GetUserByUsername(h.Ctx, h.Site.ID, LDAPUser)
	if err != nil {
		t.Fatalf("synced user %s: %v", LDAPUser, err)
	}
	if _, err := h.Svc.UpdateUser(h.Ctx, identity.SystemActor, h.Site.ID, u.ID,
		identity.UserChange{FTPPermission: &yes, DAVPermission: &yes}, true); err != nil {
		t.Fatal(err)
	}
	return h
}

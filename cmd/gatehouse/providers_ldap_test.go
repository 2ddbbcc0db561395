package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

func TestMain(m *testing.M) { pgMain(m) }

// ldapProvider creates an OpenLDAP provider reading srv over LDAPS (with
// its CA as the CA bundle), its service password sealed with the master
// key in keyFile, as the CLI will open it.
func ldapProvider(t *testing.T, st store.Store, site store.Site, keyFile string, srv *ldaptest.Server) store.SSOStrategy {
	t.Helper()
	key, err := secret.LoadOrCreateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	svc := identity.New(st, identity.Options{Sealer: sealer, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	opts, err := json.Marshal(map[string]string{directory.OptionCABundle: srv.CAPEM()})
	if err != nil {
		t.Fatal(err)
	}
	raw := json.RawMessage(opts)
	s := func(v string) *string { return &v }
	b := func(v bool) *bool { return &v }
	port := srv.LDAPSPort
	p, err := svc.CreateSSOStrategy(context.Background(), identity.SystemActor, site.ID, identity.SSOStrategyChange{
		Protocol: s(identity.ProtocolOpenLDAP), Provider: s("ldap"), Label: s("Corp LDAP"), Enabled: b(true),
		LDAPHost: s(srv.Host()), LDAPPort: &port, LDAPSecure: b(true), LDAPBaseDN: s(ldaptest.BaseDN),
		LDAPUsername: s(ldaptest.ServiceDN), LDAPPassword: s(ldaptest.ServicePassword), LDAPUsernameField: s("uid"),
		ProvisionUsers: b(true), ProvisionGroups: b(true), DeprovisionUsers: b(true), Options: &raw,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProvidersSyncAndTest: the connection test passes step by step, a
// preview changes nothing, a sync creates the directory's people, and a
// provider that reads no directory is refused with the REST error type.
func TestProvidersSyncAndTest(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{NoSeed: true, BulkUsers: 30, BulkGroups: 3})
	dataDir, st, site := eventsWorld(t)
	p := ldapProvider(t, st, site, filepath.Join(dataDir, "master.key"), srv)
	id := strconv.FormatInt(p.ID, 10)
	ctx := context.Background()
	run := func(args ...string) (string, error) {
		var out lockedBuffer
		// The test directory is on loopback, which only this flag reaches.
		err := runCLI(ctx, &out, append(args, "--data-dir", dataDir, "--allow-private-outbound")...)
		return out.String(), err
	}

	out, err := run("providers", "test", id, "--username", ldaptest.BulkUID(3))
	if err != nil || !strings.Contains(out, "All steps passed.") || strings.Contains(out, "FAIL") {
		t.Fatalf("providers test: %v\n%s", err, out)
	}

	out, err = run("providers", "sync", id, "--preview")
	if err != nil || !strings.Contains(out, "nothing was changed") || !strings.Contains(out, "create "+ldaptest.BulkUID(0)) {
		t.Fatalf("providers sync --preview: %v\n%s", err, out)
	}
	if n, _ := st.CountUsers(ctx, site.ID, store.UserQuery{SSOStrategyID: p.ID}); n != 0 {
		t.Fatalf("the preview created %d accounts", n)
	}

	out, err = run("providers", "sync", id)
	if err != nil || !strings.Contains(out, ": success in ") || !strings.Contains(out, "30 seen: 30 created") ||
		!strings.Contains(out, "reading the directory") || !strings.Contains(out, "applying the changes") {
		t.Fatalf("providers sync: %v\n%s", err, out)
	}
	if n, _ := st.CountUsers(ctx, site.ID, store.UserQuery{SSOStrategyID: p.ID}); n != 30 {
		t.Fatalf("the sync made %d accounts, want 30", n)
	}
	out, err = run("providers", "sync", id, "--json")
	var res struct {
		Status string         `json:"status"`
		Counts map[string]int `json:"counts"`
	}
	if err != nil || json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res) != nil || res.Status != "success" || res.Counts["unchanged"] != 30 {
		t.Fatalf("providers sync --json: %v\n%s", err, out)
	}

	saml := store.SSOStrategy{SiteID: site.ID, Protocol: "saml", Provider: "okta", Label: "Okta", Enabled: true}
	if err := st.CreateSSOStrategy(ctx, &saml); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"sync", "test"} {
		out, err = run("providers", cmd, strconv.FormatInt(saml.ID, 10))
		if err == nil || !strings.Contains(err.Error(), "provider-sync-unavailable") {
			t.Fatalf("providers %s of a SAML provider: %v\n%s", cmd, err, out)
		}
	}

	// The directory is down: the test says where it failed, the sync fails
	// and disables nobody.
	srv.Stop()
	out, err = run("providers", "test", id)
	if err == nil || !strings.Contains(out, "FAIL") {
		t.Fatalf("providers test with the directory down: %v\n%s", err, out)
	}
	out, err = run("providers", "sync", id, "--preview")
	if err == nil || !strings.Contains(out, "could not be read") || !strings.Contains(err.Error(), "preview of provider") {
		t.Fatalf("providers sync --preview with the directory down: %v\n%s", err, out)
	}
	out, err = run("providers", "sync", id)
	if err == nil || !strings.Contains(out, ": failure in ") || !strings.Contains(err.Error(), "nothing was deprovisioned") {
		t.Fatalf("providers sync with the directory down: %v\n%s", err, out)
	}
	if n, _ := st.CountUsers(ctx, site.ID, store.UserQuery{SSOStrategyID: p.ID}); n != 30 {
		t.Fatalf("%d accounts after a failed sync, want 30", n)
	}
}

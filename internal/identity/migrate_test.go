package identity

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
)

// TestMigrateUsers moves five directory accounts to a SAML provider: the
// dry run moves nobody and names who would lose password sign-in without
// a key; batches of two move them, each with an event, forgetting the old
// immutable id; a second site's and another provider's accounts stay.
func TestMigrateUsers(t *testing.T) {
	teststore.Drivers(t, func(t *testing.T, open func(testing.TB) store.Store) {
		e := newEnvOn(t, open(t), Options{})
		ldap, saml, other := e.provider(ProtocolActiveDirectory), e.provider(ProtocolSAML), e.provider(ProtocolOpenLDAP)
		var ids []int64
		for i := range 5 {
			u := e.user(fmt.Sprintf("dir%d", i), UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &ldap.ID,
				SFTPPermission: ptr(true), RestAPIPermission: ptr(i%2 == 0)})
			if _, err := e.st.UpdateUser(e.ctx, e.site.ID, u.ID, func(u *store.User) error { u.ExternalID = fmt.Sprintf("guid-%d", i); return nil }); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		if _, err := e.svc.CreatePublicKey(e.ctx, SystemActor, e.site.ID, PublicKeyChange{UserID: &ids[0], Title: ptr("laptop"), PublicKey: ptr(newAuthorizedKey(t))}); err != nil {
			t.Fatal(err)
		}
		stay := e.user("elsewhere", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &other.ID})
		admin := Actor{Username: "root", SiteAdmin: true, IP: "192.0.2.9"}

		for _, bad := range []MigrationRequest{{From: ldap.ID}, {From: ldap.ID, To: ldap.ID}, {From: ldap.ID, To: 999}} {
			if _, err := e.svc.MigrateUsers(e.ctx, admin, e.site.ID, bad); err == nil {
				t.Fatalf("migration %+v was accepted", bad)
			}
		}
		if _, err := e.svc.MigrateUsers(e.ctx, Actor{Username: "ann"}, e.site.ID, MigrationRequest{From: ldap.ID, To: saml.ID}); !errors.Is(err, ErrSiteAdminRequired) {
			t.Fatalf("a migration by a non-admin: %v", err)
		}

		dry, err := e.svc.MigrateUsers(e.ctx, admin, e.site.ID, MigrationRequest{From: ldap.ID, To: saml.ID, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(dry.Users) != 5 || dry.Moved != 0 || dry.Remaining != 0 || dry.LosingPasswords != 5 {
			t.Fatalf("dry run: %+v", dry)
		}
		// dir0 has an SSH key for SFTP but no API key for the REST API.
		if w := dry.Users[0].Warning; !strings.Contains(w, "API key for the REST API") || strings.Contains(w, "SSH key") {
			t.Errorf("dir0's warning: %q", w)
		}
		if w := dry.Users[1].Warning; !strings.Contains(w, "SSH key for SFTP") || strings.Contains(w, "REST API") {
			t.Errorf("dir1's warning: %q", w)
		}
		if n, _ := e.svc.CountProviderUsers(e.ctx, e.site.ID, ldap.ID); n != 5 {
			t.Fatalf("the dry run moved users: %d left on the directory", n)
		}

		moved := 0
		for range 3 {
			rep, err := e.svc.MigrateUsers(e.ctx, admin, e.site.ID, MigrationRequest{From: ldap.ID, To: saml.ID, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			moved += rep.Moved
			if rep.Remaining != 5-moved {
				t.Fatalf("after moving %d: %d remaining", moved, rep.Remaining)
			}
		}
		if moved != 5 {
			t.Fatalf("moved %d", moved)
		}
		for _, id := range ids {
			u, _ := e.svc.GetUser(e.ctx, e.site.ID, id)
			if u.SSOStrategyID != saml.ID || u.ExternalID != "" || u.AuthenticationMethod != store.AuthSSO {
				t.Errorf("moved user %+v", u)
			}
		}
		if u, _ := e.svc.GetUser(e.ctx, e.site.ID, stay.ID); u.SSOStrategyID != other.ID {
			t.Errorf("another provider's user moved")
		}
		evs, err := e.svc.ListSSOEvents(e.ctx, e.site.ID, store.EventQuery{EventType: EventTypeUserMigrated})
		if err != nil || len(evs) != 5 || !strings.Contains(evs[0].Body, "root") || evs[0].SSOStrategyID != saml.ID {
			t.Fatalf("migration events: %d %v %+v", len(evs), err, evs)
		}
		// Each names the new provider as every SSO event does (events.SSOEventAbout).
		for _, ev := range evs {
			if ev.Provider != saml.Provider || ev.ProviderLabel != saml.Label || ev.CreatedAt.IsZero() || ev.UserID == 0 {
				t.Errorf("migration event not about its provider %+v: %+v", saml, ev)
			}
		}
		// Nothing left: running it again moves nobody.
		if rep, err := e.svc.MigrateUsers(e.ctx, admin, e.site.ID, MigrationRequest{From: ldap.ID, To: saml.ID}); err != nil || rep.Moved != 0 || len(rep.Users) != 0 {
			t.Fatalf("a migration with nobody left: %+v %v", rep, err)
		}
	})
}

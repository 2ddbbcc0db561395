package ldap_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
)

func newDirectory(t *testing.T, cfg ldap.Config) *ldap.Directory {
	t.Helper()
	d, err := ldap.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func groupNames(gs []ldap.GroupRef) []string {
	var names []string
	for _, g := range gs {
		names = append(names, g.Name)
	}
	slices.Sort(names)
	return names
}

func wantKind(t *testing.T, err error, kind ldap.Kind) {
	t.Helper()
	if got := ldap.KindOf(err); got != kind {
		t.Fatalf("error kind = %q, want %q (error: %v)", got, kind, err)
	}
}

func TestAuthenticateSuccessReadsEntryAndNestedGroups(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{})
	d := newDirectory(t, srv.Config())
	ctx := context.Background()

	e, err := d.Authenticate(ctx, ldaptest.UserAlice, ldaptest.Password(ldaptest.UserAlice))
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if e.DN != ldaptest.UserDN(ldaptest.UserAlice) || e.Username != "alice" || e.Email != "alice@example.test" ||
		e.GivenName != "Alice" || e.Surname != "Archer" || e.Disabled || e.Locked {
		t.Fatalf("entry = %+v", e)
	}
	if len(e.ImmutableID) != 36 {
		t.Fatalf("immutable id %q is not an entryUUID", e.ImmutableID)
	}
	if got := groupNames(e.Groups); !slices.Equal(got, []string{"staff"}) {
		t.Fatalf("alice's groups = %v", got)
	}

	// The odd user is in backend, nested in engineers, nested in staff.
	odd, err := d.Authenticate(ctx, ldaptest.UserOdd, ldaptest.Password(ldaptest.UserOdd))
	if err != nil {
		t.Fatalf("Authenticate odd user: %v", err)
	}
	if got := groupNames(odd.Groups); !slices.Equal(got, []string{"backend", "engineers", "staff"}) {
		t.Fatalf("odd user's groups = %v", got)
	}
	if !sameDN(t, odd.DN, ldaptest.OddDN) {
		t.Fatalf("odd DN = %q", odd.DN)
	}

	zoe, err := d.Authenticate(ctx, ldaptest.UserZoe, ldaptest.Password(ldaptest.UserZoe))
	if err != nil {
		t.Fatalf("Authenticate zoe: %v", err)
	}
	if zoe.GivenName != "Zoë" || zoe.Surname != "Ødegård-Łukasz" {
		t.Fatalf("non-ASCII names = %q %q", zoe.GivenName, zoe.Surname)
	}
	if got := groupNames(zoe.Groups); !slices.Equal(got, []string{"engineers", "staff"}) {
		t.Fatalf("zoe's groups = %v", got)
	}
}

func TestAuthenticateFailureKinds(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{})
	d := newDirectory(t, srv.Config())
	ctx := context.Background()
	cases := []struct {
		name, user, password string
		kind                 ldap.Kind
	}{
		{"wrong password", ldaptest.UserAlice, "wrong", ldap.KindInvalidCredentials},
		{"other user's password", ldaptest.UserAlice, ldaptest.Password(ldaptest.UserBob), ldap.KindInvalidCredentials},
		{"empty password", ldaptest.UserAlice, "", ldap.KindInvalidCredentials},
		{"unknown user", "nobody", "whatever", ldap.KindUnknownUser},
		{"disabled", ldaptest.UserCarol, ldaptest.Password(ldaptest.UserCarol), ldap.KindDisabled},
		{"locked", ldaptest.UserDave, ldaptest.Password(ldaptest.UserDave), ldap.KindLocked},
		{"injection star", "*)(uid=*", "whatever", ldap.KindUnknownUser},
		{"injection or", "admin)(|(x=*", "whatever", ldap.KindUnknownUser},
		{"wildcard", "*", ldaptest.Password(ldaptest.UserAlice), ldap.KindUnknownUser},
		{"wildcard prefix", "ali*", ldaptest.Password(ldaptest.UserAlice), ldap.KindUnknownUser},
		{"NUL", "alice\x00", ldaptest.Password(ldaptest.UserAlice), ldap.KindUnknownUser},
		{"oversized", strings.Repeat("a", 10000), "x", ldap.KindUnknownUser},
		{"invalid UTF-8", "al\xffice", "x", ldap.KindUnknownUser},
		{"service account is not a user", "gatehouse", ldaptest.ServicePassword, ldap.KindUnknownUser},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.Authenticate(ctx, tc.user, tc.password)
			wantKind(t, err, tc.kind)
		})
	}
}

func TestEmptyPasswordRefusedBeforeAnyBind(t *testing.T) {
	// No host at all answers: an empty password must fail before dialling.
	cfg := ldap.Config{Hosts: []string{"127.0.0.1"}, Port: 1, BindDN: "cn=x", BindPassword: "y", BaseDN: "dc=x", Dialect: ldap.DialectOpenLDAP}
	d := newDirectory(t, cfg)
	_, err := d.Authenticate(context.Background(), "alice", "")
	wantKind(t, err, ldap.KindInvalidCredentials)
}

func TestTLSNeedsTheCA(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{})
	ctx := context.Background()
	user, pw := ldaptest.UserAlice, ldaptest.Password(ldaptest.UserAlice)

	noCA := srv.Config()
	noCA.RootCAs = nil // system roots: the test CA is not among them
	_, err := newDirectory(t, noCA).Authenticate(ctx, user, pw)
	wantKind(t, err, ldap.KindConfig)

	startTLSNoCA := srv.Config()
	startTLSNoCA.Secure, startTLSNoCA.StartTLS, startTLSNoCA.Port, startTLSNoCA.RootCAs = false, true, srv.LDAPPort, nil
	_, err = newDirectory(t, startTLSNoCA).Authenticate(ctx, user, pw)
	wantKind(t, err, ldap.KindConfig)

	startTLS := srv.Config()
	startTLS.Secure, startTLS.StartTLS, startTLS.Port = false, true, srv.LDAPPort
	if _, err := newDirectory(t, startTLS).Authenticate(ctx, user, pw); err != nil {
		t.Fatalf("StartTLS with the CA: %v", err)
	}

	wrongName := srv.Config()
	wrongName.Hosts = []string{"127.0.0.2"} // not in the certificate
	if _, err := newDirectory(t, wrongName).Authenticate(ctx, user, pw); ldap.KindOf(err) != ldap.KindConfig && ldap.KindOf(err) != ldap.KindUnavailable {
		t.Fatalf("a certificate for another name: %v", err)
	}
}

func TestHostFailover(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{})
	cfg := srv.Config()
	dead := deadPort(t)
	cfg.Hosts = []string{"127.0.0.1:" + dead, srv.TLSAddr()}
	d := newDirectory(t, cfg)
	start := time.Now()
	if _, err := d.Authenticate(context.Background(), ldaptest.UserAlice, ldaptest.Password(ldaptest.UserAlice)); err != nil {
		t.Fatalf("host 1 down, host 2 serving: %v", err)
	}
	if time.Since(start) > 4*time.Second {
		t.Fatalf("failover took %s", time.Since(start))
	}

	steps := d.Test(context.Background(), ldaptest.UserAlice)
	if len(steps) < 2 || steps[0].OK || !steps[1].OK {
		t.Fatalf("test steps = %+v", steps)
	}

	allDead := srv.Config()
	allDead.Hosts = []string{"127.0.0.1:" + dead}
	_, err := newDirectory(t, allDead).Authenticate(context.Background(), ldaptest.UserAlice, ldaptest.Password(ldaptest.UserAlice))
	wantKind(t, err, ldap.KindUnavailable)
}

func TestServiceAccountRefused(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{})
	cfg := srv.Config()
	cfg.BindPassword = "wrong"
	_, err := newDirectory(t, cfg).Authenticate(context.Background(), ldaptest.UserAlice, ldaptest.Password(ldaptest.UserAlice))
	wantKind(t, err, ldap.KindServiceAccount)
	var le *ldap.Error
	if !errors.As(err, &le) || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("error should be *ldap.Error without the password: %v", err)
	}
}

func TestSnapshotUsersGroupsAndNesting(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{})
	cfg := srv.Config()
	cfg.PageSize = 2 // several pages
	d := newDirectory(t, cfg)
	var calls int
	snap, err := d.Snapshot(context.Background(), func(users, groups int) { calls++ })
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if len(snap.Users) != 6 || len(snap.Groups) != 4 {
		t.Fatalf("snapshot has %d users, %d groups", len(snap.Users), len(snap.Groups))
	}
	if calls < 4 {
		t.Fatalf("progress called %d times for pages of 2", calls)
	}
	byName := map[string]ldap.Entry{}
	for _, u := range snap.Users {
		byName[u.Username] = u
	}
	want := map[string][]string{
		ldaptest.UserAlice: {"staff"}, ldaptest.UserBob: {"staff"}, ldaptest.UserZoe: {"engineers", "staff"},
		ldaptest.UserOdd: {"backend", "engineers", "staff"}, ldaptest.UserCarol: {"ops"}, ldaptest.UserDave: {"ops"},
	}
	for name, groups := range want {
		if got := groupNames(byName[name].Groups); !slices.Equal(got, groups) {
			t.Errorf("%s's groups = %v, want %v", name, got, groups)
		}
	}
	if !byName[ldaptest.UserCarol].Disabled || byName[ldaptest.UserDave].Disabled || !byName[ldaptest.UserDave].Locked {
		t.Errorf("carol disabled=%v, dave disabled=%v locked=%v", byName[ldaptest.UserCarol].Disabled,
			byName[ldaptest.UserDave].Disabled, byName[ldaptest.UserDave].Locked)
	}
}

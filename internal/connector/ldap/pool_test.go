package ldap_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
)

// silentServer accepts connections and never answers, like a directory
// that hangs.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String()
}

func TestSlowDirectoryHoldsOnlyThePool(t *testing.T) {
	addr := silentServer(t)
	d := newDirectory(t, ldap.Config{Hosts: []string{addr}, BindDN: "cn=svc", BindPassword: "x", BaseDN: "dc=x",
		Dialect: ldap.DialectOpenLDAP, PoolSize: 2, Timeout: 300 * time.Millisecond})
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = d.Authenticate(context.Background(), "alice", "pw") })
	}
	wg.Wait()
	for _, err := range errs {
		wantKind(t, err, ldap.KindUnavailable)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("8 sign-ins against a hanging directory took %s", took)
	}
}

func TestCancelledContextEndsARequest(t *testing.T) {
	addr := silentServer(t)
	d := newDirectory(t, ldap.Config{Hosts: []string{addr}, BindDN: "cn=svc", BindPassword: "x", BaseDN: "dc=x",
		Dialect: ldap.DialectOpenLDAP, Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := d.Authenticate(ctx, "alice", "pw")
	wantKind(t, err, ldap.KindUnavailable)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("cancelled request returned after %s", took)
	}
}

func TestDirectoryComesBackAfterRestart(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{})
	d := newDirectory(t, srv.Config())
	ctx := context.Background()
	user, pw := ldaptest.UserAlice, ldaptest.Password(ldaptest.UserAlice)
	if _, err := d.Authenticate(ctx, user, pw); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	_, err := d.Authenticate(ctx, user, pw)
	wantKind(t, err, ldap.KindUnavailable)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Authenticate(ctx, user, pw); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func TestConnectionTestSteps(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{})
	d := newDirectory(t, srv.Config())
	steps := d.Test(context.Background(), ldaptest.UserZoe)
	names := []string{ldap.StepConnect + " " + srv.TLSAddr(), ldap.StepTLS, ldap.StepServiceBind, ldap.StepBaseSearch,
		ldap.StepUserFilter, ldap.StepGroupFilter, ldap.StepUserLookup}
	if len(steps) != len(names) {
		t.Fatalf("steps = %+v", steps)
	}
	for i, s := range steps {
		if s.Name != names[i] || !s.OK || s.Detail == "" {
			t.Errorf("step %d = %+v, want %s ok", i, s, names[i])
		}
	}

	cfg := srv.Config()
	cfg.BindPassword = "wrong"
	steps = newDirectory(t, cfg).Test(context.Background(), "")
	if last := steps[len(steps)-1]; last.Name != ldap.StepServiceBind || last.OK {
		t.Fatalf("wrong service password: %+v", steps)
	}

	cfg = srv.Config()
	cfg.UserFilter = "(objectClass=posixAccount)" // a typo'd filter: nobody
	steps = newDirectory(t, cfg).Test(context.Background(), ldaptest.UserAlice)
	for _, s := range steps {
		if s.Name == ldap.StepUserFilter && s.OK {
			t.Fatalf("a filter selecting nobody passes: %+v", s)
		}
	}
}

func TestFailoverWhenTheServingHostDies(t *testing.T) {
	first := ldaptest.Start(t, ldaptest.Options{})
	second := ldaptest.Start(t, ldaptest.Options{})
	cfg := first.Config()
	cfg.Hosts = []string{first.TLSAddr(), second.TLSAddr()}
	roots := first.CAPool()
	roots.AppendCertsFromPEM([]byte(second.CAPEM()))
	cfg.RootCAs = roots
	d := newDirectory(t, cfg)
	ctx := context.Background()
	user, pw := ldaptest.UserBob, ldaptest.Password(ldaptest.UserBob)
	e1, err := d.Authenticate(ctx, user, pw)
	if err != nil {
		t.Fatal(err)
	}
	first.Stop()
	e2, err := d.Authenticate(ctx, user, pw)
	if err != nil {
		t.Fatalf("after the first host died: %v", err)
	}
	if e1.ImmutableID == e2.ImmutableID {
		t.Fatal("the second sign-in was not answered by the second host")
	}
	if _, err := d.Snapshot(ctx, nil); err != nil {
		t.Fatalf("snapshot from the second host: %v", err)
	}
}

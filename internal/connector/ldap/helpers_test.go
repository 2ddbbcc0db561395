package ldap_test

import (
	"runtime"

	goldap "github.com/go-ldap/ldap/v3"

	"strconv"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/testpeer"
)

// deadPort is a loopback port nothing listens on.
func deadPort(t *testing.T) string {
	t.Helper()
	port, err := testpeer.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(port)
}

// sameDN compares two DNs as the directory does.
func sameDN(t *testing.T, a, b string) bool {
	t.Helper()
	da, err1 := goldap.ParseDN(a)
	db, err2 := goldap.ParseDN(b)
	if err1 != nil || err2 != nil {
		t.Fatalf("parse DNs %q, %q: %v %v", a, b, err1, err2)
	}
	return da.EqualFold(db)
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

func newDirectoryB(srv *ldaptest.Server) (*ldap.Directory, error) { return ldap.New(srv.Config()) }

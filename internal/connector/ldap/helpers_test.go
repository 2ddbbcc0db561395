package ldap_test

import (
	"net"
	"runtime"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"strconv"
	"testing"
)

// deadPort is a loopback port nothing listens on.
func deadPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
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

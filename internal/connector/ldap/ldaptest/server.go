// Package ldaptest runs a real OpenLDAP slapd for tests: its own
// configuration and mdb database in a temporary directory, ldap:// and
// ldaps:// on loopback ports with a certificate chained to a CA made for
// the test, the password policy overlay (for disabled and locked
// accounts), and a seed of users, nested groups, a disabled and a locked
// user, non-ASCII names and an entry whose names hold filter and DN
// metacharacters. The system's own slapd, if any, is never used.
//
//	srv := ldaptest.Start(t, ldaptest.Options{})
//	cfg := srv.Config(ldap.DialectOpenLDAP) // LDAPS, trusting the test CA
//
// When slapd is not installed the test is skipped, or fails when the
// environment sets GATEHOUSE_REQUIRE_PEERS=1 (install the Debian packages
// slapd and ldap-utils; make test does). Package testpeer runs the process.
package ldaptest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/gatehouse/gatehouse/internal/testpeer"
)

// ErrNotInstalled says slapd or slapadd was not found.
var ErrNotInstalled = errors.New("ldaptest: slapd and slapadd not found in /usr/sbin or on PATH; install the Debian packages slapd and ldap-utils")

// Options choose what a server starts with.
type Options struct {
	// NoSeed leaves out the default people and groups (the tree and the
	// service account are always there).
	NoSeed bool
	// BulkUsers users in BulkGroups groups are loaded with slapadd before
	// the server starts (BulkUID, BulkGroup, bulkLDIF's layout).
	BulkUsers, BulkGroups int
	// LDIF is loaded after the seed, before the server starts.
	LDIF string
}

// Server is one running slapd owned by the test.
type Server struct {
	dir       string
	certs     *certificates
	LDAPPort  int
	LDAPSPort int
	proc      *testpeer.Process
}

// Start starts a server for t and stops it when t ends, logging the end
// of slapd's log if t failed. It skips t, or fails it under
// GATEHOUSE_REQUIRE_PEERS=1, when slapd is missing (see package testpeer).
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := StartServer(o)
	if errors.Is(err, ErrNotInstalled) {
		testpeer.Missing(t, "%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("slapd log (end):\n%s", testpeer.Tail(s.path("slapd.log")))
		}
		s.Close()
	})
	return s
}

// StartServer prepares and starts a server; Close removes it.
func StartServer(o Options) (*Server, error) {
	slapd, slapadd, err := findBinaries()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gatehouse-slapd-")
	if err != nil {
		return nil, fmt.Errorf("ldaptest: %w", err)
	}
	s := &Server{dir: dir}
	if err := s.prepare(slapadd, o); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	var lastErr error
	for range 3 { // a free port may be taken between choosing and binding it
		if lastErr = s.start(slapd, 0, 0); lastErr == nil {
			return s, nil
		}
	}
	_ = os.RemoveAll(dir)
	return nil, lastErr
}

func findBinaries() (slapd, slapadd string, err error) {
	find := func(name string) string {
		if p := "/usr/sbin/" + name; isFile(p) {
			return p
		}
		p, _ := exec.LookPath(name)
		return p
	}
	slapd, slapadd = find("slapd"), find("slapadd")
	if slapd == "" || slapadd == "" {
		return "", "", ErrNotInstalled
	}
	return slapd, slapadd, nil
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// prepare writes the certificates and slapd.conf and loads the entries.
func (s *Server) prepare(slapadd string, o Options) error {
	certs, err := newCertificates()
	if err != nil {
		return fmt.Errorf("ldaptest: certificates: %w", err)
	}
	s.certs = certs
	if err := certs.write(s.dir); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(s.dir, "db"), 0o700); err != nil {
		return fmt.Errorf("ldaptest: %w", err)
	}
	if err := os.WriteFile(s.path("slapd.conf"), []byte(s.config()), 0o600); err != nil {
		return fmt.Errorf("ldaptest: %w", err)
	}
	ldif := baseLDIF()
	if !o.NoSeed {
		ldif += seedLDIF()
	}
	if o.BulkUsers > 0 {
		ldif += bulkLDIF(o.BulkUsers, max(o.BulkGroups, 1))
	}
	ldif += o.LDIF
	if err := os.WriteFile(s.path("seed.ldif"), []byte(ldif), 0o600); err != nil {
		return fmt.Errorf("ldaptest: %w", err)
	}
	cmd := exec.Command(slapadd, "-q", "-f", s.path("slapd.conf"), "-l", s.path("seed.ldif"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ldaptest: slapadd: %w: %s", err, out)
	}
	return nil
}

func (s *Server) path(name string) string { return filepath.Join(s.dir, name) }

// config is slapd.conf: the schemas inetOrgPerson needs, the ppolicy
// overlay, an mdb database, and read access for the service account only.
func (s *Server) config() string {
	return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile ` + s.path("slapd.pid") + `
argsfile ` + s.path("slapd.args") + `
TLSCACertificateFile ` + s.path("ca.pem") + `
TLSCertificateFile ` + s.path("server.pem") + `
TLSCertificateKeyFile ` + s.path("server.key") + `
sizelimit unlimited
timelimit unlimited

database mdb
suffix "` + BaseDN + `"
rootdn "` + AdminDN + `"
rootpw ` + AdminPassword + `
directory ` + s.path("db") + `
maxsize 1073741824
index objectClass eq
index uid eq
index member eq
index entryUUID eq
index cn eq
overlay ppolicy
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by dn.exact="` + ServiceDN + `" read
  by self read
  by * none
`
}

// start runs slapd in the foreground on the given ports (0: new free ports)
// and waits until it answers.
func (s *Server) start(slapd string, ldapPort, ldapsPort int) error {
	var err error
	if ldapPort == 0 {
		if ldapPort, err = testpeer.FreePort(); err != nil {
			return err
		}
		if ldapsPort, err = testpeer.FreePort(); err != nil {
			return err
		}
	}
	urls := fmt.Sprintf("ldap://127.0.0.1:%d/ ldaps://127.0.0.1:%d/", ldapPort, ldapsPort)
	proc, err := testpeer.Start("slapd", exec.Command(slapd, "-f", s.path("slapd.conf"), "-h", urls, "-d", "0"), s.path("slapd.log"))
	if err != nil {
		return fmt.Errorf("ldaptest: %w", err)
	}
	s.proc, s.LDAPPort, s.LDAPSPort = proc, ldapPort, ldapsPort
	if err := proc.WaitReady(15*time.Second, testpeer.Listening(s.Addr(), s.TLSAddr())); err != nil {
		s.proc = nil
		return fmt.Errorf("ldaptest: %w", err)
	}
	return nil
}

// Stop stops slapd, keeping its data: Restart starts it again on the same
// ports. A test uses it for "the directory went away".
func (s *Server) Stop() { s.kill() }

// Restart starts a stopped server again on its ports.
func (s *Server) Restart() error {
	slapd, _, err := findBinaries()
	if err != nil {
		return err
	}
	var lastErr error
	for range 20 { // the old sockets may linger for a moment
		if lastErr = s.start(slapd, s.LDAPPort, s.LDAPSPort); lastErr == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return lastErr
}

func (s *Server) kill() {
	if s.proc == nil {
		return
	}
	s.proc.Stop(syscall.SIGTERM, 5*time.Second)
	s.proc = nil
}

// Close stops slapd and removes its files.
func (s *Server) Close() {
	s.kill()
	_ = os.RemoveAll(s.dir)
}

// Host is the address slapd listens on.
func (s *Server) Host() string { return "127.0.0.1" }

// Addr is host:port of ldap://.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.LDAPPort)) }

// TLSAddr is host:port of ldaps://.
func (s *Server) TLSAddr() string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.LDAPSPort)) }

// CAPEM is the PEM certificate of the CA that issued the server's.
func (s *Server) CAPEM() string { return string(s.certs.caPEM) }

// CAPool is a pool holding only the test CA.
func (s *Server) CAPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.certs.caCert)
	return p
}

// Admin opens a connection bound as the rootdn, for changing entries.
func (s *Server) Admin(t testing.TB) *goldap.Conn {
	t.Helper()
	c, err := goldap.DialURL("ldaps://"+s.TLSAddr(), goldap.DialWithTLSConfig(&tls.Config{RootCAs: s.CAPool(), ServerName: s.Host()}))
	if err != nil {
		t.Fatalf("ldaptest: dial: %v", err)
	}
	if err := c.Bind(AdminDN, AdminPassword); err != nil {
		_ = c.Close()
		t.Fatalf("ldaptest: admin bind: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Add adds an entry as the rootdn.
func (s *Server) Add(t testing.TB, dn string, attrs map[string][]string) {
	t.Helper()
	req := goldap.NewAddRequest(dn, nil)
	for name, values := range attrs {
		req.Attribute(name, values)
	}
	if err := s.Admin(t).Add(req); err != nil {
		t.Fatalf("ldaptest: add %s: %v", dn, err)
	}
}

// AddUser adds an inetOrgPerson under PeopleDN with Password(uid).
func (s *Server) AddUser(t testing.TB, uid, given, sn string) string {
	t.Helper()
	dn := "uid=" + goldap.EscapeDN(uid) + "," + PeopleDN
	s.Add(t, dn, map[string][]string{
		"objectClass": {"inetOrgPerson"}, "uid": {uid}, "cn": {given + " " + sn}, "givenName": {given}, "sn": {sn},
		"mail": {uid + "@example.test"}, "userPassword": {Password(uid)},
	})
	return dn
}

// Modify replaces attributes of an entry (an empty list deletes the attribute).
func (s *Server) Modify(t testing.TB, dn string, replace map[string][]string) {
	t.Helper()
	req := goldap.NewModifyRequest(dn, nil)
	for name, values := range replace {
		req.Replace(name, values)
	}
	if err := s.Admin(t).Modify(req); err != nil {
		t.Fatalf("ldaptest: modify %s: %v", dn, err)
	}
}

// Delete deletes an entry.
func (s *Server) Delete(t testing.TB, dn string) {
	t.Helper()
	if err := s.Admin(t).Del(goldap.NewDelRequest(dn, nil)); err != nil {
		t.Fatalf("ldaptest: delete %s: %v", dn, err)
	}
}

// Rename gives an entry a new RDN ("uid=new"), keeping its entryUUID.
func (s *Server) Rename(t testing.TB, dn, newRDN string) {
	t.Helper()
	if err := s.Admin(t).ModifyDN(goldap.NewModifyDNRequest(dn, newRDN, true, "")); err != nil {
		t.Fatalf("ldaptest: rename %s: %v", dn, err)
	}
}

// Disable sets the ppolicy mark the OpenLDAP dialect reads as disabled.
func (s *Server) Disable(t testing.TB, dn string) {
	t.Helper()
	s.Modify(t, dn, map[string][]string{"pwdAccountLockedTime": {"000001010000Z"}})
}

// WaitStopped is for tests that stop the server: it reports whether slapd
// has exited.
func (s *Server) WaitStopped(ctx context.Context) bool {
	if s.proc == nil {
		return true
	}
	select {
	case <-s.proc.Exited():
		return true
	case <-ctx.Done():
		return false
	}
}

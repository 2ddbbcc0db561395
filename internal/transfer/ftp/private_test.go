package ftp

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	goftp "goftp.io/server/v2"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// TestGoftpVersionPinned breaks when go.mod upgrades (or replaces)
// goftp.io/server/v2: private.go writes its unexported fields, and
// privateFields was checked against goftpVersion only. (Test binaries
// carry no module versions in their build information, so go.mod, which
// decides the version every build links, is read.) Whoever upgrades reads the new
// version's Server and Session, updates privateFields and goftpVersion,
// and sees in the package doc whether the upgrade lets a field go.
func TestGoftpVersionPinned(t *testing.T) {
	const module = "goftp.io/server/v2"
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(module) + `\s+(\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("go.mod does not require %s", module)
	}
	if got := string(m[1]); got != goftpVersion {
		t.Fatalf("go.mod requires %s %s, but private.go was checked against %s: check privateFields against the new version, then update goftpVersion", module, got, goftpVersion)
	}
	if strings.Contains(string(b), "replace "+module) || regexp.MustCompile(`(?m)^\s*`+regexp.QuoteMeta(module)+`\s+\S+\s+=>`).Match(b) {
		t.Fatalf("go.mod replaces %s; private.go was checked against its %s only", module, goftpVersion)
	}
}

// TestPrivateFieldsOfThisLibrary: every private field listed is there with
// its type in the version built, and the list is complete: each field the
// package reaches is in it (privateValue refuses any other).
func TestPrivateFieldsOfThisLibrary(t *testing.T) {
	if err := checkPrivateFields(privateFields); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"Server.tlsConfig": true, "Server.feats": true, "Session.dataConn": true, "Session.tls": true, "Session.conn": true}
	for _, p := range privateFields {
		delete(want, p.owner.Name()+"."+p.name)
	}
	if len(want) > 0 {
		t.Fatalf("privateFields lacks %v", want)
	}
	if _, err := privateValue(&goftp.Session{}, "user"); err == nil || !strings.Contains(err.Error(), "not listed") {
		t.Fatalf("a field not in privateFields was reached: %v", err)
	}
}

// The libraries a careless upgrade could bring: one field renamed, one
// retyped to another kind, one retyped within its kind, one moved into an
// embedded struct. Only their shape matters, read through reflection.
type (
	renamedTLS struct {
		tlsConf *tls.Config
	}
	boolAsInt struct {
		tls int
	}
	otherConn struct {
		conn *net.TCPConn
	}
	embeddedFeats struct {
		inner
	}
	inner struct {
		feats string
	}
)

// brokenLibraries holds a value of each, which is what makes their fields
// used to the compiler's eye.
var brokenLibraries = []any{renamedTLS{tlsConf: nil}, boolAsInt{tls: 0}, otherConn{conn: nil}, embeddedFeats{inner{feats: ""}}}

// TestPrivateFieldChecksFailClosed: New's check names any private field
// that is gone or changed, so such a library version builds no server
// (rather than, for a renamed Session.tls, one that opens passive data
// connections in clear under a TLS control connection).
func TestPrivateFieldChecksFailClosed(t *testing.T) {
	for _, tc := range []struct {
		field privateField
		want  string
	}{
		{privateField{reflect.TypeOf(brokenLibraries[0]), "tlsConfig", reflect.TypeFor[*tls.Config]()}, `no field "tlsConfig"`},
		{privateField{reflect.TypeOf(brokenLibraries[1]), "tls", reflect.TypeFor[bool]()}, "tls is of kind int, not bool"},
		{privateField{reflect.TypeOf(brokenLibraries[2]), "conn", reflect.TypeFor[net.Conn]()}, "conn is of kind ptr, not interface"},
		{privateField{reflect.TypeOf(brokenLibraries[3]), "feats", reflect.TypeFor[string]()}, "promoted from an embedded struct"},
		{privateField{reflect.TypeFor[goftp.Session](), "tls", reflect.TypeFor[string]()}, "tls is of kind bool, not string"},
		{privateField{reflect.TypeFor[goftp.Session](), "dataConn", reflect.TypeFor[net.Conn]()}, "dataConn is of type server.DataSocket, not net.Conn"},
	} {
		err := checkPrivateFields([]privateField{privateFields[0], tc.field})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "not supported") {
			t.Errorf("%s.%s: got %v, want an error with %q", tc.field.owner, tc.field.name, err, tc.want)
		}
	}
}

// TestSessionTLSFailsClosed: reading whether a session is protected
// either answers from the field or errs; it never answers "clear" for a
// session it cannot read.
func TestSessionTLSFailsClosed(t *testing.T) {
	sess := &goftp.Session{}
	if protected, err := sessionTLS(sess); err != nil || protected {
		t.Fatalf("new session: %v %v", protected, err)
	}
	f, err := privateValue(sess, "tls")
	if err != nil {
		t.Fatal(err)
	}
	f.SetBool(true)
	if protected, err := sessionTLS(sess); err != nil || !protected {
		t.Fatalf("protected session: %v %v", protected, err)
	}
	if _, err := sessionTLS(nil); err == nil {
		t.Fatal("a nil session answered")
	}
	if err := setPrivate(sess, "tls", "yes"); err == nil {
		t.Fatal("a string went into a bool field")
	}
}

// TestNewChecksPrivateFieldsWithoutTLS: New refuses to build a server, TLS
// or not, when any private field it may reach is gone, naming it. Before,
// only Server.tlsConfig was checked, and only with TLS on.
func TestNewChecksPrivateFieldsWithoutTLS(t *testing.T) {
	saved := privateFields
	t.Cleanup(func() { privateFields = saved })
	privateFields = append(slices.Clone(saved), privateField{reflect.TypeFor[goftp.Session](), "tlsProtected", reflect.TypeFor[bool]()})
	cfg := Options{Identity: &identity.Service{}, Files: func(store.Site, store.User, []store.GroupUser) vfs.FS { return nil },
		Listen: "127.0.0.1:2121"}
	_, err := New(cfg)
	if err == nil || !strings.Contains(err.Error(), `no field "tlsProtected"`) {
		t.Fatalf("New with plain FTP: %v", err)
	}
	privateFields = saved
	if _, err := New(cfg); err != nil {
		t.Fatalf("New with the library's own fields: %v", err)
	}
}

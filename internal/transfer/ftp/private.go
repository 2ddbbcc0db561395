package ftp

import (
	"crypto/tls"
	"fmt"
	"net"
	"reflect"
	"slices"
	"unsafe"

	goftp "goftp.io/server/v2"
)

// The FTP library keeps private five things Gatehouse must set or read:
//
//   - the server's TLS configuration AUTH TLS uses (Server.tlsConfig),
//     which only ListenAndServe sets, and ListenAndServe opens its own
//     listener, so the control connections could not be bounded (see
//     guard.go);
//   - the FEAT reply (Server.feats), which the library writes once from
//     its own command table and so advertised the active mode Gatehouse
//     refuses (see featText in filecmds.go);
//   - a session's data connection (Session.dataConn), which only the
//     library's own PASV sets, and its passive socket listens on every
//     interface and hands the data to whoever connects first (see
//     passive.go);
//   - whether a session's control connection is protected
//     (Session.tls), which decides whether its passive data connection
//     is: read wrong, a file would cross in clear under a TLS control
//     connection;
//   - a session's control connection (Session.conn), for the local
//     address the client reached, where the passive socket listens.
//
// setPrivate and the readers below reach such a field through reflection.
// checkPrivateFields, called by New, checks every one of them (name, type
// and kind) against the library the binary was built with, so a library
// update that renames or retypes any of them stops the FTP server from
// being built, with an error naming the field, instead of, say, leaving
// the passive data socket in clear under a TLS control connection. The
// readers fail closed too. goftpVersion pins the version the fields were
// checked against (TestGoftpVersionPinned breaks on an upgrade); the
// package doc lists what upstream changes would let this file go.

// goftpVersion is the version of goftp.io/server/v2 whose private fields
// privateFields describes.
const goftpVersion = "v2.0.3"

// privateField is one unexported field of the FTP library that this
// package reads or writes.
type privateField struct {
	owner reflect.Type // the struct holding it
	name  string
	typ   reflect.Type // the type it must have, exactly
}

// privateFields is every unexported field this package touches.
var privateFields = []privateField{
	{reflect.TypeFor[goftp.Server](), "tlsConfig", reflect.TypeFor[*tls.Config]()},
	{reflect.TypeFor[goftp.Server](), "feats", reflect.TypeFor[string]()},
	{reflect.TypeFor[goftp.Session](), "dataConn", reflect.TypeFor[goftp.DataSocket]()},
	{reflect.TypeFor[goftp.Session](), "tls", reflect.TypeFor[bool]()},
	{reflect.TypeFor[goftp.Session](), "conn", reflect.TypeFor[net.Conn]()},
}

// checkPrivateFields reports the first of fields that its struct lacks or
// holds with another type or kind.
func checkPrivateFields(fields []privateField) error {
	for _, p := range fields {
		f, ok := p.owner.FieldByName(p.name)
		switch {
		case !ok:
			return fmt.Errorf("ftp: the FTP library's %s has no field %q any more (Gatehouse was written against goftp.io/server/v2 %s); this library version is not supported",
				p.owner, p.name, goftpVersion)
		case f.Type.Kind() != p.typ.Kind():
			return fmt.Errorf("ftp: the FTP library's %s.%s is of kind %s, not %s (Gatehouse was written against goftp.io/server/v2 %s); this library version is not supported",
				p.owner, p.name, f.Type.Kind(), p.typ.Kind(), goftpVersion)
		case f.Type != p.typ:
			return fmt.Errorf("ftp: the FTP library's %s.%s is of type %s, not %s (Gatehouse was written against goftp.io/server/v2 %s); this library version is not supported",
				p.owner, p.name, f.Type, p.typ, goftpVersion)
		case len(f.Index) != 1:
			return fmt.Errorf("ftp: the FTP library's %s.%s is promoted from an embedded struct (Gatehouse was written against goftp.io/server/v2 %s); this library version is not supported",
				p.owner, p.name, goftpVersion)
		}
	}
	return nil
}

// privateValue is the named field of the struct structPtr points to,
// settable despite being unexported. Only fields listed in privateFields
// can be reached, so that every field touched is one New checked.
func privateValue(structPtr any, field string) (reflect.Value, error) {
	v := reflect.ValueOf(structPtr)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, fmt.Errorf("ftp: a private field needs a pointer to a struct, not %T", structPtr)
	}
	i := slices.IndexFunc(privateFields, func(p privateField) bool { return p.owner == v.Elem().Type() && p.name == field })
	if i < 0 {
		return reflect.Value{}, fmt.Errorf("ftp: %T.%s is not listed in privateFields, so New does not check it", structPtr, field)
	}
	f := v.Elem().FieldByName(field)
	if !f.IsValid() || f.Type() != privateFields[i].typ {
		return reflect.Value{}, checkPrivateFields(privateFields[i : i+1])
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem(), nil
}

// setPrivate writes value (nil for the zero value) into such a field.
func setPrivate(structPtr any, field string, value any) error {
	f, err := privateValue(structPtr, field)
	if err != nil {
		return err
	}
	val := reflect.ValueOf(value)
	if !val.IsValid() {
		val = reflect.Zero(f.Type())
	}
	if !val.Type().AssignableTo(f.Type()) {
		return fmt.Errorf("ftp: a %s cannot go in the FTP library's %T.%s, of type %s", val.Type(), structPtr, field, f.Type())
	}
	f.Set(val)
	return nil
}

// sessionTLS reports whether a session's control connection is protected
// by TLS. It has no "don't know": an error (the field is gone) must refuse
// the data connection, never open it in clear.
func sessionTLS(sess *goftp.Session) (bool, error) {
	f, err := privateValue(sess, "tls")
	if err != nil {
		return false, err
	}
	return f.Bool(), nil
}

// sessionConn reads a session's control connection, for the local
// address the client reached.
func sessionConn(sess *goftp.Session) (net.Conn, bool) {
	f, err := privateValue(sess, "conn")
	if err != nil {
		return nil, false
	}
	c, ok := f.Interface().(net.Conn)
	return c, ok && c != nil
}

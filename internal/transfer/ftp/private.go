package ftp

import (
	"fmt"
	"net"
	"reflect"
	"unsafe"
)

// The FTP library keeps private three things Gatehouse must set:
//
//   - the TLS configuration AUTH TLS uses, which only ListenAndServe sets,
//     and ListenAndServe opens its own listener, so the control
//     connections could not be bounded (see guard.go);
//   - a session's data connection, which only the library's own PASV sets,
//     and its passive socket listens on every interface and hands the data
//     to whoever connects first (see passive.go).
//   - the FEAT reply, which the library writes once from its own command
//     table and so advertised the active mode Gatehouse refuses (see
//     featText in filecmds.go).
//
// setPrivate writes such a field through reflection. The names are checked
// when the server is built, and the FTPS and passive-mode tests exercise
// both, so a library update that renames a field fails loudly, not
// silently.
func setPrivate(structPtr any, field string, value any) error {
	v := reflect.ValueOf(structPtr)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("ftp: setPrivate needs a pointer to a struct, not %T", structPtr)
	}
	f := v.Elem().FieldByName(field)
	if !f.IsValid() {
		return fmt.Errorf("ftp: the FTP library's %T has no field %q any more; this library version is not supported", structPtr, field)
	}
	val := reflect.ValueOf(value)
	if !val.IsValid() {
		val = reflect.Zero(f.Type())
	}
	if !val.Type().AssignableTo(f.Type()) {
		return fmt.Errorf("ftp: the FTP library's %T.%s is a %s, not a %s; this library version is not supported", structPtr, field, f.Type(), val.Type())
	}
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(val)
	return nil
}

// privateBool reads a private bool field, false when there is none.
func privateBool(structPtr any, field string) bool {
	f := reflect.ValueOf(structPtr).Elem().FieldByName(field)
	return f.IsValid() && f.Kind() == reflect.Bool && f.Bool()
}

// sessionConn reads a session's control connection (private too), for
// the local address the client reached.
func sessionConn(structPtr any) (net.Conn, bool) {
	f := reflect.ValueOf(structPtr).Elem().FieldByName("conn")
	if !f.IsValid() {
		return nil, false
	}
	c, ok := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(net.Conn)
	return c, ok && c != nil
}

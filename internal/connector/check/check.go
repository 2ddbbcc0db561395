// Package check is the refusal every connector returns: which check failed
// (a Kind of the connector's own), what was expected and what was found,
// and the library or network error underneath. The Kind's string is
// stable: front ends record it in events, where an administrator reads it
// to learn what to fix.
package check

import (
	"errors"
	"fmt"
)

// Kind is a connector's type of check names; Connector prefixes messages.
type Kind interface {
	~string
	Connector() string
}

// Error is a refused check. Compare with errors.Is against an *Error of
// the same Kind (it matches on Kind alone), or read Kind with KindOf.
type Error[K Kind] struct {
	Kind   K
	Detail string // what was expected and what was found; never a secret
	Err    error  // the underlying library or network error, if any
}

func (e *Error[K]) Error() string {
	msg := e.Kind.Connector() + ": " + string(e.Kind)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error[K]) Unwrap() error { return e.Err }

// Is reports whether target is an *Error of the same Kind, so that
// errors.Is(err, sentinel) works whatever the detail says.
func (e *Error[K]) Is(target error) bool {
	t, ok := target.(*Error[K])
	return ok && t.Kind == e.Kind
}

// Fail builds an *Error with a formatted detail.
func Fail[K Kind](kind K, format string, args ...any) *Error[K] {
	return &Error[K]{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Wrap builds an *Error around a library or network error.
func Wrap[K Kind](kind K, err error, format string, args ...any) *Error[K] {
	return &Error[K]{Kind: kind, Detail: fmt.Sprintf(format, args...), Err: err}
}

// KindOf returns the Kind of err, or "" when err holds no *Error of K.
func KindOf[K Kind](err error) K {
	var e *Error[K]
	if errors.As(err, &e) {
		return e.Kind
	}
	var zero K
	return zero
}

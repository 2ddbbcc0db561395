package check

import (
	"errors"
	"fmt"
	"testing"
)

type kind string

func (kind) Connector() string { return "test" }

type otherKind string

func (otherKind) Connector() string { return "other" }

func TestError(t *testing.T) {
	base := errors.New("library said no")
	err := fmt.Errorf("context: %w", Wrap(kind("expired"), base, "at %d", 3))
	if got := err.Error(); got != "context: test: expired: at 3: library said no" {
		t.Errorf("message %q", got)
	}
	if !errors.Is(err, &Error[kind]{Kind: "expired"}) || errors.Is(err, &Error[kind]{Kind: "issuer"}) {
		t.Error("errors.Is must match on Kind alone")
	}
	if !errors.Is(err, base) {
		t.Error("the library error must stay reachable")
	}
	if KindOf[kind](err) != "expired" || KindOf[otherKind](err) != "" || KindOf[kind](base) != "" {
		t.Error("KindOf reads only its own connector's errors")
	}
	if got := Fail(kind("config"), "").Error(); got != "test: config" {
		t.Errorf("message without detail %q", got)
	}
}

package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Error is a SCIM error response (RFC 7644 §3.12).
type Error struct {
	Status   int
	ScimType string // for 400 and 409; "" otherwise
	Detail   string
}

func (e *Error) Error() string { return fmt.Sprintf("scim %d %s: %s", e.Status, e.ScimType, e.Detail) }

// scimType values (RFC 7644 Table 9).
const (
	typeInvalidFilter = "invalidFilter"
	typeTooMany       = "tooMany"
	typeUniqueness    = "uniqueness"
	typeMutability    = "mutability"
	typeInvalidSyntax = "invalidSyntax"
	typeInvalidPath   = "invalidPath"
	typeNoTarget      = "noTarget"
	typeInvalidValue  = "invalidValue"
)

func badRequest(scimType, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

func errNotFound(detail string) *Error { return &Error{Status: http.StatusNotFound, Detail: detail} }

func errInternal() *Error {
	return &Error{Status: http.StatusInternalServerError,
		Detail: "the server failed to answer; the request may be retried, and the server log says why"}
}

// engineError turns a provisioning or store error into a SCIM error.
func engineError(err error) *Error {
	var se *Error
	var refused *provision.RefusedError
	switch {
	case errors.As(err, &se):
		return se
	case errors.As(err, &refused) && refused.Conflict:
		return &Error{Status: http.StatusConflict, ScimType: typeUniqueness, Detail: refused.Reason}
	case errors.As(err, &refused):
		return badRequest(typeInvalidValue, "refused by the provider's provisioning settings: %s", refused.Reason)
	case errors.Is(err, provision.ErrUnknown), notFound(err):
		return errNotFound("the resource does not exist (or was deleted meanwhile)")
	case errors.Is(err, store.ErrConflict), errors.Is(err, provision.ErrConflict):
		return &Error{Status: http.StatusConflict, ScimType: typeUniqueness, Detail: err.Error()}
	case errors.Is(err, provision.ErrRules):
		return &Error{Status: http.StatusInternalServerError,
			Detail: "the provider's provisioning rules are malformed; a site admin must correct them"}
	case errors.Is(err, store.ErrInvalidFilter):
		return badRequest(typeInvalidFilter, "%v", err)
	}
	return errInternal()
}

// writeError answers with a SCIM error.
func writeError(w http.ResponseWriter, e *Error) {
	body := map[string]any{
		"schemas": []string{URNError},
		"status":  strconv.Itoa(e.Status),
		"detail":  e.Detail,
	}
	if e.ScimType != "" {
		body["scimType"] = e.ScimType
	}
	writeJSON(w, e.Status, body)
}

// writeJSON answers with a SCIM JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, status = []byte(`{"schemas":["`+URNError+`"],"status":"500","detail":"the response could not be encoded"}`), 500
	}
	w.Header().Set("Content-Type", "application/scim+json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// notFound reports whether err says the record asked for does not exist,
// in the words of the store (under the provisioning engine) or of the
// identity core (through which SCIM reads).
func notFound(err error) bool {
	return errors.Is(err, store.ErrNotFound) || errors.Is(err, identity.ErrUserNotFound) || errors.Is(err, identity.ErrGroupNotFound)
}

package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
)

// readJSONBody decodes a request body that must be a JSON object into each
// of dsts (an empty body decodes as {}). It answers Files.com's error types:
// invalid-body for what is not JSON, request-params-invalid for a field of
// the wrong type.
func readJSONBody(r *http.Request, dsts ...any) error {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return identity.ErrBodyTooLarge
		}
		return identity.ErrInvalidBody.With("the request body could not be read")
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if raw[0] != '{' {
		return identity.ErrInvalidBody.With("the request body must be a JSON object")
	}
	for _, dst := range dsts {
		if err := decodeStrict(raw, dst); err != nil {
			return err
		}
	}
	return nil
}

func decodeStrict(raw []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return identity.ErrInvalidBody.With("the request body has data after its JSON object")
	}
	return nil
}

// jsonError translates encoding/json's errors into typed ones that say
// which field was wrong without echoing its value.
func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var idErr *identity.Error
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "the body"
		}
		return identity.ErrInvalidParams.With("%s must be %s", field, jsonKind(typeErr.Type.String()))
	case errors.As(err, &idErr):
		return idErr
	default:
		return identity.ErrInvalidBody.With("the request body is not valid JSON")
	}
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(goType string) string {
	t := strings.TrimLeft(goType, "*")
	switch {
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "bool" || t == "web.flexBool":
		return "a boolean"
	case t == "string":
		return "a string"
	case t == "time.Time":
		return "an RFC 3339 time"
	case strings.HasPrefix(t, "[]") || t == "identity.IDList":
		return "a list"
	default:
		return "a JSON " + t
	}
}

// flexBool is a boolean a client may send as true/false or as "true"/"1"
// (Files.com's API accepts both, and query strings only have strings).
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v bool
	if err := json.Unmarshal(data, &v); err == nil {
		*b = flexBool(v)
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return &json.UnmarshalTypeError{Value: "value", Type: boolType}
	}
	v, ok := parseBool(s)
	if !ok {
		return identity.ErrInvalidParams.With("expected a boolean, not %q", truncate(s, 20))
	}
	*b = flexBool(v)
	return nil
}

var boolType = reflect.TypeOf(false)

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true, true
	case "false", "0", "no", "off", "":
		return false, true
	}
	return false, false
}

// forceParam reads the lock-out guard override from the query or the body.
type forceParam struct {
	Force *flexBool `json:"force"`
}

func (f forceParam) value(r *http.Request) (bool, error) {
	if q := r.URL.Query().Get("force"); q != "" {
		v, ok := parseBool(q)
		if !ok {
			return false, errInvalidQuery.With("force must be true or false")
		}
		return v, nil
	}
	return f.Force != nil && bool(*f.Force), nil
}

// pathID parses the {id} of a route; anything but a positive integer is a
// record that does not exist.
func pathID(r *http.Request, notFound *identity.Error) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound
	}
	return id, nil
}

// queryID parses an optional id query parameter (0 when absent).
func queryID(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, errInvalidQuery.With("%s must be a record id", name)
	}
	return id, nil
}

// parseTime accepts RFC 3339 times and plain dates, as filters send them.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

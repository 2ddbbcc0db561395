package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/gatehouse/gatehouse/internal/store"
)

// maxFilterLen bounds a filter's text.
const maxFilterLen = 4096

// fieldMap maps a SCIM attribute path (lower case; "emails" stands for
// emails.value) to a store filter field.
type fieldMap map[string]string

var userFilterFields = fieldMap{
	"id":                "id",
	"username":          "username",
	"externalid":        "external_id",
	"emails":            "email",
	"emails.value":      "email",
	"displayname":       "display_name",
	"active":            "active",
	"meta.lastmodified": "updated_at",
	"meta.created":      "created_at",
	"manager":           "manager",
	"manager.value":     "manager",
}

var groupFilterFields = fieldMap{
	"id":                "id",
	"displayname":       "name",
	"externalid":        "external_id",
	"meta.lastmodified": "updated_at",
	"meta.created":      "created_at",
}

// parseFilter reads a SCIM filter (RFC 7644 §3.4.2.2) into a store filter
// on the given fields. It accepts two shapes the RFC grammar lacks but
// clients send: attr[filter].sub op value (Entra's
// emails[type eq "work"].value eq "…") and unquoted values
// (externalId eq jyoung).
func parseFilter(text string, fields fieldMap) (*store.Filter, *Error) {
	if strings.ContainsRune(text, 0) {
		return nil, badRequest(typeInvalidFilter, "the filter holds a NUL character")
	}
	if len(text) > maxFilterLen {
		return nil, badRequest(typeInvalidFilter, "the filter is longer than %d characters", maxFilterLen)
	}
	text = valuePathSub.ReplaceAllString(text, "$1[$2 and $3 $4]")
	expr, err := readFilter(text)
	if err != nil {
		if quoted := bareValue.ReplaceAllStringFunc(text, quoteBare); quoted != text {
			expr, err = readFilter(quoted)
		}
	}
	var bad badValue
	if errors.As(err, &bad) {
		return nil, badRequest(typeInvalidFilter, "%s", bad)
	}
	if err != nil {
		return nil, badRequest(typeInvalidFilter, "the filter %q cannot be read (RFC 7644 §3.4.2.2)", clip(text, 200))
	}
	f, e := translate(expr, fields, "")
	if e != nil {
		return nil, e
	}
	return f, nil
}

// readFilter parses filter text with the library, and decodes the strings
// it compares with (see decodeStrings).
func readFilter(text string) (filter.Expression, error) {
	expr, err := filter.ParseFilterNumber(upperHexEscapes(text))
	if err != nil {
		return nil, err
	}
	return expr, decodeStrings(expr)
}

// readPath parses a PATCH path with the library, and decodes the strings
// its [filter] compares with.
func readPath(text string) (filter.Path, error) {
	p, err := filter.ParsePathNumber(upperHexEscapes(text))
	if err != nil {
		return p, err
	}
	if p.ValueExpression != nil {
		err = decodeStrings(p.ValueExpression)
	}
	return p, err
}

// upperHexEscapes writes the hex digits of every \uXXXX escape in upper
// case: JSON allows either case, the filter library's grammar only upper
// case, and Go's own encoder (quoteBare) writes lower case.
func upperHexEscapes(text string) []byte {
	b := []byte(text)
	for i := 0; i < len(b)-1; i++ {
		if b[i] != '\\' {
			continue
		}
		i++ // the escaped character; an escaped backslash is skipped whole
		if b[i] != 'u' || i+4 >= len(b) {
			continue
		}
		for j := i + 1; j <= i+4; j++ {
			if 'a' <= b[j] && b[j] <= 'f' {
				b[j] -= 'a' - 'A'
			}
		}
	}
	return b
}

// decodeStrings turns every string expr compares with from the text
// between its quotes, which is what the filter library keeps, into the
// string it stands for. RFC 7644 §3.4.2.2 writes such a value as a JSON
// string, so "O\"Brien" compares with O"Brien and "a\\b" with a\b; a
// value that is no JSON string ("\q") is refused.
func decodeStrings(expr filter.Expression) error {
	switch x := expr.(type) {
	case *filter.LogicalExpression:
		if err := decodeStrings(x.Left); err != nil {
			return err
		}
		return decodeStrings(x.Right)
	case *filter.NotExpression:
		return decodeStrings(x.Expression)
	case *filter.ValuePath:
		return decodeStrings(x.ValueFilter)
	case *filter.AttributeExpression:
		raw, ok := x.CompareValue.(string)
		if !ok {
			return nil
		}
		var s string
		if err := json.Unmarshal([]byte(`"`+raw+`"`), &s); err != nil {
			return badValue(fmt.Sprintf("the value \"%s\" is not a JSON string (RFC 7644 §3.4.2.2): escape only \" \\ / b f n r t and uXXXX", clip(raw, 100)))
		}
		if strings.ContainsRune(s, 0) {
			return badValue("a value holds a NUL character")
		}
		x.CompareValue = s
	}
	return nil
}

// badValue is a compared value that is refused, with the reason.
type badValue string

func (b badValue) Error() string { return string(b) }

// valuePathSub matches attr[filter].sub op value.
var valuePathSub = regexp.MustCompile(`(?i)([A-Za-z][\w:.$-]*)\[([^\]]*)\]\.([A-Za-z$][\w$]*)\s+((?:eq|ne|co|sw|ew|gt|ge|lt|le)\s+(?:"(?:[^"\\]|\\.)*"|[^\s()\[\]]+)|pr)`)

// bareValue matches an operator followed by an unquoted value.
var bareValue = regexp.MustCompile(`(?i)(\s(?:eq|ne|co|sw|ew|gt|ge|lt|le)\s+)([^\s"()\[\]]+)`)

func quoteBare(m string) string {
	sub := bareValue.FindStringSubmatch(m)
	v := sub[2]
	switch strings.ToLower(v) {
	case "true", "false", "null":
		return m
	}
	if _, err := json.Number(v).Float64(); err == nil {
		return m
	}
	b, _ := json.Marshal(v)
	return sub[1] + string(b)
}

// translate turns a parsed filter into a store filter; within is the
// multi-valued attribute a value path is inside ("emails").
func translate(expr filter.Expression, fields fieldMap, within string) (*store.Filter, *Error) {
	switch x := expr.(type) {
	case *filter.LogicalExpression:
		l, err := translate(x.Left, fields, within)
		if err != nil {
			return nil, err
		}
		r, err := translate(x.Right, fields, within)
		if err != nil {
			return nil, err
		}
		op := store.OpAnd
		if x.Operator == filter.OR {
			op = store.OpOr
		}
		return &store.Filter{Op: op, Args: []store.Filter{*l, *r}}, nil
	case *filter.NotExpression:
		inner, err := translate(x.Expression, fields, within)
		if err != nil {
			return nil, err
		}
		return &store.Filter{Op: store.OpNot, Args: []store.Filter{*inner}}, nil
	case *filter.ValuePath:
		if within != "" {
			return nil, badRequest(typeInvalidFilter, "value paths cannot nest")
		}
		return translate(x.ValueFilter, fields, strings.ToLower(x.AttributePath.AttributeName))
	case *filter.AttributeExpression:
		return translateLeaf(x, fields, within)
	}
	return nil, badRequest(typeInvalidFilter, "unsupported filter expression")
}

// translateLeaf turns one comparison into a store filter leaf. Inside
// emails[…], conditions on type and primary are true: Gatehouse indexes
// the account's one address, whatever its type.
func translateLeaf(x *filter.AttributeExpression, fields fieldMap, within string) (*store.Filter, *Error) {
	uri := x.AttributePath.URI()
	name := strings.ToLower(x.AttributePath.AttributeName)
	if sub := x.AttributePath.SubAttributeName(); sub != "" {
		name += "." + strings.ToLower(sub)
	}
	if within != "" {
		if within == "emails" && (name == "type" || name == "primary" || name == "display") {
			return &store.Filter{Op: store.OpPresent, Field: "id"}, nil
		}
		name = within + "." + name
	}
	if uri != "" && !strings.EqualFold(uri, URNUser) && !strings.EqualFold(uri, URNGroup) &&
		!(strings.EqualFold(uri, URNEnterpriseUser) && strings.HasPrefix(name, "manager")) {
		return nil, badRequest(typeInvalidFilter, "%s cannot be filtered on", clip(x.AttributePath.String(), 100))
	}
	field, ok := fields[name]
	if !ok {
		return nil, badRequest(typeInvalidFilter, "%s cannot be filtered on; filter on one of userName, externalId, id, emails.value, displayName, active, meta.lastModified (users) or displayName, externalId, id (groups)", clip(x.AttributePath.String(), 100))
	}
	f := &store.Filter{Op: store.FilterOp(x.Operator), Field: field}
	if x.Operator == filter.PR {
		return f, nil
	}
	switch field {
	case "active":
		b, ok := parseBool(x.CompareValue)
		if !ok {
			return nil, badRequest(typeInvalidFilter, "active compares with true or false")
		}
		f.Value = b
	case "updated_at", "created_at":
		s, _ := x.CompareValue.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, badRequest(typeInvalidFilter, "%s compares with a date and time such as \"2025-01-31T12:00:00Z\"", x.AttributePath.String())
		}
		f.Value = t
	default:
		switch v := x.CompareValue.(type) {
		case string:
			f.Value = v
		case json.Number:
			f.Value = v.String()
		default:
			return nil, badRequest(typeInvalidFilter, "%s compares with a string", x.AttributePath.String())
		}
	}
	return f, nil
}

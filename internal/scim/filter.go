package scim

import (
	"encoding/json"
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
	expr, err := filter.ParseFilterNumber([]byte(text))
	if err != nil {
		if quoted := bareValue.ReplaceAllStringFunc(text, quoteBare); quoted != text {
			expr, err = filter.ParseFilterNumber([]byte(quoted))
		}
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

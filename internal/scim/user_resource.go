package scim

import (
	"encoding/json"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// A user resource travels as a "doc": a JSON object with canonical
// attribute names (userName, name.givenName …), the enterprise extension
// under its URN, and no schemas, id or meta. Requests are normalised into
// a doc, PATCH operates on the doc of the stored user, and a doc becomes
// the identity the provisioning engine applies.

var (
	lowerUserURN       = strings.ToLower(URNUser)
	lowerEnterpriseURN = strings.ToLower(URNEnterpriseUser)
)

// normalizeUser turns a User resource as a client sent it into a doc:
// names in canonical case, nulls dropped, booleans parsed, extension
// attributes sent as full URN paths folded into their extension, unknown
// attributes refused.
func normalizeUser(raw map[string]any) (map[string]any, *Error) {
	doc := map[string]any{}
	ent := map[string]any{}
	for k, v := range raw {
		if v == nil {
			continue
		}
		lk := strings.ToLower(k)
		var err *Error
		switch {
		case lk == "schemas" || lk == "meta" || lk == "id":
			continue
		case lk == lowerEnterpriseURN:
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, badRequest(typeInvalidValue, "%s must be an object", URNEnterpriseUser)
			}
			for sk, sv := range obj {
				if err = setEnterprise(ent, sk, sv); err != nil {
					break
				}
			}
		case strings.HasPrefix(lk, lowerEnterpriseURN+":"):
			err = setEnterprise(ent, k[len(URNEnterpriseUser)+1:], v)
		case lk == lowerUserURN:
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, badRequest(typeInvalidValue, "%s must be an object", URNUser)
			}
			for sk, sv := range obj {
				if err = setCore(doc, sk, sv); err != nil {
					break
				}
			}
		case strings.HasPrefix(lk, lowerUserURN+":"):
			err = setCore(doc, k[len(URNUser)+1:], v)
		case strings.HasPrefix(lk, "urn:"):
			doc[k] = v // a custom extension, kept as sent
		default:
			top, _, _ := strings.Cut(lk, ".")
			if _, core := userAttrs[top]; !core && enterpriseAttrs[top].name != "" {
				err = setEnterprise(ent, k, v) // an enterprise attribute sent without its URN
				break
			}
			err = setCore(doc, k, v)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(ent) > 0 {
		doc[URNEnterpriseUser] = ent
	}
	return doc, nil
}

// setCore sets one core attribute (name may be attr.sub) in doc.
func setCore(doc map[string]any, name string, v any) *Error {
	if v == nil {
		return nil
	}
	top, sub, dotted := strings.Cut(name, ".")
	a, ok := userAttrs[strings.ToLower(top)]
	if !ok {
		return badRequest(typeInvalidSyntax, "%q is not an attribute of the User schema", clip(name, 100))
	}
	if dotted {
		if a.multi || a.subs == nil {
			return badRequest(typeInvalidSyntax, "%q has no sub-attribute %q", a.name, clip(sub, 100))
		}
		obj, _ := doc[a.name].(map[string]any)
		if obj == nil {
			obj = map[string]any{}
		}
		obj[a.canonicalSub(sub)] = v
		doc[a.name] = obj
		return nil
	}
	nv, err := normalizeValue(a, v)
	if err != nil {
		return err
	}
	if nv != nil {
		doc[a.name] = nv
	} else {
		delete(doc, a.name)
	}
	return nil
}

// setEnterprise sets one enterprise extension attribute in ent.
func setEnterprise(ent map[string]any, name string, v any) *Error {
	if v == nil {
		return nil
	}
	top, sub, dotted := strings.Cut(name, ".")
	a, ok := enterpriseAttrs[strings.ToLower(top)]
	if !ok {
		return badRequest(typeInvalidSyntax, "%q is not an attribute of the enterprise User extension", clip(name, 100))
	}
	if a.name == "manager" {
		m := managerValue(v)
		if dotted {
			old, _ := ent["manager"].(map[string]any)
			m = map[string]any{}
			maps.Copy(m, old)
			m[a.canonicalSub(sub)] = v
		}
		if m == nil {
			return badRequest(typeInvalidValue, "manager must be an id or an object with a value")
		}
		ent["manager"] = m
		return nil
	}
	if dotted {
		return badRequest(typeInvalidSyntax, "%q has no sub-attribute %q", a.name, clip(sub, 100))
	}
	nv, err := normalizeValue(a, v)
	if err != nil {
		return err
	}
	ent[a.name] = nv
	return nil
}

// managerValue accepts a manager as an id, an object, or (Entra's PATCH
// Add) a one-element list of {"$ref": …, "value": …}.
func managerValue(v any) map[string]any {
	switch v := v.(type) {
	case string:
		return map[string]any{"value": v}
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if x != nil {
				out[enterpriseAttrs["manager"].canonicalSub(k)] = x
			}
		}
		return out
	case []any:
		if len(v) == 1 {
			return managerValue(v[0])
		}
	}
	return nil
}

// normalizeValue checks and canonicalises one attribute value; nil means
// "no value".
func normalizeValue(a attr, v any) (any, *Error) {
	switch {
	case a.isBool:
		if list, ok := v.([]any); ok && len(list) == 1 { // old {"value": …} list shape
			if m, ok := list[0].(map[string]any); ok {
				v = m["value"]
			}
		}
		b, ok := parseBool(v)
		if !ok {
			return nil, badRequest(typeInvalidValue, "%s must be true or false", a.name)
		}
		return b, nil
	case a.multi:
		list, ok := v.([]any)
		if !ok {
			list = []any{v}
		}
		out := make([]any, 0, len(list))
		for _, e := range list {
			switch e := e.(type) {
			case nil:
			case map[string]any:
				out = append(out, canonicalObject(a, e))
			default:
				out = append(out, map[string]any{"value": e})
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	case a.subs != nil:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, badRequest(typeInvalidValue, "%s must be an object", a.name)
		}
		return canonicalObject(a, obj), nil
	}
	if list, ok := v.([]any); ok && len(list) == 1 { // [{"$ref": null, "value": x}]
		if m, ok := list[0].(map[string]any); ok {
			v = m["value"]
		}
	}
	switch v.(type) {
	case string, json.Number, bool:
		return v, nil
	case nil:
		return nil, nil
	}
	return nil, badRequest(typeInvalidValue, "%s must be a single value", a.name)
}

// canonicalObject copies a complex value with sub-attribute names in
// canonical case, nulls dropped and "primary" parsed as a boolean.
func canonicalObject(a attr, obj map[string]any) map[string]any {
	out := make(map[string]any, len(obj))
	for k, x := range obj {
		if x == nil {
			continue
		}
		name := a.canonicalSub(k)
		if name == "primary" {
			if b, ok := parseBool(x); ok {
				x = b
			}
		}
		out[name] = x
	}
	return out
}

// userDoc is the doc of a stored user.
func userDoc(u store.User) map[string]any {
	doc := map[string]any{}
	if u.SCIM.Attributes != "" {
		dec := json.NewDecoder(strings.NewReader(u.SCIM.Attributes))
		dec.UseNumber()
		if dec.Decode(&doc) != nil || doc == nil { // written by profileOf; a damaged value shows as absent
			doc = map[string]any{}
		}
	}
	doc["userName"] = u.Username
	doc["active"] = !u.Disabled
	if u.SCIM.ExternalID != "" {
		doc["externalId"] = u.SCIM.ExternalID
	}
	if u.SCIM.DisplayName != "" {
		doc["displayName"] = u.SCIM.DisplayName
	}
	if _, ok := doc["name"]; !ok && u.Name != "" {
		doc["name"] = map[string]any{"formatted": u.Name}
	}
	if _, ok := doc["emails"]; !ok && u.Email != "" {
		doc["emails"] = []any{map[string]any{"value": u.Email, "type": "work", "primary": true}}
	}
	ent, _ := doc[URNEnterpriseUser].(map[string]any)
	if ent == nil {
		ent = map[string]any{}
	}
	for k, v := range map[string]string{"employeeNumber": u.SCIM.EmployeeNumber, "department": u.SCIM.Department} {
		if v != "" {
			ent[k] = v
		}
	}
	if u.SCIM.Manager != "" {
		ent["manager"] = map[string]any{"value": u.SCIM.Manager}
	}
	if len(ent) > 0 {
		doc[URNEnterpriseUser] = ent
	} else {
		delete(doc, URNEnterpriseUser)
	}
	return doc
}

// renderUser is the User resource of a stored user.
func (h *Handler) renderUser(r *request, u store.User) map[string]any {
	doc := userDoc(u)
	schemas := []string{URNUser}
	if _, ok := doc[URNEnterpriseUser]; ok {
		schemas = append(schemas, URNEnterpriseUser)
	}
	id := strconv.FormatInt(u.ID, 10)
	doc["schemas"] = schemas
	doc["id"] = id
	doc["meta"] = map[string]any{
		"resourceType": "User",
		"created":      timestamp(u.CreatedAt),
		"lastModified": timestamp(u.UpdatedAt),
		"location":     h.location(r, "Users", id),
		"version":      version(u.UpdatedAt),
	}
	return doc
}

// timestamp is SCIM's dateTime, as Entra's examples show it.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// version is a resource's ETag: weak, from its last change (microseconds).
func version(t time.Time) string { return `W/"` + strconv.FormatInt(t.UnixMicro(), 36) + `"` }

// identityOf is the identity a doc describes, for the provisioning engine.
// The caller sets ExternalID (the provisioning key) and Active.
func identityOf(doc map[string]any) (provision.ExternalIdentity, *Error) {
	userName, ok := doc["userName"].(string)
	if !ok || strings.TrimSpace(userName) == "" {
		return provision.ExternalIdentity{}, badRequest(typeInvalidValue, "userName is required and must be a string")
	}
	if ext, ok := doc["externalId"]; ok {
		if _, isStr := ext.(string); !isStr {
			return provision.ExternalIdentity{}, badRequest(typeInvalidValue, "externalId must be a string")
		}
	}
	x := provision.ExternalIdentity{Username: userName, GroupsIncomplete: true}
	if name, ok := doc["name"].(map[string]any); ok {
		x.GivenName, _ = name["givenName"].(string)
		x.FamilyName, _ = name["familyName"].(string)
		if x.FullName() != "" {
			name["formatted"] = x.FullName()
		}
	}
	x.Email = emailOf(doc, userName)
	ent, _ := doc[URNEnterpriseUser].(map[string]any)
	x.Company, _ = ent["organization"].(string)
	p := profileOf(doc)
	x.SCIM = &p
	return x, nil
}

// emailOf picks the account's e-mail: the work address, else the
// userName when it is an address, else the primary (or first) address.
func emailOf(doc map[string]any, userName string) string {
	emails, _ := doc["emails"].([]any)
	var primary, first string
	for _, e := range emails {
		m, _ := e.(map[string]any)
		v, _ := m["value"].(string)
		if v == "" {
			continue
		}
		if t, _ := m["type"].(string); strings.EqualFold(t, "work") {
			return v
		}
		if p, _ := m["primary"].(bool); p && primary == "" {
			primary = v
		}
		if first == "" {
			first = v
		}
	}
	switch {
	case strings.Contains(userName, "@"):
		return userName
	case primary != "":
		return primary
	}
	return first
}

// profileOf is the SCIM profile stored for a doc: the filterable
// attributes in their columns, the rest as JSON. A password is never kept:
// provisioned accounts sign in through the provider.
func profileOf(doc map[string]any) store.SCIMProfile {
	rest := maps.Clone(doc)
	var p store.SCIMProfile
	p.ExternalID, _ = rest["externalId"].(string)
	p.DisplayName, _ = rest["displayName"].(string)
	for _, k := range []string{"userName", "externalId", "active", "displayName", "password"} {
		delete(rest, k)
	}
	if ent, ok := rest[URNEnterpriseUser].(map[string]any); ok {
		ent = maps.Clone(ent)
		p.EmployeeNumber = scalarString(ent["employeeNumber"])
		p.Department = scalarString(ent["department"])
		if m, ok := ent["manager"].(map[string]any); ok {
			p.Manager = scalarString(m["value"])
		}
		delete(ent, "employeeNumber")
		delete(ent, "department")
		delete(ent, "manager")
		if len(ent) == 0 {
			delete(rest, URNEnterpriseUser)
		} else {
			rest[URNEnterpriseUser] = ent
		}
	}
	if len(rest) > 0 {
		b, err := json.Marshal(rest)
		if err == nil {
			p.Attributes = string(b)
		}
	}
	return p
}

// scalarString is a string or number value as text.
func scalarString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

package scim

import (
	"fmt"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// maxOperations bounds the operations of one PATCH.
const maxOperations = 1000

// patchOp is one PATCH operation, op in lower case.
type patchOp struct {
	op       string
	path     string
	value    any
	hasValue bool
}

// parsePatch reads a PatchOp body (RFC 7644 §3.5.2). op is accepted in
// any case (Entra sends "Replace", "Add", "Remove").
func parsePatch(body []byte) ([]patchOp, *Error) {
	doc, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	if err := checkSchemas(doc, URNPatchOp); err != nil {
		return nil, err
	}
	_, v, _ := lookup(doc, "Operations")
	list, ok := v.([]any)
	switch {
	case !ok || len(list) == 0:
		return nil, badRequest(typeInvalidSyntax, "the PATCH body needs a non-empty \"Operations\" list")
	case len(list) > maxOperations:
		return nil, badRequest(typeTooMany, "a PATCH may carry at most %d operations", maxOperations)
	}
	ops := make([]patchOp, 0, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, badRequest(typeInvalidSyntax, "operation %d is not an object", i+1)
		}
		op := patchOp{op: strings.ToLower(str(m, "op"))}
		if op.op != "add" && op.op != "replace" && op.op != "remove" {
			return nil, badRequest(typeInvalidSyntax, "operation %d: op must be add, replace or remove", i+1)
		}
		if _, p, ok := lookup(m, "path"); ok && p != nil {
			s, isStr := p.(string)
			if !isStr {
				return nil, badRequest(typeInvalidPath, "operation %d: path must be a string", i+1)
			}
			op.path = strings.TrimSpace(s)
		}
		_, op.value, op.hasValue = lookup(m, "value")
		if op.value == nil {
			op.hasValue = false
		}
		if op.op != "remove" && !op.hasValue {
			return nil, badRequest(typeInvalidValue, "operation %d: %s needs a value", i+1, op.op)
		}
		if op.op == "remove" && op.path == "" {
			return nil, badRequest(typeNoTarget, "operation %d: remove needs a path", i+1)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// applyUserPatch applies the operations to a user doc in order.
func applyUserPatch(doc map[string]any, ops []patchOp) *Error {
	for _, op := range ops {
		if op.path != "" {
			if err := applyUserPath(doc, op.op, op.path, op.value, op.hasValue); err != nil {
				return err
			}
			continue
		}
		// Path-less add or replace: the value's keys are attribute paths
		// (Entra sends "name.givenName" and full extension URNs here).
		obj, ok := op.value.(map[string]any)
		if !ok {
			return badRequest(typeInvalidValue, "%s without a path needs an object value", op.op)
		}
		for k, v := range obj {
			if ext, isObj := v.(map[string]any); isObj && (strings.EqualFold(k, URNEnterpriseUser) || strings.EqualFold(k, URNUser)) {
				for sk, sv := range ext {
					if err := applyUserPath(doc, op.op, k+":"+sk, sv, sv != nil); err != nil {
						return err
					}
				}
				continue
			}
			if err := applyUserPath(doc, op.op, k, v, v != nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// target is where a path points: the object holding the attribute and
// the attribute's description (known is false inside custom extensions).
type target struct {
	holder map[string]any
	a      attr
	known  bool
}

// resolveUserPath finds the object and attribute a parsed path names,
// creating the extension object when missing.
func resolveUserPath(doc map[string]any, p filter.Path) (target, *Error) {
	uri := p.AttributePath.URI()
	name := p.AttributePath.AttributeName
	switch {
	case uri == "" || strings.EqualFold(uri, URNUser):
		a, ok := userAttrs[strings.ToLower(name)]
		if ok {
			return target{holder: doc, a: a, known: true}, nil
		}
		// Entra's older requests name enterprise attributes (manager)
		// without their URN.
		if a, ok := enterpriseAttrs[strings.ToLower(name)]; ok && uri == "" {
			return target{holder: extension(doc, URNEnterpriseUser), a: a, known: true}, nil
		}
		return target{}, badRequest(typeInvalidPath, "%q is not an attribute of the User schema", clip(name, 100))
	case strings.EqualFold(uri, URNEnterpriseUser):
		a, ok := enterpriseAttrs[strings.ToLower(name)]
		if !ok {
			return target{}, badRequest(typeInvalidPath, "%q is not an attribute of the enterprise User extension", clip(name, 100))
		}
		return target{holder: extension(doc, URNEnterpriseUser), a: a, known: true}, nil
	}
	return target{holder: extension(doc, uri), a: attr{name: name}}, nil
}

// extension returns the doc's object for an extension URN, creating it.
func extension(doc map[string]any, urn string) map[string]any {
	k, v, ok := lookup(doc, urn)
	if m, isObj := v.(map[string]any); ok && isObj {
		return m
	}
	if !ok {
		k = urn
	}
	m := map[string]any{}
	doc[k] = m
	return m
}

// applyUserPath applies one operation at one path.
func applyUserPath(doc map[string]any, op, path string, value any, hasValue bool) *Error {
	p, perr := readPath(path)
	if perr != nil {
		return badRequest(typeInvalidPath, "the path %q cannot be read: use attr, attr.sub, attr[filter].sub or an extension URN path", clip(path, 200))
	}
	t, err := resolveUserPath(doc, p)
	if err != nil {
		return err
	}
	sub := p.AttributePath.SubAttributeName()
	switch {
	case p.ValueExpression != nil:
		if t.known && !t.a.multi {
			return badRequest(typeInvalidPath, "%q is not multi-valued; a [filter] does not apply", t.a.name)
		}
		return applyValuePath(t, op, p.ValueExpression, p.SubAttributeName(), value)
	case sub != "":
		if t.known && (t.a.multi || t.a.subs == nil) {
			return badRequest(typeInvalidPath, "%q has no sub-attribute %q", t.a.name, clip(sub, 100))
		}
		obj, _ := t.holder[t.a.name].(map[string]any)
		if obj == nil {
			obj = map[string]any{}
		}
		if op == "remove" {
			delete(obj, t.a.canonicalSub(sub))
		} else {
			obj[t.a.canonicalSub(sub)] = value
		}
		t.holder[t.a.name] = obj
		return nil
	}
	return applyWhole(t, op, value, hasValue)
}

// applyWhole applies an operation to a whole attribute.
func applyWhole(t target, op string, value any, hasValue bool) *Error {
	name := t.a.name
	if op == "remove" {
		list, isList := t.holder[name].([]any)
		if vals, ok := value.([]any); ok && hasValue && isList {
			t.holder[name] = withoutValues(list, vals)
			return nil
		}
		delete(t.holder, name)
		return nil
	}
	if t.a.multi {
		nv, err := normalizeValue(t.a, value)
		if err != nil {
			return err
		}
		if op == "add" {
			old, _ := t.holder[name].([]any)
			add, _ := nv.([]any)
			nv = append(old, add...)
		}
		t.holder[name] = nv
		return nil
	}
	if t.a.subs != nil && name != "manager" {
		if obj, ok := value.(map[string]any); ok { // merge the sub-attributes sent
			cur, _ := t.holder[name].(map[string]any)
			if cur == nil {
				cur = map[string]any{}
			}
			for k, v := range canonicalObject(t.a, obj) {
				cur[k] = v
			}
			t.holder[name] = cur
			return nil
		}
	}
	t.holder[name] = value // checked when the doc is normalised again
	return nil
}

// withoutValues is list without the elements whose value one of vals has.
func withoutValues(list, vals []any) []any {
	drop := map[string]bool{}
	for _, v := range vals {
		if m, ok := v.(map[string]any); ok {
			drop[fmt.Sprint(m["value"])] = true
		} else {
			drop[fmt.Sprint(v)] = true
		}
	}
	out := list[:0:0]
	for _, e := range list {
		if m, ok := e.(map[string]any); ok && drop[fmt.Sprint(m["value"])] {
			continue
		}
		out = append(out, e)
	}
	return out
}

// applyValuePath applies an operation to the elements of a multi-valued
// attribute that match a filter, such as emails[type eq "work"].value.
// add and replace create the element when none matches.
func applyValuePath(t target, op string, expr filter.Expression, sub string, value any) *Error {
	list, _ := t.holder[t.a.name].([]any)
	matched := 0
	out := make([]any, 0, len(list)+1)
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok || !matches(m, expr) {
			out = append(out, e)
			continue
		}
		matched++
		switch {
		case op == "remove" && sub == "":
			continue
		case op == "remove":
			delete(m, t.a.canonicalSub(sub))
		case sub != "":
			m[t.a.canonicalSub(sub)] = value
		default:
			obj, ok := value.(map[string]any)
			if !ok {
				return badRequest(typeInvalidValue, "%s of %s[…] needs an object value", op, t.a.name)
			}
			for k, v := range canonicalObject(t.a, obj) {
				m[k] = v
			}
		}
		out = append(out, m)
	}
	if matched == 0 && op != "remove" {
		e := map[string]any{}
		equalities(expr, e, t.a)
		if sub != "" {
			e[t.a.canonicalSub(sub)] = value
		} else if obj, ok := value.(map[string]any); ok {
			for k, v := range canonicalObject(t.a, obj) {
				e[k] = v
			}
		} else {
			return badRequest(typeInvalidValue, "%s of %s[…] needs an object value", op, t.a.name)
		}
		out = append(out, e)
	}
	t.holder[t.a.name] = out
	return nil
}

// equalities copies the attr eq value terms of an and-filter into e, so
// that a new element matches the filter that created it.
func equalities(expr filter.Expression, e map[string]any, a attr) {
	switch x := expr.(type) {
	case *filter.AttributeExpression:
		if x.Operator == filter.EQ {
			e[a.canonicalSub(x.AttributePath.AttributeName)] = x.CompareValue
		}
	case *filter.LogicalExpression:
		if x.Operator == filter.AND {
			equalities(x.Left, e, a)
			equalities(x.Right, e, a)
		}
	}
}

// matches evaluates a value filter on one element of a multi-valued
// attribute. Strings compare without regard to case.
func matches(e map[string]any, expr filter.Expression) bool {
	switch x := expr.(type) {
	case *filter.LogicalExpression:
		if x.Operator == filter.AND {
			return matches(e, x.Left) && matches(e, x.Right)
		}
		return matches(e, x.Left) || matches(e, x.Right)
	case *filter.NotExpression:
		return !matches(e, x.Expression)
	case *filter.AttributeExpression:
		_, v, ok := lookup(e, x.AttributePath.AttributeName)
		if x.Operator == filter.PR {
			return ok && v != nil && v != ""
		}
		if !ok {
			return x.Operator == filter.NE
		}
		return compare(v, x.Operator, x.CompareValue)
	}
	return false
}

// compare applies one operator to an element's value.
func compare(have any, op filter.CompareOperator, want any) bool {
	if hb, ok := parseBool(have); ok {
		if wb, ok := parseBool(want); ok {
			switch op {
			case filter.EQ:
				return hb == wb
			case filter.NE:
				return hb != wb
			}
			return false
		}
	}
	h, w := strings.ToLower(fmt.Sprint(have)), strings.ToLower(fmt.Sprint(want))
	switch op {
	case filter.EQ:
		return h == w
	case filter.NE:
		return h != w
	case filter.CO:
		return strings.Contains(h, w)
	case filter.SW:
		return strings.HasPrefix(h, w)
	case filter.EW:
		return strings.HasSuffix(h, w)
	case filter.GT:
		return h > w
	case filter.GE:
		return h >= w
	case filter.LT:
		return h < w
	case filter.LE:
		return h <= w
	}
	return false
}

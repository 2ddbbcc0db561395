package scim

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/gatehouse/gatehouse/internal/store"
)

// memberChange is one change to a group the engine applies: a rename, or
// members added, removed or set.
type memberChange struct {
	rename  string
	add     []string
	remove  []string
	set     []string
	isSet   bool
	isClear bool
}

// readGroupPatch turns PATCH operations on a group into changes. Member
// removal comes as members[value eq "id"] (RFC 7644) or as path
// "members" with a value list (Entra without aadOptscim062020), which
// removes only the listed members; only remove of "members" with neither
// filter nor value removes all (RFC 7644 §3.5.2.2).
func readGroupPatch(g store.Group, ops []patchOp) ([]memberChange, *Error) {
	var out []memberChange
	for _, op := range ops {
		if op.path == "" {
			obj, ok := op.value.(map[string]any)
			if !ok {
				return nil, badRequest(typeInvalidValue, "%s without a path needs an object value", op.op)
			}
			for k, v := range obj {
				c, e := groupChange(g, op.op, k, nil, v, v != nil)
				if e != nil {
					return nil, e
				}
				if c != nil {
					out = append(out, *c)
				}
			}
			continue
		}
		p, err := readPath(op.path)
		if err != nil {
			return nil, badRequest(typeInvalidPath, "the path %q cannot be read", clip(op.path, 200))
		}
		name := p.AttributePath.AttributeName
		if uri := p.AttributePath.URI(); uri != "" && !strings.EqualFold(uri, URNGroup) {
			return nil, badRequest(typeInvalidPath, "%q is not an attribute of the Group schema", clip(op.path, 200))
		}
		if p.AttributePath.SubAttributeName() != "" || p.SubAttributeName() != "" {
			return nil, badRequest(typeInvalidPath, "%q: sub-attributes of a group cannot be changed", clip(op.path, 200))
		}
		c, e := groupChange(g, op.op, name, p.ValueExpression, op.value, op.hasValue)
		if e != nil {
			return nil, e
		}
		if c != nil {
			out = append(out, *c)
		}
	}
	return out, nil
}

// groupChange reads one operation on one group attribute.
func groupChange(g store.Group, op, name string, vf filter.Expression, value any, hasValue bool) (*memberChange, *Error) {
	switch strings.ToLower(name) {
	case "displayname":
		s, ok := value.(string)
		if op == "remove" || !ok || strings.TrimSpace(s) == "" || vf != nil {
			return nil, badRequest(typeInvalidValue, "displayName is required: replace it with a non-empty string")
		}
		return &memberChange{rename: s}, nil
	case "externalid":
		if s, ok := value.(string); ok && op != "remove" && s == g.ExternalID {
			return nil, nil
		}
		return nil, badRequest(typeMutability, "externalId of a group cannot change")
	case "id", "schemas", "meta":
		return nil, nil // read-only; clients echo them back
	case "members":
	default:
		return nil, badRequest(typeInvalidPath, "%q is not an attribute of the Group schema", clip(name, 100))
	}
	if vf != nil {
		ids, ok := filterValues(vf)
		if op != "remove" || !ok {
			return nil, badRequest(typeInvalidPath, "members[…] supports remove with value eq \"id\" (joined by or)")
		}
		return &memberChange{remove: ids}, nil
	}
	var ids []string
	if hasValue {
		var e *Error
		if ids, e = memberValues(value); e != nil {
			return nil, e
		}
	}
	switch {
	case op == "add":
		return &memberChange{add: ids}, nil
	case op == "replace":
		return &memberChange{set: ids, isSet: true}, nil
	case hasValue:
		return &memberChange{remove: ids}, nil
	}
	return &memberChange{isClear: true}, nil
}

// filterValues collects the ids of value eq "id" terms joined by or.
func filterValues(e filter.Expression) ([]string, bool) {
	switch x := e.(type) {
	case *filter.AttributeExpression:
		if !strings.EqualFold(x.AttributePath.AttributeName, "value") || x.Operator != filter.EQ {
			return nil, false
		}
		switch v := x.CompareValue.(type) {
		case string:
			return []string{v}, true
		case json.Number:
			return []string{v.String()}, true
		}
	case *filter.LogicalExpression:
		if x.Operator != filter.OR {
			return nil, false
		}
		l, ok1 := filterValues(x.Left)
		r, ok2 := filterValues(x.Right)
		return append(l, r...), ok1 && ok2
	}
	return nil, false
}

// patchGroup applies a PATCH to a group: 204, or 200 with the resource
// when the request asks for attributes.
func (h *Handler) patchGroup(w http.ResponseWriter, r *request, id string) {
	ctx := r.Context()
	g, err := h.loadGroup(ctx, r, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ops, e := parsePatch(r.body)
	if e == nil {
		e = checkIfMatch(r, version(g.UpdatedAt))
	}
	var changes []memberChange
	if e == nil {
		changes, e = readGroupPatch(g, ops)
	}
	if e != nil {
		writeError(w, e)
		return
	}
	err = h.membersTx(ctx, r, func(ctx context.Context) error {
		for _, c := range changes {
			if err := h.applyGroupChange(ctx, r, &g, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if param(r.URL.Query(), "attributes") == "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if g, err = h.id.GetGroup(ctx, r.p.SiteID, g.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.answerGroup(w, r, http.StatusOK, g)
}

// applyGroupChange hands one change to the engine.
func (h *Handler) applyGroupChange(ctx context.Context, r *request, g *store.Group, c memberChange) error {
	if c.rename != "" {
		return h.renameGroup(ctx, r, g, c.rename)
	}
	if c.isClear {
		_, err := h.engine.SetGroupMembers(ctx, r.p.SiteID, r.p.ID, g.ExternalID, nil)
		return err
	}
	ids := c.add
	switch {
	case c.isSet:
		ids = c.set
	case len(c.remove) > 0:
		ids = c.remove
	}
	keys, err := h.memberKeys(ctx, r, ids)
	if err != nil {
		return err
	}
	switch {
	case c.isSet:
		_, err = h.engine.SetGroupMembers(ctx, r.p.SiteID, r.p.ID, g.ExternalID, keys)
	case len(keys) == 0:
	case len(c.remove) > 0:
		_, err = h.engine.RemoveGroupMembers(ctx, r.p.SiteID, r.p.ID, g.ExternalID, keys)
	default:
		_, err = h.engine.AddGroupMembers(ctx, r.p.SiteID, r.p.ID, g.ExternalID, keys)
	}
	return err
}

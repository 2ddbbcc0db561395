package scim

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// groupDoc is a Group resource as a client sent it, checked.
type groupDoc struct {
	displayName string
	externalID  string
	members     []string // SCIM ids
	hasMembers  bool
}

// readGroup parses a POST or PUT /Groups body. Extra schema URIs (Entra's
// ADSCIM Group schema) are allowed; unknown attributes are not.
func readGroup(body []byte) (groupDoc, *Error) {
	raw, e := decodeObject(body)
	if e == nil {
		e = checkSchemas(raw, URNGroup)
	}
	if e != nil {
		return groupDoc{}, e
	}
	var g groupDoc
	for k, v := range raw {
		name := strings.ToLower(strings.TrimPrefix(strings.ToLower(k), strings.ToLower(URNGroup)+":"))
		if v == nil {
			continue
		}
		switch name {
		case "schemas", "meta", "id":
		case "displayname":
			s, ok := v.(string)
			if !ok {
				return g, badRequest(typeInvalidValue, "displayName must be a string")
			}
			g.displayName = s
		case "externalid":
			s, ok := v.(string)
			if !ok {
				return g, badRequest(typeInvalidValue, "externalId must be a string")
			}
			g.externalID = s
		case "members":
			ids, e := memberValues(v)
			if e != nil {
				return g, e
			}
			g.members, g.hasMembers = ids, true
		default:
			return g, badRequest(typeInvalidSyntax, "%q is not an attribute of the Group schema", clip(k, 100))
		}
	}
	if strings.TrimSpace(g.displayName) == "" {
		return g, badRequest(typeInvalidValue, "displayName is required")
	}
	return g, nil
}

// memberValues reads a members list: objects with a value (and perhaps
// "$ref": null, display, type), or bare ids.
func memberValues(v any) ([]string, *Error) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			_, e, _ = lookup(m, "value")
		}
		switch id := e.(type) {
		case string:
			out = append(out, id)
		case json.Number:
			out = append(out, id.String())
		default:
			return nil, badRequest(typeInvalidValue, "each member needs a value: the SCIM id of a user")
		}
	}
	return out, nil
}

// loadGroup returns the provider's group with the SCIM id.
func (h *Handler) loadGroup(ctx context.Context, r *request, id string) (store.Group, error) {
	n, ok := parseID(id)
	if !ok {
		return store.Group{}, errNotFound("Group " + clip(id, 100) + " not found")
	}
	g, err := h.id.GetGroup(ctx, r.p.SiteID, n)
	if notFound(err) || err == nil && (g.SSOStrategyID != r.p.ID || g.SCIMDeleted) {
		return store.Group{}, errNotFound("Group " + clip(id, 100) + " not found")
	}
	return g, err
}

// renderGroup is the Group resource of a stored group; members are read
// only when wanted.
func (h *Handler) renderGroup(ctx context.Context, r *request, g store.Group, withMembers bool) (map[string]any, error) {
	id := strconv.FormatInt(g.ID, 10)
	doc := map[string]any{
		"schemas":     []string{URNGroup},
		"id":          id,
		"displayName": g.Name,
		"meta": map[string]any{
			"resourceType": "Group",
			"created":      timestamp(g.CreatedAt),
			"lastModified": timestamp(g.UpdatedAt),
			"location":     h.location(r, "Groups", id),
			"version":      version(g.UpdatedAt),
		},
	}
	if !strings.HasPrefix(g.ExternalID, generatedKeyPrefix) && g.ExternalID != "" {
		doc["externalId"] = g.ExternalID
	}
	if !withMembers {
		return doc, nil
	}
	members := []any{}
	for after := int64(0); ; {
		page, err := h.id.ListGroupUsers(ctx, r.p.SiteID, store.GroupUserQuery{GroupID: g.ID,
			ListOptions: store.ListOptions{AfterID: after, Limit: 1000}})
		if err != nil {
			return nil, err
		}
		for _, gu := range page {
			uid := strconv.FormatInt(gu.UserID, 10)
			members = append(members, map[string]any{"value": uid, "display": gu.Username,
				"$ref": h.location(r, "Users", uid), "type": "User"})
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	doc["members"] = members
	return doc, nil
}

func (h *Handler) getGroup(w http.ResponseWriter, r *request, id string) {
	g, err := h.loadGroup(r.Context(), r, id)
	if err == nil {
		h.answerGroup(w, r, http.StatusOK, g)
		return
	}
	h.fail(w, r, err)
}

// answerGroup writes a group resource as the request's projection asks.
func (h *Handler) answerGroup(w http.ResponseWriter, r *request, status int, g store.Group) {
	doc, err := h.renderGroup(r.Context(), r, g, readProjection(r.URL.Query()).wants("members"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeResource(w, r, status, doc)
}

func (h *Handler) listGroups(w http.ResponseWriter, r *request) {
	answerList(h, w, r, groupFilterFields, listSource[store.Group]{
		list: func(ctx context.Context, f *store.Filter, page store.ListOptions) ([]store.Group, error) {
			return h.id.ListGroups(ctx, r.p.SiteID, store.GroupQuery{SSOStrategyID: r.p.ID, Filter: f, ListOptions: page, SCIMVisible: true})
		},
		count: func(ctx context.Context, f *store.Filter, page store.ListOptions) (int, error) {
			return h.id.CountGroups(ctx, r.p.SiteID, store.GroupQuery{SSOStrategyID: r.p.ID, Filter: f, ListOptions: page, SCIMVisible: true})
		},
		render: func(ctx context.Context, g store.Group, proj projection) (map[string]any, error) {
			return h.renderGroup(ctx, r, g, proj.wants("members"))
		},
	})
}

func (h *Handler) createGroup(w http.ResponseWriter, r *request) {
	gd, e := readGroup(r.body)
	if e != nil {
		writeError(w, e)
		return
	}
	ctx := r.Context()
	key := gd.externalID
	switch {
	case key == "":
		key = newKey()
	case strings.HasPrefix(key, generatedKeyPrefix):
		writeError(w, badRequest(typeInvalidValue, "externalId may not start with %q", generatedKeyPrefix))
		return
	}
	if e := h.checkNewGroup(ctx, r, gd.displayName, key); e != nil {
		writeError(w, e)
		return
	}
	var g store.Group
	err := h.membersTx(ctx, r, func(ctx context.Context) error {
		var err error
		if g, err = h.engine.UpsertGroup(ctx, r.p.SiteID, r.p.ID, provision.GroupRef{ExternalID: key, Name: gd.displayName}); err != nil {
			return err
		}
		if len(gd.members) == 0 {
			return nil
		}
		keys, err := h.memberKeys(ctx, r, gd.members)
		if err == nil && len(keys) > 0 {
			_, err = h.engine.AddGroupMembers(ctx, r.p.SiteID, r.p.ID, key, keys)
		}
		return err
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.answerGroup(w, r, http.StatusCreated, g)
}

// checkNewGroup refuses a create whose displayName or externalId is taken.
func (h *Handler) checkNewGroup(ctx context.Context, r *request, name, key string) *Error {
	byName, err := h.id.ListGroups(ctx, r.p.SiteID, store.GroupQuery{Name: name, ListOptions: store.ListOptions{Limit: 1}})
	if err != nil {
		return errInternal()
	}
	// The provider's own group, deleted over SCIM and sent again with its
	// externalId, is restored by the engine (a re-assignment).
	restored := func(g store.Group) bool { return g.SSOStrategyID == r.p.ID && g.SCIMDeleted && g.ExternalID == key }
	if len(byName) > 0 && !restored(byName[0]) {
		return &Error{Status: http.StatusConflict, ScimType: typeUniqueness,
			Detail: "a group named " + strconvQuote(name) + " exists; find it with filter=displayName eq \"…\""}
	}
	byKey, err := h.id.ListGroups(ctx, r.p.SiteID, store.GroupQuery{SSOStrategyID: r.p.ID, ExternalID: key,
		ListOptions: store.ListOptions{Limit: 1}})
	if err != nil {
		return errInternal()
	}
	if len(byKey) > 0 && !restored(byKey[0]) {
		return &Error{Status: http.StatusConflict, ScimType: typeUniqueness,
			Detail: "externalId " + strconvQuote(key) + " belongs to group " + strconv.FormatInt(byKey[0].ID, 10)}
	}
	return nil
}

func (h *Handler) replaceGroup(w http.ResponseWriter, r *request, id string) {
	ctx := r.Context()
	g, err := h.loadGroup(ctx, r, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	gd, e := readGroup(r.body)
	if e == nil {
		e = checkIfMatch(r, version(g.UpdatedAt))
	}
	if e == nil && gd.externalID != "" && gd.externalID != g.ExternalID {
		e = badRequest(typeMutability, "externalId cannot change (it is %q)", g.ExternalID)
	}
	if e != nil {
		writeError(w, e)
		return
	}
	err = h.membersTx(ctx, r, func(ctx context.Context) error {
		if err := h.renameGroup(ctx, r, &g, gd.displayName); err != nil {
			return err
		}
		if !gd.hasMembers {
			return nil
		}
		keys, err := h.memberKeys(ctx, r, gd.members)
		if err == nil {
			_, err = h.engine.SetGroupMembers(ctx, r.p.SiteID, r.p.ID, g.ExternalID, keys)
		}
		return err
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.answerGroup(w, r, http.StatusOK, g)
}

func (h *Handler) deleteGroup(w http.ResponseWriter, r *request, id string) {
	g, err := h.loadGroup(r.Context(), r, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if e := checkIfMatch(r, version(g.UpdatedAt)); e != nil {
		writeError(w, e)
		return
	}
	if err := h.engine.DeleteGroup(r.Context(), r.p.SiteID, r.p.ID, g.ExternalID); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// renameGroup renames the group through the engine when name differs.
func (h *Handler) renameGroup(ctx context.Context, r *request, g *store.Group, name string) error {
	if name == g.Name {
		return nil
	}
	ng, err := h.engine.UpsertGroup(ctx, r.p.SiteID, r.p.ID, provision.GroupRef{ExternalID: g.ExternalID, Name: name})
	if err == nil {
		*g = ng
	}
	return err
}

// membersTx runs the engine calls of one group request in one engine
// transaction: they apply together or not at all, and one after the
// other with every other change to the site's memberships (Entra runs
// several workers), on every node.
func (h *Handler) membersTx(ctx context.Context, r *request, fn func(ctx context.Context) error) error {
	return h.engine.MembershipTx(ctx, r.p.SiteID, fn)
}

// memberChunk is how many users one lookup of member ids reads.
const memberChunk = 100

// memberKeys turns SCIM user ids into the provisioning keys the engine
// matches on, reading users in chunks. Ids of no user of this provider
// are skipped: Entra sends users before their groups, and a later request
// brings the rest.
func (h *Handler) memberKeys(ctx context.Context, r *request, ids []string) ([]string, error) {
	keys := make([]string, 0, len(ids))
	for start := 0; start < len(ids); start += memberChunk {
		chunk := ids[start:min(start+memberChunk, len(ids))]
		or := &store.Filter{Op: store.OpOr}
		for _, id := range chunk {
			or.Args = append(or.Args, store.Filter{Op: store.OpEq, Field: "id", Value: id})
		}
		if len(or.Args) == 1 {
			or = &or.Args[0]
		}
		users, err := h.id.ListUsers(ctx, r.p.SiteID, store.UserQuery{SSOStrategyID: r.p.ID, Filter: or, SCIMVisible: true,
			ListOptions: store.ListOptions{Limit: len(chunk)}})
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if u.ExternalID != "" {
				keys = append(keys, u.ExternalID)
			}
		}
	}
	return keys, nil
}

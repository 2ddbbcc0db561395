package scim

import (
	"net/http"
	"sort"
	"strings"
)

// serviceProviderConfig says what this server supports (RFC 7643 §5).
func (h *Handler) serviceProviderConfig(w http.ResponseWriter, r *request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": maxCount},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": false},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []any{
			map[string]any{"type": "oauthbearertoken", "name": "Bearer token", "primary": true,
				"description": "The provider's SCIM token, sent as Authorization: Bearer <token>"},
			map[string]any{"type": "httpbasic", "name": "HTTP Basic",
				"description": "The provider's generated SCIM username and password"},
		},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig",
			"location": h.baseURL + r.prefix + "/ServiceProviderConfig"},
	})
}

// resourceTypes lists User and Group (RFC 7643 §6).
func (h *Handler) resourceTypes(w http.ResponseWriter, r *request, id string) {
	types := map[string]map[string]any{
		"user": {"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
			"id": "User", "name": "User", "endpoint": "/Users", "description": "User Account", "schema": URNUser,
			"schemaExtensions": []any{map[string]any{"schema": URNEnterpriseUser, "required": false}},
			"meta":             map[string]any{"resourceType": "ResourceType", "location": h.location(r, "ResourceTypes", "User")}},
		"group": {"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
			"id": "Group", "name": "Group", "endpoint": "/Groups", "description": "Group", "schema": URNGroup,
			"meta": map[string]any{"resourceType": "ResourceType", "location": h.location(r, "ResourceTypes", "Group")}},
	}
	if id != "" {
		t, ok := types[strings.ToLower(id)]
		if !ok {
			writeError(w, errNotFound("no resource type "+clip(id, 100)))
			return
		}
		writeJSON(w, http.StatusOK, t)
		return
	}
	writeList(w, 2, 1, []any{types["user"], types["group"]})
}

// schemas lists the User, Group and enterprise User schemas (RFC 7643 §7).
func (h *Handler) schemas(w http.ResponseWriter, r *request, id string) {
	all := []map[string]any{
		h.schema(r, URNUser, "User", "User Account", userAttrs),
		h.schema(r, URNGroup, "Group", "Group", groupAttrs),
		h.schema(r, URNEnterpriseUser, "EnterpriseUser", "Enterprise User", enterpriseAttrs),
	}
	if id != "" {
		for _, s := range all {
			if strings.EqualFold(s["id"].(string), id) {
				writeJSON(w, http.StatusOK, s)
				return
			}
		}
		writeError(w, errNotFound("no schema "+clip(id, 200)))
		return
	}
	res := make([]any, len(all))
	for i, s := range all {
		res[i] = s
	}
	writeList(w, len(res), 1, res)
}

// schema describes one schema from its attribute table.
func (h *Handler) schema(r *request, urn, name, description string, table map[string]attr) map[string]any {
	keys := make([]string, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := []any{}
	for _, k := range keys {
		a := table[k]
		if a.name == "password" {
			continue // accepted and ignored: provisioned accounts sign in through the provider
		}
		attrs = append(attrs, describeAttr(a))
	}
	return map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Schema"},
		"id":          urn,
		"name":        name,
		"description": description,
		"attributes":  attrs,
		"meta":        map[string]any{"resourceType": "Schema", "location": h.location(r, "Schemas", urn)},
	}
}

func describeAttr(a attr) map[string]any {
	d := map[string]any{
		"name": a.name, "type": "string", "multiValued": a.multi, "required": a.name == "userName" || a.name == "displayName",
		"caseExact": a.name == "externalId" || a.name == "id", "mutability": "readWrite", "returned": "default",
		"uniqueness": "none",
	}
	switch {
	case a.name == "userName":
		d["uniqueness"] = "server"
	case a.isBool:
		d["type"] = "boolean"
	case a.subs != nil:
		d["type"] = "complex"
		subs := []any{}
		for _, s := range a.subs {
			sd := map[string]any{"name": s, "type": "string", "multiValued": false, "required": false,
				"caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none"}
			switch s {
			case "primary":
				sd["type"] = "boolean"
			case "$ref":
				sd["type"] = "reference"
			}
			subs = append(subs, sd)
		}
		d["subAttributes"] = subs
	}
	return d
}

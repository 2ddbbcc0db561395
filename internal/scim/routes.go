package scim

import (
	"net/http"
	"strings"
)

// idUse says whether a route is for a collection (/Users), one resource
// of it (/Users/{id}), or either.
type idUse int

const (
	noID   idUse = iota // the collection only
	withID              // one resource only
	anyID               // either: the discovery endpoints list or look one up
)

// route is one entry of the routing table: the method, the resource
// type (the path's first segment, lower case, as clients vary its case),
// whether it takes an id, and what answers it. Keeping the routes in one
// table, as the REST front end does, makes the endpoints readable at a
// glance and keeps the dispatch a lookup rather than a chain of cases.
type route struct {
	method string
	kind   string
	id     idUse
	serve  func(h *Handler, w http.ResponseWriter, r *request, id string)
}

// collection adapts a handler of a whole collection to the table.
func collection(f func(*Handler, http.ResponseWriter, *request)) func(*Handler, http.ResponseWriter, *request, string) {
	return func(h *Handler, w http.ResponseWriter, r *request, _ string) { f(h, w, r) }
}

// routes is everything the SCIM handler serves under /api/scim and
// /api/scim/v2.
var routes = []route{
	{http.MethodGet, "users", noID, collection((*Handler).listUsers)},
	{http.MethodPost, "users", noID, collection((*Handler).createUser)},
	{http.MethodGet, "users", withID, (*Handler).getUser},
	{http.MethodPut, "users", withID, (*Handler).replaceUser},
	{http.MethodPatch, "users", withID, (*Handler).patchUser},
	{http.MethodDelete, "users", withID, (*Handler).deleteUser},

	{http.MethodGet, "groups", noID, collection((*Handler).listGroups)},
	{http.MethodPost, "groups", noID, collection((*Handler).createGroup)},
	{http.MethodGet, "groups", withID, (*Handler).getGroup},
	{http.MethodPut, "groups", withID, (*Handler).replaceGroup},
	{http.MethodPatch, "groups", withID, (*Handler).patchGroup},
	{http.MethodDelete, "groups", withID, (*Handler).deleteGroup},

	{http.MethodGet, "serviceproviderconfig", noID, collection((*Handler).serviceProviderConfig)},
	{http.MethodGet, "resourcetypes", anyID, (*Handler).resourceTypes},
	{http.MethodGet, "schemas", anyID, (*Handler).schemas},
}

// notImplemented are the endpoints of RFC 7644 Gatehouse does not offer,
// answered 501 rather than 404 so a client knows to look at
// /ServiceProviderConfig instead of at its own URL.
var notImplemented = map[string]bool{"bulk": true, "me": true}

// matches reports whether the route answers method on kind, with or
// without an id.
func (rt route) matches(method, kind, id string) bool {
	if rt.method != method || rt.kind != kind {
		return false
	}
	switch rt.id {
	case noID:
		return id == ""
	case withID:
		return id != ""
	}
	return true
}

// route dispatches by resource type and method: a known resource type
// asked with a method (or an id) it does not take is 405, one of the
// RFC's endpoints Gatehouse leaves out is 501, anything else is 404.
func (h *Handler) route(w http.ResponseWriter, r *request) {
	_, rest := splitPath(r.URL.Path)
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	kind := strings.ToLower(parts[0])
	id := ""
	if len(parts) == 2 {
		id = parts[1]
	} else if len(parts) > 2 {
		writeError(w, errNotFound("no SCIM endpoint at this path"))
		return
	}
	known := false
	for _, rt := range routes {
		if rt.matches(r.Method, kind, id) {
			rt.serve(h, w, r, id)
			return
		}
		known = known || rt.kind == kind
	}
	switch {
	case known:
		writeError(w, &Error{Status: http.StatusMethodNotAllowed, Detail: r.Method + " is not supported here"})
	case notImplemented[kind]:
		writeError(w, &Error{Status: http.StatusNotImplemented, Detail: "/" + parts[0] + " is not supported; see /ServiceProviderConfig"})
	default:
		writeError(w, errNotFound("no SCIM endpoint at this path"))
	}
}

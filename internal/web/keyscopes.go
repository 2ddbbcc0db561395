package web

import "github.com/gatehouse/gatehouse/internal/identity"

// apiScopes declares the scope of every REST route a signed-in person who
// is not a site admin may call, by "METHOD pattern": what an API key's
// permission set must allow (identity.KeyMayUse). Routes only site admins
// may call are identity.ScopeAdmin, whatever they do, and public routes
// take no key; a signed-in route missing here has no scope, which every
// key but a full one is refused, and the route table's test fails.
var apiScopes = map[string]identity.Scope{
	"DELETE " + apiPrefix + "/sessions": identity.ScopeSelf,
	"GET " + apiPrefix + "/me":          identity.ScopeSelf,
	"GET " + apiPrefix + "/api_key":     identity.ScopeSelf,
	"DELETE " + apiPrefix + "/api_key":  identity.ScopeSelf,

	"GET " + apiPrefix + "/api_keys":         identity.ScopeAccount,
	"POST " + apiPrefix + "/api_keys":        identity.ScopeAccount,
	"GET " + apiPrefix + "/api_keys/{id}":    identity.ScopeAccount,
	"PATCH " + apiPrefix + "/api_keys/{id}":  identity.ScopeAccount,
	"DELETE " + apiPrefix + "/api_keys/{id}": identity.ScopeAccount,
	"PATCH " + apiPrefix + "/api_key":        identity.ScopeAccount,

	"GET " + apiPrefix + "/public_keys":         identity.ScopeAccount,
	"POST " + apiPrefix + "/public_keys":        identity.ScopeAccount,
	"GET " + apiPrefix + "/public_keys/{id}":    identity.ScopeAccount,
	"PATCH " + apiPrefix + "/public_keys/{id}":  identity.ScopeAccount,
	"DELETE " + apiPrefix + "/public_keys/{id}": identity.ScopeAccount,

	"GET " + apiPrefix + "/files/{path...}":                      identity.ScopeFiles,
	"POST " + apiPrefix + "/files/{path...}":                     identity.ScopeFiles,
	"DELETE " + apiPrefix + "/files/{path...}":                   identity.ScopeFiles,
	"PATCH " + apiPrefix + "/files/{path...}":                    identity.ScopeFiles,
	"GET " + apiPrefix + "/file_actions/metadata/{path...}":      identity.ScopeFiles,
	"GET " + apiPrefix + "/file_contents/{path...}":              identity.ScopeFiles,
	"POST " + apiPrefix + "/file_actions/begin_upload/{path...}": identity.ScopeFiles,
	"POST " + apiPrefix + "/file_actions/copy/{path...}":         identity.ScopeFiles,
	"POST " + apiPrefix + "/file_actions/move/{path...}":         identity.ScopeFiles,
	"GET " + apiPrefix + "/folders":                              identity.ScopeFiles,
	"GET " + apiPrefix + "/folders/{path...}":                    identity.ScopeFiles,
	"POST " + apiPrefix + "/folders/{path...}":                   identity.ScopeFiles,
}

// withScopes sets each route's Scope: ScopeAdmin for site-admin routes,
// apiScopes for the other signed-in API routes.
func withScopes(rs []route) []route {
	for i, rt := range rs {
		switch {
		case rt.api == nil || rt.Access == accessPublic:
		case rt.Access == accessSiteAdmin:
			rs[i].Scope = identity.ScopeAdmin
		default:
			rs[i].Scope = apiScopes[rt.Method+" "+rt.Pattern]
		}
	}
	return rs
}

package web

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/identity"
)

// access says who may call a route.
type access int

const (
	accessPublic    access = iota // anyone, signed in or not
	accessSignedIn                // any signed-in user or API key
	accessSiteAdmin               // site admins and site-wide API keys
)

// apiPrefix is where the Files.com-compatible REST API lives.
const apiPrefix = "/api/rest/v1"

// route is one entry of the routing table. Exactly one of api, page and
// plain is set. Keeping every route in one table lets a test check the
// table against the OpenAPI document.
type route struct {
	Method  string
	Pattern string // a net/http pattern path, e.g. "/api/rest/v1/users/{id}"
	Access  access
	// Scope is what the route does as API keys' permission sets see it
	// (identity.KeyMayUse); set from apiScopes by withScopes.
	Scope identity.Scope
	// DuringPasswordChange lets a caller whose password must be changed use
	// the route; every other route sends them to change it first.
	DuringPasswordChange bool

	api   apiHandler
	page  pageHandler
	plain http.HandlerFunc
}

// AdminOnly reports whether only site admins may call the route.
func (rt route) AdminOnly() bool { return rt.Access == accessSiteAdmin }

func apiRoute(method, path string, a access, h apiHandler) route {
	return route{Method: method, Pattern: apiPrefix + path, Access: a, api: h}
}

// routes is the table of everything the front end serves.
func (s *server) routes() []route {
	pub, user, admin := accessPublic, accessSignedIn, accessSiteAdmin
	rs := []route{
		{Method: "GET", Pattern: "/login", Access: pub, page: s.loginPage},
		{Method: "POST", Pattern: "/login", Access: pub, page: s.loginSubmit},
		{Method: "GET", Pattern: "/{$}", Access: user, page: s.homePage},
		{Method: "GET", Pattern: "/password", Access: user, DuringPasswordChange: true, page: s.passwordPage},
		{Method: "POST", Pattern: "/password", Access: user, DuringPasswordChange: true, page: s.passwordSubmit},
		{Method: "POST", Pattern: "/logout", Access: user, DuringPasswordChange: true, page: s.logoutSubmit},
		{Method: "GET", Pattern: "/assets/gatehouse.css", Access: pub, plain: serveStylesheet},

		{Method: "GET", Pattern: "/saml/metadata", Access: pub, plain: s.samlMetadata},
		{Method: "GET", Pattern: "/saml/metadata/{identifier}", Access: pub, plain: s.samlMetadata},
		{Method: "GET", Pattern: "/saml/login", Access: pub, plain: s.samlLogin},
		{Method: "POST", Pattern: "/saml/consume", Access: pub, plain: s.samlConsume},
		{Method: "POST", Pattern: "/saml/consume/{identifier}", Access: pub, plain: s.samlConsume},
		{Method: "GET", Pattern: "/saml/handoff", Access: pub, plain: s.samlHandoff},
		{Method: "GET", Pattern: "/saml/logout", Access: pub, plain: s.samlLogout},
		{Method: "GET", Pattern: "/saml/logout/{identifier}", Access: pub, plain: s.samlLogout},
		{Method: "GET", Pattern: "/oauth/login", Access: pub, plain: s.oauthLogin},
		{Method: "GET", Pattern: "/login_from_oauth", Access: pub, plain: s.loginFromOAuth},

		{Method: "GET", Pattern: apiPrefix + "/openapi.yaml", Access: pub, plain: serveOpenAPI},
		apiRoute("POST", "/sessions", pub, s.createSession),
		withPasswordChange(apiRoute("DELETE", "/sessions", user, s.deleteSession)),
		apiRoute("GET", "/me", user, s.showMe),

		apiRoute("GET", "/users", admin, s.listUsers),
		apiRoute("POST", "/users", admin, s.createUser),
		apiRoute("GET", "/users/{id}", admin, s.showUser),
		apiRoute("PATCH", "/users/{id}", admin, s.updateUser),
		apiRoute("DELETE", "/users/{id}", admin, s.deleteUser),
		apiRoute("POST", "/users/{id}/unlock", admin, s.unlockUser),

		apiRoute("GET", "/groups", admin, s.listGroups),
		apiRoute("POST", "/groups", admin, s.createGroup),
		apiRoute("GET", "/groups/{id}", admin, s.showGroup),
		apiRoute("PATCH", "/groups/{id}", admin, s.updateGroup),
		apiRoute("DELETE", "/groups/{id}", admin, s.deleteGroup),

		apiRoute("GET", "/group_users", admin, s.listGroupUsers),
		apiRoute("POST", "/group_users", admin, s.createGroupUser),
		apiRoute("PATCH", "/group_users/{id}", admin, s.updateGroupUser),
		apiRoute("DELETE", "/group_users/{id}", admin, s.deleteGroupUser),

		apiRoute("GET", "/api_keys", user, s.listAPIKeys),
		apiRoute("POST", "/api_keys", user, s.createAPIKey),
		apiRoute("GET", "/api_keys/{id}", user, s.showAPIKey),
		apiRoute("PATCH", "/api_keys/{id}", user, s.updateAPIKey),
		apiRoute("DELETE", "/api_keys/{id}", user, s.deleteAPIKey),
		apiRoute("GET", "/api_key", user, s.showCurrentAPIKey),
		apiRoute("PATCH", "/api_key", user, s.updateCurrentAPIKey),
		apiRoute("DELETE", "/api_key", user, s.deleteCurrentAPIKey),

		apiRoute("GET", "/files/{path...}", user, s.showFile),
		apiRoute("POST", "/files/{path...}", user, s.createFile),
		apiRoute("PATCH", "/files/{path...}", user, s.updateFile),
		apiRoute("DELETE", "/files/{path...}", user, s.deleteFile),
		apiRoute("GET", "/file_contents/{path...}", user, s.downloadFile),
		apiRoute("GET", "/file_downloads/{path...}", pub, s.presignedDownload),
		apiRoute("GET", "/file_actions/metadata/{path...}", user, s.showFileMetadata),
		apiRoute("POST", "/file_actions/begin_upload/{path...}", user, s.beginUpload),
		apiRoute("PUT", "/file_uploads/{ref}", pub, s.receivePart),
		apiRoute("POST", "/file_actions/copy/{path...}", user, s.copyFileAction),
		apiRoute("POST", "/file_actions/move/{path...}", user, s.moveFileAction),
		apiRoute("GET", "/folders", user, s.listFolder),
		apiRoute("GET", "/folders/{path...}", user, s.listFolder),
		apiRoute("POST", "/folders/{path...}", user, s.createFolder),

		apiRoute("GET", "/public_keys", user, s.listPublicKeys),
		apiRoute("POST", "/public_keys", user, s.createPublicKey),
		apiRoute("GET", "/public_keys/{id}", user, s.showPublicKey),
		apiRoute("PATCH", "/public_keys/{id}", user, s.updatePublicKey),
		apiRoute("DELETE", "/public_keys/{id}", user, s.deletePublicKey),

		apiRoute("GET", "/sso_strategies", admin, s.listSSOStrategies),
		apiRoute("POST", "/sso_strategies", admin, s.createSSOStrategy),
		apiRoute("GET", "/sso_strategies/{id}", admin, s.showSSOStrategy),
		apiRoute("PATCH", "/sso_strategies/{id}", admin, s.updateSSOStrategy),
		apiRoute("DELETE", "/sso_strategies/{id}", admin, s.deleteSSOStrategy),
		apiRoute("POST", "/sso_strategies/{id}/sync", admin, s.syncSSOStrategy),
		apiRoute("POST", "/sso_strategies/{id}/test", admin, s.testSSOStrategy),
		apiRoute("POST", "/sso_strategies/{id}/scim_token", admin, s.generateSCIMToken),
		apiRoute("POST", "/sso_strategies/{id}/scim_basic", admin, s.generateSCIMBasic),
		apiRoute("GET", "/sso_strategies/{id}/preview", admin, s.previewSSOStrategy),
		apiRoute("POST", "/sso_strategies/{id}/migrate_users", admin, s.migrateUsers),

		apiRoute("GET", "/sso_events", admin, s.listSSOEvents),
		apiRoute("GET", "/sso_events/{id}", admin, s.showSSOEvent),
		apiRoute("GET", "/external_events", admin, s.listExternalEvents),
		apiRoute("POST", "/external_events", admin, s.createExternalEvent),
		apiRoute("GET", "/external_events/{id}", admin, s.showExternalEvent),
		apiRoute("GET", "/scim_logs", admin, s.listScimLogs),
		apiRoute("GET", "/scim_logs/{id}", admin, s.showScimLog),

		apiRoute("GET", "/site", admin, s.showSite),
		apiRoute("PATCH", "/site", admin, s.updateSite),
	}
	rs = append(rs, s.consoleRoutes()...)
	rs = append(rs, s.appRoutes()...)
	return withScopes(rs)
}

func withPasswordChange(rt route) route {
	rt.DuringPasswordChange = true
	return rt
}

// wrap turns a table entry into an http.Handler.
func (s *server) wrap(rt route) http.Handler {
	switch {
	case rt.api != nil:
		return s.apiEndpoint(rt)
	case rt.page != nil:
		return s.pageEndpoint(rt)
	default:
		return rt.plain
	}
}

// registerFallbacks answers paths and methods the table does not serve:
// JSON errors under the API prefix, an HTML page elsewhere. A pattern
// without a method is less specific than the table's method patterns, so
// it only catches the methods the table lacks.
func (s *server) registerFallbacks(mux *http.ServeMux) {
	methods := map[string][]string{}
	var order []string
	for _, rt := range s.routes() {
		if _, seen := methods[rt.Pattern]; !seen {
			order = append(order, rt.Pattern)
		}
		methods[rt.Pattern] = append(methods[rt.Pattern], rt.Method)
	}
	for _, p := range order {
		mux.Handle(p, s.methodNotAllowed(methods[p]))
	}
	mux.Handle(apiPrefix+"/", http.HandlerFunc(s.apiNotFound))
	mux.Handle("/", http.HandlerFunc(s.pageNotFound))
}

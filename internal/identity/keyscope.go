package identity

import (
	"fmt"
	"net/http"
)

// An API key's permission_set (Files.com's field and values) restricts what
// the key may do on top of what its owner may do. Gatehouse's reading of
// the values, since Files.com binds most of them to its own apps:
//
//   - full: everything the owner may do (a site-wide key: everything a site
//     admin may do), on every channel that takes API keys.
//   - files_only, sync_app, mobile_app, office_integration: file and folder
//     operations, and reading the owner's profile and the key itself (and
//     revoking it), on the REST API, FTP and WebDAV; no identity
//     administration, not even of the owner's own keys, and no reading of
//     users, groups, providers, logs or settings.
//   - desktop_app: as files_only, and it also signs in the desktop app.
//   - none: nothing, anywhere.
//
// A key cannot widen itself: changing a permission set is managing keys,
// which only a full key (or a person's session) may do. Every front end
// asks here: LoginWithAPIKey checks the channel, and the REST API checks
// each route's Scope with KeyMayUse.

// Scope is what a REST route does, as the permission sets see it.
type Scope string

// The scopes of the REST routes.
const (
	// ScopeFiles: file and folder operations.
	ScopeFiles Scope = "files"
	// ScopeSelf: reading the caller's own profile and the key in use,
	// revoking that key, ending the caller's session.
	ScopeSelf Scope = "self"
	// ScopeAccount: managing the caller's own credentials (API keys, SSH
	// keys): a way to outlast or widen the key in use.
	ScopeAccount Scope = "account"
	// ScopeAdmin: administering the site: users, groups, memberships, SSO
	// providers, logs and site settings, reading them included.
	ScopeAdmin Scope = "admin"
)

// The permission sets of API keys.
const (
	PermissionSetFull              = "full"
	PermissionSetFilesOnly         = "files_only"
	PermissionSetDesktopApp        = "desktop_app"
	PermissionSetSyncApp           = "sync_app"
	PermissionSetMobileApp         = "mobile_app"
	PermissionSetOfficeIntegration = "office_integration"
	PermissionSetNone              = "none"
)

// keyGrant is what one permission set allows.
type keyGrant struct {
	scopes   map[Scope]bool
	channels channelSet
	// refusal is the answer outside the grant; Files.com has a type for
	// most of these keys ("api-key-only-for-desktop-app").
	refusal *Error
}

var (
	everyScope = map[Scope]bool{ScopeFiles: true, ScopeSelf: true, ScopeAccount: true, ScopeAdmin: true}
	fileScopes = map[Scope]bool{ScopeFiles: true, ScopeSelf: true}
	// fileKeyChannels: the channels that take API keys, less the desktop
	// app, which signs in with full and desktop_app keys only.
	fileKeyChannels = channelSet{ChannelAPI: true, ChannelFTP: true, ChannelWebDAV: true}
)

func keyOnlyFor(typ, title, set string) *Error {
	return newError(http.StatusForbidden, "not-authorized/"+typ, title, fmt.Sprintf(
		"this API key's permission_set is %s, which allows file operations and reading your own profile and key only", set))
}

// ErrAPIKeyDisabled refuses a key whose permission_set is none.
var ErrAPIKeyDisabled = newError(http.StatusForbidden, "not-authorized/api-key-is-disabled", "Api Key Is Disabled",
	"this API key's permission_set is none, so it is refused everywhere; its owner or a site admin can change it "+
		`with PATCH /api/rest/v1/api_keys/{id} and {"permission_set": "files_only"} (or "full")`)

var permissionSets = map[string]keyGrant{
	PermissionSetFull: {scopes: everyScope, channels: apiKeyChannels},
	PermissionSetDesktopApp: {scopes: fileScopes, channels: apiKeyChannels,
		refusal: keyOnlyFor("api-key-only-for-desktop-app", "Api Key Only For Desktop App", PermissionSetDesktopApp)},
	PermissionSetFilesOnly: {scopes: fileScopes, channels: fileKeyChannels,
		refusal: keyOnlyFor("api-key-only-for-files", "Api Key Only For Files", PermissionSetFilesOnly)},
	PermissionSetSyncApp: {scopes: fileScopes, channels: fileKeyChannels,
		refusal: keyOnlyFor("api-key-only-for-sync-app", "Api Key Only For Sync App", PermissionSetSyncApp)},
	PermissionSetMobileApp: {scopes: fileScopes, channels: fileKeyChannels,
		refusal: keyOnlyFor("api-key-only-for-mobile-app", "Api Key Only For Mobile App", PermissionSetMobileApp)},
	PermissionSetOfficeIntegration: {scopes: fileScopes, channels: fileKeyChannels,
		refusal: keyOnlyFor("api-key-only-for-office-integration", "Api Key Only For Office Integration", PermissionSetOfficeIntegration)},
	PermissionSetNone: {refusal: ErrAPIKeyDisabled},
}

// scopeNames say what a refused scope would have done.
var scopeNames = map[Scope]string{
	ScopeFiles:   "file operations",
	ScopeSelf:    "reading your own profile",
	ScopeAccount: "managing API keys and SSH keys",
	ScopeAdmin:   "administering the site (users, groups, providers, logs, settings)",
}

// grantOf returns the grant of a permission set; an unknown one (a value
// written by something other than this code) grants nothing.
func grantOf(set string) keyGrant {
	if g, ok := permissionSets[set]; ok {
		return g
	}
	return keyGrant{refusal: ErrNotAuthorized.With("this API key's permission_set %q is not one Gatehouse knows, so it is refused; "+
		"set a known one with PATCH /api/rest/v1/api_keys/{id}", truncate(set, 32))}
}

// KeyMayUse reports whether a key with this permission set may do what a
// route of scope does: nil, or the refusal to answer with. A route with no
// declared scope is refused to every key but a full one.
func KeyMayUse(permissionSet string, scope Scope) error {
	g := grantOf(permissionSet)
	switch {
	case g.scopes[scope] || g.refusal == nil: // a full key: nothing to restrict
		return nil
	case g.scopes == nil: // none, or unknown
		return g.refusal
	}
	what := scopeNames[scope]
	if what == "" {
		what = "this request"
	}
	return g.refusal.With("%s, not %s; use a key with permission_set full, or a session", g.refusal.Message, what)
}

// keyMaySignIn reports whether a key with this permission set may sign in
// on ch (LoginWithAPIKey asks it before the login policy, which decides
// the channels no key signs in on).
func keyMaySignIn(permissionSet string, ch Channel) error {
	g := grantOf(permissionSet)
	switch {
	case g.channels[ch] || g.refusal == nil || !apiKeyChannels[ch]:
		return nil
	case g.scopes == nil:
		return g.refusal
	}
	return g.refusal.With("this API key's permission_set is %s, which does not sign in to the %s interface; use a key with permission_set full",
		permissionSet, ch)
}

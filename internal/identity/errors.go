package identity

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/ssosettings"
)

// Error is a refusal with a stable type string shaped like Files.com's
// ("not-authenticated/invalid-username-or-password"). The REST API writes it
// as {"error","http-code","type","title"}; the CLI prints Type and Message.
type Error struct {
	Status  int    // HTTP status
	Type    string // Files.com-style type, e.g. "not-found/user-not-found"
	Title   string // short human title, e.g. "User Not Found"
	Message string // what happened and what to do next
	// Fields, when not nil, are the refused fields one by one (Message
	// joins their messages), so a form can show each message beside its
	// field; the REST API answers them as "errors". A pointer keeps Error
	// comparable, which callers rely on to tell that two refusals are the
	// same.
	Fields *FieldErrors
}

// FieldErrors are the refused fields of a request, each with what to put
// there (see package ssosettings, whose settings errors they are).
type FieldErrors = ssosettings.FieldErrors

func (e *Error) Error() string {
	if e.Message != "" {
		return e.Type + ": " + e.Message
	}
	return e.Type
}

// Is makes errors.Is(err, ErrX) match on the type string, so a wrapped or
// re-worded error of the same type still matches its sentinel.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Type == e.Type
}

// With returns a copy of e carrying a more specific message.
func (e *Error) With(format string, args ...any) *Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// AsError returns err as an *Error, turning unknown errors into an
// internal-error that hides their text.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrInternal
}

func newError(status int, typ, title, msg string) *Error {
	return &Error{Status: status, Type: typ, Title: title, Message: msg}
}

// The errors Gatehouse answers with. Their type strings are Files.com's where
// Files.com has one.
var (
	ErrInternal = newError(http.StatusInternalServerError, "processing-failure/internal-error", "Internal Error",
		"the server failed to process the request; the server log has the details")

	ErrInvalidUsernameOrPassword = newError(http.StatusUnauthorized, "not-authenticated/invalid-username-or-password",
		"Invalid Username Or Password", "invalid username or password")
	ErrLockedOut = newError(http.StatusUnauthorized, "not-authenticated/locked-out", "Locked Out",
		"too many failed sign-ins; the account is locked for a while, or a site admin can unlock it")
	// ErrTooManyLoginAttempts refuses a password sign-in from an address
	// that failed too often recently; it names no user, so it may say why.
	ErrTooManyLoginAttempts = newError(http.StatusTooManyRequests, "rate-limited/too-many-login-attempts",
		"Too Many Login Attempts", "too many failed sign-ins from your address; try again later")
	ErrInvalidAPIKey = newError(http.StatusUnauthorized, "not-authenticated/invalid-api-key", "Invalid API Key",
		"the API key is unknown, expired or revoked")
	ErrInvalidSession = newError(http.StatusUnauthorized, "not-authenticated/invalid-session", "Invalid Session",
		"the session is unknown or expired; sign in again")
	ErrAuthenticationRequired = newError(http.StatusUnauthorized, "not-authenticated/authentication-required",
		"Authentication Required", "send an X-FilesAPI-Key header or sign in")

	ErrMustAuthenticateWithAPIKey = newError(http.StatusForbidden, "not-authorized/must-authenticate-with-api-key",
		"Must Authenticate With API Key",
		"this user signs in through single sign-on; use an API key (or an SSH key for SFTP) on this channel")
	ErrMustUseSSO = newError(http.StatusForbidden, "not-authorized/must-authenticate-with-sso",
		"Must Authenticate With SSO", "this user signs in through single sign-on; use the provider's sign-in button")
	ErrPasswordChangeRequired = newError(http.StatusForbidden, "not-authorized/password-change-required",
		"Password Change Required", "the password must be changed before continuing")
	ErrUserDisabled = newError(http.StatusForbidden, "not-authorized/user-disabled", "User Disabled",
		"this user is disabled; a site admin can enable them")
	ErrChannelNotPermitted = newError(http.StatusForbidden, "not-authorized/insufficient-permission-for-params",
		"Channel Not Permitted", "this user has no permission for this protocol; a site admin can grant it on the user or a group")
	ErrNotAuthorized = newError(http.StatusForbidden, "not-authorized/not-authorized", "Not Authorized",
		"you are not allowed to do this")
	ErrSiteAdminRequired = newError(http.StatusForbidden, "not-authorized/site-admin-required", "Site Admin Required",
		"only a site admin may do this")
	ErrNonSSOUsersNotAllowed = newError(http.StatusForbidden, "not-authorized/non-sso-users-not-allowed",
		"Users Are Managed By SSO", "this site only allows users managed by its SSO provider (site setting non_sso_users_allowed)")

	ErrNotFound       = newError(http.StatusNotFound, "not-found/not-found", "Not Found", "not found")
	ErrUserNotFound   = newError(http.StatusNotFound, "not-found/user-not-found", "User Not Found", "no user has that id")
	ErrGroupNotFound  = newError(http.StatusNotFound, "not-found/group-not-found", "Group Not Found", "no group has that id")
	ErrAPIKeyNotFound = newError(http.StatusNotFound, "not-found/api-key-not-found", "Api Key Not Found",
		"no API key has that id")
	ErrPublicKeyNotFound = newError(http.StatusNotFound, "not-found/public-key-not-found", "Public Key Not Found",
		"no SSH public key has that id")
	ErrSSOStrategyNotFound = newError(http.StatusNotFound, "not-found/sso-strategy-not-found", "Sso Strategy Not Found",
		"no SSO provider has that id")

	ErrInvalidBody = newError(http.StatusBadRequest, "bad-request/invalid-body", "Invalid Body",
		"the request body is not valid JSON")
	ErrBodyTooLarge = newError(http.StatusRequestEntityTooLarge, "bad-request/request-body-too-large",
		"Request Body Too Large", "the request body is larger than 1 MiB")
	ErrInvalidParams = newError(http.StatusUnprocessableEntity, "bad-request/request-params-invalid",
		"Request Params Invalid", "a parameter is invalid")
	ErrParamsRequired = newError(http.StatusBadRequest, "bad-request/request-params-required",
		"Request Params Required", "a required parameter is missing")
	ErrInvalidCursor = newError(http.StatusBadRequest, "bad-request/invalid-cursor", "Invalid Cursor",
		"the cursor is not one this server issued")
	ErrPasswordTooShort = newError(http.StatusUnprocessableEntity, "processing-failure/password-too-short",
		"Password Too Short", "the password is shorter than the site's minimum length")
	ErrDuplicate = newError(http.StatusUnprocessableEntity, "processing-failure/duplicate", "Already Exists",
		"a record with that name already exists")

	// ErrProviderInUse refuses deleting an SSO provider that users still
	// sign in through: deleting it would strand them.
	ErrProviderInUse = newError(http.StatusConflict, "conflict/sso-strategy-in-use", "Sso Strategy In Use",
		"users still sign in through this SSO provider; move them to another provider or authentication method first")
	// ErrProviderChanged refuses saving a change of whom a provider
	// trusts when another request changed the provider meanwhile.
	ErrProviderChanged = newError(http.StatusConflict, "conflict/sso-strategy-changed", "Sso Strategy Changed",
		"another request changed this SSO provider while the new settings were being checked; read it again and repeat the change")
	// ErrDirectoryUnavailable means an LDAP/AD password could not be checked
	// because no directory connector is configured or the directory did not
	// answer. Password sign-in never shows it to the caller, who gets
	// ErrInvalidUsernameOrPassword; other callers of the check may.
	ErrDirectoryUnavailable = newError(http.StatusServiceUnavailable, "processing-failure/directory-unavailable",
		"Directory Unavailable", "the LDAP directory could not be asked; try again later or ask a site admin")

	// ErrSCIMTokenExists refuses generating a SCIM token for a provider
	// that has one: a reset must be asked for, since it stops the
	// identity provider's provisioning until the new token is entered.
	ErrSCIMTokenExists = newError(http.StatusConflict, "conflict/scim-token-exists", "Scim Token Exists",
		"the provider already has a SCIM token; reset it to revoke it and make a new one")
	// ErrLastPasswordAdmin is the lock-out guard: the change would leave the
	// site with no enabled password-authenticated site admin.
	ErrLastPasswordAdmin = newError(http.StatusConflict, "conflict/last-password-site-admin",
		"Last Password Site Admin",
		"this change would leave the site without an enabled site admin who signs in with a password, "+
			"so nobody could sign in if single sign-on breaks; make another admin first, or repeat the request with force=true")
)

package ldap

import (
	"errors"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/gatehouse/gatehouse/internal/connector/check"
)

// Kind tells failures apart for events and logs. Callers must not show it
// to the person signing in: "unknown user" and "wrong password" look the
// same from outside.
type Kind string

// The kinds of failure.
const (
	KindInvalidCredentials Kind = "invalid_credentials" // wrong or empty password
	KindUnknownUser        Kind = "unknown_user"        // no entry matches the username
	KindAmbiguousUser      Kind = "ambiguous_user"      // several entries match: the filter or attribute is wrong
	KindDisabled           Kind = "disabled"            // the account is disabled in the directory
	KindLocked             Kind = "locked"              // the directory locked the account (too many failures)
	KindPasswordExpired    Kind = "password_expired"    // the password expired or must be changed first
	KindUnavailable        Kind = "unavailable"         // no host answered, or a request timed out
	KindServiceAccount     Kind = "service_account"     // the service account's bind was refused
	KindConfig             Kind = "config"              // settings are wrong (filter, base DN, TLS …)
	KindProtocol           Kind = "protocol"            // the directory answered something unexpected
)

// Error is every failure the package returns; its Detail is for admins
// and logs and never holds a password.
type Error = check.Error[Kind]

// Connector names this package in error messages.
func (Kind) Connector() string { return "ldap" }

// KindOf returns the Kind of err, or "" when err is not an *Error.
func KindOf(err error) Kind { return check.KindOf[Kind](err) }

func newError(kind Kind, err error, format string, args ...any) *Error {
	return check.Wrap(kind, err, format, args...)
}

// isNetworkError says the connection, not the request, failed: the
// connection must be thrown away and the request may go to another host.
func isNetworkError(err error) bool {
	var le *goldap.Error
	if errors.As(err, &le) {
		return le.ResultCode == goldap.ErrorNetwork || le.ResultCode == goldap.LDAPResultUnavailable ||
			le.ResultCode == goldap.LDAPResultBusy || le.ResultCode == goldap.LDAPResultServerDown ||
			le.ResultCode == goldap.ErrorUnexpectedResponse ||
			le.ResultCode == goldap.LDAPResultTimeout
	}
	return true
}

// classifyBind maps a refused user bind to a Kind. Active Directory tells
// why in the diagnostic message ("... data 775, ..."): 52e wrong password,
// 525 no such user, 530/531 not permitted now/here, 532 and 773 password
// expired or must be reset, 533 and 701 disabled or expired, 775 locked.
func classifyBind(err error) Kind {
	var le *goldap.Error
	if !errors.As(err, &le) {
		return KindUnavailable
	}
	switch le.ResultCode {
	case goldap.LDAPResultInvalidCredentials:
		msg := strings.ToLower(le.Err.Error())
		switch {
		case strings.Contains(msg, "data 775"):
			return KindLocked
		case strings.Contains(msg, "data 533"), strings.Contains(msg, "data 701"),
			strings.Contains(msg, "data 530"), strings.Contains(msg, "data 531"):
			return KindDisabled
		case strings.Contains(msg, "data 532"), strings.Contains(msg, "data 773"):
			return KindPasswordExpired
		case strings.Contains(msg, "data 525"):
			return KindUnknownUser
		}
		return KindInvalidCredentials
	case goldap.LDAPResultUnwillingToPerform, goldap.LDAPResultInappropriateAuthentication:
		// OpenLDAP answers a bind of a locked (ppolicy) account with 49
		// too; 53 is what some servers use for disabled accounts.
		return KindDisabled
	case goldap.LDAPResultConfidentialityRequired, goldap.LDAPResultStrongAuthRequired:
		return KindConfig
	}
	if isNetworkError(err) {
		return KindUnavailable
	}
	return KindProtocol
}

package signin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/gatehouse/gatehouse/internal/backoff"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
)

// Checks a sign-in can fail besides a protocol's own (saml.Kind,
// oidc.Kind); each names what an administrator should look at.
const (
	CheckProvider         = "provider"          // no provider of the site matches
	CheckProviderDisabled = "provider-disabled" // the provider is switched off
	CheckProvisioning     = "provisioning"      // JIT provisioning refused the identity
	CheckNotProvisioned   = "not-provisioned"   // unknown user and provision_users is off
	CheckLoginPolicy      = "login-policy"      // the login policy refused the user
	CheckIdentity         = "identity"          // the identity lacks a usable login name or immutable id
	// CheckInternal names a refusal caused by the server, not the sign-in.
	CheckInternal = "internal"
)

// LoginError is a refused sign-in: Check names the check that failed (a
// protocol's error kind or one of the Check* values), Message says what
// to look at. The web front end shows Message; the SSO event keeps all
// three.
type LoginError struct {
	Check   string
	Message string
	// Detail is for the SSO event and the log only, never for the person
	// signing in: what the server could not do with its own settings and
	// network (a metadata URL, a host, a network error), which anonymous
	// visitors must not be able to read off the sign-in page.
	Detail string
	Status int // HTTP status to answer with
	Err    error
	// RetryAfter, when set, is how long the person must wait before
	// trying again (a 429): the front end says so in Retry-After.
	RetryAfter time.Duration
}

// Repeats says the refusal repeats one already recorded: the provider's
// trust failed to load moments ago and was not tried again for this
// request (see backoff). Its event and alert were written then; writing
// one per request would let anyone flood the log.
func (e *LoginError) Repeats() bool { return errors.Is(e.Err, backoff.ErrWaiting) }

// EventText is what the SSO event of a refusal says: the message, then
// the detail only admins see.
func (e *LoginError) EventText() string {
	if e.Detail == "" {
		return e.Message
	}
	return e.Message + " (" + e.Detail + ")"
}

func (e *LoginError) Error() string { return "sso sign-in refused (" + e.Check + "): " + e.Message }
func (e *LoginError) Unwrap() error { return e.Err }

// ConnectorRefusal is what a connector's own error says about a refused
// sign-in: the check that failed, the HTTP status to answer, and advice
// for the person or admin.
type ConnectorRefusal struct {
	Check  string
	Status int // 0 for the default, 403
	Advice string
	// Cause is the library or network error underneath, for the admin.
	Cause string
}

// ConnectorReader reads a protocol connector's error (and reports false
// for any other error).
type ConnectorReader func(error) (ConnectorRefusal, bool)

// MessageServerTrouble is what the person signing in is told when the
// refusal is the server's own trouble with the provider (its settings,
// its metadata, the network to it): the details are the admin's.
const MessageServerTrouble = "this single sign-on provider cannot be reached or its settings cannot be used right now"

// Refusal builds the LoginError for err, whichever layer it comes from: a
// connector error (connector, when not nil, reads it), an identity.Error,
// a provisioning refusal, or a store failure. Every single sign-on
// protocol answers through it, so they all tell people the same things in
// the same way. A non-empty format is the message; otherwise the error
// supplies it.
func Refusal(check string, err error, connector ConnectorReader, format string, args ...any) *LoginError {
	msg := fmt.Sprintf(format, args...)
	status := http.StatusForbidden
	var ie *identity.Error
	detail := ""
	cr, isConnector := ConnectorRefusal{}, false
	if connector != nil {
		cr, isConnector = connector(err)
	}
	if isConnector {
		check = cr.Check
		if cr.Status != 0 {
			status = cr.Status
		}
		if msg == "" {
			msg = cr.Advice
		}
		if status >= http.StatusInternalServerError {
			// The provider's URLs, hosts and network errors are the
			// admin's to read in the event, not anyone's who opens a
			// sign-in link.
			detail = msg
			if cr.Cause != "" {
				detail += ": " + Clip(cr.Cause, 600)
			}
			msg = MessageServerTrouble
		}
	} else {
		switch {
		case errors.As(err, &ie):
			if ie.Status >= 500 {
				status = ie.Status
			}
			if msg == "" {
				msg = ie.Message
			}
		case errors.Is(err, provision.ErrRefused), errors.Is(err, provision.ErrConflict):
			if msg == "" {
				msg = err.Error()
			}
		case err != nil && check == "":
			check, status, msg = CheckInternal, http.StatusServiceUnavailable, "the server could not finish the sign-in; its log has the details"
		}
	}
	if check == "" {
		check = CheckInternal
	}
	return &LoginError{Check: check, Message: msg, Detail: detail, Status: status, Err: err}
}

// Clip shortens hostile text for events and messages and removes control
// characters.
func Clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	more := ""
	if len(s) > n {
		s, more = strings.ToValidUTF8(s[:n], ""), "…"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s) + more
}

package samllogin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/gatehouse/gatehouse/internal/backoff"
	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// EventSAMLLogin is the SSO event type of every SAML sign-in and refusal.
const EventSAMLLogin = "saml_login"

// EventOIDCLogin is the SSO event type of every OpenID Connect sign-in and
// refusal (package oidclogin records them; a refused handoff here).
const EventOIDCLogin = "oidc_login"

// Checks a sign-in can fail besides the SAML ones (saml.Kind); each names
// what an administrator should look at.
const (
	CheckSite             = "site"              // the RelayState or host names no site
	CheckProvider         = "provider"          // no SAML provider of the site matches
	CheckProviderDisabled = "provider-disabled" // the provider is switched off
	CheckProvisioning     = "provisioning"      // JIT provisioning refused the identity
	CheckNotProvisioned   = "not-provisioned"   // unknown user and provision_users is off
	CheckLoginPolicy      = "login-policy"      // the login policy refused the user
	CheckIdentity         = "identity"          // the assertion lacks a usable login name
)

// LoginError is a refused sign-in: Check names the check that failed (a
// saml.Kind or one of the Check* values), Message says what to look at.
// The web front end shows Message; the SSO event keeps all three.
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

// MessageServerTrouble is what the person signing in is told when the
// refusal is the server's own trouble with the provider (its settings,
// its metadata, the network to it): the details are the admin's.
const MessageServerTrouble = "this single sign-on provider cannot be reached or its settings cannot be used right now"

// CheckInternal names a refusal caused by the server, not the sign-in.
const CheckInternal = "internal"

// Refusal builds the LoginError for err, whichever layer it comes from: a
// connector error (connector reads it, and reports false for any other
// error), an identity.Error, a provisioning refusal, or a store failure.
// Every single sign-on protocol answers through it, so they all tell
// people the same things in the same way. A non-empty format is the
// message; otherwise the error supplies it.
func Refusal(check string, err error, connector func(error) (ConnectorRefusal, bool), format string, args ...any) *LoginError {
	msg := fmt.Sprintf(format, args...)
	status := http.StatusForbidden
	var ie *identity.Error
	detail := ""
	if cr, ok := connector(err); ok {
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
				detail += ": " + clip(cr.Cause, 600)
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

// refusal is Refusal for SAML sign-in and logout.
func refusal(check string, err error, format string, args ...any) *LoginError {
	return Refusal(check, err, samlRefusal, format, args...)
}

// samlRefusal reads a *saml.Error.
func samlRefusal(err error) (ConnectorRefusal, bool) {
	var se *saml.Error
	if !errors.As(err, &se) {
		return ConnectorRefusal{}, false
	}
	cr := ConnectorRefusal{Check: string(se.Kind), Advice: samlAdvice(se)}
	if se.Err != nil {
		cr.Cause = se.Err.Error()
	}
	switch se.Kind {
	case saml.KindMalformed, saml.KindTooLarge, saml.KindRoundTrip, saml.KindDTD, saml.KindComment:
		cr.Status = http.StatusBadRequest
	case saml.KindInternal, saml.KindFetch, saml.KindConfig, saml.KindMetadata:
		cr.Status = http.StatusServiceUnavailable
	}
	return cr, true
}

// samlAdvice says what to check for a failed SAML check.
func samlAdvice(e *saml.Error) string {
	hint := map[saml.Kind]string{
		saml.KindSignature:     "the response is not signed by the identity provider, or its signature does not verify",
		saml.KindUntrustedCert: "the identity provider signed with a certificate this provider does not trust: compare the certificate or fingerprint configured in Gatehouse with the IdP's current signing certificate",
		saml.KindIssuer:        "the response comes from another identity provider than the one configured (check the issuer / Entra Identifier)",
		saml.KindAudience:      "the response is meant for another application: the Identifier (Entity ID) in the identity provider must equal this provider's saml_sp_entity_id",
		saml.KindDestination:   "the response was sent to another address: the Reply URL in the identity provider must equal this provider's saml_sp_acs_url",
		saml.KindRecipient:     "the response was sent to another address: the Reply URL in the identity provider must equal this provider's saml_sp_acs_url",
		saml.KindExpired:       "the response has expired: sign in again, and check that the server clocks are right",
		saml.KindNotYetValid:   "the response is not valid yet: check that the server clocks are right",
		saml.KindInResponseTo:  "the response answers a sign-in this server did not start or already finished: start again from the sign-in page",
		saml.KindReplay:        "this response was already used: start again from the sign-in page",
		saml.KindStatus:        "the identity provider reported that the sign-in failed",
		saml.KindFetch:         "the identity provider's metadata URL could not be read",
		saml.KindMetadata:      "the identity provider's metadata cannot be used",
		saml.KindConfig:        "the provider's settings cannot be used; a site admin can fix them",
		saml.KindInternal:      "the server could not check the identity provider's message",
	}[e.Kind]
	if hint == "" {
		hint = "the identity provider's response was refused"
	}
	if e.Detail != "" {
		hint += " (" + clip(e.Detail, 300) + ")"
	}
	return hint
}

// kindOf is the check name of err.
func kindOf(err error) saml.Kind {
	if k := saml.KindOf(err); k != "" {
		return k
	}
	return saml.KindInternal
}

// recordEvent writes an SSO event about provider p (zero for none) and logs
// a failure to write it; the sign-in's answer does not depend on it.
func (s *Service) recordEvent(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy) {
	ev = s.eventAbout(ev, p)
	if err := s.st.CreateSSOEvent(context.WithoutCancel(ctx), &ev); err != nil {
		s.log.Error("samllogin: cannot record an SSO event", "site_id", ev.SiteID, "event_type", ev.EventType, "error", err)
	}
}

// recordAnonymous is recordEvent for a refusal the request proved nothing
// about (see events.RefusalLimiter): the limiter writes it, or counts it
// when a flood of its kind has already filled the window.
func (s *Service) recordAnonymous(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy) {
	s.refusals.Record(ctx, s.eventAbout(ev, p))
}

// eventAbout fills in ev's provider fields, clips hostile text and stamps
// the time.
func (s *Service) eventAbout(ev store.SSOEvent, p store.SSOStrategy) store.SSOEvent {
	if p.ID != 0 {
		ev.SSOStrategyID, ev.Provider, ev.ProviderLabel = p.ID, p.Provider, p.Label
		if ev.Provider == "" {
			ev.Provider = identity.ProtocolSAML
		}
	}
	ev.Username, ev.IdPUID = clip(ev.Username, 256), clip(ev.IdPUID, 256)
	ev.CreatedAt = s.now()
	return ev
}

func label(p store.SSOStrategy) string {
	if p.Label != "" {
		return p.Label
	}
	if p.Provider != "" {
		return p.Provider
	}
	return fmt.Sprintf("provider %d", p.ID)
}

// clip shortens hostile text for events and messages and removes control
// characters.
func clip(s string, n int) string {
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

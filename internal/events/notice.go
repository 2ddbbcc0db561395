// Package events is what Gatehouse tells admins about provisioning and
// sign-in trouble: e-mail alerts to the site admins who opted in, and the
// retention job that keeps the event logs to the site's retention period.
//
// A server wires it as: NewNotifier (a Mailer over SMTP, or Discard) for
// whoever raises notices, and a Retention job, given the same Notifier,
// running for the life of the server; it also sends the SCIM token expiry
// reminders (see RemindersOption).
package events

import "context"

// Kinds of notices. Admins opt in to all of them with the user setting
// notify_on_all_sso_failures.
const (
	NoticeSyncFailure        = "sync_failure"         // a sync run ended in failure
	NoticeSyncPartialFailure = "sync_partial_failure" // a sync run ended in partial_failure
	NoticeSafetyLimit        = "safety_limit"         // a reconcile would have deprovisioned too many users
	NoticeProviderDisabled   = "provider_disabled"    // a provider was disabled automatically
	NoticeSCIMTokenExpiry    = "scim_token_expiry"    // a SCIM token expires soon
	// NoticeMetadataRefreshFailure: a SAML provider's metadata URL could
	// not be read; sign-in goes on with the last good copy.
	NoticeMetadataRefreshFailure = "metadata_refresh_failure"
	// NoticeCertificateExpiry: a SAML provider's signing certificate
	// expires within 30 days.
	NoticeCertificateExpiry = "certificate_expiry"
	// NoticeOIDCProviderFailure: an OpenID provider's discovery document
	// or signing keys could not be read, so sign-in through it fails.
	NoticeOIDCProviderFailure = "oidc_provider_failure"
)

// Notice is one alert for the admins of a site.
type Notice struct {
	SiteID        int64
	Kind          string // one of the Notice* constants
	SSOStrategyID int64  // the provider it is about, 0 for none
	Subject       string // one line, no secrets
	Body          string // plain text: what happened, the counts, what to do next
}

// Notifier delivers notices. A failure to deliver is returned so the caller
// can record it; it never undoes the work the notice is about.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// Discard is a Notifier that delivers nothing, for installations without
// an SMTP server and for tests that do not look at alerts.
type Discard struct{}

// Notify does nothing.
func (Discard) Notify(context.Context, Notice) error { return nil }

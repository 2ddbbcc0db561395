package oidclogin

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/connector/oidc"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// EventOIDCGroupsOverage records a sign-in whose token named too many
// groups to carry them: the account's memberships were kept as they were.
const EventOIDCGroupsOverage = "oidc_groups_overage"

// Checks an OpenID Connect sign-in can fail besides the connector's
// (oidc.Kind) and the sign-in core's (signin.Check*).
const (
	// CheckState: the state is missing, unknown, used, expired, or was
	// made for another site or provider.
	CheckState = string(oidc.KindState)
	// CheckProviderError: the provider answered the sign-in with error=.
	CheckProviderError = string(oidc.KindProviderError)
)

// refuse records a refusal that names a real sign-in (a state this
// server made) as an SSO event on siteID (none when 0) and returns it.
// Every such refusal is recorded.
func (s *Service) refuse(ctx context.Context, siteID int64, p store.SSOStrategy, x *provision.ExternalIdentity, e *signin.LoginError, ip string) error {
	ev := store.SSOEvent{SiteID: siteID, EventType: signin.EventOIDCLogin, IP: ip}
	if x != nil {
		ev.Username, ev.IdPUID = x.Username, x.ExternalID
	}
	err := s.core.Refuse(ctx, ev, p, e)
	s.alertTrouble(ctx, p, e)
	return err
}

// refuseAnonymous is refuse for a request that proved nothing (no state
// this server made): the flood limiter records it.
func (s *Service) refuseAnonymous(ctx context.Context, siteID int64, p store.SSOStrategy, e *signin.LoginError, ip string) error {
	err := s.core.RefuseUnproven(ctx, store.SSOEvent{SiteID: siteID, EventType: signin.EventOIDCLogin, IP: ip}, p, e)
	s.alertTrouble(ctx, p, e)
	return err
}

// alertTrouble tells the site admins that a provider's discovery document
// or signing keys could not be read, which stops every sign-in through
// it. It runs only when a read was made (not for a refusal that Repeats);
// the Notifier sends at most one such alert per provider and hour.
func (s *Service) alertTrouble(ctx context.Context, p store.SSOStrategy, e *signin.LoginError) {
	if e.Repeats() || p.ID == 0 || (e.Check != string(oidc.KindDiscovery) && e.Check != string(oidc.KindKeys)) {
		return
	}
	s.core.Alert(ctx, events.Notice{SiteID: p.SiteID, Kind: events.NoticeOIDCProviderFailure, SSOStrategyID: p.ID,
		Subject: fmt.Sprintf("OpenID Connect provider %q cannot be reached", signin.Clip(p.Label, 100)),
		Body: fmt.Sprintf("Gatehouse could not read what it needs to trust the OpenID Connect provider %q (id %d):\n%s\n\n"+
			"Sign-in through this provider fails until it can. Check the provider's tenant, subdomain, authority or issuer "+
			"settings, and that this server can reach the provider. The SSO events (gatehouse events list --log sso) have each refusal.",
			signin.Clip(p.Label, 100), p.ID, signin.Clip(e.EventText(), 1500))})
}

// refusal is signin.Refusal for OpenID Connect sign-in.
func refusal(check string, err error, format string, args ...any) *signin.LoginError {
	return signin.Refusal(check, err, oidcRefusal, format, args...)
}

// oidcRefusal reads a connector *oidc.Error.
func oidcRefusal(err error) (signin.ConnectorRefusal, bool) {
	var oe *oidc.Error
	if !errors.As(err, &oe) {
		return signin.ConnectorRefusal{}, false
	}
	cr := signin.ConnectorRefusal{Check: string(oe.Kind), Advice: advice(oe)}
	if oe.Err != nil {
		cr.Cause = oe.Err.Error()
	}
	switch oe.Kind {
	case oidc.KindMalformed:
		cr.Status = http.StatusBadRequest
	case oidc.KindConfig, oidc.KindDiscovery, oidc.KindKeys, oidc.KindTokenEndpoint:
		cr.Status = http.StatusServiceUnavailable
	}
	return cr, true
}

// advice says what to check for a failed connector check.
func advice(e *oidc.Error) string {
	hint := map[oidc.Kind]string{
		oidc.KindConfig:        "the provider's settings cannot be used",
		oidc.KindDiscovery:     "the provider's discovery document could not be read: check the tenant, cloud instance, subdomain or issuer URL",
		oidc.KindKeys:          "the provider's signing keys could not be read",
		oidc.KindMalformed:     "the provider's answer could not be read",
		oidc.KindAlgorithm:     "the ID token is signed with an algorithm Gatehouse does not accept",
		oidc.KindUnknownKey:    "the ID token is signed with a key the provider does not publish",
		oidc.KindSignature:     "the ID token's signature does not verify",
		oidc.KindIssuer:        "the ID token comes from another issuer than the one configured (check the tenant or issuer settings)",
		oidc.KindTenant:        "the ID token comes from another Entra tenant than the one configured (options.oidc_tenant_id)",
		oidc.KindAudience:      "the ID token is meant for another application: client_id must be the app registration's Application (client) ID",
		oidc.KindExpired:       "the ID token has expired: sign in again, and check that the server clocks are right",
		oidc.KindNotYetValid:   "the ID token is not valid yet: check that the server clocks are right",
		oidc.KindNonce:         "the ID token does not answer this sign-in: start again from the sign-in page",
		oidc.KindSubject:       "the ID token names nobody (no sub or oid claim)",
		oidc.KindCode:          "the provider refused the authorization code (used twice, expired, or the client secret is wrong): start again from the sign-in page",
		oidc.KindProviderError: "the provider reported that the sign-in failed",
		oidc.KindTokenEndpoint: "the provider's token endpoint could not be reached or answered nonsense",
	}[e.Kind]
	if hint == "" {
		hint = "the provider's answer was refused"
	}
	if e.Detail != "" {
		hint += " (" + signin.Clip(e.Detail, 300) + ")"
	}
	return hint
}

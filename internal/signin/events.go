package signin

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The SSO event types of sign-ins, one per protocol: every success and
// every refusal of a sign-in through a provider of that protocol,
// including the refusal of its handoff, which the core records.
const (
	EventSAMLLogin = "saml_login"
	EventOIDCLogin = "oidc_login"
)

// EventTypeOf is the sign-in event type of p's protocol.
func EventTypeOf(p store.SSOStrategy) string {
	if p.Protocol == identity.ProtocolOAuth2 {
		return EventOIDCLogin
	}
	return EventSAMLLogin
}

// Record writes an SSO event about provider p (zero for none), with the
// names an identity provider or a client chose clipped; a failure to
// write it is logged, since the sign-in's answer does not depend on it.
func (s *Service) Record(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy) {
	s.events.Record(ctx, clipNames(ev), p)
}

// RecordUnproven is Record for a refusal the request proved nothing about
// (made up, unsigned or forged, naming no sign-in this server started):
// the refusal limiter writes it, or counts it when a flood of its kind has
// already filled the window.
func (s *Service) RecordUnproven(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy) {
	s.events.RecordUnproven(ctx, clipNames(ev), p)
}

// clipNames clips the names in ev that came from outside.
func clipNames(ev store.SSOEvent) store.SSOEvent {
	ev.Username, ev.IdPUID = Clip(ev.Username, 256), Clip(ev.IdPUID, 256)
	return ev
}

// Refuse records refusal e of a sign-in that names a real one — a message
// the identity provider signed, a state or handoff this server made — and
// returns it. ev says the rest: its site (0: none, so only the log), its
// event type, whom the sign-in named and the address. Every such refusal
// is recorded.
func (s *Service) Refuse(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy, e *LoginError) error {
	return s.refuse(ctx, ev, p, e, false)
}

// RefuseUnproven is Refuse for a request that proved nothing (made up,
// unsigned or forged, or naming no provider): through the refusal
// limiter.
func (s *Service) RefuseUnproven(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy, e *LoginError) error {
	return s.refuse(ctx, ev, p, e, true)
}

func (s *Service) refuse(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy, e *LoginError, unproven bool) error {
	ev.Status, ev.Body, ev.EventErrors = store.EventFailure, "sign-in refused: "+Clip(e.EventText(), 1500), []string{e.Check}
	switch {
	case e.Repeats():
		// The provider is in back-off: its failure was recorded when it
		// happened, and each sign-in meanwhile adds nothing.
		s.log.Debug("SSO sign-in refused again", "site_id", ev.SiteID, "sso_strategy_id", p.ID, "event_type", ev.EventType,
			"check", e.Check, "ip", ev.IP)
		return e
	case ev.SiteID == 0:
	case unproven:
		s.RecordUnproven(ctx, ev, p)
	default:
		s.Record(ctx, ev, p)
	}
	s.log.Info("SSO sign-in refused", "site_id", ev.SiteID, "sso_strategy_id", p.ID, "event_type", ev.EventType,
		"check", e.Check, "ip", ev.IP)
	return e
}

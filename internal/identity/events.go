package identity

import (
	"context"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// EventTypeClientLog is the type of external events posted through the
// API: Files.com files them as "Client Log".
const EventTypeClientLog = "client_log"

// ListSSOEvents returns one page of the SSO log.
func (s *Service) ListSSOEvents(ctx context.Context, siteID int64, q store.EventQuery) ([]store.SSOEvent, error) {
	events, err := s.st.ListSSOEvents(ctx, siteID, q)
	return events, mapStoreErr(err, "list sso events", nil, nil)
}

// GetSSOEvent returns one SSO log entry.
func (s *Service) GetSSOEvent(ctx context.Context, siteID, id int64) (store.SSOEvent, error) {
	e, err := s.st.GetSSOEvent(ctx, siteID, id)
	return e, mapStoreErr(err, "get sso event", ErrNotFound.With("no SSO event has that id"), nil)
}

// ListExternalEvents returns one page of the external log.
func (s *Service) ListExternalEvents(ctx context.Context, siteID int64, q store.EventQuery) ([]store.ExternalEvent, error) {
	events, err := s.st.ListExternalEvents(ctx, siteID, q)
	return events, mapStoreErr(err, "list external events", nil, nil)
}

// GetExternalEvent returns one external log entry.
func (s *Service) GetExternalEvent(ctx context.Context, siteID, id int64) (store.ExternalEvent, error) {
	e, err := s.st.GetExternalEvent(ctx, siteID, id)
	return e, mapStoreErr(err, "get external event", ErrNotFound.With("no external event has that id"), nil)
}

// CreateExternalEvent records an event posted through the API (Files.com's
// POST /external_events). Any signed-in actor may post one, as on
// Files.com, where client apps log to it; the event says who posted it.
func (s *Service) CreateExternalEvent(ctx context.Context, a Actor, siteID int64, status, body string) (store.ExternalEvent, error) {
	if status == "" {
		return store.ExternalEvent{}, ErrParamsRequired.With("status is required")
	}
	if strings.TrimSpace(body) == "" {
		return store.ExternalEvent{}, ErrParamsRequired.With("body is required")
	}
	if err := firstError(
		checkEnum("status", status, externalEventStatuses, false),
		checkText("body", body, maxEventBody, true),
	); err != nil {
		return store.ExternalEvent{}, err
	}
	e := store.ExternalEvent{SiteID: siteID, EventType: EventTypeClientLog, Status: status,
		Body: body + "\n(posted by " + describeActor(a) + ")"}
	if err := s.st.CreateExternalEvent(ctx, &e); err != nil {
		return store.ExternalEvent{}, mapStoreErr(err, "create external event", nil, nil)
	}
	return e, nil
}

// ListScimLogs returns one page of the SCIM request log.
func (s *Service) ListScimLogs(ctx context.Context, siteID int64, q store.EventQuery) ([]store.ScimLog, error) {
	logs, err := s.st.ListScimLogs(ctx, siteID, q)
	return logs, mapStoreErr(err, "list scim logs", nil, nil)
}

// GetScimLog returns one SCIM log entry.
func (s *Service) GetScimLog(ctx context.Context, siteID, id int64) (store.ScimLog, error) {
	l, err := s.st.GetScimLog(ctx, siteID, id)
	return l, mapStoreErr(err, "get scim log", ErrNotFound.With("no SCIM log entry has that id"), nil)
}

// recordExternalEvent writes one entry of the external log.
func (s *Service) recordExternalEvent(ctx context.Context, siteID int64, eventType, status, body string, providerID int64) error {
	e := store.ExternalEvent{SiteID: siteID, EventType: eventType, Status: status, Body: body, SSOStrategyID: providerID}
	return mapStoreErr(s.st.CreateExternalEvent(ctx, &e), "record external event", nil, nil)
}

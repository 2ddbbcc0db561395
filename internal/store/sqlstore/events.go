package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// eventFields says which EventQuery fields a log has.
type eventFields struct{ typ, status, user bool }

// eventFilter turns an EventQuery into WHERE conditions for one log;
// fields the log does not have are ignored.
func (s *Store) eventFilter(siteID int64, q store.EventQuery, has eventFields) *filter {
	f := &filter{}
	f.add("ev.site_id = ?", siteID)
	if has.typ && q.EventType != "" {
		f.add("ev.event_type = ?", q.EventType)
	}
	if has.status && q.Status != "" {
		f.add("ev.status = ?", q.Status)
	}
	if q.SSOStrategyID != 0 {
		f.add("ev.sso_strategy_id = ?", q.SSOStrategyID)
	}
	if has.user && q.UserID != 0 {
		f.add("ev.user_id = ?", q.UserID)
	}
	if has.user && q.Username != "" {
		f.add("ev.username = ?", q.Username)
	}
	if !q.CreatedAfter.IsZero() {
		f.add("ev.created_at >= ?", s.timeArg(q.CreatedAfter))
	}
	if !q.CreatedBefore.IsZero() {
		f.add("ev.created_at < ?", s.timeArg(q.CreatedBefore))
	}
	return f
}

// CreateSSOEvent appends to the SSO log.
func (s *Store) CreateSSOEvent(ctx context.Context, e *store.SSOEvent) error {
	return insert(ctx, s, ssoEvents, e, "")
}

// GetSSOEvent returns one SSO log entry of the site.
func (s *Store) GetSSOEvent(ctx context.Context, siteID, id int64) (store.SSOEvent, error) {
	return get(ctx, s, ssoEvents, "ev.id = ? AND ev.site_id = ?", id, siteID)
}

// ListSSOEvents returns one page of the site's SSO log matching q.
func (s *Store) ListSSOEvents(ctx context.Context, siteID int64, q store.EventQuery) ([]store.SSOEvent, error) {
	f := s.eventFilter(siteID, q, eventFields{typ: true, status: true, user: true})
	return list(ctx, s, ssoEvents, f.where(), f.args, q.ListOptions)
}

// CreateExternalEvent appends to the external log.
func (s *Store) CreateExternalEvent(ctx context.Context, e *store.ExternalEvent) error {
	return insert(ctx, s, externalEvents, e, "")
}

// GetExternalEvent returns one external log entry of the site.
func (s *Store) GetExternalEvent(ctx context.Context, siteID, id int64) (store.ExternalEvent, error) {
	return get(ctx, s, externalEvents, "ev.id = ? AND ev.site_id = ?", id, siteID)
}

// UpdateExternalEvent changes an entry through fn (a running sync
// finishing, for example).
func (s *Store) UpdateExternalEvent(ctx context.Context, siteID, id int64, fn func(*store.ExternalEvent) error) (store.ExternalEvent, error) {
	return update(ctx, s, externalEvents, nil, fn, nil, "ev.id = ? AND ev.site_id = ?", id, siteID)
}

// ListExternalEvents returns one page of the site's external log matching q.
func (s *Store) ListExternalEvents(ctx context.Context, siteID int64, q store.EventQuery) ([]store.ExternalEvent, error) {
	f := s.eventFilter(siteID, q, eventFields{typ: true, status: true})
	return list(ctx, s, externalEvents, f.where(), f.args, q.ListOptions)
}

// CreateScimLog appends to the SCIM log.
func (s *Store) CreateScimLog(ctx context.Context, l *store.ScimLog) error {
	return insert(ctx, s, scimLogs, l, "")
}

// GetScimLog returns one SCIM log entry of the site.
func (s *Store) GetScimLog(ctx context.Context, siteID, id int64) (store.ScimLog, error) {
	return get(ctx, s, scimLogs, "ev.id = ? AND ev.site_id = ?", id, siteID)
}

// ListScimLogs returns one page of the site's SCIM log matching q.
func (s *Store) ListScimLogs(ctx context.Context, siteID int64, q store.EventQuery) ([]store.ScimLog, error) {
	f := s.eventFilter(siteID, q, eventFields{})
	return list(ctx, s, scimLogs, f.where(), f.args, q.ListOptions)
}

// DeleteEventsBefore removes the site's SSO events, external events and
// SCIM log entries created before t, in one transaction.
func (s *Store) DeleteEventsBefore(ctx context.Context, siteID int64, t time.Time) (int, error) {
	total := 0
	err := s.Tx(ctx, func(ctx context.Context) error {
		for _, log := range []struct{ table, what string }{
			{"sso_events", "SSO event"}, {"external_events", "external event"}, {"scim_logs", "SCIM log entry"},
		} {
			n, err := deleteWhere(ctx, s, log.table, log.what, "site_id = ? AND created_at < ?", siteID, s.timeArg(t))
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}

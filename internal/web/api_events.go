package web

import (
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The three read-mostly logs: SSO events, external events and SCIM logs.

type ssoEventJSON struct {
	ID            int64    `json:"id"`
	EventType     string   `json:"event_type"`
	Status        string   `json:"status"`
	Body          string   `json:"body"`
	EventErrors   []string `json:"event_errors"`
	BodyURL       string   `json:"body_url"`
	UserID        *int64   `json:"user_id"`
	Username      string   `json:"username"`
	IdPUID        string   `json:"idp_uid"`
	Provider      string   `json:"provider"`
	ProviderLabel string   `json:"provider_label"`
	SSOStrategyID *int64   `json:"sso_strategy_id"`
	IP            string   `json:"ip"`
	Region        string   `json:"region"`
	CreatedAt     apiTime  `json:"created_at"`
}

func renderSSOEvent(e store.SSOEvent) ssoEventJSON {
	errs := e.EventErrors
	if errs == nil {
		errs = []string{}
	}
	return ssoEventJSON{ID: e.ID, EventType: e.EventType, Status: e.Status, Body: e.Body, EventErrors: errs,
		UserID: optionalID(e.UserID), Username: e.Username, IdPUID: e.IdPUID, Provider: e.Provider,
		ProviderLabel: e.ProviderLabel, SSOStrategyID: optionalID(e.SSOStrategyID), IP: e.IP, Region: e.Region,
		CreatedAt: apiTime(e.CreatedAt)}
}

type externalEventJSON struct {
	ID            int64   `json:"id"`
	EventType     string  `json:"event_type"`
	Status        string  `json:"status"`
	Body          string  `json:"body"`
	BodyURL       string  `json:"body_url"`
	SSOStrategyID *int64  `json:"sso_strategy_id"`
	CreatedAt     apiTime `json:"created_at"`
}

func renderExternalEvent(e store.ExternalEvent) externalEventJSON {
	return externalEventJSON{ID: e.ID, EventType: e.EventType, Status: e.Status, Body: e.Body,
		SSOStrategyID: optionalID(e.SSOStrategyID), CreatedAt: apiTime(e.CreatedAt)}
}

// scimLogJSON follows Files.com's SDK, which types http_response_code as a string.
type scimLogJSON struct {
	ID               int64   `json:"id"`
	SSOStrategyID    *int64  `json:"sso_strategy_id"`
	RequestPath      string  `json:"request_path"`
	RequestMethod    string  `json:"request_method"`
	HTTPResponseCode string  `json:"http_response_code"`
	UserAgent        string  `json:"user_agent"`
	RequestJSON      string  `json:"request_json"`
	ResponseJSON     string  `json:"response_json"`
	CreatedAt        apiTime `json:"created_at"`
}

func renderScimLog(l store.ScimLog) scimLogJSON {
	return scimLogJSON{ID: l.ID, SSOStrategyID: optionalID(l.SSOStrategyID), RequestPath: l.RequestPath,
		RequestMethod: l.RequestMethod, HTTPResponseCode: strconv.Itoa(l.HTTPResponseCode), UserAgent: l.UserAgent,
		RequestJSON: l.RequestJSON, ResponseJSON: l.ResponseJSON, CreatedAt: apiTime(l.CreatedAt)}
}

// eventListQuery parses the page, filters and order of an event log list.
func eventListQuery(r *http.Request, spec listSpec) (pageRequest, store.EventQuery, error) {
	p, lq, err := parseList(r, spec)
	if err != nil {
		return p, store.EventQuery{}, err
	}
	return p, lq.eventQuery(p.options()), nil
}

func (s *server) listSSOEvents(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	p, q, err := eventListQuery(r, ssoEventList)
	if err != nil {
		return err
	}
	list, err := s.svc.ListSSOEvents(r.Context(), c.site.ID, q)
	if err != nil {
		return err
	}
	return writeSortedPage(w, p, list, func(e store.SSOEvent) int64 { return e.ID }, ssoEventSortValue,
		func(e store.SSOEvent) (any, error) { return renderSSOEvent(e), nil })
}

func (s *server) showSSOEvent(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrNotFound.With("no SSO event has that id"))
	if err != nil {
		return err
	}
	e, err := s.svc.GetSSOEvent(r.Context(), c.site.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, renderSSOEvent(e))
	return nil
}

func (s *server) listExternalEvents(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	p, q, err := eventListQuery(r, externalEventList)
	if err != nil {
		return err
	}
	list, err := s.svc.ListExternalEvents(r.Context(), c.site.ID, q)
	if err != nil {
		return err
	}
	return writeSortedPage(w, p, list, func(e store.ExternalEvent) int64 { return e.ID }, externalEventSortValue,
		func(e store.ExternalEvent) (any, error) { return renderExternalEvent(e), nil })
}

func (s *server) showExternalEvent(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrNotFound.With("no external event has that id"))
	if err != nil {
		return err
	}
	e, err := s.svc.GetExternalEvent(r.Context(), c.site.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, renderExternalEvent(e))
	return nil
}

// createExternalEvent records an event posted by a client (status and body).
func (s *server) createExternalEvent(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	var in struct {
		Status *string `json:"status"`
		Body   *string `json:"body"`
	}
	if err := readJSONBody(r, &in); err != nil {
		return err
	}
	if in.Status == nil || in.Body == nil {
		return identity.ErrParamsRequired.With("status and body are required")
	}
	e, err := s.svc.CreateExternalEvent(r.Context(), c.actor(), c.site.ID, *in.Status, *in.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, renderExternalEvent(e))
	return nil
}

func (s *server) listScimLogs(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	p, q, err := eventListQuery(r, scimLogList)
	if err != nil {
		return err
	}
	list, err := s.svc.ListScimLogs(r.Context(), c.site.ID, q)
	if err != nil {
		return err
	}
	return writeSortedPage(w, p, list, func(l store.ScimLog) int64 { return l.ID }, scimLogSortValue,
		func(l store.ScimLog) (any, error) { return renderScimLog(l), nil })
}

func (s *server) showScimLog(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrNotFound.With("no SCIM log entry has that id"))
	if err != nil {
		return err
	}
	l, err := s.svc.GetScimLog(r.Context(), c.site.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, renderScimLog(l))
	return nil
}

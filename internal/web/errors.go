package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/ldapsync"
)

// Errors of the HTTP layer itself; the identity package owns the rest.
var (
	errRouteNotFound = &identity.Error{Status: http.StatusNotFound, Type: "not-found/not-found", Title: "Not Found",
		Message: "no such API endpoint"}
	errMethodNotAllowed = &identity.Error{Status: http.StatusMethodNotAllowed, Type: "bad-request/method-not-allowed",
		Title: "Method Not Allowed", Message: "this endpoint does not answer that HTTP method"}
	errCSRF = &identity.Error{Status: http.StatusForbidden, Type: "not-authorized/csrf-token-invalid", Title: "CSRF Token Invalid",
		Message: "the request did not carry this browser's CSRF token; reload the page and try again"}
	errCrossOrigin = &identity.Error{Status: http.StatusForbidden, Type: "not-authorized/cross-origin-request",
		Title: "Cross-Origin Request", Message: "this request came from another site and was refused"}
	errInvalidQuery = &identity.Error{Status: http.StatusBadRequest, Type: "bad-request/request-params-invalid",
		Title: "Request Params Invalid", Message: "a query parameter is invalid"}
	errInvalidFilterField = &identity.Error{Status: http.StatusBadRequest, Type: "bad-request/invalid-filter-field",
		Title: "Invalid Filter Field", Message: "this list cannot be filtered by that field"}
	errInvalidSortField = &identity.Error{Status: http.StatusBadRequest, Type: "bad-request/invalid-sort-field",
		Title: "Invalid Sort Field", Message: "this list cannot be sorted by that field"}
	// errServerBusy: the front end's own limits turned the request away
	// before it ran (its queue's wait ran out, or the memory for request
	// bodies is spent); nothing was done, and the same request may be sent
	// again. Files.com's type for too many requests at once.
	errServerBusy = &identity.Error{Status: http.StatusServiceUnavailable, Type: "rate-limited/too-many-concurrent-requests",
		Title: "Too Many Concurrent Requests", Message: "the server is busy; try again in a few seconds"}
	// errBodyStalled: the client stopped sending its request body.
	errBodyStalled = &identity.Error{Status: http.StatusRequestTimeout, Type: "bad-request/request-body-timeout",
		Title: "Request Body Timeout", Message: "the request body stopped arriving; send the request again"}
	// errSyncUnavailable: the provider reads no directory (or the server
	// runs without LDAP sync), so it cannot be synced or tested.
	errSyncUnavailable = ldapsync.ErrNotLDAP
)

// errorBody is Files.com's error shape, which its SDKs parse.
type errorBody struct {
	Error    string `json:"error"`
	HTTPCode int    `json:"http-code"`
	Type     string `json:"type"`
	Title    string `json:"title"`
	// Errors are the refused fields one by one, when the refusal names
	// them (a provider's settings): a form shows each beside its field.
	Errors identity.FieldErrors `json:"errors,omitempty"`
}

// writeError answers with err: JSON under the API prefix, a page elsewhere.
// Errors that are not identity errors are logged with the request id and
// answered with a generic internal error, so their text never leaks.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.typed(r, err)
	if isAPIPath(r.URL.Path) {
		writeJSONError(w, e)
		return
	}
	s.renderErrorPage(w, r, e)
}

// typed returns err as an identity error, logging what it hides.
func (s *server) typed(r *http.Request, err error) *identity.Error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return identity.ErrBodyTooLarge
	}
	e := identity.AsError(err)
	var known *identity.Error
	if r.Context().Err() != nil {
		// The client hung up; the failure is its leaving, not ours.
		s.log.Debug("request abandoned by the client",
			slog.String("request_id", infoFrom(r.Context()).id),
			slog.String("path", r.URL.Path))
		return e
	}
	if !errors.As(err, &known) || e.Status >= 500 {
		s.log.Error("request failed",
			slog.String("request_id", infoFrom(r.Context()).id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("error", err.Error()))
	}
	return e
}

func writeJSONError(w http.ResponseWriter, e *identity.Error) {
	msg := e.Message
	if msg == "" {
		msg = e.Title // Files.com's SDKs treat an empty "error" as no error
	}
	body := errorBody{Error: msg, HTTPCode: e.Status, Type: e.Type, Title: e.Title}
	if e.Fields != nil {
		body.Errors = *e.Fields
	}
	writeJSON(w, e.Status, body)
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v) // the client went away; nothing to tell it
}

func (s *server) apiNotFound(w http.ResponseWriter, r *http.Request) {
	writeJSONError(w, errRouteNotFound)
}

func (s *server) pageNotFound(w http.ResponseWriter, r *http.Request) {
	s.renderErrorPage(w, r, identity.ErrNotFound.With("there is no page at this address"))
}

// methodNotAllowed answers a known path asked with another method.
func (s *server) methodNotAllowed(allowed []string) http.Handler {
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		s.writeError(w, r, errMethodNotAllowed)
	})
}

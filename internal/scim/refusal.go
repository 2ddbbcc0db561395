package scim

import "net/http"

// WriteRefusal answers, in SCIM's error format, a request that the layers
// in front of the handler turned away before it ran (the server busy, a
// body that stopped arriving), so that SCIM clients always read SCIM.
func (h *Handler) WriteRefusal(w http.ResponseWriter, status int, detail string) {
	writeError(w, &Error{Status: status, Detail: detail})
}

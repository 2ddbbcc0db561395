package web

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes every route the front end serves; a test holds
// it and the routing table to each other.
//
//go:embed openapi.yaml
var openAPIDocument []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, _ = w.Write(openAPIDocument)
}

package web

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// openAPIOperations returns "METHOD /path" for every operation in the
// document.
func openAPIOperations(t *testing.T, doc []byte) []string {
	t.Helper()
	var parsed struct {
		OpenAPI string                          `yaml:"openapi"`
		Paths   map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(doc, &parsed); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if !strings.HasPrefix(parsed.OpenAPI, "3.") {
		t.Fatalf("openapi.yaml is not OpenAPI 3: %q", parsed.OpenAPI)
	}
	var ops []string
	for path, item := range parsed.Paths {
		for key := range item {
			switch key {
			case "get", "put", "post", "patch", "delete", "head", "options":
				ops = append(ops, strings.ToUpper(key)+" "+path)
			}
		}
	}
	slices.Sort(ops)
	return ops
}

// routeOperations returns "METHOD /path" for every route of the table,
// written the way OpenAPI writes paths.
func routeOperations(s *server) []string {
	var ops []string
	for _, rt := range s.routes() {
		ops = append(ops, rt.Method+" "+strings.ReplaceAll(rt.Pattern, "{$}", ""))
	}
	slices.Sort(ops)
	return ops
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	s := &server{}
	routes := routeOperations(s)
	documented := openAPIOperations(t, openAPIDocument)
	for _, op := range routes {
		if _, found := slices.BinarySearch(documented, op); !found {
			t.Errorf("route %s is not in openapi.yaml", op)
		}
	}
	for _, op := range documented {
		if _, found := slices.BinarySearch(routes, op); !found {
			t.Errorf("openapi.yaml documents %s, which no route serves", op)
		}
	}
	if len(routes) != len(slices.Compact(slices.Clone(routes))) {
		t.Error("the routing table has a duplicate route")
	}
}

func TestOpenAPIIsServed(t *testing.T) {
	h := newHarness(t)
	res, err := http.Get(h.srv.URL + apiPrefix + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || string(body) != string(openAPIDocument) {
		t.Fatalf("GET openapi.yaml: %d", res.StatusCode)
	}
}

func TestAdminOnlyRoutesAreAPIRoutes(t *testing.T) {
	for _, rt := range (&server{}).routes() {
		if rt.AdminOnly() && rt.api == nil {
			t.Errorf("%s %s is admin-only but not an API route", rt.Method, rt.Pattern)
		}
	}
}

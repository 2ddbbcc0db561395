package e2e

import (
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestProvidersCLI: a provider made through the API shows in providers
// list, previews at the command line and over the API, and its group id ->
// name table is edited with group-names.
func TestProvidersCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	d := []string{"--data-dir", dir}
	key := createAPIKey(t, d...)
	var p struct{ ID int64 }
	body := map[string]any{
		"protocol":                   "saml",
		"provider":                   "azure",
		"label":                      "Contoso Entra",
		"saml_provider_metadata_url": "https://login.microsoftonline.com/tenant/federationmetadata/2007-06/federationmetadata.xml",
		"provision_users":            true,
		"provision_groups":           true,
		"provision_group_required":   "Files*",
	}
	if code := s.api(t, http.MethodPost, "/sso_strategies", key, body, &p); code != http.StatusCreated {
		t.Fatalf("create provider: %d", code)
	}
	id := strconv.FormatInt(p.ID, 10)
	run := func(args ...string) string { return cli(t, append(args, d...)...) }

	if out := run("providers", "list"); !strings.Contains(out, "Contoso Entra") || !strings.Contains(out, "users, groups") {
		t.Fatalf("providers list:\n%s", out)
	}
	if out := run("providers", "preview", id); !strings.Contains(out, "Contoso Entra") || !strings.Contains(out, "0 identities seen") {
		t.Fatalf("providers preview:\n%s", out)
	}
	var plan struct {
		Counts map[string]int `json:"counts"`
	}
	if code := s.api(t, http.MethodGet, "/sso_strategies/"+id+"/preview", key, nil, &plan); code != http.StatusOK || plan.Counts == nil {
		t.Fatalf("preview over the API: %d %+v", code, plan)
	}

	guid := "6e0c7c36-2a3f-4b6f-9a7e-0d1c2b3a4f5e"
	if out := run("providers", "group-names", "set", id, guid, "Files Admins"); !strings.Contains(out, "Files Admins") {
		t.Fatalf("group-names set:\n%s", out)
	}
	if out := run("providers", "group-names", "list", id); !strings.Contains(out, guid) {
		t.Fatalf("group-names list:\n%s", out)
	}
	if out := run("providers", "group-names", "unset", id, guid); strings.Contains(out, guid) {
		t.Fatalf("group-names unset:\n%s", out)
	}
}

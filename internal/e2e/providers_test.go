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
		"protocol":                 "saml",
		"provider":                 "azure",
		"label":                    "Contoso Entra",
		"provision_users":          true,
		"provision_groups":         true,
		"provision_group_required": "Files*",
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

// TestProvidersShowSAMLValues: the values to paste into Entra, as the
// command line prints them, are the server's own URLs.
func TestProvidersShowSAMLValues(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir, "--base-url", "https://files.example.com")
	d := []string{"--data-dir", dir}
	key := createAPIKey(t, d...)
	var p struct {
		ID       int64
		EntityID string `json:"saml_sp_entity_id"`
		ACSURL   string `json:"saml_sp_acs_url"`
	}
	body := map[string]any{"protocol": "saml", "provider": "azure", "label": "Entra"}
	if code := s.api(t, http.MethodPost, "/sso_strategies", key, body, &p); code != http.StatusCreated {
		t.Fatalf("create provider: %d", code)
	}
	out := cli(t, append([]string{"providers", "show", strconv.FormatInt(p.ID, 10), "--base-url", "https://files.example.com"}, d...)...)
	for _, want := range []string{"Identifier (Entity ID)", "https://files.example.com/saml/metadata", "https://files.example.com/saml/consume", p.EntityID, p.ACSURL} {
		if want == "" || !strings.Contains(out, want) {
			t.Fatalf("providers show lacks %q:\n%s", want, out)
		}
	}
}

package main

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestProvidersSCIMCredentials: the token and Basic credentials made at
// the command line are the ones the SCIM server accepts; the expiry moves
// and a reset revokes.
func TestProvidersSCIMCredentials(t *testing.T) {
	dataDir, st, site := eventsWorld(t)
	ctx := context.Background()
	p := store.SSOStrategy{SiteID: site.ID, Protocol: "saml", Provider: "azure", Label: "Entra ID", Enabled: true}
	if err := st.CreateSSOStrategy(ctx, &p); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(p.ID, 10)
	run := func(args ...string) (string, error) {
		var out lockedBuffer
		args = append(args, "--data-dir", dataDir)
		if args[1] != "scim-token" || args[2] != "expiry" {
			args = append(args, "--base-url", "https://Files.Example.com")
		}
		err := runCLI(ctx, &out, args...)
		return out.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}
	// The service the SCIM server would ask, over the same database.
	key, err := secret.LoadOrCreateKey(filepath.Join(dataDir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	svc := identity.New(st, identity.Options{Sealer: sealer, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	authenticate := func(header string) (store.SSOStrategy, error) { return svc.AuthenticateSCIM(ctx, header, false) }

	out := must("providers", "show", id)
	if !strings.Contains(out, "Tenant URL") || !strings.Contains(out, "https://files.example.com/api/scim") {
		t.Fatalf("providers show:\n%s", out)
	}

	out = must("providers", "scim-token", "generate", id)
	token := regexp.MustCompile(`Secret Token\s+(ghscim_\S+)`).FindStringSubmatch(out)
	if token == nil || !strings.Contains(out, "https://files.example.com/api/scim") {
		t.Fatalf("scim-token generate:\n%s", out)
	}
	if got, err := authenticate("Bearer " + token[1]); err != nil || got.ID != p.ID {
		t.Fatalf("CLI token: provider %d, %v", got.ID, err)
	}
	if out, err := run("providers", "scim-token", "generate", id); err == nil || !strings.Contains(err.Error(), "scim-token reset") {
		t.Fatalf("second generate: %v\n%s", err, out)
	}

	out = must("providers", "scim-token", "expiry", id, "--expires-at", "2020-01-01")
	if !strings.Contains(out, "2020-01-01 00:00 UTC (expired)") {
		t.Fatalf("expiry:\n%s", out)
	}
	if _, err := authenticate("Bearer " + token[1]); err == nil {
		t.Fatal("token expired at the command line still works")
	}
	next := time.Now().UTC().AddDate(2, 0, 0).Format(time.DateOnly)
	must("providers", "scim-token", "expiry", id, "--expires-at", next)
	if _, err := authenticate("Bearer " + token[1]); err != nil {
		t.Fatalf("token extended at the command line: %v", err)
	}
	if out := must("providers", "show", id); !strings.Contains(out, "token expires") || !strings.Contains(out, next) {
		t.Fatalf("providers show after expiry change:\n%s", out)
	}
	if _, err := run("providers", "scim-token", "expiry", id, "--expires-at", "soon"); err == nil {
		t.Fatal("--expires-at soon was accepted")
	}

	out = must("providers", "scim-token", "reset", id)
	reset := regexp.MustCompile(`Secret Token\s+(ghscim_\S+)`).FindStringSubmatch(out)
	if reset == nil || reset[1] == token[1] || !strings.Contains(out, "previous token no longer works") {
		t.Fatalf("scim-token reset:\n%s", out)
	}
	if _, err := authenticate("Bearer " + token[1]); err == nil {
		t.Fatal("token revoked at the command line still works")
	}

	out = must("providers", "scim-basic", "generate", id)
	user := regexp.MustCompile(`Username\s+(\S+)`).FindStringSubmatch(out)
	pass := regexp.MustCompile(`Password\s+(\S+)`).FindStringSubmatch(out)
	if user == nil || pass == nil {
		t.Fatalf("scim-basic generate:\n%s", out)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(user[1]+":"+pass[1]))
	if got, err := authenticate(basic); err != nil || got.ID != p.ID {
		t.Fatalf("CLI basic credentials: provider %d, %v", got.ID, err)
	}
	if out := must("providers", "show", id); !strings.Contains(out, user[1]) || strings.Contains(out, pass[1]) {
		t.Fatalf("providers show after basic:\n%s", out)
	}
	if _, err := run("providers", "scim-token", "reset", "999"); err == nil {
		t.Fatal("reset of an unknown provider succeeded")
	}
}

package identity

import (
	"strings"
	"testing"
)

// TestSettingsChangesAreEvents: an admin's change of the site, a provider
// or a user is a settings_change event naming who made it and which fields
// it set, never their values; a refused change writes none.
func TestSettingsChangesAreEvents(t *testing.T) {
	e := newEnv(t)
	admin := Actor{UserID: 7, Username: "root", SiteAdmin: true, IP: "192.0.2.1"}
	if _, err := e.svc.UpdateSite(e.ctx, admin, e.site.ID, SiteChange{LoginHelpText: ptr("Call IT"), PasswordMinLength: ptr(14)}); err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.CreateSSOStrategy(e.ctx, admin, e.site.ID, SSOStrategyChange{Protocol: ptr(ProtocolOAuth2), Provider: ptr("okta"),
		Label: ptr("Okta"), ClientSecret: ptr("a client secret")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateSSOStrategy(e.ctx, admin, e.site.ID, p.ID, SSOStrategyChange{Label: ptr("Okta (staff)")}); err != nil {
		t.Fatal(err)
	}
	u, err := e.svc.CreateUser(e.ctx, admin, e.site.ID, UserChange{Username: ptr("bob"), Password: ptr("bob's long passphrase")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateUser(e.ctx, admin, e.site.ID, u.ID, UserChange{Name: ptr("Bob")}, false); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteUser(e.ctx, admin, e.site.ID, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteSSOStrategy(e.ctx, admin, e.site.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	// Refused: nothing is recorded.
	if _, err := e.svc.UpdateSite(e.ctx, admin, e.site.ID, SiteChange{PasswordMinLength: ptr(2)}); err == nil {
		t.Fatal("a too short minimum was accepted")
	}
	by := `by "root" (user id 7, from 192.0.2.1)`
	want := []string{
		"site settings changed " + by + ": password_min_length, login_help_text",
		`SSO provider "Okta" (id 1) created ` + by + ": protocol, provider, label, client_secret",
		`SSO provider "Okta (staff)" (id 1) changed ` + by + ": label",
		`user "bob" (id 1) created ` + by + ": username, password",
		`user "bob" (id 1) changed ` + by + ": name",
		`user "bob" (id 1) deleted ` + by,
		`SSO provider "Okta (staff)" (id 1) deleted ` + by,
	}
	var got []string
	for _, ev := range e.events(EventTypeSettingsChange) {
		if strings.Contains(ev.Body, "a client secret") || strings.Contains(ev.Body, "long passphrase") || strings.Contains(ev.Body, "Call IT") {
			t.Fatalf("event %q shows a value", ev.Body)
		}
		got = append(got, ev.Body)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("settings changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

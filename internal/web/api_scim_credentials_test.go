package web

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

type scimCredentialAnswer struct {
	ID                            int64   `json:"id"`
	SCIMAuthenticationMethod      string  `json:"scim_authentication_method"`
	SCIMUsername                  string  `json:"scim_username"`
	SCIMPassword                  string  `json:"scim_password"`
	SCIMOAuthAccessToken          string  `json:"scim_oauth_access_token"`
	SCIMOAuthAccessTokenExpiresAt *string `json:"scim_oauth_access_token_expires_at"`
	SCIMTenantURL                 string  `json:"scim_tenant_url"`
}

func (f *apiFixture) strategyPath(id int64, suffix string) string {
	return fmt.Sprintf("%s/sso_strategies/%d%s", apiPrefix, id, suffix)
}

func TestAPISCIMTokenGenerateExpiryReset(t *testing.T) {
	f := newAPIFixture(t)
	st := f.createStrategy("saml", "azure", "Entra ID", true, true)

	// The provider shows the Tenant URL before any credential exists.
	var shown scimCredentialAnswer
	f.callJSON("GET", f.strategyPath(st.ID, ""), f.adminKey, "").decode(t, &shown)
	if shown.SCIMTenantURL != f.srv.URL+"/api/scim" || shown.SCIMOAuthAccessTokenExpiresAt != nil {
		t.Fatalf("before generation: %+v", shown)
	}

	r := f.callJSON("POST", f.strategyPath(st.ID, "/scim_token"), f.adminKey, "")
	if r.status != http.StatusOK || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("generate: %d %s (Cache-Control %q)", r.status, r.body, r.header.Get("Cache-Control"))
	}
	var gen scimCredentialAnswer
	r.decode(t, &gen)
	wantExpiry := f.clock.Now().Add(identity.DefaultSCIMTokenLifetime).UTC().Format(time.RFC3339)
	if !strings.HasPrefix(gen.SCIMOAuthAccessToken, identity.SCIMTokenPrefix) || gen.SCIMAuthenticationMethod != "token" ||
		gen.SCIMOAuthAccessTokenExpiresAt == nil || *gen.SCIMOAuthAccessTokenExpiresAt != wantExpiry || gen.SCIMTenantURL == "" {
		t.Fatalf("generate answered %s", r.body)
	}
	token := gen.SCIMOAuthAccessToken
	if p, err := f.svc.AuthenticateSCIM(f.ctx, "Bearer "+token, false); err != nil || p.ID != st.ID {
		t.Fatalf("generated token: provider %d, %v", p.ID, err)
	}

	// The token is never shown again, nor logged.
	for _, path := range []string{f.strategyPath(st.ID, ""), apiPrefix + "/sso_strategies"} {
		if b := f.callJSON("GET", path, f.adminKey, "").body; strings.Contains(string(b), token) ||
			strings.Contains(string(b), "scim_oauth_access_token\"") {
			t.Fatalf("GET %s shows the token: %s", path, b)
		}
	}

	// Expiry moved through the ordinary update, and honoured.
	later := f.clock.Now().Add(2 * identity.DefaultSCIMTokenLifetime).UTC().Format(time.RFC3339)
	r = f.callJSON("PATCH", f.strategyPath(st.ID, ""), f.adminKey, `{"scim_oauth_access_token_expires_at":"`+later+`"}`)
	var patched scimCredentialAnswer
	r.decode(t, &patched)
	if r.status != http.StatusOK || patched.SCIMOAuthAccessTokenExpiresAt == nil || *patched.SCIMOAuthAccessTokenExpiresAt != later {
		t.Fatalf("PATCH expiry: %d %s", r.status, r.body)
	}
	f.clock.Advance(identity.DefaultSCIMTokenLifetime + time.Hour)
	if _, err := f.svc.AuthenticateSCIM(f.ctx, "Bearer "+token, false); err != nil {
		t.Fatalf("token past its first year, extended: %v", err)
	}
	expectError(t, f.callJSON("PATCH", f.strategyPath(st.ID, ""), f.adminKey, `{"scim_oauth_access_token_expires_at":"3020-01-01T00:00:00Z"}`),
		http.StatusUnprocessableEntity, identity.ErrInvalidParams.Type)
	expectError(t, f.callJSON("PATCH", f.strategyPath(st.ID, ""), f.adminKey, `{"scim_oauth_access_token_expires_at":"next year"}`),
		http.StatusBadRequest, identity.ErrInvalidBody.Type)

	// Generating again without asking for a reset is refused (as the CLI's
	// generate is), and the token keeps working.
	expectError(t, f.callJSON("POST", f.strategyPath(st.ID, "/scim_token"), f.adminKey, ""),
		http.StatusConflict, identity.ErrSCIMTokenExists.Type)
	if _, err := f.svc.AuthenticateSCIM(f.ctx, "Bearer "+token, false); err != nil {
		t.Fatalf("token after a refused generate: %v", err)
	}

	// Reset: the old token is refused, the new one works.
	r = f.callJSON("POST", f.strategyPath(st.ID, "/scim_token"), f.adminKey, `{"reset":true}`)
	var reset scimCredentialAnswer
	r.decode(t, &reset)
	if r.status != http.StatusOK || reset.SCIMOAuthAccessToken == "" || reset.SCIMOAuthAccessToken == token {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	if _, err := f.svc.AuthenticateSCIM(f.ctx, "Bearer "+token, false); err == nil {
		t.Fatal("the token revoked by the reset still works")
	}
	if _, err := f.svc.AuthenticateSCIM(f.ctx, "Bearer "+reset.SCIMOAuthAccessToken, false); err != nil {
		t.Fatalf("reset token: %v", err)
	}

	// Files.com's spelling of the reset: an update with reset_scim_oauth_access_token.
	r = f.callJSON("PATCH", f.strategyPath(st.ID, ""), f.adminKey, `{"label":"Entra","reset_scim_oauth_access_token":true}`)
	var viaPatch scimCredentialAnswer
	r.decode(t, &viaPatch)
	if r.status != http.StatusOK || viaPatch.SCIMOAuthAccessToken == "" || viaPatch.SCIMOAuthAccessToken == reset.SCIMOAuthAccessToken {
		t.Fatalf("PATCH reset: %d %s", r.status, r.body)
	}
	if _, err := f.svc.AuthenticateSCIM(f.ctx, "Bearer "+reset.SCIMOAuthAccessToken, false); err == nil {
		t.Fatal("the token revoked by the PATCH reset still works")
	}
	r = f.callJSON("PATCH", f.strategyPath(st.ID, ""), f.adminKey, `{"reset_scim_oauth_access_token":false}`)
	if r.status != http.StatusOK || strings.Contains(string(r.body), "scim_oauth_access_token\"") {
		t.Fatalf("PATCH without reset: %d %s", r.status, r.body)
	}

	// Each step is in the external log, without the token.
	evs, err := f.svc.ListExternalEvents(f.ctx, f.site.ID, store.EventQuery{SSOStrategyID: st.ID})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	changes := 0
	for _, ev := range evs {
		for _, tok := range []string{token, reset.SCIMOAuthAccessToken, viaPatch.SCIMOAuthAccessToken} {
			if strings.Contains(ev.Body, tok) {
				t.Fatalf("event %q shows a token", ev.Body)
			}
		}
		// Each PATCH (and the provider's creation) is a settings change
		// too, in the same log.
		if ev.EventType == identity.EventTypeSettingsChange {
			changes++
			continue
		}
		types = append(types, ev.EventType)
	}
	if changes == 0 {
		t.Fatal("the provider's changes left no settings_change event")
	}
	want := []string{identity.EventTypeSCIMTokenGenerated, identity.EventTypeSCIMTokenExpiry,
		identity.EventTypeSCIMTokenReset, identity.EventTypeSCIMTokenReset}
	if strings.Join(types, ",") != strings.Join(want, ",") {
		t.Fatalf("events %v, want %v", types, want)
	}
	for _, tok := range []string{token, reset.SCIMOAuthAccessToken, viaPatch.SCIMOAuthAccessToken} {
		if strings.Contains(f.logs.String(), tok) {
			t.Fatal("a SCIM token is in the server log")
		}
	}
}

func TestAPISCIMBasicGenerate(t *testing.T) {
	f := newAPIFixture(t)
	st := f.createStrategy("saml", "okta", "Okta", true, true)
	r := f.callJSON("POST", f.strategyPath(st.ID, "/scim_basic"), f.adminKey, "{}")
	var gen scimCredentialAnswer
	r.decode(t, &gen)
	if r.status != http.StatusOK || gen.SCIMAuthenticationMethod != "basic" || gen.SCIMUsername == "" || len(gen.SCIMPassword) < 43 ||
		r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("generate basic: %d %s", r.status, r.body)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(gen.SCIMUsername+":"+gen.SCIMPassword))
	if p, err := f.svc.AuthenticateSCIM(f.ctx, basic, false); err != nil || p.ID != st.ID {
		t.Fatalf("generated basic credentials: provider %d, %v", p.ID, err)
	}
	show := f.callJSON("GET", f.strategyPath(st.ID, ""), f.adminKey, "")
	if strings.Contains(string(show.body), gen.SCIMPassword) || !strings.Contains(string(show.body), gen.SCIMUsername) {
		t.Fatalf("show: %s", show.body)
	}
	if strings.Contains(f.logs.String(), gen.SCIMPassword) {
		t.Fatal("the SCIM password is in the server log")
	}
}

func TestAPISCIMCredentialsRefused(t *testing.T) {
	f := newAPIFixture(t)
	st := f.createStrategy("saml", "azure", "Entra ID", true, true)
	for _, suffix := range []string{"/scim_token", "/scim_basic"} {
		expectError(t, f.callJSON("POST", f.strategyPath(st.ID, suffix), f.annKey, ""), http.StatusForbidden, identity.ErrSiteAdminRequired.Type)
		expectError(t, f.callJSON("POST", f.strategyPath(st.ID, suffix), "", ""), http.StatusUnauthorized, identity.ErrAuthenticationRequired.Type)
		expectError(t, f.callJSON("POST", f.strategyPath(424242, suffix), f.adminKey, ""), http.StatusNotFound, identity.ErrSSOStrategyNotFound.Type)
		expectError(t, f.callJSON("POST", f.strategyPath(st.ID, suffix), f.adminKey, "[1]"), http.StatusBadRequest, identity.ErrInvalidBody.Type)
		expectError(t, f.callJSON("POST", apiPrefix+"/sso_strategies/abc"+suffix, f.adminKey, ""), http.StatusNotFound, identity.ErrSSOStrategyNotFound.Type)
	}
	cur, err := f.svc.GetSSOStrategy(f.ctx, f.site.ID, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cur.SCIMTokenHash) != 0 || cur.SCIMUsername != "" || cur.SCIMAuthenticationMethod != "" {
		t.Fatalf("refused requests changed the provider: %+v", cur)
	}
	// A reset in an update that fails validation changes nothing.
	expectError(t, f.callJSON("PATCH", f.strategyPath(st.ID, ""), f.adminKey, `{"deprovision_behavior":"explode","reset_scim_oauth_access_token":true}`),
		http.StatusUnprocessableEntity, identity.ErrInvalidParams.Type)
	if cur, _ := f.svc.GetSSOStrategy(f.ctx, f.site.ID, st.ID); len(cur.SCIMTokenHash) != 0 {
		t.Fatal("a refused update reset the token")
	}
}

package identity

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
)

func bearer(token string) string { return "Bearer " + token }

func basicAuth(username, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))
}

// wantSCIMRefused fails unless err is ErrSCIMUnauthorized whose message
// names why, and the provider returned is the one expected (0: none).
func wantSCIMRefused(t *testing.T, what string, p store.SSOStrategy, err error, providerID int64, why string) {
	t.Helper()
	wantErr(t, what, err, ErrSCIMUnauthorized)
	if !strings.Contains(err.Error(), why) {
		t.Fatalf("%s: error %q does not say %q", what, err, why)
	}
	if p.ID != providerID {
		t.Fatalf("%s: returned provider %d, want %d", what, p.ID, providerID)
	}
}

func TestSCIMTokenLifecycle(t *testing.T) {
	e := newEnv(t)
	p := e.provider(ProtocolSAML)
	token, got, err := e.svc.GenerateSCIMToken(e.ctx, SystemActor, e.site.ID, p.ID, false)
	wantErr(t, "generate", err, nil)
	if !strings.HasPrefix(token, SCIMTokenPrefix) || len(token) < len(SCIMTokenPrefix)+43 {
		t.Fatalf("token %q is not a prefixed 256-bit token", token)
	}
	if got.SCIMAuthenticationMethod != SCIMAuthToken || !got.SCIMTokenExpiresAt.Equal(e.clock.Now().Add(DefaultSCIMTokenLifetime)) {
		t.Fatalf("provider after generate: method %q, expires %v", got.SCIMAuthenticationMethod, got.SCIMTokenExpiresAt)
	}
	if bytes.Contains(got.SCIMTokenHash, []byte(token)) || len(got.SCIMTokenHash) != 32 {
		t.Fatalf("stored token hash %x is not a SHA-256", got.SCIMTokenHash)
	}

	for _, header := range []string{bearer(token), "bearer " + token, "  BEARER   " + token + " "} {
		auth, err := e.svc.AuthenticateSCIM(e.ctx, header, false)
		wantErr(t, "authenticate "+header[:8], err, nil)
		if auth.ID != p.ID || auth.SiteID != e.site.ID {
			t.Fatalf("token resolved to provider %d of site %d", auth.ID, auth.SiteID)
		}
	}

	auth, err := e.svc.AuthenticateSCIM(e.ctx, bearer(token+"x"), false)
	wantSCIMRefused(t, "wrong token", auth, err, 0, "unknown or revoked")
	auth, err = e.svc.AuthenticateSCIM(e.ctx, bearer(""), false)
	wantSCIMRefused(t, "empty token", auth, err, 0, "empty")

	// Generating again without asking for a reset is refused, and the
	// token keeps working.
	_, _, err = e.svc.GenerateSCIMToken(e.ctx, SystemActor, e.site.ID, p.ID, false)
	wantErr(t, "generate over a token", err, ErrSCIMTokenExists)
	if !strings.Contains(err.Error(), fmt.Sprintf("gatehouse providers scim-token reset %d", p.ID)) {
		t.Fatalf("the refusal names no way to reset: %v", err)
	}
	_, err = e.svc.AuthenticateSCIM(e.ctx, bearer(token), false)
	wantErr(t, "token after a refused generate", err, nil)

	// Reset: the old token stops working, the new one works.
	newToken, _, err := e.svc.GenerateSCIMToken(e.ctx, SystemActor, e.site.ID, p.ID, true)
	wantErr(t, "reset", err, nil)
	auth, err = e.svc.AuthenticateSCIM(e.ctx, bearer(token), false)
	wantSCIMRefused(t, "revoked token", auth, err, 0, "unknown or revoked")
	_, err = e.svc.AuthenticateSCIM(e.ctx, bearer(newToken), false)
	wantErr(t, "new token", err, nil)

	// Expiry: a year later the token is refused, naming its provider.
	e.clock.Advance(DefaultSCIMTokenLifetime)
	auth, err = e.svc.AuthenticateSCIM(e.ctx, bearer(newToken), false)
	wantSCIMRefused(t, "expired token", auth, err, p.ID, "expired")

	generated, reset := e.events(EventTypeSCIMTokenGenerated), e.events(EventTypeSCIMTokenReset)
	if len(generated) != 1 || len(reset) != 1 || reset[0].SSOStrategyID != p.ID {
		t.Fatalf("events: %d generated, %d reset: %+v", len(generated), len(reset), reset)
	}
	for _, ev := range append(generated, reset...) {
		if strings.Contains(ev.Body, token) || strings.Contains(ev.Body, newToken) || !strings.Contains(ev.Body, "the operator") {
			t.Fatalf("event body %q", ev.Body)
		}
	}
}

func TestSCIMTokenExpiryChangedThroughUpdate(t *testing.T) {
	e := newEnv(t)
	p := e.provider(ProtocolSAML)
	token, _, err := e.svc.GenerateSCIMToken(e.ctx, SystemActor, e.site.ID, p.ID, true)
	wantErr(t, "generate", err, nil)

	later := e.clock.Now().Add(2 * DefaultSCIMTokenLifetime)
	admin := e.admin("ann")
	updated, err := e.svc.UpdateSSOStrategy(e.ctx, ActorFor(admin, "192.0.2.9"), e.site.ID, p.ID,
		SSOStrategyChange{SCIMOAuthAccessTokenExpiresAt: &later})
	wantErr(t, "extend", err, nil)
	if !updated.SCIMTokenExpiresAt.Equal(later) {
		t.Fatalf("expiry %v, want %v", updated.SCIMTokenExpiresAt, later)
	}
	evs := e.events(EventTypeSCIMTokenExpiry)
	if len(evs) != 1 || !containsAll(evs[0].Body, `"ann"`, "192.0.2.9", later.Format(time.RFC3339)) || evs[0].SSOStrategyID != p.ID {
		t.Fatalf("expiry events: %+v", evs)
	}

	// Past the default year, the extended token still works.
	e.clock.Advance(DefaultSCIMTokenLifetime + time.Hour)
	_, err = e.svc.AuthenticateSCIM(e.ctx, bearer(token), false)
	wantErr(t, "extended token", err, nil)

	// A date in the past expires it at once.
	past := e.clock.Now().Add(-time.Minute)
	_, err = e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, p.ID, SSOStrategyChange{SCIMOAuthAccessTokenExpiresAt: &past})
	wantErr(t, "expire now", err, nil)
	auth, err := e.svc.AuthenticateSCIM(e.ctx, bearer(token), false)
	wantSCIMRefused(t, "expired by update", auth, err, p.ID, "expired")

	// An update that leaves the date alone records nothing more.
	_, err = e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, p.ID, SSOStrategyChange{Label: ptr("Entra")})
	wantErr(t, "relabel", err, nil)
	if n := len(e.events(EventTypeSCIMTokenExpiry)); n != 2 {
		t.Fatalf("%d expiry events, want 2", n)
	}

	for name, v := range map[string]time.Time{
		"zero":        {},
		"year 1":      time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		"in 20 years": e.clock.Now().Add(20 * DefaultSCIMTokenLifetime),
	} {
		_, err := e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, p.ID, SSOStrategyChange{SCIMOAuthAccessTokenExpiresAt: &v})
		wantErr(t, name, err, ErrInvalidParams)
	}
	cur, err := e.svc.GetSSOStrategy(e.ctx, e.site.ID, p.ID)
	wantErr(t, "get", err, nil)
	if !cur.SCIMTokenExpiresAt.Equal(past) {
		t.Fatalf("refused updates changed the expiry to %v", cur.SCIMTokenExpiresAt)
	}
}

func TestSCIMTokenRefusedForDisabledOrSwitchedProvider(t *testing.T) {
	e := newEnv(t)
	p := e.provider(ProtocolOAuth2) // SCIM works on any provider, OAuth too
	token, _, err := e.svc.GenerateSCIMToken(e.ctx, SystemActor, e.site.ID, p.ID, true)
	wantErr(t, "generate", err, nil)
	_, err = e.svc.AuthenticateSCIM(e.ctx, bearer(token), false)
	wantErr(t, "oauth provider token", err, nil)

	_, err = e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, p.ID, SSOStrategyChange{Enabled: ptr(false)})
	wantErr(t, "disable", err, nil)
	auth, err := e.svc.AuthenticateSCIM(e.ctx, bearer(token), false)
	wantSCIMRefused(t, "disabled provider", auth, err, p.ID, "disabled")

	_, err = e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, p.ID,
		SSOStrategyChange{Enabled: ptr(true), SCIMAuthenticationMethod: ptr(SCIMAuthBasic)})
	wantErr(t, "switch to basic", err, nil)
	auth, err = e.svc.AuthenticateSCIM(e.ctx, bearer(token), false)
	wantSCIMRefused(t, "token of a basic provider", auth, err, p.ID, `method "basic"`)
}

func TestSCIMBasic(t *testing.T) {
	e := newEnv(t)
	p := e.provider(ProtocolSAML)
	username, password, got, err := e.svc.GenerateSCIMBasic(e.ctx, SystemActor, e.site.ID, p.ID)
	wantErr(t, "generate", err, nil)
	if !strings.HasPrefix(username, SCIMBasicUsernamePrefix) || len(password) < 43 || got.SCIMAuthenticationMethod != SCIMAuthBasic {
		t.Fatalf("generated %q / %d-char password, method %q", username, len(password), got.SCIMAuthenticationMethod)
	}
	if bytes.Contains(got.SCIMPasswordEnc, []byte(password)) {
		t.Fatal("the password is stored in the clear")
	}
	auth, err := e.svc.AuthenticateSCIM(e.ctx, basicAuth(username, password), false)
	wantErr(t, "basic", err, nil)
	if auth.ID != p.ID {
		t.Fatalf("basic resolved to provider %d", auth.ID)
	}

	auth, err = e.svc.AuthenticateSCIM(e.ctx, basicAuth(username, password+"x"), false)
	wantSCIMRefused(t, "wrong password", auth, err, p.ID, "wrong password")
	auth, err = e.svc.AuthenticateSCIM(e.ctx, basicAuth(username, ""), false)
	wantSCIMRefused(t, "empty password", auth, err, p.ID, "wrong password")
	auth, err = e.svc.AuthenticateSCIM(e.ctx, basicAuth("scim-nobody", password), false)
	wantSCIMRefused(t, "unknown user", auth, err, 0, "unknown SCIM username")
	for name, header := range map[string]string{
		"not base64":   "Basic !!!",
		"no colon":     "Basic " + base64.StdEncoding.EncodeToString([]byte(username+password)),
		"empty user":   basicAuth("", password),
		"long user":    basicAuth(strings.Repeat("u", 300), password),
		"other scheme": "Digest username=" + username,
		"oversized":    "Bearer " + strings.Repeat("A", 10000),
	} {
		auth, err := e.svc.AuthenticateSCIM(e.ctx, header, true)
		wantSCIMRefused(t, name, auth, err, 0, "")
	}

	// New credentials replace the old ones as the change commits.
	username2, password2, _, err := e.svc.GenerateSCIMBasic(e.ctx, SystemActor, e.site.ID, p.ID)
	wantErr(t, "regenerate", err, nil)
	_, err = e.svc.AuthenticateSCIM(e.ctx, basicAuth(username, password), false)
	wantErr(t, "old basic", err, ErrSCIMUnauthorized)
	_, err = e.svc.AuthenticateSCIM(e.ctx, basicAuth(username2, password2), false)
	wantErr(t, "new basic", err, nil)
	if n := len(e.events(EventTypeSCIMBasicGenerated)); n != 2 {
		t.Fatalf("%d basic events, want 2", n)
	}

	// Switching the provider to token makes Basic stop working.
	_, _, err = e.svc.GenerateSCIMToken(e.ctx, SystemActor, e.site.ID, p.ID, true)
	wantErr(t, "token", err, nil)
	auth, err = e.svc.AuthenticateSCIM(e.ctx, basicAuth(username2, password2), false)
	wantSCIMRefused(t, "basic of a token provider", auth, err, p.ID, `method "token"`)
}

// Credentials an admin types (Files.com's scim_username and scim_password)
// work once the update that sets them commits; the same username on two
// sites is told apart by the password.
func TestSCIMBasicSetByUpdateAndSharedAcrossSites(t *testing.T) {
	e := newEnv(t)
	other := e.otherSite()
	mine := e.provider(ProtocolSAML)
	theirs, err := e.svc.CreateSSOStrategy(e.ctx, SystemActor, other.ID, SSOStrategyChange{Protocol: ptr(ProtocolSAML)})
	wantErr(t, "other provider", err, nil)
	set := func(siteID, id int64, password string) {
		_, err := e.svc.UpdateSSOStrategy(e.ctx, SystemActor, siteID, id, SSOStrategyChange{
			SCIMAuthenticationMethod: ptr(SCIMAuthBasic), SCIMUsername: ptr("okta"), SCIMPassword: &password})
		wantErr(t, "set basic", err, nil)
	}
	_, err = e.svc.AuthenticateSCIM(e.ctx, basicAuth("okta", "mine-secret"), false)
	wantErr(t, "before the update", err, ErrSCIMUnauthorized)
	set(e.site.ID, mine.ID, "mine-secret")
	set(other.ID, theirs.ID, "their-secret")
	for password, want := range map[string]store.SSOStrategy{"mine-secret": mine, "their-secret": theirs} {
		auth, err := e.svc.AuthenticateSCIM(e.ctx, basicAuth("okta", password), false)
		wantErr(t, password, err, nil)
		if auth.ID != want.ID || auth.SiteID != want.SiteID {
			t.Fatalf("%s resolved to provider %d of site %d", password, auth.ID, auth.SiteID)
		}
	}
	_, err = e.svc.AuthenticateSCIM(e.ctx, basicAuth("okta", "guess"), false)
	wantErr(t, "guess", err, ErrSCIMUnauthorized)
}

func TestSCIMNoneOnlyFromLoopback(t *testing.T) {
	e := newEnv(t)
	auth, err := e.svc.AuthenticateSCIM(e.ctx, "", true)
	wantSCIMRefused(t, "no none provider", auth, err, 0, "no enabled provider")

	p := e.provider(ProtocolSAML)
	_, err = e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, p.ID, SSOStrategyChange{SCIMAuthenticationMethod: ptr(SCIMAuthNone)})
	wantErr(t, "set none", err, nil)
	auth, err = e.svc.AuthenticateSCIM(e.ctx, "", true)
	wantErr(t, "none from loopback", err, nil)
	if auth.ID != p.ID {
		t.Fatalf("none resolved to provider %d", auth.ID)
	}
	auth, err = e.svc.AuthenticateSCIM(e.ctx, "", false)
	wantSCIMRefused(t, "none from afar", auth, err, 0, "loopback")

	other := e.otherSite()
	_, err = e.svc.CreateSSOStrategy(e.ctx, SystemActor, other.ID, SSOStrategyChange{Protocol: ptr(ProtocolSAML),
		SCIMAuthenticationMethod: ptr(SCIMAuthNone)})
	wantErr(t, "second none", err, nil)
	auth, err = e.svc.AuthenticateSCIM(e.ctx, "", true)
	wantSCIMRefused(t, "two none providers", auth, err, 0, "2 enabled providers")
}

func TestSCIMCredentialsNeedASiteAdminAndTheSite(t *testing.T) {
	e := newEnv(t)
	p := e.provider(ProtocolSAML)
	user := e.user("bob", UserChange{})
	bob := ActorFor(user, "")
	_, _, err := e.svc.GenerateSCIMToken(e.ctx, bob, e.site.ID, p.ID, true)
	wantErr(t, "token by non-admin", err, ErrSiteAdminRequired)
	_, _, _, err = e.svc.GenerateSCIMBasic(e.ctx, bob, e.site.ID, p.ID)
	wantErr(t, "basic by non-admin", err, ErrSiteAdminRequired)

	other := e.otherSite()
	_, _, err = e.svc.GenerateSCIMToken(e.ctx, SystemActor, other.ID, p.ID, true)
	wantErr(t, "token on another site", err, ErrSSOStrategyNotFound)
	_, _, _, err = e.svc.GenerateSCIMBasic(e.ctx, SystemActor, e.site.ID, p.ID+100)
	wantErr(t, "basic of unknown provider", err, ErrSSOStrategyNotFound)
	cur, err := e.svc.GetSSOStrategy(e.ctx, e.site.ID, p.ID)
	wantErr(t, "get", err, nil)
	if len(cur.SCIMTokenHash) != 0 || cur.SCIMUsername != "" || cur.SCIMAuthenticationMethod != "" {
		t.Fatalf("refused generations changed the provider: %+v", cur)
	}
}

// No credential reaches the log, whether it is made, used or refused.
func TestSCIMCredentialsNeverLogged(t *testing.T) {
	e := newEnv(t)
	var logs bytes.Buffer
	svc := New(e.st, Options{Clock: e.clock.Now, Sealer: e.svc.opts.Sealer,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	p := e.provider(ProtocolSAML)
	token, _, err := svc.GenerateSCIMToken(e.ctx, SystemActor, e.site.ID, p.ID, true)
	wantErr(t, "token", err, nil)
	_, _ = svc.AuthenticateSCIM(e.ctx, bearer(token), false)
	_, _ = svc.AuthenticateSCIM(e.ctx, bearer(token+"x"), false)
	username, password, _, err := svc.GenerateSCIMBasic(e.ctx, SystemActor, e.site.ID, p.ID)
	wantErr(t, "basic", err, nil)
	_, _ = svc.AuthenticateSCIM(e.ctx, basicAuth(username, password), false)
	_, _ = svc.AuthenticateSCIM(e.ctx, basicAuth(username, password+"x"), false)
	if logs.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	for _, s := range []string{token, token[len(SCIMTokenPrefix):], password} {
		if strings.Contains(logs.String(), s) {
			t.Fatalf("a credential is in the log:\n%s", logs.String())
		}
	}
}

// BenchmarkAuthenticateSCIMBasic compares a wrong password with an
// unknown username: they must cost about the same, so timing does not tell
// which usernames exist.
func BenchmarkAuthenticateSCIMBasic(b *testing.B) {
	st := teststore.SQLite(b)
	sealer, err := secret.NewSealer(bytes.Repeat([]byte{7}, secret.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	svc := New(st, Options{Sealer: sealer, Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	site, err := svc.EnsureDefaultSite(ctx)
	if err != nil {
		b.Fatal(err)
	}
	p, err := svc.CreateSSOStrategy(ctx, SystemActor, site.ID, SSOStrategyChange{Protocol: ptr(ProtocolSAML)})
	if err != nil {
		b.Fatal(err)
	}
	username, password, _, err := svc.GenerateSCIMBasic(ctx, SystemActor, site.ID, p.ID)
	if err != nil {
		b.Fatal(err)
	}
	for name, header := range map[string]string{
		"right":         basicAuth(username, password),
		"wrongPassword": basicAuth(username, password[1:]+"x"),
		"unknownUser":   basicAuth("scim-00000000000000000000", password),
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_, _ = svc.AuthenticateSCIM(ctx, header, false)
			}
		})
	}
}

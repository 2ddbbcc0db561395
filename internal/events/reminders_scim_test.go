package events_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/events/smtptest"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

// TestSCIMTokenFromIdentityIsRemindedBeforeExpiry follows a token from its
// generation in the identity core to the reminder e-mail a site admin
// receives through a real SMTP server, and checks that a token the
// provider no longer uses (it switched to Basic) is not reminded of.
func TestSCIMTokenFromIdentityIsRemindedBeforeExpiry(t *testing.T) {
	srv := smtptest.Start(t)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := teststore.SQLite(t)
	sealer, err := secret.NewSealer(make([]byte, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	clock := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	svc := identity.New(st, identity.Options{Clock: clock.Now, Logger: quiet, Sealer: sealer})
	site, err := svc.EnsureDefaultSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	admin := store.User{SiteID: site.ID, Username: "ann", Email: "ann@example.com", AuthenticationMethod: store.AuthPassword,
		SiteAdmin: true, NotifyOnAllSSOFailures: true}
	if err := st.CreateUser(ctx, &admin); err != nil {
		t.Fatal(err)
	}
	provider := func(label string) store.SSOStrategy {
		p, err := svc.CreateSSOStrategy(ctx, identity.SystemActor, site.ID, identity.SSOStrategyChange{
			Protocol: new(identity.ProtocolSAML), Label: new(label)})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.GenerateSCIMToken(ctx, identity.SystemActor, site.ID, p.ID, true); err != nil {
			t.Fatal(err)
		}
		return p
	}
	provider("Entra ID")
	switched := provider("Okta")
	if _, _, _, err := svc.GenerateSCIMBasic(ctx, identity.SystemActor, site.ID, switched.ID); err != nil {
		t.Fatal(err)
	}

	mailer, err := events.NewMailer(events.MailerOptions{URL: "smtp://" + srv.Addr, From: "gatehouse@files.example.com",
		Clock: clock.Now, DialTimeout: 2 * time.Second, SendTimeout: 5 * time.Second}, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	retention := events.NewRetention(st, events.RetentionOptions{Clock: clock.Now, Logger: quiet, Notifier: mailer})

	if err := retention.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages a year before expiry", n)
	}
	clock.Advance(identity.DefaultSCIMTokenLifetime - 30*24*time.Hour + time.Minute)
	if err := retention.Once(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages 30 days before expiry, want 1 (Entra ID only)", len(msgs))
	}
	if subject := msgs[0].Subject(t); !strings.Contains(subject, `SCIM token of provider "Entra ID" expires in 30 days`) {
		t.Fatalf("subject %q", subject)
	}
	if !strings.Contains(msgs[0].Body, "Create a new SCIM token") {
		t.Fatalf("body:\n%s", msgs[0].Body)
	}
}

package provision

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/events/smtptest"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestSafetyLimitAlertArrivesByEmail runs a Reconcile that trips the
// safety limit with the real Mailer, and reads the alert at a real SMTP
// server (aiosmtpd): it reaches the site admin who opted in, and only them.
func TestSafetyLimitAlertArrivesByEmail(t *testing.T) {
	srv := smtptest.Start(t)
	v := newEnv(t, openSQLite(t))
	v.localUser("alice", func(u *store.User) {
		u.SiteAdmin, u.Email, u.NotifyOnAllSSOFailures = true, "alice@example.com", true
	})
	v.localUser("quiet-admin", func(u *store.User) { u.SiteAdmin, u.Email = true, "quiet@example.com" })
	mailer, err := events.NewMailer(events.MailerOptions{URL: "smtp://" + srv.Addr, From: "gatehouse@files.example.com", Clock: v.clock.Now},
		v.st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	v.must(err)
	v.e = New(v.st, Options{Clock: v.clock.Now, Notifier: mailer})

	var everyone []ExternalIdentity
	for i := 0; i < 15; i++ {
		everyone = append(everyone, person(fmt.Sprintf("e%d", i), fmt.Sprintf("user%d", i)))
	}
	v.reconcile(everyone...)
	if got := srv.Messages(); len(got) != 0 {
		t.Fatalf("%d alerts after a normal run", len(got))
	}

	// A filter typo: the directory answers with 2 of the 15 users.
	rep := v.reconcile(everyone[:2]...)
	if rep.Status != store.EventPartialFailure {
		t.Fatalf("status %s, want partial_failure", rep.Status)
	}
	if u := v.user("user9"); u.Disabled {
		t.Fatal("the safety limit let a deprovision through")
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d alert e-mails, want 1", len(msgs))
	}
	m := msgs[0]
	if len(m.RcptTo) != 1 || m.RcptTo[0] != "alice@example.com" {
		t.Fatalf("recipients %v, want only the admin who opted in", m.RcptTo)
	}
	if s := m.Subject(t); !strings.Contains(s, `"Corp AD" stopped by the safety limit`) {
		t.Fatalf("subject %q", s)
	}
	if !strings.Contains(m.Body, "Disable or delete planned: 13") || !strings.Contains(m.Body, "Users the provider manages: 15") {
		t.Fatalf("body:\n%s", m.Body)
	}
}

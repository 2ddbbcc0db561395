package events

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/events/smtptest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testpeer"
)

const day = 24 * time.Hour

// scimProvider creates an enabled provider whose SCIM token expires after left.
func (w *world) scimProvider(label string, left time.Duration, options string) store.SSOStrategy {
	w.t.Helper()
	p := store.SSOStrategy{SiteID: w.site.ID, Protocol: "saml", Provider: "azure", Label: label, Enabled: true,
		SCIMAuthenticationMethod: "token", SCIMTokenHash: []byte("0123456789abcdef0123456789abcdef"),
		SCIMTokenExpiresAt: w.clock.Now().Add(left), Options: options}
	w.must(w.st.CreateSSOStrategy(w.ctx, &p))
	return p
}

// pass runs one retention pass with the notifier.
func (w *world) pass(n Notifier) error {
	return NewRetention(w.st, RetentionOptions{Clock: w.clock.Now, Logger: quiet, Notifier: n}).Once(w.ctx)
}

func TestSCIMTokenRemindersAreSentOnceAt30And7And1Days(t *testing.T) {
	srv := smtptest.Start(t)
	w := newWorld(t)
	w.user("ann", alertAdmin("ann@example.com", "Ann"))
	p := w.scimProvider("Entra ID", 40*day, `{"group_names":{"g1":"Sales"}}`)
	w.scimProvider("Disabled", 5*day, "") // not enabled below
	_, err := w.st.UpdateSSOStrategy(w.ctx, w.site.ID, p.ID+1, func(s *store.SSOStrategy) error { s.Enabled = false; return nil })
	w.must(err)
	m := w.mailer("smtp://" + srv.Addr)

	var subjects []string
	step := func(to time.Duration, wantNew int) {
		t.Helper()
		w.clock.Advance(to)
		for range 2 { // the second pass, and a restart, find nothing more to send
			w.must(w.pass(m))
		}
		msgs := srv.Messages()
		if len(msgs) != len(subjects)+wantNew {
			t.Fatalf("at %s left: %d messages, want %d", p.SCIMTokenExpiresAt.Sub(w.clock.Now()), len(msgs), len(subjects)+wantNew)
		}
		for _, msg := range msgs[len(subjects):] {
			subjects = append(subjects, msg.Subject(t))
		}
	}
	step(0, 0)                  // 40 days left
	step(10*day-time.Hour, 0)   // 30 days and an hour
	step(2*time.Hour, 1)        // 29 days 23 hours
	step(12*day, 0)             // 17 days
	step(11*day, 1)             // 6 days 23 hours
	step(5*day+12*time.Hour, 0) // 1 day 11 hours
	step(12*time.Hour, 1)       // 23 hours
	step(23*time.Hour, 0)       // expired: the sync failures speak for themselves
	want := []string{
		`[Gatehouse: Acme Files] SCIM token of provider "Entra ID" expires in 30 days`,
		`[Gatehouse: Acme Files] SCIM token of provider "Entra ID" expires in 7 days`,
		`[Gatehouse: Acme Files] SCIM token of provider "Entra ID" expires in 23 hours`,
	}
	if strings.Join(subjects, "\n") != strings.Join(want, "\n") {
		t.Fatalf("subjects:\n%s", strings.Join(subjects, "\n"))
	}
	body := srv.Messages()[1].Body
	if !strings.Contains(body, "7-day reminder") || !strings.Contains(body, "Create a new SCIM token") {
		t.Fatalf("body:\n%s", body)
	}
	got, err := w.st.GetSSOStrategy(w.ctx, w.site.ID, p.ID)
	w.must(err)
	var opts map[string]json.RawMessage
	w.must(json.Unmarshal([]byte(got.Options), &opts))
	if string(opts["group_names"]) != `{"g1":"Sales"}` {
		t.Fatalf("other options lost: %s", got.Options)
	}
	if s := string(opts[RemindersOption]); !strings.Contains(s, `"sent_days":[30,7,1]`) {
		t.Fatalf("reminder state %s", s)
	}
}

func TestSCIMTokenReminderAfterDowntimeAndNewToken(t *testing.T) {
	w := newWorld(t)
	rec := &recorder{}
	p := w.scimProvider("Okta", 5*day, "")
	// Down past the 30- and 7-day marks: one notice covers both.
	w.must(w.pass(rec))
	w.must(w.pass(rec))
	if len(rec.notices) != 1 || !strings.Contains(rec.notices[0].Body, "7-day reminder") ||
		rec.notices[0].Kind != NoticeSCIMTokenExpiry || rec.notices[0].SSOStrategyID != p.ID {
		t.Fatalf("notices %+v", rec.notices)
	}
	// A new token, valid for 20 days, starts the reminders afresh.
	_, err := w.st.UpdateSSOStrategy(w.ctx, w.site.ID, p.ID, func(s *store.SSOStrategy) error {
		s.SCIMTokenExpiresAt = w.clock.Now().Add(20 * day)
		return nil
	})
	w.must(err)
	w.must(w.pass(rec))
	if len(rec.notices) != 2 || !strings.Contains(rec.notices[1].Body, "30-day reminder") {
		t.Fatalf("notices %+v", rec.notices)
	}
}

func TestSCIMTokenReminderIsRetriedWhenDeliveryFails(t *testing.T) {
	w := newWorld(t)
	w.user("ann", alertAdmin("ann@example.com", "Ann"))
	w.scimProvider("Entra ID", 6*day, "")
	down := w.mailer("smtp://" + testpeer.FreeAddr(t))
	if err := w.pass(down); err == nil {
		t.Fatal("a failed reminder was not reported")
	}
	rec := &recorder{}
	w.must(w.pass(rec))
	w.must(w.pass(rec))
	if len(rec.notices) != 1 {
		t.Fatalf("after a failed delivery, %d notices", len(rec.notices))
	}
	evs := w.alertEvents()
	if len(evs) != 1 || evs[0].Status != store.EventFailure || !strings.Contains(evs[0].Body, NoticeSCIMTokenExpiry) {
		t.Fatalf("events %+v", evs)
	}
}

func TestSCIMTokenReminderOnceAcrossConcurrentNodes(t *testing.T) {
	w := newWorld(t)
	rec := &recorder{}
	w.scimProvider("Entra ID", 6*day, "")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); w.must(w.pass(rec)) }()
	}
	wg.Wait()
	if len(rec.notices) != 1 {
		t.Fatalf("%d notices from four concurrent passes", len(rec.notices))
	}
}

func TestSCIMTokenReminderLeavesBrokenOptionsAlone(t *testing.T) {
	w := newWorld(t)
	rec := &recorder{}
	p := w.scimProvider("Entra ID", 6*day, "[1,2]")
	w.must(w.pass(rec))
	got, err := w.st.GetSSOStrategy(w.ctx, w.site.ID, p.ID)
	w.must(err)
	if got.Options != "[1,2]" || len(rec.notices) != 0 {
		t.Fatalf("options %q, notices %d", got.Options, len(rec.notices))
	}
}

// recorder is a Notifier that keeps what it is given, for tests of the
// reminder schedule that do not look at e-mail.
type recorder struct {
	mu      sync.Mutex
	notices []Notice
}

func (r *recorder) Notify(_ context.Context, n Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices = append(r.notices, n)
	return nil
}

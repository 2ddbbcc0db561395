package events

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/events/smtptest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/internal/testpeer"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// world is a SQLite store with one site, ready for alerts.
type world struct {
	t     *testing.T
	ctx   context.Context
	st    store.Store
	site  store.Site
	clock *testclock.Clock
}

func newWorld(t *testing.T) *world {
	t.Helper()
	st := teststore.SQLite(t)
	w := &world{t: t, ctx: context.Background(), st: st,
		clock: testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))}
	w.site = store.DefaultSiteSettings()
	w.site.Name, w.site.IsDefault = "Acme Files", true
	w.must(st.CreateSite(w.ctx, &w.site))
	return w
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// user creates a user on the site; mods adjust it first.
func (w *world) user(username string, mods ...func(*store.User)) store.User {
	w.t.Helper()
	u := store.User{SiteID: w.site.ID, Username: username, AuthenticationMethod: store.AuthPassword}
	for _, m := range mods {
		m(&u)
	}
	w.must(w.st.CreateUser(w.ctx, &u))
	return u
}

// alertAdmin makes a user an enabled site admin who asked for alerts.
func alertAdmin(email, name string) func(*store.User) {
	return func(u *store.User) {
		u.SiteAdmin, u.NotifyOnAllSSOFailures, u.Email, u.Name = true, true, email, name
	}
}

func (w *world) mailer(url string, mods ...func(*MailerOptions)) *Mailer {
	w.t.Helper()
	cfg := MailerOptions{URL: url, From: "gatehouse@files.example.com", Clock: w.clock.Now,
		DialTimeout: 2 * time.Second, SendTimeout: 5 * time.Second}
	for _, m := range mods {
		m(&cfg)
	}
	m, err := NewMailer(cfg, w.st, quiet)
	w.must(err)
	return m
}

// alertEvents lists the site's external events of type alert.
func (w *world) alertEvents() []store.ExternalEvent {
	w.t.Helper()
	evs, err := w.st.ListExternalEvents(w.ctx, w.site.ID, store.EventQuery{EventType: EventTypeAlert})
	w.must(err)
	return evs
}

func safetyNotice(siteID int64) Notice {
	return Notice{SiteID: siteID, Kind: NoticeSafetyLimit, SSOStrategyID: 7,
		Subject: "LDAP sync stopped: it would disable 412 of 500 users",
		Body:    "The hourly LDAP sync of \"Corp AD\" would have disabled 412 of 500 users (82%), above the safety limit of 10%.\nNothing was changed.\n.\nCheck the base DN and the group filter, then run the sync again."}
}

func TestSafetyLimitAlertReachesOptedInAdminsOnly(t *testing.T) {
	srv := smtptest.Start(t)
	w := newWorld(t)
	w.user("ann", alertAdmin("ann@example.com", "Ann Admin"))
	w.user("zoe", alertAdmin("zoe@example.com", "Zoë Ündercroft"))
	w.user("dup", alertAdmin("ANN@example.com", "Ann again")) // one message per address
	w.user("gone", alertAdmin("gone@example.com", "Gone"), func(u *store.User) { u.Disabled = true })
	w.user("quiet", alertAdmin("quiet@example.com", "Quiet"), func(u *store.User) { u.NotifyOnAllSSOFailures = false })
	w.user("plain", alertAdmin("plain@example.com", "Plain"), func(u *store.User) { u.SiteAdmin = false })
	w.user("noaddr", alertAdmin("", "No Address"))
	other := store.Site{Name: "Other", Subdomain: "other"}
	w.must(w.st.CreateSite(w.ctx, &other))
	w.must(w.st.CreateUser(w.ctx, &store.User{SiteID: other.ID, Username: "ann", SiteAdmin: true,
		NotifyOnAllSSOFailures: true, Email: "other-admin@example.com"}))

	m := w.mailer("smtp://" + srv.Addr)
	if err := m.Notify(w.ctx, safetyNotice(w.site.ID)); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if want := []string{"ann@example.com", "zoe@example.com"}; !reflect.DeepEqual(got.RcptTo, want) {
		t.Fatalf("envelope recipients %v, want %v", got.RcptTo, want)
	}
	to, err := got.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != "Ann Admin" || to[1].Name != "Zoë Ündercroft" {
		t.Fatalf("To %q: %v %v", got.Header.Get("To"), to, err)
	}
	from, err := mail.ParseAddress(got.Header.Get("From"))
	if err != nil || from.Address != "gatehouse@files.example.com" || from.Name != "Gatehouse" {
		t.Fatalf("From %q: %v", got.Header.Get("From"), err)
	}
	if s := got.Subject(t); s != "[Gatehouse: Acme Files] LDAP sync stopped: it would disable 412 of 500 users" {
		t.Fatalf("subject %q", s)
	}
	if d, err := got.Header.Date(); err != nil || !d.Equal(w.clock.Now()) {
		t.Fatalf("Date %q: %v", got.Header.Get("Date"), err)
	}
	for h, want := range map[string]string{"MIME-Version": "1.0", "Content-Type": "text/plain; charset=utf-8",
		"Auto-Submitted": "auto-generated"} {
		if got.Header.Get(h) != want {
			t.Errorf("%s: %q, want %q", h, got.Header.Get(h), want)
		}
	}
	if id := got.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@files.example.com>") {
		t.Errorf("Message-ID %q", id)
	}
	// The lone "." line survives SMTP's dot-stuffing.
	if !strings.Contains(got.Body, "would have disabled 412 of 500 users (82%)") ||
		!strings.Contains(strings.ReplaceAll(got.Body, "\r\n", "\n"), "Nothing was changed.\n.\nCheck the base DN") ||
		!strings.Contains(got.Body, "site admin of Acme Files with notify_on_all_sso_failures") {
		t.Fatalf("body:\n%s", got.Body)
	}
	evs := w.alertEvents()
	if len(evs) != 1 || evs[0].Status != store.EventSuccess || evs[0].SSOStrategyID != 7 ||
		!strings.Contains(evs[0].Body, "safety_limit sent to 2 recipient(s)") {
		t.Fatalf("alert events: %+v", evs)
	}
}

func TestNonASCIISubject(t *testing.T) {
	srv := smtptest.Start(t)
	w := newWorld(t)
	w.user("ann", alertAdmin("ann@example.com", "Ann"))
	subject := "Synchronisierung gestoppt: 412 Benutzer wären deaktiviert – 安全上限 " + strings.Repeat("ü", 150)
	n := Notice{SiteID: w.site.ID, Kind: NoticeSyncFailure, Subject: subject, Body: "Grüße aus Köln"}
	w.must(w.mailer("smtp://"+srv.Addr).Notify(w.ctx, n))
	got := srv.Messages()[0]
	want := "[Gatehouse: Acme Files] " + subject
	if s := got.Subject(t); s != string([]rune(want)[:maxSubjectRunes-1])+"…" {
		t.Fatalf("subject %q", s)
	}
	for _, line := range strings.Split(string(got.Raw), "\n") {
		if len(line) > 998 {
			t.Fatalf("line of %d octets", len(line))
		}
	}
	if !strings.Contains(got.Body, "Grüße aus Köln") {
		t.Fatalf("body %q", got.Body)
	}
}

func TestHeaderInjectionIsNeutralised(t *testing.T) {
	srv := smtptest.Start(t)
	w := newWorld(t)
	w.user("ann", alertAdmin("ann@example.com", "Ann\r\nBcc: thief@evil.example"))
	w.user("eve", alertAdmin("eve@example.com>\r\nBcc: thief@evil.example", "Eve"))
	n := Notice{SiteID: w.site.ID, Kind: NoticeSyncFailure, SSOStrategyID: 1,
		Subject: "Sync failed\r\nBcc: thief@evil.example\r\n\r\nforged body", Body: "real body"}
	w.must(w.mailer("smtp://"+srv.Addr).Notify(w.ctx, n))
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	got := msgs[0]
	if !reflect.DeepEqual(got.RcptTo, []string{"ann@example.com"}) {
		t.Fatalf("envelope recipients %v", got.RcptTo)
	}
	if _, ok := got.Header["Bcc"]; ok || strings.Contains(got.Body, "forged") || strings.Contains(string(got.Raw), "\nBcc") {
		t.Fatalf("a header was injected:\n%s", got.Raw)
	}
	if s := got.Subject(t); s != "[Gatehouse: Acme Files] Sync failed Bcc: thief@evil.example forged body" {
		t.Fatalf("subject %q", s)
	}
}

func TestNoRecipientsSendsNothing(t *testing.T) {
	w := newWorld(t)
	w.user("plain", func(u *store.User) { u.Email, u.NotifyOnAllSSOFailures = "p@example.com", true })
	// Nothing listens there: an attempt to send would fail.
	if err := w.mailer("smtp://"+testpeer.FreeAddr(t)).Notify(w.ctx, safetyNotice(w.site.ID)); err != nil {
		t.Fatal(err)
	}
	if evs := w.alertEvents(); len(evs) != 0 {
		t.Fatalf("events %+v", evs)
	}
}

func TestUnreachableServerIsRecordedAsFailure(t *testing.T) {
	w := newWorld(t)
	w.user("ann", alertAdmin("ann@example.com", "Ann"))
	m := w.mailer("smtp://alerts:hunter2-secret@" + testpeer.FreeAddr(t))
	err := m.Notify(w.ctx, safetyNotice(w.site.ID))
	if err == nil {
		t.Fatal("delivery to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(m.Server(), "hunter2") {
		t.Fatalf("the password shows: %v / %s", err, m.Server())
	}
	evs := w.alertEvents()
	if len(evs) != 1 || evs[0].Status != store.EventFailure || !strings.Contains(evs[0].Body, "safety_limit") ||
		!strings.Contains(evs[0].Body, "not sent") || !strings.Contains(evs[0].Body, "connect") ||
		strings.Contains(evs[0].Body, "hunter2") {
		t.Fatalf("events %+v", evs)
	}
}

func TestStalledServerTimesOut(t *testing.T) {
	w := newWorld(t)
	w.user("ann", alertAdmin("ann@example.com", "Ann"))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	w.must(err)
	defer l.Close()
	go func() { // accepts and never greets
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	m := w.mailer("smtp://"+l.Addr().String(), func(c *MailerOptions) { c.SendTimeout = 300 * time.Millisecond })
	start := time.Now()
	if err := m.Notify(w.ctx, safetyNotice(w.site.ID)); err == nil {
		t.Fatal("a silent server took the alert")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("gave up after %v", d)
	}
	if evs := w.alertEvents(); len(evs) != 1 || evs[0].Status != store.EventFailure {
		t.Fatalf("events %+v", evs)
	}
}

func TestTLS(t *testing.T) {
	cert, key, roots := testCA(t)
	trusted := func(c *MailerOptions) { c.RootCAs = roots }
	t.Run("STARTTLS", func(t *testing.T) {
		srv := smtptest.Start(t, "--tlscert", cert, "--tlskey", key)
		w := newWorld(t)
		w.user("ann", alertAdmin("ann@example.com", "Ann"))
		// The certificate is checked: an unknown CA is refused.
		if err := w.mailer("smtp://"+srv.Addr).Notify(w.ctx, safetyNotice(w.site.ID)); err == nil ||
			!strings.Contains(err.Error(), "certificate") {
			t.Fatalf("untrusted certificate: %v", err)
		}
		w.must(w.mailer("smtp://"+srv.Addr, trusted).Notify(w.ctx, safetyNotice(w.site.ID)))
		if msgs := srv.Messages(); len(msgs) != 1 {
			t.Fatalf("%d messages", len(msgs))
		}
	})
	t.Run("SMTPS", func(t *testing.T) {
		srv := smtptest.Start(t, "--smtpscert", cert, "--smtpskey", key)
		w := newWorld(t)
		w.user("ann", alertAdmin("ann@example.com", "Ann"))
		if err := w.mailer("smtps://"+srv.Addr).Notify(w.ctx, safetyNotice(w.site.ID)); err == nil {
			t.Fatal("untrusted certificate accepted")
		}
		w.must(w.mailer("smtps://"+srv.Addr, trusted).Notify(w.ctx, safetyNotice(w.site.ID)))
		if msgs := srv.Messages(); len(msgs) != 1 {
			t.Fatalf("%d messages", len(msgs))
		}
	})
	t.Run("CredentialsNeedAUTH", func(t *testing.T) {
		srv := smtptest.Start(t)
		w := newWorld(t)
		w.user("ann", alertAdmin("ann@example.com", "Ann"))
		err := w.mailer("smtp://u:pw-never-shown@"+srv.Addr).Notify(w.ctx, safetyNotice(w.site.ID))
		if err == nil || !strings.Contains(err.Error(), "AUTH") || strings.Contains(err.Error(), "pw-never-shown") {
			t.Fatalf("credentials without AUTH: %v", err)
		}
	})
}

func TestNewMailerRefusals(t *testing.T) {
	w := newWorld(t)
	for _, cfg := range []MailerOptions{
		{URL: "http://mail.example.com", From: "a@example.com"},
		{URL: "smtp://", From: "a@example.com"},
		{URL: "smtp://u:secret@mail.example.com:%zz", From: "a@example.com"},
		{URL: "smtp://mail.example.com", From: ""},
		{URL: "smtp://mail.example.com", From: "A <a@example.com>"},
		{URL: "smtp://mail.example.com", From: "a@example.com\r\nBcc: b@example.com"},
	} {
		_, err := NewMailer(cfg, w.st, quiet)
		if err == nil {
			t.Errorf("%+v accepted", cfg)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestNewNotifier(t *testing.T) {
	w := newWorld(t)
	if n, err := NewNotifier("", "", w.st, quiet); err != nil || n != (Discard{}) {
		t.Fatalf("no SMTP URL: %v %v", n, err)
	}
	n, err := NewNotifier("smtps://u:p@mail.example.com", "gatehouse@example.com", w.st, quiet)
	if m, ok := n.(*Mailer); err != nil || !ok || m.Server() != "smtps://mail.example.com:465" {
		t.Fatalf("with SMTP URL: %v %v", n, err)
	}
}

// TestAlertsAboutOneProviderAtMostHourly: of many notices of one kind
// about one provider, one is mailed per AlertInterval, whichever Mailer
// (node) raises them; another kind or another provider is not held back,
// and a delivery that failed does not count.
func TestAlertsAboutOneProviderAtMostHourly(t *testing.T) {
	srv := smtptest.Start(t)
	w := newWorld(t)
	w.user("ann", alertAdmin("ann@example.com", "Ann Admin"))
	notice := func(provider int64, kind string) Notice {
		return Notice{SiteID: w.site.ID, Kind: kind, SSOStrategyID: provider, Subject: "trouble", Body: "trouble"}
	}
	down := w.mailer("smtp://" + testpeer.FreeAddr(t))
	if err := down.Notify(w.ctx, notice(7, NoticeMetadataRefreshFailure)); err == nil {
		t.Fatal("delivery to a closed port succeeded")
	}
	nodeA, nodeB := w.mailer("smtp://"+srv.Addr), w.mailer("smtp://"+srv.Addr)
	for i := 0; i < 20; i++ {
		for _, m := range []*Mailer{nodeA, nodeB} {
			if err := m.Notify(w.ctx, notice(7, NoticeMetadataRefreshFailure)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages for 40 notices within the hour, want 1", n)
	}
	w.must(nodeA.Notify(w.ctx, notice(7, NoticeCertificateExpiry)))
	w.must(nodeA.Notify(w.ctx, notice(8, NoticeMetadataRefreshFailure)))
	if n := len(srv.Messages()); n != 3 {
		t.Fatalf("%d messages after another kind and another provider, want 3", n)
	}
	w.clock.Advance(AlertInterval)
	w.must(nodeB.Notify(w.ctx, notice(7, NoticeMetadataRefreshFailure)))
	if n := len(srv.Messages()); n != 4 {
		t.Fatalf("%d messages an hour later, want 4", n)
	}
}

package events

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// EventTypeAlert is the external-event type of an alert delivery, so that
// admins can see in the external log which alerts reached them and which
// failed to send.
const EventTypeAlert = "alert"

// maxEventBody bounds what an alert delivery writes to the external log.
const maxEventBody = 2000

// AlertInterval is the least time between two alerts of one kind about
// one provider. A failing identity provider is met by every sign-in, and
// anyone can start one: without this, each would e-mail every admin.
const AlertInterval = time.Hour

// MailerOptions configures a Mailer. URL and From are required.
// Options, as everywhere, is what a constructor takes; Config is kept for
// what an admin writes (internal/config) and a connector's provider
// description built from stored settings.
type MailerOptions struct {
	// URL is the mail server: smtp://[user:pass@]host[:port] uses STARTTLS
	// (required, except on loopback, where plain SMTP is allowed);
	// smtps://… uses TLS from the first byte. Certificates are always
	// verified.
	URL  string
	From string // bare sender address, e.g. gatehouse@example.com
	// RootCAs verifies the server's certificate; nil uses the system roots.
	RootCAs     *x509.CertPool
	DialTimeout time.Duration    // default 10 s
	SendTimeout time.Duration    // the whole delivery, dial included; default 60 s
	Clock       func() time.Time // default time.Now
}

// Mailer is the Notifier that e-mails a site's opted-in admins over SMTP
// and records each delivery in the site's external log.
type Mailer struct {
	server      smtpServer
	from        string
	dialTimeout time.Duration
	sendTimeout time.Duration
	now         func() time.Time
	st          store.Store
	log         *slog.Logger
}

// NewMailer checks the configuration and returns a Mailer. It does not
// connect: a mail server that is down shows up as failed deliveries.
func NewMailer(cfg MailerOptions, st store.Store, logger *slog.Logger) (*Mailer, error) {
	server, err := parseSMTPURL(cfg.URL, cfg.RootCAs)
	if err != nil {
		return nil, err
	}
	from, err := checkAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("events: sender address: %w", err)
	}
	m := &Mailer{server: server, from: from, dialTimeout: cfg.DialTimeout, sendTimeout: cfg.SendTimeout,
		now: cfg.Clock, st: st, log: logger}
	if m.dialTimeout <= 0 {
		m.dialTimeout = 10 * time.Second
	}
	if m.sendTimeout <= 0 {
		m.sendTimeout = 60 * time.Second
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	return m, nil
}

// NewNotifier is the Notifier for a configuration: a Mailer when smtpURL
// is set, Discard otherwise.
func NewNotifier(smtpURL, from string, st store.Store, logger *slog.Logger) (Notifier, error) {
	if smtpURL == "" {
		return Discard{}, nil
	}
	return NewMailer(MailerOptions{URL: smtpURL, From: from}, st, logger)
}

// Server names the mail server without credentials, for a start-up line.
func (m *Mailer) Server() string { return m.server.String() }

// Notify e-mails the notice to the site's enabled site admins who have an
// address and notify_on_all_sso_failures set. With no such admin it sends
// nothing and returns nil. Every attempt, delivered or not, is recorded as
// an external event of type "alert".
func (m *Mailer) Notify(ctx context.Context, n Notice) error {
	site, err := m.st.GetSite(ctx, n.SiteID)
	if err != nil {
		return fmt.Errorf("events: alert for site %d: %w", n.SiteID, err)
	}
	to, err := m.recipients(ctx, n.SiteID)
	if err != nil {
		return fmt.Errorf("events: alert recipients: %w", err)
	}
	if len(to) == 0 {
		m.log.Debug("alert not sent: no site admin asked for alerts", "site_id", n.SiteID, "kind", n.Kind)
		return nil
	}
	release, ok := m.claim(ctx, n)
	if !ok {
		m.log.Info("alert held back: one of this kind about this provider went out within the hour",
			"site_id", n.SiteID, "sso_strategy_id", n.SSOStrategyID, "kind", n.Kind)
		return nil
	}
	sendErr := m.deliver(ctx, site, n, to)
	if sendErr != nil {
		release() // undelivered: the next notice may try again
	}
	m.record(ctx, n, len(to), sendErr)
	if sendErr != nil {
		m.log.Warn("alert not sent", "site_id", n.SiteID, "kind", n.Kind, "recipients", len(to), "error", sendErr)
		return sendErr
	}
	m.log.Info("alert sent", "site_id", n.SiteID, "kind", n.Kind, "recipients", len(to))
	return nil
}

// claim takes the right to send n's kind of alert about n's provider for
// AlertInterval, in the store, so that every Gatehouse node together
// sends at most one per interval. Notices about no provider are not
// limited. release gives the claim back. A store that cannot be asked
// does not stop the alert.
func (m *Mailer) claim(ctx context.Context, n Notice) (release func(), ok bool) {
	if n.SSOStrategyID == 0 {
		return func() {}, true
	}
	name := fmt.Sprintf("alert:%d:%d:%s", n.SiteID, n.SSOStrategyID, n.Kind)
	var b [16]byte
	_, _ = rand.Read(b[:])
	holder := hex.EncodeToString(b[:])
	now := m.now()
	claimed, err := m.st.TryLock(ctx, name, holder, now, now.Add(AlertInterval))
	if err != nil {
		m.log.Warn("alert rate limit not checked", "site_id", n.SiteID, "kind", n.Kind, "error", err)
		return func() {}, true
	}
	return func() {
		if err := m.st.Unlock(context.WithoutCancel(ctx), name, holder); err != nil {
			m.log.Warn("alert rate limit not released", "site_id", n.SiteID, "kind", n.Kind, "error", err)
		}
	}, claimed
}

// AsksForAlerts says whether u is one of the people alerts go to: an
// enabled site admin who opted in (notify_on_all_sso_failures). They get
// them by e-mail when they have an address.
func AsksForAlerts(u store.User) bool {
	return u.SiteAdmin && !u.Disabled && u.NotifyOnAllSSOFailures
}

// recipients lists the addresses of the site's enabled site admins who
// opted in to alerts. Addresses that could not travel safely in a header
// are left out, with a warning.
func (m *Mailer) recipients(ctx context.Context, siteID int64) ([]mail.Address, error) {
	var out []mail.Address
	seen := map[string]bool{}
	q := store.UserQuery{ListOptions: store.ListOptions{Limit: 1000}}
	for {
		users, err := m.st.ListUsers(ctx, siteID, q)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if !AsksForAlerts(u) || u.Email == "" {
				continue
			}
			addr, err := checkAddress(u.Email)
			if err != nil {
				m.log.Warn("alert recipient skipped", "site_id", siteID, "user_id", u.ID, "error", err)
				continue
			}
			if key := strings.ToLower(addr); !seen[key] {
				seen[key] = true
				out = append(out, mail.Address{Name: u.Name, Address: addr})
			}
		}
		if len(users) < q.Limit {
			return out, nil
		}
		q.AfterID = users[len(users)-1].ID
	}
}

// deliver renders the notice and hands it to the mail server.
func (m *Mailer) deliver(ctx context.Context, site store.Site, n Notice, to []mail.Address) error {
	subject := "[Gatehouse] " + n.Subject
	if site.Name != "" {
		subject = "[Gatehouse: " + site.Name + "] " + n.Subject
	}
	msg := message{
		from:    mail.Address{Name: "Gatehouse", Address: m.from},
		to:      to,
		subject: subject,
		body: n.Body + "\n\n-- \nYou receive this because you are a site admin" + siteLabel(site) +
			" with notify_on_all_sso_failures set.\n",
		date: m.now(),
	}
	data, err := msg.render()
	if err != nil {
		return fmt.Errorf("events: alert message: %w", err)
	}
	rcpts := make([]string, len(to))
	for i, a := range to {
		rcpts[i] = a.Address
	}
	ctx, cancel := context.WithTimeout(ctx, m.sendTimeout)
	defer cancel()
	e := envelope{helo: heloName(m.from), from: m.from, to: rcpts, data: data}
	if err := m.server.send(ctx, m.dialTimeout, e); err != nil {
		return fmt.Errorf("events: send alert via %s: %w", m.server, err)
	}
	return nil
}

func siteLabel(site store.Site) string {
	if site.Name == "" {
		return ""
	}
	return " of " + oneLine(site.Name, 100)
}

// heloName is the name this side gives in EHLO: the sender's domain, as an
// address literal when it is an IP.
func heloName(from string) string {
	d := domainOf(from)
	if net.ParseIP(d) != nil {
		return "[" + d + "]"
	}
	return d
}

// record writes the outcome of a delivery to the site's external log. A
// failure to record is logged, not returned: the delivery already happened
// or already failed.
func (m *Mailer) record(ctx context.Context, n Notice, recipients int, sendErr error) {
	e := store.ExternalEvent{SiteID: n.SiteID, EventType: EventTypeAlert, SSOStrategyID: n.SSOStrategyID,
		Status: store.EventSuccess, CreatedAt: m.now()}
	e.Body = fmt.Sprintf("Alert %s sent to %d recipient(s): %s", n.Kind, recipients, oneLine(n.Subject, maxSubjectRunes))
	if sendErr != nil {
		e.Status = store.EventFailure
		e.Body = fmt.Sprintf("Alert %s to %d recipient(s) not sent: %s\nError: %s", n.Kind, recipients,
			oneLine(n.Subject, maxSubjectRunes), sendErr)
	}
	e.Body = truncate(e.Body, maxEventBody)
	// The caller's context may be what ended the delivery; still record it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := m.st.CreateExternalEvent(ctx, &e); err != nil {
		m.log.Warn("alert delivery not recorded", "site_id", n.SiteID, "kind", n.Kind, "error", err)
	}
}

// truncate cuts s to at most max runes.
func truncate(s string, max int) string {
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

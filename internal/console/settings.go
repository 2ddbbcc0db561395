package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// NoticeTest is the kind of the alert "Send a test alert" sends.
const NoticeTest = "test"

// settingsPage is what the site settings page shows.
type settingsPage struct {
	Site     store.Site
	BaseURL  string
	SCIMURL  string
	Alerted  []store.User // site admins who get alerts
	Silent   int          // site admins who asked for alerts but have no e-mail address
	MailerOn bool
}

func (c *Console) settings(w http.ResponseWriter, r *http.Request, call *Call) {
	v := view{Notice: map[string]string{"saved": "Saved.", "sent": "A test alert was sent to the admins listed below."}[r.URL.Query().Get("done")]}
	c.showSettings(w, r, call, call.Site, http.StatusOK, v, nil)
}

// showSettings renders the page for site with v's notices, and the form
// as entered when form is not nil.
func (c *Console) showSettings(w http.ResponseWriter, r *http.Request, call *Call, site store.Site, status int, v view, form formValues) {
	pg := settingsPage{Site: site, BaseURL: c.baseURL, SCIMURL: c.scimURL, MailerOn: c.mailerOn()}
	admins, err := c.alertRecipients(r.Context(), site.ID)
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	for _, u := range admins {
		if u.Email == "" {
			pg.Silent++
			continue
		}
		pg.Alerted = append(pg.Alerted, u)
	}
	if form == nil {
		b := func(x bool) string {
			if x {
				return "on"
			}
			return ""
		}
		form = formValues{"name": site.Name, "login_help_text": site.LoginHelpText,
			"session_expiry_minutes": strconv.Itoa(site.SessionExpiryMinutes), "password_min_length": strconv.Itoa(site.PasswordMinLength),
			"user_lockout": b(site.UserLockout), "user_lockout_tries": strconv.Itoa(site.UserLockoutTries),
			"user_lockout_within": strconv.Itoa(site.UserLockoutWithin), "user_lockout_lock_period": strconv.Itoa(site.UserLockoutLockPeriod),
			"event_retention_days":  strconv.Itoa(site.EventRetentionDays),
			"non_sso_users_allowed": b(site.NonSSOUsersAllowed), "non_sso_groups_allowed": b(site.NonSSOGroupsAllowed)}
	}
	v.Title, v.Section, v.Data, v.Form = "Site settings", "settings", pg, form
	c.render(w, r, call, status, "settings", v)
}

// alertRecipients are the site's users alerts go to, by the mailer's rule
// (events.AsksForAlerts), read a page of site admins at a time.
func (c *Console) alertRecipients(ctx context.Context, siteID int64) ([]store.User, error) {
	var out []store.User
	q := store.UserQuery{ListOptions: store.ListOptions{Limit: 1000},
		Filter: &store.Filter{Op: store.OpEq, Field: "site_admin", Value: true}}
	for {
		users, err := c.svc.ListUsers(ctx, siteID, q)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if events.AsksForAlerts(u) {
				out = append(out, u)
			}
		}
		if len(users) < q.Limit {
			return out, nil
		}
		q.AfterID = users[len(users)-1].ID
	}
}

func (c *Console) settingsUpdate(w http.ResponseWriter, r *http.Request, call *Call) {
	form := readForm(r)
	var ch identity.SiteChange
	bad := map[string]string{}
	name, help := form.get("name"), form.get("login_help_text")
	ch.Name, ch.LoginHelpText = &name, &help
	nums := map[string]**int{"session_expiry_minutes": &ch.SessionExpiryMinutes, "user_lockout_tries": &ch.UserLockoutTries,
		"user_lockout_within": &ch.UserLockoutWithin, "user_lockout_lock_period": &ch.UserLockoutLockPeriod,
		"password_min_length": &ch.PasswordMinLength, "event_retention_days": &ch.EventRetentionDays}
	limits := identity.SiteNumberLimits()
	for key, dst := range nums {
		n, err := strconv.Atoi(form.get(key))
		lim := limits[key]
		if err != nil || n < lim[0] || n > lim[1] {
			bad[key] = fmt.Sprintf("a whole number from %d to %d", lim[0], lim[1])
			continue
		}
		*dst = &n
	}
	lockout, users, groups := form.on("user_lockout"), form.on("non_sso_users_allowed"), form.on("non_sso_groups_allowed")
	ch.UserLockout, ch.NonSSOUsersAllowed, ch.NonSSOGroupsAllowed = &lockout, &users, &groups
	if len(bad) > 0 {
		c.showSettings(w, r, call, call.Site, http.StatusBadRequest, view{Fields: bad, Error: "Some fields need attention; nothing was saved."}, form)
		return
	}
	if _, err := c.svc.UpdateSite(r.Context(), call.Actor, call.Site.ID, ch); err != nil {
		v := view{}
		refusalInto(&v, err)
		c.showSettings(w, r, call, call.Site, identity.AsError(err).Status, v, form)
		return
	}
	seeOther(w, r, Prefix+"/settings?done=saved")
}

// mailerOn says whether alerts go anywhere (the server has --smtp-url).
func (c *Console) mailerOn() bool {
	if c.notifier == nil {
		return false
	}
	_, discard := c.notifier.(events.Discard)
	return !discard
}

// testAlert sends a test alert to the admins who get alerts, now, and
// says how it went: the answer an admin needs before trusting the alerts.
func (c *Console) testAlert(w http.ResponseWriter, r *http.Request, call *Call) {
	if !c.mailerOn() {
		c.showSettings(w, r, call, call.Site, http.StatusConflict, view{Error: "No mail server is set: start the server with --smtp-url smtp://user:password@mail.example.com:587 and --smtp-from gatehouse@example.com, then send a test alert."}, nil)
		return
	}
	admins, err := c.alertRecipients(r.Context(), call.Site.ID)
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	if len(admins) == 0 {
		c.showSettings(w, r, call, call.Site, http.StatusConflict, view{Error: "No site admin gets alerts: turn on “E-mail alerts about SSO failures” for at least one site admin with an e-mail address."}, nil)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	err = c.notifier.Notify(ctx, events.Notice{SiteID: call.Site.ID, Kind: NoticeTest,
		Subject: "Test alert from " + siteLabel(call.Site),
		Body: fmt.Sprintf("%s sent this test from the console's site settings at %s.\nAlerts about failing syncs, safety stops, expiring SCIM tokens and certificates, and identity providers that cannot be reached come the same way.",
			call.User.Username, c.now().UTC().Format(time.RFC1123))})
	if err != nil {
		msg := err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			msg = "the mail server did not answer within a minute"
		}
		c.showSettings(w, r, call, call.Site, http.StatusBadGateway, view{Error: "The test alert was not sent: " + strings.TrimPrefix(msg, "events: ") + ". Check --smtp-url and the mail server's log; the attempt is in the external log."}, nil)
		return
	}
	seeOther(w, r, Prefix+"/settings?done=sent")
}

func siteLabel(s store.Site) string {
	if s.Name != "" {
		return s.Name
	}
	return "Gatehouse"
}

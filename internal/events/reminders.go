package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// reminderDays are the days before a SCIM token expires on which the
// site's admins are reminded, each once.
var reminderDays = []int{30, 7, 1}

// RemindersOption is the key, in a provider's Options JSON object, under
// which the reminders already sent for its current SCIM token are kept:
//
//	"scim_token_reminders": {"expires_at": "2026-09-01T00:00:00Z", "sent_days": [30, 7]}
//
// Keeping it on the provider row makes each reminder exactly-once across
// restarts and nodes: a reminder is claimed by adding its day under the
// row's lock before it is sent. A new token (a new expires_at) starts the
// list afresh.
const RemindersOption = "scim_token_reminders"

// reminderState is the value stored under RemindersOption.
type reminderState struct {
	ExpiresAt time.Time `json:"expires_at"`
	SentDays  []int     `json:"sent_days"`
}

// errNothingDue tells a claim that another pass (or node) was first.
var errNothingDue = errors.New("no reminder due")

// remindSite sends the due SCIM token reminders of the site's enabled
// providers.
func (r *Retention) remindSite(ctx context.Context, site store.Site) error {
	var errs []error
	o := store.ListOptions{Limit: 1000}
	for {
		providers, err := r.st.ListSSOStrategies(ctx, site.ID, o)
		if err != nil {
			return fmt.Errorf("events: SCIM token reminders of site %d: %w", site.ID, err)
		}
		for _, p := range providers {
			if err := r.remindProvider(ctx, p); err != nil {
				errs = append(errs, fmt.Errorf("events: SCIM token reminder for provider %d of site %d: %w", p.ID, site.ID, err))
			}
		}
		if len(providers) < o.Limit {
			return errors.Join(errs...)
		}
		o.AfterID = providers[len(providers)-1].ID
	}
}

// remindProvider claims the reminder days that have come due for the
// provider's SCIM token and sends one notice for them (when Gatehouse was
// down past several of them, one notice covers them all). A notice that
// cannot be delivered gives its claim back, so the next pass tries again.
func (r *Retention) remindProvider(ctx context.Context, p store.SSOStrategy) error {
	expires := p.SCIMTokenExpiresAt
	// A token kept after the provider switched to Basic (or none) is not
	// what provisioning depends on: its expiry is nobody's business.
	if !p.Enabled || p.SCIMAuthenticationMethod != "token" || len(p.SCIMTokenHash) == 0 || expires.IsZero() {
		return nil
	}
	if _, err := optionsObject(p.Options); err != nil {
		r.log.Warn("SCIM token reminders off: the provider's options are not a JSON object",
			"site_id", p.SiteID, "provider_id", p.ID)
		return nil
	}
	now := r.now()
	if len(dueDays(now, expires, p.Options)) == 0 {
		return nil // the common case, decided without a write
	}
	var claimed []int
	_, err := r.st.UpdateSSOStrategy(ctx, p.SiteID, p.ID, func(cur *store.SSOStrategy) error {
		if !cur.SCIMTokenExpiresAt.Equal(expires) {
			return errNothingDue // the token changed under us; the next pass sees the new one
		}
		claimed = dueDays(now, expires, cur.Options)
		if len(claimed) == 0 {
			return errNothingDue
		}
		return setSentDays(cur, expires, claimed, nil)
	})
	if errors.Is(err, errNothingDue) {
		return nil
	}
	if err != nil {
		return err
	}
	sendErr := r.notifier.Notify(ctx, expiryNotice(p, now, slices.Min(claimed)))
	if sendErr == nil {
		r.log.Info("SCIM token reminder sent", "site_id", p.SiteID, "provider_id", p.ID, "days", claimed)
		return nil
	}
	_, err = r.st.UpdateSSOStrategy(context.WithoutCancel(ctx), p.SiteID, p.ID, func(cur *store.SSOStrategy) error {
		if !cur.SCIMTokenExpiresAt.Equal(expires) {
			return errNothingDue
		}
		return setSentDays(cur, expires, nil, claimed)
	})
	if err != nil && !errors.Is(err, errNothingDue) {
		return errors.Join(sendErr, fmt.Errorf("give back the reminder claim: %w", err))
	}
	return sendErr
}

// dueDays lists the reminder days that have come for a token expiring at
// expires and that options does not record as sent. An expired token has
// none: the sync failures it causes are alerts of their own. Options that
// are not a JSON object yield none, so they are never overwritten.
func dueDays(now, expires time.Time, options string) []int {
	left := expires.Sub(now)
	if left <= 0 {
		return nil
	}
	state, err := readReminderState(options)
	if err != nil {
		return nil
	}
	var sent []int
	if state.ExpiresAt.Equal(expires) {
		sent = state.SentDays
	}
	var due []int
	for _, d := range reminderDays {
		if left <= time.Duration(d)*24*time.Hour && !slices.Contains(sent, d) {
			due = append(due, d)
		}
	}
	return due
}

func readReminderState(options string) (reminderState, error) {
	var state reminderState
	obj, err := optionsObject(options)
	if err != nil {
		return state, err
	}
	if raw, ok := obj[RemindersOption]; ok {
		// A value that does not parse reads as "nothing sent".
		_ = json.Unmarshal(raw, &state)
	}
	return state, nil
}

// optionsObject parses a provider's Options; empty means {}.
func optionsObject(options string) (map[string]json.RawMessage, error) {
	obj := map[string]json.RawMessage{}
	if options == "" {
		return obj, nil
	}
	if err := json.Unmarshal([]byte(options), &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("provider options are not a JSON object: %w", err)
	}
	return obj, nil
}

// setSentDays adds and removes days in the provider's reminder state,
// leaving every other option as it was.
func setSentDays(p *store.SSOStrategy, expires time.Time, add, remove []int) error {
	obj, err := optionsObject(p.Options)
	if err != nil {
		return err
	}
	state, _ := readReminderState(p.Options)
	if !state.ExpiresAt.Equal(expires) {
		state = reminderState{ExpiresAt: expires.UTC()}
	}
	for _, d := range add {
		if !slices.Contains(state.SentDays, d) {
			state.SentDays = append(state.SentDays, d)
		}
	}
	state.SentDays = slices.DeleteFunc(state.SentDays, func(d int) bool { return slices.Contains(remove, d) })
	slices.Sort(state.SentDays)
	slices.Reverse(state.SentDays)
	if state.SentDays == nil {
		state.SentDays = []int{}
	}
	raw, err := json.Marshal(state)
	if err != nil {
		return err
	}
	obj[RemindersOption] = raw
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	p.Options = string(b)
	return nil
}

// expiryNotice is the reminder for the provider's token, due at day.
func expiryNotice(p store.SSOStrategy, now time.Time, day int) Notice {
	name := p.Label
	if name == "" {
		name = p.Provider
	}
	left := p.SCIMTokenExpiresAt.Sub(now)
	when := fmt.Sprintf("in %d days", (left+12*time.Hour)/(24*time.Hour))
	if left < 48*time.Hour {
		when = fmt.Sprintf("in %d hours", (left+30*time.Minute)/time.Hour)
	}
	if left < time.Hour {
		when = "within the hour"
	}
	return Notice{
		SiteID:        p.SiteID,
		Kind:          NoticeSCIMTokenExpiry,
		SSOStrategyID: p.ID,
		Subject:       fmt.Sprintf("SCIM token of provider %q expires %s", name, when),
		Body: fmt.Sprintf("The SCIM token of the SSO provider %q (id %d) expires %s, on %s.\n"+
			"When it expires, your identity provider can no longer create, update or remove users and groups here.\n\n"+
			"Create a new SCIM token for this provider in Gatehouse and enter it in the provisioning settings of "+
			"your identity provider before then. (This is the %d-day reminder.)\n",
			name, p.ID, when, p.SCIMTokenExpiresAt.UTC().Format("Monday 2 January 2006 15:04 UTC"), day),
	}
}

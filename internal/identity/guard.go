package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

// The lock-out guard keeps every site with at least one enabled site admin
// who signs in with a password, so a broken SSO provider can never lock the
// admins out of their own site (Files.com's documented advice, enforced).
// A change that would remove the last one — switching them to sso/none,
// disabling, deleting, or taking away site_admin — is refused with
// ErrLastPasswordAdmin unless force is set. Check and write happen in one
// transaction that first locks the site, so two concurrent demotions of the
// last two such admins (in one process or two) cannot both pass the check.

// EventTypeAdminGuard is the external event type of guard decisions.
const EventTypeAdminGuard = "admin_guard"

// isPasswordAdmin reports whether u is an account that keeps the site
// reachable when SSO breaks; it matches store.CountEnabledPasswordAdmins.
func isPasswordAdmin(u store.User) bool {
	return u.SiteAdmin && !u.Disabled && u.AuthenticationMethod == store.AuthPassword
}

// changeMayDemote reports whether a user change could take someone out of
// the password admins, so only those changes pay for the site lock.
func changeMayDemote(c UserChange) bool {
	return (c.Disabled != nil && *c.Disabled) ||
		(c.SiteAdmin != nil && !*c.SiteAdmin) ||
		(c.AuthenticationMethod != nil && *c.AuthenticationMethod != store.AuthPassword)
}

// guardRefusal carries a refusal out of the rolled-back transaction so its
// event can be written after the rollback, where it survives.
type guardRefusal struct {
	siteID int64
	body   string
}

func (g *guardRefusal) Error() string { return ErrLastPasswordAdmin.Error() }
func (g *guardRefusal) Unwrap() error { return ErrLastPasswordAdmin }

// guardedTx runs fn in a transaction that first locks the site. A guard
// refusal inside fn rolls the transaction back and is then recorded.
func (s *Service) guardedTx(ctx context.Context, siteID int64, fn func(ctx context.Context) error) error {
	err := s.st.Tx(ctx, func(ctx context.Context) error {
		if err := s.st.LockSite(ctx, siteID); err != nil {
			return mapStoreErr(err, "lock site", ErrNotFound.With("no site has id %d", siteID), nil)
		}
		return fn(ctx)
	})
	var refusal *guardRefusal
	if errors.As(err, &refusal) {
		s.log.Warn("lock-out guard refused a change", "site_id", siteID, "detail", refusal.body)
		if eerr := s.recordExternalEvent(context.WithoutCancel(ctx), siteID, EventTypeAdminGuard, store.EventFailure, refusal.body, 0); eerr != nil {
			s.log.Error("could not record a lock-out guard refusal", "site_id", siteID, "error", eerr)
		}
		return ErrLastPasswordAdmin
	}
	return err
}

// checkLastPasswordAdmin runs inside guardedTx, after the site lock. It
// refuses turning before into after (nil: deleting the user) when that
// leaves the site with no enabled password site admin, unless force; a
// forced override is recorded in the same transaction, so the event exists
// exactly when the change does.
func (s *Service) checkLastPasswordAdmin(ctx context.Context, a Actor, before store.User, after *store.User, force bool) error {
	if !isPasswordAdmin(before) || (after != nil && isPasswordAdmin(*after)) {
		return nil
	}
	n, err := s.st.CountEnabledPasswordAdmins(ctx, before.SiteID)
	if err != nil {
		return mapStoreErr(err, "count password admins", nil, nil)
	}
	if n > 1 {
		return nil
	}
	what := describeDemotion(before, after)
	if !force {
		return &guardRefusal{siteID: before.SiteID, body: fmt.Sprintf(
			"refused: %s tried to %s, the last enabled site admin who signs in with a password; "+
				"the site must keep one so admins can sign in if single sign-on breaks (force=true overrides)",
			describeActor(a), what)}
	}
	body := fmt.Sprintf("forced: %s chose to %s, the last enabled site admin who signs in with a password; "+
		"the site now has none", describeActor(a), what)
	s.log.Warn("lock-out guard overridden", "site_id", before.SiteID, "detail", body)
	return s.recordExternalEvent(ctx, before.SiteID, EventTypeAdminGuard, store.EventSuccess, body, 0)
}

// describeDemotion says in words what the change does to the admin.
func describeDemotion(before store.User, after *store.User) string {
	who := fmt.Sprintf("user %q (id %d)", before.Username, before.ID)
	switch {
	case after == nil:
		return "delete " + who
	case after.Disabled:
		return "disable " + who
	case !after.SiteAdmin:
		return "remove site_admin from " + who
	default:
		return fmt.Sprintf("switch %s to authentication_method %q", who, after.AuthenticationMethod)
	}
}

func describeActor(a Actor) string {
	if a.System {
		return "the operator (command line)"
	}
	if a.IP == "" {
		return fmt.Sprintf("%q (user id %d)", a.Username, a.UserID)
	}
	return fmt.Sprintf("%q (user id %d, from %s)", a.Username, a.UserID, a.IP)
}

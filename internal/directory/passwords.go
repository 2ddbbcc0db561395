package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// EventLDAPLogin is the SSO event type of every directory password check.
const EventLDAPLogin = "ldap_login"

// Checks a directory sign-in can fail besides the ldap.Kind values.
const (
	CheckIdentityMismatch = "identity_mismatch" // the username now names another directory entry
	CheckRequiredGroup    = "provision_refused" // the refresh disabled the account (rules)
)

var _ identity.Directory = (*Service)(nil)

// CheckPassword is the login policy's password check for a user of an
// LDAP provider: find the entry with the service account, then bind as it
// with password. It returns nil when the directory accepts the password,
// identity.ErrInvalidUsernameOrPassword when it refuses it for any reason
// that concerns the person (wrong or empty password, unknown, disabled,
// locked, expired), and another error when the directory cannot be asked.
// Each outcome is an ldap_login SSO event naming the reason; the caller
// learns no more than "wrong username or password". A refusal before the
// directory accepted the password proves nothing about who asked, so its
// event goes through the refusal limiter: a flood of guesses at a known
// username (which the address throttle and the lockout do not stop while
// the directory cannot be reached) writes a few events and a summary.
//
// A user disabled in the directory is refused here at once, and when the
// provider provisions users their account is disabled too, before the
// next sync. A successful bind refreshes the account's attributes and
// groups through the provisioning engine when the provider provisions.
func (s *Service) CheckPassword(ctx context.Context, p store.SSOStrategy, username, password string) error {
	local, err := s.opts.Store.GetUserByUsername(ctx, p.SiteID, username)
	if errors.Is(err, store.ErrNotFound) {
		local = store.User{SiteID: p.SiteID, Username: username}
	} else if err != nil {
		return fmt.Errorf("directory: read the account %q: %w", username, err)
	}
	return s.CheckUserPassword(ctx, p, local, password, "")
}

var _ identity.DirectoryUser = (*Service)(nil)

// CheckUserPassword is CheckPassword for an account the caller has read
// (its ID may be zero when there is none yet), with the sign-in's address
// for the event.
func (s *Service) CheckUserPassword(ctx context.Context, p store.SSOStrategy, local store.User, password, ip string) error {
	username := local.Username
	ev := store.SSOEvent{SiteID: p.SiteID, EventType: EventLDAPLogin, Username: username, UserID: local.ID, IP: ip}
	dir, err := s.Directory(ctx, p)
	if err != nil {
		s.refusedAnonymous(ctx, ev, p, ldap.KindOf(err), err)
		return err
	}
	entry, err := dir.Authenticate(ctx, username, password)
	ev.IdPUID = entry.ImmutableID
	if err != nil {
		kind := ldap.KindOf(err)
		s.refusedAnonymous(ctx, ev, p, kind, err)
		switch kind {
		case ldap.KindDisabled:
			s.disableNow(ctx, p, entry)
			return identity.ErrInvalidUsernameOrPassword
		case ldap.KindInvalidCredentials, ldap.KindUnknownUser, ldap.KindAmbiguousUser, ldap.KindLocked, ldap.KindPasswordExpired:
			return identity.ErrInvalidUsernameOrPassword
		}
		return err
	}
	if local.ExternalID != "" && local.SSOStrategyID == p.ID && entry.ImmutableID != "" && local.ExternalID != entry.ImmutableID {
		s.refused(ctx, ev, p, CheckIdentityMismatch, fmt.Errorf(
			"the account %q belongs to the directory entry with immutable id %s, but the username now names %s (immutable id %s); the next sync renames the account, or an admin can fix it",
			username, local.ExternalID, entry.DN, entry.ImmutableID))
		return identity.ErrInvalidUsernameOrPassword
	}
	if refusal := s.refresh(ctx, p, entry); refusal != nil {
		s.refused(ctx, ev, p, CheckRequiredGroup, refusal)
		return identity.ErrInvalidUsernameOrPassword
	}
	ev.Status = store.EventSuccess
	ev.Body = fmt.Sprintf("directory password accepted for %s", entry.DN)
	s.record(ctx, ev, p)
	return nil
}

// provisions says whether the provider keeps accounts up to date from the
// directory.
func provisions(p store.SSOStrategy) bool {
	return p.ProvisionUsers || p.ProvisionGroups
}

// refresh writes the entry's attributes and groups to the account after a
// successful bind, unless this process already wrote the same identity
// under the same provider settings. It returns an error only when the provider's rules
// turned the account off (not in a required group); a failure to write is
// logged and the sign-in goes on: the password was right.
func (s *Service) refresh(ctx context.Context, p store.SSOStrategy, e ldap.Entry) error {
	if s.opts.Provision == nil || !provisions(p) || e.ImmutableID == "" {
		return nil
	}
	x := ExternalIdentity(e)
	key := s.refreshed.key(p, x)
	if s.refreshed.has(key) {
		return nil
	}
	res, err := s.opts.Provision.Upsert(ctx, p.SiteID, p.ID, x)
	if err != nil {
		s.log.Warn("directory: could not refresh an account after sign-in", "site_id", p.SiteID, "sso_strategy_id", p.ID, "dn", e.DN, "error", err)
		return nil
	}
	if res.User.ID != 0 && res.User.Disabled {
		return fmt.Errorf("the provider's rules disabled the account after the directory's groups were read (%s)", res.Change.Description)
	}
	s.refreshed.add(key)
	return nil
}

// disableNow disables the account of an entry the directory disables,
// when the provider provisions, so that API keys and SSH keys stop too.
func (s *Service) disableNow(ctx context.Context, p store.SSOStrategy, e ldap.Entry) {
	if s.opts.Provision == nil || !provisions(p) || e.ImmutableID == "" {
		return
	}
	if _, err := s.opts.Provision.Upsert(ctx, p.SiteID, p.ID, ExternalIdentity(e)); err != nil && !errors.Is(err, provision.ErrRefused) {
		s.log.Warn("directory: could not disable an account the directory disables", "site_id", p.SiteID, "sso_strategy_id", p.ID, "dn", e.DN, "error", err)
	}
}

// refused records a failed check with its reason.
func (s *Service) refused(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy, kind any, err error) {
	s.record(ctx, refusalEvent(ev, kind, err), p)
	s.log.Info("directory sign-in refused", "site_id", p.SiteID, "sso_strategy_id", p.ID, "username", ev.Username, "reason", kind, "error", err)
}

// refusedAnonymous is refused for a check the directory did not pass:
// the refusal limiter writes the event, or counts it, by provider and
// reason, naming the username in its summary.
func (s *Service) refusedAnonymous(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy, kind any, err error) {
	ev = refusalEvent(ev, kind, err)
	s.events.RecordRefusal(ctx, ev, p, events.Refusal{Check: fmt.Sprint(kind), IP: ev.IP, Subject: ev.Username})
	s.log.Info("directory sign-in refused", "site_id", p.SiteID, "sso_strategy_id", p.ID, "username", ev.Username, "reason", kind, "error", err)
}

// refusalEvent is the event of a failed check.
func refusalEvent(ev store.SSOEvent, kind any, err error) store.SSOEvent {
	ev.Status = store.EventFailure
	ev.Body = fmt.Sprintf("directory sign-in refused (%v)", kind)
	ev.EventErrors = []string{err.Error()}
	return ev
}

// record writes an SSO event; the sign-in's answer does not depend on it.
func (s *Service) record(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy) {
	s.events.Record(ctx, ev, p)
}

package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/store"
)

// PasswordLogin is a sign-in with a username and password.
type PasswordLogin struct {
	SiteID   int64
	Username string
	Password string
	Channel  Channel
	IP       string
	// NewPassword, when set, replaces the password once the current one is
	// verified, before the sign-in completes. It is how an API client
	// answers "password change required" in one request (Files.com's
	// change_password parameter of POST /sessions).
	NewPassword string
}

// External event types of password guessing: a user locked out, and an
// address whose password sign-ins are refused for a while.
const (
	EventTypeLockout        = "lockout"
	EventTypeSignInThrottle = "sign_in_throttle"
)

// subject is a user with everything the login policy looks at.
type subject struct {
	user     store.User
	groups   []store.Group
	provider *store.SSOStrategy // nil when the user has none, or it is gone
}

// loadSubject reads a user, their groups and their SSO provider.
func (s *Service) loadSubject(ctx context.Context, u store.User) (subject, error) {
	groups, err := s.st.GroupsOfUser(ctx, u.SiteID, u.ID)
	if err != nil {
		return subject{user: u}, mapStoreErr(err, "read user's groups", nil, nil)
	}
	return s.subjectWith(ctx, u, groups)
}

// subjectWith completes the subject of a user whose groups the caller has
// read, with their SSO provider.
func (s *Service) subjectWith(ctx context.Context, u store.User, groups []store.Group) (subject, error) {
	sub := subject{user: u, groups: groups}
	if u.SSOStrategyID != 0 {
		p, err := s.st.GetSSOStrategy(ctx, u.SiteID, u.SSOStrategyID)
		switch {
		case err == nil:
			sub.provider = &p
		case !errors.Is(err, store.ErrNotFound):
			return sub, mapStoreErr(err, "read user's provider", nil, nil)
		}
	}
	return sub, nil
}

// admit loads what the login policy looks at for u and asks it about one
// credential on one channel, logging a refusal. Every Login* method decides
// through here. A password that must be changed is returned as the verdict
// but not logged as a refusal: LoginWithPassword still checks the password.
func (s *Service) admit(ctx context.Context, u store.User, ch Channel, cred Credential, ip string) (subject, Decision, error) {
	sub, err := s.loadSubject(ctx, u)
	if err != nil {
		return sub, Decision{}, err
	}
	d := sub.decision(ch, cred, s.now())
	verdict := Decide(d)
	if verdict != nil && !errors.Is(verdict, ErrPasswordChangeRequired) {
		s.log.Info("sign-in refused", "site_id", u.SiteID, "username", u.Username, "channel", ch, "credential", cred,
			"ip", ip, "reason", AsError(verdict).Type)
	}
	return sub, d, verdict
}

// decision builds the policy input for a subject at time now.
func (sub subject) decision(ch Channel, cred Credential, now time.Time) Decision {
	return Decision{
		Method:                ClassifyMethod(sub.user, sub.provider),
		Channel:               ch,
		Credential:            cred,
		Permissions:           EffectivePermissions(sub.user, sub.groups),
		Disabled:              sub.user.Disabled,
		ProviderDisabled:      sub.provider != nil && !sub.provider.Enabled,
		RequirePasswordChange: sub.user.RequirePasswordChange,
	}
}

// LoginWithPassword applies the per-source throttle, the lockout, the
// login policy and the password (or directory) check, records the sign-in,
// and returns the user. A user with RequirePasswordChange still signs in on
// the web (to change it); other channels get ErrPasswordChangeRequired, but
// only once the password has been verified, so the answer does not help
// someone guessing.
//
// An address that failed too often recently (see throttle.go) is refused
// before anything else, with ErrTooManyLoginAttempts, which names no user.
// A locked-out user is answered exactly as an unknown username is — same
// error, one dummy hash — and their password is not checked at all: a
// different answer for the right password would be an oracle that makes
// the lockout pointless, and a different answer for a locked account would
// tell an outsider which usernames are real. The lockout stops new
// password sign-ins only; keys, SSO and sessions are the login policy's.
//
// Every refusal spends one password hash, whether or not the user exists,
// so response times do not tell an outsider which usernames are real. The
// policy's own refusals (disabled, no permission for the channel, must use
// SSO or a key …) are told only once the password has been verified, the
// way the user's method verifies it: before that they answer as a wrong
// password does, and count as one towards lockout. Otherwise whoever
// tries a username would learn from the answer that it names an account
// (and, on a channel the user may not use, could test passwords there
// without the answer ever changing). A user with no password to verify (a
// single sign-on or key-only account) therefore always gets the wrong
// password answer; the log and the transfer sign-in event keep the true
// reason (see concealedRefusal).
func (s *Service) LoginWithPassword(ctx context.Context, l PasswordLogin) (store.User, error) {
	if l.Password == "" || len(l.Password) > maxPasswordBytes || l.Username == "" || len(l.Username) > 4*maxUsernameLen {
		return store.User{}, ErrInvalidUsernameOrPassword
	}
	site, err := s.GetSite(ctx, l.SiteID)
	if err != nil {
		return store.User{}, err
	}
	att, wait, err := s.throttle.begin(ctx, site.ID, l.IP, throttleRuleOf(site), s.now)
	if err != nil {
		return store.User{}, err
	}
	if att == nil {
		s.log.Debug("password sign-in refused: the address is throttled", "site_id", site.ID, "ip", l.IP, "channel", l.Channel)
		return store.User{}, ErrTooManyLoginAttempts.With("too many failed sign-ins from your address; try again in %s", waitText(wait))
	}
	defer att.end() // when the attempt was no failed guess
	u, err := s.st.GetUserByUsername(ctx, l.SiteID, l.Username)
	if errors.Is(err, store.ErrNotFound) {
		refusal := s.refuseAfterDummyHash(ctx, l.Password, ErrInvalidUsernameOrPassword)
		s.countFailedSource(ctx, site, att, 0)
		return store.User{}, refusal
	}
	if err != nil {
		return store.User{}, mapStoreErr(err, "read user", nil, nil)
	}
	if u.LockoutExpires.After(s.now()) {
		s.log.Info("password sign-in refused: the user is locked out", "site_id", site.ID, "user_id", u.ID,
			"channel", l.Channel, "ip", l.IP, "until", u.LockoutExpires)
		refusal := s.refuseAfterDummyHash(ctx, l.Password, ErrInvalidUsernameOrPassword)
		s.countFailedSource(ctx, site, att, 0)
		return store.User{}, refusal
	}
	sub, decision, verdict := s.admit(ctx, u, l.Channel, CredentialPassword, l.IP)
	if verdict != nil && !errors.Is(verdict, ErrPasswordChangeRequired) {
		var e *Error
		if !errors.As(verdict, &e) {
			return store.User{}, verdict // the store failed, not the person
		}
	}
	ok, err := s.checkPassword(ctx, sub, decision.Method, l.Password, l.IP)
	if errors.Is(err, ErrDirectoryUnavailable) {
		// The caller learns no more than from a wrong password — not that
		// the account is a directory's, nor that the directory is down —
		// but the try is not counted towards lockout: it was no guess.
		// The event, the log and the error's message say what happened.
		return store.User{}, conceal(verdict)
	}
	if err != nil {
		return store.User{}, err
	}
	if !ok {
		s.countFailedLogin(ctx, site, u.ID, att)
		return store.User{}, conceal(verdict)
	}
	if verdict != nil && !errors.Is(verdict, ErrPasswordChangeRequired) {
		// The password is right, so the person may learn why they cannot
		// sign in here; it was no failed guess either.
		return store.User{}, verdict
	}
	if l.NewPassword != "" {
		if err := s.ChangePassword(ctx, l.SiteID, u.ID, l.Password, l.NewPassword, 0); err != nil {
			return store.User{}, err
		}
		return s.recordSignIn(ctx, l.SiteID, u.ID, l.Channel)
	}
	if verdict != nil {
		// The password is right but must be changed first: that is not a
		// failed guess, so the failure count starts over.
		if _, err := s.st.UpdateUser(ctx, l.SiteID, u.ID, func(u *store.User) error {
			clearFailures(u)
			return nil
		}); err != nil {
			return store.User{}, mapStoreErr(err, "reset failed sign-ins", ErrInvalidUsernameOrPassword, nil)
		}
		return store.User{}, verdict
	}
	return s.recordSignIn(ctx, l.SiteID, u.ID, l.Channel)
}

// waitText says how long a throttled address waits, rounded up, in the
// unit a person would use.
func waitText(d time.Duration) string {
	minutes := int((d + time.Minute - 1) / time.Minute)
	switch {
	case minutes <= 1:
		return "1 minute"
	case minutes < 120:
		return fmt.Sprintf("%d minutes", minutes)
	}
	return fmt.Sprintf("%d hours", (minutes+59)/60)
}

// concealedRefusal is a login policy refusal (user disabled, channel not
// permitted, must use SSO …) of a password sign-in whose password did not
// verify. To the caller it is ErrInvalidUsernameOrPassword in every way —
// errors.Is, errors.As, AsError and Error() all give exactly what an unknown
// username gets — so no front end can show more than that by accident. Only
// the records an admin reads unwrap the true reason (ConcealedReason).
type concealedRefusal struct{ reason *Error }

func (c *concealedRefusal) Error() string { return ErrInvalidUsernameOrPassword.Error() }
func (c *concealedRefusal) Unwrap() error { return ErrInvalidUsernameOrPassword }

// conceal returns the answer to a password that did not verify for a user
// the login policy refused (or, with reason nil, did not refuse).
func conceal(reason error) error {
	if reason == nil || errors.Is(reason, ErrPasswordChangeRequired) {
		return ErrInvalidUsernameOrPassword
	}
	return &concealedRefusal{reason: AsError(reason)}
}

// ConcealedReason returns the policy refusal hidden behind a wrong-password
// answer, for an admin's records; ok is false for any other error.
func ConcealedReason(err error) (reason *Error, ok bool) {
	var c *concealedRefusal
	if errors.As(err, &c) {
		return c.reason, true
	}
	return nil, false
}

// refuseAfterDummyHash spends one hash and returns refusal.
func (s *Service) refuseAfterDummyHash(ctx context.Context, password string, refusal error) error {
	if err := s.hasher.spendDummy(ctx, password); err != nil {
		return err
	}
	return refusal
}

// checkPassword verifies a password locally (argon2id) or, for LDAP users,
// against their directory.
func (s *Service) checkPassword(ctx context.Context, sub subject, method MethodClass, password, ip string) (bool, error) {
	if method != MethodLDAP {
		ok, err := s.hasher.verify(ctx, sub.user.PasswordHash, password)
		if errors.Is(err, errMalformedHash) {
			s.log.Error("stored password hash is malformed; the user cannot sign in until a new password is set",
				"site_id", sub.user.SiteID, "user_id", sub.user.ID)
			return false, nil
		}
		return ok, err
	}
	if s.opts.Directory == nil {
		s.log.Error("LDAP user cannot sign in: no LDAP connector is configured", "site_id", sub.user.SiteID, "user_id", sub.user.ID)
		return false, ErrDirectoryUnavailable.With("this user signs in with an LDAP directory password, but the LDAP connector is not configured")
	}
	if sub.provider == nil {
		s.log.Error("LDAP user cannot sign in: their provider no longer exists; a site admin can assign another",
			"site_id", sub.user.SiteID, "user_id", sub.user.ID)
		return false, ErrDirectoryUnavailable.With("this user's LDAP provider no longer exists; a site admin can assign another")
	}
	var err error
	if du, ok := s.opts.Directory.(DirectoryUser); ok {
		err = du.CheckUserPassword(ctx, *sub.provider, sub.user, password, ip)
	} else {
		err = s.opts.Directory.CheckPassword(ctx, *sub.provider, sub.user.Username, password)
	}
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrInvalidUsernameOrPassword):
		return false, nil
	}
	// The directory's own error may name hosts and bind accounts: it goes
	// to the log, and the person gets the generic answer.
	s.log.Error("LDAP password check failed", "site_id", sub.user.SiteID, "sso_strategy_id", sub.provider.ID, "error", err)
	return false, ErrDirectoryUnavailable
}

// countFailedLogin counts one failed password against the user and its
// source address, and locks the user when the site's lockout settings say
// so. The window opens at the first failure and lasts UserLockoutWithin
// hours; reaching UserLockoutTries failures inside it locks the user for
// UserLockoutLockPeriod hours and starts a fresh count. A user already
// locked is left alone, so failures during a lock never extend it. The
// lockout's event names the addresses the failures came from (as this node
// saw them), so an admin can tell a forgetful user from an attack.
// Failures to write are logged, not returned: the answer to the person is
// "wrong password" either way. att is nil for a password checked inside a
// session (a password change), which no address is throttled for.
func (s *Service) countFailedLogin(ctx context.Context, site store.Site, userID int64, att *attempt) {
	if att != nil {
		s.countFailedSource(ctx, site, att, userID)
	}
	now := s.now()
	locked := false
	u, err := s.st.UpdateUser(ctx, site.ID, userID, func(u *store.User) error {
		locked = false
		if u.LockoutExpires.After(now) {
			return nil
		}
		window := time.Duration(site.UserLockoutWithin) * time.Hour
		if u.FailedLogins == 0 || u.FailedLoginsSince.IsZero() || !now.Before(u.FailedLoginsSince.Add(window)) {
			u.FailedLogins = 0
			u.FailedLoginsSince = now
		}
		u.FailedLogins++
		if site.UserLockout && site.UserLockoutTries > 0 && u.FailedLogins >= site.UserLockoutTries {
			u.LockoutExpires = now.Add(time.Duration(site.UserLockoutLockPeriod) * time.Hour)
			u.FailedLogins = 0
			u.FailedLoginsSince = time.Time{}
			locked = true
		}
		return nil
	})
	if err != nil {
		s.log.Error("could not count a failed sign-in", "site_id", site.ID, "user_id", userID, "error", err)
		return
	}
	if !locked {
		return
	}
	sources := s.throttle.takeSources(site.ID, u.ID)
	from := "addresses unknown to this node"
	if len(sources) > 0 {
		from = strings.Join(sources, ", ")
	}
	body := fmt.Sprintf("user %q (id %d) locked out of password sign-in until %s after %d failed sign-ins within %d hours, from %s; "+
		"API keys, SSH keys, single sign-on and open sessions keep working. Unlock early with: gatehouse users unlock %s",
		u.Username, u.ID, u.LockoutExpires.UTC().Format(time.RFC3339), site.UserLockoutTries, site.UserLockoutWithin, from, u.Username)
	s.log.Warn("user locked out", "site_id", site.ID, "user_id", u.ID, "username", u.Username, "until", u.LockoutExpires,
		"sources", sources)
	if err := s.recordExternalEvent(ctx, site.ID, EventTypeLockout, store.EventSuccess, body, 0); err != nil {
		s.log.Error("could not record a lockout", "site_id", site.ID, "user_id", u.ID, "error", err)
	}
}

// countFailedSource counts a failed password sign-in against its source
// address (and, with userID, notes the address for the user's lockout
// event). The failure that brings an address to its limit writes one
// event and one log line: the throttle's refusals after it are not logged
// one by one, so a flood of guesses cannot flood the log. The events go
// through the refusal limiter too, since made-up usernames are enough to
// cause them: someone with many addresses gets the first few a minute
// written and the rest counted, with the addresses, in a summary.
func (s *Service) countFailedSource(ctx context.Context, site store.Site, att *attempt, userID int64) {
	until, started := att.fail(userID, s.now())
	if !started {
		return
	}
	s.log.Warn("password sign-ins from an address throttled", "site_id", site.ID, "ip", att.ip, "until", until,
		"failures", att.r.limit, "within", att.r.window)
	body := fmt.Sprintf("password sign-ins from %s are refused until %s after %d failed sign-ins within %d hours; "+
		"no account was locked by them. Sign-ins with keys, single sign-on and open sessions from there are not affected.",
		att.ip, until.UTC().Format(time.RFC3339), att.r.limit, int(att.r.window/time.Hour))
	s.refusals.RecordExternalEvent(ctx, store.ExternalEvent{SiteID: site.ID, EventType: EventTypeSignInThrottle,
		Status: store.EventFailure, Body: body, CreatedAt: s.now()},
		events.Refusal{Check: "an address throttled after failed password sign-ins", IP: att.ip, Subject: att.ip})
}

// clearFailures forgets failed sign-ins and ends any lockout.
func clearFailures(u *store.User) {
	u.FailedLogins = 0
	u.FailedLoginsSince = time.Time{}
	u.LockoutExpires = time.Time{}
}

// recordSignIn notes a successful sign-in (first_login_at once,
// last_login_at, the channel's last_*_login_at, a fresh failure count)
// and returns the account as it now is.
func (s *Service) recordSignIn(ctx context.Context, siteID, userID int64, ch Channel) (store.User, error) {
	u, err := s.st.NoteSignIn(ctx, siteID, userID, signInChannel(ch), s.now())
	return u, mapStoreErr(err, "record sign-in", ErrInvalidUsernameOrPassword, nil)
}

// signInChannel is the store's name for a channel's last_*_login_at.
func signInChannel(ch Channel) store.SignInChannel {
	switch ch {
	case ChannelDesktop:
		return store.SignInDesktop
	case ChannelAPI:
		return store.SignInRESTAPI
	case ChannelSFTP:
		return store.SignInSFTP
	case ChannelFTP:
		return store.SignInFTP
	case ChannelWebDAV:
		return store.SignInDAV
	}
	return store.SignInWeb
}

// LoginWithPublicKey checks that an SSH key (its SHA-256 fingerprint as
// ssh.FingerprintSHA256 prints it) belongs to username on the site. A key
// that does not match is not counted towards lockout: SSH clients offer
// every key they hold in turn, and the SSH server has already checked the
// signature, so a mismatch is a client trying keys, not a guess. It is
// answered as an unknown username is, even when the login policy refuses
// the account (disabled, no SFTP permission): that reason is told only to
// a key of the account's own, as LoginWithPassword tells it only to the
// account's password.
func (s *Service) LoginWithPublicKey(ctx context.Context, siteID int64, username, fingerprint string, ch Channel, ip string) (store.User, error) {
	if username == "" || fingerprint == "" || len(username) > 4*maxUsernameLen || len(fingerprint) > 128 {
		return store.User{}, ErrInvalidUsernameOrPassword
	}
	u, err := s.st.GetUserByUsername(ctx, siteID, username)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrInvalidUsernameOrPassword
	}
	if err != nil {
		return store.User{}, mapStoreErr(err, "read user", nil, nil)
	}
	_, _, verdict := s.admit(ctx, u, ch, CredentialSSHKey, ip)
	if verdict != nil {
		var e *Error
		if !errors.As(verdict, &e) {
			return store.User{}, verdict // the store failed, not the person
		}
	}
	key, found, err := s.findUserPublicKey(ctx, siteID, u.ID, fingerprint)
	if err != nil {
		return store.User{}, err
	}
	if !found {
		// As for passwords: the policy's refusal names the account, so
		// only the holder of one of its keys is told it.
		return store.User{}, conceal(verdict)
	}
	if verdict != nil {
		return store.User{}, verdict
	}
	now := s.now()
	if _, err := s.st.UpdatePublicKey(ctx, siteID, key.ID, func(k *store.PublicKey) error {
		k.LastLoginAt = now
		return nil
	}); err != nil {
		s.log.Error("could not note an SSH key's use", "site_id", siteID, "public_key_id", key.ID, "error", err)
	}
	return s.recordSignIn(ctx, siteID, u.ID, ch)
}

// findUserPublicKey looks for the user's key with this fingerprint.
func (s *Service) findUserPublicKey(ctx context.Context, siteID, userID int64, fingerprint string) (store.PublicKey, bool, error) {
	q := store.KeyQuery{UserID: userID, ListOptions: store.ListOptions{Limit: 1000}}
	for {
		keys, err := s.st.ListPublicKeys(ctx, siteID, q)
		if err != nil {
			return store.PublicKey{}, false, mapStoreErr(err, "list public keys", nil, nil)
		}
		for _, k := range keys {
			if k.UserID == userID && k.FingerprintSHA256 == fingerprint {
				return k, true, nil
			}
		}
		if len(keys) < q.Limit {
			return store.PublicKey{}, false, nil
		}
		q.AfterID = keys[len(keys)-1].ID
	}
}

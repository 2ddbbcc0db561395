package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TestOneAddressCannotLockAnAccount: with the default settings (6 tries
// within 6 hours), wrong passwords from one address are throttled at the
// fifth, the sixth is refused before any check, and the account is not
// locked: its owner signs in from elsewhere, and their key still works.
func TestOneAddressCannotLockAnAccount(t *testing.T) {
	e := newEnv(t)
	admin := e.admin("admin")
	_, key, err := e.svc.CreateAPIKey(e.ctx, SystemActor, e.site.ID, APIKeyChange{UserID: &admin.ID, Name: ptr("ops")})
	wantErr(t, "key", err, nil)
	const attacker = "203.0.113.66"
	for range 5 {
		_, err := e.loginFrom(attacker, "admin", "a wrong guess", ChannelAPI)
		wantErr(t, "guess", err, ErrInvalidUsernameOrPassword)
	}
	for _, pw := range []string{"a wrong guess", testPassword} {
		_, err := e.loginFrom(attacker, "admin", pw, ChannelAPI)
		wantErr(t, "throttled attempt", err, ErrTooManyLoginAttempts)
		if e := AsError(err); e.Status != 429 || !strings.Contains(e.Message, "try again in 6 hours") {
			t.Fatalf("throttle answer %+v, want 429 saying when to try again", e)
		}
	}
	got, _ := e.svc.GetUser(e.ctx, e.site.ID, admin.ID)
	if !got.LockoutExpires.IsZero() || got.FailedLogins != 5 {
		t.Fatalf("after one address's guesses: lockout %v, %d failures counted; want no lock and 5", got.LockoutExpires, got.FailedLogins)
	}
	if _, _, err := e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelAPI, "192.0.2.1"); err != nil {
		t.Fatalf("admin's key after the guesses: %v", err)
	}
	if _, err := e.loginFrom("192.0.2.1", "admin", testPassword, ChannelWeb); err != nil {
		t.Fatalf("admin from another address: %v", err)
	}
	evs := e.events(EventTypeSignInThrottle)
	if len(evs) != 1 || !strings.Contains(evs[0].Body, attacker) {
		t.Fatalf("throttle events %+v, want one naming %s", evs, attacker)
	}
	// The throttle lifts when the oldest failure leaves the window.
	e.clock.Advance(6*time.Hour + time.Second)
	if _, err := e.loginFrom(attacker, "admin", testPassword, ChannelWeb); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestManyAddressesStillLock: the lockout still does its job against
// guesses spread over addresses, and only stops password sign-in.
func TestManyAddressesStillLock(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann", UserChange{SFTPPermission: ptr(true)})
	_, key, err := e.svc.CreateAPIKey(e.ctx, SystemActor, e.site.ID, APIKeyChange{UserID: &ann.ID, Name: ptr("laptop")})
	wantErr(t, "key", err, nil)
	pub, err := e.svc.CreatePublicKey(e.ctx, ActorFor(ann, ""), e.site.ID, PublicKeyChange{Title: ptr("laptop"), PublicKey: ptr(newAuthorizedKey(t))})
	wantErr(t, "ssh key", err, nil)
	token, _, err := e.svc.StartSession(e.ctx, ann, ChannelWeb, "192.0.2.1", "test")
	wantErr(t, "session", err, nil)

	var ips []string
	for i := range 6 {
		ips = append(ips, fmt.Sprintf("198.51.100.%d", 20+i))
	}
	e.guessFrom("ann", ips...)
	got, _ := e.svc.GetUser(e.ctx, e.site.ID, ann.ID)
	if got.LockoutExpires.IsZero() {
		t.Fatal("six addresses, one wrong password each: not locked")
	}
	evs := e.events(EventTypeLockout)
	if len(evs) != 1 || !containsAll(evs[0].Body, ips...) {
		t.Fatalf("lockout events %+v, want one naming the six addresses", evs)
	}
	_, err = e.loginFrom("192.0.2.200", "ann", testPassword, ChannelWeb)
	wantErr(t, "password while locked", err, ErrInvalidUsernameOrPassword)
	_, _, err = e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelAPI, "192.0.2.1")
	wantErr(t, "API key while locked", err, nil)
	_, err = e.svc.LoginWithPublicKey(e.ctx, e.site.ID, "ann", pub.FingerprintSHA256, ChannelSFTP, "192.0.2.1")
	wantErr(t, "SSH key while locked", err, nil)
	_, _, err = e.svc.ResumeSession(e.ctx, e.site.ID, token)
	wantErr(t, "session while locked", err, nil)
	// A connection that signed in with the password before the lockout.
	_, err = e.svc.Readmit(e.ctx, TransferSignIn{SiteID: e.site.ID, UserID: ann.ID, Channel: ChannelSFTP,
		Credential: CredentialPassword, At: ann.PasswordSetAt.Add(time.Second), IP: "192.0.2.1"})
	wantErr(t, "signed-in connection while locked", err, nil)
}

// TestThrottleCountsEveryFailureOfAnAddress: unknown usernames and locked
// accounts count too (spraying many usernames from one address is
// guessing as well), and refused attempts count towards no one.
func TestThrottleCountsEveryFailureOfAnAddress(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann", UserChange{})
	const sprayer = "203.0.113.7"
	for i := range 5 {
		_, err := e.loginFrom(sprayer, fmt.Sprintf("user%d", i), "guess", ChannelFTP)
		wantErr(t, "spray", err, ErrInvalidUsernameOrPassword)
	}
	for range 10 {
		_, err := e.loginFrom(sprayer, "ann", "guess", ChannelFTP)
		wantErr(t, "throttled", err, ErrTooManyLoginAttempts)
	}
	if got, _ := e.svc.GetUser(e.ctx, e.site.ID, ann.ID); got.FailedLogins != 0 {
		t.Fatalf("refused attempts counted against ann: %d", got.FailedLogins)
	}
	// An IPv6 network counts as one source per /64.
	for i := range 5 {
		_, err := e.loginFrom(fmt.Sprintf("2001:db8:1:2::%x", i+1), "nobody", "guess", ChannelWeb)
		wantErr(t, "v6 guess", err, ErrInvalidUsernameOrPassword)
	}
	_, err := e.loginFrom("2001:db8:1:2:ffff::1", "ann", testPassword, ChannelWeb)
	wantErr(t, "same /64", err, ErrTooManyLoginAttempts)
	_, err = e.loginFrom("2001:db8:1:3::1", "ann", testPassword, ChannelWeb)
	wantErr(t, "another /64", err, nil)
}

// TestThrottleMemoryIsBounded: a flood of addresses cannot grow the
// throttle past its bounds, and the addresses still failing stay counted.
func TestThrottleMemoryIsBounded(t *testing.T) {
	th := newFailureThrottle()
	r := throttleRuleOf(store.DefaultSiteSettings())
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	fail := func(site int64, ip string, userID int64) {
		t.Helper()
		a, _, err := th.begin(context.Background(), site, ip, r, clock)
		if err != nil || a == nil {
			t.Fatalf("begin %s: %v %v", ip, a, err)
		}
		a.fail(userID, now)
	}
	for i := range maxThrottledSources + 5000 {
		now = now.Add(time.Millisecond)
		fail(1, fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), int64(i+1))
	}
	if len(th.sources) > maxThrottledSources || len(th.users) > maxTrackedUsers {
		t.Fatalf("throttle holds %d sources and %d users, bounds %d and %d", len(th.sources), len(th.users), maxThrottledSources, maxTrackedUsers)
	}
	for range r.limit {
		fail(1, "192.0.2.99", 0)
	}
	if a, _, _ := th.begin(context.Background(), 1, "192.0.2.99", r, clock); a != nil {
		t.Fatal("the newest address at its limit is not throttled")
	}
	a, _, _ := th.begin(context.Background(), 2, "192.0.2.99", r, clock)
	if a == nil {
		t.Fatal("an address throttled on one site is throttled on another")
	}
	a.end()
}

// TestConcurrentGuessesFromOneAddressCannotLock: a burst of concurrent
// wrong passwords does not slip past the throttle before the first of
// them is counted; a burst of right passwords from one address all sign in.
func TestConcurrentGuessesFromOneAddressCannotLock(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann", UserChange{})
	var wg sync.WaitGroup
	results := make(chan error, 60)
	for range 60 {
		wg.Go(func() {
			_, err := e.loginFrom("203.0.113.80", "ann", "a wrong guess", ChannelWeb)
			results <- err
		})
	}
	wg.Wait()
	close(results)
	wrong, throttled := 0, 0
	for err := range results {
		switch {
		case errors.Is(err, ErrInvalidUsernameOrPassword):
			wrong++
		case errors.Is(err, ErrTooManyLoginAttempts):
			throttled++
		default:
			t.Fatalf("unexpected answer %v", err)
		}
	}
	if wrong != 5 || throttled != 55 {
		t.Fatalf("%d checked and %d throttled of 60 concurrent guesses; want 5 and 55", wrong, throttled)
	}
	if got, _ := e.svc.GetUser(e.ctx, e.site.ID, ann.ID); !got.LockoutExpires.IsZero() {
		t.Fatal("a burst from one address locked the account")
	}
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := e.loginFrom("192.0.2.77", "ann", testPassword, ChannelWeb)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		wantErr(t, "concurrent right passwords from one address", err, nil)
	}
}

// TestLockedAndUnknownAnswerAlikeOnEveryChannel: the answer to a locked
// account is the unknown-username answer on every channel.
func TestLockedAndUnknownAnswerAlikeOnEveryChannel(t *testing.T) {
	e := newEnv(t)
	e.user("ann", UserChange{FTPPermission: ptr(true), SFTPPermission: ptr(true), DAVPermission: ptr(true)})
	e.guessFrom("ann", "198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4", "198.51.100.5", "198.51.100.6")
	for i, ch := range []Channel{ChannelWeb, ChannelAPI, ChannelSFTP, ChannelFTP, ChannelWebDAV} {
		_, locked := e.loginFrom(fmt.Sprintf("192.0.2.%d", 100+i), "ann", testPassword, ch)
		_, unknown := e.loginFrom(fmt.Sprintf("192.0.2.%d", 150+i), "nobody", testPassword, ch)
		if !errors.Is(locked, ErrInvalidUsernameOrPassword) || *AsError(locked) != *AsError(unknown) {
			t.Errorf("%s: locked answered %v, unknown %v", ch, locked, unknown)
		}
	}
}
